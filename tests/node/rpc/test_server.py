"""node.rpc.server: JSON-RPC 2.0 framing (handle_payload) without a network.

Every call here is rejected before a handler runs, or needs no node (health,
rpc.discover, or a handler the test adds), so the node is a stand-in that fails
the test if touched."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import trio

from node.config import RPCConfig
from node.rpc import server
from node.rpc.dispatch import Method, Param
from node.rpc.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    REQUEST_TOO_LARGE,
    RESPONSE_TOO_LARGE,
    SUBSCRIPTION,
)
from node.rpc.methods import Call
from node.rpc.server import (
    APP_METHODS,
    CHAIN_METHODS,
    CONSENSUS_METHODS,
    DECODED_METHODS,
    GOV_METHODS,
    REGISTRY,
    WEBSOCKET_METHODS,
    handle_payload,
)
from tests.node.rpc.support import Turns

MAX_BATCH = 5
MAX_RESPONSE_BYTES = 1_000


class UntouchableNode:
    """A node for calls that must not reach it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the call used node.{name}")


def call() -> Call:
    return Call(UntouchableNode())  # type: ignore[arg-type]


def request(method: str, params: Any = None, id_: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method}


async def send(
    payload: Any, max_batch: int = MAX_BATCH, max_response_bytes: int = RPCConfig.max_response_bytes
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    limits = RPCConfig(max_batch_requests=max_batch, max_response_bytes=max_response_bytes)
    answer = await handle_payload(call(), body, limits)
    return None if answer is None else json.loads(answer)  # every answer is plain JSON


def error_code(response: dict[str, Any]) -> int:
    assert response["jsonrpc"] == "2.0"
    assert "result" not in response
    code: int = response["error"]["code"]
    return code


# -- single requests -----------------------------------------------------------------------------


async def test_health() -> None:
    assert await send(request("health")) == {"jsonrpc": "2.0", "id": 1, "result": {}}


@pytest.mark.parametrize("id_", [7, "abc", None, 0, ""])
async def test_id_is_echoed(id_: Any) -> None:
    assert (await send(request("health", id_=id_)))["id"] == id_


async def test_notification_gets_no_reply() -> None:
    assert await send(notification("health")) is None


async def test_failed_notification_gets_no_reply() -> None:
    assert await send(notification("no_such_method")) is None


@pytest.mark.parametrize("body", [b"{", b"", b"\xff\xfe", b"{'jsonrpc': '2.0'}", b"[1,", b"[" * 100_000])
async def test_invalid_json_is_a_parse_error(body: bytes) -> None:
    response = await send(body)
    assert error_code(response) == PARSE_ERROR
    assert response["id"] is None
    assert response["error"]["message"] == "Parse error"


@pytest.mark.parametrize(
    "message",
    [
        5,
        "health",
        None,
        {"id": 1, "method": "health"},
        {"jsonrpc": "1.0", "id": 1, "method": "health"},
        {"jsonrpc": 2.0, "id": 1, "method": "health"},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "method": 5},
        {"jsonrpc": "2.0", "id": {"a": 1}, "method": "health"},
        {"jsonrpc": "2.0", "id": [1], "method": "health"},
    ],
)
async def test_invalid_request(message: Any) -> None:
    response = await send(message)
    assert error_code(response) == INVALID_REQUEST
    assert response["id"] is None


async def test_invalid_method() -> None:
    response = await send(request("no_such_method", id_=3))
    assert error_code(response) == METHOD_NOT_FOUND
    assert response["id"] == 3
    assert "rpc.discover" in response["error"]["data"]


