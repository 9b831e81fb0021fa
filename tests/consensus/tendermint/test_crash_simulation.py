"""Crash simulation: four real Tendermint engines (block executor, WAL on disk, ``FilePV``
signing state) on the in-memory network. A seeded schedule crashes one validator after
another at random moments (some while it is cut off and going through rounds alone, some
during the replay that starts its next life), leaves its WAL as a crash can, and restarts
it from its data directory.

A crash cancels the engine's task (its WAL is closed, as the process's file descriptors
are); then the WAL is left whole, or loses a random part of what was not fsynced, or its
last record is torn at a random byte, or zero-filled blocks follow it, or, if a height
had just ended, the marker is lost (a crash after the block was stored). The block store
and the application stay as they were: they commit in one write.

For every seed (a failure names it):
SAFETY: no two nodes store different blocks at a height, and every stored commit
verifies against the validator set.
NO DOUBLE SIGNING: no key ever signed two different messages at one (height, round,
step), in one life or across lives (the ``FilePV`` state refuses them), and no node
gossiped evidence or was told of misbehavior.
LIVENESS: after the last restart, every node gets ``LIVENESS_HEIGHTS`` heights further
within ``LIVENESS_S`` seconds.

Rerun one seed by hand with ``trio.run(run_crashes, Path(tmp), seed,
clock=trio.testing.MockClock(autojump_threshold=0))``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trio

from consensus.commit import verify_commit
from consensus.privval import STEP_PROPOSE, DoubleSignError, FilePV, write_key_file
from consensus.tasks import TaskStatus
from consensus.tendermint.messages import Proposal, block_id
from consensus.tendermint.signer import VOTE_STEPS, PVSigner
from consensus.tendermint.wal import CURRENT, PREVIOUS, EndHeight, ProposalRecord, Record, Segment, VoteRecord
from consensus.types import Vote
from consensus.validators import ValidatorSet
from tests.consensus.fakes import FakeApp, FakeBlockStore, FakeMempool
from tests.consensus.tendermint.memnet import Endpoint, Hub, MemoryNode, wait_until
from tests.consensus.tendermint.support import CHAIN_ID, KeySigner, signers, validator_set

VALIDATORS = 4
CRASHES = 6
UP_S = (0.0, 4.0)  # how long the victim runs with its peers (0: it crashes during its replay)
ALONE_S = (0.0, 4.0)  # then, in half of the crashes, cut off from them
DOWN_S = (0.0, 2.0)
DAMAGE = ("none", "unsynced", "torn", "zeros", "unmarked")
LIVENESS_HEIGHTS = 5
LIVENESS_S = 60.0

Point = tuple[bytes, int, int, int]  # (validator address, height, round, step)


@dataclass
class Ledger:
    """Every message each validator's key signed, over all its lives, and every refusal."""

    signed: dict[Point, set[bytes]] = field(default_factory=lambda: defaultdict(set))
    refusals: int = 0

    def double_signed(self) -> list[Point]:
        return [point for point, sign_bytes in self.signed.items() if len(sign_bytes) > 1]


class RecordingSigner:
    """A ``PVSigner`` whose every signature is written down in the ``Ledger``."""

    def __init__(self, signer: PVSigner, ledger: Ledger) -> None:
        self._signer = signer
        self._ledger = ledger

    @property
    def address(self) -> bytes:
        return self._signer.address

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote:
        try:
            signed = self._signer.sign_vote(chain_id, vote)
        except DoubleSignError:
            self._ledger.refusals += 1
            raise
        point = (self.address, vote.height, vote.round, VOTE_STEPS[vote.type])
        self._ledger.signed[point].add(signed.sign_bytes(chain_id))
        return signed

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        try:
            signed = self._signer.sign_proposal(chain_id, proposal)
        except DoubleSignError:
            self._ledger.refusals += 1
            raise
        point = (self.address, proposal.height, proposal.round, STEP_PROPOSE)
        self._ledger.signed[point].add(signed.sign_bytes(chain_id))
        return signed


class EvidenceSpy(Endpoint):
    """An endpoint that keeps a copy of all evidence its engine gossips."""

    def __init__(self, hub: Hub, name: str) -> None:
        super().__init__(hub, name)
        self.evidence: list[bytes] = []

    async def publish_evidence(self, payload: bytes) -> None:
        self.evidence.append(payload)
        await super().publish_evidence(payload)


