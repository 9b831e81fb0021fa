"""Networks of real depind validators from ``depind testnet``: they agree block by block,
a tx sent to one node is committed and seen by all, and a validator killed under load
rejoins on the same chain without losing a committed tx."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from node.testnet import ACCOUNT_FUNDS, ACCOUNTS_FILE, VALIDATOR_STAKE
from tests.e2e.harness import FEE, PacedLoad, RPCFailure, Wallet, b64, e2e_key, tx_hash
from tests.e2e.network import (
    NetworkFactory,
    ValidatorNode,
    block_hashes,
    chain_view,
    commit_signers,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AMOUNT = 1_000
LOAD_TXS_PER_S = 20
MAX_LOAD_TXS = 400
LOAD_BEFORE_KILL_S = 1.0
BLOCKS_WITHOUT_VICTIM = 3
COMMIT_TIMEOUT_S = 20.0


def send(sender: Wallet, via: ValidatorNode, recipient: str, amount: int) -> str:
    """Sign a bank send with ``sender``, broadcast it to ``via`` (sync); its hash."""
    raw = sender.sign([sender.send_msg(recipient, amount)])
    result = via.rpc("broadcast_tx_sync", tx=b64(raw))
    assert (result["code"], result["hash"]) == (0, tx_hash(raw)), result
    sender.sequence += 1
    return tx_hash(raw)


def test_single_validator_network(network_factory: NetworkFactory) -> None:
    network = network_factory(1)
    [node] = network.nodes
    assert (network.root / ACCOUNTS_FILE).exists()
    assert node.port == network.starting_port + 1
    network.wait_all_height(3, timeout=15)

    recipient = e2e_key(700).address
    hash_ = send(Wallet(node, node.account_key), node, recipient, AMOUNT)
    assert node.wait_tx(hash_)["tx_result"]["code"] == 0
    assert node.balance(recipient) == AMOUNT
    assert node.balance(node.account_address) == ACCOUNT_FUNDS - VALIDATOR_STAKE - AMOUNT - FEE
    assert commit_signers(node, 2) == {node.validator_address}

    heights = range(1, 4)
    before = chain_view(node, heights)
    assert len(set(block_hashes(node, heights).values())) == len(heights)
    node.kill9()
    node.start(min_height=3)
    assert chain_view(node, heights) == before
    assert node.rpc("tx", hash=hash_)["tx_result"]["code"] == 0


def test_four_validators_agree_on_every_block(network_factory: NetworkFactory) -> None:
    network = network_factory(4)
    network.wait_all_height(5, timeout=30)

    heights = range(1, 6)
    reference = chain_view(network.nodes[0], heights)
    for node in network.nodes[1:]:
        assert chain_view(node, heights) == reference, node.name
    validators = {node.validator_address for node in network.nodes}
    for height in heights:
        signers = commit_signers(network.nodes[0], height)
        assert signers <= validators
        assert len(signers) >= 3, f"block {height} committed by {signers}"


def test_tx_sent_to_one_node_is_seen_by_another(network_factory: NetworkFactory) -> None:
    network = network_factory(4)
    node0, _, node2, node3 = network.nodes
    recipient = e2e_key(701).address

    hash_ = send(Wallet(node2, node0.account_key), node2, recipient, AMOUNT)
    committed = node3.wait_tx(hash_, timeout=COMMIT_TIMEOUT_S)
    assert committed["tx_result"]["code"] == 0
    height = int(committed["height"])
    assert node3.balance(recipient) == AMOUNT
    assert node3.balance(node0.account_address) == ACCOUNT_FUNDS - VALIDATOR_STAKE - AMOUNT - FEE
    network.wait_all_height(height, timeout=COMMIT_TIMEOUT_S)
    for node in network.nodes:
        assert node.rpc("tx", hash=hash_)["height"] == committed["height"], node.name


class Load(PacedLoad):
    """Bank sends with broadcast_tx_sync, each node's account through its own node,
    round robin, until stopped or MAX_LOAD_TXS; errors are kept for ``stop`` to raise."""

    def __init__(self, nodes: list[ValidatorNode]) -> None:
        super().__init__("e2e-network-load", LOAD_TXS_PER_S, MAX_LOAD_TXS)
        self.senders = [(Wallet(node, node.account_key), node) for node in nodes]
        self.recipient = e2e_key(702).address
        self.admitted: list[str] = []
        self.lock = threading.Lock()

    def send(self, index: int) -> None:
        wallet, node = self.senders[index % len(self.senders)]
        hash_ = send(wallet, node, self.recipient, AMOUNT + index)
        with self.lock:
            self.admitted.append(hash_)

    def admitted_now(self) -> list[str]:
        with self.lock:
            return list(self.admitted)


def wait_committed(node: ValidatorNode, hashes: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    """Each tx's result on ``node``, waiting (all within ``timeout``) for those not yet in."""
    deadline = time.monotonic() + timeout
    return {hash_: node.wait_tx(hash_, max(deadline - time.monotonic(), 0.1)) for hash_ in hashes}


def test_killed_validator_rejoins_without_losing_txs(network_factory: NetworkFactory) -> None:
    network = network_factory(4, min_height=2)
    *survivors, victim = network.nodes

    load = Load(survivors)
    load.start()
    try:
        time.sleep(LOAD_BEFORE_KILL_S)
        victim.kill9()
        killed_at = max(network.heights(survivors))
        network.wait_all_height(killed_at + BLOCKS_WITHOUT_VICTIM, timeout=30, nodes=survivors)
    finally:
        load.stop()
    admitted = load.admitted_now()
    assert admitted, "no tx reached the network before the kill"
    committed = wait_committed(survivors[0], admitted, COMMIT_TIMEOUT_S)
    assert all(result["tx_result"]["code"] == 0 for result in committed.values())

    victim.start()
    caught_up = network.wait_caught_up(victim, timeout=30)
    network.wait_all_height(caught_up)  # the survivors that were a block behind, too
    heights = range(1, caught_up + 1)
    reference = chain_view(survivors[0], heights)
    for node in network.nodes[1:]:
        assert chain_view(node, heights) == reference, node.name
    for hash_, result in committed.items():
        try:
            found = victim.rpc("tx", hash=hash_)
        except RPCFailure as exc:
            raise AssertionError(f"{victim.name} lost committed tx {hash_}: {exc}") from None
        assert (found["height"], found["index"]) == (result["height"], result["index"]), hash_
