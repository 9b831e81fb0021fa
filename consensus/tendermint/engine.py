"""The networked Tendermint engine: one trio task owns the round state machine.

Everything that changes consensus state happens in ``_own``: gossip from
peers, catch-up answers and expired timers arrive through one inbox and are
handled one at a time (CometBFT's ``receiveRoutine``). Around it:

- ``_send_loop`` publishes our own proposals and votes, in order, after the
  WAL holds them durably (``write_sync``);
- ``_sync_loop`` asks one peer at a time for what we lack at our height: a
  peer that has committed it answers with blocks and their commits (block
  sync, many per answer), a peer at the same height with the proposals and
  votes we have not seen. Gossip alone loses what was sent while a node was
  down or not yet connected; this is how such a node catches up.

Received proposals and votes go to the WAL before the machine sees them.
After a decision the block is applied and the WAL marks the height ended;
the next height starts ``timeouts.commit_s`` after the decision, so that slower
validators' precommits still arrive: the machine counts them and our next
proposal's last commit holds them. They are not logged: they cannot change the
decision, and after a restart the stored commit serves instead. At start the
engine replays the WAL of the height it is deciding, re-sending its own messages.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import trio

from consensus.blocks import BlockExecutor, InvalidBlock
from consensus.codec import encode
from consensus.engine import CommitListener
from consensus.privval import verify as ed25519_verify
from consensus.tasks import TaskStatus
from consensus.tendermint.config import TimeoutConfig
from consensus.tendermint.evidence import (
    BadEvidence,
    InvalidEvidence,
    decode_evidence,
    describe,
    encode_evidence,
    evidence_id,
)
from consensus.tendermint.messages import (
    Broadcast,
    Decide,
    DuplicateVoteEvidence,
    Evidence,
    Message,
    Output,
    ProposalMsg,
    ScheduleTimeout,
    Signer,
    TimeoutEvent,
    Verify,
)
from consensus.tendermint.state import RoundStateMachine
from consensus.tendermint.wal import WAL, Entry, ProposalRecord, TimeoutRecord, VoteRecord
from consensus.tendermint.wire import (
    MAX_HAVE,
    BadMessage,
    CommittedBlock,
    SyncRequest,
    SyncResponse,
    decode_gossip,
    decode_request,
    decode_response,
    digest,
    encode_gossip,
    wrap,
)
from consensus.types import Block, Commit

log = logging.getLogger("depind.consensus")


class PeerError(Exception):
    """A request to a peer failed (unreachable, timed out, refused)."""


class Network(Protocol):
    """What the engine needs from the p2p layer; the node adapts its libp2p host to it."""

    def peers(self) -> list[str]: ...

    async def publish(self, payload: bytes) -> None:
        """Gossip ``payload`` on the consensus topic."""

    async def publish_evidence(self, payload: bytes) -> None:
        """Gossip encoded evidence on the evidence topic."""

    async def request(self, peer: str, payload: bytes) -> bytes:
        """One sync request/response with ``peer``; raises ``PeerError``."""

    def report_invalid(self, peer: str, reason: str) -> None:
        """``peer`` sent something malformed or false (it costs the peer score)."""


@dataclass(frozen=True)
class EngineConfig:
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    max_message_bytes: int = 4 * 1024 * 1024  # gossip and sync messages, as the p2p layer allows
    sync_interval_s: float = 0.5  # between catch-up requests while nothing new comes back
    sync_timeout_s: float = 10.0
    max_sync_blocks: int = 100  # blocks in one sync answer (also bounded by bytes)
    inbox_size: int = 4096
    future_buffer: int = 4096  # messages kept for the next height while this one ends
    progress_interval_s: float = 2.0


@dataclass(frozen=True)
class _Received:
    peer: str
    message: Message


@dataclass(frozen=True)
class _Synced:
    peer: str
    response: SyncResponse
    done: trio.Event


@dataclass(frozen=True)
class _NextHeight:
    height: int


_Timer = TimeoutEvent | _NextHeight


class TendermintEngine:
    def __init__(
        self,
        executor: BlockExecutor,
        signer: Signer | None,
        wal: WAL,
        network: Network,
        on_commit: CommitListener,
        config: EngineConfig | None = None,
        verify: Verify = ed25519_verify,
    ) -> None:
        """``signer`` is None on a node that follows the chain without voting."""
        self.executor = executor
        self.signer = signer
        self.wal = wal
        self.network = network
        self.on_commit = on_commit
        self.config = config or EngineConfig()
        self.machine = RoundStateMachine(
            executor.params.chain_id,
            signer,
            self._propose_block,
            executor.is_valid_proposal,
            verify,
            self.config.timeouts,
        )
        self._inbox_send, self._inbox = trio.open_memory_channel[_Received | _Synced](self.config.inbox_size)
        self._outbox_send, self._outbox = trio.open_memory_channel[bytes](self.config.inbox_size)
        # Evidence is rare (each piece is new to the pool once) and must not be dropped.
        self._evidence_send, self._evidence_out = trio.open_memory_channel[bytes](math.inf)
        self._timers: list[tuple[float, int, _Timer]] = []
        self._timer_count = 0
        self._future: list[Message] = []
        self._replaying = False
        self._sync_peer = 0
        self._progress = SyncProgress(self.config.progress_interval_s)

    # ---- the tasks ---------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Decide heights until cancelled; the engine owns its WAL and closes it on the way out."""
        try:
            await self._start_height(self.executor.next_height(), replay=True)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._send_loop)
                nursery.start_soon(self._sync_loop)
                nursery.start_soon(self._evidence_loop)
                task_status.started()
                await self._own()
        finally:
            self.wal.close()

    async def _own(self) -> None:
        """The one task that changes consensus state."""
        while True:
            deadline = self._timers[0][0] if self._timers else math.inf
            with trio.move_on_at(deadline):
                event = await self._inbox.receive()
                if isinstance(event, _Received):
                    await self._on_message(event.message)
                else:
                    await self._on_synced(event)
            await self._fire_due_timers()

    async def _send_loop(self) -> None:
        async for payload in self._outbox:
            await self.network.publish(payload)

    async def _evidence_loop(self) -> None:
        async for payload in self._evidence_out:
            await self.network.publish_evidence(payload)

    async def _sync_loop(self) -> None:
        while True:
            synced = await self._sync_once()
            if synced is None or not synced.response.blocks:
                await trio.sleep(self.config.sync_interval_s)
                continue
            await synced.done.wait()  # the next request starts from the blocks just applied

    # ---- inputs from the node ----------------------------------------------------------------

    async def deliver(self, peer: str, payload: bytes) -> None:
        """A gossip message from ``peer`` on the consensus topic."""
        try:
            message = decode_gossip(payload, self.config.max_message_bytes)
        except BadMessage as exc:
            self.network.report_invalid(peer, f"malformed consensus message: {exc}")
            return
        await self._inbox_send.send(_Received(peer, message))

    async def deliver_evidence(self, peer: str, payload: bytes) -> None:
        """Evidence gossiped by ``peer``: kept if valid and new, and passed on."""
        try:
            await self.submit_evidence(payload)
        except InvalidEvidence as exc:
            if isinstance(exc, BadEvidence):  # stale evidence costs nothing: gossip races
                self.network.report_invalid(peer, f"invalid evidence: {exc}")
            log.debug("evidence from %s not kept: %s", peer, exc)

    async def submit_evidence(self, payload: bytes) -> bytes:
        """Keep and gossip evidence (from a peer or ``broadcast_evidence``); returns its id.

        Raises ``InvalidEvidence``. The pool is changed here, outside the owner task: each
        change is one synchronous call, so the owner never sees it half done."""
        evidence = decode_evidence(payload)
        if self.executor.evidence.is_committed(evidence):
            raise InvalidEvidence("the evidence is already committed")
        if self.executor.evidence.add(evidence):
            log.info("new evidence %s", describe(evidence))
            await self.network.publish_evidence(encode_evidence(evidence))
        return evidence_id(encode_evidence(evidence))

    def answer_sync(self, payload: bytes) -> bytes:
        """A peer's ``SyncRequest``: committed blocks from its height on, or the messages it
        lacks at the height we are deciding. Raises ``BadMessage`` for a malformed request."""
        request = decode_request(payload, self.config.max_message_bytes)
        stored = self.executor.store.height()
        if request.height <= stored:
            return encode(SyncResponse(stored, self._committed_from(request.height, stored), []))
        if self.machine.started and request.height == self.machine.state.height:
            have = set(request.have)
            lacking = [m for m in self.machine.messages() if digest(m) not in have]
            return encode(
                SyncResponse(stored, [], [wrap(m) for m in _fit(lacking, self.config.max_message_bytes)])
            )
        return encode(SyncResponse(stored, [], []))

    @property
    def syncing(self) -> bool:
        """Block sync is fetching committed blocks from peers that are ahead."""
        return self._progress.syncing

    # ---- handling ----------------------------------------------------------------------------

    async def _on_message(self, message: Message) -> None:
        height = _height_of(message)
        state = self.machine.state
        if height == state.height + 1:
            if len(self._future) < self.config.future_buffer:
                self._future.append(message)
            return
        if height != state.height:
            return
        if state.decision is None:  # after it only late precommits count, for the last commit
            self._log_received(message)
        await self._apply(self.machine.handle(message))

    def _log_received(self, message: Message) -> None:
        if self._replaying:
            return
        if isinstance(message, ProposalMsg):
            self.wal.write(ProposalRecord(message, own=False))
        else:
            self.wal.write(VoteRecord(message, own=False))

    async def _on_synced(self, synced: _Synced) -> None:
        try:
            applied = await self._apply_committed(synced.peer, synced.response.blocks)
            self._progress.update(self.executor.store.height(), synced.response.height)
            if applied:
                await self._start_height(self.executor.next_height(), replay=False)
            for gossip in synced.response.messages:
                await self._on_message(gossip.message)
        finally:
            synced.done.set()

    async def _apply_committed(self, peer: str, blocks: Sequence[CommittedBlock]) -> bool:
        """Apply the blocks that extend our chain, each after checking it and its commit."""
        applied: Block | None = None
        for entry in blocks:
            block, commit = entry.block, entry.commit
            if block.header.height != self.executor.next_height():
                continue
            try:
                self.executor.check_commit(block, commit)
            except InvalidBlock as exc:
                log.warning("block %d from peer %s rejected: %s", block.header.height, peer, exc)
                self.network.report_invalid(peer, f"invalid commit: {exc}")
                break
            try:
                self.executor.check(block)
            except InvalidBlock as exc:
                # +2/3 of the validators signed this block, so the fault is ours: our state has
                # diverged from the network's. Applying nothing more is all that is safe.
                log.critical(
                    "block %d committed by the network does not follow from our state: %s",
                    block.header.height,
                    exc,
                )
                break
            await self._commit(block, commit, end_height=False)
            applied = block
        if applied is None:
            return False
        self.wal.end_height(applied.header.height)
        return True

    async def _fire_due_timers(self) -> None:
        now = trio.current_time()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if isinstance(timer, _NextHeight):
                if timer.height > self.machine.state.height:
                    await self._start_height(timer.height, replay=False)
                continue
            if not self._replaying:
                self.wal.write(TimeoutRecord(timer))
            await self._apply(self.machine.handle(timer))

    async def _apply(self, outputs: Sequence[Output]) -> None:
        for output in outputs:
            if isinstance(output, Broadcast):
                self._send(output.message)
            elif isinstance(output, ScheduleTimeout):
                self._set_timer(output.duration_s, output.event())
            elif isinstance(output, Decide):
                await self._on_decide(output)
            elif isinstance(output, Evidence):
                self._on_evidence(output.evidence)

    def _on_evidence(self, evidence: DuplicateVoteEvidence) -> None:
        """We saw a validator sign two votes: keep the proof for a block and gossip it."""
        log.warning("conflicting votes: %s", describe(evidence))
        try:
            added = self.executor.evidence.add(evidence)
        except InvalidEvidence as exc:
            log.warning("evidence not kept: %s", exc)
            return
        if added:
            self._evidence_send.send_nowait(encode_evidence(evidence))

    def _send(self, message: Message) -> None:
        """Log our own message durably, then queue it for gossip."""
        if not self._replaying:
            if isinstance(message, ProposalMsg):
                self.wal.write_sync(ProposalRecord(message, own=True))
            else:
                self.wal.write_sync(VoteRecord(message, own=True))
        self._queue(encode_gossip(message))

    def _queue(self, payload: bytes) -> None:
        try:
            self._outbox_send.send_nowait(payload)
        except trio.WouldBlock:
            log.warning("consensus send queue full; peers will fetch the message by sync")

    def _set_timer(self, after_s: float, timer: _Timer) -> None:
        self._set_timer_at(trio.current_time() + after_s, timer)

    def _set_timer_at(self, deadline: float, timer: _Timer) -> None:
        self._timer_count += 1
        heapq.heappush(self._timers, (deadline, self._timer_count, timer))

    async def _on_decide(self, decide: Decide) -> None:
        """Commit the block; the next height starts ``commit_s`` after the decision (as in
        CometBFT), so the time spent executing the block is part of that wait, not added to it."""
        decided_at = trio.current_time()
        await self._commit(decide.block, decide.commit, end_height=True)
        self._set_timer_at(decided_at + self.config.timeouts.commit_s, _NextHeight(decide.height + 1))

    async def _commit(self, block: Block, commit: Commit, *, end_height: bool) -> None:
        result = self.executor.apply(block, commit)
        if end_height:
            self.wal.end_height(block.header.height)
        await self.on_commit(block, commit, result)

    async def _start_height(self, height: int, *, replay: bool) -> None:
        """Start deciding ``height``: after a restart with what the WAL logged for it, and
        with whatever peers already sent for it."""
        logged = self.wal.replay(height) if replay else []  # read before the new height logs anything
        await self._apply(self.machine.start(height, self.executor.validators_at(height)))
        await self._replay(height, logged)
        waiting, self._future = self._future, []
        for message in waiting:
            await self._on_message(message)

    async def _replay(self, height: int, entries: list[Entry]) -> None:
        if entries:
            log.info("replaying %d consensus WAL entries of height %d", len(entries), height)
        self._replaying = True
        try:
            for entry in entries:
                if self.machine.state.decision is not None:
                    break
                await self._apply(self.machine.handle(entry.input))
                if not isinstance(entry, TimeoutRecord) and entry.own:
                    self._queue(encode_gossip(entry.input))
        finally:
            self._replaying = False

    # ---- catch-up ----------------------------------------------------------------------------

    async def _sync_once(self) -> _Synced | None:
        """Ask the next peer for what we lack; the answer goes to the owner's inbox."""
        peers = sorted(self.network.peers())
        if not peers:
            return None
        self._sync_peer = (self._sync_peer + 1) % len(peers)
        peer = peers[self._sync_peer]
        request = SyncRequest(self.executor.next_height(), self._have())
        try:
            with trio.fail_after(self.config.sync_timeout_s):
                data = await self.network.request(peer, encode(request))
            response = decode_response(data, self.config.max_message_bytes)
        except (PeerError, trio.TooSlowError) as exc:
            log.debug("sync request to %s failed: %s", peer, exc)
            return None
        except BadMessage as exc:
            self.network.report_invalid(peer, f"malformed sync response: {exc}")
            return None
        synced = _Synced(peer, response, trio.Event())
        await self._inbox_send.send(synced)
        return synced

    def _have(self) -> list[bytes]:
        if not self.machine.started or self.machine.state.height != self.executor.next_height():
            return []
        return [digest(m) for m in self.machine.messages()][:MAX_HAVE]

    def _committed_from(self, start: int, stored: int) -> list[CommittedBlock]:
        """Stored blocks from ``start`` with their commits, within the count and size limits."""
        blocks: list[CommittedBlock] = []
        size = 0
        for height in range(start, min(stored, start + self.config.max_sync_blocks - 1) + 1):
            block, commit = self.executor.store.load_block(height), self.executor.store.load_commit(height)
            if block is None or commit is None:
                break  # pruned below, or not written yet
            entry = CommittedBlock(block, commit)
            size += len(encode(entry))
            if blocks and size > self.config.max_message_bytes // 2:
                break
            blocks.append(entry)
        return blocks

    # ---- the application's side --------------------------------------------------------------

    def _propose_block(self, height: int, round_: int) -> Block:
        if self.signer is None:
            raise RuntimeError("a node without a validator key cannot propose")
        state = self.machine.state
        return self.executor.build(height, self.signer.address, state.last_commit)


