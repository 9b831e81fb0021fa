"""What a peer sends on its consensus channel, judged before the owner task sees it.

A ``RoundStep`` or ``Has`` updates ``PeerStates``. A vote or proposal part gets a
``Verdict`` against the state as it is now: for our height the machine's
(``RoundStateMachine.admit``; for a part its proposal's, then the part against its
proposal's part set, unless ``ProposalAssembly`` holds it, found the proposal bad
or has no room for another); for the next height what that height's validator set
allows checking now (membership, signature, the part's proof); any other height is
not wanted. Only ``NEW`` messages go on to the owner, and only what the owner then
takes is offered to other peers, so junk stops at the first honest node.

Blame follows the verdict: whoever sent something false is reported (it costs p2p
score and in the end a ban), and so is a vote for our height past our round + 1,
which no peer following the reactor's rules sends (votes for such rounds reach a
node only by sync, whose answers the owner judges); whatever served no purpose
(stale, repeated, news that was not) is charged to the sender's ``JunkMeter``
budget, reported once it runs out.

The screen changes no consensus state: it reads the machine and the assembly
through narrow views, and the owner judges each message again when it gets to it,
since the state may have moved on by then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import trio

from consensus.tendermint.assembly import check_part
from consensus.tendermint.intake import JunkMeter
from consensus.tendermint.messages import Message, Proposal, Verify, VoteMsg
from consensus.tendermint.peer_state import PeerStates
from consensus.tendermint.state import Admission, HeightState, Verdict
from consensus.tendermint.votes import InvalidVote, check_vote
from consensus.tendermint.wire import Has, ProposalPart, Received, RoundStep, received_digest
from consensus.validators import ValidatorSet

USELESS = "too many useless consensus messages"


class MachineView(Protocol):
    """The round state machine's reads the screen needs (``RoundStateMachine``)."""

    @property
    def started(self) -> bool: ...

    @property
    def state(self) -> HeightState: ...

    def admit(self, message: Message) -> Verdict: ...

    def admit_proposal(self, proposal: Proposal) -> Verdict: ...


class PartsView(Protocol):
    """What the screen asks of the parts being assembled (``ProposalAssembly``)."""

    def holds(self, proposal: Proposal, index: int) -> bool: ...

    def is_bad(self, proposal: Proposal) -> bool: ...

    def has_room(self, proposal: Proposal) -> bool: ...


