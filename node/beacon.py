"""This validator's beacon entries (vm/beacon): its onions derive from its consensus
key, so a restarted node gives the same reveals and keeps no extra secret on disk."""

from __future__ import annotations

import hashlib

from consensus.privval import public_key
from consensus.validators import address_of
from vm.beacon.keeper import Entry, OnionState
from vm.beacon.onion import Onion

DOMAIN = b"depind/beacon/onion/v1"


class ValidatorOnions:
    def __init__(self, secret: bytes, chain_id: str) -> None:
        self.address = address_of(public_key(secret))
        self._secret = secret
        self._chain_id = chain_id.encode()
        self._onions: dict[int, Onion] = {}

    def entry(self, onion: OnionState | None) -> Entry:
        """The next reveal of our onion, or the tip of a new one when none is left."""
        if onion is None or onion.remaining == 0:
            generation = 0 if onion is None else onion.generation + 1
            return Entry(b"", self._onion(generation).tip())
        return Entry(self._onion(onion.generation).layer(onion.remaining - 1), b"")

    def _onion(self, generation: int) -> Onion:
        if generation not in self._onions:
            seed = hashlib.sha256(
                DOMAIN + self._secret + self._chain_id + generation.to_bytes(8, "big")
            ).digest()
            self._onions = {generation: Onion(seed)}  # older generations are never revealed again
        return self._onions[generation]
