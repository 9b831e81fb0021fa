"""The two faults slashing punishes, as Cosmos SDK v0.50 does.

Downtime (x/slashing's ``HandleValidatorSignature``): each vote of the last commit moves
its validator's window on by one position and records whether it was absent. Once a
validator has been bonded for a whole window and has missed more than
``signed_blocks_window - min_signed_per_window * signed_blocks_window`` blocks of it, it
loses ``slash_fraction_downtime`` of the stake that signed the missed block, is jailed
for ``downtime_jail_duration_ns`` of header time, and its window starts afresh. As in
Cosmos, a nil precommit is a signature: only an absent one is missed.

Double signing (x/evidence's ``handleEquivocationEvidence``): committed evidence that is
not too old against a bonded or unbonding validator that is not tombstoned yet costs it
``slash_fraction_double_sign`` of the stake behind the evidence's power, jails it for
ever and tombstones it, so no later evidence, of that offence or another, punishes it again.

Infraction heights are Cosmos's distribution heights: the stake that signed block H was
set at the end of H - 1 (``VALIDATOR_UPDATE_DELAY``), and the last commit of block H is
for block H - 1, so downtime is slashed at H - 2 and double signing at the evidence's
height minus 1. Staking's slash makes the stake that left since pay its share.
"""

from __future__ import annotations

import msgspec

from vm.block import ABSENT_FLAG, MisbehaviorLike, VoteInfoLike
from vm.context import Context
from vm.slashing import events
from vm.slashing.keeper import SlashingKeeper
from vm.slashing.params import Params, max_missed_blocks
from vm.slashing.types import (
    DOUBLE_SIGN_JAIL_END,
    SigningInfo,
    Timestamp,
    format_cons_address,
    new_signing_info,
)

VALIDATOR_UPDATE_DELAY = 1  # blocks between a set update and the block it first signs (Cosmos's)
EQUIVOCATION_KINDS = frozenset({"duplicate_vote", "light_client_attack"})  # Cosmos treats both alike


# -- downtime -----------------------------------------------------------------------------------


def handle_validator_signature(
    keeper: SlashingKeeper, ctx: Context, params: Params, vote: VoteInfoLike
) -> None:
    """Record one vote of the last commit; slash and jail its validator for downtime if it
    has now missed too many blocks. Votes of validators that staking does not know (a chain
    started from a genesis validator list) and of jailed ones are not counted, as Cosmos."""
    store = ctx.store
    cons_address = bytes(vote.validator_address)
    validator = keeper.staking.get_validator_by_cons_addr(store, cons_address)
    if validator is None or validator.jailed:
        return
    info = _signing_info(keeper, ctx, cons_address)
    missed = vote.block_id_flag == ABSENT_FLAG
    info = record_vote(keeper, ctx, params, cons_address, info, missed)
    if missed:
        ctx.emit(
            events.Liveness(
                address=format_cons_address(cons_address),
                missed_blocks=str(info.missed_blocks_counter),
                height=str(ctx.env.height),
            )
        )
    if is_downtime(params, info, ctx.env.height) and not validator.is_unbonded():
        info = punish_downtime(keeper, ctx, params, cons_address, info, int(vote.power))
    keeper.set_signing_info(store, cons_address, info)


def record_vote(
    keeper: SlashingKeeper, ctx: Context, params: Params, cons_address: bytes, info: SigningInfo, missed: bool
) -> SigningInfo:
    """Move the window on by one position, setting its bit to ``missed``; the counter
    follows the bit it replaces."""
    window = params.signed_blocks_window
    index = info.index_offset % window
    previous = keeper.get_missed_block(ctx.store, cons_address, index)
    counter = info.missed_blocks_counter
    if missed != previous:
        keeper.set_missed_block(ctx.store, cons_address, index, missed)
        counter += 1 if missed else -1
    return msgspec.structs.replace(info, index_offset=info.index_offset + 1, missed_blocks_counter=counter)


