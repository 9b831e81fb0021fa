"""node.rest.server over a real node, in process: the node's services and the app's
queries in proto3 JSON, grpc-gateway's error shapes, and the limits on what one
request may cost."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import random
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2
from google.protobuf.json_format import ParseDict

from node import services
from node.node import Node
from node.rest.gateway import app_error
from node.rest.server import build_app
from node.services import VALCONS_HRP, Status
from tests.node.rest.conftest import ALICE, BOB, CAROL, CHAIN_ID, DENOM, FUNDS, Chain, client, send
from tests.vm.helpers import msg_responses
from vm.app import QueryResult
from vm.crypto import encode_address

TXS = "/cosmos/tx/v1beta1/txs"
BLOCKS = "/cosmos/base/tendermint/v1beta1/blocks"


async def ok(rest: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await rest.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    answer: dict[str, Any] = response.json()
    return answer


def error_of(response: httpx.Response, http_status: int, status: Status) -> str:
    """grpc-gateway's error object, and nothing else; returns its message."""
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json().keys() == {"code", "message", "details"}
    assert (response.json()["code"], response.json()["details"]) == (status, [])
    assert "Traceback" not in response.text
    message: str = response.json()["message"]
    return message


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# -- txs -------------------------------------------------------------------------------------


async def test_get_tx(chain: Chain, rest: httpx.AsyncClient) -> None:
    tx_hash = chain.hashes[1][0]
    found = await ok(rest, f"{TXS}/{tx_hash.lower()}")  # the hash in either case
    result = found["tx_response"]
    assert (result["height"], result["txhash"], result["code"]) == ("2", tx_hash, 0)
    assert result["codespace"] == result["raw_log"] == result["info"] == "" and result["logs"] == []
    assert int(result["gas_wanted"]) >= int(result["gas_used"]) > 0
    assert result["timestamp"].endswith("Z") and "." not in result["timestamp"]  # Go's time.RFC3339
    assert msg_responses(bytes.fromhex(result["data"])) == [bank_tx.MsgSendResponse()]  # hex, as Cosmos
    assert {"tx", "transfer", "message"} <= {event["type"] for event in result["events"]}
    assert result["tx"]["@type"] == "/cosmos.tx.v1beta1.Tx"
    assert result["tx"]["body"] == found["tx"]["body"]
    [message] = found["tx"]["body"]["messages"]
    assert message == {
        "@type": "/cosmos.bank.v1beta1.MsgSend",
        "from_address": ALICE.address,
        "to_address": CAROL.address,
        "amount": [{"denom": DENOM, "amount": "1"}],
    }
    assert found["tx"]["auth_info"]["fee"]["gas_limit"] == "200000"  # int64 as a string
    ParseDict(found, service_pb2.GetTxResponse())  # only the proto's fields: cosmpy parses it strictly


async def test_invalid_get_tx_missing_is_not_found(rest: httpx.AsyncClient) -> None:
    missing = "CD" * 32
    message = error_of(await rest.get(f"{TXS}/{missing}"), 404, Status.NotFound)
    assert message == f"tx not found: {missing}"


@pytest.mark.parametrize("tx_hash", ["xyz", "AB" * 31])
async def test_invalid_get_tx_hash(rest: httpx.AsyncClient, tx_hash: str) -> None:
    assert "hash" in error_of(await rest.get(f"{TXS}/{tx_hash}"), 400, Status.InvalidArgument)


async def test_get_txs_event(chain: Chain, rest: httpx.AsyncClient) -> None:
    to_bob = f"transfer.recipient='{BOB.address}'"
    found = await ok(rest, TXS, query=to_bob)
    assert [r["txhash"] for r in found["tx_responses"]] == [chain.hashes[0][0], chain.hashes[1][1]]
    assert found["total"] == "2" and len(found["txs"]) == 2
    found = (await rest.get(TXS, params=[("events", to_bob), ("events", "tx.height=2")])).json()
    assert [r["txhash"] for r in found["tx_responses"]] == [chain.hashes[1][1]]
    ParseDict(found, service_pb2.GetTxsEventResponse())


