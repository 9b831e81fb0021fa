"""Slashing a validator's stake for a fault at a known height (Cosmos's keeper/slash.go).

The amount is the fraction of the stake the validator had at the infraction
(``power`` then, times the power reduction). Stake that has left the validator since
the infraction still answers for it: unbonding delegations and redelegations begun at
or after that height lose the fraction of their initial balance first, and the
validator's own tokens make up the rest, never more than it holds. Slashed tokens are
burnt from the pool that holds them.
"""

from __future__ import annotations

import msgspec

from vm import dec
from vm.context import Context
from vm.dec import Dec
from vm.errors import InvalidRequest
from vm.staking.delegation import unbond
from vm.staking.errors import NoValidatorFound
from vm.staking.store import BONDED_POOL, NOT_BONDED_POOL, StakingStore
from vm.staking.types import Redelegation, UnbondingDelegation, Validator, format_valoper
from vm.staking.validator_set import jail_validator, unjail_validator
from vm.types import Address


def slash(
    keeper: StakingStore, ctx: Context, cons_address: bytes, infraction_height: int, power: int, fraction: Dec
) -> int:
    """Burn ``fraction`` of the stake behind ``power`` at ``infraction_height``; returns the
    tokens burnt from the validator itself. An unknown validator (already slashed to
    nothing and removed) is ignored, as in Cosmos."""
    if fraction < 0:
        raise InvalidRequest(f"attempted to slash with a negative slash factor: {dec.format(fraction)}")
    store = ctx.store
    height = ctx.env.height
    if infraction_height > height:
        raise InvalidRequest(f"cannot slash an infraction at height {infraction_height} from height {height}")
    params = keeper.get_params(store)
    slash_amount = dec.truncate_int(dec.mul(dec.from_int(power * params.power_reduction), fraction))
    validator = keeper.get_validator_by_cons_addr(store, cons_address)
    if validator is None:
        return 0
    if validator.is_unbonded():
        raise InvalidRequest(
            f"should not be slashing unbonded validator {format_valoper(validator.operator)}"
        )
    keeper.hooks.before_validator_modified(ctx, validator.address)
    remaining = slash_amount
    if infraction_height < height:  # at the current height, nothing has left the validator yet
        for ubd in keeper.unbonding_delegations_from(store, validator.operator):
            remaining -= slash_unbonding_delegation(keeper, ctx, ubd, infraction_height, fraction)
        for red in keeper.redelegations_from(store, validator.operator):
            remaining -= slash_redelegation(keeper, ctx, red, infraction_height, fraction)
    validator = keeper.validator(store, validator.operator)  # as the hooks left it
    burn = max(0, min(remaining, validator.tokens))
    if burn == 0:
        return 0
    effective = min(dec.quo_round_up(dec.from_int(burn), dec.from_int(validator.tokens)), dec.ONE)
    keeper.hooks.before_validator_slashed(ctx, validator.address, effective)
    validator = keeper.remove_tokens(store, validator, burn)
    keeper.burn(store, BONDED_POOL if validator.is_bonded() else NOT_BONDED_POOL, burn)
    return burn


def slash_unbonding_delegation(
    keeper: StakingStore, ctx: Context, ubd: UnbondingDelegation, infraction_height: int, fraction: Dec
) -> int:
    """Slash the entries begun at or after the infraction and not yet matured; returns what
    they owed (what was burnt may be less: an entry cannot go below zero)."""
    owed = burnt = 0
    entries = list(ubd.entries)
    for index, entry in enumerate(entries):
        if entry.creation_height < infraction_height or entry.is_mature(ctx.env.height):
            continue
        share = dec.truncate_int(dec.mul_int(fraction, entry.initial_balance))
        owed += share
        taken = min(share, entry.balance)
        if taken:
            burnt += taken
            entries[index] = msgspec.structs.replace(entry, balance=entry.balance - taken)
    if burnt:
        keeper.set_unbonding_delegation(ctx.store, msgspec.structs.replace(ubd, entries=entries))
        keeper.burn(ctx.store, NOT_BONDED_POOL, burnt)
    return owed


def slash_redelegation(
    keeper: StakingStore, ctx: Context, red: Redelegation, infraction_height: int, fraction: Dec
) -> int:
    """Unbond and burn the share of each entry begun at or after the infraction from the
    destination validator, where its tokens now are; returns what they owed."""
    store = ctx.store
    owed = bonded_burnt = not_bonded_burnt = 0
    for entry in red.entries:
        if entry.creation_height < infraction_height or entry.is_mature(ctx.env.height):
            continue
        owed += dec.truncate_int(dec.mul_int(fraction, entry.initial_balance))
        shares = dec.mul(fraction, entry.shares_dst)
        if shares == 0:
            continue
        delegation = keeper.get_delegation(store, red.delegator, red.validator_dst)
        if delegation is None:
            continue  # gone: nothing left to take
        delegator, destination = Address(red.delegator), Address(red.validator_dst)
        tokens = unbond(keeper, ctx, delegator, destination, min(shares, delegation.shares))
        if _is_bonded(keeper.get_validator(store, red.validator_dst)):
            bonded_burnt += tokens
        else:
            not_bonded_burnt += tokens
    keeper.burn(store, BONDED_POOL, bonded_burnt)
    keeper.burn(store, NOT_BONDED_POOL, not_bonded_burnt)
    return owed


def _is_bonded(validator: Validator | None) -> bool:
    """A destination removed by the unbond was unbonded: its tokens were not bonded."""
    return validator is not None and validator.is_bonded()


# -- jail --------------------------------------------------------------------------------------


def jail(keeper: StakingStore, ctx: Context, cons_address: bytes) -> None:
    jail_validator(keeper, ctx, _by_cons(keeper, ctx, cons_address))


def unjail(keeper: StakingStore, ctx: Context, cons_address: bytes) -> None:
    unjail_validator(keeper, ctx, _by_cons(keeper, ctx, cons_address))


def _by_cons(keeper: StakingStore, ctx: Context, cons_address: bytes) -> Validator:
    validator = keeper.get_validator_by_cons_addr(ctx.store, cons_address)
    if validator is None:
        raise NoValidatorFound(f"no validator with consensus address {cons_address.hex().upper()}")
    return validator
