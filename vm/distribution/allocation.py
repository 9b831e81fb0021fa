"""Each block's fees and minted coins, to the validators that signed the block before it
(Cosmos's x/distribution keeper/allocation.go).

The fee collector's balance moves to the distribution module account. The community
tax goes to the community pool; the rest is shared by the signers in proportion to
their power: each validator's commission to it, the remainder to its delegators
through its current period's rewards. Truncation leftovers go to the community pool.
The work is one pass over the last commit's votes: at most the validator set's size,
whatever the number of delegations.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from vm import dec
from vm.block import COMMIT_FLAG, VoteInfoLike
from vm.context import Context
from vm.distribution import events
from vm.distribution.deccoins import EMPTY, DecCoins
from vm.distribution.expected import ValidatorI
from vm.distribution.store import FEE_COLLECTOR, MODULE_ACCOUNT, DistributionStore
from vm.distribution.types import CurrentRewards, format_valoper

FIRST_HEIGHT_PAID = 2  # the first block has no previous block to pay for (Cosmos: height > 1)
_valoper = lru_cache(maxsize=4096)(format_valoper)  # bech32 of every signer, every block: remembered


def begin_block(keeper: DistributionStore, ctx: Context) -> None:
    """Pay for the previous block: the signers of its commit share what was collected."""
    if ctx.env.height < FIRST_HEIGHT_PAID:
        return
    signers = [vote for vote in ctx.env.last_commit.votes if vote.block_id_flag == COMMIT_FLAG]
    allocate_tokens(keeper, ctx, signers)


def allocate_tokens(keeper: DistributionStore, ctx: Context, signers: Sequence[VoteInfoLike]) -> None:
    store = ctx.store
    collector = keeper.bank.module_address(FEE_COLLECTOR)
    collected = keeper.bank.get_all_balances(store, collector)
    if not collected:
        return  # nothing to share (Cosmos writes the same state back)
    keeper.bank.send_between_modules(store, FEE_COLLECTOR, MODULE_ACCOUNT, collected)
    fees = DecCoins.from_coins(collected)
    total_power = sum(vote.power for vote in signers)
    if total_power == 0:
        keeper.add_to_community_pool(store, fees)
        return
    community_tax = keeper.get_params(store).community_tax
    for_validators = fees.mul_dec_truncate(dec.ONE - community_tax)
    remaining = fees
    for vote in signers:
        validator = keeper.staking.get_validator_by_cons_addr(store, vote.validator_address)
        if validator is None:
            continue  # removed since it signed: its share goes to the community pool
        power_fraction = dec.quo_truncate(dec.from_int(vote.power), dec.from_int(total_power))
        reward = for_validators.mul_dec_truncate(power_fraction)
        allocate_tokens_to_validator(keeper, ctx, validator, reward)
        remaining -= reward
    keeper.add_to_community_pool(store, remaining)


def allocate_tokens_to_validator(
    keeper: DistributionStore, ctx: Context, validator: ValidatorI, tokens: DecCoins
) -> None:
    """Commission (rounded) to the validator, the rest to its delegators' current period."""
    store, operator = ctx.store, validator.operator
    commission = tokens.mul_dec(validator.commission.rates.rate)
    shared = tokens - commission
    valoper = _valoper(operator)
    ctx.emit(events.Commission(amount=str(commission), validator=valoper))
    keeper.set_commission(store, operator, keeper.get_commission(store, operator) + commission)
    current = keeper.get_current(store, operator) or CurrentRewards(EMPTY, 0)
    keeper.set_current(store, operator, current._replace(rewards=current.rewards + shared))
    ctx.emit(events.Rewards(amount=str(tokens), validator=valoper))
    keeper.set_outstanding(store, operator, keeper.get_outstanding(store, operator) + tokens)
