"""The networked Tendermint engine: several engines in one trio loop (autojump clock),
connected in memory, with fake applications. They commit one chain; a node that
was down or cut off catches up by sync; validator updates take effect two
heights later; a restart mid-height replays the WAL and never double-signs."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import pytest
import trio

from consensus.codec import encode
from consensus.commit import verify_commit
from consensus.privval import FilePV, write_key_file
from consensus.tendermint.engine import TendermintEngine
from consensus.tendermint.messages import VoteMsg, block_id
from consensus.tendermint.signer import PVSigner
from consensus.tendermint.sync_progress import SyncProgress
from consensus.tendermint.wire import (
    CommittedBlock,
    SyncRequest,
    SyncResponse,
    decode_channel,
    decode_response,
    encode_gossip,
)
from consensus.types import BlockID, BlockIDFlag, Commit, CommitSig, PartSetHeader, Vote, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.fakes import FakeApp, FakeBlockStore, FakeMempool, FakeValidatorUpdate
from tests.consensus.tendermint.memnet import Endpoint, Hub, MemoryNode, memory_node, wait_until
from tests.consensus.tendermint.support import CHAIN_ID, signed_commit, signed_vote, signers, validator_set


def network(tmp_path: Path, count: int) -> tuple[Hub, list[MemoryNode], ValidatorSet]:
    hub = Hub()
    keys = signers(count)
    genesis = validator_set(keys, [10] * count)
    nodes = [memory_node(hub, f"v{i}", tmp_path) for i in range(count)]
    for node, key in zip(nodes, keys, strict=True):
        node.engine(key, genesis)
    return hub, nodes, genesis


def engine_of(node: MemoryNode) -> TendermintEngine:
    assert node.endpoint.engine is not None
    return node.endpoint.engine


async def start(nursery: trio.Nursery, nodes: list[MemoryNode]) -> None:
    for node in nodes:
        engine = node.endpoint.engine
        assert engine is not None
        nursery.start_soon(node.endpoint.pump)
        await nursery.start(engine.run)


def assert_one_chain(nodes: list[MemoryNode], up_to: int) -> None:
    reference = {h: node_hash for h, node_hash in nodes[0].block_hashes().items() if h <= up_to}
    assert sorted(reference) == list(range(1, up_to + 1))
    for node in nodes[1:]:
        assert {h: b for h, b in node.block_hashes().items() if h <= up_to} == reference, node.name


def assert_commits_verify(node: MemoryNode, validators_at: dict[int, ValidatorSet]) -> None:
    for height, block in node.store.blocks.items():
        verify_commit(CHAIN_ID, validators_at[height], node.store.commits[height], block_id(block))


async def test_four_validators_commit_one_chain(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    _, nodes, genesis = network(tmp_path, 4)
    nodes[1].mempool.add(b"tx-1")
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 10 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, 10)
    assert any(b"tx-1" in block.data.txs for block in nodes[0].store.blocks.values())
    assert_commits_verify(nodes[2], {h: genesis for h in nodes[2].store.blocks})
    proposers = {block.header.proposer_address for block in nodes[0].store.blocks.values()}
    assert len(proposers) == 4  # weighted round-robin: everyone proposes in turn
    assert all(heights == sorted(heights) for heights in ([h for h, _ in n.commits] for n in nodes))


async def test_block_interval_follows_the_commit_timeout(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    _, nodes, _ = network(tmp_path, 4)
    times: list[float] = []

    async def record(block: object, commit: object, result: object) -> None:
        times.append(trio.current_time())

    nodes[0].endpoint.engine.on_commit = record  # type: ignore[union-attr]
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: len(times) >= 8, 60)
        nursery.cancel_scope.cancel()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Messages are instant in memory: each height is the commit wait and nothing else.
    assert all(abs(gap - 0.5) < 0.05 for gap in gaps), gaps


LATE_S = 0.2  # within the commit wait (0.5 s)


class LatePrecommits(Endpoint):
    """A validator whose precommits reach its peers ``LATE_S`` after the other three's."""

    async def send(self, peer: str, payload: bytes) -> None:
        message = decode_channel(payload, 1 << 22)
        if isinstance(message, VoteMsg) and message.vote.type == VoteType.PRECOMMIT:
            await trio.sleep(LATE_S)
        await super().send(peer, payload)


