"""Delegating, unbonding and redelegating (Cosmos's keeper/delegation.go).

Tokens sit in the bonded pool while their validator is bonded and in the not-bonded
pool otherwise; unbonding tokens wait in the not-bonded pool until their entry
matures, ``unbonding_blocks`` after it began. A redelegation moves tokens at once, but
stays on record until it matures, so the source validator's past faults still slash it.
"""

from __future__ import annotations

import msgspec

from vm import dec
from vm.context import Context
from vm.dec import Dec
from vm.errors import InvalidRequest
from vm.staking.errors import (
    BadRedelegationDst,
    DelegatorShareExRateInvalid,
    MaxRedelegationEntries,
    MaxUnbondingDelegationEntries,
    NoDelegation,
    NoDelegatorForAddress,
    NotEnoughDelegationShares,
    SelfRedelegation,
    TinyRedelegationAmount,
    TransitiveRedelegation,
)
from vm.staking.store import BONDED_POOL, NOT_BONDED_POOL, StakingStore
from vm.staking.types import (
    BondStatus,
    Delegation,
    Redelegation,
    RedelegationEntry,
    UnbondingDelegation,
    UnbondingEntry,
    Validator,
    dec_text,
    format_valoper,
    invalid_ex_rate,
    shares_from_tokens,
    shares_from_tokens_truncated,
    tokens_from_shares,
)
from vm.staking.validator_set import jail_validator, remove_validator
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin


def delegate(
    keeper: StakingStore,
    ctx: Context,
    delegator: Address,
    amount: int,
    source: BondStatus,
    validator: Validator,
    from_account: bool,
) -> Dec:
    """Add ``amount`` tokens to ``delegator``'s delegation; returns the shares issued.

    ``from_account``: the tokens come from the delegator's balance (a delegation);
    otherwise they are already staked, in the pool of ``source`` (a redelegation or a
    cancelled unbonding) and move pools only if the validator's status differs."""
    if invalid_ex_rate(validator):
        raise DelegatorShareExRateInvalid(format_valoper(validator.operator))
    store = ctx.store
    found = keeper.get_delegation(store, delegator, validator.operator)
    if found is None:
        keeper.hooks.before_delegation_created(ctx, delegator, validator.address)
    else:
        keeper.hooks.before_delegation_shares_modified(ctx, delegator, validator.address)
    if from_account:
        pool = BONDED_POOL if validator.is_bonded() else NOT_BONDED_POOL
        keeper.bank.send_to_module(
            store, delegator, pool, [Coin(keeper.get_params(store).bond_denom, amount)]
        )
    else:
        _follow_validator_status(keeper, store, amount, source, validator)
    validator, issued = keeper.add_tokens_and_shares(store, validator, amount)
    held = found.shares if found is not None else 0
    keeper.set_delegation(store, Delegation(delegator, validator.operator, dec_text(held + issued)))
    keeper.hooks.after_delegation_modified(ctx, delegator, validator.address)
    return issued


def _follow_validator_status(
    keeper: StakingStore, store: Store, amount: int, source: BondStatus, validator: Validator
) -> None:
    """Staked tokens move to the pool of the validator they now back."""
    from_bonded = source == BondStatus.BONDED
    if from_bonded and not validator.is_bonded():
        keeper.bonded_to_not_bonded(store, amount)
    elif not from_bonded and validator.is_bonded():
        keeper.not_bonded_to_bonded(store, amount)


def unbond(keeper: StakingStore, ctx: Context, delegator: Address, operator: Address, shares: Dec) -> int:
    """Take ``shares`` out of a delegation; returns the tokens they were worth. The tokens
    stay in their pool: the caller moves them. An operator whose self-delegation falls
    below its minimum is jailed."""
    store = ctx.store
    delegation = keeper.get_delegation(store, delegator, operator)
    if delegation is None:
        raise NoDelegatorForAddress()
    keeper.hooks.before_delegation_shares_modified(ctx, delegator, operator)
    if delegation.shares < shares:
        raise NotEnoughDelegationShares(dec.format(delegation.shares))
    validator = keeper.validator(store, operator)
    remaining = delegation.shares - shares
    if delegator == operator and not validator.jailed and _below_minimum(validator, remaining):
        validator = jail_validator(keeper, ctx, validator)
    if remaining == 0:
        remove_delegation(keeper, ctx, delegation)
    else:
        keeper.set_delegation(store, msgspec.structs.replace(delegation, shares_text=dec_text(remaining)))
        keeper.hooks.after_delegation_modified(ctx, delegator, operator)
    validator, amount = keeper.remove_shares(store, validator, shares)
    if validator.delegator_shares == 0 and validator.is_unbonded():
        remove_validator(keeper, ctx, operator)  # an unbonding one goes when its unbonding ends
    return amount


