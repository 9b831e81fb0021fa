"""staking genesis: validate, init, export (export then init round-trips to the same state).

The pools' balances are the bank's genesis: the ``module-accounts`` invariant, checked
once genesis is written, refuses a genesis whose pools do not hold the stake it lists.
The queues are not exported: they are rebuilt from the entries they index.
"""

from __future__ import annotations

import base64
import binascii

from genesis.schema import (
    CommissionJSON,
    CommissionRatesJSON,
    DelegationJSON,
    DescriptionJSON,
    LastValidatorPowerJSON,
    RedelegationEntryJSON,
    RedelegationJSON,
    StakingGenesis,
    UnbondingDelegationJSON,
    UnbondingEntryJSON,
    ValidatorJSON,
)
from vm import dec
from vm.context import Context
from vm.errors import InvalidRequest
from vm.staking.msgs import validate_commission_rates, validate_description
from vm.staking.params import parse_rate, validate_params
from vm.staking.store import StakingStore
from vm.staking.types import (
    ED25519_KEY_SIZE,
    STATUS_NAMES,
    Commission,
    CommissionRates,
    Delegation,
    Description,
    Redelegation,
    RedelegationEntry,
    UnbondingDelegation,
    UnbondingEntry,
    Validator,
    dec_text,
    format_valoper,
    parse_valoper,
)
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address

_STATUS = {name: status for status, name in STATUS_NAMES.items()}


def validate_genesis(state: StakingGenesis) -> None:
    """Cosmos's ValidateGenesis, and that every delegation, unbonding and redelegation
    names accounts and validators that exist."""
    validate_params(state.params)
    validators = [validator_from_json(v) for v in state.validators]
    operators = {v.operator for v in validators}
    if len(operators) != len(validators):
        raise InvalidRequest("duplicate validator operator in genesis")
    if len({v.cons_address for v in validators}) != len(validators):
        raise InvalidRequest("duplicate validator consensus key in genesis")
    for validator in validators:
        _check_validator(validator)
    pairs = [(d.delegator, d.validator) for d in map(delegation_from_json, state.delegations)]
    if len(set(pairs)) != len(pairs):
        raise InvalidRequest("duplicate delegation in genesis")
    if any(operator not in operators for _, operator in pairs):
        raise InvalidRequest("a genesis delegation is to no validator")
    for ubd in map(unbonding_from_json, state.unbonding_delegations):
        if ubd.validator not in operators or not ubd.entries:
            raise InvalidRequest("a genesis unbonding delegation is from no validator or has no entries")
    for red in map(redelegation_from_json, state.redelegations):
        if {red.validator_src, red.validator_dst} - operators or not red.entries:
            raise InvalidRequest("a genesis redelegation names no validator or has no entries")
    for entry in state.last_validator_powers:
        if parse_valoper(entry.address, "last validator power address") not in operators:
            raise InvalidRequest(f"last validator power of {entry.address}, which is no validator")


def _check_validator(validator: Validator) -> None:
    name = format_valoper(validator.operator)
    if validator.jailed and validator.is_bonded():
        raise InvalidRequest(f"validator {name} is bonded and jailed in genesis state")
    if validator.delegator_shares == 0 and not validator.is_unbonding():
        raise InvalidRequest(f"bonded/unbonded genesis validator {name} cannot have zero delegator shares")
    validate_description(validator.description)
    validate_commission_rates(validator.commission.rates)