@pytest.mark.parametrize(
    ("method", "params", "detail"),
    [
        ("block", {"height": "x"}, "'height' must be an integer"),
        ("block", {"height": "--5"}, "'height' must be an integer"),
        ("block", {"height": True}, "'height' must be an integer"),
        ("block", ["1.5"], "'height' must be an integer"),
        ("block", {"hieght": 5}, "unknown param(s): hieght"),
        ("block", [1, 2], "at most 1"),
        ("tx", {"hash": "AB", "prove": "yes"}, "'prove' must be a boolean"),
        ("tx", {}, "missing param 'hash'"),
        ("tx", {"hash": 5}, "'hash' must be a string"),
        ("health", {"verbose": True}, "unknown param(s): verbose"),
        ("health", [1], "at most 0"),
        ("health", "all", "object or an array"),
    ],
)
async def test_invalid_params(method: str, params: Any, detail: str) -> None:
    response = await send(request(method, params))
    assert error_code(response) == INVALID_PARAMS
    assert response["error"]["message"] == "Invalid params"
    assert detail in response["error"]["data"]


@pytest.mark.parametrize("method", WEBSOCKET_METHODS)
async def test_invalid_websocket_only_method_over_http(method: str) -> None:
    params = {} if method == "unsubscribe_all" else {"query": "tm.event='NewBlock'"}
    response = await send(request(method, params))
    assert error_code(response) == SUBSCRIPTION
    assert "WebSocket" in response["error"]["data"]


