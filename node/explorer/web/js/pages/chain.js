// What the chain pages (overview, blocks, txs, validators, account) share: addresses (an
// account and the validator it operates are the same 20 bytes under two prefixes), proposer
// names, views of events and decoded messages, pagers whose pages are URLs, and
// sections that refresh on each new block.

import { withPrefix } from "../bech32.js";
import { jobLink, leaseLink, offerLink, orderLink } from "../market-parts.js";
import { RpcError } from "../rpc.js";
import {
  accountLink, badge, empty, errorBox, fmtCoin, fmtCoins, h, link, proposalLink, short, table, validatorLink,
} from "../ui.js";

export const ACCOUNT_PREFIX = "depin";
export const OPERATOR_PREFIX = "depinvaloper";
const NOT_FOUND = -32001;

export function isNotFound(error) {
  return error instanceof RpcError && error.code === NOT_FOUND;
}

// -- addresses ----------------------------------------------------------------------------------

// Whether `text` is a valid bech32 address with `prefix`.
export function isAddress(text, prefix) {
  return withPrefix(text, prefix) === text;
}

// A link for an account or operator address; other text as it is.
export function addressLink(text) {
  const value = String(text);
  if (isAddress(value, OPERATOR_PREFIX)) return validatorLink(value);
  if (isAddress(value, ACCOUNT_PREFIX)) return accountLink(value);
  return value;
}

// Fields and event attributes that name a market, compute or governance record, and its page.
const RECORDS = {
  job_id: jobLink, lease_id: leaseLink, offer_id: offerLink, order_id: orderLink, proposal_id: proposalLink,
};

// A field's value, linked when it names an address or (by its name) a record with a page.
function namedValue(name, value) {
  const text = String(value);
  if (RECORDS[name] && /^[1-9]\d*$/.test(text)) return RECORDS[name](text);
  return addressLink(text);
}

// -- proposers ----------------------------------------------------------------------------------

// Consensus address (hex) -> a promise of {operator, moniker}, or of null for an address no
// validator has now; as many entries as validators ever proposed.
const proposers = new Map();

// The validator of a consensus address, asked of the node once per address.
function proposerOf(rpc, consensusHex) {
  if (!proposers.has(consensusHex)) {
    const found = rpc.call("validator_staking", { cons_address: consensusHex })
      .then((v) => ({ operator: v.operator_address, moniker: v.description.moniker || short(v.operator_address) }))
      .catch(() => {
        proposers.delete(consensusHex); // asked again next time
        return null;
      });
    proposers.set(consensusHex, found);
  }
  return proposers.get(consensusHex);
}

// A cell naming a block's proposer: its hex address at once, the validator's link once known.
export function proposerCell(rpc, consensusHex) {
  const cell = h("span", { class: "mono", title: consensusHex }, short(consensusHex, 6));
  proposerOf(rpc, consensusHex).then((validator) => {
    if (validator) cell.replaceChildren(validatorLink(validator.operator, validator.moniker));
  });
  return cell;
}

// -- results, events and messages ---------------------------------------------------------------

export function resultBadge(code, codespace) {
  if (!code) return badge("success", "good");
  return badge(`failed: ${codespace ? codespace + " " : ""}${code}`, "bad");
}

// "/cosmos.bank.v1beta1.MsgSend" as "MsgSend", the whole type URL in its title.
function typeName(typeUrl) {
  const text = String(typeUrl || "");
  return h("span", { title: text }, text.split(".").pop() || text);
}

// A tx's message types; a block's beacon entry has none.
export function messageTypes(tx) {
  const messages = (tx && tx.body && tx.body.messages) || [];
  if (messages.length === 0) return h("span", { class: "muted" }, "beacon entry");
  return messages.map((message, index) => [index ? ", " : "", typeName(message["@type"])]);
}

// The accounts that sent a tx's messages, from its `message` events.
export function senders(events) {
  const found = new Set();
  for (const event of events || []) {
    if (event.type !== "message") continue;
    for (const attribute of event.attributes) if (attribute.key === "sender") found.add(attribute.value);
  }
  return [...found];
}

function attributeList(attributes) {
  return h("ul", { class: "attrs" }, attributes.map((attribute) =>
    h("li", {}, h("span", { class: "attr-key" }, attribute.key), " ", namedValue(attribute.key, attribute.value))));
}

// Events (of a tx or of a block's finalize step) as a table: type, then each attribute.
export function eventsTable(events, caption) {
  if (!events || events.length === 0) return empty("No events.");
  const rows = events.map((event) => [h("code", {}, event.type), attributeList(event.attributes || [])]);
  const view = table(["Event", "Attributes"], rows, caption);
  view.classList.add("events");
  return view;
}

