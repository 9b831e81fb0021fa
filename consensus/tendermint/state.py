"""The Tendermint round state machine: Algorithm 1 of "The latest gossip on BFT
consensus" (Buchman, Kwon, Milosevic 2018), as a pure object.

``start(height, validators)`` and ``handle(input)`` return what to do (messages
to broadcast, timeouts to schedule, a decision, evidence); the machine does no
I/O, reads no clock and never blocks, so one driver task can own it and many
can run in one simulation. Line numbers in docstrings are the paper's.

Each input updates the stores (proposals, votes) and then every ``upon`` rule
whose condition now holds fires, until none does. The rules about the current
round (lines 22-48) are re-checked after each firing, since one firing (a vote
of our own, a new round) can enable another; the rules about any round
(49, 55) are checked for the round the input was about.

After the decision the machine takes only precommits of the decision round
(CometBFT's commit step): those that arrive before the next height starts go
into ``last_commit``, the commit the next height's proposer puts in its block,
so a validator whose precommit came after the other +2/3 is not counted absent.

Time is BFT time (consensus/bfttime.py): a vote carries the validator's clock,
``now``, given to the machine as a function (the machine reads no clock of its
own), but a vote for a block at least the block's time + 1 ms; a block's time is
the weighted median of its last commit's times, which ``propose_block`` sets and
``is_valid`` checks. A proposal carries its block's time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from consensus.bfttime import Clock, vote_time
from consensus.privval import DoubleSignError
from consensus.tendermint.config import TimeoutConfig
from consensus.tendermint.messages import (
    NO_ROUND,
    Broadcast,
    Decide,
    Evidence,
    Input,
    Message,
    Output,
    Proposal,
    ProposalMsg,
    ScheduleTimeout,
    Signer,
    StartHeight,
    Step,
    TimeoutEvent,
    Verify,
    VoteMsg,
    block_id,
)
from consensus.tendermint.votes import HeightVoteSet, InvalidVote, VoteSet, check_vote
from consensus.types import (
    ZERO_BLOCK_ID,
    Block,
    BlockID,
    BlockIDFlag,
    Commit,
    CommitSig,
    Vote,
    VoteType,
)
from consensus.validators import ValidatorSet

ProposeBlock = Callable[[int, int], Block]
"""``getValue()``: a new block for (height, round), built by the proposer's node."""

IsValid = Callable[[Block], bool]
"""``valid(v)``: block validation and the application's process_proposal."""

PROPOSAL_ROUNDS_AHEAD = 1
"""Proposals are taken for rounds up to this many past the current one; later ones
are left to gossip (this bounds the proposer-priority work a message can cause)."""

VOTE_CATCHUP_ROUNDS = 2
"""Rounds past the current one + 1 in which each validator may have votes counted
(CometBFT's catch-up rounds, counted per validator rather than per peer, so no
number of peers can open more): enough to follow a network that moved on, while a
validator signing votes for ever new rounds makes us keep at most this many."""


class Admission(Enum):
    """What ``RoundStateMachine.admit`` makes of a proposal or vote."""

    NEW = "new"  # it changes the state: log it, then handle it
    KNOWN = "known"  # already counted, or signed again to the same effect
    IGNORED = "ignored"  # not wanted now: another height, a round out of the window, a decided height
    INVALID = "invalid"  # false or malformed: whoever sent it is to blame


@dataclass(frozen=True)
class Verdict:
    admission: Admission
    reason: str = ""


NEW = Verdict(Admission.NEW)
KNOWN = Verdict(Admission.KNOWN)


@dataclass
class HeightState:
    """Everything the machine knows about the height it is deciding."""

    height: int
    validators: ValidatorSet
    votes: HeightVoteSet
    round: int = 0
    step: Step = Step.PROPOSE
    locked_value: Block | None = None
    locked_round: int = NO_ROUND
    valid_value: Block | None = None
    valid_round: int = NO_ROUND
    decision: Block | None = None
    decision_round: int = NO_ROUND
    last_commit: Commit | None = None  # the previous height's, with every precommit collected
    proposals: dict[int, dict[BlockID, ProposalMsg]] = field(default_factory=dict)
    proposers: list[ValidatorSet] = field(default_factory=list)  # the set of each round started, and the next
    validity: dict[BlockID, bool] = field(default_factory=dict)
    fired: set[tuple[int, int]] = field(default_factory=set)  # (paper line, round): "for the first time"