async def test_get_txs_event_pages_and_order(chain: Chain, rest: httpx.AsyncClient) -> None:
    from_alice = f"message.sender='{ALICE.address}'"
    every = [h for height in chain.hashes for h in height]
    newest = await ok(rest, TXS, query=from_alice, order_by="ORDER_BY_DESC", limit=2)
    assert [r["txhash"] for r in newest["tx_responses"]] == every[::-1][:2]
    assert newest["total"] == "3"
    second = await ok(rest, TXS, query=from_alice, page=2, limit=2)
    assert [r["txhash"] for r in second["tx_responses"]] == every[2:]
    by_offset = await ok(rest, TXS, **{"query": from_alice, "pagination.offset": 2, "pagination.limit": 2})
    assert by_offset["tx_responses"] == second["tx_responses"]


@pytest.mark.parametrize(
    "params",
    [{}, {"query": "no operator"}, {"query": "tx.height=1", "page": 5}, {"query": "a.b>'c'"}],
    ids=["empty", "unparsable", "page-past-the-end", "range-on-attribute"],
)
async def test_invalid_get_txs_event(rest: httpx.AsyncClient, params: dict[str, Any]) -> None:
    error_of(await rest.get(TXS, params=params), 400, Status.InvalidArgument)


async def test_broadcast_sync_then_async(fresh: Node) -> None:
    first, second = send(fresh, ALICE, BOB, 0), send(fresh, ALICE, BOB, 1)
    async with client(fresh) as rest:
        sync = await rest.post(TXS, json={"tx_bytes": b64(first), "mode": "BROADCAST_MODE_SYNC"})
        asynchronous = await rest.post(TXS, json={"txBytes": b64(second), "mode": 3})
        again = await rest.post(TXS, json={"tx_bytes": b64(first), "mode": "BROADCAST_MODE_SYNC"})
    assert sync.status_code == asynchronous.status_code == again.status_code == 200
    assert sync.json()["tx_response"]["txhash"] == hashlib.sha256(first).hexdigest().upper()
    assert sync.json()["tx_response"]["code"] == 0
    assert asynchronous.json()["tx_response"]["txhash"] == hashlib.sha256(second).hexdigest().upper()
    assert fresh.mempool.size() == 2
    rejected = again.json()["tx_response"]
    assert rejected["code"] != 0 and rejected["raw_log"]  # CheckTx's verdict, as the SDK answers it
    ParseDict(again.json(), service_pb2.BroadcastTxResponse())


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"tx_bytes": "AQID", "mode": "BROADCAST_MODE_BLOCK"}, "deprecated"),
        ({"tx_bytes": "AQID"}, "BROADCAST_MODE_UNSPECIFIED"),
        ({"mode": "BROADCAST_MODE_SYNC"}, "empty tx"),
    ],
)
async def test_invalid_broadcast(fresh: Node, body: dict[str, Any], says: str) -> None:
    async with client(fresh) as rest:
        assert says in error_of(await rest.post(TXS, json=body), 400, Status.InvalidArgument)
    assert fresh.mempool.size() == 0


# -- node info and blocks ----------------------------------------------------------------------


async def test_node_info(chain: Chain, rest: httpx.AsyncClient) -> None:
    info = await ok(rest, "/cosmos/base/tendermint/v1beta1/node_info")
    node_info = info["default_node_info"]
    assert (node_info["network"], node_info["moniker"]) == (CHAIN_ID, "rest")
    assert node_info["other"]["rpc_address"] == f"tcp://{chain.node.config.rpc.laddr}"
    version = info["application_version"]
    assert (version["name"], version["app_name"], version["cosmos_sdk_version"]) == (
        "depind",
        "depind",
        services.COSMOS_SDK_VERSION,
    )


async def test_blocks(chain: Chain, rest: httpx.AsyncClient) -> None:
    latest = await ok(rest, f"{BLOCKS}/latest")
    assert latest == await ok(rest, f"{BLOCKS}/3")
    second = await ok(rest, f"{BLOCKS}/2")
    header = second["block"]["header"]
    stored = chain.node.chain.load_block(2)
    assert stored is not None
    assert (header["chain_id"], header["height"]) == (CHAIN_ID, "2")
    assert base64.b64decode(header["app_hash"]) == stored.header.app_hash
    assert base64.b64decode(header["proposer_address"]) == stored.header.proposer_address
    assert second["sdk_block"]["header"]["proposer_address"] == encode_address(
        stored.header.proposer_address, VALCONS_HRP
    )
    assert [base64.b64decode(tx) for tx in second["block"]["data"]["txs"]] == stored.data.txs
    assert second["block"]["last_commit"]["height"] == "1"
    assert base64.b64decode(second["block_id"]["hash"]) == stored.hash()
    assert second["block_id"]["part_set_header"]["total"] >= 1
    assert second["block"]["header"]["last_block_id"] == (await ok(rest, f"{BLOCKS}/1"))["block_id"]


