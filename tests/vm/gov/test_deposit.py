"""Deposits (Cosmos's ``AddDeposit``): taken into the gov account until the proposal ends,
starting its voting period once they reach the minimum; a deposit period that ends short
drops the proposal and refunds (or burns) what was deposited."""

from __future__ import annotations

from genesis.gov import GovGenesis
from genesis.schema import CoinJSON
from tests.vm.gov.helpers import (
    DEPOSIT_BLOCKS,
    EXPEDITED_MIN_DEPOSIT,
    MIN_DEPOSIT,
    VOTING_BLOCKS,
    YES,
    GovChain,
    deposit,
    everyone_votes,
    params,
    submit,
)
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, FUNDS, events_of, with_app_state
from tests.vm.staking.helpers import staking_genesis
from vm.errors import InvalidTx
from vm.gov.msgs import MsgDeposit, MsgDepositV1Beta1
from vm.gov.types import ProposalStatus
from vm.types import Coin


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


UNKNOWN_PROPOSAL = ("gov", 2)
INACTIVE_PROPOSAL = ("gov", 3)
MIN_DEPOSIT_TOO_SMALL = ("gov", 16)
INVALID_DEPOSIT_DENOM = ("gov", 23)


def test_deposits_reaching_the_minimum_start_voting() -> None:
    chain = GovChain()
    chain.run(submit(deposit=400))
    chain.end_block()
    first = chain.run(deposit(1, BOB, 300))
    assert chain.status(1) == ProposalStatus.DEPOSIT_PERIOD
    assert [e for e in events_of(first, "proposal_deposit") if "voting_period_start" in e] == []
    chain.end_block()
    height, time_ns = chain.height, chain.time_ns
    second = chain.run(deposit(1, DAVE, 300))
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.VOTING_PERIOD
    assert (found.voting_start_height, found.voting_start_time_ns) == (height, time_ns)
    assert found.voting_end_height == height + VOTING_BLOCKS
    assert found.total_deposit == [Coin(DENOM, MIN_DEPOSIT)]
    # as Cosmos's msg server: the deposit, then a second proposal_deposit saying voting started
    assert events_of(second, "proposal_deposit") == [
        {"amount": "300udepin", "proposal_id": "1", "depositor": DAVE.address},
        {"voting_period_start": "1"},
    ]
    assert events_of(second, "submit_proposal") == []
    assert chain.gov_balance() == MIN_DEPOSIT
    assert [chain.deposit_of(1, k) for k in (ALICE, BOB, DAVE)] == [[Coin(DENOM, n)] for n in (400, 300, 300)]
    assert chain.broken() == []


def test_deposits_in_the_voting_period_are_taken_and_refunded() -> None:
    chain = GovChain()
    chain.voting()
    chain.run(deposit(1, DAVE, 500))
    chain.run(deposit(1, DAVE, 500))  # a second deposit adds to the first
    assert chain.deposit_of(1, DAVE) == [Coin(DENOM, 1_000)]
    found = chain.proposal(1)
    assert found is not None and found.total_deposit == [Coin(DENOM, 2_000)]
    assert chain.balance(DAVE) == FUNDS - 1_000
    everyone_votes(chain, 1, YES, YES, YES)
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.PASSED
    assert chain.balance(DAVE) == FUNDS and chain.gov_balance() == 0
    assert chain.deposit_of(1, DAVE) == []
    assert chain.broken() == []


def test_v1beta1_deposit() -> None:
    chain = GovChain()
    chain.run(submit(deposit=0))
    chain.run(MsgDepositV1Beta1(1, BOB.address, [Coin(DENOM, MIN_DEPOSIT)]))
    assert chain.status(1) == ProposalStatus.VOTING_PERIOD


def test_expedited_proposals_need_the_higher_minimum() -> None:
    chain = GovChain()
    chain.run(submit(deposit=MIN_DEPOSIT, expedited=True))
    assert chain.status(1) == ProposalStatus.DEPOSIT_PERIOD
    chain.run(deposit(1, BOB, EXPEDITED_MIN_DEPOSIT - MIN_DEPOSIT - 100))
    assert chain.status(1) == ProposalStatus.DEPOSIT_PERIOD
    chain.run(deposit(1, BOB, 100))
    assert chain.status(1) == ProposalStatus.VOTING_PERIOD


