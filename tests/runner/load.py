"""The load: one paced thread (a ``Lane``) per kind of transaction the manifest asks for,
each signing with its own funded keys and sending with ``broadcast_tx_sync`` as a client
would: each key through one node, and through the next one that answers once that node
does not (the keys of a lane start on different nodes).

Every tx is written in the ``Ledger`` before it is sent. A tx counts as committed when the
follower (chain.py) reads it in a block a node served: that block's height, hash and the
tx's result code are kept, and the checks later look for the tx on every node. A tx a
node admitted and then lost (its mempool died with it) is only counted: a client was
never told it was committed.

A refused tx is counted by its code; a sequence the chain did not expect (code 32) is
corrected from CheckTx's log ("expected N"), as Cosmos clients do. Every lane sends at
most ``rate x duration`` txs and stops when asked; each HTTP request is bounded in time.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import msgspec

from gpu.jobs import GemmSpec, job_header
from node.keys.hd import PrivateKey
from tests.e2e.harness import DENOM, TRACEBACK_MARKERS, PacedLoad, Wallet, b64, tx_hash
from tests.e2e.market_setup import FUNDS as MARKET_FUNDS
from tests.e2e.market_setup import H100, RATE, Market
from tests.runner.manifest import LoadSpec
from vm.compute.msgs import MsgSubmitJob
from vm.gov.msgs import MsgSubmitProposal, MsgVote
from vm.gov.tally import VoteOption
from vm.market.msgs import MsgCancelOrder, MsgCloseLease, MsgCreateOrder
from vm.market.types import Requirements
from vm.msg import Msg
from vm.staking.msgs import MsgDelegate, MsgUndelegate
from vm.types import Coin

KEYS_PER_LANE = 3
VOTERS = 4
REQUEST_TIMEOUT_S = 3.0  # a paused node accepts a connection and never answers
SUSPECT_S = 5.0  # how long a node that did not answer is passed over
WRONG_SEQUENCE = 32
EXPECTED_SEQUENCE = re.compile(r"expected (\d+)")
DELEGATION = 10_000  # a hundredth of a unit of power: the load barely moves the stakes
UNDELEGATION = 4_000
ORDER_S = 120  # the offer takes leases of 60 s to an hour
JOB_PRICE = 200_000
JOB_DEADLINE_BLOCKS = 60
JOB_SIZE = 64  # m = k = n: checked in milliseconds by every committee member
PROPOSAL_DEPOSIT = 1_000_000  # the testbed's gov min deposit
PROPOSAL_PAUSE = 10  # turns after submitting a proposal before another may be
VOTE_MARGIN_BLOCKS = 3  # a proposal this close to its end takes no more votes
LOG_CHARS = 300
FUNDER = PrivateKey(hashlib.sha256(b"runner-funder").digest())


def lane_keys(kind: str, count: int) -> list[PrivateKey]:
    return [PrivateKey(hashlib.sha256(f"runner-{kind}-{i}".encode()).digest()) for i in range(count)]


def funded_keys(kinds: Sequence[str]) -> list[PrivateKey]:
    """Every key the load signs with (funded in genesis), and the provider's funder."""
    return [FUNDER, *(key for kind in kinds for key in lane_keys(kind, keys_of(kind)))]


def keys_of(kind: str) -> int:
    return 1 + VOTERS if kind == "gov_votes" else KEYS_PER_LANE


# -- what the load sent, and what was committed -----------------------------------------------------


@dataclass
class LaneStats:
    sent: int = 0
    admitted: int = 0
    unreachable: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by CheckTx code (or JSON-RPC error)
    committed: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # committed with a non-zero code: by codespace/code


@dataclass(frozen=True)
class TxOutcome:
    """A tx in a block, as its results say."""

    hash: str
    code: int
    codespace: str
    log: str


@dataclass(frozen=True)
class Committed:
    """Where a node first showed a tx of the load: in its block at ``height``."""

    lane: str
    height: int
    block_hash: str
    code: int
    node: str