@pytest.mark.parametrize("height", ["0", "-1", "4", "x"])
async def test_invalid_block_height(rest: httpx.AsyncClient, height: str) -> None:
    error_of(await rest.get(f"{BLOCKS}/{height}"), 400, Status.InvalidArgument)


# -- the application's queries ----------------------------------------------------------------


async def test_app_queries(chain: Chain, rest: httpx.AsyncClient) -> None:
    account = (await ok(rest, f"/cosmos/auth/v1beta1/accounts/{ALICE.address}"))["account"]
    assert (account["@type"], account["address"], account["sequence"]) == (
        "/cosmos.auth.v1beta1.BaseAccount",
        ALICE.address,
        "3",
    )
    balance = await ok(rest, f"/cosmos/bank/v1beta1/balances/{BOB.address}/by_denom", denom=DENOM)
    assert balance == {"balance": {"denom": DENOM, "amount": "2"}}
    balances = await ok(rest, f"/cosmos/bank/v1beta1/balances/{BOB.address}")
    assert balances["balances"] == [{"denom": DENOM, "amount": "2"}]
    supply = (await ok(rest, "/cosmos/bank/v1beta1/supply"))["supply"]
    assert int(next(coin["amount"] for coin in supply if coin["denom"] == DENOM)) >= 2 * FUNDS


async def test_app_query_height_header(chain: Chain, rest: httpx.AsyncClient) -> None:
    response = await rest.get(f"/cosmos/bank/v1beta1/balances/{BOB.address}")
    assert response.headers["x-cosmos-block-height"] == "3"


async def test_invalid_app_query_answers_the_app_error(rest: httpx.AsyncClient) -> None:
    response = await rest.get("/cosmos/auth/v1beta1/accounts/not-an-address")
    assert "address" in error_of(response, 400, Status.InvalidArgument)


@pytest.mark.parametrize(
    ("code", "codespace", "log", "status"),
    [
        (22, "sdk", "rpc error: code = NotFound desc = account x not found", Status.NotFound),
        (6, "sdk", "unknown query path /x: unknown request", Status.Unimplemented),
        (18, "sdk", "bad: invalid request", Status.InvalidArgument),
        (3, "provider", "something", Status.Unknown),
        (1, "sdk", "rpc error: code = Bogus desc = x", Status.Unknown),
    ],
)
def test_app_error_status(code: int, codespace: str, log: str, status: Status) -> None:
    error = app_error(QueryResult(code, codespace, log))
    assert (error.status, error.message) == (status, log)


# -- errors and limits ---------------------------------------------------------------------------


async def test_invalid_unknown_path_is_json_not_found(rest: httpx.AsyncClient) -> None:
    assert error_of(await rest.get("/cosmos/nothing"), 404, Status.NotFound) == "Not Found"
    assert error_of(await rest.get("/"), 404, Status.NotFound) == "Not Found"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_invalid_method_is_json_method_not_allowed(rest: httpx.AsyncClient, method: str) -> None:
    response = await rest.request(method, "/cosmos/bank/v1beta1/supply")
    assert error_of(response, 405, Status.Unimplemented) == "Method Not Allowed"


