"""beacon genesis: the starting value and the onions committed so far."""

from __future__ import annotations

import msgspec

from vm.beacon.keeper import BeaconKeeper, OnionState, genesis_value
from vm.beacon.onion import DIGEST_SIZE, ONION_LENGTH
from vm.context import Context
from vm.errors import InvalidRequest
from vm.store.cache import ReadStore

ADDRESS_SIZE = 20


class OnionJSON(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    validator: str  # hex consensus address
    tip: str  # hex
    remaining: int
    generation: int = 0


class BeaconGenesis(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    value: str = ""  # hex; empty: derived from the chain id
    onions: list[OnionJSON] = msgspec.field(default_factory=list)


def validate_genesis(state: BeaconGenesis) -> None:
    if state.value and len(_hex(state.value, "value")) != DIGEST_SIZE:
        raise InvalidRequest("beacon value must be 32 bytes of hex")
    seen: set[bytes] = set()
    for onion in state.onions:
        validator = _hex(onion.validator, "validator")
        if len(validator) != ADDRESS_SIZE or validator in seen:
            raise InvalidRequest(f"beacon onion of {onion.validator}: bad or duplicate validator address")
        seen.add(validator)
        if len(_hex(onion.tip, "tip")) != DIGEST_SIZE or not 0 <= onion.remaining <= ONION_LENGTH:
            raise InvalidRequest(f"beacon onion of {onion.validator}: bad tip or remaining count")
        if onion.generation < 0:
            raise InvalidRequest("beacon onion generation must not be negative")


def init_genesis(keeper: BeaconKeeper, ctx: Context, state: BeaconGenesis) -> None:
    value = bytes.fromhex(state.value) if state.value else genesis_value(ctx.env.chain_id)
    keeper.set_value(ctx.store, value)
    for onion in state.onions:
        keeper.set_onion(
            ctx.store,
            bytes.fromhex(onion.validator),
            OnionState(bytes.fromhex(onion.tip), onion.remaining, onion.generation),
        )


def export_genesis(keeper: BeaconKeeper, store: ReadStore) -> BeaconGenesis:
    onions = [
        OnionJSON(validator=v.hex().upper(), tip=o.tip.hex(), remaining=o.remaining, generation=o.generation)
        for v, o in keeper.iterate_onions(store)
    ]
    return BeaconGenesis(value=keeper.value(store).hex(), onions=onions)


def _hex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidRequest(f"beacon {what} {text!r} is not hex") from None