async def test_late_precommits_go_into_the_next_blocks_last_commit(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """The other three decide without the slow validator's precommit; it arrives during the
    commit wait and every next block's last commit holds all four signatures."""
    hub = Hub()
    keys = signers(4)
    genesis = validator_set(keys, [10] * 4)
    nodes = [memory_node(hub, f"v{i}", tmp_path) for i in range(3)]
    slow = MemoryNode(
        "v3", LatePrecommits(hub, "v3"), FakeApp(), FakeBlockStore(), FakeMempool(), tmp_path / "v3" / "wal"
    )
    nodes.append(slow)
    for node, key in zip(nodes, keys, strict=True):
        node.engine(key, genesis)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 9 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, 9)
    blocks = nodes[0].store.blocks
    slow_index = genesis.get(keys[3].address)
    assert slow_index is not None
    at_decision = [nodes[0].store.commits[h].signatures[slow_index[0]] for h in range(1, 9)]
    assert all(sig.block_id_flag == BlockIDFlag.ABSENT for sig in at_decision)  # it was late each time
    for height in range(2, 10):
        last_commit = blocks[height].last_commit
        assert last_commit is not None
        flags = [sig.block_id_flag for sig in last_commit.signatures]
        assert flags == [BlockIDFlag.COMMIT] * 4, (height, flags)
        verify_commit(CHAIN_ID, genesis, last_commit, block_id(blocks[height - 1]))


async def test_a_late_validator_catches_up_by_sync(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    hub, nodes, _ = network(tmp_path, 4)
    late = nodes[3]
    hub.down.add(late.name)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: nodes[0].store.height() >= 12, 60)
        assert late.store.height() == 0
        hub.down.discard(late.name)
        await wait_until(lambda: late.store.height() >= nodes[0].store.height() >= 15, 60)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, 15)
    assert not hub.reports


async def test_two_of_four_down_stops_the_chain_until_one_returns(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    hub, nodes, _ = network(tmp_path, 4)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 3 for n in nodes), 60)
        hub.down |= {"v2", "v3"}
        await trio.sleep(2)  # what was in flight lands
        stalled = max(n.store.height() for n in nodes)
        await trio.sleep(30)
        assert max(n.store.height() for n in nodes) == stalled
        hub.down.discard("v2")
        await wait_until(lambda: all(n.store.height() >= stalled + 3 for n in nodes[:3]), 120)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes[:3], stalled + 3)


async def test_a_partition_heals_without_conflicting_commits(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    hub, nodes, _ = network(tmp_path, 4)
    names = [n.name for n in nodes]
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 2 for n in nodes), 60)
        hub.cut = {frozenset((a, b)) for a in names[:2] for b in names[2:]}
        await trio.sleep(20)
        hub.cut.clear()
        top = max(n.store.height() for n in nodes)
        await wait_until(lambda: all(n.store.height() >= top + 3 for n in nodes), 120)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, top + 3)


async def test_validator_updates_take_effect_two_heights_later(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    _, nodes, genesis = network(tmp_path, 4)
    removed = genesis.validators[3]
    for node in nodes:
        node.app.updates_at[3] = [FakeValidatorUpdate(removed.pub_key, 0)]
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 8 for n in nodes[:3]), 60)
        nursery.cancel_scope.cancel()
    blocks = nodes[0].store.blocks
    smaller = ValidatorSet([v for v in genesis.validators if v.address != removed.address])
    # Returned when finalizing height 3, so height 5 is the first without the validator.
    assert all(blocks[h].header.validators_hash == genesis.hash() for h in range(1, 5))
    assert blocks[4].header.next_validators_hash == smaller.hash()
    assert all(blocks[h].header.validators_hash == smaller.hash() for h in range(5, 9))
    assert [len(nodes[0].store.commits[h].signatures) for h in range(3, 7)] == [4, 4, 3, 3]
    assert all(blocks[h].header.proposer_address != removed.address for h in range(5, 9))


