"""consensus.tendermint.state: the paper's rules, one scenario at a time.

Four validators of power 10 (f = 1): one machine is driven by hand and the
other three are played by signing their messages directly.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import pytest

from consensus.bfttime import MIN_BLOCK_INTERVAL_NS
from consensus.privval import DoubleSignError, verify
from consensus.tendermint.config import TimeoutConfig
from consensus.tendermint.messages import (
    Broadcast,
    Decide,
    Evidence,
    Input,
    Output,
    Proposal,
    ProposalMsg,
    ScheduleTimeout,
    Signer,
    Step,
    TimeoutEvent,
    VoteMsg,
    block_id,
)
from consensus.tendermint.state import KNOWN, NEW, VOTE_CATCHUP_ROUNDS, Admission, RoundStateMachine, Verdict
from consensus.types import ZERO_BLOCK_ID, Block, BlockIDFlag, CommitSig, Vote, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    INVALID_TX,
    KeySigner,
    is_valid_block,
    make_block,
    signed_proposal,
    signed_vote,
    signers,
    timeouts_of,
    validator_set,
    verify_commit,
)

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [10, 10, 10, 10])
BY_ADDRESS = {key.address: key for key in KEYS}


def proposer_key(round_: int, validators: ValidatorSet = VALIDATORS) -> KeySigner:
    return BY_ADDRESS[validators.increment_priority(round_).proposer().address]


def bystander(*rounds: int) -> KeySigner:
    """A validator that proposes in none of ``rounds``."""
    busy = {proposer_key(r).address for r in rounds}
    return next(key for key in KEYS if key.address not in busy)


def others(me: KeySigner) -> list[KeySigner]:
    return [key for key in KEYS if key is not me]


NOW_NS = 1_700_000_000 * 10**9
"""The machines' clock, long after the blocks' time (``make_block``'s)."""


class Node:
    """A machine under test with its proposer's block factory and a record of outputs."""

    def __init__(self, key: KeySigner | None, signer: Signer | None = None, now_ns: int = NOW_NS) -> None:
        self.key = key
        self.proposed: list[tuple[int, int]] = []
        self.machine = RoundStateMachine(
            CHAIN_ID,
            signer or key,
            self._propose,
            is_valid_block,
            verify,
            TimeoutConfig(),
            now=lambda: now_ns,
        )

    def _propose(self, height: int, round_: int) -> Block:
        self.proposed.append((height, round_))
        return make_block(height, b"", [f"new {height}/{round_}".encode()])

    @property
    def me(self) -> KeySigner:
        assert self.key is not None
        return self.key

    def start(self, height: int = 1) -> list[Output]:
        return self.machine.start(height, VALIDATORS)

    def feed(self, *items: Input | list[VoteMsg]) -> list[Output]:
        """Hand the machine each input in turn (a list: each of its votes)."""
        outputs: list[Output] = []
        for item in items:
            for event in item if isinstance(item, list) else [item]:
                outputs += self.machine.handle(event)
        return outputs


def votes_by(
    keys: Iterable[KeySigner], vote_type: VoteType, round_: int, value: Block | None, height: int = 1
) -> list[VoteMsg]:
    return [signed_vote(key, VALIDATORS, vote_type, height, round_, value) for key in keys]


def broadcast_votes(outputs: Iterable[Output]) -> list[Vote]:
    return [o.message.vote for o in outputs if isinstance(o, Broadcast) and isinstance(o.message, VoteMsg)]


def broadcast_proposals(outputs: Iterable[Output]) -> list[Proposal]:
    return [
        o.message.proposal for o in outputs if isinstance(o, Broadcast) and isinstance(o.message, ProposalMsg)
    ]


def voted(outputs: Iterable[Output], vote_type: VoteType) -> list[object]:
    """What the node voted in ``outputs``: a block id, or None for nil."""
    return [
        None if v.block_id.is_zero() else v.block_id for v in broadcast_votes(outputs) if v.type == vote_type
    ]


def decisions(outputs: Iterable[Output]) -> list[Decide]:
    return [o for o in outputs if isinstance(o, Decide)]


V = make_block(1, b"", [b"v"])
W = make_block(1, b"", [b"w"])
BAD = make_block(1, b"", [INVALID_TX])


def lock_on_v_in_round_0(node: Node) -> None:
    """Propose V in round 0, three prevotes for it: the node locks V and precommits it."""
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    outputs = node.feed(votes_by(others(node.me), VoteType.PREVOTE, 0, V))
    assert voted(outputs, VoteType.PRECOMMIT) == [block_id(V)]


def fail_round(node: Node, round_: int) -> list[Output]:
    """Everyone else precommits nil in ``round_`` and the precommit timeout fires."""
    outputs = node.feed(votes_by(others(node.me), VoteType.PRECOMMIT, round_, None))
    return outputs + node.feed(TimeoutEvent(Step.PRECOMMIT, 1, round_))


# ---- start and propose (lines 10-21) ---------------------------------------------------------------


def test_non_proposer_schedules_propose_timeout() -> None:
    node = Node(bystander(0))
    assert node.start() == [ScheduleTimeout(Step.PROPOSE, 1, 0, 1.0)]
    state = node.machine.state
    assert (state.height, state.round, state.step) == (1, 0, Step.PROPOSE)


def test_proposer_proposes_a_new_value_and_prevotes_it() -> None:
    node = Node(proposer_key(0))
    outputs = node.start()
    (proposal,) = broadcast_proposals(outputs)
    assert node.proposed == [(1, 0)]
    assert (proposal.height, proposal.round, proposal.pol_round) == (1, 0, -1)
    assert verify(node.me.pub_key, proposal.sign_bytes(CHAIN_ID), proposal.signature)
    assert voted(outputs, VoteType.PREVOTE) == [proposal.block_id]
    assert timeouts_of(outputs) == []


def test_proposer_rotates_by_weighted_round_robin() -> None:
    keys = signers(3)
    validators = validator_set(keys, [3, 2, 1])
    machine = RoundStateMachine(CHAIN_ID, None, lambda h, r: V, is_valid_block, verify, now=lambda: NOW_NS)
    machine.start(1, validators)
    expected = validators
    chosen = []
    for round_ in range(12):
        assert machine.proposer(round_) == expected.proposer().address
        chosen.append(machine.proposer(round_))
        expected = expected.increment_priority()
    assert [chosen.count(key.address) for key in keys] == [6, 4, 2]


def test_the_proposer_of_a_round_not_started_follows_the_latest_round_known() -> None:
    node = Node(bystander(0, 1))
    node.start()
    fail_round(node, 0)
    fail_round(node, 1)
    assert node.machine.state.round == 2 and len(node.machine.state.proposers) > 2
    assert node.machine.proposer(9) == VALIDATORS.increment_priority(9).proposer().address


def test_a_height_starts_once_and_with_voting_power() -> None:
    machine = RoundStateMachine(CHAIN_ID, None, lambda h, r: V, is_valid_block, verify, now=lambda: NOW_NS)
    with pytest.raises(ValueError, match=r"^no voting power at height 1$"):
        machine.start(1, ValidatorSet.from_keys([]))
    machine.start(1, validator_set(KEYS[:1], [1]))  # one unit of power is enough
    with pytest.raises(ValueError, match=r"^cannot start height 1 at height 1$"):
        machine.start(1, VALIDATORS)


def test_next_round_proposer_proposes_after_precommit_timeout() -> None:
    assert proposer_key(1) is not proposer_key(0)
    node = Node(proposer_key(1))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    outputs = fail_round(node, 0)
    assert node.proposed == [(1, 1)]
    assert [(p.round, p.pol_round) for p in broadcast_proposals(outputs)] == [(1, -1)]


def test_valid_value_is_proposed_again_with_its_round() -> None:
    """Lines 15-16 and 19: a proposer with a valid value proposes it, with validRound."""
    assert proposer_key(1) is not proposer_key(0)
    node = Node(proposer_key(1))
    lock_on_v_in_round_0(node)
    outputs = fail_round(node, 0)
    (proposal,) = broadcast_proposals(outputs)
    assert (proposal.round, proposal.pol_round, proposal.block_id) == (1, 0, block_id(V))
    assert node.proposed == []
    assert voted(outputs, VoteType.PREVOTE) == [block_id(V)]


# ---- prevote (lines 22-33, 57-60) -----------------------------------------------------------------


def test_valid_proposal_gets_a_prevote() -> None:
    node = Node(bystander(0))
    node.start()
    outputs = node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    assert voted(outputs, VoteType.PREVOTE) == [block_id(V)]
    assert node.machine.state.step == Step.PREVOTE


def test_invalid_proposal_gets_a_nil_prevote() -> None:
    node = Node(bystander(0))
    node.start()
    outputs = node.feed(signed_proposal(proposer_key(0), 1, 0, BAD))
    assert voted(outputs, VoteType.PREVOTE) == [None]


def test_propose_timeout_prevotes_nil() -> None:
    node = Node(bystander(0))
    node.start()
    outputs = node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    assert voted(outputs, VoteType.PREVOTE) == [None]
    assert node.feed(TimeoutEvent(Step.PROPOSE, 1, 0)) == []  # only in step propose


def test_prevote_only_once_per_round() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    assert node.feed(signed_proposal(proposer_key(0), 1, 0, V)) == []


def test_proposal_with_pol_round_waits_for_its_polka() -> None:
    """Line 28 needs 2f + 1 prevotes for v in round vr; without them, nothing until the timeout."""
    node = Node(bystander(1))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    fail_round(node, 0)
    assert node.feed(signed_proposal(proposer_key(1), 1, 1, W, pol_round=0)) == []
    outputs = node.feed(votes_by(others(node.me)[:2], VoteType.PREVOTE, 0, W))
    assert voted(outputs, VoteType.PREVOTE) == []  # 2 of 4 plus our nil: no polka for W yet
    outputs = node.feed(votes_by(others(node.me)[2:], VoteType.PREVOTE, 0, W))
    assert voted(outputs, VoteType.PREVOTE) == [block_id(W)]


def test_a_waiting_proposal_is_not_precommitted_before_the_node_prevotes() -> None:
    """Line 36 holds only from the prevote step: a polka in the current round for a proposal
    still waiting for its POL waits too, and fires once the node has prevoted."""
    node = Node(bystander(1))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    fail_round(node, 0)
    node.feed(signed_proposal(proposer_key(1), 1, 1, W, pol_round=0))
    outputs = node.feed(votes_by(others(node.me), VoteType.PREVOTE, 1, W))
    assert voted(outputs, VoteType.PRECOMMIT) == []
    outputs = node.feed(TimeoutEvent(Step.PROPOSE, 1, 1))
    assert voted(outputs, VoteType.PREVOTE) == [None]
    assert voted(outputs, VoteType.PRECOMMIT) == [block_id(W)]  # now in the prevote step


# ---- locking (lines 36-43) ------------------------------------------------------------------------


def test_polka_locks_and_precommits() -> None:
    node = Node(bystander(0))
    lock_on_v_in_round_0(node)
    state = node.machine.state
    assert (state.locked_value, state.locked_round) == (V, 0)
    assert (state.valid_value, state.valid_round) == (V, 0)
    assert state.step == Step.PRECOMMIT


def test_a_proposal_after_its_polka_is_prevoted_and_precommitted_at_once() -> None:
    """The proposal fires line 22 (prevote), and the polka already there line 36 (lock and
    precommit): one input, both rules' outputs."""
    node = Node(bystander(0))
    node.start()
    node.feed(votes_by(others(node.me), VoteType.PREVOTE, 0, V))
    outputs = node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    assert voted(outputs, VoteType.PREVOTE) == [block_id(V)]
    assert voted(outputs, VoteType.PRECOMMIT) == [block_id(V)]


def test_polka_without_the_proposal_does_not_lock() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    outputs = node.feed(votes_by(others(node.me), VoteType.PREVOTE, 0, V))
    assert voted(outputs, VoteType.PRECOMMIT) == [] and node.machine.state.locked_round == -1
    outputs = node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    assert voted(outputs, VoteType.PRECOMMIT) == [block_id(V)]  # line 36 fires once the proposal is in


def test_polka_seen_after_precommit_only_updates_valid_value() -> None:
    """Line 36 with step = precommit: validValue moves, the lock does not."""
    node = Node(bystander(0))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0), TimeoutEvent(Step.PREVOTE, 1, 0))
    assert node.machine.state.step == Step.PRECOMMIT
    outputs = node.feed(
        signed_proposal(proposer_key(0), 1, 0, V), votes_by(others(node.me), VoteType.PREVOTE, 0, V)
    )
    state = node.machine.state
    assert voted(outputs, VoteType.PRECOMMIT) == []
    assert (state.locked_value, state.locked_round) == (None, -1)
    assert (state.valid_value, state.valid_round) == (V, 0)