function isCoin(value) {
  return value && typeof value === "object" && !Array.isArray(value)
    && Object.keys(value).length === 2 && "denom" in value && "amount" in value;
}

function fieldValue(name, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value !== "object") return namedValue(name, value);
  if (isCoin(value)) return fmtCoin(value.amount, value.denom);
  if (Array.isArray(value) && value.length > 0 && value.every(isCoin)) return fmtCoins(value);
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
    return value.length ? value.map((item, index) => [index ? ", " : "", addressLink(item)]) : "—";
  }
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

// One decoded message: its type and each field, addresses linked, nested values as JSON.
export function messageView(message, index) {
  const rows = Object.entries(message).filter(([name]) => name !== "@type");
  const list = h("dl", { class: "details" });
  for (const [name, value] of rows) list.append(h("dt", {}, name), h("dd", {}, fieldValue(name, value)));
  return h("section", { class: "message" },
    h("h3", {}, `#${index + 1} `, typeName(message["@type"])),
    h("p", { class: "muted mono" }, message["@type"]),
    rows.length ? list : empty("No fields."));
}

// -- pages as URLs -------------------------------------------------------------------------------

// Links to the first, previous and next pages of a list whose position is in the URL; the
// browser's back and forward move through the pages read.
// A link given as null shows as plain text; one left out (undefined) is not shown.
export function pager({ first = null, previous, next = null, label = "", firstText = "Newest" }) {
  const item = (href, text, rel) => {
    if (href === undefined) return null;
    return href === null ? h("span", { class: "muted" }, text) : link(href, text, { rel });
  };
  return h("nav", { class: "pager", "aria-label": "Pages" },
    item(first, firstText, "first"), item(previous, "Previous", "prev"),
    label ? h("span", { class: "muted" }, label) : null, item(next, "Next", "next"));
}

// A URL under `path` with `query` (null and "" values left out).
export function withQuery(path, query) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

// A page number from the URL (1 when absent or not a number).
export function pageNumber(query) {
  const value = Number.parseInt(query.get("page") || "1", 10);
  return Number.isFinite(value) && value >= 1 ? value : 1;
}

// -- live sections -------------------------------------------------------------------------------

const LIVE_GAP_MS = 1000; // however fast blocks come, a section is read at most once a second

// An element drawn by `draw(data)` from `load()`, loaded now and again on new blocks. A
// redraw changes only the nodes whose text or attributes differ, so that a reader's focus and
// place stay put; so `draw` should give plain content (text, links), not controls with state.
// A load still running when a block comes is not doubled; after a failed refresh the last
// figures stay. `holder.ready` settles once the first load has been drawn.
export function liveSection(ctx, load, draw) {
  const holder = h("div", { class: "live" });
  let shown = null;
  let busy = false;
  let last = 0;

  async function refresh() {
    if (busy || Date.now() - last < LIVE_GAP_MS || !ctx.isCurrent()) return;
    busy = true;
    last = Date.now();
    try {
      const data = await load();
      const text = JSON.stringify(data);
      if (text !== shown && ctx.isCurrent()) {
        const fresh = h("div", {}, draw(data));
        if (shown === null) holder.replaceChildren(...fresh.childNodes);
        else patchChildren(holder, fresh);
        shown = text;
      }
    } catch (error) {
      if (shown === null) holder.replaceChildren(errorBox(error));
    } finally {
      busy = false;
    }
  }

  holder.ready = refresh();
  ctx.onBlock(refresh);
  return holder;
}

// Makes `current`'s children look like `next`'s, keeping the nodes that are alike.
function patchChildren(current, next) {
  const before = [...current.childNodes];
  const after = [...next.childNodes];
  if (before.length !== after.length) {
    current.replaceChildren(...after);
    return;
  }
  before.forEach((node, index) => patch(node, after[index]));
}

function patch(current, next) {
  if (current.nodeType === Node.TEXT_NODE && next.nodeType === Node.TEXT_NODE) {
    if (current.data !== next.data) current.data = next.data;
  } else if (current.nodeName === next.nodeName && current.nodeType === Node.ELEMENT_NODE
    && sameAttributes(current, next)) {
    patchChildren(current, next);
  } else {
    current.replaceWith(next);
  }
}

function sameAttributes(a, b) {
  if (a.attributes.length !== b.attributes.length) return false;
  return [...a.attributes].every((attribute) => b.getAttribute(attribute.name) === attribute.value);
}

// An answer without the height it was read at, which changes with every block.
export function atRest(answer) {
  if (!answer || typeof answer !== "object" || answer instanceof Error) return answer;
  const { height: _, ...rest } = answer;
  return rest;
}