@dataclass
class Validator:
    """A validator's data directory (WAL, key, signing state) and its durable store."""

    node: MemoryNode
    endpoint: EvidenceSpy
    key_file: Path
    state_file: Path
    stopped: trio.Event = field(default_factory=trio.Event)
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def wal_file(self) -> Path:
        return self.node.wal_dir / CURRENT


def validator(hub: Hub, key: KeySigner, name: str, root: Path) -> Validator:
    endpoint = EvidenceSpy(hub, name)
    home = root / name
    node = MemoryNode(name, endpoint, FakeApp(), FakeBlockStore(), FakeMempool(), home / "wal")
    key_file, state_file = home / "priv_validator_key.json", home / "priv_validator_state.json"
    home.mkdir(parents=True)
    write_key_file(key_file, key._key.private_bytes_raw())
    return Validator(node, endpoint, key_file, state_file)


async def live(v: Validator, genesis: ValidatorSet, ledger: Ledger, task_status: TaskStatus[None]) -> None:
    """One life of ``v``: a process started from its data directory, until it crashes."""
    v.scope, v.stopped = trio.CancelScope(), trio.Event()
    signer = RecordingSigner(PVSigner(FilePV(v.key_file, v.state_file)), ledger)
    engine = v.node.engine(signer, genesis)
    task_status.started()
    try:
        with v.scope:
            await engine.run()  # which closes the WAL however it ends
    finally:
        v.stopped.set()


async def crash(v: Validator, hub: Hub) -> None:
    hub.down.add(v.name)
    v.node.endpoint.engine = None
    v.scope.cancel()
    await v.stopped.wait()


def damage(v: Validator, how: str, rng: random.Random) -> None:
    """What a crash can leave of the WAL (see the module docstring); ``forget``, which no
    crash does, loses the WAL and the signing state altogether."""
    path = v.wal_file
    if how == "unsynced":
        truncate(path, rng.randint(durable_end(path), path.stat().st_size))
    elif how == "torn":
        tear_last_record(path, rng)
    elif how == "zeros":
        with path.open("ab") as file:
            file.write(b"\0" * rng.randint(1, 8192))
    elif how == "unmarked":
        unmark_last_height(v.node.wal_dir)
    elif how == "forget":
        shutil.rmtree(v.node.wal_dir)
        v.state_file.unlink(missing_ok=True)


def tear_last_record(path: Path, rng: random.Random) -> None:
    """Cut the file at a random byte inside its last record."""
    starts = [0, *(end for end, _ in records(path))]
    if len(starts) > 1:
        truncate(path, rng.randrange(starts[-2] + 1, starts[-1]))


def unmark_last_height(folder: Path) -> None:
    """If a height just ended: a crash after its block was stored, before ``end_height``
    logged the marker. The segment is as it was before the marker (the older one, which
    ``end_height`` replaced, stays gone: replaying the next height never reads it)."""
    current, previous = folder / CURRENT, folder / PREVIOUS
    if not previous.exists() or [type(record) for _, record in records(current)] != [EndHeight]:
        return
    starts = [0, *(end for end, _ in records(previous))]
    truncate(previous, starts[-2])
    os.replace(previous, current)


def durable_end(path: Path) -> int:
    """Where the last record the WAL fsynced ends: a marker or one of our own messages."""
    end = 0
    for after, record in records(path):
        if isinstance(record, EndHeight) or (isinstance(record, ProposalRecord | VoteRecord) and record.own):
            end = after
    return end


def records(path: Path) -> list[tuple[int, Record]]:
    """The segment's records, each with the byte where it ends."""
    with Segment(path) as segment:
        return [(after.offset, record) for record, after in segment.records()]


def truncate(path: Path, size: int) -> None:
    with path.open("r+b") as file:
        file.truncate(size)


@dataclass(frozen=True)
class Crash:
    victim: str
    up_s: float
    alone_s: float
    down_s: float
    damage: str


@dataclass
class Outcome:
    seed: int
    validators: list[Validator]
    genesis: ValidatorSet
    ledger: Ledger
    schedule: list[Crash]
    target: int

    def describe(self) -> str:
        crashes = ", ".join(
            f"{c.victim} after {c.up_s:.2f} s and {c.alone_s:.2f} s alone ({c.damage})" for c in self.schedule
        )
        return f"seed {self.seed}: crashes {crashes}; {self.ledger.refusals} signatures refused"