def test_locked_node_prevotes_nil_for_another_fresh_value() -> None:
    node = Node(bystander(0, 1))
    lock_on_v_in_round_0(node)
    fail_round(node, 0)
    outputs = node.feed(signed_proposal(proposer_key(1), 1, 1, W))
    assert voted(outputs, VoteType.PREVOTE) == [None]


def test_locked_node_prevotes_its_locked_value() -> None:
    node = Node(bystander(0, 1))
    lock_on_v_in_round_0(node)
    fail_round(node, 0)
    outputs = node.feed(signed_proposal(proposer_key(1), 1, 1, V))
    assert voted(outputs, VoteType.PREVOTE) == [block_id(V)]


def test_unlock_by_a_later_pol() -> None:
    """Locked on V in round 0; W got 2f + 1 prevotes in round 1: a proposal of W with
    vr = 1 in round 2 gets our prevote (line 29: lockedRound <= vr)."""
    node = Node(bystander(0, 1, 2))
    lock_on_v_in_round_0(node)
    fail_round(node, 0)
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 1))  # W's round-1 proposal never reached us
    node.feed(votes_by(others(node.me), VoteType.PREVOTE, 1, W))
    assert node.machine.state.locked_round == 0  # the polka is for a block we have not seen
    node.feed(TimeoutEvent(Step.PREVOTE, 1, 1))
    fail_round(node, 1)
    outputs = node.feed(signed_proposal(proposer_key(2), 1, 2, W, pol_round=1))
    assert voted(outputs, VoteType.PREVOTE) == [block_id(W)]


