"""The end of a voting period (Cosmos's gov ``EndBlocker``): the tally decides; a passed
proposal's messages run all or none; deposits are refunded or burned; an expedited
proposal that fails becomes a regular one; and no block ends more proposals than the
budget."""

from __future__ import annotations

from tests.vm.gov.helpers import (
    DEPOSIT_BLOCKS,
    EXPEDITED_MIN_DEPOSIT,
    EXPEDITED_VOTING_BLOCKS,
    GOV,
    MIN_DEPOSIT,
    NO,
    STAKE,
    VETO,
    VOTING_BLOCKS,
    YES,
    GovChain,
    deposit,
    disable_sends,
    everyone_votes,
    gov_send,
    params,
    submit,
    vote,
)
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, FUNDS, events_of
from tests.vm.staking.helpers import BLOCK_NS
from vm.gov.msgs import MsgCancelProposal
from vm.gov.types import ProposalStatus, Tally

FUNDED = FUNDS - STAKE  # a validator's balance once it has bonded
PASSED, VOTING = ProposalStatus.PASSED, ProposalStatus.VOTING_PERIOD


def test_a_passed_proposal_runs_its_messages_and_refunds_deposits() -> None:
    chain = GovChain()
    chain.voting(disable_sends())
    chain.run(deposit(1, DAVE, 500))
    everyone_votes(chain, 1, YES, YES, NO)
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.PASSED
    assert found.final_tally == Tally(2 * STAKE, 0, STAKE, 0)
    assert found.failed_reason == "" and found.voting_end_time_ns == chain.time_ns - BLOCK_NS
    assert not chain.sends_enabled()
    assert chain.balance(ALICE) == FUNDED and chain.balance(DAVE) == FUNDS and chain.gov_balance() == 0
    assert chain.vote_of(1, ALICE) is None
    assert chain.results(1) == ["proposal_passed"]
    # the message's events are the block's, sent by the gov account
    executed = {"action": "/cosmos.bank.v1beta1.MsgUpdateParams", "sender": GOV, "module": "bank"}
    assert executed in events_of(chain.events, "message")
    assert chain.broken() == []


def test_a_failing_message_fails_the_proposal_and_undoes_the_others() -> None:
    chain = GovChain()
    chain.voting(disable_sends(), MsgCancelProposal(99, GOV))
    everyone_votes(chain, 1, YES, YES, YES)
    emitted = len(chain.events)
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.FAILED
    assert found.failed_reason == "proposal 99 doesn't exist: unknown proposal"
    assert chain.sends_enabled()  # the first message's change is not kept
    assert chain.balance(ALICE) == FUNDED and chain.gov_balance() == 0  # the deposit came back
    assert chain.results(1) == ["proposal_failed"]
    logs = [e["proposal_log"] for e in events_of(chain.events[emitted:], "active_proposal")]
    assert logs == [found.failed_reason]
    assert events_of(chain.events[emitted:], "message") == []  # nor the first message's events
    assert chain.broken() == []


def test_the_failure_is_the_messages_own() -> None:
    chain = GovChain()
    chain.voting(gov_send(1))
    everyone_votes(chain, 1, YES, YES, YES)
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.FAILED
    assert found.failed_reason.endswith("insufficient funds")


def test_a_proposal_without_a_majority_is_rejected() -> None:
    chain = GovChain()
    chain.voting(disable_sends())
    everyone_votes(chain, 1, YES, NO, NO)
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.REJECTED
    assert found.final_tally == Tally(STAKE, 0, 2 * STAKE, 0)
    assert chain.sends_enabled() and chain.balance(ALICE) == FUNDED
    assert chain.results(1) == ["proposal_rejected"]
    assert chain.broken() == []


def test_a_vetoed_proposal_burns_its_deposits() -> None:
    chain = GovChain()
    chain.voting(disable_sends())
    chain.run(deposit(1, DAVE, 500))
    supply = chain.supply()
    everyone_votes(chain, 1, YES, VETO, VETO)
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.REJECTED
    assert found.final_tally == Tally(STAKE, 0, 0, 2 * STAKE)
    assert chain.supply() == supply - MIN_DEPOSIT - 500
    assert chain.balance(ALICE) == FUNDED - MIN_DEPOSIT and chain.balance(DAVE) == FUNDS - 500
    assert chain.gov_balance() == 0 and chain.sends_enabled()
    assert chain.broken() == []


