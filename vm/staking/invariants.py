"""staking invariants (Cosmos's keeper/invariants.go): the pools hold exactly the stake
they account for, shares add up, no amount is negative or zero where it must not be,
and the power index agrees with the validators."""

from __future__ import annotations

from vm import dec
from vm.staking.store import BONDED_POOL, NOT_BONDED_POOL, StakingStore, power_key
from vm.staking.types import format_valoper, tokens_from_shares
from vm.store.cache import ReadStore


def module_accounts(keeper: StakingStore, store: ReadStore) -> str | None:
    """The bonded pool holds the bonded validators' tokens; the not-bonded pool holds the
    other validators' tokens and what unbonding delegations will pay out."""
    bonded = not_bonded = 0
    for validator in keeper.iterate_validators(store):
        if validator.is_bonded():
            bonded += validator.tokens
        else:
            not_bonded += validator.tokens
    for ubd in keeper.iterate_unbonding_delegations(store):
        not_bonded += sum(entry.balance for entry in ubd.entries)
    held_bonded = keeper.pool_balance(store, BONDED_POOL)
    held_not_bonded = keeper.pool_balance(store, NOT_BONDED_POOL)
    if (held_bonded, held_not_bonded) != (bonded, not_bonded):
        return (
            f"pools hold {held_bonded} bonded and {held_not_bonded} not bonded; "
            f"the validators and unbondings account for {bonded} and {not_bonded}"
        )
    return None


def delegator_shares(keeper: StakingStore, store: ReadStore) -> str | None:
    """Each validator's shares are exactly its delegations' shares, and its tokens are their
    worth to within one atomic unit per delegation (each worth is rounded once)."""
    for validator in keeper.iterate_validators(store):
        delegations = list(keeper.validator_delegations(store, validator.operator))
        shares = sum(d.shares for d in delegations)
        name = format_valoper(validator.operator)
        if shares != validator.delegator_shares:
            held = dec.format(validator.delegator_shares)
            return f"{name} has {held} shares; its delegations hold {dec.format(shares)}"
        if shares == 0:
            continue
        worth = sum(tokens_from_shares(validator, d.shares) for d in delegations)
        if abs(worth - dec.from_int(validator.tokens)) > len(delegations):
            return f"{name} has {validator.tokens} tokens; its delegations are worth {dec.format(worth)}"
    return None


def positive_amounts(keeper: StakingStore, store: ReadStore) -> str | None:
    """No delegation without shares, no unbonding or redelegation without entries, no entry
    with more balance than it began with."""
    for delegation in keeper.iterate_delegations(store):
        if delegation.shares <= 0:
            operator = format_valoper(delegation.validator)
            return f"delegation of {delegation.delegator.hex()} to {operator} has no shares"
    for ubd in keeper.iterate_unbonding_delegations(store):
        if not ubd.entries or any(e.balance > e.initial_balance for e in ubd.entries):
            return f"unbonding delegation of {ubd.delegator.hex()} has no entries or an entry above its start"
    for red in keeper.iterate_redelegations(store):
        if not red.entries or any(e.shares_dst < 0 for e in red.entries):
            return f"redelegation of {red.delegator.hex()} has no entries"
    return None


def power_index(keeper: StakingStore, store: ReadStore) -> str | None:
    """The index holds one entry per non-jailed validator, at the key its tokens give."""
    reduction = keeper.get_params(store).power_reduction
    expected = {power_key(v, reduction) for v in keeper.iterate_validators(store) if not v.jailed}
    found = set(keeper.power_index_keys(store))
    if found != expected:
        unexpected, missing = len(found - expected), len(expected - found)
        return f"power index has {len(found)} entries, {unexpected} unexpected and {missing} missing"
    return None