def locked_in_round_1_after_a_polka_in_round_0(polka: Block) -> Node:
    """Round 0: 2f + 1 prevotes for ``polka``, whose proposal never reached the node; round 1:
    V proposed and locked. The node is in round 2."""
    node = Node(bystander(0, 1, 2))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    node.feed(votes_by(others(node.me), VoteType.PREVOTE, 0, polka))
    node.feed(TimeoutEvent(Step.PREVOTE, 1, 0))
    fail_round(node, 0)
    node.feed(signed_proposal(proposer_key(1), 1, 1, V))
    node.feed(votes_by(others(node.me), VoteType.PREVOTE, 1, V))
    assert node.machine.state.locked_round == 1
    fail_round(node, 1)
    return node


def test_pol_older_than_the_lock_does_not_unlock() -> None:
    """Locked on V in round 1; a proposal of W with vr = 0 < lockedRound gets nil."""
    node = locked_in_round_1_after_a_polka_in_round_0(W)
    outputs = node.feed(signed_proposal(proposer_key(2), 1, 2, W, pol_round=0))
    assert voted(outputs, VoteType.PREVOTE) == [None]


def test_a_pol_older_than_the_lock_for_the_locked_value_gets_a_prevote() -> None:
    """Locked on V in round 1; V proposed again with vr = 0 < lockedRound: line 29 accepts it
    because it is the locked value."""
    node = locked_in_round_1_after_a_polka_in_round_0(V)
    outputs = node.feed(signed_proposal(proposer_key(2), 1, 2, V, pol_round=0))
    assert voted(outputs, VoteType.PREVOTE) == [block_id(V)]


