"""JSON-RPC 2.0 over HTTP (POST /) and WebSocket (/websocket), and CometBFT's URI requests
(GET /<method>?<param>=<value>), served by hypercorn's trio worker inside the node's nursery.

Every failure a client can cause becomes a JSON-RPC error object with a
stable code; unexpected exceptions are logged here and reach the client as
"Internal error" without a traceback. What one body may cost is bounded:
its size, its number of requests, and the size of its answers together.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import logging
from typing import TYPE_CHECKING, Any

import msgspec
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from consensus.tasks import TaskStatus
from node.config import RPCConfig, parse_laddr
from node.events import Subscription
from node.explorer import site as explorer_site
from node.rpc import app_methods, consensus_methods, decoded, gov_methods, methods
from node.rpc.dispatch import Method, Registry, bind, openrpc
from node.rpc.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    REQUEST_TOO_LARGE,
    RESPONSE_TOO_LARGE,
    SUBSCRIPTION,
    RPCError,
)
from node.rpc.methods import Call, Session

if TYPE_CHECKING:
    from node.node import Node

log = logging.getLogger("depind.rpc")
_client_ids = itertools.count(1)

CHAIN_METHODS = [
    "health",
    "status",
    "genesis",
    "abci_info",
    "block",
    "block_by_hash",
    "block_results",
    "block_events",
    "header",
    "commit",
    "blockchain",
    "validators",
    "consensus_params",
    "tx",
    "tx_search",
    "broadcast_tx_async",
    "broadcast_tx_sync",
    "broadcast_tx_commit",
    "check_tx",
    "unconfirmed_txs",
    "num_unconfirmed_txs",
]
APP_METHODS = [
    "abci_query",
    "account",
    "balances",
    "supply",
    "provider",
    "providers",
    "offers",
    "offer",
    "orders",
    "order",
    "leases",
    "lease",
    "price_index",
    "market_summary",
    "jobs",
    "job",
    "attestations",
    "verdict",
    "provider_stats",
    "posted_chunks",
    "capacity",
    "compute_summary",
    "summary",
    "inflation",
    "annual_provisions",
    "validators_staking",
    "validator_staking",
    "delegations",
    "unbonding_delegations",
    "redelegations",
    "staking_pool",
    "delegation_rewards",
    "validator_commission",
    "validator_slashes",
    "community_pool",
    "signing_info",
    "upgrade_plan",
    "params",
    "invariants",
    "simulate",
]
DECODED_METHODS = ["decoded_tx", "decoded_txs"]
GOV_METHODS = [
    "gov_proposals",
    "gov_proposal",
    "gov_votes",
    "gov_vote",
    "gov_deposits",
    "gov_deposit",
    "gov_tally",
    "gov_params",
]
CONSENSUS_METHODS = ["net_info", "consensus_state", "dump_consensus_state", "broadcast_evidence"]
WEBSOCKET_METHODS = ["subscribe", "unsubscribe", "unsubscribe_all"]


def build_registry() -> Registry:
    registry = Registry()
    for name in CHAIN_METHODS:
        registry.add(name, getattr(methods, name))
    for name in CONSENSUS_METHODS:
        registry.add(name, getattr(consensus_methods, name))
    for name in DECODED_METHODS:
        registry.add(name, getattr(decoded, name))
    for name in APP_METHODS:
        registry.add(name, getattr(app_methods, name))
    for name in GOV_METHODS:
        registry.add(name, getattr(gov_methods, name))
    for name in WEBSOCKET_METHODS:
        registry.add(name, getattr(methods, name), websocket_only=True)
    return registry


REGISTRY = build_registry()


def error_response(request_id: Any, error: RPCError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


async def handle_one(call: Call, message: Any) -> dict[str, Any] | None:
    """One request object to its response (None for a notification)."""
    if (
        not isinstance(message, dict)
        or message.get("jsonrpc") != "2.0"
        or not isinstance(message.get("method"), str)
    ):
        return error_response(None, RPCError(INVALID_REQUEST, "expected a JSON-RPC 2.0 request object"))
    request_id = message.get("id")
    if request_id is not None and (not isinstance(request_id, (str, int)) or isinstance(request_id, bool)):
        return error_response(None, RPCError(INVALID_REQUEST, "id must be a string, a number or null"))
    response = await respond(call, request_id, message["method"], message.get("params"))
    if "id" not in message:
        return None  # a notification gets no reply, not even an error (JSON-RPC 2.0, 4.1)
    return response


async def respond(call: Call, request_id: Any, name: str, params: Any) -> dict[str, Any]:
    """The response to one call: its result, or the error it raised."""
    try:
        result = await dispatch(call, name, params)
    except RPCError as error:
        return error_response(request_id, error)
    except Exception:
        log.exception("internal error in %s", name)
        return error_response(request_id, RPCError(INTERNAL_ERROR, "internal error; see the node log"))
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


async def dispatch(call: Call, name: str, params: Any) -> Any:
    if call.response_budget <= 0:
        raise RPCError(RESPONSE_TOO_LARGE, "earlier answers in this batch used up max_response_bytes")
    if name == "rpc.discover":
        return openrpc(REGISTRY, methods.VERSION)
    method = REGISTRY.methods.get(name)
    if method is None:
        raise RPCError(METHOD_NOT_FOUND, f"unknown method {name!r}; rpc.discover lists them")
    if method.websocket_only and call.session is None:
        raise RPCError(SUBSCRIPTION, f"{name} is only available over WebSocket at /websocket")
    return await method.handler(call, **bind(method, params))


async def handle_payload(call: Call, body: bytes, limits: RPCConfig) -> bytes | None:
    """A request or a batch to the JSON body of its answer; None when there is none to send."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        return encode(error_response(None, RPCError(PARSE_ERROR, "body is not valid JSON")))
    if not isinstance(payload, list):
        answers = await answer_all(call, [payload], limits.max_response_bytes)
        return answers[0] if answers else None
    if not payload:
        return encode(error_response(None, RPCError(INVALID_REQUEST, "empty batch")))
    if len(payload) > limits.max_batch_requests:
        error = RPCError(
            REQUEST_TOO_LARGE, f"batch of {len(payload)} exceeds {limits.max_batch_requests} requests"
        )
        return encode(error_response(None, error))
    answers = await answer_all(call, payload, limits.max_response_bytes)
    return b"[" + b",".join(answers) + b"]" if answers else None


