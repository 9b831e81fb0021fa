"""One validator of four (real ``depind start`` processes) killed with SIGKILL at random
moments under a steady load of bank sends, and started again from its home each time.

The moments are drawn from a seeded generator, 0.5 to 4 s after the victim last caught
up, so the kills land at different steps of a height (proposing, prevoting,
precommitting, the commit wait), with the WAL of that height partly written. The three
others commit without it before it restarts, so it comes back behind: it replays the WAL
of the height it was killed in, then catches up. A vote it signed twice would give the
others evidence against it. Afterwards:

- safety: every node has the same block at every height;
- no double signing: no block carries evidence, and the victim was never slashed, jailed
  or tombstoned;
- its precommits are in the commits again within a few blocks of its last restart;
- liveness: the three committed while it was down, every tx CheckTx admitted is committed
  exactly once, and the balances, fees and supply are exactly what the committed
  transfers say.
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from genesis import doc as genesis_doc
from genesis.funding import add_accounts
from genesis.schema import CoinJSON, SlashingGenesis, get_section, set_section
from node.services import VALCONS_HRP
from node.testnet import ACCOUNT_FUNDS, VALIDATOR_STAKE
from tests.e2e.harness import DENOM, FEE, FUNDS, POLL_S, PacedLoad, Wallet, b64, e2e_key, tx_hash
from tests.e2e.network import Network, NetworkFactory, ValidatorNode, check_same_chain, commit_signers
from tests.vm.helpers import NO_INFLATION
from vm.app import split_entry
from vm.auth.ante import FEE_COLLECTOR
from vm.crypto import VALOPER_HRP, address_from_pubkey, encode_address
from vm.staking.store import BONDED_POOL
from vm.types import format_address, module_address

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
SEED = 14  # the kill moments: the same draws every run (where in a height they land varies)
KILLS = 3
KILL_AFTER_S = (0.5, 4.0)  # uniform; a height takes well under a second here
BLOCKS_WHILE_DOWN = 2  # committed by the other three before the victim starts again
SIGNED_WITHIN_BLOCKS = 30  # after catching up (and re-forming its mesh), its precommit is in one of these
LOAD_TXS_PER_S = 60
MAX_LOAD_TXS = 9_000  # at most 150 s of load
WAIT_S = 60.0
START_S = 60.0  # a start imports the whole node: slow while three others and the load share 2 cores
SIGNED_BLOCKS_WINDOW = 10_000  # so the victim's downtime cannot jail it: not under test here
SENDERS = [e2e_key(1400 + i) for i in range(VALIDATORS - 1)]  # one per node the load goes through
RECIPIENTS = [e2e_key(1410 + i).address for i in range(VALIDATORS - 1)]
FEE_COLLECTOR_ADDRESS = format_address(FEE_COLLECTOR)
BONDED_POOL_ADDRESS = format_address(module_address(BONDED_POOL))
DISTRIBUTION_ADDRESS = format_address(module_address("distribution"))


def test_validator_killed_at_random_moments_under_load(network_factory: NetworkFactory) -> None:
    network = network_factory(VALIDATORS, start=False)
    prepare_genesis(network)
    network.start_all(min_height=2, timeout=START_S)
    *survivors, victim = network.nodes
    reader = survivors[0]
    genesis_supply = reader.supply()
    assert genesis_supply == VALIDATORS * ACCOUNT_FUNDS + len(SENDERS) * FUNDS

    load = Load(survivors)
    load.start()
    try:
        caught_up = kill_and_restart(network, victim, random.Random(SEED))
        first_signed_height(reader, victim, caught_up)
    finally:
        load.stop()
    assert load.admitted_now(), "no tx reached the network"

    scan = ChainScan()
    wait_all_committed(reader, scan, set(load.admitted_now()))
    network.wait_all_height(scan.height)
    check_same_chain(network.nodes, scan.height)
    assert scan.evidence == [], f"blocks carry evidence: {scan.evidence}"
    check_not_punished(reader, victim)
    check_committed_once(scan, load)
    check_balances(network.nodes, load, scan, genesis_supply)


# -- the network ------------------------------------------------------------------------------


def prepare_genesis(network: Network) -> None:
    """Fund the senders, mint nothing (so balances and supply are exact) and widen the
    signed-blocks window; every home gets the same document."""
    doc = genesis_doc.load(network.nodes[0].home.genesis_file)
    add_accounts(doc, [(key.address, [CoinJSON(denom=DENOM, amount=FUNDS)]) for key in SENDERS])
    set_section(doc, "mint", NO_INFLATION)
    slashing = get_section(doc, "slashing", SlashingGenesis)
    slashing.params.signed_blocks_window = SIGNED_BLOCKS_WINDOW
    set_section(doc, "slashing", slashing)
    for node in network.nodes:
        genesis_doc.save(doc, node.home.genesis_file)


def kill_and_restart(network: Network, victim: ValidatorNode, draws: random.Random) -> int:
    """KILLS times: wait a drawn moment, SIGKILL the victim, wait for the other three to
    commit BLOCKS_WHILE_DOWN blocks without it (the chain goes on with one of four down),
    start it from its home and wait until it has caught up. The height it last caught up to."""
    others = [node for node in network.nodes if node is not victim]
    caught_up = 0
    for _ in range(KILLS):
        time.sleep(draws.uniform(*KILL_AFTER_S))
        moment = victim.rpc("consensus_state")["round_state"]["height/round/step"]
        victim.kill9()
        print(f"killed {victim.name} at height/round/step {moment}")  # shown if the test fails
        down_at = max(network.heights(others))
        network.wait_all_height(down_at + BLOCKS_WHILE_DOWN, WAIT_S, nodes=others)
        victim.launch()
        victim.wait_started(timeout=START_S)
        caught_up = network.wait_caught_up(victim, WAIT_S)
    return caught_up


def first_signed_height(node: ValidatorNode, victim: ValidatorNode, after: int) -> int:
    """The first height above ``after`` whose commit holds the victim's precommit, read once
    the next block (whose last commit has the late precommits too) exists."""
    for height in range(after + 1, after + SIGNED_WITHIN_BLOCKS + 1):
        node.wait_height(height + 1, WAIT_S)
        if victim.validator_address in commit_signers(node, height):
            return height
    raise AssertionError(
        f"{victim.name}'s precommit is in none of the commits {after + 1}..{after + SIGNED_WITHIN_BLOCKS}"
    )


# -- the load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    sender: str
    recipient: str
    amount: int


class Load(PacedLoad):
    """Bank sends with broadcast_tx_sync, round robin over the senders, each sender through
    its own node (never the victim, whose mempool dies with it), until stopped or
    MAX_LOAD_TXS. Every tx is recorded before it is sent; the ones CheckTx admits in
    ``admitted``. Amounts are unique, so every tx has its own hash."""

    def __init__(self, nodes: list[ValidatorNode]) -> None:
        super().__init__("e2e-kill-load", LOAD_TXS_PER_S, MAX_LOAD_TXS)
        self.lanes = [
            (Wallet(node, key), recipient, node.url)
            for node, key, recipient in zip(nodes, SENDERS, RECIPIENTS, strict=True)
        ]
        self.attempted: dict[str, Transfer] = {}
        self.admitted: list[str] = []
        self.lock = threading.Lock()

    def send_all(self) -> None:
        with httpx.Client(timeout=WAIT_S) as http:  # this thread's own connections
            self.pace(lambda index: self.send_one(http, index))

    def send_one(self, http: httpx.Client, index: int) -> None:
        wallet, recipient, url = self.lanes[index % len(self.lanes)]
        amount = index + 1
        raw = wallet.sign([wallet.send_msg(recipient, amount)])
        with self.lock:
            self.attempted[tx_hash(raw)] = Transfer(wallet.address, recipient, amount)
        payload = {"jsonrpc": "2.0", "id": index, "method": "broadcast_tx_sync", "params": {"tx": b64(raw)}}
        result = http.post(url, json=payload).json()["result"]
        if result["code"] != 0:
            raise AssertionError(f"load tx refused by {url}: {result}")
        wallet.sequence += 1
        with self.lock:
            self.admitted.append(result["hash"])

    def admitted_now(self) -> list[str]:
        with self.lock:
            return list(self.admitted)


# -- what the chain holds ---------------------------------------------------------------------


@dataclass
class ChainScan:
    """What blocks 1 .. ``height`` of one node hold: how often each tx occurs (by hash; the
    proposer's beacon entry aside) and the heights whose block carries evidence."""

    height: int = 0
    txs: Counter[str] = field(default_factory=Counter)
    evidence: list[int] = field(default_factory=list)

    def read_through(self, node: ValidatorNode, height: int) -> None:
        for at in range(self.height + 1, height + 1):
            block = node.rpc("block", height=at)["block"]
            _, txs = split_entry([base64.b64decode(tx) for tx in block["data"]["txs"]])
            self.txs.update(tx_hash(tx) for tx in txs)
            if block["evidence"]["evidence"]:
                self.evidence.append(at)
            self.height = at


def wait_all_committed(node: ValidatorNode, scan: ChainScan, admitted: set[str]) -> None:
    """Scan ``node``'s blocks until every admitted tx is in one, all within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    for _ in range(int(WAIT_S / POLL_S) + 1):
        scan.read_through(node, node.height())
        missing = admitted - scan.txs.keys()
        if not missing:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    raise AssertionError(f"{len(missing)} admitted txs not committed by height {scan.height}")


def check_not_punished(node: ValidatorNode, victim: ValidatorNode) -> None:
    """The victim keeps its whole stake, unjailed and not tombstoned."""
    staking = node.rpc(
        "validator_staking", address=address_from_pubkey(victim.account_key.public_key, VALOPER_HRP)
    )
    assert (staking["jailed"], int(staking["tokens"])) == (False, VALIDATOR_STAKE)
    cons = encode_address(bytes.fromhex(victim.validator_address), VALCONS_HRP)
    info = httpx.get(f"{node.rest_url}/cosmos/slashing/v1beta1/signing_infos/{cons}", timeout=WAIT_S).json()
    assert info["val_signing_info"]["tombstoned"] is False


def check_committed_once(scan: ChainScan, load: Load) -> None:
    repeated = [hash_ for hash_, count in scan.txs.items() if count > 1]
    assert not repeated, f"txs committed more than once: {repeated}"
    assert scan.txs.keys() <= load.attempted.keys(), "a block holds a tx the load never sent"


def check_balances(nodes: list[ValidatorNode], load: Load, scan: ChainScan, genesis_supply: int) -> None:
    """Balances, sequences, fees and supply on every node are exactly what the committed
    transfers say."""
    transfers = [load.attempted[hash_] for hash_ in scan.txs]
    expected: Counter[str] = Counter({key.address: FUNDS for key in SENDERS})
    for transfer in transfers:
        expected[transfer.sender] -= transfer.amount + FEE
        expected[transfer.recipient] += transfer.amount
    for validator in nodes:
        expected[validator.account_address] = ACCOUNT_FUNDS - VALIDATOR_STAKE
    expected[BONDED_POOL_ADDRESS] = VALIDATORS * VALIDATOR_STAKE
    fees = FEE * len(transfers)
    assert sum(expected.values()) + fees == genesis_supply
    per_sender = Counter(transfer.sender for transfer in transfers)
    for node in nodes:
        for address, amount in expected.items():
            assert node.balance(address) == amount, f"{node.name}: {address}"
        # Fees wait in the fee collector for the block, then the distribution module holds them.
        assert node.balance(FEE_COLLECTOR_ADDRESS) + node.balance(DISTRIBUTION_ADDRESS) == fees, node.name
        for key in SENDERS:
            assert int(node.account(key.address)["sequence"]) == per_sender[key.address], node.name
        assert node.supply(DENOM) == genesis_supply, node.name