def test_relock_on_a_newer_polka_in_the_current_round() -> None:
    """Locked on V; in round 1 W is proposed (we prevote nil) and gets 2f + 1 prevotes:
    line 36 locks W."""
    node = Node(bystander(0, 1))
    lock_on_v_in_round_0(node)
    fail_round(node, 0)
    node.feed(signed_proposal(proposer_key(1), 1, 1, W))
    outputs = node.feed(votes_by(others(node.me), VoteType.PREVOTE, 1, W))
    assert voted(outputs, VoteType.PRECOMMIT) == [block_id(W)]
    assert (node.machine.state.locked_value, node.machine.state.locked_round) == (W, 1)


# ---- precommit (lines 34-35, 44-48, 61-64) --------------------------------------------------------


def test_nil_polka_precommits_nil() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    outputs = node.feed(votes_by(others(node.me), VoteType.PREVOTE, 0, None))
    assert voted(outputs, VoteType.PRECOMMIT) == [None]


def test_prevote_timeout_is_scheduled_once_on_any_two_thirds() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    first, second, third = others(node.me)
    outputs = node.feed(signed_vote(first, VALIDATORS, VoteType.PREVOTE, 1, 0, None))
    assert timeouts_of(outputs) == []
    outputs = node.feed(signed_vote(second, VALIDATORS, VoteType.PREVOTE, 1, 0, W))
    assert outputs == [ScheduleTimeout(Step.PREVOTE, 1, 0, 0.5)]
    assert node.feed(signed_vote(third, VALIDATORS, VoteType.PREVOTE, 1, 0, W)) == []
    outputs = node.feed(TimeoutEvent(Step.PREVOTE, 1, 0))
    assert voted(outputs, VoteType.PRECOMMIT) == [None]


def test_precommit_timeout_is_scheduled_once_and_starts_the_next_round() -> None:
    node = Node(bystander(0, 1))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    first, second, third = others(node.me)
    assert node.feed(votes_by([first, second], VoteType.PRECOMMIT, 0, None)) == []
    outputs = node.feed(signed_vote(third, VALIDATORS, VoteType.PRECOMMIT, 1, 0, V))
    assert outputs == [ScheduleTimeout(Step.PRECOMMIT, 1, 0, 0.5)]
    outputs = node.feed(TimeoutEvent(Step.PRECOMMIT, 1, 0))
    assert outputs == [ScheduleTimeout(Step.PROPOSE, 1, 1, 1.25)]  # timeout_propose + 1 * delta
    assert node.machine.state.round == 1
    assert node.feed(TimeoutEvent(Step.PRECOMMIT, 1, 0)) == []  # stale: round 0 is over


def test_timeouts_for_other_heights_rounds_or_steps_are_ignored() -> None:
    node = Node(bystander(0))
    node.start()
    for event in (
        TimeoutEvent(Step.PROPOSE, 2, 0),
        TimeoutEvent(Step.PROPOSE, 1, 1),
        TimeoutEvent(Step.PREVOTE, 1, 0),
        TimeoutEvent(9, 1, 0),
    ):
        assert node.feed(event) == []
    assert node.machine.state.step == Step.PROPOSE


# ---- decision (lines 49-54) -----------------------------------------------------------------------


def test_decide_on_two_thirds_precommits() -> None:
    node = Node(bystander(0))
    lock_on_v_in_round_0(node)
    first, second, third = others(node.me)
    node.feed(signed_vote(first, VALIDATORS, VoteType.PRECOMMIT, 1, 0, None))
    outputs = node.feed(votes_by([second, third], VoteType.PRECOMMIT, 0, V))
    (decide,) = decisions(outputs)
    assert (decide.height, decide.round, decide.block) == (1, 0, V)
    assert decide.commit.block_id == block_id(V) and verify_commit(VALIDATORS, decide.commit)
    flags = {sig.validator_address: sig.block_id_flag for sig in decide.commit.signatures}
    assert flags[first.address] == BlockIDFlag.NIL
    assert [v.address for v in VALIDATORS.validators] == [
        sig.validator_address for sig in decide.commit.signatures
    ]


def test_decide_in_an_earlier_round() -> None:
    """Line 49 holds for any round r: a node already in round 1 decides round 0's value."""
    node = Node(bystander(0, 1))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V), TimeoutEvent(Step.PREVOTE, 1, 0))
    node.feed(votes_by(others(node.me)[:2], VoteType.PREVOTE, 1, None))
    assert node.machine.state.round == 1  # skipped on f + 1 votes in round 1
    (decide,) = decisions(node.feed(votes_by(others(node.me), VoteType.PRECOMMIT, 0, V)))
    assert (decide.height, decide.round, decide.block) == (1, 0, V)
    assert verify_commit(VALIDATORS, decide.commit)


