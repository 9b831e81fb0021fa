"""kill -9 under load, three times, at different moments: the node comes back at the
height it had reached, with the same blocks, the same committed txs and balances
that add up to exactly the committed transfers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from genesis.schema import GenesisDoc, set_section
from node.validator_home import SELF_STAKE
from tests.e2e.harness import (
    DENOM,
    FEE,
    FUNDS,
    KEYS,
    NodeFactory,
    NodeProcess,
    PacedLoad,
    RPCFailure,
    Wallet,
    b64,
    e2e_key,
    tx_hash,
)
from tests.vm.helpers import NO_INFLATION
from vm.auth.ante import FEE_COLLECTOR
from vm.staking.store import BONDED_POOL
from vm.types import format_address, module_address

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SENDERS = KEYS[:3]
RECIPIENTS = [e2e_key(400 + i).address for i in range(3)]
# Seconds of load before each kill; spread over the 0.3 s block cycle.
KILL_AFTER_S = (0.85, 1.6, 2.45)
MAX_TXS_PER_PHASE = 600
# Paced so blocks hold tens of txs: looking each tx up by hash stays cheap enough.
LOAD_TXS_PER_S = 200
BLOCKCHAIN_PAGE = 20  # the most block metas `blockchain` returns at once
FEE_COLLECTOR_ADDRESS = format_address(FEE_COLLECTOR)
BONDED_POOL_ADDRESS = format_address(module_address(BONDED_POOL))
DISTRIBUTION_ADDRESS = format_address(module_address("distribution"))


def without_inflation(doc: GenesisDoc) -> None:
    """No coin is minted: supply and balances are exactly what the txs say."""
    set_section(doc, "mint", NO_INFLATION)


@dataclass(frozen=True)
class Transfer:
    sender: str
    recipient: str
    amount: int


@dataclass
class Ledger:
    """Every tx the load tried to send (recorded before it is sent, so none is missed)."""

    attempted: dict[str, Transfer] = field(default_factory=dict)
    admitted: set[str] = field(default_factory=set)
    next_amount: int = 1  # amounts are unique, so every tx has its own hash
    lock: threading.Lock = field(default_factory=threading.Lock)

    def admitted_now(self) -> list[str]:
        with self.lock:
            return list(self.admitted)


class Load(PacedLoad):
    """Sends bank transfers with broadcast_tx_sync until stopped, the node dies, or
    MAX_TXS_PER_PHASE is reached. Errors are kept for the test thread to raise."""

    def __init__(self, node: NodeProcess, ledger: Ledger) -> None:
        super().__init__("e2e-load", LOAD_TXS_PER_S, MAX_TXS_PER_PHASE)
        self.url = node.url
        self.ledger = ledger
        self.wallets = [Wallet(node, key) for key in SENDERS]  # sequences as committed now
        self.sent = 0

    def send_all(self) -> None:
        try:
            with httpx.Client(timeout=5.0) as http:
                self.pace(lambda index: self._send_one(http, index))
        except httpx.HTTPError:
            pass  # the node was killed under us: the point of the test

    def _send_one(self, http: httpx.Client, index: int) -> None:
        wallet = self.wallets[index % len(self.wallets)]
        recipient = RECIPIENTS[index % len(RECIPIENTS)]
        amount = self.ledger.next_amount
        self.ledger.next_amount += 1
        raw = wallet.sign([wallet.send_msg(recipient, amount)])
        with self.ledger.lock:
            self.ledger.attempted[tx_hash(raw)] = Transfer(wallet.address, recipient, amount)
        payload = {"jsonrpc": "2.0", "id": index, "method": "broadcast_tx_sync"}
        body = http.post(self.url, json={**payload, "params": {"tx": b64(raw)}}).json()
        result = body["result"]
        if result["code"] != 0:
            raise AssertionError(f"load tx rejected: {result}")
        with self.ledger.lock:
            self.ledger.admitted.add(result["hash"])
        wallet.sequence += 1
        self.sent += 1


@dataclass
class Snapshot:
    """What the node reported as committed: block hash and app hash per height, and
    the (height, index) of every committed tx."""

    height: int = 0
    blocks: dict[int, tuple[str, str]] = field(default_factory=dict)
    txs: dict[str, tuple[str, int]] = field(default_factory=dict)


def read_blocks(node: NodeProcess, up_to: int) -> dict[int, tuple[str, str]]:
    blocks: dict[int, tuple[str, str]] = {}
    for high in range(up_to, 0, -BLOCKCHAIN_PAGE):
        low = max(high - BLOCKCHAIN_PAGE + 1, 1)
        metas = node.rpc("blockchain", minHeight=low, maxHeight=high)["block_metas"]
        for meta in metas:
            blocks[int(meta["header"]["height"])] = (
                meta["block_id"]["hash"],
                meta["header"]["app_hash"],
            )
    assert sorted(blocks) == list(range(1, up_to + 1))
    return blocks


def find_committed(node: NodeProcess, hashes: list[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for hash_ in hashes:
        try:
            found[hash_] = node.rpc("tx", hash=hash_)
        except RPCFailure as exc:
            if exc.code != -32001:
                raise
    return found


def take_snapshot(node: NodeProcess, ledger: Ledger, snapshot: Snapshot) -> None:
    """Read what is committed now (the load keeps running meanwhile)."""
    height = node.height()
    assert height >= snapshot.height, "height went backwards"
    snapshot.height = height
    snapshot.blocks.update(read_blocks(node, height))
    unknown = [h for h in ledger.admitted_now() if h not in snapshot.txs]
    for hash_, result in find_committed(node, unknown).items():
        snapshot.txs[hash_] = (result["height"], result["index"])


def check_recovered(node: NodeProcess, snapshot: Snapshot) -> None:
    assert node.height() >= snapshot.height, "the node lost committed blocks"
    blocks = read_blocks(node, snapshot.height)
    assert blocks == {h: snapshot.blocks[h] for h in blocks}, "a committed block changed"
    for hash_, position in snapshot.txs.items():
        result = node.rpc("tx", hash=hash_)
        assert (result["height"], result["index"]) == position, hash_
        assert result["tx_result"]["code"] == 0


def test_crash_recovery(node_factory: NodeFactory) -> None:
    node = node_factory(edit_genesis=without_inflation)
    genesis_supply = node.supply()
    assert genesis_supply == FUNDS * len(KEYS) + SELF_STAKE  # the keys' funds and the validator's stake
    ledger = Ledger()
    snapshot = Snapshot()

    for kill_after in KILL_AFTER_S:
        load = Load(node, ledger)
        load.start()
        try:
            time.sleep(kill_after)
            take_snapshot(node, ledger, snapshot)
            node.kill9()
        finally:
            load.stop()
        assert load.sent > 0, "no load reached the node before the kill"
        node.start()
        check_recovered(node, snapshot)
        # A block signed but not committed before the kill is proposed again from the
        # engine's WAL as the next block: let it land before reading sequences.
        node.wait_height(node.height() + 1)

    assert len(snapshot.txs) > 0, "no tx committed before any kill"
    check_ledger(node, ledger, genesis_supply)

    # And a clean stop and start after all that changes nothing either.
    take_snapshot(node, ledger, snapshot)
    assert node.stop() == 0
    node.start()
    check_recovered(node, snapshot)
    assert node.supply(DENOM) == genesis_supply


def check_ledger(node: NodeProcess, ledger: Ledger, genesis_supply: int) -> None:
    """Balances, sequences and supply equal exactly what the committed txs say."""
    committed = find_committed(node, list(ledger.attempted))
    assert all(r["tx_result"]["code"] == 0 for r in committed.values())
    assert set(committed) <= ledger.attempted.keys()
    transfers = [ledger.attempted[h] for h in committed]

    expected: Counter[str] = Counter({key.address: FUNDS for key in KEYS})
    for transfer in transfers:
        expected[transfer.sender] -= transfer.amount + FEE
        expected[transfer.recipient] += transfer.amount
    # Only these txs paid fees: this block's wait in the fee collector, earlier blocks' were
    # shared out and are held, not yet withdrawn, by the distribution module account.
    fees = node.balance(FEE_COLLECTOR_ADDRESS) + node.balance(DISTRIBUTION_ADDRESS)
    assert fees == FEE * len(transfers)
    expected[BONDED_POOL_ADDRESS] = SELF_STAKE  # the validator's self-delegation
    for address, amount in expected.items():
        assert node.balance(address) == amount, address

    per_sender = Counter(t.sender for t in transfers)
    for key in SENDERS:
        assert int(node.account(key.address)["sequence"]) == per_sender[key.address]
    assert node.supply(DENOM) == genesis_supply
    assert sum(expected.values()) + fees == genesis_supply