def _below_minimum(validator: Validator, self_shares: Dec) -> bool:
    return dec.truncate_int(tokens_from_shares(validator, self_shares)) < validator.min_self_delegation


def remove_delegation(keeper: StakingStore, ctx: Context, delegation: Delegation) -> None:
    keeper.hooks.before_delegation_removed(ctx, Address(delegation.delegator), Address(delegation.validator))
    keeper.delete_delegation(ctx.store, delegation)


def validate_unbond_amount(
    keeper: StakingStore, store: ReadStore, delegator: Address, operator: Address, amount: int
) -> Dec:
    """The shares ``amount`` tokens are worth, capped at the delegation's (rounding must not
    stop a delegator from withdrawing everything)."""
    validator = keeper.validator(store, operator)
    delegation = keeper.get_delegation(store, delegator, operator)
    if delegation is None:
        raise NoDelegation()
    shares = shares_from_tokens(validator, amount)
    if shares_from_tokens_truncated(validator, amount) > delegation.shares:
        raise InvalidRequest("invalid shares amount")
    return min(shares, delegation.shares)


# -- unbonding -------------------------------------------------------------------------------


def undelegate(
    keeper: StakingStore, ctx: Context, delegator: Address, operator: Address, shares: Dec
) -> tuple[int, int]:
    """Begin unbonding ``shares``; returns (completion height, tokens unbonding)."""
    store = ctx.store
    validator = keeper.validator(store, operator)
    if _has_max_unbonding_entries(keeper, store, delegator, operator):
        raise MaxUnbondingDelegationEntries()
    amount = unbond(keeper, ctx, delegator, operator, shares)
    if validator.is_bonded():
        keeper.bonded_to_not_bonded(store, amount)
    completion = ctx.env.height + keeper.get_params(store).unbonding_blocks
    add_unbonding_entry(keeper, ctx, delegator, operator, ctx.env.height, completion, amount)
    keeper.ubd_queue.push(store, completion, delegator + operator)
    return completion, amount


def _has_max_unbonding_entries(
    keeper: StakingStore, store: ReadStore, delegator: bytes, operator: bytes
) -> bool:
    found = keeper.get_unbonding_delegation(store, delegator, operator)
    return found is not None and len(found.entries) >= keeper.get_params(store).max_entries


def add_unbonding_entry(
    keeper: StakingStore,
    ctx: Context,
    delegator: Address,
    operator: Address,
    creation: int,
    completion: int,
    balance: int,
) -> UnbondingDelegation:
    """A new entry, or more balance on the entry begun in the same block (Cosmos merges
    entries with the same creation height and completion)."""
    store = ctx.store
    unbonding_id = keeper.next_unbonding_id(store)
    found = keeper.get_unbonding_delegation(store, delegator, operator)
    entries = list(found.entries) if found is not None else []
    for index, entry in enumerate(entries):
        if entry.creation_height == creation and entry.completion_height == completion:
            entries[index] = msgspec.structs.replace(
                entry, initial_balance=entry.initial_balance + balance, balance=entry.balance + balance
            )
            ubd = UnbondingDelegation(delegator, operator, entries)
            keeper.set_unbonding_delegation(store, ubd)
            return ubd
    entries.append(UnbondingEntry(creation, completion, balance, balance, unbonding_id))
    ubd = UnbondingDelegation(delegator, operator, entries)
    keeper.set_unbonding_delegation(store, ubd)
    keeper.hooks.after_unbonding_initiated(ctx, unbonding_id)
    return ubd


def complete_unbonding(
    keeper: StakingStore, ctx: Context, delegator: Address, operator: Address
) -> int | None:
    """Pay out every matured entry; returns the tokens paid, None if there is no such
    unbonding delegation."""
    store = ctx.store
    ubd = keeper.get_unbonding_delegation(store, delegator, operator)
    if ubd is None:
        return None
    denom = keeper.get_params(store).bond_denom
    paid = 0
    remaining = []
    for entry in ubd.entries:
        if not entry.is_mature(ctx.env.height):
            remaining.append(entry)
            continue
        # Its own queue item goes too (one completed early alongside another, when a full
        # budget delayed that one), so the queue always holds exactly the open entries.
        keeper.ubd_queue.remove(store, entry.completion_height, delegator + operator)
        if entry.balance:  # a slash may have taken everything
            keeper.bank.send_from_module(store, NOT_BONDED_POOL, delegator, [Coin(denom, entry.balance)])
            paid += entry.balance
    keeper.save_unbonding_delegation(store, msgspec.structs.replace(ubd, entries=remaining))
    return paid


