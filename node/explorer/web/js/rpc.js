// The node's JSON-RPC (HTTP POST) and its WebSocket subscriptions.
//
// Every page reads the chain through `Rpc.call`; live pages subscribe through `Live`, which
// keeps one WebSocket, re-subscribes after a reconnect, and backs off between attempts
// (1 s doubling to 30 s) so that a node that is down is not hammered.

export class RpcError extends Error {
  constructor(code, message, data) {
    super(data ? `${message}: ${data}` : message);
    this.code = code;
    this.data = data;
  }
}

export class Rpc {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
  }

  // The result of `method`, or an RpcError with the node's code and message.
  async call(method, params = {}) {
    const answer = await this.post({ jsonrpc: "2.0", id: this.nextId++, method, params });
    return result(answer);
  }

  // Several calls in one request (a JSON-RPC batch): [[method, params], …] to a list of results
  // in the same order, each a value or an RpcError (one failing call does not fail the rest).
  async batch(calls) {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const body = calls.map(([method, params], index) =>
      ({ jsonrpc: "2.0", id: first + index, method, params: params || {} }));
    const answers = await this.post(body);
    if (!Array.isArray(answers)) return calls.map(() => failure(answers));
    const byId = new Map(answers.map((answer) => [answer.id, answer]));
    return calls.map((_, index) => {
      const answer = byId.get(first + index);
      if (!answer) return new RpcError(-1, "the node left this call of the batch unanswered");
      return answer.error ? failure(answer) : answer.result;
    });
  }

  async post(body) {
    let response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new RpcError(-1, "the node cannot be reached", String(error.message || error));
    }
    try {
      return await response.json();
    } catch {
      throw new RpcError(-1, `the node answered HTTP ${response.status} without JSON`);
    }
  }
}

function result(answer) {
  if (answer.error) throw failure(answer);
  return answer.result;
}

function failure(answer) {
  const error = answer.error || { code: -1, message: "malformed answer" };
  return new RpcError(error.code, error.message, error.data);
}

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30000;

export class Live {
  constructor(url) {
    this.url = url;
    this.socket = null;
    this.nextId = 1;
    this.retryMs = FIRST_RETRY_MS;
    this.retryTimer = null;
    this.subscriptions = new Map(); // query -> Set of handlers
    this.statusHandlers = new Set();
    this.state = "connecting";
  }

  start() {
    this.connect();
  }

  // Calls `handler(event)` for each event matching `query` (CometBFT's query language) until
  // the returned function is called.
  subscribe(query, handler) {
    let handlers = this.subscriptions.get(query);
    if (!handlers) {
      handlers = new Set();
      this.subscriptions.set(query, handlers);
      this.send("subscribe", { query });
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.subscriptions.get(query) === handlers) {
        this.subscriptions.delete(query);
        this.send("unsubscribe", { query });
      }
    };
  }

  // Calls `handler(state)` with "open", "connecting" or "closed" on every change.
  onStatus(handler) {
    this.statusHandlers.add(handler);
    handler(this.state);
    return () => this.statusHandlers.delete(handler);
  }

  connect() {
    this.setState("connecting");
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retryMs = FIRST_RETRY_MS;
      this.setState("open");
      for (const query of this.subscriptions.keys()) this.send("subscribe", { query });
    });
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", () => {
      if (this.socket === socket) {
        this.socket = null;
        this.retry();
      }
    });
  }

  retry() {
    this.setState("closed");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
  }

  send(method, params) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }));
    }
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const result = message.result;
    if (!result || typeof result.query !== "string" || !result.data) return; // a reply, not an event
    const handlers = this.subscriptions.get(result.query);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(result);
      } catch (error) {
        console.warn("a live update failed", error);
      }
    }
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    for (const handler of this.statusHandlers) handler(state);
  }
}