class RoundStateMachine:
    """One node's view of consensus, advanced only by ``start`` and ``handle``."""

    def __init__(
        self,
        chain_id: str,
        signer: Signer | None,
        propose_block: ProposeBlock,
        is_valid: IsValid,
        verify: Verify,
        timeouts: TimeoutConfig | None = None,
        *,
        now: Clock,
    ) -> None:
        """``signer`` is None on a node that follows consensus without voting; ``now`` is
        the clock our votes' times come from (``time.time_ns`` on a node)."""
        self.chain_id = chain_id
        self.signer = signer
        self.timeouts = timeouts or TimeoutConfig()
        self._propose_block = propose_block
        self._is_valid = is_valid
        self._verify = verify
        self._now = now
        self._state: HeightState | None = None

    # ---- reading the state -------------------------------------------------------------------

    @property
    def state(self) -> HeightState:
        """The current height's state; read it, never change it."""
        if self._state is None:
            raise RuntimeError("the machine has not started a height")
        return self._state

    @property
    def started(self) -> bool:
        return self._state is not None

    def proposer(self, round_: int) -> bytes:
        """``proposer(h, round)``: weighted round-robin, the height's set advanced once per round."""
        known = self.state.proposers
        if round_ < len(known):
            return known[round_].proposer().address
        validators = known[-1]  # a round not started yet: computed, not kept (a read changes nothing)
        for _ in range(round_ - len(known) + 1):
            validators = validators.increment_priority()
        return validators.proposer().address

    def messages(self) -> list[Message]:
        """Every proposal and vote kept for the current height, for a gossip layer to
        offer peers that lack them (the paper assumes such gossip)."""
        if self._state is None:
            return []
        proposals: list[Message] = [
            msg for round_ in sorted(self._state.proposals) for msg in self._state.proposals[round_].values()
        ]
        return proposals + [VoteMsg(vote) for vote in self._state.votes.votes()]

    def admit(self, message: Message) -> Verdict:
        """Whether ``message`` is wanted, without taking it: a driver logs only ``NEW``
        messages (CometBFT's checks before the WAL) and blames the sender of ``INVALID``
        ones. ``handle`` takes exactly the messages this admits as ``NEW``."""
        state = self._state
        if state is None:
            return Verdict(Admission.IGNORED, "no height started")
        if isinstance(message, ProposalMsg):
            return self._admit_proposal(state, message)
        return self._admit_vote(state, message.vote)

    # ---- inputs ------------------------------------------------------------------------------

    def start(self, height: int, validators: ValidatorSet) -> list[Output]:
        """Start ``height`` at round 0 (paper line 10) with the validators that decide it."""
        return self.handle(StartHeight(height, validators))

    def handle(self, event: Input) -> list[Output]:
        """Take one input; return what to do about it, in order."""
        if isinstance(event, StartHeight):
            return self._on_start(event)
        if self._state is None:
            return []
        if isinstance(event, ProposalMsg | VoteMsg) and self.admit(event).admission is not Admission.NEW:
            return []
        if self._state.decision is not None:
            return self._on_late_precommit(self._state, event.vote) if isinstance(event, VoteMsg) else []
        if isinstance(event, ProposalMsg):
            return self._on_proposal(self._state, event)
        if isinstance(event, VoteMsg):
            return self._on_vote(self._state, event.vote)
        return self._on_timeout(self._state, event)

    def _on_start(self, event: StartHeight) -> list[Output]:
        if self._state is not None and event.height <= self._state.height:
            raise ValueError(f"cannot start height {event.height} at height {self._state.height}")
        if event.validators.total_power() <= 0:
            raise ValueError(f"no voting power at height {event.height}")
        last_commit = self._last_commit(event.height)
        votes = HeightVoteSet(self.chain_id, event.height, event.validators, self._verify)
        self._state = HeightState(
            event.height, event.validators, votes, proposers=[event.validators], last_commit=last_commit
        )
        outputs = self._start_round(self._state, 0)
        return outputs + self._settle(self._state)

    def _on_proposal(self, state: HeightState, msg: ProposalMsg) -> list[Output]:
        proposal = msg.proposal
        state.proposals.setdefault(proposal.round, {})[proposal.block_id] = msg
        return self._settle(state, proposal.round)

    def _on_vote(self, state: HeightState, vote: Vote) -> list[Output]:
        try:
            result = state.votes.add(vote)
        except InvalidVote:
            return []
        outputs: list[Output] = [] if result.evidence is None else [Evidence(result.evidence)]
        if result.added:
            outputs += self._settle(state, vote.round)
        return outputs

    def _on_late_precommit(self, state: HeightState, vote: Vote) -> list[Output]:
        """A precommit of the decision round after the decision (``admit`` takes no other):
        counted for the commit the next block carries; it cannot change the decision."""
        try:
            result = state.votes.add(vote)
        except InvalidVote:
            return []
        return [] if result.evidence is None else [Evidence(result.evidence)]

    def _last_commit(self, height: int) -> Commit | None:
        """The commit of the height before ``height`` as collected until now, if this
        machine decided it; None after a restart or a sync (the store's then serves)."""
        previous = self._state
        if previous is None or previous.decision is None or previous.height != height - 1:
            return None
        return self._commit(previous, previous.decision_round, block_id(previous.decision))

    def _on_timeout(self, state: HeightState, event: TimeoutEvent) -> list[Output]:
        if event.height != state.height or event.round != state.round:
            return []
        if event.step == Step.PROPOSE:
            outputs = self._on_timeout_propose(state)
        elif event.step == Step.PREVOTE:
            outputs = self._on_timeout_prevote(state)
        elif event.step == Step.PRECOMMIT:
            outputs = self._on_timeout_precommit(state)
        else:
            return []
        return outputs + self._settle(state)

    # ---- proposals ---------------------------------------------------------------------------

    def admit_proposal(self, proposal: Proposal) -> Verdict:
        """``admit`` for a signed proposal whose block has not arrived (it travels in parts):
        every check but that the block is the one it names."""
        state = self._state
        if state is None:
            return Verdict(Admission.IGNORED, "no height started")
        return self._admit_signed_proposal(state, proposal)

    def _admit_proposal(self, state: HeightState, msg: ProposalMsg) -> Verdict:
        verdict = self._admit_signed_proposal(state, msg.proposal)
        if verdict.admission is Admission.NEW and block_id(msg.block) != msg.proposal.block_id:
            return Verdict(Admission.INVALID, "the block is not the one the proposal names")
        return verdict  # the block is hashed only once the proposal's signature holds

    def _admit_signed_proposal(self, state: HeightState, proposal: Proposal) -> Verdict:
        """From ``proposer(h, round)``, well formed, correctly signed, and worth keeping.

        A round keeps its first proposal, and another one from an equivocating
        proposer only once some validator has voted for its block."""
        if proposal.height != state.height or state.decision is not None:
            return Verdict(Admission.IGNORED, f"a proposal for height {proposal.height}")
        if proposal.round > state.round + PROPOSAL_ROUNDS_AHEAD:
            return Verdict(Admission.IGNORED, f"a proposal for round {proposal.round} at round {state.round}")
        kept = state.proposals.get(proposal.round, {})
        if proposal.block_id in kept:
            return KNOWN
        if kept and not state.votes.has_vote_for(proposal.round, proposal.block_id):
            return Verdict(Admission.IGNORED, f"round {proposal.round} already has a proposal")
        problem = self._malformation(state, proposal)
        return NEW if problem is None else Verdict(Admission.INVALID, problem)

    def _malformation(self, state: HeightState, proposal: Proposal) -> str | None:
        """What is wrong with the proposal, if anything: it must have a POL round below its
        round and be signed by the round's proposer."""
        if not (proposal.pol_round == NO_ROUND or 0 <= proposal.pol_round < proposal.round):
            return f"POL round {proposal.pol_round} in round {proposal.round}"
        if proposal.proposer_address != self.proposer(proposal.round):
            return f"{proposal.proposer_address.hex()} is not the proposer of round {proposal.round}"
        found = state.validators.get(proposal.proposer_address)
        if found is None:
            return f"{proposal.proposer_address.hex()} is not a validator"
        if not self._verify(found[1].pub_key, proposal.sign_bytes(self.chain_id), proposal.signature):
            return f"bad proposal signature from {proposal.proposer_address.hex()}"
        return None

    def _admit_vote(self, state: HeightState, vote: Vote) -> Verdict:
        """A vote of this height from a validator of its set, correctly signed, in the
        round window, and not counted yet; after the decision only precommits of its round."""
        if vote.height != state.height:
            return Verdict(Admission.IGNORED, f"a vote for height {vote.height}")
        if vote.type not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
            return Verdict(Admission.INVALID, f"unknown vote type {vote.type}")
        decided = state.decision is not None
        if decided and (vote.type != VoteType.PRECOMMIT or vote.round != state.decision_round):
            return Verdict(Admission.IGNORED, "the height is decided")
        if not state.votes.would_count(vote):
            return KNOWN
        if not _in_round_window(state, vote):
            return Verdict(Admission.IGNORED, f"a vote for round {vote.round} at round {state.round}")
        try:
            check_vote(self.chain_id, state.validators, self._verify, vote)
        except InvalidVote as exc:
            return Verdict(Admission.INVALID, str(exc))
        return NEW

    def _proposals(self, state: HeightState, round_: int) -> list[ProposalMsg]:
        return list(state.proposals.get(round_, {}).values())

    def _proposal_for(self, state: HeightState, round_: int, value_id: BlockID) -> ProposalMsg | None:
        return state.proposals.get(round_, {}).get(value_id)

    def _valid(self, state: HeightState, msg: ProposalMsg) -> bool:
        """``valid(v)`` of the proposal's block, asked once per block and height."""
        value_id = msg.proposal.block_id
        if value_id not in state.validity:
            state.validity[value_id] = self._is_valid(msg.block)
        return state.validity[value_id]

    # ---- the rules ---------------------------------------------------------------------------

    def _settle(self, state: HeightState, round_: int | None = None) -> list[Output]:
        """Fire every rule that now holds: lines 49 and 55 for the round the input was
        about, then the current-round rules until none fires."""
        outputs: list[Output] = []
        if round_ is not None:
            outputs += self._decide_if_committed(state, round_) or []
            if state.decision is None:
                outputs += self._skip_to_round(state, round_) or []
        while state.decision is None:
            fired = self._fire_current_round_rule(state)
            if fired is None:
                break
            outputs += fired
        return outputs

    def _fire_current_round_rule(self, state: HeightState) -> list[Output] | None:
        """The first current-round rule that holds, fired; None when none does."""
        rules = (
            self._decide_if_committed,
            self._prevote_on_proposal,
            self._prevote_on_pol_proposal,
            self._schedule_prevote_timeout,
            self._lock_on_polka,
            self._precommit_nil_on_nil_polka,
            self._schedule_precommit_timeout,
        )
        for rule in rules:
            fired = rule(state, state.round)
            if fired is not None:
                return fired
        return None

    def _start_round(self, state: HeightState, round_: int) -> list[Output]:
        """StartRound (lines 11-21): the proposer proposes validValue, else getValue();
        everyone else schedules OnTimeoutPropose."""
        state.round = round_
        state.step = Step.PROPOSE
        while len(state.proposers) <= round_ + PROPOSAL_ROUNDS_AHEAD:
            state.proposers.append(state.proposers[-1].increment_priority())
        signer = self.signer
        if signer is not None and self.proposer(round_) == signer.address:
            value = state.valid_value
            if value is None:
                value = self._propose_block(state.height, round_)
            sent = self._propose(state, signer, round_, value)
            if sent is not None:
                return sent
        duration = self.timeouts.duration(Step.PROPOSE, round_)
        return [ScheduleTimeout(Step.PROPOSE, state.height, round_, duration)]

    def _propose(self, state: HeightState, signer: Signer, round_: int, value: Block) -> list[Output] | None:
        """broadcast ⟨PROPOSAL, h, round, v, validRound⟩ (line 19); None if the signer refuses."""
        value_id = block_id(value)
        unsigned = Proposal(
            state.height, round_, state.valid_round, value_id, value.header.time_ns, signer.address, b""
        )
        try:
            proposal = signer.sign_proposal(self.chain_id, unsigned)
        except DoubleSignError:
            return None
        msg = ProposalMsg(proposal, value)
        state.proposals.setdefault(round_, {})[value_id] = msg
        return [Broadcast(msg)]

    def _prevote_on_proposal(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 22-27: a fresh proposal (vr = -1) gets our prevote if it is valid and we
        are unlocked or locked on it; nil otherwise."""
        if state.step != Step.PROPOSE:
            return None
        for msg in self._proposals(state, round_):
            if msg.proposal.pol_round == NO_ROUND:
                acceptable = state.locked_round == NO_ROUND or _is_value(state.locked_value, msg)
                return self._prevote(state, msg if acceptable and self._valid(state, msg) else None)
        return None

    def _prevote_on_pol_proposal(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 28-33: a proposal re-proposing v with 2f + 1 prevotes for it in round vr
        gets our prevote if it is valid and our lock is no newer than vr (or is on v)."""
        if state.step != Step.PROPOSE:
            return None
        for msg in self._proposals(state, round_):
            vr = msg.proposal.pol_round
            if vr != NO_ROUND and state.votes.prevotes(vr).has_two_thirds_for(msg.proposal.block_id):
                acceptable = state.locked_round <= vr or _is_value(state.locked_value, msg)
                return self._prevote(state, msg if acceptable and self._valid(state, msg) else None)
        return None

    def _schedule_prevote_timeout(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 34-35: 2f + 1 prevotes for anything, in step prevote, the first time: schedule
        OnTimeoutPrevote."""
        if state.step != Step.PREVOTE or not state.votes.prevotes(round_).has_two_thirds_any():
            return None
        return self._schedule_once(state, 34, Step.PREVOTE, round_)

    def _lock_on_polka(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 36-43: the proposal v and 2f + 1 prevotes for it, v valid, step >= prevote,
        the first time: in step prevote lock on v and precommit it; either way v
        becomes the valid value."""
        majority = state.votes.prevotes(round_).two_thirds_majority()
        if state.step < Step.PREVOTE or majority is None or (36, round_) in state.fired:
            return None
        msg = self._proposal_for(state, round_, majority)
        if msg is None or not self._valid(state, msg):
            return None
        state.fired.add((36, round_))
        outputs: list[Output] = []
        if state.step == Step.PREVOTE:
            state.locked_value, state.locked_round = msg.block, round_
            outputs = self._precommit(state, msg)
        state.valid_value, state.valid_round = msg.block, round_
        return outputs

    def _precommit_nil_on_nil_polka(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 44-46: 2f + 1 prevotes for nil in step prevote: precommit nil."""
        if state.step != Step.PREVOTE or not state.votes.prevotes(round_).has_two_thirds_for(ZERO_BLOCK_ID):
            return None
        return self._precommit(state, None)

    def _schedule_precommit_timeout(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 47-48: 2f + 1 precommits for anything, the first time: schedule
        OnTimeoutPrecommit."""
        if not state.votes.precommits(round_).has_two_thirds_any():
            return None
        return self._schedule_once(state, 47, Step.PRECOMMIT, round_)

    def _decide_if_committed(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 49-54: the proposal v of any round r and 2f + 1 precommits for it in r,
        v valid: decide v. The driver starts the next height (lines 52-54)."""
        majority = state.votes.precommits(round_).two_thirds_majority()
        if state.decision is not None or majority is None or majority.is_zero():
            return None
        msg = self._proposal_for(state, round_, majority)
        if msg is None or not self._valid(state, msg):
            return None
        state.decision, state.decision_round = msg.block, round_
        return [Decide(state.height, round_, msg.block, self._commit(state, round_, majority))]

    def _skip_to_round(self, state: HeightState, round_: int) -> list[Output] | None:
        """Lines 55-56: f + 1 of power has voted in a later round: start that round."""
        if round_ <= state.round or not state.votes.has_one_third_any(round_):
            return None
        return self._start_round(state, round_)

    def _on_timeout_propose(self, state: HeightState) -> list[Output]:
        """Lines 57-60: no acceptable proposal in time: prevote nil."""
        return self._prevote(state, None) if state.step == Step.PROPOSE else []

    def _on_timeout_prevote(self, state: HeightState) -> list[Output]:
        """Lines 61-64: no prevote quorum for one value in time: precommit nil."""
        return self._precommit(state, None) if state.step == Step.PREVOTE else []

    def _on_timeout_precommit(self, state: HeightState) -> list[Output]:
        """Lines 65-67: no decision in this round: start the next one."""
        return self._start_round(state, state.round + 1)

    # ---- acting ------------------------------------------------------------------------------

    def _schedule_once(self, state: HeightState, line: int, step: Step, round_: int) -> list[Output] | None:
        if (line, round_) in state.fired:
            return None
        state.fired.add((line, round_))
        return [ScheduleTimeout(step, state.height, round_, self.timeouts.duration(step, round_))]

    def _prevote(self, state: HeightState, value: ProposalMsg | None) -> list[Output]:
        """broadcast ⟨PREVOTE, h, round, id(v) or nil⟩; step ← prevote."""
        state.step = Step.PREVOTE
        return self._vote(state, VoteType.PREVOTE, value)

    def _precommit(self, state: HeightState, value: ProposalMsg | None) -> list[Output]:
        """broadcast ⟨PRECOMMIT, h, round, id(v) or nil⟩; step ← precommit."""
        state.step = Step.PRECOMMIT
        return self._vote(state, VoteType.PRECOMMIT, value)

    def _vote(self, state: HeightState, vote_type: VoteType, value: ProposalMsg | None) -> list[Output]:
        """Sign, count and broadcast our vote for the proposal's block (None: nil); nothing
        when we are not a validator of this height or the signer refuses (it already
        signed this step before a restart)."""
        signer = self.signer
        found = None if signer is None else state.validators.get(signer.address)
        if signer is None or found is None:
            return []
        value_id, time_ns = (
            (ZERO_BLOCK_ID, self._now())
            if value is None
            else (value.proposal.block_id, vote_time(self._now(), value.block.header.time_ns))
        )
        unsigned = Vote(
            vote_type, state.height, state.round, value_id, time_ns, signer.address, found[0], b""
        )
        try:
            vote = signer.sign_vote(self.chain_id, unsigned)
        except DoubleSignError:
            return []
        state.votes.add(vote)
        return [Broadcast(VoteMsg(vote))]

    def _commit(self, state: HeightState, round_: int, value_id: BlockID) -> Commit:
        """The round's precommits in validator order: for the block, nil, or absent."""
        precommits = state.votes.precommits(round_)
        signatures = [_commit_sig(precommits, v.address, value_id) for v in state.validators.validators]
        return Commit(state.height, round_, value_id, signatures)


def _commit_sig(precommits: VoteSet, address: bytes, value_id: BlockID) -> CommitSig:
    """The validator's precommit for the block, else its nil precommit; a precommit for
    another block counts as absent, as in CometBFT."""
    vote = precommits.vote_for(address, value_id) or precommits.vote_for(address, ZERO_BLOCK_ID)
    if vote is None:
        return CommitSig(BlockIDFlag.ABSENT, b"", 0, b"")
    flag = BlockIDFlag.COMMIT if vote.block_id == value_id else BlockIDFlag.NIL
    return CommitSig(flag, vote.validator_address, vote.timestamp_ns, vote.signature)


def _in_round_window(state: HeightState, vote: Vote) -> bool:
    """Rounds up to one past ours are open to every vote; beyond, a validator's vote
    counts only in the ``VOTE_CATCHUP_ROUNDS`` far rounds it voted in first. Once we
    move on, rounds stop being far and its next ones count."""
    horizon = state.round + 1
    if vote.round <= horizon:
        return True
    far = {round_ for round_ in state.votes.rounds_of(vote.validator_address) if round_ > horizon}
    return vote.round in far or len(far) < VOTE_CATCHUP_ROUNDS


def _is_value(block: Block | None, msg: ProposalMsg) -> bool:
    """``lockedValue = v`` for the proposal's block, compared by id."""
    return block is not None and block_id(block) == msg.proposal.block_id
