"""The bonded validator set and validators' status changes (Cosmos's val_state_change.go).

At the end of every block the top ``max_validators`` non-jailed validators with power
are bonded, the others that were bonded begin unbonding, the tokens follow them
between the two pools, and consensus receives the changes against the last set
(power 0 removes a validator); CometBFT applies them two heights later.
"""

from __future__ import annotations

import msgspec

from vm.block import ValidatorUpdate
from vm.context import Context
from vm.errors import InvalidRequest
from vm.registry import InvariantBroken
from vm.staking.errors import BadRemoveValidator, ValidatorJailed
from vm.staking.store import StakingStore
from vm.staking.types import BondStatus, Validator, consensus_power, format_valoper, potential_power
from vm.types import Address


def apply_and_return_validator_set_updates(keeper: StakingStore, ctx: Context) -> list[ValidatorUpdate]:
    """Bring the bonded set in line with the power index; returns the changes for consensus,
    new and changed powers in power order, then removals in operator order."""
    store = ctx.store
    params = keeper.get_params(store)
    last = dict(keeper.iterate_last_powers(store))
    updates: list[ValidatorUpdate] = []
    total_power = to_bonded = to_not_bonded = 0
    for validator in _top_validators(keeper, ctx, params.max_validators, params.power_reduction):
        if not validator.is_bonded():
            validator = bond_validator(keeper, ctx, validator)
            to_bonded += validator.tokens
        power = consensus_power(validator, params.power_reduction)
        if last.pop(validator.address, None) != power:
            updates.append(ValidatorUpdate(validator.pubkey, power))
            keeper.set_last_power(store, validator.operator, power)
        total_power += power
    for operator in sorted(last):  # bonded before, not in the set now
        validator = begin_unbonding_validator(keeper, ctx, keeper.validator(store, operator))
        to_not_bonded += validator.tokens
        keeper.delete_last_power(store, operator)
        updates.append(ValidatorUpdate(validator.pubkey, 0))
    # One transfer for the net movement between the pools, as Cosmos does.
    if to_bonded > to_not_bonded:
        keeper.not_bonded_to_bonded(store, to_bonded - to_not_bonded)
    elif to_not_bonded > to_bonded:
        keeper.bonded_to_not_bonded(store, to_not_bonded - to_bonded)
    if updates:
        keeper.set_last_total_power(store, total_power)
    return updates


def _top_validators(keeper: StakingStore, ctx: Context, limit: int, power_reduction: int) -> list[Validator]:
    """The first ``limit`` validators of the power index that have power (read before any
    is changed: bonding rewrites a validator's index entry)."""
    chosen: list[Validator] = []
    for operator in keeper.iterate_by_power(ctx.store):
        validator = keeper.validator(ctx.store, operator)
        if validator.jailed:
            raise InvariantBroken(f"jailed validator {format_valoper(operator)} is in the power index")
        if potential_power(validator, power_reduction) == 0:
            break  # the index is in power order: no one after it has power either
        chosen.append(validator)
        if len(chosen) == limit:
            break  # not one step further: LevelDB may have deleted index entries to skip there
    return chosen


# -- status changes ------------------------------------------------------------------------


def bond_validator(keeper: StakingStore, ctx: Context, validator: Validator) -> Validator:
    store = ctx.store
    was_unbonding = validator.is_unbonding()
    keeper.delete_power_index(store, validator)
    bonded = msgspec.structs.replace(validator, status=BondStatus.BONDED)
    keeper.set_validator(store, bonded)
    keeper.set_power_index(store, bonded)
    if was_unbonding:  # back in the set before its unbonding completed
        keeper.validator_queue.remove(store, validator.unbonding_completion, validator.operator)
    keeper.hooks.after_validator_bonded(ctx, bonded.cons_address, bonded.address)
    return bonded


def begin_unbonding_validator(keeper: StakingStore, ctx: Context, validator: Validator) -> Validator:
    store = ctx.store
    if not validator.is_bonded():
        raise InvariantBroken(f"validator {format_valoper(validator.operator)} leaves the set unbonded")
    keeper.delete_power_index(store, validator)
    unbonding_id = keeper.next_unbonding_id(store)
    completion = ctx.env.height + keeper.get_params(store).unbonding_blocks
    unbonding = msgspec.structs.replace(
        validator,
        status=BondStatus.UNBONDING,
        unbonding_height=ctx.env.height,
        unbonding_completion=completion,
    )
    keeper.set_validator(store, unbonding)
    keeper.set_power_index(store, unbonding)
    keeper.validator_queue.push(store, completion, unbonding.operator)
    keeper.hooks.after_validator_begin_unbonding(ctx, unbonding.cons_address, unbonding.address)
    keeper.hooks.after_unbonding_initiated(ctx, unbonding_id)
    return unbonding


def unbond_mature_validators(keeper: StakingStore, ctx: Context, budget: int) -> int:
    """Complete the unbonding of at most ``budget`` validators due by now; returns how many.
    One that no delegation backs any more is removed."""
    store = ctx.store
    due = keeper.validator_queue.pop_due(store, ctx.env.height, budget)
    for operator in due:
        validator = keeper.validator(store, operator)
        if not validator.is_unbonding():
            raise InvariantBroken(f"validator {format_valoper(operator)} is queued but not unbonding")
        unbonded = msgspec.structs.replace(validator, status=BondStatus.UNBONDED)
        keeper.set_validator(store, unbonded)
        if unbonded.delegator_shares == 0:
            remove_validator(keeper, ctx, unbonded.address)
    return len(due)


def remove_validator(keeper: StakingStore, ctx: Context, operator: Address) -> None:
    """Delete an unbonded validator left without tokens, and its indexes (not its last
    power: only the set update touches that)."""
    validator = keeper.get_validator(ctx.store, operator)
    if validator is None:
        return
    if not validator.is_unbonded():
        raise BadRemoveValidator("cannot call RemoveValidator on bonded or unbonding validators")
    if validator.tokens > 0:
        raise BadRemoveValidator("attempting to remove a validator which still contains tokens")
    keeper.delete_validator_records(ctx.store, validator)
    keeper.hooks.after_validator_removed(ctx, validator.cons_address, validator.address)


# -- jail ------------------------------------------------------------------------------------


def jail_validator(keeper: StakingStore, ctx: Context, validator: Validator) -> Validator:
    """Out of the power index, so the next set update removes it."""
    if validator.jailed:
        raise ValidatorJailed(f"cannot jail already jailed validator {format_valoper(validator.operator)}")
    jailed = msgspec.structs.replace(validator, jailed=True)
    keeper.set_validator(ctx.store, jailed)
    keeper.delete_power_index(ctx.store, validator)
    return jailed


def unjail_validator(keeper: StakingStore, ctx: Context, validator: Validator) -> Validator:
    if not validator.jailed:
        raise InvalidRequest(
            f"cannot unjail validator {format_valoper(validator.operator)}: it is not jailed"
        )
    free = msgspec.structs.replace(validator, jailed=False)
    keeper.set_validator(ctx.store, free)
    keeper.set_power_index(ctx.store, free)
    return free