def init_genesis(keeper: StakingStore, ctx: Context, state: StakingGenesis) -> None:
    """Cosmos's InitGenesis, without the validator set: InitChain asks for it with
    ``StakingKeeper.init_validator_set``. Hooks run unless the genesis was exported."""
    store = ctx.store
    keeper.params.set(store, state.params)
    keeper.set_last_total_power(store, state.last_total_power)
    keeper.set_last_unbonding_id(store, state.last_unbonding_id)
    for validator in map(validator_from_json, state.validators):
        keeper.set_validator(store, validator)
        keeper.set_validator_by_cons_addr(store, validator)
        keeper.set_power_index(store, validator)
        if not state.exported:
            keeper.hooks.after_validator_created(ctx, validator.address)
        if validator.is_unbonding():
            keeper.validator_queue.push(store, validator.unbonding_completion, validator.operator)
    for delegation in map(delegation_from_json, state.delegations):
        delegator, operator = Address(delegation.delegator), Address(delegation.validator)
        if not state.exported:
            keeper.hooks.before_delegation_created(ctx, delegator, operator)
        keeper.set_delegation(store, delegation)
        if not state.exported:
            keeper.hooks.after_delegation_modified(ctx, delegator, operator)
    for ubd in map(unbonding_from_json, state.unbonding_delegations):
        keeper.set_unbonding_delegation(store, ubd)
        for entry in ubd.entries:
            keeper.ubd_queue.push(store, entry.completion_height, ubd.delegator + ubd.validator)
    for red in map(redelegation_from_json, state.redelegations):
        keeper.set_redelegation(store, red)
        for red_entry in red.entries:
            key = red.delegator + red.validator_src + red.validator_dst
            keeper.red_queue.push(store, red_entry.completion_height, key)
    for power in state.last_validator_powers:
        keeper.set_last_power(store, parse_valoper(power.address), power.power)


def export_genesis(keeper: StakingStore, store: ReadStore) -> StakingGenesis:
    return StakingGenesis(
        params=keeper.get_params(store),
        last_total_power=keeper.get_last_total_power(store),
        last_validator_powers=[
            LastValidatorPowerJSON(address=format_valoper(operator), power=power)
            for operator, power in keeper.iterate_last_powers(store)
        ],
        validators=[validator_to_json(v) for v in keeper.iterate_validators(store)],
        delegations=[delegation_to_json(d) for d in keeper.iterate_delegations(store)],
        unbonding_delegations=[unbonding_to_json(u) for u in keeper.iterate_unbonding_delegations(store)],
        redelegations=[redelegation_to_json(r) for r in keeper.iterate_redelegations(store)],
        exported=True,
        last_unbonding_id=keeper.get_last_unbonding_id(store),
    )


# -- JSON <-> state ----------------------------------------------------------------------------


def validator_from_json(entry: ValidatorJSON) -> Validator:
    status = _STATUS.get(entry.status)
    if status is None:
        raise InvalidRequest(f"validator status must be one of {sorted(_STATUS)}")
    rates = entry.commission.commission_rates
    return Validator(
        operator=parse_valoper(entry.operator_address, "validator operator address"),
        pubkey=_pubkey(entry.consensus_pubkey),
        jailed=entry.jailed,
        status=status,
        tokens=entry.tokens,
        shares_text=_shares(entry.delegator_shares, "delegator_shares"),
        description=Description(
            entry.description.moniker,
            entry.description.identity,
            entry.description.website,
            entry.description.security_contact,
            entry.description.details,
        ),
        unbonding_height=entry.unbonding_height,
        unbonding_completion=entry.unbonding_completion_height,
        commission=Commission(
            CommissionRates(
                parse_rate(rates.rate, "commission rate"),
                parse_rate(rates.max_rate, "commission max_rate"),
                parse_rate(rates.max_change_rate, "commission max_change_rate"),
            ),
            entry.commission.update_height,
            entry.commission.update_time_ns,
        ),
        min_self_delegation=entry.min_self_delegation,
    )


