"""The JSON-RPC answers in the shapes CometBFT v0.38 gives them, field by field as cosmjs's
comet38 adaptor (``@cosmjs/tendermint-rpc`` 0.39) and Keplr read them: ``status``, the
broadcast methods, ``tx`` and ``tx_search`` with the SDK's ``TxMsgData`` as result data,
block ids everywhere, and CometBFT's URI requests (GET /<method>?<param>=<value>).

One single-validator chain serves the module, built by hand (no processes):

    height 1: alice->bob (succeeds), alice->bob of more than she has (fails in the block)
    height 2: alice->bob, committed through broadcast_tx_commit
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from cosmpy.protos.cosmos.base.abci.v1beta1.abci_pb2 import TxMsgData

from genesis.schema import CoinJSON
from node.client import build_tx
from node.home import Home, add_genesis_account
from node.keys.hd import PrivateKey
from node.node import Node
from node.rpc import server
from node.rpc.errors import HEIGHT_UNAVAILABLE, INVALID_PARAMS, METHOD_NOT_FOUND, SUBSCRIPTION
from node.rpc.methods import Call
from node.validator_home import init_solo_home
from protos.depind.market.v1 import tx_pb2 as market_tx
from protos.depind.provider.v1 import tx_pb2 as provider_tx
from tests.node.rpc.support import rpc, rpc_error
from tests.vm.helpers import msg_responses, register_msg
from tests.vm.market.helpers import H100, gpu_spec, offer_msg
from vm.bank.msgs import MsgSend
from vm.types import Coin

CHAIN_ID = "shapes-1"
ALICE_NUMBER = 1  # account 0 is the validator's operator (its gentx)
DENOM = "udepin"
FUNDS = 10**12
GAS = 200_000
FEE = [Coin(DENOM, 2_000)]
HEX = re.compile(r"[0-9A-F]{64}")
SEND_RESPONSE = "/cosmos.bank.v1beta1.MsgSendResponse"


def key(name: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(name.encode()).digest())


ALICE, BOB = key("alice"), key("bob")


@dataclass(frozen=True)
class Chain:
    node: Node
    sent: str  # hash of the tx that succeeded at height 1
    failed: str  # hash of the tx that failed at height 1
    raws: list[bytes]  # the txs of height 1
    committed: dict[str, Any]  # broadcast_tx_commit's answer (height 2)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    home = Home(tmp_path_factory.mktemp("shapes") / "home")
    init_solo_home(home, "shapes", CHAIN_ID)
    add_genesis_account(home, ALICE.address, [CoinJSON(denom=DENOM, amount=FUNDS)])
    node = Node.open(home)
    node.app.beacon_source = None  # no beacon entries: every block holds exactly the txs sent
    try:
        yield trio.run(build_chain, node)
    finally:
        node.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Node]:
    """A chain with no blocks yet, alice funded."""
    home = Home(tmp_path / "home")
    init_solo_home(home, "fresh", CHAIN_ID)
    add_genesis_account(home, ALICE.address, [CoinJSON(denom=DENOM, amount=FUNDS)])
    node = Node.open(home)
    yield node
    node.close()


def send(sequence: int, amount: int) -> bytes:
    return build_tx(
        ALICE,
        CHAIN_ID,
        ALICE_NUMBER,
        sequence,
        [MsgSend(ALICE.address, BOB.address, [Coin(DENOM, amount)])],
        FEE,
        GAS,
    )


async def build_chain(node: Node) -> Chain:
    engine = node.solo()
    raws = [send(0, 1_000), send(1, FUNDS)]
    for raw in raws:
        assert (await node.submit_tx(raw)).code == 0  # CheckTx does not look at the amount sent
    await engine.produce_block()
    committed: dict[str, Any] = {}

    async def broadcast() -> None:
        committed.update(await rpc(node, "broadcast_tx_commit", tx=b64(send(2, 1_000))))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(broadcast)
        await node.mempool.wait_for_txs()
        await engine.produce_block()
    return Chain(node, tx_hash(raws[0]), tx_hash(raws[1]), raws, committed)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def tx_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest().upper()


def response_types(data: str) -> list[str]:
    """The type URLs of a result's ``TxMsgData.msg_responses``."""
    parsed = TxMsgData.FromString(base64.b64decode(data))
    return [response.type_url for response in parsed.msg_responses]


