"""node.rpc.methods over committed txs: ``tx`` and ``tx_search`` with proofs, pagination
and bounded index reads, and ``block_results`` and ``blockchain`` within their bounds.

One single-validator chain serves the module, built once by hand (no processes):

    height 1: alice->carol, alice->carol, bob->dave
    height 2: alice->dave, bob->carol, alice->carol, bob->carol, alice->dave
    height 3: no txs
    height 4: bob->carol
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import trio

from genesis.schema import CoinJSON
from node.client import build_tx
from node.home import Home, add_genesis_account
from node.keys.hd import PrivateKey
from node.node import Node
from node.rpc import methods, present, server
from node.rpc.errors import INVALID_PARAMS, NOT_FOUND, RESPONSE_TOO_LARGE, RPCError
from node.rpc.methods import Call
from node.validator_home import init_solo_home
from tests.node.rpc.support import Turns, rpc, rpc_error
from tests.node.rpc.test_proofs import root_from_aunts
from vm.bank.msgs import MsgSend
from vm.types import Coin

CHAIN_ID = "txs-1"
DENOM = "udepin"
GAS = 200_000
FEE = 2_000


def key(name: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(name.encode()).digest())


ALICE, BOB, CAROL, DAVE = (key(name) for name in ("alice", "bob", "carol", "dave"))
BLOCKS = [
    [(ALICE, CAROL), (ALICE, CAROL), (BOB, DAVE)],
    [(ALICE, DAVE), (BOB, CAROL), (ALICE, CAROL), (BOB, CAROL), (ALICE, DAVE)],
    [],
    [(BOB, CAROL)],
]


@dataclass(frozen=True)
class Chain:
    node: Node
    hashes: list[list[str]]  # per height (from 1), the upper-case hex hash of each tx

    def where(self, predicate: Callable[[int, PrivateKey, PrivateKey], bool]) -> list[str]:
        """Hashes of the txs (height, sender, recipient) that ``predicate`` picks, in chain order."""
        return [
            self.hashes[height - 1][index]
            for height, sends in enumerate(BLOCKS, 1)
            for index, (sender, recipient) in enumerate(sends)
            if predicate(height, sender, recipient)
        ]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    home = Home(tmp_path_factory.mktemp("txs") / "home")
    init_solo_home(home, "txs", CHAIN_ID)
    for sender in (ALICE, BOB):
        add_genesis_account(home, sender.address, [CoinJSON(denom=DENOM, amount=10**12)])
    node = Node.open(home)
    node.app.beacon_source = None  # no beacon entries: every block holds exactly the txs sent
    try:
        yield Chain(node, trio.run(commit_blocks, node))
    finally:
        node.close()


async def commit_blocks(node: Node) -> list[list[str]]:
    numbers = {
        k: int((await rpc(node, "account", address=k.address))["account_number"]) for k in (ALICE, BOB)
    }
    sequences = dict.fromkeys(numbers, 0)
    engine = node.solo()
    hashes = []
    for sends in BLOCKS:
        raws = []
        for sender, recipient in sends:
            message = MsgSend(sender.address, recipient.address, [Coin(DENOM, 1)])
            fee = [Coin(DENOM, FEE)]
            raws.append(build_tx(sender, CHAIN_ID, numbers[sender], sequences[sender], [message], fee, GAS))
            sequences[sender] += 1
        for raw in raws:
            assert (await node.submit_tx(raw)).code == 0
        block = await engine.produce_block()
        assert block.data.txs == raws
        hashes.append([hashlib.sha256(raw).hexdigest().upper() for raw in raws])
    return hashes


async def search(chain: Chain, query: str, **params: Any) -> tuple[list[str], str]:
    found = await rpc(chain.node, "tx_search", query=query, **params)
    return [t["hash"] for t in found["txs"]], found["total_count"]


def counting_reads(monkeypatch: pytest.MonkeyPatch, chain: Chain, name: str) -> list[int]:
    """Count the locations the index method ``name`` of the chain store hands out."""
    reads = [0]
    original = getattr(chain.node.chain, name)

    def counted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for location in original(*args, **kwargs):
            reads[0] += 1
            yield location

    monkeypatch.setattr(chain.node.chain, name, counted)
    return reads


async def turns_given(work: Callable[[], Awaitable[Any]]) -> int:
    """How many turns another task gets while ``work`` runs."""
    turns = Turns()
    async with trio.open_nursery() as nursery:
        await nursery.start(turns.run)
        before = turns.count
        await work()
        nursery.cancel_scope.cancel()
    return turns.count - before


# -- tx and its proof ----------------------------------------------------------------------


async def test_tx_without_prove_has_no_proof(chain: Chain) -> None:
    found = await rpc(chain.node, "tx", hash=chain.hashes[1][2])
    assert (found["height"], found["index"]) == ("2", 2)
    assert "proof" not in found


@pytest.mark.parametrize("height", [1, 2, 4])
async def test_tx_proof_leads_to_the_data_hash(chain: Chain, height: int) -> None:
    data_hash = (await rpc(chain.node, "header", height=height))["header"]["data_hash"]
    for index, tx_hash in enumerate(chain.hashes[height - 1]):
        found = await rpc(chain.node, "tx", hash=tx_hash, prove=True)
        proof = found["proof"]
        assert proof["root_hash"] == data_hash
        assert proof["data"] == found["tx"]
        assert (proof["proof"]["total"], proof["proof"]["index"]) == (
            str(len(BLOCKS[height - 1])),
            str(index),
        )
        leaf = base64.b64decode(proof["proof"]["leaf_hash"])
        aunts = [base64.b64decode(aunt) for aunt in proof["proof"]["aunts"]]
        assert root_from_aunts(index, len(BLOCKS[height - 1]), leaf, aunts).hex().upper() == data_hash


async def test_tx_search_proves_each_tx(chain: Chain) -> None:
    found = await rpc(chain.node, "tx_search", query="tx.height=2", prove=True)
    data_hash = (await rpc(chain.node, "header", height=2))["header"]["data_hash"]
    assert [t["proof"]["root_hash"] for t in found["txs"]] == [data_hash] * 5
    assert [t["proof"]["proof"]["index"] for t in found["txs"]] == ["0", "1", "2", "3", "4"]


# -- tx_search -------------------------------------------------------------------------------


async def test_tx_search_by_attribute_in_both_orders(chain: Chain) -> None:
    to_carol = chain.where(lambda _, __, recipient: recipient == CAROL)
    assert await search(chain, f"transfer.recipient='{CAROL.address}'") == (to_carol, "6")
    newest_first = await search(chain, f"transfer.recipient='{CAROL.address}'", order_by="desc")
    assert newest_first == (to_carol[::-1], "6")


async def test_tx_search_pages(chain: Chain) -> None:
    to_carol = chain.where(lambda _, __, recipient: recipient == CAROL)
    query = f"transfer.recipient='{CAROL.address}'"
    pages = [await search(chain, query, per_page=4, page=page) for page in (1, 2)]
    assert pages == [(to_carol[:4], "6"), (to_carol[4:], "6")]
    assert await search(chain, query, per_page=4, page=2, order_by="desc") == (to_carol[::-1][4:], "6")
    error = await rpc_error(chain.node, "tx_search", query=query, per_page=4, page=3)
    assert (error.code, error.data) == (INVALID_PARAMS, "page should be within [1, 2] range, given 3")


async def test_tx_search_intersects_conditions(chain: Chain) -> None:
    query = f"message.sender='{ALICE.address}' AND transfer.recipient='{CAROL.address}'"
    alice_to_carol = chain.where(lambda _, sender, recipient: (sender, recipient) == (ALICE, CAROL))
    assert await search(chain, query) == (alice_to_carol, "3")
    assert await search(chain, query, order_by="desc") == (alice_to_carol[::-1], "3")


@pytest.mark.parametrize(
    ("condition", "heights"),
    [
        ("tx.height=2", {2}),
        ("tx.height>=2", {2, 4}),
        ("tx.height>1 AND tx.height<4", {2}),
        ("tx.height<=1", {1}),
        ("tx.height<-5", set()),
        ("tx.height>99", set()),
    ],
)
async def test_tx_search_by_height(chain: Chain, condition: str, heights: set[int]) -> None:
    every = chain.where(lambda height, _, __: height in heights)
    assert await search(chain, condition) == (every, str(len(every)))
    to_dave = chain.where(lambda height, _, recipient: height in heights and recipient == DAVE)
    with_attribute = await search(chain, f"{condition} AND transfer.recipient='{DAVE.address}'")
    assert with_attribute == (to_dave, str(len(to_dave)))


async def test_tx_search_by_hash_within_heights(chain: Chain) -> None:
    wanted = chain.hashes[1][3]
    assert await search(chain, f"tx.hash='{wanted}'") == ([wanted], "1")
    assert await search(chain, f"tx.hash='{wanted}' AND tx.height=2") == ([wanted], "1")
    assert await search(chain, f"tx.hash='{wanted}' AND tx.height=1") == ([], "0")


async def test_tx_search_counts_to_the_limit_then_stops_reading(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count stops at MAX_SEARCH_COUNT: no more of the index is read, pages past it are refused."""
    monkeypatch.setattr(methods, "MAX_SEARCH_COUNT", 4)
    reads = counting_reads(monkeypatch, chain, "txs_in_heights")
    every = chain.where(lambda *_: True)
    assert await search(chain, "tx.height>=1", per_page=3) == (every[:3], "4")
    assert reads == [4]
    assert await search(chain, "tx.height>=1", per_page=3, page=2) == (every[3:4], "4")
    error = await rpc_error(chain.node, "tx_search", query="tx.height>=1", per_page=3, page=3)
    assert (error.code, error.data) == (INVALID_PARAMS, "page should be within [1, 2] range, given 3")