async def test_internal_error_hides_the_exception(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(ctx: Call) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setitem(REGISTRY.methods, "boom", Method("boom", boom, (), "", False))
    with caplog.at_level(logging.ERROR, logger="depind.rpc"):
        response = await send(request("boom", id_=9))
    assert error_code(response) == INTERNAL_ERROR
    assert response["id"] == 9
    assert "secret detail" not in json.dumps(response)
    assert "Traceback" not in json.dumps(response)
    assert "secret detail" in caplog.text  # the operator sees it in the log


async def test_internal_error_for_an_answer_that_is_not_json(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def opaque(ctx: Call) -> object:
        return object()

    monkeypatch.setitem(REGISTRY.methods, "opaque", Method("opaque", opaque, (), "", False))
    with caplog.at_level(logging.ERROR, logger="depind.rpc"):
        response = await send(request("opaque", id_=8))
    assert (error_code(response), response["id"]) == (INTERNAL_ERROR, 8)
    assert "object at" not in json.dumps(response)  # no repr of what failed
    assert "cannot encode" in caplog.text


# -- batches --------------------------------------------------------------------------------------------


async def test_batch() -> None:
    responses = await send(
        [request("health", id_=1), notification("health"), request("no_such_method", id_=3), 5]
    )
    assert [r["id"] for r in responses] == [1, 3, None]
    assert responses[0]["result"] == {}
    assert error_code(responses[1]) == METHOD_NOT_FOUND
    assert error_code(responses[2]) == INVALID_REQUEST


async def test_batch_of_notifications_gets_no_reply() -> None:
    assert await send([notification("health"), notification("no_such_method")]) is None


async def test_invalid_empty_batch() -> None:
    response = await send([])
    assert error_code(response) == INVALID_REQUEST
    assert response["id"] is None


async def test_batch_at_the_limit() -> None:
    responses = await send([request("health", id_=n) for n in range(MAX_BATCH)])
    assert [r["id"] for r in responses] == list(range(MAX_BATCH))


async def test_invalid_batch_over_the_limit() -> None:
    response = await send([request("health", id_=n) for n in range(MAX_BATCH + 1)])
    assert isinstance(response, dict)
    assert error_code(response) == REQUEST_TOO_LARGE
    assert str(MAX_BATCH) in response["error"]["data"]


async def test_nested_batch_is_an_invalid_request() -> None:
    (response,) = await send([[request("health")]])
    assert error_code(response) == INVALID_REQUEST


# -- discovery ---------------------------------------------------------------------------------------------


async def test_rpc_discover_lists_every_method() -> None:
    doc = (await send(request("rpc.discover")))["result"]
    names = [m["name"] for m in doc["methods"]]
    assert names == sorted(names)
    assert set(names) == set(
        CHAIN_METHODS + DECODED_METHODS + CONSENSUS_METHODS + APP_METHODS + GOV_METHODS + WEBSOCKET_METHODS
    )


async def test_rpc_discover_param_schemas() -> None:
    doc = (await send(request("rpc.discover")))["result"]
    methods = {m["name"]: m for m in doc["methods"]}
    assert methods["block"]["params"] == [
        {"name": "height", "required": False, "schema": {"type": "integer"}}
    ]
    assert {"name": "hash", "required": True, "schema": {"type": "string"}} in methods["tx"]["params"]
    assert {"name": "prove", "required": False, "schema": {"type": "boolean"}} in methods["tx"]["params"]
    assert methods["health"]["params"] == []
    assert methods["subscribe"]["summary"].endswith("(WebSocket only)")
    for method in doc["methods"]:
        assert method["summary"], f"{method['name']} has no summary"
        for param in method["params"]:
            assert param["schema"]["type"] in ("integer", "boolean", "string")


def test_registry_matches_method_lists() -> None:
    assert set(server.build_registry().methods) == set(REGISTRY.methods)
    assert {name for name, m in REGISTRY.methods.items() if m.websocket_only} == set(WEBSOCKET_METHODS)


# -- the size of the answers -----------------------------------------------------------------------


@pytest.fixture
def blob_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A method ``blob`` answering ``size`` bytes of text; the list records each call's size."""
    calls: list[int] = []

    async def blob(ctx: Call, size: int) -> str:
        calls.append(size)
        return "x" * size

    monkeypatch.setitem(
        REGISTRY.methods, "blob", Method("blob", blob, (Param("size", int, True, None),), "", False)
    )
    return calls


async def test_answer_within_max_response_bytes(blob_calls: list[int]) -> None:
    response = await send(
        request("blob", {"size": MAX_RESPONSE_BYTES // 2}), max_response_bytes=MAX_RESPONSE_BYTES
    )
    assert response["result"] == "x" * (MAX_RESPONSE_BYTES // 2)


async def test_invalid_answer_over_max_response_bytes(blob_calls: list[int]) -> None:
    response = await send(
        request("blob", {"size": MAX_RESPONSE_BYTES}, id_=4), max_response_bytes=MAX_RESPONSE_BYTES
    )
    assert error_code(response) == RESPONSE_TOO_LARGE
    assert response["id"] == 4
    assert str(MAX_RESPONSE_BYTES) in response["error"]["data"]


async def test_invalid_batch_answers_over_max_response_bytes_refuse_the_rest(blob_calls: list[int]) -> None:
    """Two answers fit, the third would pass the limit: it and every later request get the
    error, and the later ones never run."""
    size = MAX_RESPONSE_BYTES // 3
    batch = [request("blob", {"size": size}, id_=n) for n in range(3)]
    batch += [notification("health"), request("health", id_=3), request("blob", {"size": 1}, id_=4)]
    responses = await send(batch, max_batch=len(batch), max_response_bytes=MAX_RESPONSE_BYTES)
    assert [r["id"] for r in responses] == [0, 1, 2, 3, 4]
    assert [r["result"] for r in responses[:2]] == ["x" * size] * 2
    assert [error_code(r) for r in responses[2:]] == [RESPONSE_TOO_LARGE] * 3
    assert blob_calls == [size] * 3
    assert sum(len(json.dumps(r)) for r in responses) < MAX_RESPONSE_BYTES + 3 * 200


async def test_batch_lets_other_tasks_run_between_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of quick calls that never wait still hands the loop (the consensus task's)
    to other tasks between them."""
    turns = Turns()

    async def ticks_now(ctx: Call) -> int:
        return turns.count

    monkeypatch.setitem(REGISTRY.methods, "ticks", Method("ticks", ticks_now, (), "", False))
    async with trio.open_nursery() as nursery:
        await nursery.start(turns.run)
        responses = await send([request("ticks", id_=n) for n in range(MAX_BATCH)])
        nursery.cancel_scope.cancel()
    seen = [r["result"] for r in responses]
    assert seen == sorted(seen)
    assert seen[-1] - seen[0] >= MAX_BATCH - 2  # about one turn between two requests