async def answer_all(call: Call, messages: list[Any], max_bytes: int) -> list[bytes]:
    """The encoded answers to ``messages``, in order, within ``max_bytes`` together. The answer
    that would pass the limit becomes an error, and the requests after it are refused without
    running; so is the work of a batch bounded, not only its body."""
    answers = []
    left = max_bytes
    for message in messages:
        response = await handle_one(dataclasses.replace(call, response_budget=left), message)
        await trio.lowlevel.checkpoint()  # a batch of cheap calls must not hold the consensus task either
        if response is None:
            continue
        fitted, answer = fit(response, left, max_bytes)
        left = 0 if fitted is not response else max(left - len(answer), 0)  # refuse all after a refusal
        answers.append(answer)
    return answers


def fit(response: dict[str, Any], budget: int, max_bytes: int) -> tuple[dict[str, Any], bytes]:
    """``response`` and its JSON, or a -32009 error in their place if a result passes ``budget``."""
    answer = encode(response)
    if len(answer) <= budget or "result" not in response:
        return response, answer
    detail = f"the answer passes max_response_bytes ({max_bytes} bytes); ask for less at once"
    refused = error_response(response["id"], RPCError(RESPONSE_TOO_LARGE, detail))
    return refused, encode(refused)


# -- URI requests: GET /<method>?<param>=<value>, as CometBFT serves them ---------------------

URI_REQUEST_ID = -1  # CometBFT's id for answers to URI requests, which carry none
BYTES_PARAMS = frozenset({"tx", "evidence"})  # base64 in JSON-RPC; 0x-hex or a "quoted" string in a URI


async def answer_uri(
    call: Call, name: str, query: list[tuple[str, str]], max_bytes: int
) -> tuple[int, bytes]:
    """(HTTP status, body) for ``GET /<name>?<query>``. As CometBFT: each param is read from
    its first occurrence, empty or unknown params are ignored, and an error answers HTTP 500
    (404 for a method that is unknown or WebSocket-only)."""
    try:
        params = uri_params(REGISTRY.methods.get(name), query)
    except RPCError as error:
        response = error_response(URI_REQUEST_ID, error)
    else:
        budgeted = dataclasses.replace(call, response_budget=max_bytes)
        response = await respond(budgeted, URI_REQUEST_ID, name, params)
    response, answer = fit(response, max_bytes, max_bytes)
    return uri_status(response), answer


def uri_params(method: Method | None, query: list[tuple[str, str]]) -> dict[str, str]:
    known = set() if method is None else {p.name for p in method.params}
    params: dict[str, str] = {}
    for name, text in query:
        if name in known and text and name not in params:
            params[name] = uri_value(name, text)
    return params


def uri_value(name: str, text: str) -> str:
    """A URI param as JSON-RPC takes it: a "quoted" value is a JSON string; a tx or evidence
    given as 0x-hex or as a quoted string of raw bytes becomes base64; anything else (numbers,
    booleans, hex hashes and data) passes as written."""
    quoted = len(text) >= 2 and text.startswith('"') and text.endswith('"')
    if quoted:
        try:
            text = json.loads(text)
        except ValueError:
            raise RPCError(INVALID_PARAMS, f"param {name!r} is not a valid JSON string") from None
    if name not in BYTES_PARAMS:
        return text
    if quoted:
        return base64.b64encode(text.encode()).decode()
    if text[:2].lower() == "0x":
        try:
            return base64.b64encode(bytes.fromhex(text[2:])).decode()
        except ValueError:
            raise RPCError(INVALID_PARAMS, f"param {name!r} is not valid hex") from None
    return text  # base64, as JSON-RPC takes it