async def test_invalid_tx_search_reading_too_much_of_the_index(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice's five sends and Dave's three receipts meet in six steps; two of them match."""
    query = f"message.sender='{ALICE.address}' AND transfer.recipient='{DAVE.address}'"
    monkeypatch.setattr(methods, "MAX_SEARCH_READS", 6)
    assert await search(chain, query) == (chain.where(lambda _, s, r: (s, r) == (ALICE, DAVE)), "2")
    monkeypatch.setattr(methods, "MAX_SEARCH_READS", 5)
    error = await rpc_error(chain.node, "tx_search", query=query)
    assert error.code == INVALID_PARAMS
    assert "narrow it" in error.data


async def test_tx_search_reads_each_block_once_per_page(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[int] = []
    load_block = chain.node.chain.load_block

    def counted(height: int) -> Any:
        loaded.append(height)
        return load_block(height)

    monkeypatch.setattr(chain.node.chain, "load_block", counted)
    await search(chain, "tx.height>=1", prove=True)
    assert loaded == [1, 2, 4]


async def test_tx_search_lets_other_tasks_run(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(methods, "CHECKPOINT_EVERY", 2)
    query = f"message.sender='{ALICE.address}' AND transfer.recipient='{DAVE.address}'"
    assert await turns_given(lambda: search(chain, query)) >= 3


# -- block_results and blockchain ------------------------------------------------------------


async def test_block_results(chain: Chain) -> None:
    found = await rpc(chain.node, "block_results", height=2)
    stored = chain.node.chain.load_results(2)
    assert stored is not None
    assert found["txs_results"] == [present.tx_result(r) for r in stored.txs_results]
    assert (found["height"], len(found["txs_results"])) == ("2", 5)


async def test_invalid_block_results_over_the_response_budget(chain: Chain) -> None:
    """The budget is the bytes left to the answer; five results do not fit in one's size."""
    stored = chain.node.chain.load_results(2)
    assert stored is not None
    one_result = len(json.dumps(present.tx_result(stored.txs_results[0])))
    with pytest.raises(RPCError) as caught:
        await server.dispatch(Call(chain.node, response_budget=one_result), "block_results", {"height": 2})
    assert caught.value.code == RESPONSE_TOO_LARGE
    assert "tx_search" in caught.value.data


async def test_blockchain_lets_other_tasks_run_between_blocks(chain: Chain) -> None:
    metas: list[Any] = []

    async def work() -> None:
        metas.extend((await rpc(chain.node, "blockchain"))["block_metas"])

    assert await turns_given(work) >= 3
    assert [m["header"]["height"] for m in metas] == ["4", "3", "2", "1"]


# -- decoded txs (node/rpc/decoded.py) -----------------------------------------------------


async def test_decoded_tx_shows_the_messages_fee_and_events(chain: Chain) -> None:
    tx_hash = chain.hashes[0][2]  # bob->dave
    found = await rpc(chain.node, "decoded_tx", hash=tx_hash.lower())
    (message,) = found["tx"]["body"]["messages"]
    assert message["@type"] == "/cosmos.bank.v1beta1.MsgSend"
    assert (message["from_address"], message["to_address"]) == (BOB.address, DAVE.address)
    assert message["amount"] == [{"denom": DENOM, "amount": "1"}]
    assert found["tx"]["auth_info"]["fee"]["amount"] == [{"denom": DENOM, "amount": str(FEE)}]
    response = found["tx_response"]
    assert (response["txhash"], response["height"], response["code"]) == (tx_hash, "1", 0)
    assert "transfer" in {event["type"] for event in response["events"]}


async def test_decoded_txs_pages_newest_first(chain: Chain) -> None:
    query = f"message.sender='{ALICE.address}'"
    first = await rpc(chain.node, "decoded_txs", query=query, per_page=2, order_by="desc")
    second = await rpc(chain.node, "decoded_txs", query=query, page=2, per_page=2, order_by="desc")
    alice = chain.where(lambda _, sender, __: sender == ALICE)
    hashes = [r["txhash"] for r in first["tx_responses"] + second["tx_responses"]]
    assert hashes == alice[::-1][:4]
    assert first["total"] == str(len(alice))
    assert [t["body"]["messages"][0]["from_address"] for t in first["txs"]] == [ALICE.address] * 2


@pytest.mark.parametrize(
    ("method", "params", "code", "words"),
    [
        ("decoded_tx", {"hash": "00" * 32}, NOT_FOUND, "not found"),
        ("decoded_tx", {"hash": "xyz"}, INVALID_PARAMS, "hex or base64"),
        ("decoded_txs", {"query": "tx.height=1", "order_by": "up"}, INVALID_PARAMS, "order_by"),
        ("decoded_txs", {"query": "tx.height=1", "per_page": 101}, INVALID_PARAMS, "per_page"),
        ("decoded_txs", {"query": "tx.height=1", "page": 0}, INVALID_PARAMS, "page"),
        ("decoded_txs", {"query": "tx.height=="}, INVALID_PARAMS, "cannot parse"),
    ],
)
async def test_invalid_decoded_requests(
    chain: Chain, method: str, params: dict[str, Any], code: int, words: str
) -> None:
    error = await rpc_error(chain.node, method, **params)
    assert error.code == code
    assert words in str(error.to_json()["data"])


async def test_block_events_are_block_results_without_the_txs(chain: Chain) -> None:
    found = await rpc(chain.node, "block_events", minHeight=1, maxHeight=len(BLOCKS))
    assert [b["height"] for b in found["blocks"]] == [str(h) for h in range(len(BLOCKS), 0, -1)]
    for block in found["blocks"]:
        results = await rpc(chain.node, "block_results", height=int(block["height"]))
        assert block["finalize_block_events"] == results["finalize_block_events"]
    assert any(block["finalize_block_events"] for block in found["blocks"])  # the test can see them
    assert found["last_height"] == str(len(BLOCKS))


async def test_block_events_without_a_range_end_at_the_latest_block(chain: Chain) -> None:
    found = await rpc(chain.node, "block_events", minHeight=3)
    assert [b["height"] for b in found["blocks"]] == [str(len(BLOCKS)), "3"]


async def test_invalid_block_events_range(chain: Chain) -> None:
    error = await rpc_error(chain.node, "block_events", minHeight=3, maxHeight=2)
    assert error.code == INVALID_PARAMS
