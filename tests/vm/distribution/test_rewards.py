"""F1 fee distribution to the unit: what the allocation gives each validator, and what a
withdrawal pays each delegator, followed by hand.

Every block below collects 12,345udepin. The community tax (2%) leaves 12,098.1 for the
validators; a validator that signs alone gets all of it, keeps 10% as commission
(1,209.81) and its delegators share the rest (10,888.29) in proportion to their stake.
"""

from __future__ import annotations

from consensus.abci import VoteInfo
from node.keys.hd import PrivateKey
from tests.vm.distribution.chain import FEES, RewardChain, vote
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, events_of, raw
from tests.vm.staking.helpers import POWER, create_validator, delegate
from tests.vm.staking.vectors import valoper
from vm.block import COMMIT_FLAG
from vm.dec import parse
from vm.distribution.deccoins import DecCoins
from vm.distribution.hooks import DistributionHooks
from vm.distribution.msgs import MsgWithdrawDelegatorReward, MsgWithdrawValidatorCommission
from vm.staking.hooks import StakingHooks
from vm.staking.types import consensus_address
from vm.types import module_address

ABSENT = 1


def coins(amount: str) -> DecCoins:
    return DecCoins({DENOM: parse(amount)})


def one_validator() -> RewardChain:
    """Alice's validator (10% commission) with 1,000,000 of her own and 3,000,000 of Carol's:
    4 power, bonded at the end of the first block."""
    chain = RewardChain()
    chain.run(create_validator(ALICE, 1 * POWER))
    chain.run(delegate(CAROL, ALICE, 3 * POWER))
    chain.end_block()
    return chain


def withdraw(chain: RewardChain, delegator: PrivateKey, operator: PrivateKey) -> int:
    """Withdraw a delegation's rewards; returns what the delegator received."""
    before = chain.balance(delegator)
    chain.run(MsgWithdrawDelegatorReward(delegator.address, valoper(operator)))
    return chain.balance(delegator) - before


# -- one validator, two delegators -----------------------------------------------------------


def test_withdraw_pays_the_f1_rewards_to_the_unit() -> None:
    chain = one_validator()
    chain.pass_blocks(5, [vote(ALICE, 4)], FEES)
    # 5 x 10,888.29 = 54,441.45 over 4,000,000 tokens: 0.0136103625 a token.
    assert chain.rewards(CAROL, ALICE) == coins("40831.0875")  # x 3,000,000
    assert chain.rewards(ALICE, ALICE) == coins("13610.3625")  # x 1,000,000
    assert chain.commission(ALICE) == coins("6049.05")  # 5 x 1,209.81
    assert chain.community_pool() == coins("1234.5")  # 5 x 246.9
    assert chain.outstanding(ALICE) == coins("60490.5")  # 5 x 12,098.1

    assert withdraw(chain, CAROL, ALICE) == 40_831
    assert chain.community_pool() == coins("1234.5875")  # the fraction she could not be paid
    assert chain.outstanding(ALICE) == coins("19659.4125")  # Alice's rewards and commission
    [event] = events_of(chain.events, "withdraw_rewards")
    assert event == {"amount": "40831udepin", "validator": valoper(ALICE), "delegator": CAROL.address}

    assert withdraw(chain, ALICE, ALICE) == 13_610
    before = chain.balance(ALICE)
    chain.run(MsgWithdrawValidatorCommission(valoper(ALICE)))
    assert chain.balance(ALICE) - before == 6_049
    assert chain.commission(ALICE) == coins("0.05")  # kept for a later withdrawal
    assert chain.outstanding(ALICE) == coins("0.05")
    assert chain.community_pool() == coins("1234.95")  # and Alice's fraction
    assert chain.broken() == []


def test_a_second_withdrawal_pays_only_what_came_since() -> None:
    chain = one_validator()
    chain.pass_blocks(2, [vote(ALICE, 4)], FEES)
    assert withdraw(chain, CAROL, ALICE) == 16_332  # 21,776.58 / 4,000,000 x 3,000,000 = 16,332.435
    chain.pass_blocks(3, [vote(ALICE, 4)], FEES)
    assert withdraw(chain, CAROL, ALICE) == 24_498  # 32,664.87 / 4,000,000 x 3,000,000 = 24,498.6525
    assert chain.rewards(CAROL, ALICE).is_zero()


def test_a_changed_delegation_is_paid_then_counts_its_new_stake() -> None:
    chain = one_validator()
    chain.pass_blocks(2, [vote(ALICE, 4)], FEES)
    before = chain.balance(CAROL)
    chain.run(delegate(CAROL, ALICE, 1 * POWER))  # pays what the old stake earned: 16,332.435
    assert chain.balance(CAROL) - before == 16_332 - 1 * POWER
    chain.pass_blocks(3, [vote(ALICE, 4)], FEES)
    # 32,664.87 over 5,000,000 tokens: 0.006532974 a token.
    assert withdraw(chain, CAROL, ALICE) == 26_131  # x 4,000,000 = 26,131.896
    assert withdraw(chain, ALICE, ALICE) == 11_977  # (0.005444145 + 0.006532974) x 1,000,000
    assert chain.broken() == []


