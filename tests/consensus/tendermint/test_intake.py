"""What a peer can make a validator log, hold or do (issue: no peer can knock a
validator over). Three honest validators run in memory (v3's node is down); the
test speaks as "mallory" with v3's key, and with no key at all, while v0 is stuck
at a height (v1 and v2 cut off), so nothing it holds is cleared by a new height."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import msgspec
import trio

from consensus.codec import encode
from consensus.tendermint.engine import TendermintEngine
from consensus.tendermint.intake import IntakeLimits, JunkMeter, TokenBuckets
from consensus.tendermint.messages import VoteMsg
from consensus.tendermint.sync_server import SyncServer, SyncServerLimits
from consensus.tendermint.wal import WAL, VoteRecord
from consensus.tendermint.wire import SyncRequest, decode_response, encode_gossip
from consensus.types import ZERO_BLOCK_ID, Commit, Vote, VoteType
from tests.consensus.fakes import FakeBlockStore
from tests.consensus.tendermint.memnet import Hub, MemoryNode, wait_until
from tests.consensus.tendermint.support import KeySigner, make_block, signed_vote, signers
from tests.consensus.tendermint.test_engine import engine_of, network, start

FORGED = bytes(64)


@dataclass
class Stuck:
    hub: Hub
    node: MemoryNode
    engine: TendermintEngine
    mallory: KeySigner
    height: int


@asynccontextmanager
async def stuck_validator(tmp_path: Path) -> AsyncIterator[Stuck]:
    """v0 deciding a height it cannot finish; the test's messages go straight to its inbox."""
    hub, nodes, _ = network(tmp_path, 4)
    hub.down.add("v3")
    engine_of(nodes[3]).wal.close()  # its node never runs
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes[:3])
        await wait_until(lambda: nodes[0].store.height() >= 3, 60)
        hub.down.update({"v1", "v2"})
        await trio.sleep(3)  # past the commit wait: v0 is deciding the next height
        engine = engine_of(nodes[0])
        yield Stuck(hub, nodes[0], engine, signers(4)[3], engine.machine.state.height)
        nursery.cancel_scope.cancel()


async def deliver_all(engine: TendermintEngine, peer: str, messages: list[VoteMsg]) -> None:
    for message in messages:
        await engine.receive(peer, encode_gossip(message))
    await trio.sleep(0.01)  # the owner takes them all before the clock moves on


def forged(vote: VoteMsg) -> VoteMsg:
    return VoteMsg(msgspec.structs.replace(vote.vote, signature=FORGED))


def reports_about(hub: Hub, peer: str) -> list[str]:
    return [reason for _, about, reason in hub.reports if about == peer]