# -- redelegation ---------------------------------------------------------------------------


def begin_redelegation(
    keeper: StakingStore, ctx: Context, delegator: Address, source: Address, destination: Address, shares: Dec
) -> int:
    """Move ``shares`` worth of tokens from ``source`` to ``destination`` now; returns the
    height the record matures at (0 when the source is unbonded: nothing to keep)."""
    store = ctx.store
    if source == destination:
        raise SelfRedelegation()
    destination_validator = keeper.get_validator(store, destination)
    if destination_validator is None:
        raise BadRedelegationDst()
    source_validator = keeper.get_validator(store, source)
    if source_validator is None:  # Cosmos's keeper answers a missing source with this code too
        raise BadRedelegationDst()
    if keeper.has_receiving_redelegation(store, delegator, source):
        raise TransitiveRedelegation()
    if _has_max_redelegation_entries(keeper, store, delegator, source, destination):
        raise MaxRedelegationEntries()
    amount = unbond(keeper, ctx, delegator, source, shares)
    if amount == 0:
        raise TinyRedelegationAmount()
    created = delegate(keeper, ctx, delegator, amount, source_validator.status, destination_validator, False)
    completion, creation, complete_now = _redelegation_timing(keeper, ctx, source)
    if complete_now:
        return completion
    add_redelegation_entry(keeper, ctx, delegator, source, destination, creation, completion, amount, created)
    keeper.red_queue.push(store, completion, delegator + source + destination)
    return completion


def _redelegation_timing(keeper: StakingStore, ctx: Context, source: Address) -> tuple[int, int, bool]:
    """(completion, creation height, complete now) of a redelegation away from ``source``:
    tokens from a bonded validator wait a full unbonding period, from an unbonding one
    until that validator's unbonding ends, and from an unbonded one not at all."""
    height = ctx.env.height
    validator = keeper.get_validator(ctx.store, source)
    if validator is None or validator.is_bonded():
        return height + keeper.get_params(ctx.store).unbonding_blocks, height, False
    if validator.is_unbonded():
        return 0, 0, True
    return validator.unbonding_completion, validator.unbonding_height, False


def _has_max_redelegation_entries(
    keeper: StakingStore, store: ReadStore, delegator: bytes, source: bytes, destination: bytes
) -> bool:
    found = keeper.get_redelegation(store, delegator, source, destination)
    return found is not None and len(found.entries) >= keeper.get_params(store).max_entries


def add_redelegation_entry(
    keeper: StakingStore,
    ctx: Context,
    delegator: Address,
    source: Address,
    destination: Address,
    creation: int,
    completion: int,
    balance: int,
    shares_dst: Dec,
) -> Redelegation:
    store = ctx.store
    unbonding_id = keeper.next_unbonding_id(store)
    entry = RedelegationEntry(creation, completion, balance, dec_text(shares_dst), unbonding_id)
    found = keeper.get_redelegation(store, delegator, source, destination)
    entries = [*found.entries, entry] if found is not None else [entry]
    red = Redelegation(delegator, source, destination, entries)
    keeper.set_redelegation(store, red)
    keeper.hooks.after_unbonding_initiated(ctx, unbonding_id)
    return red


def complete_redelegation(
    keeper: StakingStore, ctx: Context, delegator: Address, source: Address, destination: Address
) -> int | None:
    """Drop the matured entries; returns their initial balances' sum, None if there is no
    such redelegation. No tokens move: they moved when the redelegation began."""
    store = ctx.store
    red = keeper.get_redelegation(store, delegator, source, destination)
    if red is None:
        return None
    mature = [e for e in red.entries if e.is_mature(ctx.env.height)]
    remaining = [e for e in red.entries if not e.is_mature(ctx.env.height)]
    for entry in mature:  # as for unbondings: the queue holds exactly the open entries
        keeper.red_queue.remove(store, entry.completion_height, delegator + source + destination)
    keeper.save_redelegation(store, msgspec.structs.replace(red, entries=remaining))
    return sum(e.initial_balance for e in mature)
