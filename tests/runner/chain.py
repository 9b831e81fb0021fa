"""What the nodes say about the chain, read over JSON-RPC.

The ``Follower`` reads every block as it is committed (``block`` and ``block_results``)
from whichever node answers, and keeps a ``BlockRecord`` of each: its hash, the app hash
in its header, who signed or missed the previous block (its last commit), its evidence,
and its ``slash`` and ``misbehavior`` events. It tells the ``Ledger`` which of the load's
txs each block holds: that is when a client learns its tx was committed.

After the run, ``read_view`` reads one node's block and app hashes at every height, and
the small readers below its invariants, tx lookups, signing info and applied upgrade, for
the checks (checks.py) to compare.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import httpx

from consensus.types import BlockIDFlag
from tests.e2e.harness import DepindProcess, RPCFailure, tx_hash
from tests.runner.load import REQUEST_TIMEOUT_S, Endpoints, Ledger, TxOutcome
from vm.app import split_entry

FOLLOW_POLL_S = 0.3
BLOCKCHAIN_PAGE = 20  # the most block metas `blockchain` returns at once
NOT_FOUND = -32001
MAX_VALIDATORS_PAGE = 100


@dataclass(frozen=True)
class Slash:
    height: int
    address: str  # the validator's consensus address, bech32, as the event names it
    reason: str


@dataclass(frozen=True)
class Misbehavior:
    height: int  # of the block that carried the evidence
    validator: str  # consensus address, upper-case hex
    kind: str


@dataclass(frozen=True)
class BlockRecord:
    height: int
    block_hash: str
    app_hash: str  # in the header: the state after the previous block
    validators_hash: str  # in the header: the set that signs this block
    node: str  # that served it
    signed: tuple[str, ...]  # validators (hex) whose vote for the previous block is in its commit
    absent: tuple[str, ...]  # and those whose vote is absent
    evidence: int
    misbehavior: tuple[Misbehavior, ...]
    slashes: tuple[Slash, ...]


class CommitMismatch(Exception):
    """A commit that does not line up with the validator set it is for."""


def read_record(
    http: httpx.Client, url: str, node: str, height: int, voters: Sequence[str]
) -> tuple[BlockRecord, list[TxOutcome]]:
    """The block at ``height`` and its results, its last commit read against ``voters`` (the
    set at the height before, in order); with the outcome of each of its txs."""
    block = rpc(http, url, "block", height=height)
    results = rpc(http, url, "block_results", height=height)
    entry, txs = split_entry([base64.b64decode(tx) for tx in block["block"]["data"]["txs"]])
    outcomes = results["txs_results"] or []
    if entry is not None:
        outcomes = outcomes[1:]  # the beacon entry's result comes first
    events = list(results["finalize_block_events"])
    for outcome in outcomes:
        events += outcome["events"]
    header = block["block"]["header"]
    signed, absent = split_votes(voters, block["block"]["last_commit"]["signatures"])
    record = BlockRecord(
        height=height,
        block_hash=block["block_id"]["hash"],
        app_hash=header["app_hash"],
        validators_hash=header["validators_hash"],
        node=node,
        signed=signed,
        absent=absent,
        evidence=len(block["block"]["evidence"]["evidence"]),
        misbehavior=tuple(
            Misbehavior(height, a["validator"], a["kind"]) for a in attributes_of(events, "misbehavior")
        ),
        slashes=tuple(
            Slash(height, a["address"], a["reason"]) for a in attributes_of(events, "slash") if "reason" in a
        ),
    )
    return record, [
        TxOutcome(tx_hash(tx), int(o["code"]), o["codespace"], o["log"])
        for tx, o in zip(txs, outcomes, strict=True)
    ]


def split_votes(
    voters: Sequence[str], signatures: Sequence[dict[str, Any]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(signed, absent) validators of a commit. An absent vote names no validator, so the
    signatures are read against the set they are for, in its order (CometBFT's rule)."""
    if len(signatures) != len(voters):
        raise CommitMismatch(f"a commit of {len(signatures)} votes for a set of {len(voters)} validators")
    signed, absent = [], []
    for address, signature in zip(voters, signatures, strict=True):
        if signature["block_id_flag"] == BlockIDFlag.ABSENT:
            absent.append(address)
        elif signature["validator_address"] == address:
            signed.append(address)
        else:
            raise CommitMismatch(f"{signature['validator_address']}'s vote where {address}'s belongs")
    return tuple(signed), tuple(absent)


def attributes_of(events: Sequence[dict[str, Any]], kind: str) -> Iterator[dict[str, str]]:
    for event in events:
        if event["type"] == kind:
            yield {a["key"]: a["value"] for a in event["attributes"]}


def rpc(http: httpx.Client, url: str, method: str, **params: Any) -> Any:
    body = http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
    if "error" in body:
        raise RPCFailure(method, body["error"])
    return body["result"]