def test_a_late_proposal_decides_an_earlier_round() -> None:
    """Line 49 on the proposal's arrival: round 0's precommits came while the node was in
    round 1, and round 0's proposal comes last."""
    node = Node(bystander(0, 1))
    node.start()
    node.feed(votes_by(others(node.me)[:2], VoteType.PREVOTE, 1, None))
    assert node.machine.state.round == 1
    assert decisions(node.feed(votes_by(others(node.me), VoteType.PRECOMMIT, 0, V))) == []
    (decide,) = decisions(node.feed(signed_proposal(proposer_key(0), 1, 0, V)))
    assert (decide.round, decide.block) == (0, V)


def test_decide_needs_the_proposal() -> None:
    node = Node(bystander(0))
    node.start()
    assert decisions(node.feed(votes_by(others(node.me), VoteType.PRECOMMIT, 0, V))) == []
    (decide,) = decisions(node.feed(signed_proposal(proposer_key(0), 1, 0, V)))
    assert decide.block == V


def test_decide_needs_a_valid_value() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, BAD))
    assert decisions(node.feed(votes_by(others(node.me), VoteType.PRECOMMIT, 0, BAD))) == []


def test_after_deciding_wait_for_the_next_height() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    node.feed(votes_by(others(node.me), VoteType.PRECOMMIT, 0, V))
    assert node.machine.state.decision == V
    assert node.feed(TimeoutEvent(Step.PROPOSE, 1, 0)) == []
    assert node.feed(votes_by(others(node.me), VoteType.PREVOTE, 3, None)) == []
    outputs = node.start(2)
    state = node.machine.state
    assert (state.height, state.round, state.locked_round, state.valid_round) == (2, 0, -1, -1)
    assert outputs
    with pytest.raises(ValueError):
        node.start(2)


def test_late_precommits_of_the_decision_round_go_into_the_last_commit() -> None:
    """CometBFT's commit step: precommits arriving between the decision and the next
    height are counted; the next height's last commit holds them all."""
    node = Node(bystander(0, 1))
    lock_on_v_in_round_0(node)
    first, second, late = others(node.me)
    (decide,) = decisions(node.feed(votes_by([first, second], VoteType.PRECOMMIT, 0, V)))
    assert sum(sig.block_id_flag == BlockIDFlag.ABSENT for sig in decide.commit.signatures) == 1
    assert node.feed(signed_vote(late, VALIDATORS, VoteType.PRECOMMIT, 1, 1, None)) == []  # another round
    assert node.feed(signed_vote(late, VALIDATORS, VoteType.PREVOTE, 1, 0, V)) == []
    assert node.feed(signed_vote(late, VALIDATORS, VoteType.PRECOMMIT, 1, 0, V)) == []
    assert node.machine.state.decision == V  # still deciding nothing new
    node.start(2)
    last_commit = node.machine.state.last_commit
    assert last_commit is not None and (last_commit.height, last_commit.round) == (1, 0)
    assert last_commit.block_id == block_id(V) and verify_commit(VALIDATORS, last_commit)
    assert [sig.block_id_flag for sig in last_commit.signatures] == [BlockIDFlag.COMMIT] * 4


def test_a_late_conflicting_precommit_gives_evidence() -> None:
    node = Node(bystander(0))
    lock_on_v_in_round_0(node)
    first, second, _ = others(node.me)
    node.feed(votes_by([first, second], VoteType.PRECOMMIT, 0, V))
    outputs = node.feed(signed_vote(first, VALIDATORS, VoteType.PRECOMMIT, 1, 0, W))
    assert [type(o) for o in outputs] == [Evidence]
    (evidence,) = [o.evidence for o in outputs if isinstance(o, Evidence)]
    assert evidence.vote_a.validator_address == first.address
    assert {evidence.vote_a.block_id, evidence.vote_b.block_id} == {block_id(V), block_id(W)}


def test_no_last_commit_for_a_height_the_machine_did_not_decide() -> None:
    node = Node(bystander(0))
    node.start()
    node.start(2)  # height 1 came by sync: the store's commit serves
    assert node.machine.state.last_commit is None
    node.feed(signed_proposal(proposer_key(0), 2, 0, make_block(2, b"", [b"v"])))
    node.feed(votes_by(others(node.me), VoteType.PRECOMMIT, 0, make_block(2, b"", [b"v"]), height=2))
    assert node.machine.state.decision is not None
    node.start(4)
    assert node.machine.state.last_commit is None


# ---- round skipping (lines 55-56) -----------------------------------------------------------------


def test_skip_to_a_round_with_one_third_of_votes() -> None:
    node = Node(bystander(0, 5))
    node.start()
    first, second, _ = others(node.me)
    assert node.feed(signed_vote(first, VALIDATORS, VoteType.PREVOTE, 1, 5, None)) == []
    outputs = node.feed(signed_vote(second, VALIDATORS, VoteType.PRECOMMIT, 1, 5, None))
    assert node.machine.state.round == 5
    assert outputs == [ScheduleTimeout(Step.PROPOSE, 1, 5, 2.25)]


