"""The beacon value and each validator's onion, under ``beacon/``.

Each block's proposer puts one entry first in its block: the next reveal of its
onion (or, with no onion left, the tip of a new one). The beacon becomes
``H(beacon || reveal)`` when a reveal checks, else ``H(beacon || height)``, so
nothing but the proposer's decision to propose at all bears on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from vm.beacon.onion import DIGEST_SIZE, ONION_LENGTH, step
from vm.encoding import Canonical, decode, encode
from vm.errors import InvalidRequest
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Uint64

VALUE_KEY = b"value"
ONION_PREFIX = b"onion/"
ENTRY_MARKER = b"\xc1beacon"  # 0xc1 never starts a TxRaw (0x0a, 0x12, 0x1a): no tx looks like one
ENTRY_SIZE = len(ENTRY_MARKER) + 2 * DIGEST_SIZE


class OnionState(Canonical, frozen=True):
    """A validator's committed onion: the last layer shown and how many remain below it."""

    tip: bytes
    remaining: Uint64
    generation: Uint64  # onions registered before this one


@dataclass(frozen=True)
class Entry:
    reveal: bytes  # empty when the entry registers a new onion
    commitment: bytes  # empty when the entry reveals


def encode_entry(entry: Entry) -> bytes:
    return ENTRY_MARKER + entry.reveal.ljust(DIGEST_SIZE, b"\0") + entry.commitment.ljust(DIGEST_SIZE, b"\0")


def decode_entry(data: bytes) -> Entry | None:
    """The entry ``data`` holds, or None if it is not shaped as one."""
    if len(data) != ENTRY_SIZE or not data.startswith(ENTRY_MARKER):
        return None
    reveal = data[len(ENTRY_MARKER) : len(ENTRY_MARKER) + DIGEST_SIZE]
    commitment = data[len(ENTRY_MARKER) + DIGEST_SIZE :]
    zero = bytes(DIGEST_SIZE)
    return Entry(b"" if reveal == zero else reveal, b"" if commitment == zero else commitment)


def is_entry(data: bytes) -> bool:
    return data.startswith(ENTRY_MARKER)


def genesis_value(chain_id: str) -> bytes:
    return hashlib.sha256(b"depind/beacon/genesis/" + chain_id.encode()).digest()


def mix(value: bytes, reveal: bytes) -> bytes:
    return hashlib.sha256(b"reveal" + value + reveal).digest()


def skip(value: bytes, height: int) -> bytes:
    return hashlib.sha256(b"none" + value + height.to_bytes(8, "big")).digest()


class BeaconKeeper:
    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def value(self, store: ReadStore) -> bytes:
        return self._kv(store).get(VALUE_KEY) or bytes(DIGEST_SIZE)

    def set_value(self, store: Store, value: bytes) -> None:
        self._kv(store).set(VALUE_KEY, value)

    def onion(self, store: ReadStore, validator: bytes) -> OnionState | None:
        raw = self._kv(store).get(ONION_PREFIX + validator)
        return None if raw is None else decode(raw, OnionState)

    def set_onion(self, store: Store, validator: bytes, onion: OnionState) -> None:
        self._kv(store).set(ONION_PREFIX + validator, encode(onion))

    def iterate_onions(self, store: ReadStore) -> list[tuple[bytes, OnionState]]:
        return [
            (key[len(ONION_PREFIX) :], decode(raw, OnionState))
            for key, raw in self._kv(store).iterate(ONION_PREFIX, prefix_end(ONION_PREFIX))
        ]

    def check(self, store: ReadStore, proposer: bytes, entry: Entry | None) -> None:
        """Raise ``InvalidRequest`` unless ``entry`` is what ``proposer`` owes: the next reveal
        while its onion lasts, else nothing or the tip of a new onion."""
        onion = self.onion(store, proposer)
        if onion is not None and onion.remaining > 0:
            if entry is None:
                raise InvalidRequest("the proposer's block lacks its beacon reveal")
            if entry.commitment or step(entry.reveal) != onion.tip:
                raise InvalidRequest("the beacon reveal does not open the proposer's onion")
        elif entry is not None and (entry.reveal or len(entry.commitment) != DIGEST_SIZE):
            raise InvalidRequest("a proposer with no onion left may only commit to a new one")

    def advance(self, store: Store, height: int, proposer: bytes, entry: Entry | None) -> bytes:
        """Apply a checked entry (or its absence) and return the new beacon value."""
        previous = self.value(store)
        onion = self.onion(store, proposer)
        if entry is None:
            value = skip(previous, height)
        elif entry.reveal and onion is not None:
            value = mix(previous, entry.reveal)
            self.set_onion(store, proposer, OnionState(entry.reveal, onion.remaining - 1, onion.generation))
        else:
            value = skip(previous, height)
            generation = 0 if onion is None else onion.generation + 1
            self.set_onion(store, proposer, OnionState(entry.commitment, ONION_LENGTH, generation))
        self.set_value(store, value)
        return value


class EntrySource(Protocol):
    """The proposer's side (the node holds the validator key the onions derive from)."""

    @property
    def address(self) -> bytes: ...

    def entry(self, onion: OnionState | None) -> Entry: ...