class Follower(threading.Thread):
    """Reads each block once it is committed, from whichever node answers, until stopped."""

    def __init__(self, endpoints: Endpoints, ledger: Ledger) -> None:
        super().__init__(name="runner-follower", daemon=True)
        self.endpoints = endpoints
        self.ledger = ledger
        self.records: dict[int, BlockRecord] = {}
        self._sets: dict[str, tuple[str, ...]] = {}  # validator sets by hash
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self._lock = threading.Lock()

    @property
    def height(self) -> int:
        with self._lock:
            return len(self.records)

    def run(self) -> None:
        try:
            with httpx.Client(timeout=REQUEST_TIMEOUT_S) as http:
                while not self._halt.is_set():
                    self.follow(http)
                    self._halt.wait(FOLLOW_POLL_S)
        except BaseException as exc:  # re-raised by stop()
            self.error = exc

    def follow(self, http: httpx.Client) -> None:
        """Every block the picked node has that is not read yet."""
        name, url = self.endpoints.pick()
        try:
            latest = int(rpc(http, url, "status")["sync_info"]["latest_block_height"])
            for height in range(self.height + 1, latest + 1):
                if self._halt.is_set():
                    return
                voters = self.voters(http, url, height - 1)
                record, txs = read_record(http, url, name, height, voters)
                with self._lock:
                    self.records[height] = record
                self.ledger.observe_block(height, record.block_hash, name, txs)
        except (httpx.HTTPError, json.JSONDecodeError, RPCFailure):
            self.endpoints.suspect(name)

    def voters(self, http: httpx.Client, url: str, height: int) -> tuple[str, ...]:
        """The validator set at ``height``, in its order (none before the first block)."""
        if height == 0:
            return ()
        with self._lock:
            key = self.records[height].validators_hash
            known = self._sets.get(key)
        if known is None:
            answer = rpc(http, url, "validators", height=height, per_page=MAX_VALIDATORS_PAGE)
            known = tuple(v["address"] for v in answer["validators"])
            with self._lock:
                self._sets[key] = known
        return known

    def wait_through(self, height: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.height < height:
            if time.monotonic() > deadline or not self.is_alive():
                return False
            time.sleep(FOLLOW_POLL_S)
        return True

    def stop(self) -> list[BlockRecord]:
        """Stop reading; the records of heights 1 .. the last read, in order."""
        self._halt.set()
        self.join(REQUEST_TIMEOUT_S * 4)
        if self.error is not None:
            raise self.error
        with self._lock:
            return [self.records[h] for h in sorted(self.records)]


# -- reads after the run ----------------------------------------------------------------------------


def read_view(node: DepindProcess, through: int) -> dict[int, tuple[str, str]]:
    """(block hash, header app hash) at every height 1 .. ``through``, from ``blockchain``."""
    view: dict[int, tuple[str, str]] = {}
    for low in range(1, through + 1, BLOCKCHAIN_PAGE):
        high = min(low + BLOCKCHAIN_PAGE - 1, through)
        for meta in node.rpc("blockchain", minHeight=low, maxHeight=high)["block_metas"]:
            view[int(meta["header"]["height"])] = (meta["block_id"]["hash"], meta["header"]["app_hash"])
    return view


def find_tx(node: DepindProcess, hash_: str) -> tuple[int, int] | None:
    """(height, result code) of a committed tx, or None if the node does not know it."""
    try:
        found = node.rpc("tx", hash=hash_)
    except RPCFailure as failure:
        if failure.code == NOT_FOUND:
            return None
        raise
    return int(found["height"]), int(found["tx_result"]["code"])


def broken_invariants(node: DepindProcess) -> list[str]:
    broken: list[str] = node.rpc("invariants")["broken"]
    return broken


def signing_start(node: DepindProcess, validator_hex: str) -> int:
    """The height a validator's liveness window began (0 for one bonded at genesis)."""
    try:
        return int(node.rpc("signing_info", cons_address=validator_hex)["start_height"])
    except RPCFailure as failure:
        if failure.code == NOT_FOUND:
            return 0
        raise


def slashing_window(node: DepindProcess) -> tuple[int, Fraction]:
    """x/slashing's ``signed_blocks_window`` and ``min_signed_per_window``."""
    params = node.rpc("params", module="slashing")["slashing"]
    return int(params["signed_blocks_window"]), Fraction(params["min_signed_per_window"])


def applied_height(node: DepindProcess, name: str) -> int:
    """The height the upgrade ``name`` ran at on this node (0: never)."""
    data = json.dumps({"name": name}).encode().hex()
    response = node.rpc("abci_query", path="/upgrade/applied_plan", data=data)["response"]
    if response["code"] != 0:
        raise RPCFailure("abci_query", {"code": response["code"], "message": response["log"]})
    return int(json.loads(base64.b64decode(response["value"]))["applied_height"])