def test_a_slash_midway_reduces_the_stake_from_its_period_on() -> None:
    chain = one_validator()
    chain.pass_blocks(2, [vote(ALICE, 4)], FEES)  # 0.005444145 a token
    cons = consensus_address(chain.validator(ALICE).pubkey)
    chain.keeper.slash(chain.ctx(), cons, chain.height, 4, parse("0.1"))  # 400,000 of 4,000,000 burnt
    chain.run(delegate(DAVE, ALICE, 1 * POWER))  # 4,600,000 tokens now, Dave's worth 999,999.99...9
    chain.pass_blocks(3, [vote(ALICE, 4)], FEES)
    # 32,664.87 over 4,600,000 tokens: 0.007101058695652173 a token (truncated).
    [slash] = chain.distribution.slash_events(chain.store, raw(ALICE))
    assert (slash.validator_period, slash.fraction) == (3, parse("0.1"))
    # Carol: 3,000,000 x 0.005444145 before the slash, 2,700,000 x 0.007101058695652173 after.
    assert chain.rewards(CAROL, ALICE) == coins("35505.2934782608671")
    assert withdraw(chain, CAROL, ALICE) == 35_505
    assert withdraw(chain, DAVE, ALICE) == 7_101  # 999,999.999999999999999999 x 0.00710105...
    assert withdraw(chain, ALICE, ALICE) == 11_835  # 5,444.145 + 900,000 x 0.00710105...
    assert chain.broken() == []


# -- several validators ---------------------------------------------------------------------


def two_validators() -> RewardChain:
    """Alice's validator with 1 power, Bob's with 2, both 10% commission."""
    chain = RewardChain()
    chain.run(create_validator(ALICE, 1 * POWER))
    chain.run(create_validator(BOB, 2 * POWER))
    chain.end_block()
    return chain


def test_signers_share_by_power_and_truncation_goes_to_the_pool() -> None:
    chain = two_validators()
    chain.block([vote(ALICE, 1), vote(BOB, 2)], FEES)
    # 12,098.1 x 0.333333333333333333 and x 0.666666666666666666, each truncated
    assert chain.outstanding(ALICE) == coins("4032.699999999999995967")
    assert chain.outstanding(BOB) == coins("8065.399999999999991934")
    assert chain.community_pool() == coins("246.900000000000012099")  # tax and truncation
    assert chain.commission(ALICE) == coins("403.269999999999999597")  # 10%, rounded
    events = events_of(chain.events, "rewards")
    assert events == [
        {"amount": "4032.699999999999995967udepin", "validator": valoper(ALICE)},
        {"amount": "8065.399999999999991934udepin", "validator": valoper(BOB)},
    ]
    assert events_of(chain.events, "commission")[0] == {
        "amount": "403.269999999999999597udepin",
        "validator": valoper(ALICE),
    }


def test_only_validators_that_signed_are_paid() -> None:
    chain = two_validators()
    chain.block([vote(ALICE, 1), vote(BOB, 2, ABSENT)], FEES)
    assert chain.outstanding(ALICE) == coins("12098.1")  # the only signer takes it all
    assert chain.outstanding(BOB).is_zero()
    assert chain.community_pool() == coins("246.9")


def test_no_signer_sends_everything_to_the_pool() -> None:
    chain = two_validators()
    chain.block([], FEES)
    assert chain.community_pool() == coins(str(FEES))
    assert chain.outstanding(ALICE).is_zero()
    assert chain.broken() == []


def test_first_block_pays_no_one() -> None:
    chain = RewardChain()
    assert chain.height == 1
    chain.begin_block([], FEES)  # Cosmos pays from the second block: the first has no last commit
    assert chain.community_pool().is_zero()
    assert chain.balance(module_address("fee_collector")) == FEES


def test_a_signer_unknown_to_staking_is_skipped() -> None:
    chain = two_validators()
    stranger = VoteInfo(b"\x07" * 20, 3, COMMIT_FLAG)
    chain.block([vote(ALICE, 1), stranger], FEES)
    # Alice gets her quarter of the power; the stranger's three quarters go to the pool.
    assert chain.outstanding(ALICE) == coins("3024.525")
    assert chain.community_pool() == coins("9320.475")  # 12,345 - 3,024.525


def test_distribution_hooks_are_staking_hooks() -> None:
    chain = RewardChain()
    hooks: StakingHooks = DistributionHooks(chain.distribution)  # mypy checks the protocol
    assert any(isinstance(r, DistributionHooks) for r in chain.keeper.hooks.receivers)
    assert hooks.keeper is chain.distribution  # type: ignore[attr-defined]
