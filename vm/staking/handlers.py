"""staking message handlers, one per message (Cosmos's msg_server.go), and the end of
block: the validator set update, then the completions that are due."""

from __future__ import annotations

import msgspec
from cosmpy.protos.cosmos.staking.v1beta1 import tx_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from vm import dec
from vm.block import ValidatorUpdate
from vm.codec import coin_pb
from vm.context import Context
from vm.errors import InvalidRequest, NotFound, Unauthorized
from vm.staking import events
from vm.staking.delegation import (
    begin_redelegation,
    complete_redelegation,
    complete_unbonding,
    delegate,
    undelegate,
    validate_unbond_amount,
)
from vm.staking.errors import (
    CommissionGTMaxChangeRate,
    CommissionGTMaxRate,
    CommissionLTMinRate,
    CommissionNegative,
    CommissionUpdateTime,
    DelegatorShareExRateInvalid,
    EmptyValidatorPubKey,
    MinSelfDelegationDecreased,
    NoUnbondingDelegation,
    SelfDelegationBelowMinimum,
    ValidatorJailed,
    ValidatorOwnerExists,
    ValidatorPubKeyExists,
    ValidatorPubKeyTypeNotSupported,
)
from vm.staking.msgs import (
    DO_NOT_MODIFY,
    ConsensusPubKey,
    Ed25519PubKey,
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgCreateValidator,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
    MsgUpdateParams,
    validate_description,
)
from vm.staking.params import min_commission_rate
from vm.staking.store import StakingStore
from vm.staking.types import (
    BondStatus,
    Commission,
    Description,
    Validator,
    consensus_address,
    format_valoper,
    invalid_ex_rate,
    parse_valoper,
)
from vm.staking.validator_set import apply_and_return_validator_set_updates, unbond_mature_validators
from vm.types import Address, Coin, format_address, parse_address

COMMISSION_UPDATE_INTERVAL_NS = 24 * 3600 * 10**9  # a rate changes at most once per day of header time


def handle_create_validator(keeper: StakingStore, ctx: Context, msg: MsgCreateValidator) -> None:
    store = ctx.store
    operator = parse_valoper(msg.validator_address)
    params = keeper.get_params(store)
    minimum = min_commission_rate(params)
    if msg.commission.rate < minimum:
        raise CommissionLTMinRate(
            f"cannot set validator commission to less than minimum rate of {dec.format(minimum)}"
        )
    if keeper.get_validator(store, operator) is not None:
        raise ValidatorOwnerExists()
    if msg.pubkey is None:
        raise EmptyValidatorPubKey()
    if isinstance(msg.pubkey, Ed25519PubKey) and keeper.get_validator_by_cons_addr(
        store, consensus_address(msg.pubkey.key)
    ):
        raise ValidatorPubKeyExists()
    _check_denom(keeper, ctx, msg.value)
    pubkey = _ed25519_key(msg.pubkey)
    validator = Validator(
        operator=operator,
        pubkey=pubkey,
        jailed=False,
        status=BondStatus.UNBONDED,
        tokens=0,
        shares_text="0",
        description=msg.description,
        unbonding_height=0,
        unbonding_completion=0,
        commission=Commission(msg.commission, ctx.env.height, ctx.env.time_ns),
        min_self_delegation=msg.min_self_delegation,
    )
    keeper.set_validator(store, validator)
    keeper.set_validator_by_cons_addr(store, validator)
    keeper.set_power_index(store, validator)
    keeper.hooks.after_validator_created(ctx, operator)
    delegate(keeper, ctx, operator, msg.value.amount, BondStatus.UNBONDED, validator, True)
    ctx.emit(events.CreateValidator(validator=msg.validator_address, amount=_coin_text(msg.value)))


def _ed25519_key(pubkey: ConsensusPubKey) -> bytes:
    """The consensus key, if consensus accepts its type (ed25519 only)."""
    if not isinstance(pubkey, Ed25519PubKey):
        raise ValidatorPubKeyTypeNotSupported("got: secp256k1, expected: [ed25519]")
    return pubkey.key


def handle_edit_validator(keeper: StakingStore, ctx: Context, msg: MsgEditValidator) -> None:
    store = ctx.store
    operator = parse_valoper(msg.validator_address)
    params = keeper.get_params(store)
    minimum = min_commission_rate(params)
    if msg.commission_rate is not None and msg.commission_rate < minimum:
        raise InvalidRequest(
            f"commission rate cannot be less than the min commission rate {dec.format(minimum)}"
        )
    validator = keeper.validator(store, operator)
    description = _edit_description(validator.description, msg.description)
    validate_description(description)
    commission = validator.commission
    if msg.commission_rate is not None:
        commission = _new_commission(commission, msg.commission_rate, minimum, ctx)
        keeper.hooks.before_validator_modified(ctx, Address(operator))
    min_self_delegation = validator.min_self_delegation
    if msg.min_self_delegation is not None:
        if msg.min_self_delegation <= validator.min_self_delegation:
            raise MinSelfDelegationDecreased()
        if msg.min_self_delegation > validator.tokens:
            raise SelfDelegationBelowMinimum()
        min_self_delegation = msg.min_self_delegation
    edited = msgspec.structs.replace(
        validator, description=description, commission=commission, min_self_delegation=min_self_delegation
    )
    keeper.set_validator(store, edited)
    ctx.emit(
        events.EditValidator(
            commission_rate=dec.format(commission.rates.rate), min_self_delegation=str(min_self_delegation)
        )
    )