class SyncProgress:
    """Logs block sync progress (height, blocks/s, ETA) while the node is behind its peers."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.syncing = False
        self._since: tuple[float, int] = (0.0, 0)
        self._logged = 0.0

    def update(self, height: int, peer_height: int) -> None:
        now = time.monotonic()
        behind = peer_height - height
        if behind <= 1:
            if self.syncing:
                log.info("block sync done at height %d", height)
            self.syncing = False
            return
        if not self.syncing:
            self.syncing = True
            self._since = (now, height)
            self._logged = now
            log.info("block sync: at height %d, peers at %d", height, peer_height)
            return
        if now - self._logged < self.interval_s:
            return
        self._logged = now
        started, from_height = self._since
        rate = (height - from_height) / max(now - started, 1e-9)
        eta = f"{behind / rate:.0f} s" if rate > 0 else "unknown"
        log.info("block sync: height %d/%d, %.1f blocks/s, ETA %s", height, peer_height, rate, eta)


def _height_of(message: Message) -> int:
    return message.proposal.height if isinstance(message, ProposalMsg) else message.vote.height


def _fit(messages: list[Message], max_bytes: int) -> list[Message]:
    """The first messages whose encodings fit in half of ``max_bytes`` together."""
    chosen: list[Message] = []
    size = 0
    for message in messages:
        size += len(encode_gossip(message))
        if chosen and size > max_bytes // 2:
            break
        chosen.append(message)
    return chosen