async def test_restart_mid_height_replays_the_wal_without_double_signing(
    tmp_path: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="depind.consensus")
    hub, nodes, genesis = network(tmp_path, 4)
    key_file, state_file = tmp_path / "key.json", tmp_path / "state.json"
    victim = nodes[0]
    write_key_file(key_file, signers(4)[0]._key.private_bytes_raw())  # the same key as v0
    victim.endpoint.engine.wal.close()  # type: ignore[union-attr]  # replaced before it runs
    victim.engine(PVSigner(FilePV(key_file, state_file)), genesis)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes[1:])
        nursery.start_soon(victim.endpoint.pump)
        for _ in range(3):
            engine = victim.endpoint.engine
            assert engine is not None
            async with trio.open_nursery() as lifetime:
                await lifetime.start(engine.run)
                await trio.sleep(1.2)
                hub.down.add(victim.name)  # cut off, it goes through rounds signing nil votes
                await trio.sleep(2.0)
                lifetime.cancel_scope.cancel()  # the process dies mid-height
            hub.down.discard(victim.name)
            victim.engine(PVSigner(FilePV(key_file, state_file)), genesis)  # a restarted process
        engine = victim.endpoint.engine
        assert engine is not None
        await nursery.start(engine.run)
        await wait_until(lambda: victim.store.height() >= nodes[1].store.height() >= 12, 60)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, 12)
    assert "replaying" in caplog.text  # some restart came mid-height
    assert "conflicting votes" not in caplog.text  # no honest node saw v0 equivocate
    assert not hub.reports