def _edit_description(old: Description, new: Description) -> Description:
    """Fields holding "[do-not-modify]" keep their old value."""
    kept = {
        field: getattr(old, field)
        for field in Description.__struct_fields__
        if getattr(new, field) == DO_NOT_MODIFY
    }
    return msgspec.structs.replace(new, **kept)


def _new_commission(commission: Commission, rate: int, minimum: int, ctx: Context) -> Commission:
    """Cosmos's ``ValidateNewRate``: once a day, within the max rate, and up by at most the
    max change rate."""
    rates = commission.rates
    if ctx.env.time_ns - commission.update_time_ns < COMMISSION_UPDATE_INTERVAL_NS:
        raise CommissionUpdateTime()
    if rate < 0:
        raise CommissionNegative()
    if rate > rates.max_rate:
        raise CommissionGTMaxRate()
    if rate - rates.rate > rates.max_change_rate:
        raise CommissionGTMaxChangeRate()
    if rate < minimum:
        raise InvalidRequest(
            f"cannot set validator commission to less than minimum rate of {dec.format(minimum)}"
        )
    return Commission(msgspec.structs.replace(rates, rate=rate), ctx.env.height, ctx.env.time_ns)


def handle_delegate(keeper: StakingStore, ctx: Context, msg: MsgDelegate) -> None:
    store = ctx.store
    delegator = parse_address(msg.delegator_address, "delegator address")
    validator = keeper.validator(store, parse_valoper(msg.validator_address))
    _check_denom(keeper, ctx, msg.amount)
    shares = delegate(keeper, ctx, delegator, msg.amount.amount, BondStatus.UNBONDED, validator, True)
    ctx.emit(
        events.Delegate(
            validator=msg.validator_address,
            delegator=msg.delegator_address,
            amount=_coin_text(msg.amount),
            new_shares=dec.format(shares),
        )
    )


def handle_undelegate(keeper: StakingStore, ctx: Context, msg: MsgUndelegate) -> tx_pb2.MsgUndelegateResponse:
    """Answers with what was undelegated (Cosmos v0.50's ``amount``); the completion is a
    height, in the event, so ``completion_time`` is the zero timestamp (docs/staking.md)."""
    delegator = parse_address(msg.delegator_address, "delegator address")
    operator = parse_valoper(msg.validator_address)
    shares = validate_unbond_amount(keeper, ctx.store, delegator, operator, msg.amount.amount)
    _check_denom(keeper, ctx, msg.amount)
    completion, amount = undelegate(keeper, ctx, delegator, operator, shares)
    undelegated = Coin(msg.amount.denom, amount)
    ctx.emit(
        events.Unbond(
            validator=msg.validator_address,
            delegator=msg.delegator_address,
            amount=_coin_text(undelegated),
            completion_height=str(completion),
        )
    )
    return tx_pb2.MsgUndelegateResponse(completion_time=Timestamp(), amount=coin_pb(undelegated))


def handle_begin_redelegate(
    keeper: StakingStore, ctx: Context, msg: MsgBeginRedelegate
) -> tx_pb2.MsgBeginRedelegateResponse:
    """Answers with the zero ``completion_time``, as ``handle_undelegate``."""
    delegator = parse_address(msg.delegator_address, "delegator address")
    source = parse_valoper(msg.validator_src_address, "source validator address")
    destination = parse_valoper(msg.validator_dst_address, "destination validator address")
    shares = validate_unbond_amount(keeper, ctx.store, delegator, source, msg.amount.amount)
    _check_denom(keeper, ctx, msg.amount)
    completion = begin_redelegation(keeper, ctx, delegator, source, destination, shares)
    ctx.emit(
        events.Redelegate(
            source_validator=msg.validator_src_address,
            destination_validator=msg.validator_dst_address,
            delegator=msg.delegator_address,
            amount=_coin_text(msg.amount),
            completion_height=str(completion),
        )
    )
    return tx_pb2.MsgBeginRedelegateResponse(completion_time=Timestamp())


