"""Cancelling a proposal (Cosmos's ``CancelProposal``): only its proposer, only before its
voting period ends; ``proposal_cancel_ratio`` of each deposit is burned or sent to
``proposal_cancel_dest`` and the rest refunded; the proposal and its votes are deleted."""

from __future__ import annotations

from node.keys.hd import PrivateKey
from tests.vm.gov.helpers import (
    DEPOSIT_BLOCKS,
    MIN_DEPOSIT,
    STAKE,
    YES,
    GovChain,
    deposit,
    everyone_votes,
    params,
    submit,
    vote,
)
from tests.vm.helpers import ALICE, BOB, DAVE, DENOM, FUNDS, events_of
from vm.distribution.deccoins import DecCoins
from vm.errors import InvalidTx
from vm.gov.msgs import MsgCancelProposal
from vm.gov.types import ProposalStatus
from vm.staking.store import BONDED_POOL
from vm.types import Coin, format_address, module_address

FUNDED = FUNDS - STAKE


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


UNAUTHORIZED = ("sdk", 4)
UNKNOWN_PROPOSAL = ("gov", 2)
INVALID_PROPOSER = ("gov", 18)
VOTING_PERIOD_ENDED = ("gov", 20)
INVALID_PROPOSAL = ("gov", 21)


def cancel(proposal_id: int, proposer: PrivateKey = ALICE) -> MsgCancelProposal:
    return MsgCancelProposal(proposal_id, proposer.address)


def test_cancel_burns_the_charge_and_refunds_the_rest() -> None:
    chain = GovChain()  # proposal_cancel_ratio 0.5, no destination: burned
    chain.voting()
    chain.run(deposit(1, DAVE, 301))
    chain.run(vote(1, BOB, YES))
    supply = chain.supply()
    response = chain.answer(cancel(1))
    assert (response.proposal_id, response.canceled_height) == (1, chain.height)  # type: ignore[attr-defined]
    assert chain.proposal(1) is None and chain.vote_of(1, BOB) is None
    assert chain.deposit_of(1, ALICE) == [] and chain.deposit_of(1, DAVE) == []
    assert chain.balance(ALICE) == FUNDED - MIN_DEPOSIT // 2
    assert chain.balance(DAVE) == FUNDS - 150  # 301 / 2, truncated, is charged
    assert chain.supply() == supply - MIN_DEPOSIT // 2 - 150 and chain.gov_balance() == 0
    assert events_of(chain.events, "cancel_proposal") == [{"sender": ALICE.address, "proposal_id": "1"}]
    assert chain.broken() == []
    chain.blocks(DEPOSIT_BLOCKS + 1)  # nothing of it is left to end
    assert chain.broken() == []


def test_cancel_sends_the_charge_to_proposal_cancel_dest() -> None:
    chain = GovChain(
        gov_params=params(proposal_cancel_ratio="0.200000000000000000", proposal_cancel_dest=DAVE.address)
    )
    chain.run(submit(deposit=500))  # in its deposit period
    chain.run(deposit(1, BOB, 100))
    supply = chain.supply()
    chain.run(cancel(1))
    assert chain.proposal(1) is None
    assert chain.balance(ALICE) == FUNDED - 100 and chain.balance(BOB) == FUNDED - 20
    assert chain.balance(DAVE) == FUNDS + 120 and chain.supply() == supply
    assert chain.broken() == []


def test_cancel_to_the_distribution_account_funds_the_community_pool() -> None:
    chain = GovChain(gov_params=params(proposal_cancel_dest=format_address(module_address("distribution"))))
    chain.voting()
    pool = chain.registry.keeper("distribution").get_community_pool(chain.store)
    chain.run(cancel(1))
    after = chain.registry.keeper("distribution").get_community_pool(chain.store)
    assert after - pool == DecCoins.from_coins([Coin(DENOM, MIN_DEPOSIT // 2)])
    assert chain.broken() == []  # distribution's account matches its records


def test_invalid_cancel_to_another_module_account() -> None:
    chain = GovChain(gov_params=params(proposal_cancel_dest=format_address(module_address(BONDED_POOL))))
    chain.voting()
    assert code(chain.fails(cancel(1))) == UNAUTHORIZED
    assert chain.status(1) == ProposalStatus.VOTING_PERIOD and chain.broken() == []


def test_cancel_with_no_charge_refunds_everything() -> None:
    chain = GovChain(gov_params=params(proposal_cancel_ratio="0.000000000000000000"))
    chain.voting()
    chain.run(cancel(1))
    assert chain.balance(ALICE) == FUNDED and chain.gov_balance() == 0
    assert chain.broken() == []


def test_ids_are_not_reused_after_a_cancel() -> None:
    chain = GovChain()
    chain.voting()
    chain.run(cancel(1))
    assert chain.voting() == 2


def test_invalid_cancel_by_another_account() -> None:
    chain = GovChain()
    chain.voting()
    assert code(chain.fails(cancel(1, BOB))) == INVALID_PROPOSER
    assert chain.status(1) == ProposalStatus.VOTING_PERIOD


def test_invalid_cancel_of_unknown_proposal() -> None:
    chain = GovChain()
    assert code(chain.fails(cancel(1))) == UNKNOWN_PROPOSAL


def test_invalid_cancel_after_the_end() -> None:
    chain = GovChain()
    chain.voting()
    everyone_votes(chain, 1, YES, YES, YES)
    chain.end_voting(1)
    assert code(chain.fails(cancel(1))) == INVALID_PROPOSAL
    assert chain.status(1) == ProposalStatus.PASSED


def test_invalid_cancel_in_the_block_that_ends_voting() -> None:
    chain = GovChain()
    chain.voting()
    found = chain.proposal(1)
    assert found is not None
    chain.until(found.voting_end_height - 1)
    chain.run(cancel(1))  # the block before: still in time
    chain.voting()
    found = chain.proposal(2)
    assert found is not None
    chain.until(found.voting_end_height)
    assert code(chain.fails(cancel(2))) == VOTING_PERIOD_ENDED