def test_a_deposit_period_ending_short_drops_and_refunds() -> None:
    chain = GovChain()
    chain.run(submit(deposit=400))
    chain.run(deposit(1, BOB, 300))
    end = chain.height + DEPOSIT_BLOCKS
    supply = chain.supply()
    chain.until(end)
    assert chain.status(1) == ProposalStatus.DEPOSIT_PERIOD  # deposits are taken in its last block
    chain.end_block()
    assert chain.proposal(1) is None
    assert chain.deposit_of(1, ALICE) == [] and chain.deposit_of(1, BOB) == []
    assert chain.balance(BOB) == FUNDS - 10_000_000 and chain.gov_balance() == 0
    assert chain.supply() == supply
    assert events_of(chain.events, "inactive_proposal") == [
        {"proposal_id": "1", "proposal_result": "proposal_dropped"}
    ]
    assert chain.broken() == []


def test_a_deposit_period_ending_short_burns_with_burn_proposal_deposit_prevote() -> None:
    chain = GovChain(gov_params=params(burn_proposal_deposit_prevote=True))
    chain.run(submit(deposit=400))
    chain.run(deposit(1, BOB, 300))
    supply = chain.supply()
    chain.blocks(DEPOSIT_BLOCKS + 1)
    assert chain.proposal(1) is None
    assert chain.balance(BOB) == FUNDS - 10_000_000 - 300 and chain.gov_balance() == 0
    assert chain.supply() == supply - 700
    assert chain.broken() == []


def test_invalid_deposit_on_unknown_proposal() -> None:
    chain = GovChain()
    assert code(chain.fails(deposit(1, BOB, 100))) == UNKNOWN_PROPOSAL
    chain.run(submit(deposit=0))
    chain.blocks(DEPOSIT_BLOCKS + 1)  # dropped: gone
    assert code(chain.fails(deposit(1, BOB, 100))) == UNKNOWN_PROPOSAL


def test_invalid_deposit_on_ended_proposal() -> None:
    chain = GovChain()
    chain.voting()
    everyone_votes(chain, 1, YES, YES, YES)
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.PASSED
    assert code(chain.fails(deposit(1, BOB, 100))) == INACTIVE_PROPOSAL
    assert chain.gov_balance() == 0


def test_invalid_deposit_denom() -> None:
    chain = GovChain()
    chain.run(submit(deposit=0))
    assert code(chain.fails(deposit(1, BOB, 100, denom="uatom"))) == INVALID_DEPOSIT_DENOM


def test_invalid_deposit_below_min_deposit_ratio() -> None:
    chain = GovChain()  # 0.01 of 1,000 (of 5,000 for an expedited proposal)
    chain.run(submit(deposit=0))
    chain.run(submit(deposit=0, expedited=True))
    assert code(chain.fails(deposit(1, BOB, 9))) == MIN_DEPOSIT_TOO_SMALL
    chain.run(deposit(1, BOB, 10))
    assert code(chain.fails(deposit(2, BOB, 49))) == MIN_DEPOSIT_TOO_SMALL
    chain.run(deposit(2, BOB, 50))


def test_no_ratio_takes_any_deposit() -> None:
    chain = GovChain(gov_params=params(min_deposit_ratio="0.000000000000000000"))
    chain.run(submit(deposit=1))
    chain.run(deposit(1, BOB, 1))
    assert chain.gov_balance() == 2


def test_a_deposit_meets_the_ratio_in_any_one_denom() -> None:
    # thresholds 0.01 of (50uatom, 1000udepin): 0uatom, 10udepin; as Cosmos, any uatom will do
    two = [CoinJSON(denom="uatom", amount=50), CoinJSON(denom=DENOM, amount=MIN_DEPOSIT)]
    expedited = [CoinJSON(denom="uatom", amount=100), CoinJSON(denom=DENOM, amount=EXPEDITED_MIN_DEPOSIT)]
    funds = [Coin("uatom", 1_000), Coin(DENOM, FUNDS)]
    doc = staking_genesis(funded={k: funds for k in (ALICE, BOB, CAROL, DAVE)})  # type: ignore[misc]
    gov = GovGenesis(params=params(min_deposit=two, expedited_min_deposit=expedited))
    chain = GovChain(with_app_state(doc, gov=gov))
    chain.run(submit(deposit=0))
    chain.run(MsgDeposit(1, DAVE.address, [Coin("uatom", 1)]))
    assert code(chain.fails(deposit(1, DAVE, 9))) == MIN_DEPOSIT_TOO_SMALL
    chain.run(MsgDeposit(1, DAVE.address, [Coin("uatom", 49), Coin(DENOM, 10)]))
    assert chain.status(1) == ProposalStatus.DEPOSIT_PERIOD  # every denom must reach the minimum
    chain.run(deposit(1, DAVE, MIN_DEPOSIT - 10))
    assert chain.status(1) == ProposalStatus.VOTING_PERIOD
    assert chain.broken() == []