def test_no_skip_to_earlier_rounds() -> None:
    node = Node(bystander(0, 1))
    node.start()
    node.feed(TimeoutEvent(Step.PROPOSE, 1, 0))
    fail_round(node, 0)
    node.feed(votes_by(others(node.me), VoteType.PREVOTE, 0, None))
    assert node.machine.state.round == 1


# ---- refused inputs ---------------------------------------------------------------------------------


def test_invalid_proposals_are_ignored() -> None:
    node = Node(bystander(0, 1))
    node.start()
    impostor = next(key for key in others(node.me) if key is not proposer_key(0))
    good = signed_proposal(proposer_key(0), 1, 0, V)
    forged = ProposalMsg(good.proposal, W)
    bad_signature = signed_proposal(impostor, 1, 0, V)
    bad_signature = ProposalMsg(
        Proposal(1, 0, -1, block_id(V), 0, proposer_key(0).address, bad_signature.proposal.signature), V
    )
    for msg in (
        signed_proposal(impostor, 1, 0, V),  # not the round's proposer
        forged,  # block does not match the proposal's id
        bad_signature,
        signed_proposal(proposer_key(0), 2, 0, V),  # other height
        signed_proposal(proposer_key(0), 1, 0, V, pol_round=0),  # vr must be below the round
        signed_proposal(proposer_key(3), 1, 3, V),  # too far ahead
    ):
        assert node.feed(msg) == []
    assert node.machine.messages() == []


def test_messages_for_other_heights_and_from_strangers_are_ignored() -> None:
    node = Node(bystander(0))
    node.start()
    stranger = signers(1, seed=7)[0]
    assert node.feed(votes_by(others(node.me), VoteType.PREVOTE, 0, V, height=2)) == []
    assert node.feed(signed_vote(stranger, VALIDATORS, VoteType.PREVOTE, 1, 0, V)) == []
    assert node.machine.messages() == []


def test_inputs_before_start_are_ignored() -> None:
    node = Node(bystander(0))
    assert node.feed(signed_proposal(proposer_key(0), 1, 0, V), TimeoutEvent(Step.PROPOSE, 1, 0)) == []
    assert not node.machine.started


# ---- equivocation ----------------------------------------------------------------------------------


def test_equivocating_votes_give_evidence_once() -> None:
    node = Node(bystander(0))
    node.start()
    cheat = others(node.me)[0]
    node.feed(signed_vote(cheat, VALIDATORS, VoteType.PREVOTE, 1, 0, V))
    outputs = node.feed(signed_vote(cheat, VALIDATORS, VoteType.PREVOTE, 1, 0, W))
    (evidence,) = [o.evidence for o in outputs if isinstance(o, Evidence)]
    assert {evidence.vote_a.validator_address, evidence.vote_b.validator_address} == {cheat.address}
    assert node.feed(signed_vote(cheat, VALIDATORS, VoteType.PREVOTE, 1, 0, None)) == []


def test_a_conflicting_vote_for_a_block_others_chose_gives_evidence_and_counts() -> None:
    """Kept as well as reported (for a peer's 2/3 majority): the evidence is not lost among
    the outputs the counted vote brings."""
    node = Node(bystander(0))
    node.start()
    cheat, honest = others(node.me)[:2]
    node.feed(signed_vote(honest, VALIDATORS, VoteType.PREVOTE, 1, 0, W))
    node.feed(signed_vote(cheat, VALIDATORS, VoteType.PREVOTE, 1, 0, V))
    outputs = node.feed(signed_vote(cheat, VALIDATORS, VoteType.PREVOTE, 1, 0, W))
    (evidence,) = [o.evidence for o in outputs if isinstance(o, Evidence)]
    assert evidence.vote_a.validator_address == cheat.address


def test_equivocating_proposer_second_proposal_is_kept_once_voted_for() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    second = signed_proposal(proposer_key(0), 1, 0, W)
    assert node.feed(second) == []
    first_voter, *rest = others(node.me)
    node.feed(signed_vote(first_voter, VALIDATORS, VoteType.PRECOMMIT, 1, 0, W))
    node.feed(second)
    (decide,) = decisions(node.feed(votes_by(rest, VoteType.PRECOMMIT, 0, W)))
    assert decide.block == W


# ---- who signs ---------------------------------------------------------------------------------------


def test_follower_without_a_key_decides_without_voting() -> None:
    node = Node(None)
    node.start()
    outputs = node.feed(signed_proposal(proposer_key(0), 1, 0, V), TimeoutEvent(Step.PROPOSE, 1, 0))
    outputs += node.feed(votes_by(KEYS[:3], VoteType.PRECOMMIT, 0, V))
    assert broadcast_votes(outputs) == [] and [d.block for d in decisions(outputs)] == [V]


def test_a_key_outside_the_validator_set_does_not_vote() -> None:
    outsider = signers(5)[4]
    assert VALIDATORS.get(outsider.address) is None
    node = Node(outsider)
    node.start()
    outputs = node.feed(signed_proposal(proposer_key(0), 1, 0, V), votes_by(KEYS, VoteType.PREVOTE, 0, V))
    outputs += node.feed(votes_by(KEYS[:3], VoteType.PRECOMMIT, 0, V))
    assert broadcast_votes(outputs) == [] and [d.block for d in decisions(outputs)] == [V]


