"""distribution messages: withdraw address, community pool funding, params, and each
rejection with Cosmos's code."""

from __future__ import annotations

import pytest
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from cosmpy.protos.cosmos.distribution.v1beta1 import tx_pb2

from genesis.schema import DistributionGenesis, DistributionParams
from tests.vm.distribution.chain import FEES, RewardChain, reward_genesis, vote
from tests.vm.distribution.test_rewards import coins, one_validator, withdraw
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, events_of, raw
from tests.vm.staking.helpers import POWER, undelegate
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.distribution.msgs import (
    MsgFundCommunityPool,
    MsgSetWithdrawAddress,
    MsgUpdateParams,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
    ParamsUpdate,
)
from vm.errors import InvalidTx
from vm.modules import AUTHORITY
from vm.types import Coin, format_address, module_address


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def udepin(amount: int) -> coin_pb2.Coin:
    return coin_pb2.Coin(denom=DENOM, amount=str(amount))


# -- withdraw address ------------------------------------------------------------------------


def test_rewards_and_commission_go_to_the_withdraw_address() -> None:
    chain = one_validator()
    chain.run(MsgSetWithdrawAddress(CAROL.address, DAVE.address))
    chain.run(MsgSetWithdrawAddress(ALICE.address, BOB.address))
    assert events_of(chain.events, "set_withdraw_address")[-1] == {"withdraw_address": BOB.address}
    chain.pass_blocks(5, [vote(ALICE, 4)], FEES)
    carol, dave, bob = chain.balance(CAROL), chain.balance(DAVE), chain.balance(BOB)
    chain.run(MsgWithdrawDelegatorReward(CAROL.address, valoper(ALICE)))
    chain.run(MsgWithdrawValidatorCommission(valoper(ALICE)))
    assert chain.balance(CAROL) == carol
    assert chain.balance(DAVE) - dave == 40_831
    assert chain.balance(BOB) - bob == 6_049  # an operator's commission follows its account's address


def test_invalid_withdraw_address_of_a_module_account() -> None:
    chain = one_validator()
    pool = format_address(module_address("distribution"))
    error = chain.fails(MsgSetWithdrawAddress(CAROL.address, pool))
    assert code(error) == ("sdk", 4)
    assert "is not allowed to receive external funds" in error.log


def test_invalid_withdraw_address_when_disabled() -> None:
    params = DistributionParams(withdraw_addr_enabled=False)
    chain = RewardChain(reward_genesis(distribution=DistributionGenesis(params=params)))
    assert code(chain.fails(MsgSetWithdrawAddress(CAROL.address, DAVE.address))) == ("distribution", 8)


def test_invalid_message_addresses() -> None:
    with pytest.raises(InvalidTx, match="invalid withdraw address"):
        MsgSetWithdrawAddress(CAROL.address, "depin1nope").validate()
    with pytest.raises(InvalidTx, match="invalid validator address"):
        MsgWithdrawDelegatorReward(CAROL.address, CAROL.address).validate()  # an account, not an operator
    with pytest.raises(InvalidTx, match="invalid validator address"):
        MsgWithdrawValidatorCommission("").validate()
    assert MsgWithdrawValidatorCommission(valoper(ALICE)).signer() == ALICE.address


# -- withdrawals ---------------------------------------------------------------------------------


def test_invalid_withdraw_without_a_delegation_or_validator() -> None:
    chain = one_validator()
    assert code(chain.fails(MsgWithdrawDelegatorReward(DAVE.address, valoper(ALICE)))) == ("distribution", 5)
    assert code(chain.fails(MsgWithdrawDelegatorReward(CAROL.address, valoper(BOB)))) == ("distribution", 6)


def test_invalid_commission_withdrawal_with_nothing_accumulated() -> None:
    chain = one_validator()
    error = chain.fails(MsgWithdrawValidatorCommission(valoper(ALICE)))
    assert code(error) == ("distribution", 7)
    assert error.log == "no validator commission to withdraw"


def test_withdrawals_answer_with_the_coins_paid() -> None:
    """Cosmos v0.50's responses: the whole coins paid, to whichever withdraw address."""
    chain = one_validator()
    chain.run(MsgSetWithdrawAddress(CAROL.address, DAVE.address))
    chain.pass_blocks(5, [vote(ALICE, 4)], FEES)
    reward = chain.answer(MsgWithdrawDelegatorReward(CAROL.address, valoper(ALICE)))
    commission = chain.answer(MsgWithdrawValidatorCommission(valoper(ALICE)))
    assert reward == tx_pb2.MsgWithdrawDelegatorRewardResponse(amount=[udepin(40_831)])
    assert commission == tx_pb2.MsgWithdrawValidatorCommissionResponse(amount=[udepin(6_049)])