async def test_sync_answers_blocks_then_messages(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    _, nodes, _ = network(tmp_path, 4)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 5 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    engine = nodes[0].endpoint.engine
    assert engine is not None
    answer = decode_response(await engine.answer_sync("peer", encode(SyncRequest(2, []))), 1 << 22)
    stored = nodes[0].store.height()
    assert answer.height == stored
    assert [b.block.header.height for b in answer.blocks] == list(range(2, stored + 1))
    ahead = decode_response(await engine.answer_sync("peer", encode(SyncRequest(stored + 5, []))), 1 << 22)
    assert ahead == SyncResponse(stored, [], [])


async def test_invalid_sync_request_is_refused(tmp_path: Path) -> None:
    _, nodes, _ = network(tmp_path, 1)
    engine = nodes[0].endpoint.engine
    assert engine is not None
    for junk in (b"", b"\x00", encode([3, "x", []]), encode(SyncRequest(1, [])) + b"\x00"):
        try:
            await engine.answer_sync("peer", junk)
        except ValueError:
            continue
        raise AssertionError(f"accepted {junk!r}")
    engine.wal.close()


async def test_double_sign_evidence_is_committed_once(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    hub, nodes, genesis = network(tmp_path, 4)
    cheater = signers(4)[3]
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 2 for n in nodes), 60)
        # The next height: each engine handles the votes now or keeps them until it starts it.
        height = min(engine_of(n).machine.state.height for n in nodes) + 1
        other = BlockID(b"\x42" * 32, PartSetHeader(1, b"\x43" * 32))
        for target in (None, other):
            vote = signed_vote(cheater, genesis, VoteType.PREVOTE, height, 0, target)
            hub.endpoints["v3"].gossip(encode_gossip(vote), evidence=False)
        await wait_until(lambda: all(n.app.misbehavior for n in nodes), 60)
        await wait_until(lambda: all(n.store.height() >= height + 3 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    with_evidence = [h for h, block in nodes[0].store.blocks.items() if block.evidence]
    assert len(with_evidence) == 1, with_evidence
    for node in nodes:
        [reported] = node.app.misbehavior
        assert (reported.kind, reported.validator_address, reported.height) == (
            "duplicate_vote",
            cheater.address,
            height,
        )
    assert_one_chain(nodes, height + 3)


async def test_a_block_with_a_forged_commit_is_refused_and_its_sender_reported(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    hub, nodes, genesis = network(tmp_path, 4)
    strangers = signers(4, seed=99)  # not validators: their precommits prove nothing
    follower = memory_node(hub, "follower", tmp_path)
    follower.engine(None, genesis)

    def forged_answer(payload: bytes) -> bytes:
        block = nodes[0].store.blocks[1]
        value_id = block_id(block)
        sigs = [
            CommitSig(BlockIDFlag.COMMIT, v.address, 1, s.sign_vote(CHAIN_ID, vote_for(value_id)).signature)
            for v, s in zip(genesis.validators, strangers, strict=True)
        ]
        forged = Commit(1, 0, value_id, sigs)
        return encode(SyncResponse(50, [CommittedBlock(block, forged)], []))

    hub.endpoints["liar"] = Endpoint(hub, "liar")
    hub.liars["liar"] = forged_answer
    hub.cut = {frozenset((follower.name, node.name)) for node in nodes}  # only the liar to ask
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: nodes[0].store.height() >= 3, 60)
        await start(nursery, [follower])
        await wait_until(lambda: any(peer == "liar" for _, peer, _ in hub.reports), 60)
        assert follower.store.height() == 0
        hub.cut.clear()
        await wait_until(lambda: follower.store.height() >= 5, 60)
        nursery.cancel_scope.cancel()
    assert all(peer == "liar" and "invalid commit" in reason for _, peer, reason in hub.reports)
    assert follower.store.blocks[1].hash() == nodes[0].store.blocks[1].hash()
    assert follower.store.commits[1] != Commit(1, 0, block_id(follower.store.blocks[1]), [])


@pytest.mark.parametrize(
    "missing",
    [
        CommitSig(BlockIDFlag.NIL, signers(4)[3].address, 0, b"\x01" * 64),
        CommitSig(BlockIDFlag.ABSENT, b"", 0, b"junk"),
    ],
    ids=["forged-nil", "absent-not-empty"],
)
async def test_a_block_whose_commit_has_a_bad_uncounted_entry_is_refused(
    tmp_path: Path, autojump_clock: trio.abc.Clock, missing: CommitSig
) -> None:
    """Three real precommits decide the block, but the fourth validator's entry is made up:
    every entry must check, counted or not."""
    hub, nodes, genesis = network(tmp_path, 4)
    keys = signers(4)
    follower = memory_node(hub, "follower", tmp_path)
    follower.engine(None, genesis)

    def altered_answer(payload: bytes) -> bytes:
        block = nodes[0].store.blocks[1]
        commit = signed_commit(keys[:3], genesis, 1, 0, block)
        index = [v.address for v in genesis.validators].index(keys[3].address)
        sigs = [*commit.signatures[:index], missing, *commit.signatures[index + 1 :]]
        return encode(SyncResponse(50, [CommittedBlock(block, Commit(1, 0, commit.block_id, sigs))], []))

    hub.endpoints["liar"] = Endpoint(hub, "liar")
    hub.liars["liar"] = altered_answer
    hub.cut = {frozenset((follower.name, node.name)) for node in nodes}  # only the liar to ask
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: nodes[0].store.height() >= 3, 60)
        await start(nursery, [follower])
        await wait_until(lambda: any(peer == "liar" for _, peer, _ in hub.reports), 60)
        assert follower.store.height() == 0
        nursery.cancel_scope.cancel()
    assert all(peer == "liar" and "invalid commit" in reason for _, peer, reason in hub.reports)


def vote_for(value_id: BlockID) -> Vote:
    return Vote(VoteType.PRECOMMIT, 1, 0, value_id, 1, b"", 0, b"")


def test_sync_progress_logs_height_rate_and_eta(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="depind.consensus")
    now = [100.0]
    monkeypatch.setattr("consensus.tendermint.sync_progress.time.monotonic", lambda: now[0])
    progress = SyncProgress(interval_s=2.0)
    progress.update(10, 1010)
    assert progress.syncing
    now[0] += 1.0
    progress.update(200, 1010)  # within the interval: nothing new logged
    now[0] += 1.5
    progress.update(260, 1010)  # 250 blocks in 2.5 s: 100 blocks/s, 750 to go
    progress.update(1009, 1010)
    assert not progress.syncing
    assert caplog.messages == [
        "block sync: at height 10, peers at 1010",
        "block sync: height 260/1010, 100.0 blocks/s, ETA 8 s",
        "block sync done at height 1009",
    ]


async def test_invalid_gossip_is_reported_and_changes_nothing(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    hub, nodes, _ = network(tmp_path, 4)
    junk = [b"", b"\xc1", encode([9, []]), encode([1, [1, 2]]), encode_gossip_of_a_vote() + b"\x00"]
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 2 for n in nodes), 60)
        for payload in junk:
            hub.endpoints["v3"].gossip(payload, evidence=False)
        hub.endpoints["v3"].gossip(b"\x93junk", evidence=True)
        await wait_until(lambda: all(n.store.height() >= 6 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, 6)
    reasons = [reason for reporter, peer, reason in hub.reports if peer == "v3"]
    assert len(reasons) == 3 * (len(junk) + 1)  # each of the three others reports each message
    assert sum("malformed consensus message" in r for r in reasons) == 3 * len(junk)
    assert sum("undecodable evidence" in r for r in reasons) == 3


def encode_gossip_of_a_vote() -> bytes:
    keys = signers(4)
    return encode_gossip(signed_vote(keys[0], validator_set(keys, [10] * 4), VoteType.PREVOTE, 1, 0, None))