def attributes(result: dict[str, Any], event_type: str) -> dict[str, str]:
    [found] = [e for e in result["events"] if e["type"] == event_type]
    return {a["key"]: a["value"] for a in found["attributes"]}


def assert_block_id(value: dict[str, Any]) -> None:
    """What cosmjs's decodeBlockId asserts: hex hashes, and a part count that is not zero."""
    assert HEX.fullmatch(value["hash"])
    assert isinstance(value["parts"]["total"], int) and value["parts"]["total"] >= 1
    assert HEX.fullmatch(value["parts"]["hash"])


# -- status -------------------------------------------------------------------------------


async def test_status_node_info(chain: Chain) -> None:
    info = (await rpc(chain.node, "status"))["node_info"]
    assert info["protocol_version"] == {"p2p": "8", "block": "11", "app": "1"}
    assert bytes.fromhex(info["id"]) == chain.node.pv.address
    assert info["listen_addr"] == chain.node.config.rpc.laddr
    assert info["network"] == CHAIN_ID
    assert info["version"].startswith("0.38.")  # cosmjs's connectComet then picks Comet38Client
    assert info["channels"] == "40202122233038606100"
    assert info["moniker"] == "shapes"
    assert info["other"] == {"tx_index": "on", "rpc_address": f"tcp://{chain.node.config.rpc.laddr}"}


async def test_status_sync_info(chain: Chain) -> None:
    sync = (await rpc(chain.node, "status"))["sync_info"]
    latest = (await rpc(chain.node, "block"))["block"]["header"]
    earliest = await rpc(chain.node, "block", height=1)
    assert sync == {
        "latest_block_hash": (await rpc(chain.node, "block"))["block_id"]["hash"],
        "latest_app_hash": latest["app_hash"],
        "latest_block_height": "2",
        "latest_block_time": latest["time"],
        "earliest_block_hash": earliest["block_id"]["hash"],
        "earliest_app_hash": earliest["block"]["header"]["app_hash"],
        "earliest_block_height": "1",
        "earliest_block_time": earliest["block"]["header"]["time"],
        "catching_up": False,
    }


async def test_status_validator_info(chain: Chain) -> None:
    validator = (await rpc(chain.node, "status"))["validator_info"]
    assert validator == {
        "address": chain.node.pv.address.hex().upper(),
        "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(chain.node.pv.pub_key)},
        "voting_power": "10",
    }


async def test_status_before_the_first_block(fresh: Node) -> None:
    """Every field cosmjs requires is set: the genesis state's app hash, the zero time."""
    sync = (await rpc(fresh, "status"))["sync_info"]
    assert sync["latest_app_hash"] == fresh.app.info()[1].hex().upper()
    assert (sync["latest_block_height"], sync["earliest_block_height"]) == ("0", "0")
    assert sync["latest_block_time"] == sync["earliest_block_time"] == "1970-01-01T00:00:00.000000000Z"


# -- broadcast ----------------------------------------------------------------------------


async def test_broadcast_tx_sync_result(fresh: Node) -> None:
    raw = send(0, 1)
    result = await rpc(fresh, "broadcast_tx_sync", tx=b64(raw))
    assert result == {"code": 0, "codespace": "", "log": "", "data": "", "hash": tx_hash(raw)}