def validator_to_json(validator: Validator) -> ValidatorJSON:
    rates = validator.commission.rates
    description = validator.description
    return ValidatorJSON(
        operator_address=format_valoper(validator.operator),
        consensus_pubkey=base64.b64encode(validator.pubkey).decode(),
        jailed=validator.jailed,
        status=STATUS_NAMES[validator.status],
        tokens=validator.tokens,
        delegator_shares=dec.format(validator.delegator_shares),
        description=DescriptionJSON(
            moniker=description.moniker,
            identity=description.identity,
            website=description.website,
            security_contact=description.security_contact,
            details=description.details,
        ),
        unbonding_height=validator.unbonding_height,
        unbonding_completion_height=validator.unbonding_completion,
        commission=CommissionJSON(
            commission_rates=CommissionRatesJSON(
                rate=dec.format(rates.rate),
                max_rate=dec.format(rates.max_rate),
                max_change_rate=dec.format(rates.max_change_rate),
            ),
            update_height=validator.commission.update_height,
            update_time_ns=validator.commission.update_time_ns,
        ),
        min_self_delegation=validator.min_self_delegation,
    )


def delegation_from_json(entry: DelegationJSON) -> Delegation:
    shares = _shares(entry.shares, "delegation shares")
    if shares == "0":
        raise InvalidRequest(f"delegation of {entry.delegator_address} has no shares")
    return Delegation(
        parse_address(entry.delegator_address, "delegator address"),
        parse_valoper(entry.validator_address),
        shares,
    )


def delegation_to_json(delegation: Delegation) -> DelegationJSON:
    return DelegationJSON(
        delegator_address=format_address(Address(delegation.delegator)),
        validator_address=format_valoper(delegation.validator),
        shares=dec.format(delegation.shares),
    )


def unbonding_from_json(entry: UnbondingDelegationJSON) -> UnbondingDelegation:
    entries = [
        UnbondingEntry(e.creation_height, e.completion_height, e.initial_balance, e.balance, e.unbonding_id)
        for e in entry.entries
    ]
    if any(e.balance > e.initial_balance for e in entries):
        raise InvalidRequest(f"an unbonding entry of {entry.delegator_address} holds more than it began with")
    return UnbondingDelegation(
        parse_address(entry.delegator_address, "delegator address"),
        parse_valoper(entry.validator_address),
        entries,
    )


def unbonding_to_json(ubd: UnbondingDelegation) -> UnbondingDelegationJSON:
    return UnbondingDelegationJSON(
        delegator_address=format_address(Address(ubd.delegator)),
        validator_address=format_valoper(ubd.validator),
        entries=[
            UnbondingEntryJSON(
                creation_height=e.creation_height,
                completion_height=e.completion_height,
                initial_balance=e.initial_balance,
                balance=e.balance,
                unbonding_id=e.unbonding_id,
            )
            for e in ubd.entries
        ],
    )


def redelegation_from_json(entry: RedelegationJSON) -> Redelegation:
    entries = [
        RedelegationEntry(
            e.creation_height,
            e.completion_height,
            e.initial_balance,
            _shares(e.shares_dst, "redelegation shares_dst"),
            e.unbonding_id,
        )
        for e in entry.entries
    ]
    return Redelegation(
        parse_address(entry.delegator_address, "delegator address"),
        parse_valoper(entry.validator_src_address, "source validator address"),
        parse_valoper(entry.validator_dst_address, "destination validator address"),
        entries,
    )


def redelegation_to_json(red: Redelegation) -> RedelegationJSON:
    return RedelegationJSON(
        delegator_address=format_address(Address(red.delegator)),
        validator_src_address=format_valoper(red.validator_src),
        validator_dst_address=format_valoper(red.validator_dst),
        entries=[
            RedelegationEntryJSON(
                creation_height=e.creation_height,
                completion_height=e.completion_height,
                initial_balance=e.initial_balance,
                shares_dst=dec.format(e.shares_dst),
                unbonding_id=e.unbonding_id,
            )
            for e in red.entries
        ],
    )


def _shares(text: str, what: str) -> str:
    value = parse_rate(text, what)
    if value < 0:
        raise InvalidRequest(f"{what} cannot be negative")
    return dec_text(value)


def _pubkey(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"consensus_pubkey {text[:80]!r} is not base64") from None
    if len(raw) != ED25519_KEY_SIZE:
        raise InvalidRequest(f"consensus_pubkey must be a {ED25519_KEY_SIZE}-byte ed25519 key")
    return raw