class Ledger:
    """What every lane sent and what the follower saw committed; shared by their threads."""

    def __init__(self, kinds: Sequence[str]) -> None:
        self.stats = {kind: LaneStats() for kind in kinds}
        self.attempted: dict[str, str] = {}  # tx hash -> lane
        self.committed: dict[str, Committed] = {}
        self.repeated: list[tuple[str, int]] = []  # (tx hash, height) of a second inclusion
        self.faults: list[str] = []  # answers no node should give (a traceback)
        self.logs: dict[str, str] = {}  # one log per lane and refusal or failure code, for the report
        self._lock = threading.Lock()

    def attempt(self, lane: str, hash_: str) -> None:
        with self._lock:
            self.attempted[hash_] = lane
            self.stats[lane].sent += 1

    def admit(self, lane: str) -> None:
        with self._lock:
            self.stats[lane].admitted += 1

    def unreachable(self, lane: str) -> None:
        with self._lock:
            self.stats[lane].unreachable += 1

    def refuse(self, lane: str, code: str, log: str) -> None:
        with self._lock:
            self.stats[lane].refused[code] += 1
            self.logs.setdefault(f"{lane} refused {code}", log[:LOG_CHARS])

    def fault(self, text: str) -> None:
        with self._lock:
            self.faults.append(text)

    def observe_block(self, height: int, block_hash: str, node: str, txs: Sequence[TxOutcome]) -> None:
        """The outcome of each tx in a block ``node`` served."""
        with self._lock:
            for tx in txs:
                lane = self.attempted.get(tx.hash)
                if lane is None:
                    continue  # a worker's or a verifier's tx
                if tx.hash in self.committed:
                    self.repeated.append((tx.hash, height))
                    continue
                self.committed[tx.hash] = Committed(lane, height, block_hash, tx.code, node)
                self.stats[lane].committed += 1
                if tx.code != 0:
                    code = f"{tx.codespace}/{tx.code}"
                    self.stats[lane].failed[code] += 1
                    self.logs.setdefault(f"{lane} failed {code}", tx.log[:LOG_CHARS])


class Endpoints:
    """The nodes' JSON-RPC URLs, taken in turn, or a preferred one while it answers; one that
    did not answer is passed over for SUSPECT_S (unless every node is)."""

    def __init__(self, urls: Mapping[str, str]) -> None:
        self.urls = dict(urls)
        self._names = list(urls)
        self._turn = 0
        self._suspect_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def pick(self, prefer: str | None = None) -> tuple[str, str]:
        with self._lock:
            now = time.monotonic()
            if prefer is not None and self._suspect_until.get(prefer, 0.0) <= now:
                return prefer, self.urls[prefer]
            for _ in range(len(self._names)):
                name = self._names[self._turn % len(self._names)]
                self._turn += 1
                if self._suspect_until.get(name, 0.0) <= now:
                    return name, self.urls[name]
            name = min(self._names, key=lambda n: self._suspect_until.get(n, 0.0))
            return name, self.urls[name]

    def suspect(self, name: str) -> None:
        with self._lock:
            self._suspect_until[name] = time.monotonic() + SUSPECT_S


class CallFailed(Exception):
    """A node answered a query with a JSON-RPC error."""


# -- lanes ----------------------------------------------------------------------------------------