async def test_forged_and_repeated_votes_are_not_logged_and_forgers_are_reported(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with stuck_validator(tmp_path) as stuck:
        state = stuck.engine.machine.state
        own = next(v for v in state.votes.votes() if v.validator_address == signers(4)[0].address)
        fakes = [
            forged(signed_vote(stuck.mallory, state.validators, VoteType.PREVOTE, stuck.height, 0, None, t))
            for t in range(1, 1001)
        ]
        await deliver_all(stuck.engine, "mallory", fakes)
        await deliver_all(stuck.engine, "echo", [VoteMsg(own)] * 1000)
        held = stuck.engine.machine.state.votes.votes()
    with WAL(stuck.node.wal_dir) as wal:
        logged = [e.input.vote for e in wal.replay(stuck.height) if isinstance(e, VoteRecord)]
    assert not [vote for vote in logged if vote.signature == FORGED]
    assert logged.count(own) == 1  # when it was signed
    assert not [vote for vote in held if vote.signature == FORGED]
    reasons = reports_about(stuck.hub, "mallory")
    assert len(reasons) == 1000 and all("bad signature" in reason for reason in reasons)
    echoes = reports_about(stuck.hub, "echo")  # repeats are useless, not false: past the budget
    assert echoes and set(echoes) == {"too many useless consensus messages"}
    assert len(echoes) <= 1000 - IntakeLimits().junk_burst


async def test_far_round_votes_from_a_peer_are_refused_and_reported(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """A validator's well-signed votes for 1,000 rounds past ours + 1: a peer following the
    reactor's rules never sends one, so each is refused before the owner and reported."""
    async with stuck_validator(tmp_path) as stuck:
        state = stuck.engine.machine.state
        horizon = state.round + 1
        far = [
            signed_vote(stuck.mallory, state.validators, VoteType.PREVOTE, stuck.height, horizon + k, None, 1)
            for k in range(1, 1001)
        ]
        await deliver_all(stuck.engine, "mallory", far)
        rounds = stuck.engine.machine.state.votes.rounds_of(stuck.mallory.address)
        offered = len(stuck.engine.machine.messages())
    assert not [r for r in rounds if r > horizon]
    assert offered < 50  # what sync answers offer peers stays small too
    reasons = reports_about(stuck.hub, "mallory")
    assert len(reasons) == 1000 and all("past our round + 1" in reason for reason in reasons)


async def test_next_height_messages_are_checked_and_bounded_per_peer(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with stuck_validator(tmp_path) as stuck:
        ahead = stuck.height + 1
        validators = stuck.engine.executor.validators_at(ahead)
        votes = [
            signed_vote(stuck.mallory, validators, VoteType.PREVOTE, ahead, r, None, 1) for r in range(1000)
        ]
        await deliver_all(stuck.engine, "mallory", votes)
        await deliver_all(stuck.engine, "trent", votes[:3])
        await deliver_all(stuck.engine, "eve", [forged(v) for v in votes[:10]])
        count, size = stuck.engine.future_buffered()
    limits = IntakeLimits()
    assert count == limits.future_per_peer + 3
    assert size <= limits.future_bytes_per_peer + 3 * len(encode_gossip(votes[0]))
    assert len(reports_about(stuck.hub, "eve")) == 10
    assert not reports_about(stuck.hub, "mallory")


async def test_the_screen_relays_only_what_is_new_and_charges_useless_gossip(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with stuck_validator(tmp_path) as stuck:
        state = stuck.engine.machine.state
        fresh = signed_vote(stuck.mallory, state.validators, VoteType.PREVOTE, stuck.height, 0, None, 1)
        stale = signed_vote(stuck.mallory, state.validators, VoteType.PREVOTE, stuck.height - 1, 0, None, 1)
        assert stuck.engine.screen("mallory", encode_gossip(fresh))
        assert not stuck.engine.screen("mallory", encode_gossip(forged(fresh)))
        burst = IntakeLimits().junk_burst
        verdicts = [stuck.engine.screen("spammer", encode_gossip(stale)) for _ in range(burst + 10)]
    assert not any(verdicts)
    assert reports_about(stuck.hub, "mallory") == [
        f"invalid consensus message: bad signature from {stuck.mallory.address.hex()}"
    ]
    assert reports_about(stuck.hub, "spammer") == ["too many useless consensus messages"] * 10


def test_token_buckets_refill_with_time() -> None:
    buckets = TokenBuckets(burst=3, per_s=2.0)
    assert [buckets.take("p", 0.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.take("q", 0.0)  # each peer has its own
    assert buckets.take("p", 0.5) and not buckets.take("p", 0.5)  # 0.5 s: one token back
    assert [buckets.take("p", 10.0) for _ in range(4)] == [True, True, True, False]  # capped at the burst


def test_the_junk_meter_reports_only_past_the_burst() -> None:
    meter = JunkMeter(IntakeLimits(junk_burst=2, junk_per_s=1.0))
    assert [meter.charge("p", 0.0) for _ in range(3)] == [False, False, True]


def chain(blocks: int) -> FakeBlockStore:
    store = FakeBlockStore()
    for height in range(1, blocks + 1):
        store.blocks[height] = make_block(height, b"\x01" * 20)
        store.commits[height] = Commit(height, 0, ZERO_BLOCK_ID, [])
    return store


async def blocks_answered(server: SyncServer, peer: str) -> int:
    return len(decode_response(await server.answer(peer, encode(SyncRequest(1, []))), 1 << 22).blocks)


async def test_sync_answers_are_rate_limited_per_peer(autojump_clock: trio.abc.Clock) -> None:
    server = SyncServer(chain(10), lambda height: [], SyncServerLimits(answers_per_s=1.0, burst=3))
    assert [await blocks_answered(server, "greedy") for _ in range(5)] == [10, 10, 10, 0, 0]
    assert await blocks_answered(server, "modest") == 10
    await trio.sleep(1.0)
    assert [await blocks_answered(server, "greedy") for _ in range(2)] == [10, 0]
    assert server.refused == 3


async def test_a_peer_gets_one_answer_at_a_time_and_reading_yields() -> None:
    server = SyncServer(chain(100), lambda height: [], SyncServerLimits())
    answered: list[int] = []
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        for _ in range(10_000):
            if len(answered) == 2:
                return
            ticks += 1
            await trio.lowlevel.checkpoint()

    async def ask() -> None:
        answered.append(await blocks_answered(server, "peer"))

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tick)
            nursery.start_soon(ask)
            nursery.start_soon(ask)
    assert sorted(answered) == [0, 100]
    assert ticks >= 50  # the ticker ran while the 100 blocks were read


def test_votes_differ_only_by_what_the_tests_change() -> None:
    keys = signers(4)
    vote = Vote(VoteType.PREVOTE, 1, 0, ZERO_BLOCK_ID, 1, keys[0].address, 0, b"")
    assert forged(VoteMsg(vote)).vote.signature == FORGED
