"""The networked Tendermint engine: one trio task owns the round state machine.

Everything that changes consensus state happens in ``_own``: peers' messages,
catch-up answers, evidence to keep and expired timers arrive through one inbox
and are handled one at a time, each to its end (CometBFT's ``receiveRoutine``).
Around it, each concern in a component of its own that only reads the state:

- the ``Reactor`` sends each peer, over its consensus channel, the votes and
  block parts it lacks: ours once the WAL holds them durably (``write_sync``),
  others' we admitted, and where we are (``RoundStep``) and what we hold
  (``Has``), which ``PeerStates`` keeps for every peer;
- ``SyncClient`` asks one peer at a time for what we lack at our height: a
  peer that has committed it answers with blocks and their commits (block
  sync, many per answer), a peer at the same height with the votes and parts
  we have not seen; the answers come to the inbox. ``SyncProgress`` logs how
  block sync goes;
- ``SyncServer`` answers peers' requests, within per-peer limits;
- the ``Screen`` judges what ``receive`` takes from a peer's channel before the
  owner sees it: it notes the peer's ``RoundStep`` and ``Has``, lets through
  only votes and parts new to the state, and blames the sender of anything
  false or useless; ``screen_evidence`` is libp2p's validator for evidence
  gossip.

The owner writes the WAL through a ``Recorder``, which decides what is logged
and when (and what is not, while the WAL is replayed).

A received vote or proposal part is first admitted: checked against the
height, the round window, the validator set and its signature
(``RoundStateMachine.admit``), a part also against its proposal's part set,
by the screen as it arrives and by the owner again through the same screen
(the state may have moved on meanwhile); only what changes the state goes on:
parts to ``ProposalAssembly`` until the block is whole, then the proposal, like
a vote, to the WAL and the machine. Whoever sent something false is reported,
which costs it p2p score and in the end a ban; a message that is merely useless
is charged to its sender's ``JunkMeter`` budget. Only what was admitted is
offered to other peers, so junk stops at the first honest node. Messages for
the next height wait in a ``FutureBuffer`` bounded per peer, checked against
that height's validators.

After a decision the block is applied and the WAL marks the height ended;
the next height starts ``timeouts.commit_s`` after the decision, so that slower
validators' precommits still arrive: the machine counts them and our next
proposal's last commit holds them. They are not logged: they cannot change the
decision, and after a restart the stored commit serves instead. At start the
engine replays the WAL of the height it is deciding, re-sending its own
messages; what it signs anew while replaying is logged before it is sent.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import trio

from consensus.blocks import BlockExecutor, InvalidBlock
from consensus.engine import CommitListener
from consensus.metrics import NO_METRICS, ConsensusMetrics
from consensus.parts import BadPart
from consensus.privval import verify as ed25519_verify
from consensus.stalls import StallMeter
from consensus.tasks import TaskStatus
from consensus.tendermint.assembly import BadBlock, ProposalAssembly
from consensus.tendermint.config import TimeoutConfig
from consensus.tendermint.evidence import (
    BadEvidence,
    InvalidEvidence,
    decode_evidence,
    describe,
    encode_evidence,
    evidence_id,
)
from consensus.tendermint.intake import FutureBuffer, IntakeLimits, JunkMeter
from consensus.tendermint.messages import (
    Broadcast,
    Decide,
    DuplicateVoteEvidence,
    Evidence,
    Message,
    Output,
    Proposal,
    ProposalMsg,
    ScheduleTimeout,
    Signer,
    TimeoutEvent,
    Verify,
)
from consensus.tendermint.network import Network as Network  # the node's side, imported from here
from consensus.tendermint.network import PeerError as PeerError
from consensus.tendermint.peer_state import PeerStates
from consensus.tendermint.reactor import Reactor, ReactorConfig
from consensus.tendermint.recorder import Recorder
from consensus.tendermint.screen import Screen, height_of
from consensus.tendermint.signatures import VerifyCache
from consensus.tendermint.state import Admission, RoundStateMachine
from consensus.tendermint.sync_client import SyncClient, Synced
from consensus.tendermint.sync_progress import SyncProgress
from consensus.tendermint.sync_server import SyncServer, SyncServerLimits
from consensus.tendermint.wal import WAL, Entry, TimeoutRecord
from consensus.tendermint.wire import (
    DECIDED_STEP,
    MAX_HAVE,
    BadMessage,
    CommittedBlock,
    Has,
    ProposalPart,
    Received,
    RoundStep,
    SyncRequest,
    decode_channel,
    decode_gossip,
    digest,
    encode_gossip,
    received_digest,
    received_of,
    wrap,
)
from consensus.types import Block, Commit

log = logging.getLogger("depind.consensus")


@dataclass(frozen=True)
class EngineConfig:
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    max_message_bytes: int = 4 * 1024 * 1024  # gossip and sync messages, as the p2p layer allows
    sync_interval_s: float = 0.5  # between catch-up requests while nothing new comes back
    sync_timeout_s: float = 10.0
    max_sync_blocks: int = 100  # blocks in one sync answer (also bounded by bytes)
    sync_answer_bytes: int = 8 * 1024 * 1024  # an answer fills half, and holds one block at least
    inbox_size: int = 4096
    intake: IntakeLimits = field(default_factory=IntakeLimits)
    sync_answers_per_s: float = 20.0  # per peer, with a burst of twice as many
    sync_concurrent_answers: int = 2  # answers reading blocks at once, over all peers
    progress_interval_s: float = 2.0
    reactor: ReactorConfig = field(default_factory=ReactorConfig)


@dataclass(frozen=True)
class _Received:
    peer: str
    message: Received


@dataclass
class _NewEvidence:
    """Checked evidence for the owner to keep; ``error`` says why it did not."""

    evidence: DuplicateVoteEvidence
    done: trio.Event = field(default_factory=trio.Event)
    error: InvalidEvidence | None = None


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
        metrics: ConsensusMetrics = NO_METRICS,
    ) -> None:
        """``signer`` is None on a node that follows the chain without voting."""
        self.executor = executor
        self.signer = signer
        self.wal = wal
        self.network = network
        self.on_commit = on_commit
        self.config = config or EngineConfig()
        self.metrics = metrics
        self._metered_round = 0  # the last round of the current height the metrics heard of
        self._verify = VerifyCache(verify)
        self.machine = RoundStateMachine(
            executor.params.chain_id,
            signer,
            self._propose_block,
            executor.is_valid_proposal,
            self._verify,
            self.config.timeouts,
            now=time.time_ns,
        )
        self.peer_states = PeerStates()
        self.sync_server = SyncServer(executor.store, self._messages_at, self._sync_limits(), self._asked)
        self._inbox_send, self._inbox = trio.open_memory_channel[_Received | Synced | _NewEvidence](
            self.config.inbox_size
        )
        self.reactor = Reactor(network, self.peer_states, self.config.reactor)
        # Evidence is rare (each piece is new to the pool once) and must not be dropped.
        self._evidence_send, self._evidence_out = trio.open_memory_channel[bytes](math.inf)
        self._timers: list[tuple[float, int, _Timer]] = []
        self._timer_count = 0
        self._future = FutureBuffer(self.config.intake)
        self._parts = ProposalAssembly()
        self._max_block_bytes = executor.limits().max_bytes  # block.max_bytes, read at each height
        self._screen = Screen(
            self.machine,
            self._parts,
            executor.validators_at,
            executor.params.chain_id,
            self._verify,
            lambda: self._max_block_bytes,
            JunkMeter(self.config.intake),
            self.peer_states,
            network.report_invalid,
        )
        self._recorder = Recorder(wal)
        self.sync_client = SyncClient(
            network,
            self._sync_request,
            self._inbox_send,
            self.config.sync_interval_s,
            self.config.sync_timeout_s,
        )
        self.stalls = StallMeter()
        self._progress = SyncProgress(self.config.progress_interval_s, self.stalls)

    # ---- the tasks ---------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Decide heights until cancelled; the engine owns its WAL and closes it on the way out."""
        trio.lowlevel.add_instrument(self.stalls)
        try:
            await self._start_height(self.executor.next_height(), replay=True)
            self._tell_step()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self.reactor.run)
                nursery.start_soon(self.sync_client.run)
                nursery.start_soon(self._evidence_loop)
                task_status.started()
                await self._own()
        finally:
            trio.lowlevel.remove_instrument(self.stalls)
            self.wal.close()

    async def _own(self) -> None:
        """The one task that changes consensus state: it handles each input to its end,
        then fires the timers that came due meanwhile."""
        while True:
            event = await self._next_input()
            if isinstance(event, _Received):
                await self._on_message(event.peer, event.message)
            elif isinstance(event, _NewEvidence):
                self._keep_evidence(event)
            elif isinstance(event, Synced):
                await self._on_synced(event)
            await self._fire_due_timers()
            self._tell_step()

    async def _next_input(self) -> _Received | Synced | _NewEvidence | None:
        """The next input, or None once the earliest timer is due. Only the wait ends at the
        deadline: handling that outlasts it (executing synced blocks) is never cut short,
        or a stored block's height would go on being decided."""
        deadline = self._timers[0][0] if self._timers else math.inf
        with trio.move_on_at(deadline):
            return await self._inbox.receive()
        return None

    def _tell_step(self) -> None:
        """Peers hear where we are from the reactor; the metrics, of a round entered."""
        state = self.machine.state
        step = DECIDED_STEP if state.decision is not None else int(state.step)
        self.reactor.step(state.height, state.round, step)
        if state.round > self._metered_round:
            self._metered_round = state.round
            self.metrics.round_entered(state.round)

    async def _evidence_loop(self) -> None:
        async for payload in self._evidence_out:
            await self.network.publish_evidence(payload)

    # ---- inputs from the node ----------------------------------------------------------------

    async def receive(self, peer: str, payload: bytes) -> None:
        """A frame from ``peer``'s consensus channel: where it is, what it holds, or a
        message for the owner (if it passes the ``Screen``)."""
        try:
            message = decode_channel(payload, self.config.max_message_bytes)
        except BadMessage as exc:
            self.network.report_invalid(peer, f"malformed consensus message: {exc}")
            return
        if isinstance(message, RoundStep | Has):
            if self._screen.news(peer, message):
                self.reactor.peer_news()
        elif self._screen.passes(peer, message):
            await self._inbox_send.send(_Received(peer, message))

    def screen(self, peer: str, payload: bytes) -> bool:
        """Whether a message from ``peer`` is worth taking: it reads the machine's state and
        changes none; the owner admits the message again when it gets to it, since the
        state may have moved on by then."""
        try:
            message = decode_gossip(payload, self.config.max_message_bytes)
        except BadMessage as exc:
            self.network.report_invalid(peer, f"malformed consensus message: {exc}")
            return False
        return self._screen.passes(peer, message)

    def screen_evidence(self, peer: str, payload: bytes) -> bool:
        """The evidence topic's gossip validator: relay only valid evidence new to us; the
        sender of a false proof is reported (stale evidence costs nothing: gossip races)."""
        try:
            evidence = decode_evidence(payload)
            if self.executor.evidence.is_known(evidence):
                return False
            self.executor.evidence.check(evidence)
        except BadEvidence as exc:
            self.network.report_invalid(peer, f"invalid evidence: {exc}")
            return False
        except InvalidEvidence:
            return False
        return True

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

        Raises ``InvalidEvidence``. Checked here; the owner task keeps it (it alone
        changes the pool), and this waits until it has."""
        evidence = decode_evidence(payload)
        pool = self.executor.evidence
        if pool.is_committed(evidence):
            raise InvalidEvidence("the evidence is already committed")
        if not pool.is_known(evidence):
            pool.check(evidence)
            request = _NewEvidence(evidence)
            await self._inbox_send.send(request)
            await request.done.wait()
            if request.error is not None:
                raise request.error
        return evidence_id(encode_evidence(evidence))

    def _keep_evidence(self, request: _NewEvidence) -> None:
        try:
            if self.executor.evidence.add(request.evidence):
                log.info("new evidence %s", describe(request.evidence))
                self._evidence_send.send_nowait(encode_evidence(request.evidence))
        except InvalidEvidence as exc:
            request.error = exc
        finally:
            request.done.set()

    async def answer_sync(self, peer: str, payload: bytes) -> bytes:
        """``peer``'s ``SyncRequest``, answered by the ``SyncServer``; raises ``BadMessage``
        for a malformed request."""
        return await self.sync_server.answer(peer, payload)

    def _asked(self, peer: str, request: SyncRequest) -> None:
        self.peer_states.asked(peer, request.height, len(request.have), trio.current_time())

    def _messages_at(self, height: int) -> list[Message]:
        if not self.machine.started or self.machine.state.height != height:
            return []
        return self.machine.messages()

    def _sync_limits(self) -> SyncServerLimits:
        config = self.config
        return SyncServerLimits(
            max_bytes=config.sync_answer_bytes,
            max_blocks=config.max_sync_blocks,
            answers_per_s=config.sync_answers_per_s,
            burst=max(1, int(2 * config.sync_answers_per_s)),
            concurrent=config.sync_concurrent_answers,
        )

    def future_buffered(self) -> tuple[int, int]:
        """Next-height messages held, and their bytes."""
        return len(self._future), self._future.bytes

    @property
    def syncing(self) -> bool:
        """Block sync is fetching committed blocks from peers that are ahead."""
        return self._progress.syncing

    # ---- handling ----------------------------------------------------------------------------

    async def _on_message(self, peer: str, received: Received) -> None:
        """Admit a vote or a proposal's part from ``peer``: log and handle what changes the
        state (a proposal once its block is whole), keep what is for the next height,
        blame ``peer`` for what is false."""
        if self._screen.judge(peer, received).admission is not Admission.NEW:
            return
        state = self.machine.state
        if height_of(received) == state.height + 1:
            if not self._future.add(peer, received, len(encode_gossip(received))):
                log.debug("next-height message from %s dropped: over its buffer budget", peer)
            return
        self.reactor.hold(received, own=False)
        message = self._assemble(peer, received) if isinstance(received, ProposalPart) else received
        if message is None:
            return
        if state.decision is None:  # after it only late precommits count, for the last commit
            self._recorder.received(message)
        await self._apply(self.machine.handle(message))

    def _assemble(self, peer: str, received: ProposalPart) -> ProposalMsg | None:
        """The proposal with its block, once ``received`` was its last missing part."""
        try:
            message = self._parts.add(received.proposal, received.part, self._max_block_bytes)
        except BadPart as exc:
            self.network.report_invalid(peer, f"invalid consensus message: {exc}")
            return None
        except BadBlock as exc:
            self._proposer_fault(received.proposal, str(exc))
            return None
        if message is None:
            return None
        verdict = self.machine.admit(message)
        if verdict.admission is Admission.INVALID:
            self._parts.refuse(received.proposal)
            self._proposer_fault(received.proposal, verdict.reason)
        return message if verdict.admission is Admission.NEW else None

    def _proposer_fault(self, proposal: Proposal, reason: str) -> None:
        """A whole block that is not what its proposal says. Every part was proved against
        the part set the proposer signed, so the peers that passed them on (honest relays
        too) are not to blame: the proposer is; the machine prevotes nil without it."""
        log.warning(
            "proposal of height %d round %d by %s refused: %s",
            proposal.height,
            proposal.round,
            proposal.proposer_address.hex(),
            reason,
        )

    async def _on_synced(self, synced: Synced) -> None:
        try:
            applied = await self._apply_committed(synced.peer, synced.response.blocks)
            self._progress.update(self.executor.store.height(), synced.response.height)
            if applied:
                await self._start_height(self.executor.next_height(), replay=False)
            for gossip in synced.response.messages:
                await self._on_message(synced.peer, received_of(gossip))
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
            await trio.lowlevel.checkpoint()  # one block at a time: peers are served in between
        if applied is None:
            return False
        self._recorder.end_height(applied.header.height)
        return True

    async def _fire_due_timers(self) -> None:
        now = trio.current_time()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if isinstance(timer, _NextHeight):
                if timer.height > self.machine.state.height:
                    await self._start_height(timer.height, replay=False)
                continue
            self._recorder.timeout(timer)
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
        """Log our own message durably, then offer it to peers; during a replay, once
        the replay shows whether the log already holds it."""
        if self._recorder.own(message):
            self._gossip(message)

    def _gossip(self, message: Message) -> None:
        """Offer our message to every peer: a vote as it is, a proposal as its block's parts."""
        for gossip in wrap(message):
            self.reactor.hold(received_of(gossip), own=True)

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
        started = time.perf_counter()
        result = await self.executor.apply_async(block, commit)
        self.metrics.block_committed(block, time.perf_counter() - started)
        if end_height:
            self._recorder.end_height(block.header.height)
        await self.on_commit(block, commit, result)

    async def _start_height(self, height: int, *, replay: bool) -> None:
        """Start deciding ``height``: after a restart with what the WAL logged for it, and
        with whatever peers already sent for it."""
        logged = self._recorder.logged_at(height, self.executor.store.height()) if replay else []
        self._parts.start(height)
        self.reactor.start_height(height)
        self._max_block_bytes = self.executor.limits().max_bytes
        validators = self.executor.validators_at(height)
        self.metrics.height_started(height, validators)
        self._metered_round = 0
        await self._apply(self.machine.start(height, validators))
        await self._replay(height, logged)
        for peer, message in self._future.take():
            await self._on_message(peer, message)

    async def _replay(self, height: int, entries: Collection[Entry]) -> None:
        if entries:
            log.info("replaying %d consensus WAL entries of height %d", len(entries), height)
        with self._recorder.replaying():
            for entry in entries:
                if self.machine.state.decision is not None:
                    break
                await self._apply(self.machine.handle(entry.input))
                if not isinstance(entry, TimeoutRecord) and entry.own:
                    self._recorder.replayed_own(entry.input)
                    self._gossip(entry.input)
        # Signed anew while replaying (a crash came between an input and our answer to it).
        height_ended = self.machine.state.decision is not None
        self._recorder.release_created(self._gossip, height_ended=height_ended)

    # ---- catch-up ----------------------------------------------------------------------------

    def _sync_request(self) -> SyncRequest:
        """What the ``SyncClient`` asks peers for: the height we decide and what we hold."""
        return SyncRequest(self.executor.next_height(), self._have())

    def _have(self) -> list[bytes]:
        """Digests of what we hold for the height we ask about: the machine's messages, or
        while the last height ends, those buffered for the next (so that a peer does not
        send the proposal again with every request of the commit wait)."""
        if not self.machine.started:
            return []
        if self.machine.state.height == self.executor.next_height():
            held = [digest(m) for m in self.machine.messages()] + self._parts.held_digests()
        else:
            held = [received_digest(m) for m in self._future.messages()]
        return held[:MAX_HAVE]

    # ---- the application's side --------------------------------------------------------------

    def _propose_block(self, height: int, round_: int) -> Block:
        if self.signer is None:
            raise RuntimeError("a node without a validator key cannot propose")
        state = self.machine.state
        return self.executor.build(height, self.signer.address, state.last_commit)