async def test_broadcast_tx_sync_rejection_has_a_numeric_code(chain: Chain) -> None:
    raw = send(0, 1)  # sequence 0 is spent
    result = await rpc(chain.node, "broadcast_tx_sync", tx=b64(raw))
    assert isinstance(result["code"], int) and result["code"] != 0
    assert result["codespace"] == "sdk"
    assert result["hash"] == tx_hash(raw)


async def test_broadcast_tx_async_result(chain: Chain) -> None:
    raw = send(0, 1)
    result = await rpc(chain.node, "broadcast_tx_async", tx=b64(raw))
    assert result == {"code": 0, "codespace": "", "log": "", "data": "", "hash": tx_hash(raw)}


async def test_broadcast_tx_commit_result(chain: Chain) -> None:
    committed = chain.committed
    assert committed["height"] == "2"
    check = committed["check_tx"]
    assert set(check) == {"code", "codespace", "log", "data", "info", "gas_wanted", "gas_used", "events"}
    assert (check["code"], check["gas_wanted"]) == (0, str(GAS))
    result = committed["tx_result"]
    assert result["code"] == 0
    assert response_types(result["data"]) == [SEND_RESPONSE]
    assert attributes(result, "transfer")["recipient"] == BOB.address  # plain text, not base64
    found = await rpc(chain.node, "tx", hash=committed["hash"])
    assert found["tx_result"] == result


async def test_check_tx_result(chain: Chain) -> None:
    result = await rpc(chain.node, "check_tx", tx=b64(send(3, 1)))
    assert result == {
        "code": 0,
        "codespace": "",
        "log": result["log"],
        "data": "",
        "info": "",
        "gas_wanted": str(GAS),
        "gas_used": result["gas_used"],
        "events": [],
    }
    assert int(result["gas_used"]) > 0


# -- tx and tx_search ---------------------------------------------------------------------


async def test_tx_result_of_a_successful_tx(chain: Chain) -> None:
    found = await rpc(chain.node, "tx", hash=chain.sent)
    assert set(found) == {"hash", "height", "index", "tx_result", "tx"}
    assert (found["hash"], found["height"], found["index"]) == (chain.sent, "1", 0)
    assert base64.b64decode(found["tx"]) == chain.raws[0]
    result = found["tx_result"]
    assert set(result) == {"code", "codespace", "log", "data", "info", "gas_wanted", "gas_used", "events"}
    assert (result["code"], result["codespace"], result["info"]) == (0, "", "")
    assert result["gas_wanted"] == str(GAS) and int(result["gas_used"]) > 0
    assert response_types(result["data"]) == [SEND_RESPONSE]
    transfer = attributes(result, "transfer")
    assert (transfer["sender"], transfer["amount"]) == (ALICE.address, f"1000{DENOM}")


async def test_tx_result_of_a_failed_tx_has_no_data(chain: Chain) -> None:
    found = await rpc(chain.node, "tx", hash=chain.failed)
    assert found["index"] == 1
    result = found["tx_result"]
    assert isinstance(result["code"], int) and result["code"] != 0
    assert result["codespace"] == "sdk"
    assert result["data"] == ""


async def test_tx_by_a_base64_hash_as_cosmjs_sends_it(chain: Chain) -> None:
    found = await rpc(chain.node, "tx", hash=b64(bytes.fromhex(chain.sent)))
    assert found["hash"] == chain.sent
    assert (await rpc(chain.node, "tx", hash="0x" + chain.sent.lower()))["hash"] == chain.sent


@pytest.mark.parametrize("text", ["", "zz" * 32, "AAAA", "0x" + "ab" * 31, "not base64!", b64(bytes(33))])
async def test_invalid_tx_hash(chain: Chain, text: str) -> None:
    assert (await rpc_error(chain.node, "tx", hash=text)).code == INVALID_PARAMS


async def test_tx_search_shapes(chain: Chain) -> None:
    found = await rpc(chain.node, "tx_search", query="tx.height=1")
    assert found["total_count"] == "2"
    assert [t["index"] for t in found["txs"]] == [0, 1]
    assert [t["tx_result"]["data"] for t in found["txs"]] == [
        (await rpc(chain.node, "tx", hash=chain.sent))["tx_result"]["data"],
        "",
    ]


