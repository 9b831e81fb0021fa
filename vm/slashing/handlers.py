"""slashing's message handlers (Cosmos's msg_server.go and keeper/unjail.go) and its
begin-block hook: the last commit's votes, then the block's evidence (Cosmos runs
x/slashing's BeginBlocker before x/evidence's)."""

from __future__ import annotations

from vm import dec
from vm.context import Context
from vm.errors import Unauthorized
from vm.slashing import events
from vm.slashing.errors import (
    MissingSelfDelegation,
    NoValidatorForAddress,
    SelfDelegationTooLowToUnjail,
    ValidatorJailed,
    ValidatorNotJailed,
)
from vm.slashing.infractions import handle_equivocation, handle_validator_signature
from vm.slashing.keeper import SlashingKeeper
from vm.slashing.msgs import MsgUnjail, MsgUpdateParams
from vm.slashing.params import format_params
from vm.slashing.types import parse_valoper
from vm.types import Address, format_address


def handle_unjail(keeper: SlashingKeeper, ctx: Context, msg: MsgUnjail) -> None:
    """Cosmos's checks, in its order: the validator exists, its operator's own delegation
    is worth at least its minimum self-delegation, it is jailed, and, if it ever bonded, it
    is not tombstoned and its jail time has passed."""
    store = ctx.store
    operator = parse_valoper(msg.validator_addr)
    validator = keeper.staking.get_validator(store, operator)
    if validator is None:
        raise NoValidatorForAddress()
    if keeper.staking.get_delegation(store, operator, operator) is None:
        raise MissingSelfDelegation()
    tokens = dec.truncate_int(keeper.staking.delegation_tokens(store, operator, operator))
    if tokens < validator.min_self_delegation:
        raise SelfDelegationTooLowToUnjail(f"{tokens} less than {validator.min_self_delegation}")
    if not validator.jailed:
        raise ValidatorNotJailed()
    cons_address = validator.cons_address
    info = keeper.get_signing_info(store, cons_address)
    if info is not None:  # none: never bonded, jailed by staking alone
        if info.tombstoned:
            raise ValidatorJailed("validator is tombstoned")
        if ctx.env.time_ns < info.jailed_until.ns():
            raise ValidatorJailed(f"jailed until {info.jailed_until.ns()}ns of header time")
    keeper.staking.unjail(ctx, cons_address)


def handle_update_params(
    keeper: SlashingKeeper, authority: Address, ctx: Context, msg: MsgUpdateParams
) -> None:
    if msg.authority != format_address(authority):
        raise Unauthorized(f"expected {format_address(authority)} as authority, got {msg.authority}")
    keeper.params.set(ctx.store, format_params(msg.params.parsed()))


def begin_block(keeper: SlashingKeeper, ctx: Context) -> None:
    params = keeper.get_parsed_params(ctx.store)
    for vote in ctx.env.last_commit.votes:
        handle_validator_signature(keeper, ctx, params, vote)
    for item in ctx.env.misbehavior:
        ctx.emit(
            events.Misbehavior(
                kind=str(item.kind),
                validator=bytes(item.validator_address).hex().upper(),
                height=str(int(item.height)),
            )
        )
        handle_equivocation(keeper, ctx, params, item)
