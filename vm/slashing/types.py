"""slashing's state values and consensus addresses.

A validator's ``SigningInfo`` is Cosmos's ``ValidatorSigningInfo`` without the address
(its key holds it). ``jailed_until`` is a protobuf-style timestamp of header time:
the end of a double signer's jail, 9999-12-31T23:59:59Z, does not fit 64-bit
nanoseconds.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from vm import crypto
from vm.encoding import Canonical
from vm.errors import InvalidAddress
from vm.types import Uint64

VALCONS_HRP = crypto.ACCOUNT_HRP + "valcons"  # consensus addresses: depinvalcons1...
NANOS_PER_SECOND = 10**9
MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z, the latest time a Timestamp may hold

Seconds = Annotated[int, msgspec.Meta(ge=0, le=MAX_SECONDS)]
Nanos = Annotated[int, msgspec.Meta(ge=0, le=NANOS_PER_SECOND - 1)]


class Timestamp(Canonical, frozen=True):
    seconds: Seconds
    nanos: Nanos

    @classmethod
    def from_ns(cls, time_ns: int) -> Timestamp:
        """Header time in nanoseconds, at most 9999-12-31T23:59:59Z."""
        seconds, nanos = divmod(time_ns, NANOS_PER_SECOND)
        if seconds > MAX_SECONDS:
            return cls(MAX_SECONDS, 0)
        return cls(seconds, nanos)

    def ns(self) -> int:
        return self.seconds * NANOS_PER_SECOND + self.nanos


UNIX_EPOCH = Timestamp(0, 0)  # "not jailed": Cosmos's time.Unix(0, 0)
DOUBLE_SIGN_JAIL_END = Timestamp(MAX_SECONDS, 0)  # Cosmos's DoubleSignJailEndTime: never


class SigningInfo(Canonical, frozen=True):
    start_height: Uint64  # where it last became bonded: its window counts from there
    index_offset: Uint64  # blocks it should have signed since; the window index is this mod the window
    jailed_until: Timestamp  # header time before which it cannot unjail
    tombstoned: bool  # punished for double signing: never again, and never unjailed
    missed_blocks_counter: Uint64  # missed blocks in the window (the bits set in its bitmap)


def new_signing_info(start_height: int) -> SigningInfo:
    return SigningInfo(start_height, 0, UNIX_EPOCH, False, 0)


def format_cons_address(cons_address: bytes) -> str:
    return crypto.encode_address(cons_address, VALCONS_HRP)


def parse_cons_address(text: str, field: str = "consensus address") -> bytes:
    try:
        return crypto.decode_address(text, VALCONS_HRP)
    except crypto.InvalidAddress as exc:
        raise InvalidAddress(f"{field}: {exc}") from None


def parse_valoper(text: str, field: str = "validator address") -> bytes:
    """A validator operator address (``depinvaloper1...``) as its 20 raw bytes."""
    try:
        return crypto.decode_address(text, crypto.VALOPER_HRP)
    except crypto.InvalidAddress as exc:
        raise InvalidAddress(f"{field}: {exc}") from None