async def test_block_results_carry_the_tx_data(chain: Chain) -> None:
    results = (await rpc(chain.node, "block_results", height=1))["txs_results"]
    assert [response_types(r["data"]) for r in results] == [[SEND_RESPONSE], []]


async def test_tx_data_is_what_the_block_stored(fresh: Node) -> None:
    """A provider registers and offers in one tx: ``tx``, ``tx_search`` and ``block_results``
    answer the data its block stored (and hashed), each message's response in order, the
    new offer's id among them."""
    msgs = [register_msg(ALICE, [gpu_spec(H100, 1)]), offer_msg(ALICE, 1)]
    raw = build_tx(ALICE, CHAIN_ID, ALICE_NUMBER, 0, msgs, [Coin(DENOM, 10_000)], 1_000_000)
    assert (await fresh.submit_tx(raw)).code == 0
    await fresh.solo().produce_block()
    found = await rpc(fresh, "tx", hash=tx_hash(raw))
    stored = fresh.chain.load_results(1)
    assert stored is not None
    data = stored.txs_results[found["index"]].data
    assert msg_responses(data) == [
        provider_tx.MsgRegisterProviderResponse(),
        market_tx.MsgCreateOfferResponse(offer_id=1),
    ]
    assert found["tx_result"]["data"] == b64(data)
    [searched] = (await rpc(fresh, "tx_search", query=f"tx.hash='{tx_hash(raw)}'"))["txs"]
    assert searched["tx_result"]["data"] == b64(data)
    results = (await rpc(fresh, "block_results", height=1))["txs_results"]
    assert results[found["index"]]["data"] == b64(data)


# -- blocks -------------------------------------------------------------------------------


async def test_block_ids_name_their_parts(chain: Chain) -> None:
    for height in (1, 2):
        found = await rpc(chain.node, "block", height=height)
        assert_block_id(found["block_id"])
        assert_block_id(
            (await rpc(chain.node, "commit", height=height))["signed_header"]["commit"]["block_id"]
        )
    second = (await rpc(chain.node, "block", height=2))["block"]
    assert_block_id(second["header"]["last_block_id"])
    assert_block_id(second["last_commit"]["block_id"])
    for meta in (await rpc(chain.node, "blockchain"))["block_metas"]:
        assert_block_id(meta["block_id"])


async def test_commit_below_the_latest_is_the_next_blocks_last_commit(chain: Chain) -> None:
    """As CometBFT: the canonical commit of a height is the one the next block carries; the
    latest height's is the commit its node saw when it decided, not canonical."""
    latest = chain.node.chain.height()
    below = await rpc(chain.node, "commit", height=latest - 1)
    carried = (await rpc(chain.node, "block", height=latest))["block"]["last_commit"]
    assert below["canonical"] is True and below["signed_header"]["commit"] == carried
    top = await rpc(chain.node, "commit", height=latest)
    assert top["canonical"] is False
    assert top["signed_header"]["commit"]["height"] == str(latest)


async def test_first_block_has_an_empty_last_commit(chain: Chain) -> None:
    """As CometBFT: an object with an empty block id, which cosmjs reads as "no last commit"."""
    first = (await rpc(chain.node, "block", height=1))["block"]
    assert first["header"]["last_block_id"] == {"hash": "", "parts": {"total": 0, "hash": ""}}
    assert first["last_commit"] == {
        "height": "0",
        "round": 0,
        "block_id": {"hash": "", "parts": {"total": 0, "hash": ""}},
        "signatures": [],
    }


async def test_block_txs_are_the_tx_raw_bytes(chain: Chain) -> None:
    txs = (await rpc(chain.node, "block", height=1))["block"]["data"]["txs"]
    assert [base64.b64decode(t) for t in txs] == chain.raws