class Screen:
    def __init__(
        self,
        machine: MachineView,
        parts: PartsView,
        validators_at: Callable[[int], ValidatorSet],
        chain_id: str,
        verify: Verify,
        max_block_bytes: Callable[[], int],
        junk: JunkMeter,
        peer_states: PeerStates,
        report_invalid: Callable[[str, str], None],
    ) -> None:
        """``validators_at`` raises ``LookupError`` for a height whose set is not known yet;
        ``max_block_bytes`` is the chain's ``block.max_bytes`` for the height being decided."""
        self._machine = machine
        self._parts = parts
        self._validators_at = validators_at
        self._chain_id = chain_id
        self._verify = verify
        self._max_block_bytes = max_block_bytes
        self._junk = junk
        self._peers = peer_states
        self._report = report_invalid

    def news(self, peer: str, news: RoundStep | Has) -> bool:
        """Note where ``peer`` is or what it holds; whether that was news to us (the
        reactor may have something new to send it). What was not is charged as junk."""
        now = trio.current_time()
        if isinstance(news, RoundStep):
            useful = self._peers.stepped(peer, news.height, news.round, news.step, now)
        else:
            useful = self._peers.has(peer, news.height, news.digests) > 0
        if not useful:
            self._charge(peer, now)
        return useful

    def passes(self, peer: str, message: Received) -> bool:
        """Whether ``message`` from ``peer`` is worth the owner's time: ``NEW`` to the state
        as it is now. ``peer`` holds it (it had it to send), unless it is false."""
        far = self._far_round(message)
        if far is not None:
            # A peer sends us rounds up to the one we told it + 1 (reactor.py), and our round
            # only grows within a height: this one floods, or follows no protocol of ours.
            self._report(peer, f"invalid consensus message: a vote for round {far}, past our round + 1")
            return False
        verdict = self.judge(peer, message)
        if verdict.admission is Admission.INVALID:
            return False
        self._peers.has(peer, height_of(message), [received_digest(message)])
        useful = verdict.admission is Admission.NEW
        if not useful:
            self._charge(peer, trio.current_time())
        return useful

    def judge(self, peer: str, message: Received) -> Verdict:
        """``message``'s verdict now; ``peer`` is reported if it is false."""
        verdict = self.verdict(message)
        if verdict.admission is Admission.INVALID:
            self._report(peer, f"invalid consensus message: {verdict.reason}")
        return verdict

    def verdict(self, received: Received) -> Verdict:
        """The machine's verdict for this height (for a part: its proposal's, then the
        part's own checks); for the next height, the checks its validator set allows now
        (membership and signature); older and later heights are not wanted."""
        if not self._machine.started:
            return Verdict(Admission.IGNORED, "not started")
        height = height_of(received)
        current = self._machine.state.height
        if height == current + 1:
            return self._verdict_next_height(received)
        if height != current:
            return Verdict(Admission.IGNORED, f"a message for height {height} at height {current}")
        if isinstance(received, VoteMsg):
            return self._machine.admit(received)
        verdict = self._machine.admit_proposal(received.proposal)
        if verdict.admission is not Admission.NEW:
            return verdict
        return self._verdict_part(received)

    def _verdict_part(self, received: ProposalPart) -> Verdict:
        proposal, part = received.proposal, received.part
        if self._parts.holds(proposal, part.index):
            return Verdict(Admission.KNOWN)
        if self._parts.is_bad(proposal):
            return Verdict(Admission.IGNORED, "its proposal's parts make no block")
        if not self._parts.has_room(proposal):
            return Verdict(Admission.IGNORED, "too many proposals at this height")
        problem = check_part(proposal, part, self._max_block_bytes())
        return Verdict(Admission.NEW) if problem is None else Verdict(Admission.INVALID, problem)

    def _verdict_next_height(self, received: Received) -> Verdict:
        try:
            validators = self._validators_at(height_of(received))
        except LookupError:
            return Verdict(Admission.IGNORED, "the next height's validators are not known yet")
        if isinstance(received, VoteMsg):
            try:
                check_vote(self._chain_id, validators, self._verify, received.vote)
            except InvalidVote as exc:
                return Verdict(Admission.INVALID, str(exc))
            return Verdict(Admission.NEW)
        proposal = received.proposal
        found = validators.get(proposal.proposer_address)
        if found is None:
            return Verdict(Admission.INVALID, f"{proposal.proposer_address.hex()} is not a validator")
        if not self._verify(found[1].pub_key, proposal.sign_bytes(self._chain_id), proposal.signature):
            return Verdict(Admission.INVALID, "bad proposal signature")
        problem = check_part(proposal, received.part, self._max_block_bytes())
        return Verdict(Admission.NEW) if problem is None else Verdict(Admission.INVALID, problem)

    def _far_round(self, message: Received) -> int | None:
        """The round of a vote for our height past our round + 1, if it is one."""
        if not self._machine.started:
            return None
        state = self._machine.state
        vote = message.vote if isinstance(message, VoteMsg) else None
        far = vote is not None and vote.height == state.height and vote.round > state.round + 1
        return vote.round if far and vote is not None else None

    def _charge(self, peer: str, now: float) -> None:
        """One useless message from ``peer``; reported once its budget runs out."""
        if self._junk.charge(peer, now):
            self._report(peer, USELESS)


def height_of(received: Received) -> int:
    return received.vote.height if isinstance(received, VoteMsg) else received.proposal.height