def is_downtime(params: Params, info: SigningInfo, height: int) -> bool:
    """Bonded for more than a window, and more of it missed than the params allow."""
    min_height = info.start_height + params.signed_blocks_window
    return height > min_height and info.missed_blocks_counter > max_missed_blocks(params)


def punish_downtime(
    keeper: SlashingKeeper, ctx: Context, params: Params, cons_address: bytes, info: SigningInfo, power: int
) -> SigningInfo:
    distribution_height = ctx.env.height - VALIDATOR_UPDATE_DELAY - 1
    burned = keeper.staking.slash(
        ctx, cons_address, distribution_height, power, params.slash_fraction_downtime
    )
    keeper.count_slash(ctx.store, events.MISSING_SIGNATURE)
    address = format_cons_address(cons_address)
    ctx.emit(
        events.DowntimeSlash(
            address=address,
            power=str(power),
            reason=events.MISSING_SIGNATURE,
            jailed=address,
            burned_coins=str(burned),
        )
    )
    keeper.staking.jail(ctx, cons_address)
    keeper.delete_missed_blocks(ctx.store, cons_address)
    # The start height stays: bonding again sets it (the after_validator_bonded hook).
    return msgspec.structs.replace(
        info,
        jailed_until=Timestamp.from_ns(ctx.env.time_ns + params.downtime_jail_duration_ns),
        missed_blocks_counter=0,
    )


# -- double signing -------------------------------------------------------------------------------


def handle_equivocation(keeper: SlashingKeeper, ctx: Context, params: Params, item: MisbehaviorLike) -> None:
    """Punish the double signing ``item`` proves, unless it is stale, names no validator
    with stake, or its validator is already tombstoned."""
    store = ctx.store
    cons_address = bytes(item.validator_address)
    validator = keeper.staking.get_validator_by_cons_addr(store, cons_address)
    if str(item.kind) not in EQUIVOCATION_KINDS or validator is None or validator.is_unbonded():
        return  # Cosmos ignores unknown kinds, and validators with no stake left to slash
    if not 0 < int(item.height) < ctx.env.height or is_stale(keeper, ctx, int(item.height)):
        return
    info = _signing_info(keeper, ctx, cons_address)
    if info.tombstoned:
        return
    power = int(item.validator_power)
    distribution_height = int(item.height) - VALIDATOR_UPDATE_DELAY
    fraction = params.slash_fraction_double_sign
    burned = keeper.staking.slash(ctx, cons_address, distribution_height, power, fraction)
    reason = events.DOUBLE_SIGN
    keeper.count_slash(store, reason)
    address = format_cons_address(cons_address)
    ctx.emit(
        events.DoubleSignSlash(address=address, power=str(power), reason=reason, burned_coins=str(burned))
    )
    if not validator.jailed:
        keeper.staking.jail(ctx, cons_address)
        ctx.emit(events.Jailed(jailed=address))
    tombstoned = msgspec.structs.replace(info, jailed_until=DOUBLE_SIGN_JAIL_END, tombstoned=True)
    keeper.set_signing_info(store, cons_address, tombstoned)


def is_stale(keeper: SlashingKeeper, ctx: Context, infraction_height: int) -> bool:
    """Older than both limits, as Cosmos: the consensus params' ``max_age_num_blocks`` and
    the unbonding period (Cosmos's ``max_age_duration``, which its docs tie to it), which
    depind counts in blocks."""
    age = ctx.env.height - infraction_height
    unbonding_blocks = keeper.staking.get_params(ctx.store).unbonding_blocks
    return age > ctx.env.max_evidence_age_blocks and age > unbonding_blocks


def _signing_info(keeper: SlashingKeeper, ctx: Context, cons_address: bytes) -> SigningInfo:
    """The validator's signing info. One bonded before any hook could see it (a genesis that
    lists it bonded) starts its window now, where Cosmos would halt the chain."""
    info = keeper.get_signing_info(ctx.store, cons_address)
    return new_signing_info(ctx.env.height) if info is None else info