def handle_cancel_unbonding_delegation(
    keeper: StakingStore, ctx: Context, msg: MsgCancelUnbondingDelegation
) -> None:
    """Delegate back part or all of one unbonding entry, if it has not matured."""
    store = ctx.store
    delegator = parse_address(msg.delegator_address, "delegator address")
    operator = parse_valoper(msg.validator_address)
    _check_denom(keeper, ctx, msg.amount)
    validator = keeper.validator(store, operator)
    if invalid_ex_rate(validator):
        raise DelegatorShareExRateInvalid()
    if validator.jailed:
        raise ValidatorJailed()
    ubd = keeper.get_unbonding_delegation(store, delegator, operator)
    if ubd is None:
        raise NoUnbondingDelegation(
            f"unbonding delegation with delegator {msg.delegator_address} "
            f"not found for validator {msg.validator_address}"
        )
    index = next((i for i, e in enumerate(ubd.entries) if e.creation_height == msg.creation_height), None)
    if index is None:
        raise NotFound(f"unbonding delegation entry is not found at block height {msg.creation_height}")
    entry = ubd.entries[index]
    amount = msg.amount.amount
    if entry.balance < amount:
        raise InvalidRequest("amount is greater than the unbonding delegation entry balance")
    if entry.completion_height < ctx.env.height:
        raise InvalidRequest("unbonding delegation is already processed")
    delegate(keeper, ctx, delegator, amount, BondStatus.UNBONDING, validator, False)
    entries = list(ubd.entries)
    if entry.balance == amount:
        del entries[index]
        if all(e.completion_height != entry.completion_height for e in entries):
            keeper.ubd_queue.remove(store, entry.completion_height, delegator + operator)
    else:
        entries[index] = msgspec.structs.replace(
            entry, balance=entry.balance - amount, initial_balance=entry.initial_balance - amount
        )
    keeper.save_unbonding_delegation(store, msgspec.structs.replace(ubd, entries=entries))
    ctx.emit(
        events.CancelUnbondingDelegation(
            amount=_coin_text(msg.amount),
            validator=msg.validator_address,
            delegator=msg.delegator_address,
            creation_height=str(msg.creation_height),
        )
    )


def handle_update_params(
    keeper: StakingStore, authority: Address, ctx: Context, msg: MsgUpdateParams
) -> None:
    if msg.authority != format_address(authority):
        raise Unauthorized(f"expected {format_address(authority)} as authority, got {msg.authority}")
    update = msg.params
    current = keeper.get_params(ctx.store)
    keeper.params.set(
        ctx.store,
        msgspec.structs.replace(
            current,
            max_validators=update.max_validators,
            max_entries=update.max_entries,
            bond_denom=update.bond_denom,
            min_commission_rate=dec.format(update.min_commission_rate),
        ),
    )


def _check_denom(keeper: StakingStore, ctx: Context, amount: Coin) -> None:
    bond_denom = keeper.get_params(ctx.store).bond_denom
    if amount.denom != bond_denom:
        raise InvalidRequest(f"invalid coin denomination: got {amount.denom}, expected {bond_denom}")


def _coin_text(coin: Coin) -> str:
    """Cosmos's ``Coin.String``; ``Coins`` of nothing print as ""."""
    return f"{coin.amount}{coin.denom}" if coin.amount else ""


# -- end of block ---------------------------------------------------------------------------------


def end_block(keeper: StakingStore, ctx: Context) -> list[ValidatorUpdate]:
    """The set update first (as Cosmos, so a zero-length unbonding completes in the block it
    begins), then what is due: validators, unbonding delegations, redelegations, at most
    ``max_completions_per_block`` of them together; the rest are taken first next block."""
    updates = apply_and_return_validator_set_updates(keeper, ctx)
    budget = keeper.get_params(ctx.store).max_completions_per_block
    budget -= unbond_mature_validators(keeper, ctx, budget)
    budget -= _complete_unbondings(keeper, ctx, budget)
    _complete_redelegations(keeper, ctx, budget)
    return updates


def _complete_unbondings(keeper: StakingStore, ctx: Context, budget: int) -> int:
    denom = keeper.get_params(ctx.store).bond_denom
    due = keeper.ubd_queue.pop_due(ctx.store, ctx.env.height, budget)
    for item in due:
        delegator, operator = Address(item[:20]), Address(item[20:])
        paid = complete_unbonding(keeper, ctx, delegator, operator)
        if paid is not None:
            ctx.emit(
                events.CompleteUnbonding(
                    amount=_coin_text(Coin(denom, paid)),
                    validator=format_valoper(operator),
                    delegator=format_address(delegator),
                )
            )
    return len(due)


def _complete_redelegations(keeper: StakingStore, ctx: Context, budget: int) -> int:
    denom = keeper.get_params(ctx.store).bond_denom
    due = keeper.red_queue.pop_due(ctx.store, ctx.env.height, budget)
    for item in due:
        delegator, source, destination = Address(item[:20]), Address(item[20:40]), Address(item[40:])
        moved = complete_redelegation(keeper, ctx, delegator, source, destination)
        if moved is not None:
            ctx.emit(
                events.CompleteRedelegation(
                    amount=_coin_text(Coin(denom, moved)),
                    delegator=format_address(delegator),
                    source_validator=format_valoper(source),
                    destination_validator=format_valoper(destination),
                )
            )
    return len(due)