def test_withdrawing_nothing_answers_no_coins() -> None:
    """The event shows a zero coin; the response's ``amount``, like Cosmos's, is empty."""
    chain = one_validator()
    response = chain.answer(MsgWithdrawDelegatorReward(CAROL.address, valoper(ALICE)))
    assert response == tx_pb2.MsgWithdrawDelegatorRewardResponse(amount=[])


def test_withdrawing_nothing_reports_a_zero_coin() -> None:
    chain = one_validator()
    assert withdraw(chain, CAROL, ALICE) == 0
    assert events_of(chain.events, "withdraw_rewards")[-1]["amount"] == "0udepin"


def test_undelegating_everything_pays_the_rewards_and_forgets_the_delegation() -> None:
    chain = one_validator()
    chain.pass_blocks(5, [vote(ALICE, 4)], FEES)
    before = chain.balance(CAROL)
    chain.run(undelegate(CAROL, ALICE, 3 * POWER))
    assert chain.balance(CAROL) - before == 40_831  # the tokens come back when the unbonding ends
    assert chain.distribution.get_starting_info(chain.store, raw(ALICE), raw(CAROL)) is None
    assert chain.broken() == []


def test_a_removed_validator_leaves_its_dust_to_the_community_pool() -> None:
    chain = one_validator()
    chain.pass_blocks(5, [vote(ALICE, 4)], FEES)
    chain.run(undelegate(CAROL, ALICE, 3 * POWER))  # pays 40,831; leaves 0.0875 to the pool
    alice = chain.balance(ALICE)
    chain.run(undelegate(ALICE, ALICE, 1 * POWER))  # pays 13,610; the validator is left empty
    assert chain.balance(ALICE) - alice == 13_610
    chain.pass_blocks(5)  # it leaves the set, unbonds (3 blocks) and is removed
    assert chain.keeper.get_validator(chain.store, raw(ALICE)) is None
    # Its commission (6,049.05) went to Alice when it was removed, the fraction to the pool.
    assert chain.balance(ALICE) - alice == 13_610 + 6_049 + 1 * POWER
    assert chain.community_pool() == coins("1234.5") + coins("0.0875") + coins("0.3625") + coins("0.05")
    assert chain.distribution.get_current(chain.store, raw(ALICE)) is None
    assert list(chain.distribution.iterate_historical(chain.store, raw(ALICE))) == []
    assert chain.broken() == []


# -- the community pool ----------------------------------------------------------------------------


def test_fund_community_pool() -> None:
    chain = RewardChain()
    before = chain.balance(CAROL)
    chain.run(MsgFundCommunityPool([Coin(DENOM, 1_000)], CAROL.address))
    assert chain.balance(CAROL) == before - 1_000
    assert chain.community_pool() == coins("1000")
    assert chain.balance(module_address("distribution")) == 1_000
    assert chain.broken() == []


def test_invalid_fund_community_pool() -> None:
    chain = RewardChain()
    with pytest.raises(InvalidTx, match="must not be empty"):
        MsgFundCommunityPool([], CAROL.address).validate()
    with pytest.raises(InvalidTx, match="sorted"):
        MsgFundCommunityPool([Coin(DENOM, 1), Coin("uatom", 1)], CAROL.address).validate()
    assert code(chain.fails(MsgFundCommunityPool([Coin("uatom", 1)], CAROL.address))) == ("sdk", 5)


# -- params ------------------------------------------------------------------------------------


def test_update_params_by_the_authority() -> None:
    chain = RewardChain()
    update = ParamsUpdate(dec.parse("0.5"), None, None, False)
    chain.run(MsgUpdateParams(format_address(AUTHORITY), update))
    assert chain.distribution.get_params(chain.store) == (dec.parse("0.5"), False)
    assert chain.registry.params(chain.store, "distribution")["distribution"] == {
        "community_tax": "0.500000000000000000",
        "base_proposer_reward": "0.000000000000000000",
        "bonus_proposer_reward": "0.000000000000000000",
        "withdraw_addr_enabled": False,
    }


def test_invalid_update_params() -> None:
    chain = RewardChain()
    authority = format_address(AUTHORITY)
    assert code(chain.fails(MsgUpdateParams(ALICE.address, ParamsUpdate(0, None, None, True)))) == ("sdk", 4)
    for tax, problem in [(None, "must be not nil"), (-1, "must be positive"), (dec.ONE + 1, "too large")]:
        with pytest.raises(InvalidTx, match=problem):
            chain.run(MsgUpdateParams(authority, ParamsUpdate(tax, None, None, True)))
    with pytest.raises(InvalidTx, match="deprecated"):
        MsgUpdateParams(authority, ParamsUpdate(0, dec.parse("0.01"), None, True)).validate()
