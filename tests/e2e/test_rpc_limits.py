"""What one JSON-RPC body may cost, on a running node, over HTTP and WebSocket: a batch
over ``max_batch_requests`` is refused, answers stop at ``max_response_bytes`` (the rest
refused without running), and ``tx``/``tx_search`` with ``prove`` return Merkle proofs
that lead to the served header's data hash."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node import config as node_config
from tests.e2e.harness import KEYS, NodeProcess, Wallet, WSClient, b64, e2e_key, tx_hash
from tests.node.rpc.test_proofs import root_from_aunts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_BATCH = 8
MAX_RESPONSE_BYTES = 12_000
ERROR_BYTES = 300  # a generous bound on one error answer
REQUEST_TOO_LARGE = -32006
RESPONSE_TOO_LARGE = -32009
SENDS = 3
MAX_BLOCKCHAIN_RANGE = 20


@dataclasses.dataclass(frozen=True)
class Limited:
    """The module's node, with small RPC limits, and the hashes of the sends it committed."""

    node: NodeProcess
    hashes: list[str]


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Limited]:
    node = NodeProcess(tmp_path_factory.mktemp("rpc-limits"))
    try:
        set_limits(node.home.config_file)
        node.start()
        yield Limited(node, commit_sends(node))
        assert not node.logged_tracebacks(), node.log_tail()
    finally:
        node.close()


def set_limits(config_file: Path) -> None:
    config = node_config.load(config_file)
    rpc = dataclasses.replace(config.rpc, max_batch_requests=MAX_BATCH, max_response_bytes=MAX_RESPONSE_BYTES)
    config_file.write_text(node_config.render(dataclasses.replace(config, rpc=rpc)))


def commit_sends(node: NodeProcess) -> list[str]:
    wallet = Wallet(node, KEYS[0])
    hashes = []
    for amount in range(1, SENDS + 1):
        raw = wallet.sign([wallet.send_msg(e2e_key(300).address, amount)])
        assert node.rpc("broadcast_tx_sync", tx=b64(raw))["code"] == 0
        wallet.sequence += 1
        hashes.append(tx_hash(raw))
    for hash_ in hashes:
        node.wait_tx(hash_)
    return hashes


def requests(method: str, count: int) -> list[dict[str, Any]]:
    return [{"jsonrpc": "2.0", "id": n, "method": method} for n in range(count)]


def check_bounded_batch(answers: list[dict[str, Any]], body_bytes: int) -> None:
    """Results first, then RESPONSE_TOO_LARGE for the request that would pass the limit and
    every one after it; the body stays within the limit and one error per refusal."""
    assert [a["id"] for a in answers] == list(range(MAX_BATCH))
    served = [a for a in answers if "result" in a]
    assert 1 <= len(served) < MAX_BATCH
    assert answers[: len(served)] == served
    assert {a["error"]["code"] for a in answers[len(served) :]} == {RESPONSE_TOO_LARGE}
    assert body_bytes <= MAX_RESPONSE_BYTES + ERROR_BYTES * (MAX_BATCH - len(served))


def test_batch_over_max_batch_requests(limited: Limited) -> None:
    answer = limited.node.post(requests("health", MAX_BATCH + 1)).json()
    assert answer["error"]["code"] == REQUEST_TOO_LARGE
    with WSClient(limited.node.ws_url) as ws:
        ws.send_text(json.dumps(requests("health", MAX_BATCH + 1)))
        assert ws.receive(10.0)["error"]["code"] == REQUEST_TOO_LARGE
        ws.send_text(json.dumps(requests("health", MAX_BATCH)))
        assert [a["result"] for a in ws.receive(10.0)] == [{}] * MAX_BATCH


def test_answers_stop_at_max_response_bytes(limited: Limited) -> None:
    one = len(limited.node.post(requests("genesis", 1)[0]).content)
    assert MAX_RESPONSE_BYTES // MAX_BATCH < one < MAX_RESPONSE_BYTES  # so the batch below passes it
    response = limited.node.post(requests("genesis", MAX_BATCH))
    check_bounded_batch(response.json(), len(response.content))
    with WSClient(limited.node.ws_url) as ws:
        ws.send_text(json.dumps(requests("genesis", MAX_BATCH)))
        text = ws.connection.recv(timeout=10.0)
        assert isinstance(text, str)
        check_bounded_batch(json.loads(text), len(text.encode()))


def test_invalid_single_answer_over_max_response_bytes(limited: Limited) -> None:
    """Enough block metas take more than the limit: one clear error instead."""
    node = limited.node
    one_meta = len(json.dumps(node.rpc("blockchain", minHeight=1, maxHeight=1)["block_metas"][0]))
    metas = MAX_RESPONSE_BYTES // one_meta + 2
    assert metas <= MAX_BLOCKCHAIN_RANGE
    node.wait_height(metas)
    answer = node.rpc_response("blockchain", minHeight=1, maxHeight=metas)
    assert answer["error"]["code"] == RESPONSE_TOO_LARGE
    assert "max_response_bytes" in answer["error"]["data"]
    assert len(node.rpc("blockchain", minHeight=1, maxHeight=2)["block_metas"]) == 2


def test_tx_proofs_lead_to_the_header_data_hash(limited: Limited) -> None:
    node = limited.node
    for hash_ in limited.hashes:
        found = node.rpc("tx", hash=hash_, prove=True)
        check_proof(node, found)
    height = int(node.rpc("tx", hash=limited.hashes[0])["height"])
    searched = node.rpc("tx_search", query=f"tx.height={height}", prove=True)
    assert searched["txs"]
    for found in searched["txs"]:
        check_proof(node, found)


def check_proof(node: NodeProcess, found: dict[str, Any]) -> None:
    header = node.rpc("header", height=int(found["height"]))["header"]
    proof = found["proof"]
    assert proof["root_hash"] == header["data_hash"]
    assert proof["data"] == found["tx"]
    total, index = int(proof["proof"]["total"]), int(proof["proof"]["index"])
    assert index == found["index"]
    leaf = base64.b64decode(proof["proof"]["leaf_hash"])
    aunts = [base64.b64decode(aunt) for aunt in proof["proof"]["aunts"]]
    assert root_from_aunts(index, total, leaf, aunts).hex().upper() == header["data_hash"]
