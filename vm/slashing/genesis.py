"""slashing genesis: validate, init, export (export then init round-trips), in Cosmos's
shape: the params, each validator's signing info, and the positions of its window it
missed; and depind's count of slashes by reason, which no record keeps."""

from __future__ import annotations

from genesis.schema import (
    MissedBlockJSON,
    SigningInfoJSON,
    SlashCountsJSON,
    SlashingGenesis,
    TimestampJSON,
    ValidatorMissedBlocksJSON,
    ValidatorSigningInfoJSON,
)
from vm.context import Context
from vm.errors import InvalidRequest
from vm.slashing.events import SLASH_REASONS
from vm.slashing.keeper import SlashingKeeper
from vm.slashing.params import format_params, parse_params, validate_params
from vm.slashing.types import SigningInfo, Timestamp, format_cons_address, parse_cons_address
from vm.store.cache import ReadStore


def validate_genesis(state: SlashingGenesis) -> None:
    """Cosmos's ValidateGenesis (the params), and that every record names a consensus
    address once and each counter is the number of blocks listed as missed."""
    validate_params(state.params)
    counters: dict[bytes, int] = {}
    for entry in state.signing_infos:
        cons_address = _address(entry)
        if cons_address in counters:
            raise InvalidRequest(f"duplicate signing info for {entry.address}")
        counters[cons_address] = entry.validator_signing_info.missed_blocks_counter
    seen: set[bytes] = set()
    for missed in state.missed_blocks:
        cons_address = parse_cons_address(missed.address, "missed blocks address")
        if cons_address in seen:
            raise InvalidRequest(f"duplicate missed blocks for {missed.address}")
        seen.add(cons_address)
        indexes = {block.index for block in missed.missed_blocks if block.missed}
        if len(indexes) != sum(block.missed for block in missed.missed_blocks):
            raise InvalidRequest(f"a missed block of {missed.address} is listed twice")
        if counters.get(cons_address, 0) != len(indexes):
            raise InvalidRequest(f"missed blocks of {missed.address} disagree with its signing info")
    for cons_address, counter in counters.items():
        if counter and cons_address not in seen:
            raise InvalidRequest(f"{format_cons_address(cons_address)} counts missed blocks it does not list")


def _address(entry: SigningInfoJSON) -> bytes:
    cons_address = parse_cons_address(entry.address, "signing info address")
    inner = entry.validator_signing_info.address
    if inner and parse_cons_address(inner, "validator signing info address") != cons_address:
        raise InvalidRequest(f"signing info of {entry.address} names another address, {inner}")
    return cons_address


def init_genesis(keeper: SlashingKeeper, ctx: Context, state: SlashingGenesis) -> None:
    store = ctx.store
    keeper.params.set(store, format_params(parse_params(state.params)))  # decimals as Cosmos writes them
    for entry in state.signing_infos:
        keeper.set_signing_info(store, parse_cons_address(entry.address), signing_info_from_json(entry))
    for missed in state.missed_blocks:
        cons_address = parse_cons_address(missed.address)
        for block in missed.missed_blocks:
            if block.missed:
                keeper.set_missed_block(store, cons_address, block.index, True)
    for reason in SLASH_REASONS:
        keeper.set_slash_count(store, reason, getattr(state.slashes, reason))


def export_genesis(keeper: SlashingKeeper, store: ReadStore) -> SlashingGenesis:
    infos = list(keeper.iterate_signing_infos(store))
    return SlashingGenesis(
        params=keeper.get_params(store),
        signing_infos=[signing_info_to_json(cons_address, info) for cons_address, info in infos],
        missed_blocks=[
            ValidatorMissedBlocksJSON(
                address=format_cons_address(cons_address),
                missed_blocks=[MissedBlockJSON(index=i) for i in keeper.missed_blocks(store, cons_address)],
            )
            for cons_address, info in infos
            if info.missed_blocks_counter
        ],
        slashes=export_slash_counts(keeper, store),
    )


def export_slash_counts(keeper: SlashingKeeper, store: ReadStore) -> SlashCountsJSON:
    return SlashCountsJSON(**{reason: keeper.slash_count(store, reason) for reason in SLASH_REASONS})


def signing_info_from_json(entry: SigningInfoJSON) -> SigningInfo:
    info = entry.validator_signing_info
    return SigningInfo(
        start_height=info.start_height,
        index_offset=info.index_offset,
        jailed_until=Timestamp(info.jailed_until.seconds, info.jailed_until.nanos),
        tombstoned=info.tombstoned,
        missed_blocks_counter=info.missed_blocks_counter,
    )


def signing_info_to_json(cons_address: bytes, info: SigningInfo) -> SigningInfoJSON:
    address = format_cons_address(cons_address)
    return SigningInfoJSON(
        address=address,
        validator_signing_info=ValidatorSigningInfoJSON(
            address=address,
            start_height=info.start_height,
            index_offset=info.index_offset,
            jailed_until=TimestampJSON(seconds=info.jailed_until.seconds, nanos=info.jailed_until.nanos),
            tombstoned=info.tombstoned,
            missed_blocks_counter=info.missed_blocks_counter,
        ),
    )
