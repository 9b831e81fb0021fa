"""MsgCommunityPoolSpend: the authority pays from the community pool, as Cosmos SDK v0.50's
x/distribution does, and each rejection with Cosmos's code.

The pool in these tests is what five blocks of 12,345udepin fees leave it (2% community
tax: 1,234.5udepin) beside the rewards still outstanding to Alice's validator and its
delegators, which a spend must leave untouched."""

from __future__ import annotations

import pytest
from cosmpy.protos.cosmos.distribution.v1beta1 import tx_pb2

from genesis.schema import DistributionGenesis, DistributionParams
from tests.vm.distribution.chain import FEES, RewardChain, reward_genesis, vote
from tests.vm.distribution.test_rewards import coins, one_validator, withdraw
from tests.vm.helpers import ALICE, CAROL, DAVE, DENOM, events_of
from tests.vm.staking.helpers import POWER, create_validator
from tests.vm.staking.vectors import valoper
from vm.distribution.deccoins import DecCoins
from vm.distribution.msgs import MsgCommunityPoolSpend, MsgWithdrawValidatorCommission
from vm.errors import InvalidTx
from vm.modules import AUTHORITY
from vm.types import Coin, format_address, module_address

POOL = coins("1234.5")
DISTRIBUTION = module_address("distribution")


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def spend(amount: int, recipient: str = DAVE.address, denom: str = DENOM) -> MsgCommunityPoolSpend:
    return MsgCommunityPoolSpend(format_address(AUTHORITY), recipient, [Coin(denom, amount)])


def funded_pool() -> RewardChain:
    chain = one_validator()
    chain.pass_blocks(5, [vote(ALICE, 4)], FEES)
    assert chain.community_pool() == POOL
    return chain


def unchanged(chain: RewardChain, dave: int) -> bool:
    return chain.community_pool() == POOL and chain.balance(DAVE) == dave and chain.broken() == []


# -- the spend ---------------------------------------------------------------------------------


def test_spend_pays_the_recipient_from_the_pool() -> None:
    chain = funded_pool()
    dave, held = chain.balance(DAVE), chain.balance(DISTRIBUTION)
    response = chain.answer(spend(1_000))
    assert response == tx_pb2.MsgCommunityPoolSpendResponse()
    assert chain.balance(DAVE) - dave == 1_000
    assert held - chain.balance(DISTRIBUTION) == 1_000  # paid from the module account
    assert chain.community_pool() == coins("234.5")
    assert events_of(chain.events, "transfer")[-1] == {
        "recipient": DAVE.address,
        "sender": format_address(DISTRIBUTION),
        "amount": "1000udepin",
    }
    assert chain.broken() == []


def test_spend_leaves_the_outstanding_rewards_whole() -> None:
    """After the whole coins of the pool are spent, every delegator and the operator still
    withdraw exactly what they would have: the pool's coins were never theirs."""
    chain = funded_pool()
    chain.run(spend(1_234))
    assert chain.community_pool() == coins("0.5")
    assert chain.broken() == []
    assert withdraw(chain, CAROL, ALICE) == 40_831
    alice = chain.balance(ALICE)
    chain.run(MsgWithdrawValidatorCommission(valoper(ALICE)))
    assert chain.balance(ALICE) - alice == 6_049
    assert chain.broken() == []


# -- rejections --------------------------------------------------------------------------------


def test_invalid_spend_by_another_signer() -> None:
    chain = funded_pool()
    dave = chain.balance(DAVE)
    error = chain.fails(MsgCommunityPoolSpend(ALICE.address, DAVE.address, [Coin(DENOM, 1)]))
    assert code(error) == ("sdk", 4)
    expected = f"invalid authority; expected {format_address(AUTHORITY)}, got {ALICE.address}"
    assert error.log == f"{expected}: unauthorized"
    assert unchanged(chain, dave)


@pytest.mark.parametrize("account", ["distribution", "fee_collector", "bonded_tokens_pool", "market"])
def test_invalid_spend_to_a_module_account(account: str) -> None:
    chain = funded_pool()
    dave, held = chain.balance(DAVE), chain.balance(module_address(account))
    recipient = format_address(module_address(account))
    error = chain.fails(spend(1, recipient))
    assert code(error) == ("sdk", 4)
    assert error.log == f"{recipient} is not allowed to receive external funds: unauthorized"
    assert unchanged(chain, dave) and chain.balance(module_address(account)) == held


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ([], "must not be empty"),
        ([Coin(DENOM, 0)], "must be positive"),
        ([Coin("Bad denom", 1)], "invalid denom"),
        ([Coin(DENOM, 1), Coin("uatom", 1)], "sorted"),
        ([Coin(DENOM, 1), Coin(DENOM, 1)], "without duplicates"),
    ],
)
def test_invalid_spend_coins(amount: list[Coin], problem: str) -> None:
    chain = funded_pool()
    dave = chain.balance(DAVE)
    error = chain.fails(MsgCommunityPoolSpend(format_address(AUTHORITY), DAVE.address, amount))
    assert code(error) == ("sdk", 10)
    assert problem in error.log
    assert unchanged(chain, dave)


def test_invalid_spend_addresses() -> None:
    with pytest.raises(InvalidTx, match="invalid recipient address") as recipient:
        spend(1, "depin1nope").validate()
    with pytest.raises(InvalidTx, match="invalid authority address") as authority:
        MsgCommunityPoolSpend("", DAVE.address, [Coin(DENOM, 1)]).validate()
    assert code(recipient.value) == code(authority.value) == ("sdk", 7)


@pytest.mark.parametrize(
    "msg",
    [
        spend(1_235),  # the pool holds 1,234.5: more than its whole coins
        spend(1, denom="uatom"),  # a denom it does not hold
        MsgCommunityPoolSpend(format_address(AUTHORITY), DAVE.address, [Coin("uatom", 1), Coin(DENOM, 1)]),
    ],
)
def test_invalid_spend_beyond_the_pool(msg: MsgCommunityPoolSpend) -> None:
    chain = funded_pool()
    dave = chain.balance(DAVE)
    error = chain.fails(msg)
    assert code(error) == ("distribution", 11)
    assert error.log.endswith("community pool does not have sufficient coins to distribute")
    assert unchanged(chain, dave)


def test_invalid_spend_of_an_empty_pool() -> None:
    """With no community tax the pool stays empty: the coins the module account holds are
    owed as rewards, and are not the pool's to spend."""
    params = DistributionParams(community_tax="0")
    chain = RewardChain(reward_genesis(distribution=DistributionGenesis(params=params)))
    chain.run(create_validator(ALICE, 1 * POWER))
    chain.end_block()
    chain.pass_blocks(2, [vote(ALICE, 1)], FEES)
    assert chain.community_pool() == DecCoins()
    assert chain.balance(DISTRIBUTION) == 2 * FEES
    assert code(chain.fails(spend(1))) == ("distribution", 11)
    assert chain.balance(DISTRIBUTION) == 2 * FEES
    assert chain.broken() == []