def test_the_commit_marks_an_absent_validator_with_empty_fields() -> None:
    """The commit is hashed into the next header: an absent validator's entry has no
    address, time or signature, as CometBFT's ``NewCommitSigAbsent``."""
    node = Node(None)
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    (decide,) = decisions(node.feed(votes_by(KEYS[:3], VoteType.PRECOMMIT, 0, V)))
    flags = [sig.block_id_flag for sig in decide.commit.signatures]
    assert sorted(flags) == sorted([BlockIDFlag.COMMIT] * 3 + [BlockIDFlag.ABSENT])
    assert decide.commit.signatures[flags.index(BlockIDFlag.ABSENT)] == CommitSig(
        BlockIDFlag.ABSENT, b"", 0, b""
    )


class RefusingSigner:
    """Like FilePV after a restart: it already signed these steps."""

    def __init__(self, key: KeySigner) -> None:
        self.address = key.address

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote:
        raise DoubleSignError("already signed")

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        raise DoubleSignError("already signed")


def test_refused_signatures_send_nothing_but_the_round_goes_on() -> None:
    node = Node(bystander(0), signer=RefusingSigner(bystander(0)))
    node.start()
    assert node.feed(TimeoutEvent(Step.PROPOSE, 1, 0)) == []
    assert node.machine.state.step == Step.PREVOTE
    proposer = Node(proposer_key(0), signer=RefusingSigner(proposer_key(0)))
    assert proposer.start() == [ScheduleTimeout(Step.PROPOSE, 1, 0, 1.0)]


def test_own_messages_are_offered_for_gossip() -> None:
    node = Node(proposer_key(0))
    outputs = node.start()
    sent = [o.message for o in outputs if isinstance(o, Broadcast)]
    assert node.machine.messages() == sent
    assert isinstance(sent[0], ProposalMsg) and sent[0].proposal.round == 0


def test_a_vote_for_a_block_carries_our_clock() -> None:
    node = Node(bystander(0))
    node.start()
    (prevote,) = broadcast_votes(node.feed(signed_proposal(proposer_key(0), 1, 0, V)))
    (precommit,) = broadcast_votes(node.feed(votes_by(others(node.me)[:2], VoteType.PREVOTE, 0, V)))
    assert (prevote.block_id, prevote.timestamp_ns) == (block_id(V), NOW_NS)
    assert (precommit.block_id, precommit.timestamp_ns) == (block_id(V), NOW_NS)


def test_a_vote_for_a_block_ahead_of_our_clock_comes_1_ms_after_it() -> None:
    """BFT time: a precommit for a block is later than the block, whatever our clock says."""
    node = Node(bystander(0), now_ns=V.header.time_ns - 60 * 10**9)
    node.start()
    (vote,) = broadcast_votes(node.feed(signed_proposal(proposer_key(0), 1, 0, V)))
    assert vote.timestamp_ns == V.header.time_ns + MIN_BLOCK_INTERVAL_NS


def test_a_nil_vote_carries_our_clock() -> None:
    node = Node(bystander(0), now_ns=V.header.time_ns - 60 * 10**9)
    node.start()
    (vote,) = broadcast_votes(node.feed(TimeoutEvent(Step.PROPOSE, 1, 0)))
    assert (vote.block_id, vote.timestamp_ns) == (ZERO_BLOCK_ID, V.header.time_ns - 60 * 10**9)


def test_the_commit_carries_each_precommits_time() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V), votes_by(others(node.me), VoteType.PREVOTE, 0, V))
    two = others(node.me)[:2]
    times = {key.address: NOW_NS + n for n, key in enumerate(two, start=1)}
    (decide,) = decisions(
        node.feed(
            [signed_vote(key, VALIDATORS, VoteType.PRECOMMIT, 1, 0, V, times[key.address]) for key in two]
        )
    )
    expected = {**times, node.me.address: NOW_NS, b"": 0}  # the fourth validator is absent
    assert {sig.validator_address: sig.timestamp_ns for sig in decide.commit.signatures} == expected


def test_timeouts_grow_by_delta_per_round() -> None:
    config = TimeoutConfig()
    assert [config.duration(Step.PROPOSE, r) for r in range(3)] == [1.0, 1.25, 1.5]
    assert config.duration(Step.PREVOTE, 2) == config.duration(Step.PRECOMMIT, 2) == 1.0
    with pytest.raises(ValueError):
        TimeoutConfig(propose_s=-1)


def test_each_height_uses_the_validator_set_it_is_started_with() -> None:
    node = Node(KEYS[0])
    newcomer = signers(1, seed=5)[0]
    next_set = validator_set([KEYS[0], KEYS[1], newcomer], [10, 10, 15])  # KEYS[2] and KEYS[3] left
    keys = {key.address: key for key in (KEYS[0], KEYS[1], newcomer)}
    node.machine.start(1, VALIDATORS)
    node.machine.start(2, next_set)
    assert node.machine.proposer(0) == next_set.proposer().address
    block = make_block(2, b"", [b"next"])
    node.feed(signed_proposal(keys[next_set.proposer().address], 2, 0, block))
    departed = [signed_vote(key, next_set, VoteType.PRECOMMIT, 2, 0, block) for key in KEYS[1:]]
    assert decisions(node.feed(departed)) == []  # only KEYS[1]'s 10 of 35 count; all three would be 30
    (decide,) = decisions(node.feed(signed_vote(newcomer, next_set, VoteType.PRECOMMIT, 2, 0, block)))
    assert decide.height == 2 and len(decide.commit.signatures) == 3
    assert verify_commit(next_set, decide.commit)