def test_a_veto_refunds_without_burn_vote_veto() -> None:
    chain = GovChain(gov_params=params(burn_vote_veto=False))
    chain.voting()
    everyone_votes(chain, 1, VETO, VETO, YES)
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.REJECTED
    assert chain.balance(ALICE) == FUNDED


def test_a_missed_quorum_refunds() -> None:
    chain = GovChain()
    chain.voting(disable_sends())
    supply = chain.supply()
    chain.run(vote(1, ALICE, YES))  # 10 of 30: 0.333.. < 0.334
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.REJECTED
    assert found.final_tally == Tally(STAKE, 0, 0, 0)
    assert chain.balance(ALICE) == FUNDED and chain.supply() == supply and chain.sends_enabled()
    assert chain.broken() == []


def test_a_missed_quorum_burns_with_burn_vote_quorum() -> None:
    chain = GovChain(gov_params=params(burn_vote_quorum=True))
    chain.voting()
    supply = chain.supply()
    chain.run(vote(1, ALICE, YES))
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.REJECTED
    assert chain.balance(ALICE) == FUNDED - MIN_DEPOSIT and chain.supply() == supply - MIN_DEPOSIT
    assert chain.broken() == []


def test_an_expedited_proposal_passes_early() -> None:
    chain = GovChain()
    start = chain.height
    chain.voting(disable_sends(), expedited=True)
    everyone_votes(chain, 1, YES, YES, YES)
    found = chain.proposal(1)
    assert found is not None and found.voting_end_height == start + EXPEDITED_VOTING_BLOCKS
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.PASSED and not chain.sends_enabled()
    assert chain.balance(ALICE) == FUNDED
    assert chain.broken() == []


def test_a_failing_expedited_proposal_becomes_regular_and_keeps_its_votes() -> None:
    chain = GovChain()
    start = chain.height
    chain.voting(disable_sends(), expedited=True)
    everyone_votes(chain, 1, YES, YES, NO)  # 0.666.. is not above 0.667
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.VOTING_PERIOD and not found.expedited
    assert found.voting_end_height == start + VOTING_BLOCKS
    assert chain.results(1) == ["expedited_proposal_rejected"]
    assert chain.vote_of(1, ALICE) is not None and chain.vote_of(1, CAROL) is not None
    assert chain.gov_balance() == EXPEDITED_MIN_DEPOSIT  # the deposits stay
    assert chain.sends_enabled()
    assert chain.broken() == []
    chain.end_voting(1)  # the regular threshold: 0.666.. > 0.5
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.PASSED
    assert found.final_tally == Tally(2 * STAKE, 0, STAKE, 0)
    assert chain.results(1) == ["expedited_proposal_rejected", "proposal_passed"]
    assert not chain.sends_enabled() and chain.gov_balance() == 0
    assert chain.broken() == []


def test_a_converted_proposal_can_still_be_rejected() -> None:
    chain = GovChain()
    chain.voting(expedited=True)
    everyone_votes(chain, 1, YES, NO, NO)
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.VOTING_PERIOD
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.REJECTED
    assert chain.balance(ALICE) == FUNDED
    assert chain.broken() == []


def test_no_block_ends_more_voting_periods_than_the_budget() -> None:
    chain = GovChain(gov_params=params(max_proposals_ended_per_block=2))
    for _ in range(3):
        chain.voting()
        chain.run(submit(deposit=100, proposer=BOB))  # never reaches the minimum
    voting = (1, 3, 5)
    for proposal_id in voting:
        everyone_votes(chain, proposal_id, YES, YES, YES)
    chain.end_voting(1)
    assert [chain.status(i) for i in voting] == [PASSED, PASSED, VOTING]
    assert chain.broken() == []
    chain.end_block()  # the one left over ends first in the next block
    assert [chain.status(i) for i in voting] == [PASSED] * 3
    assert chain.balance(ALICE) == FUNDED
    assert chain.broken() == []


def test_no_block_drops_more_proposals_than_the_budget() -> None:
    chain = GovChain(gov_params=params(max_proposals_ended_per_block=2))
    for _ in range(3):
        chain.run(submit(deposit=100, proposer=BOB))
    chain.blocks(DEPOSIT_BLOCKS + 1)
    assert [chain.proposal(i) is None for i in (1, 2, 3)] == [True, True, False]
    assert chain.balance(BOB) == FUNDED - 100
    assert chain.broken() == []
    chain.end_block()
    assert chain.proposal(3) is None and chain.balance(BOB) == FUNDED
    assert chain.broken() == []