class Lane(PacedLoad):
    """Sends ``rate`` txs a second for ``duration_s`` (at most), each built by ``next_tx``."""

    kind: ClassVar[str]
    gas: ClassVar[int] = 200_000
    fee: ClassVar[int] = 2_000

    def __init__(
        self,
        rate: float,
        duration_s: float,
        wallets: Sequence[Wallet],
        endpoints: Endpoints,
        ledger: Ledger,
        chain_id: str,
        seed: int,
    ) -> None:
        super().__init__(f"runner-{self.kind}", rate, max(int(rate * duration_s), 1))
        self.wallets = list(wallets)
        self.endpoints = endpoints
        self.ledger = ledger
        self.chain_id = chain_id
        self.rng = random.Random(f"{seed}-{self.kind}")
        self.homes: dict[str, str] = {}  # the node each wallet sends through
        self._http: httpx.Client | None = None

    def send_all(self) -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as http:
            self._http = http
            self.pace(self.send)

    def send(self, index: int) -> None:
        name, url = self.endpoints.pick()  # for the queries a tx may need
        try:
            chosen = self.next_tx(index, url)
            if chosen is None:
                return
            wallet, messages = chosen
            # A wallet's txs go to one node while it answers, as a client's would: a tx sent
            # elsewhere could arrive before the one it follows and be refused its sequence.
            name, url = self.endpoints.pick(prefer=self.homes.get(wallet.address))
            self.homes[wallet.address] = name
            raw = wallet.sign(messages, fee=self.fee, gas=self.gas, chain_id=self.chain_id)
            self.ledger.attempt(self.kind, tx_hash(raw))
            result = self.call(url, "broadcast_tx_sync", tx=b64(raw))
        except (httpx.HTTPError, json.JSONDecodeError):  # no answer in time, or not JSON
            self.endpoints.suspect(name)
            self.ledger.unreachable(self.kind)
            return
        except CallFailed as failed:
            self.ledger.refuse(self.kind, "rpc", str(failed))
            return
        if result["code"] == 0:
            wallet.sequence += 1
            self.ledger.admit(self.kind)
            self.admitted(wallet, messages)
            return
        self.ledger.refuse(self.kind, str(result["code"]), result["log"])
        if result["code"] == WRONG_SEQUENCE and (expected := EXPECTED_SEQUENCE.search(result["log"])):
            wallet.sequence = int(expected.group(1))

    def call(self, url: str, method: str, **params: Any) -> Any:
        """One JSON-RPC call's result; a traceback in the answer is kept as a fault."""
        assert self._http is not None
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        response = self._http.post(url, json=payload)
        if any(marker in response.text for marker in TRACEBACK_MARKERS):
            self.ledger.fault(f"{url} answered {method} with a traceback: {response.text[:500]}")
        body = response.json()
        if "error" in body:
            raise CallFailed(f"{method}: {body['error']}")
        return body["result"]

    def next_tx(self, index: int, url: str) -> tuple[Wallet, list[Msg]] | None:
        """The wallet and messages of tx number ``index``; None to send nothing this turn."""
        raise NotImplementedError

    def admitted(self, wallet: Wallet, messages: list[Msg]) -> None:
        """CheckTx admitted the tx (what a lane tracks of its own txs)."""


class SendLane(Lane):
    kind = "sends"
    recipients: ClassVar[list[str]] = [key.address for key in lane_keys("recipient", 4)]

    def next_tx(self, index: int, url: str) -> tuple[Wallet, list[Msg]] | None:
        wallet = self.wallets[index % len(self.wallets)]
        recipient = self.recipients[index % len(self.recipients)]
        return wallet, [wallet.send_msg(recipient, index + 1)]  # amounts differ: so do hashes