def test_a_validator_opens_at_most_the_catch_up_rounds_past_the_next() -> None:
    """Votes past round + 1 (which reach a node by sync) are kept for at most
    ``VOTE_CATCHUP_ROUNDS`` rounds per validator, however many it signs."""
    node = Node(KEYS[0])
    node.start()
    signer = KEYS[1]
    far = [signed_vote(signer, VALIDATORS, VoteType.PREVOTE, 1, r, None) for r in range(2, 1002)]
    node.feed(far)
    rounds = node.machine.state.votes.rounds_of(signer.address)
    assert sorted(r for r in rounds if r > 1) == list(range(2, 2 + VOTE_CATCHUP_ROUNDS))
    assert len(node.machine.messages()) < 50


def test_admission_says_what_a_message_is_and_why() -> None:
    node = Node(bystander(0))
    admit = node.machine.admit
    proposal = signed_proposal(proposer_key(0), 1, 0, V)
    ignored, invalid = Admission.IGNORED, Admission.INVALID
    assert admit(proposal) == Verdict(ignored, "no height started")
    assert node.machine.admit_proposal(proposal.proposal) == Verdict(ignored, "no height started")
    node.start()
    assert admit(proposal) == NEW
    assert admit(signed_proposal(proposer_key(0), 2, 0, V)) == Verdict(ignored, "a proposal for height 2")
    assert admit(signed_proposal(proposer_key(1), 1, 1, V)) == NEW  # the next round is open
    assert admit(signed_proposal(proposer_key(2), 1, 2, V)) == Verdict(
        ignored, "a proposal for round 2 at round 0"
    )
    swapped = ProposalMsg(proposal.proposal, W)
    assert admit(swapped) == Verdict(invalid, "the block is not the one the proposal names")
    stranger = signed_proposal(bystander(0), 1, 0, V)
    assert admit(stranger) == Verdict(invalid, f"{bystander(0).address.hex()} is not the proposer of round 0")
    node.feed(proposal)
    assert admit(proposal) == KNOWN
    second = signed_proposal(proposer_key(0), 1, 0, W)
    assert admit(second) == Verdict(ignored, "round 0 already has a proposal")
    node.feed(votes_by(others(node.me)[:1], VoteType.PREVOTE, 0, W))
    assert admit(second) == NEW  # an equivocating proposer's block someone voted for

    [vote] = votes_by(others(node.me)[1:2], VoteType.PREVOTE, 0, V)
    assert admit(vote) == NEW
    node.feed(vote)
    assert admit(vote) == KNOWN
    assert admit(votes_by([KEYS[1]], VoteType.PREVOTE, 0, V, height=2)[0]) == Verdict(
        ignored, "a vote for height 2"
    )
    odd = VoteMsg(msgspec.structs.replace(vote.vote, type=3))
    assert admit(odd) == Verdict(invalid, "unknown vote type 3")
    [other] = votes_by(others(node.me)[2:], VoteType.PRECOMMIT, 0, V)
    forged = VoteMsg(msgspec.structs.replace(other.vote, signature=bytes(64)))
    verdict = admit(forged)
    assert verdict.admission is invalid and "signature" in verdict.reason


def test_admission_after_the_decision_takes_only_precommits_of_its_round() -> None:
    node = Node(bystander(0))
    node.start()
    node.feed(signed_proposal(proposer_key(0), 1, 0, V))
    precommits = votes_by(KEYS, VoteType.PRECOMMIT, 0, V)
    node.feed(precommits[:3])
    assert node.machine.state.decision == V
    decided = Verdict(Admission.IGNORED, "the height is decided")
    assert node.machine.admit(votes_by([KEYS[3]], VoteType.PREVOTE, 0, V)[0]) == decided
    assert node.machine.admit(votes_by([KEYS[3]], VoteType.PRECOMMIT, 1, V)[0]) == decided
    assert node.machine.admit(precommits[3]) == NEW  # a late precommit of the decision round


def test_the_vote_window_is_the_next_round_and_two_far_rounds_per_validator() -> None:
    node = Node(KEYS[0])
    node.start()

    def prevote(key: KeySigner, round_: int) -> Verdict:
        [vote] = votes_by([key], VoteType.PREVOTE, round_, None)
        verdict = node.machine.admit(vote)
        if verdict == NEW:
            node.feed(vote)
        return verdict

    assert [prevote(KEYS[1], r) for r in (1, 2, 3)] == [NEW, NEW, NEW]  # the next round is not far
    assert prevote(KEYS[1], 4) == Verdict(Admission.IGNORED, "a vote for round 4 at round 0")
    assert [prevote(KEYS[2], r) for r in (5, 6)] == [NEW, NEW]
    assert prevote(KEYS[2], 1) == NEW  # its far rounds are full, but round 1 is open to all
