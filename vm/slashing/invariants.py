"""slashing invariants: each counter is what its bitmap holds, and no signing info is left
behind by a removed validator but a tombstone."""

from __future__ import annotations

from vm.slashing.keeper import SlashingKeeper
from vm.slashing.types import format_cons_address
from vm.store.cache import ReadStore


def missed_blocks_counter(keeper: SlashingKeeper, store: ReadStore) -> str | None:
    """Every signing info counts exactly the bits set in its bitmap, and no bitmap is
    without a signing info."""
    counted = set()
    for cons_address, info in keeper.iterate_signing_infos(store):
        set_bits = sum(1 for _ in keeper.missed_blocks(store, cons_address))
        if set_bits != info.missed_blocks_counter:
            name = format_cons_address(cons_address)
            return f"{name} counts {info.missed_blocks_counter} missed blocks; its bitmap has {set_bits}"
        counted.add(cons_address)
    for owner in keeper.bitmap_owners(store):
        if owner not in counted:
            return f"{format_cons_address(owner)} has missed blocks but no signing info"
    return None


def signing_infos_have_validators(keeper: SlashingKeeper, store: ReadStore) -> str | None:
    """A signing info outlives its validator only as a tombstone (hooks.py). Tombstoned
    does not imply jailed: a consensus key may serve a new validator once its tombstoned
    one is removed, as in Cosmos; the tombstone keeps it from being punished or unjailed
    again."""
    for cons_address, info in keeper.iterate_signing_infos(store):
        if not info.tombstoned and keeper.staking.get_validator_by_cons_addr(store, cons_address) is None:
            return f"{format_cons_address(cons_address)} has a signing info but no validator"
    return None