def draw_schedule(rng: random.Random, names: list[str], damages: tuple[str, ...]) -> list[Crash]:
    return [
        Crash(
            rng.choice(names),
            rng.uniform(*UP_S),
            rng.choice((0.0, rng.uniform(*ALONE_S))),
            rng.uniform(*DOWN_S),
            rng.choice(damages),
        )
        for _ in range(CRASHES)
    ]


async def run_crashes(root: Path, seed: int, damages: tuple[str, ...] = DAMAGE) -> Outcome:
    rng = random.Random(seed)
    hub = Hub()
    keys = signers(VALIDATORS)
    genesis = validator_set(keys, [10] * VALIDATORS)
    validators = {f"v{i}": validator(hub, key, f"v{i}", root) for i, key in enumerate(keys)}
    ledger = Ledger()
    schedule = draw_schedule(rng, list(validators), damages)
    async with trio.open_nursery() as nursery:
        for v in validators.values():
            nursery.start_soon(v.node.endpoint.pump)
            await nursery.start(live, v, genesis, ledger)
        for planned in schedule:
            v = validators[planned.victim]
            await trio.sleep(planned.up_s)
            hub.down.add(v.name)  # cut off, it goes through rounds alone, mid-height
            await trio.sleep(planned.alone_s)
            await crash(v, hub)
            damage(v, planned.damage, rng)
            await trio.sleep(planned.down_s)
            hub.down.discard(v.name)
            await nursery.start(live, v, genesis, ledger)
        target = max(v.node.store.height() for v in validators.values()) + LIVENESS_HEIGHTS
        outcome = Outcome(seed, list(validators.values()), genesis, ledger, schedule, target)
        with contextlib.suppress(trio.TooSlowError):  # check_liveness says what was missed
            await wait_until(
                lambda: all(v.node.store.height() >= target for v in outcome.validators), LIVENESS_S
            )
        nursery.cancel_scope.cancel()
    return outcome


def check_safety(outcome: Outcome) -> None:
    by_height: dict[int, set[bytes]] = defaultdict(set)
    for v in outcome.validators:
        store = v.node.store
        for height, block in store.blocks.items():
            by_height[height].add(block.hash())
            verify_commit(CHAIN_ID, outcome.genesis, store.commits[height], block_id(block))
    forks = {height: len(hashes) for height, hashes in by_height.items() if len(hashes) > 1}
    assert not forks, f"{outcome.describe()}: different blocks at {forks}"


def check_no_double_signing(outcome: Outcome) -> None:
    assert not outcome.ledger.double_signed(), f"{outcome.describe()}: {outcome.ledger.double_signed()}"
    for v in outcome.validators:
        assert not v.endpoint.evidence, f"{outcome.describe()}: {v.name} gossiped evidence"
        assert not v.node.app.misbehavior, f"{outcome.describe()}: {v.name} was told of misbehavior"


def check_liveness(outcome: Outcome) -> None:
    heights = {v.name: v.node.store.height() for v in outcome.validators}
    assert all(height >= outcome.target for height in heights.values()), (
        f"{outcome.describe()}: not all at height {outcome.target} {LIVENESS_S:.0f} s after the last "
        f"restart: {heights}"
    )


async def check_seeds(root: Path, seeds: range) -> None:
    for seed in seeds:
        outcome = await run_crashes(root / f"seed-{seed}", seed)
        check_safety(outcome)
        check_no_double_signing(outcome)
        check_liveness(outcome)


async def test_crashes_restarts_and_torn_wal_tails(
    tmp_path: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="depind.consensus")
    await check_seeds(tmp_path, range(3))
    assert "replaying" in caplog.text  # crashes came mid-height
    assert "truncating a torn last record" in caplog.text


@pytest.mark.slow
async def test_crashes_restarts_and_torn_wal_tails_many_seeds(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    await check_seeds(tmp_path, range(100, 125))


async def test_a_validator_that_forgets_its_wal_and_signing_state_signs_twice(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """The control: the same crashes, but each loses the WAL and ``priv_validator_state.json``
    (which the node refuses to start without, node/sign_guard.py); the ledger catches the
    double signing that follows, so the check has teeth."""
    outcomes = [await run_crashes(tmp_path / f"seed-{seed}", seed, ("forget",)) for seed in range(3)]
    assert any(outcome.ledger.double_signed() for outcome in outcomes)