async def test_invalid_body_over_the_limit(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    api = dataclasses.replace(chain.node.config.api, max_body_bytes=100)
    monkeypatch.setattr(chain.node, "config", dataclasses.replace(chain.node.config, api=api))
    async with client(chain.node) as rest:
        response = await rest.post(TXS, content=b"{" + b" " * 200 + b"}")
        assert "max_body_bytes" in error_of(response, 413, Status.ResourceExhausted)
    status, body = await post_streamed(chain.node, TXS, [b"{", b" " * 200, b"}"])  # no content-length
    assert (status, json.loads(body)["code"]) == (413, Status.ResourceExhausted)


async def post_streamed(
    node: Node, path: str, chunks: list[bytes], disconnect: bool = False
) -> tuple[int, bytes]:
    """POST ``chunks`` to the REST app as a body of unknown length, over ASGI itself; with
    ``disconnect`` the client goes away before the body ends."""
    scope: dict[str, Any] = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1"}
    scope |= {"method": "POST", "scheme": "http", "path": path, "raw_path": path.encode()}
    scope |= {"query_string": b"", "headers": []}
    messages = iter([*({"type": "http.request", "body": c, "more_body": True} for c in chunks)])
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        end = {"type": "http.disconnect"} if disconnect else {"type": "http.request", "body": b""}
        return next(messages, end)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await build_app(node)(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_client_gone_before_its_body_ended_is_no_internal_error(
    chain: Chain, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="depind.rest"):
        status, _ = await post_streamed(chain.node, TXS, [b'{"tx_bytes": '], disconnect=True)
    assert status == 499 and not caplog.records


async def test_invalid_answer_over_the_limit(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    api = dataclasses.replace(chain.node.config.api, max_response_bytes=500)
    monkeypatch.setattr(chain.node, "config", dataclasses.replace(chain.node.config, api=api))
    async with client(chain.node) as rest:
        response = await rest.get(f"{BLOCKS}/2")
        assert "max_response_bytes" in error_of(response, 429, Status.ResourceExhausted)
        await ok(rest, "/cosmos/bank/v1beta1/supply")  # small answers still pass


async def test_internal_error_is_logged_not_shown(
    chain: Chain, rest: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(node: Node, request: Any) -> Any:
        raise RuntimeError("secret detail")

    path = "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo"
    request_type = services.SERVICES[path].request
    monkeypatch.setitem(services.SERVICES, path, services.NodeService(request_type, broken))
    with caplog.at_level(logging.ERROR, logger="depind.rest"):
        response = await rest.get("/cosmos/base/tendermint/v1beta1/node_info")
    message = error_of(response, 500, Status.Internal)
    assert "secret" not in response.text and "node log" in message
    assert "secret detail" in caplog.text


FUZZ_PATHS = [
    TXS,
    f"{TXS}/{{}}",
    f"{BLOCKS}/{{}}",
    "/cosmos/bank/v1beta1/balances/{}",
    "/cosmos/bank/v1beta1/balances/{}/by_denom",
    "/cosmos/auth/v1beta1/accounts/{}",
    "/depind/provider/v1/providers/{}",
    "/cosmos/tx/v1beta1/simulate",
    "/{}",
]
FUZZ_NAMES = ["events", "query", "page", "limit", "order_by", "orderBy", "pagination.key", "pagination.limit"]
FUZZ_NAMES += ["pagination.offset", "pagination.reverse", "pagination", "denom", "height", "a.b.c"]
FUZZ_VALUES = ["", "0", "-1", "1", "9" * 30, "true", "ORDER_BY_DESC", "%ff", "'", "a.b='c'", "tx.height>=1"]
FUZZ_VALUES += ["message.sender='x' AND tx.height=1", "AAAA", "é" * 50, "1e5", "latest", "AB" * 32]
FUZZ_BODIES = [b"", b"{}", b'{"tx_bytes":"AQ=="}', b'{"tx":{"body":{}}}', b"[]", b'{"mode":9}', b"\xff"]
FUZZ_BODIES += [b'{"tx":{"body":{"messages":[{"@type":"/x"}]}}}', b'{"tx_bytes":"AQ==","mode":2}']


async def test_random_requests_answer_json_and_never_an_internal_error(rest: httpx.AsyncClient) -> None:
    rng = random.Random(7)
    for _ in range(500):
        path = rng.choice(FUZZ_PATHS).format(rng.choice(FUZZ_VALUES))
        params = tuple((rng.choice(FUZZ_NAMES), rng.choice(FUZZ_VALUES)) for _ in range(rng.randrange(4)))
        method = rng.choice(["GET", "GET", "POST"])
        body = rng.choice(FUZZ_BODIES) if method == "POST" else None
        response = await rest.request(method, path, params=params, content=body)
        assert response.headers["content-type"] == "application/json"
        if response.status_code != 200:
            assert response.status_code < 500, (method, path, params, body, response.text)
            assert response.json().keys() == {"code", "message", "details"}