def uri_status(response: dict[str, Any]) -> int:
    error = response.get("error")
    if error is None:
        return 200
    return 404 if error["code"] in (METHOD_NOT_FOUND, SUBSCRIPTION) else 500


def encode(response: dict[str, Any]) -> bytes:
    """JSON as Starlette's JSONResponse writes it (UTF-8, compact), at C speed."""
    try:
        return msgspec.json.encode(response)
    except (TypeError, msgspec.EncodeError):
        log.exception("cannot encode the answer to request %r", response.get("id"))
        error = RPCError(INTERNAL_ERROR, "internal error; see the node log")
        return msgspec.json.encode(error_response(response.get("id"), error))


CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that left first; no one reads it


def build_app(node: Node) -> Starlette:
    limits = node.config.rpc

    async def http_rpc(request: Request) -> Response:
        try:
            body = await read_limited(request, limits.max_body_bytes)
        except ClientDisconnect:  # gone before its request arrived (a client's timeout): no one to answer
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        if body is None:
            error = error_response(
                None, RPCError(REQUEST_TOO_LARGE, f"body exceeds {limits.max_body_bytes} bytes")
            )
            return JSONResponse(error, status_code=413)
        answer = await handle_payload(Call(node), body, limits)
        if answer is None:
            return Response(status_code=204)
        return Response(answer, media_type="application/json")

    async def http_uri(request: Request) -> Response:
        query = list(request.query_params.multi_items())
        name = request.path_params["method"]
        status, answer = await answer_uri(Call(node), name, query, limits.max_response_bytes)
        return Response(answer, status_code=status, media_type="application/json")

    async def websocket_rpc(websocket: WebSocket) -> None:
        if node.bus.num_clients() >= limits.max_subscription_clients:
            await websocket.close(code=1013, reason="too many subscription clients")
            return
        await websocket.accept()
        await serve_websocket(node, websocket, limits)

    return Starlette(
        routes=[
            Route("/", http_rpc, methods=["POST"]),
            WebSocketRoute("/websocket", websocket_rpc),
            *explorer_routes(node),  # before the URI requests, which would take /explorer
            # CometBFT serves URI requests whatever the HTTP method; a body is not read.
            Route("/{method}", http_uri, methods=["GET", "POST"]),
        ]
    )


def explorer_routes(node: Node) -> list[BaseRoute]:
    """The explorer's pages (``[explorer] enabled``), talking to this server."""
    if not node.config.explorer.enabled:
        return []
    endpoints = explorer_site.Endpoints(rpc="/", websocket="/websocket", chain_id=node.chain_id)
    return explorer_site.routes(endpoints)


async def read_limited(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def serve_websocket(node: Node, websocket: WebSocket, limits: RPCConfig) -> None:
    client = f"ws-{next(_client_ids)}"
    started_send, started_receive = trio.open_memory_channel[Subscription](16)
    session = Session(client, started_send)
    send_lock = trio.Lock()

    async def send(answer: bytes) -> None:
        async with send_lock:
            await websocket.send_text(answer.decode())

    async def forward(subscription: Subscription) -> None:
        async with subscription.receive:
            async for event in subscription.receive:
                await send(encode({"jsonrpc": "2.0", "id": f"{client}#event", "result": event}))
        if subscription.cancelled:
            error = RPCError(SUBSCRIPTION, subscription.cancelled)
            await send(encode(error_response(f"{client}#event", error)))

    async def start_forwarders(nursery: trio.Nursery) -> None:
        async for subscription in started_receive:
            nursery.start_soon(forward, subscription)

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(start_forwarders, nursery)
            while True:
                text = await websocket.receive_text()
                if len(text) > limits.max_body_bytes:
                    detail = f"message exceeds {limits.max_body_bytes} bytes"
                    await send(encode(error_response(None, RPCError(REQUEST_TOO_LARGE, detail))))
                    continue
                answer = await handle_payload(Call(node, session), text.encode(), limits)
                if answer is not None:
                    await send(answer)
    except* WebSocketDisconnect:
        pass  # the client went away; the nursery wraps the exception in a group
    finally:
        node.bus.unsubscribe_all(client)


async def serve(node: Node, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    host, port = parse_laddr(node.config.rpc.laddr)
    config = HypercornConfig()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("depind.rpc.server")
    config.websocket_max_message_size = node.config.rpc.max_body_bytes
    config.graceful_timeout = 1.0
    app = build_app(node)
    await trio.lowlevel.checkpoint()
    async with trio.open_nursery() as nursery:
        await nursery.start(_serve, app, config)
        log.info("JSON-RPC listening on http://%s:%d (WebSocket /websocket)", host, port)
        if node.config.explorer.enabled:
            log.info("explorer at http://%s:%d%s/", host, port, explorer_site.PREFIX)
        task_status.started()


async def _serve(
    app: Starlette,
    config: HypercornConfig,
    *,
    task_status: TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
) -> None:
    await hypercorn_serve(app, config, task_status=task_status)  # type: ignore[arg-type]