async def test_block_id_without_a_stored_commit_is_computed(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = (await rpc(chain.node, "block", height=1))["block_id"]
    monkeypatch.setattr(chain.node, "block_id", lambda height: None)
    assert (await rpc(chain.node, "block", height=1))["block_id"] == expected


# -- URI requests (GET) -------------------------------------------------------------------


async def get(chain: Chain, name: str, **query: str) -> tuple[int, dict[str, Any]]:
    status, body = await server.answer_uri(Call(chain.node), name, list(query.items()), 1_000_000)
    return status, json.loads(body)


async def test_get_status_answers_as_post(chain: Chain) -> None:
    status, body = await get(chain, "status")
    assert status == 200
    assert body == {"jsonrpc": "2.0", "id": -1, "result": await rpc(chain.node, "status")}


async def test_get_params_as_cometbft_writes_them(chain: Chain) -> None:
    block = await rpc(chain.node, "block", height=1)
    assert (await get(chain, "block", height="1"))[1]["result"] == block
    assert (await get(chain, "block", height='"1"'))[1]["result"] == block
    assert (await get(chain, "tx", hash="0x" + chain.sent))[1]["result"]["hash"] == chain.sent
    status, body = await get(chain, "tx_search", query='"tx.height=1"', per_page="1", page="2")
    assert status == 200 and [t["hash"] for t in body["result"]["txs"]] == [chain.failed]
    assert (await get(chain, "header", height="", ignored="x"))[1]["result"]["header"]["height"] == "2"


async def test_get_tx_param_as_hex_or_quoted_bytes(chain: Chain) -> None:
    raw = send(0, 1)  # a spent sequence: rejected by CheckTx, the mempool stays as it was
    for text in ("0x" + raw.hex(), b64(raw)):
        status, body = await get(chain, "broadcast_tx_sync", tx=text)
        assert status == 200 and body["result"]["hash"] == tx_hash(raw)
    quoted = (await get(chain, "check_tx", tx='"not a tx"'))[1]["result"]
    assert quoted["code"] != 0  # the bytes of the string reached CheckTx


async def test_invalid_get_errors(chain: Chain) -> None:
    for name, query, status, code in [
        ("nothing_here", {}, 404, METHOD_NOT_FOUND),
        ("subscribe", {"query": "tm.event='NewBlock'"}, 404, SUBSCRIPTION),
        ("block", {"height": "99"}, 500, HEIGHT_UNAVAILABLE),
        ("broadcast_tx_sync", {"tx": "0xZZ"}, 500, INVALID_PARAMS),
        ("tx_search", {"query": '"unterminated'}, 500, INVALID_PARAMS),
    ]:
        answer = await get(chain, name, **query)
        assert (answer[0], answer[1]["id"], answer[1]["error"]["code"]) == (status, -1, code), name


async def test_get_over_http(chain: Chain) -> None:
    """The route itself: GET /status and GET /health as Keplr and load balancers send them; as
    in CometBFT, a POST to a method's path is a URI request too."""
    transport = httpx.ASGITransport(app=server.build_app(chain.node))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        status = await client.get("/status")
        health = await client.get("/health")
        missing = await client.get("/block", params={"height": "99"})
        posted = await client.post("/status")
        unknown = await client.post("/nope", json={})
        root = await client.get("/")
    assert status.status_code == 200 and status.headers["content-type"] == "application/json"
    assert posted.json() == status.json()
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, METHOD_NOT_FOUND)
    assert root.status_code == 405  # JSON-RPC is POST /
    assert status.json()["result"]["node_info"]["network"] == CHAIN_ID
    assert (health.status_code, health.json()) == (200, {"jsonrpc": "2.0", "id": -1, "result": {}})
    assert missing.status_code == 500 and missing.json()["error"]["code"] == HEIGHT_UNAVAILABLE