class DelegationLane(Lane):
    """Delegations to validators drawn at random; every third tx undelegates part of what
    the delegator has delegated to one of them."""

    kind = "delegations"
    gas = 600_000
    fee = 6_000

    def __init__(self, *args: Any, validators: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators = list(validators)
        self.delegated: Counter[tuple[str, str]] = Counter()

    def next_tx(self, index: int, url: str) -> tuple[Wallet, list[Msg]] | None:
        wallet = self.wallets[index % len(self.wallets)]
        held = [v for v in self.validators if self.delegated[wallet.address, v] >= UNDELEGATION]
        if index % 3 == 2 and held:
            validator = self.rng.choice(held)
            return wallet, [MsgUndelegate(wallet.address, validator, Coin(DENOM, UNDELEGATION))]
        validator = self.rng.choice(self.validators)
        return wallet, [MsgDelegate(wallet.address, validator, Coin(DENOM, DELEGATION))]

    def admitted(self, wallet: Wallet, messages: list[Msg]) -> None:
        for message in messages:
            if isinstance(message, MsgDelegate):
                self.delegated[wallet.address, message.validator_address] += message.amount.amount
            elif isinstance(message, MsgUndelegate):
                self.delegated[wallet.address, message.validator_address] -= message.amount.amount


class GovLane(Lane):
    """Votes on the open text proposal, options in turn; the first wallet submits a new
    proposal whenever none is open long enough to take votes."""

    kind = "gov_votes"
    gas = 400_000
    fee = 4_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submitted_at = -PROPOSAL_PAUSE

    def next_tx(self, index: int, url: str) -> tuple[Wallet, list[Msg]] | None:
        proposal = self.open_proposal(url)
        proposer, *voters = self.wallets
        if proposal is None:
            if index - self.submitted_at < PROPOSAL_PAUSE:
                return None  # the last one submitted may not be in a block yet
            self.submitted_at = index
            title = f"Runner proposal {index}"
            deposit = [Coin(DENOM, PROPOSAL_DEPOSIT)]
            return proposer, [MsgSubmitProposal([], deposit, proposer.address, "", title, title, False)]
        voter = voters[index % len(voters)]
        option = list(VoteOption)[index % len(VoteOption)]
        return voter, [MsgVote(proposal, voter.address, option, "")]

    def open_proposal(self, url: str) -> int | None:
        """The newest proposal in its voting period with a few blocks still to go."""
        answer = self.call(url, "gov_proposals", status="PROPOSAL_STATUS_VOTING_PERIOD")
        height = int(answer["height"])
        open_ids = [
            int(p["id"])
            for p in answer["proposals"]
            if int(p["voting_end_height"]) > height + VOTE_MARGIN_BLOCKS
        ]
        return max(open_ids, default=None)


class MarketLane(Lane):
    """Requesters order one GPU of the provider's class; every other tx closes the
    requester's newest open lease, or cancels its open order, if it has one."""

    kind = "market_orders"
    gas = 500_000
    fee = 5_000

    def next_tx(self, index: int, url: str) -> tuple[Wallet, list[Msg]] | None:
        wallet = self.wallets[index % len(self.wallets)]
        if index % 2 == 1:
            closing = self.closing(wallet, url)
            if closing is not None:
                return wallet, [closing]
        wanted = Requirements([H100.model], 0, "", 1, [], 0, 0, "")
        deposit = Coin(DENOM, -(-RATE * ORDER_S // 3_600))
        return wallet, [MsgCreateOrder(wallet.address, wanted, ORDER_S, RATE, deposit, 0)]

    def closing(self, wallet: Wallet, url: str) -> Msg | None:
        for state in ("active", "pending"):
            leases = self.call(url, "leases", requester=wallet.address, state=state)["leases"]
            if leases:
                return MsgCloseLease(wallet.address, int(leases[-1]["lease"]["id"]))
        orders = self.call(url, "orders", requester=wallet.address, state="open")["orders"]
        if orders:
            return MsgCancelOrder(wallet.address, int(orders[-1]["id"]))
        return None


class JobLane(Lane):
    """Small GEMM jobs on the market's lease, each with its own seed, for its provider's
    worker to run and the validators' committees to check."""

    kind = "jobs"
    gas = 500_000
    fee = 5_000

    def __init__(self, *args: Any, lease_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lease_id = lease_id

    def next_tx(self, index: int, url: str) -> tuple[Wallet, list[Msg]] | None:
        (wallet,) = self.wallets
        spec = GemmSpec(m=JOB_SIZE, k=JOB_SIZE, n=JOB_SIZE, bound=64, seed=index + 1)
        header = msgspec.msgpack.encode(job_header(spec))
        price = Coin(DENOM, JOB_PRICE)
        return wallet, [MsgSubmitJob(wallet.address, self.lease_id, header, JOB_DEADLINE_BLOCKS, price)]


def requester_funds(load: LoadSpec) -> int:
    """What the requester needs for its lease and every job the load may submit on it."""
    jobs = math.ceil(load.jobs_per_s * load.duration_s)
    return MARKET_FUNDS + jobs * (JOB_PRICE + JobLane.fee)


# -- the lanes of a manifest -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    """What the lanes need of the testbed."""

    rates: Mapping[str, float]
    duration_s: float
    seed: int
    chain_id: str
    validators: Sequence[str]  # operator addresses
    market: Market | None


def make_lanes(plan: LoadPlan, entry: Any, endpoints: Endpoints, ledger: Ledger) -> list[Lane]:
    """One lane per kind of load; ``entry`` (a node) tells each wallet its account number."""
    lanes: list[Lane] = []
    for kind, rate in plan.rates.items():
        if kind == "jobs":
            assert plan.market is not None
            wallets = [Wallet(entry, plan.market.requester.key)]
        else:
            wallets = [Wallet(entry, key) for key in lane_keys(kind, keys_of(kind))]
        common = (rate, plan.duration_s, wallets, endpoints, ledger, plan.chain_id, plan.seed)
        if kind == "sends":
            lanes.append(SendLane(*common))
        elif kind == "delegations":
            lanes.append(DelegationLane(*common, validators=plan.validators))
        elif kind == "gov_votes":
            lanes.append(GovLane(*common))
        elif kind == "market_orders":
            lanes.append(MarketLane(*common))
        elif kind == "jobs":
            assert plan.market is not None
            lanes.append(JobLane(*common, lease_id=plan.market.lease_id))
    return lanes
