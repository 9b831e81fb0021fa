"""Slashing state under ``slashing/``, read and written here only.

Keys (inside the module's prefix; consensus addresses are 20 raw bytes):

    params                          SlashingParams
    info/<consensus address>        SigningInfo
    missed/<consensus address><n>   chunk n (8 bytes big-endian) of the missed-blocks bitmap
    tally/<reason>                  how many slashes had the reason (``SLASH_REASONS``; 8 bytes)

The bitmap has one bit per position of the signed-blocks window, set when the validator
missed the block that took that position (Cosmos v0.50's chunked bitmap). A chunk holds
``CHUNK_BITS`` positions, so recording one vote reads and writes one small value
whatever the window; a chunk with no bit set is deleted, so state never holds one. The slash
tallies count what no record keeps, so genesis carries them.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from genesis.schema import SlashingParams
from vm.context import Context
from vm.dec import Dec
from vm.encoding import decode, encode
from vm.module import ModuleParams
from vm.slashing.events import ATTESTATION_REASONS, AttestationSlash
from vm.slashing.expected import StakingKeeper
from vm.slashing.params import Params, parse_params
from vm.slashing.types import SigningInfo, Timestamp, format_cons_address, new_signing_info
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView

INFO = b"info/"
MISSED = b"missed/"
TALLY = b"tally/"
CONS_ADDRESS_SIZE = 20
CHUNK_BITS = 1024  # Cosmos's MissedBlockBitmapChunkSize
CHUNK_BYTES = CHUNK_BITS // 8


class SlashingKeeper:
    def __init__(self, prefix: bytes, params: ModuleParams[SlashingParams], staking: StakingKeeper) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.staking = staking

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def get_params(self, store: ReadStore) -> SlashingParams:
        return self.params.get(store)

    def get_parsed_params(self, store: ReadStore) -> Params:
        return parse_params(self.params.get(store))

    # -- signing infos -----------------------------------------------------------------------

    def get_signing_info(self, store: ReadStore, cons_address: bytes) -> SigningInfo | None:
        raw = self._kv(store).get(INFO + cons_address)
        return None if raw is None else decode(raw, SigningInfo)

    def set_signing_info(self, store: Store, cons_address: bytes, info: SigningInfo) -> None:
        self._kv(store).set(INFO + cons_address, encode(info))

    def delete_signing_info(self, store: Store, cons_address: bytes) -> None:
        self._kv(store).delete(INFO + cons_address)

    def is_tombstoned(self, store: ReadStore, cons_address: bytes) -> bool:
        info = self.get_signing_info(store, cons_address)
        return info is not None and info.tombstoned

    def signing_infos_from(
        self, store: ReadStore, start: bytes
    ) -> Iterator[tuple[bytes, tuple[bytes, SigningInfo]]]:
        """(key, (consensus address, info)) from the consensus address ``start`` on (``b""``:
        from the first), in address order: the entries ``vm.pagination`` pages through."""
        for key, raw in self._kv(store).iterate(INFO + start, prefix_end(INFO)):
            cons_address = key[len(INFO) :]
            yield cons_address, (cons_address, decode(raw, SigningInfo))

    def iterate_signing_infos(self, store: ReadStore) -> Iterator[tuple[bytes, SigningInfo]]:
        for _, entry in self.signing_infos_from(store, b""):
            yield entry

    # -- for the compute module -----------------------------------------------------------------

    def punish_attestation(
        self,
        ctx: Context,
        operator: bytes,
        infraction_height: int,
        power: int,
        fraction: Dec,
        jail: bool,
        reason: str,
    ) -> int:
        """Punish a validator for an attestation (vm/compute): burn ``fraction`` of the stake
        behind ``power`` at ``infraction_height`` and, with ``jail``, jail it for
        ``downtime_jail_duration_ns`` of header time, after which ``MsgUnjail`` frees it (never
        tombstoned: the fault is one result, not an attack on consensus). A validator gone or
        unbonded has no stake left to answer and is left alone. Returns the tokens burnt.
        ``reason`` is one of ``ATTESTATION_REASONS``."""
        if reason not in ATTESTATION_REASONS:
            raise ValueError(f"no attestation slash is for {reason!r}")
        validator = self.staking.get_validator(ctx.store, operator)
        if validator is None or validator.is_unbonded():
            return 0
        cons_address = validator.cons_address
        burned = self.staking.slash(ctx, cons_address, infraction_height, power, fraction) if fraction else 0
        if jail:
            self._extend_jail(ctx, cons_address)
            if not validator.jailed:
                self.staking.jail(ctx, cons_address)
        self.count_slash(ctx.store, reason)
        address = format_cons_address(cons_address)
        ctx.emit(
            AttestationSlash(
                address=address,
                power=str(power),
                reason=reason,
                jailed=address if jail else "",
                burned_coins=str(burned),
            )
        )
        return burned

    def _extend_jail(self, ctx: Context, cons_address: bytes) -> None:
        """Jailed until the downtime jail duration from now, unless already jailed longer."""
        info = self.get_signing_info(ctx.store, cons_address) or new_signing_info(ctx.env.height)
        until = ctx.env.time_ns + self.get_params(ctx.store).downtime_jail_duration_ns
        if until > info.jailed_until.ns():
            info = msgspec.structs.replace(info, jailed_until=Timestamp.from_ns(until))
        self.set_signing_info(ctx.store, cons_address, info)

    # -- slashes by reason ----------------------------------------------------------------------

    def slash_count(self, store: ReadStore, reason: str) -> int:
        raw = self._kv(store).get(TALLY + reason.encode())
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_slash_count(self, store: Store, reason: str, count: int) -> None:
        if count:
            self._kv(store).set(TALLY + reason.encode(), count.to_bytes(8, "big"))

    def count_slash(self, store: Store, reason: str) -> None:
        """One more slash for ``reason``, counted where the slash is made."""
        self.set_slash_count(store, reason, self.slash_count(store, reason) + 1)

    # -- the missed-blocks bitmap ----------------------------------------------------------------

    def get_missed_block(self, store: ReadStore, cons_address: bytes, index: int) -> bool:
        chunk = self._kv(store).get(_chunk_key(cons_address, index // CHUNK_BITS))
        if chunk is None:
            return False
        position = index % CHUNK_BITS
        return bool(chunk[position // 8] >> (position % 8) & 1)

    def set_missed_block(self, store: Store, cons_address: bytes, index: int, missed: bool) -> None:
        kv = self._kv(store)
        key = _chunk_key(cons_address, index // CHUNK_BITS)
        chunk = bytearray(kv.get(key) or bytes(CHUNK_BYTES))
        position = index % CHUNK_BITS
        if missed:
            chunk[position // 8] |= 1 << (position % 8)
        else:
            chunk[position // 8] &= ~(1 << (position % 8)) & 0xFF
        if any(chunk):
            kv.set(key, bytes(chunk))
        else:
            kv.delete(key)

    def delete_missed_blocks(self, store: Store, cons_address: bytes) -> None:
        kv = self._kv(store)
        start = MISSED + cons_address
        for key in [key for key, _ in kv.iterate(start, prefix_end(start))]:
            kv.delete(key)

    def missed_blocks(self, store: ReadStore, cons_address: bytes) -> Iterator[int]:
        """The window positions ``cons_address`` missed, in order."""
        start = MISSED + cons_address
        for key, chunk in self._kv(store).iterate(start, prefix_end(start)):
            base = int.from_bytes(key[len(start) :], "big") * CHUNK_BITS
            for byte_index, byte in enumerate(chunk):
                for bit in range(8):
                    if byte >> bit & 1:
                        yield base + byte_index * 8 + bit

    def bitmap_owners(self, store: ReadStore) -> Iterator[bytes]:
        """Consensus addresses with a bit set in their bitmap, each once, in order."""
        last = b""
        for key, _ in self._kv(store).iterate(MISSED, prefix_end(MISSED)):
            owner = key[len(MISSED) : len(MISSED) + CONS_ADDRESS_SIZE]
            if owner != last:
                yield owner
                last = owner


def _chunk_key(cons_address: bytes, chunk: int) -> bytes:
    return MISSED + cons_address + chunk.to_bytes(8, "big")
