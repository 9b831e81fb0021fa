"""Validator sets and CometBFT's weighted round-robin proposer selection."""

from __future__ import annotations

import hashlib

from consensus.codec import Canonical, encode
from consensus.merkle import merkle_root
from consensus.types import Int64, Uint64


class Validator(Canonical, frozen=True):
    address: bytes  # first 20 bytes of SHA-256(pub_key)
    pub_key: bytes  # 32-byte ed25519
    voting_power: Uint64
    proposer_priority: Int64


class SimpleValidator(Canonical, frozen=True):
    """The part of a validator the set's hash commits to (not its priority)."""

    pub_key: bytes
    voting_power: Uint64


def address_of(pub_key: bytes) -> bytes:
    return hashlib.sha256(pub_key).digest()[:20]


class ValidatorSet:
    def __init__(self, validators: list[Validator]) -> None:
        self.validators = sorted(validators, key=lambda v: (-v.voting_power, v.address))
        self._index = {v.address: i for i, v in enumerate(self.validators)}

    @classmethod
    def from_keys(cls, entries: list[tuple[bytes, int]]) -> ValidatorSet:
        return cls([Validator(address_of(key), key, power, 0) for key, power in entries])

    def total_power(self) -> int:
        return sum(v.voting_power for v in self.validators)

    def hash(self) -> bytes:
        return merkle_root([encode(SimpleValidator(v.pub_key, v.voting_power)) for v in self.validators])

    def get(self, address: bytes) -> tuple[int, Validator] | None:
        index = self._index.get(address)
        return None if index is None else (index, self.validators[index])

    def proposer(self) -> Validator:
        """Highest priority, ties broken by address (CometBFT)."""
        return _most_priority(self.validators)

    def increment_priority(self, times: int = 1) -> ValidatorSet:
        """The set for the next round: this round's proposer pays the total, each gains its power.

        Over many rounds each validator proposes in proportion to its voting power."""
        validators = list(self.validators)
        total = self.total_power()
        for _ in range(times):
            chosen = _most_priority(validators).address
            validators = [
                Validator(
                    v.address,
                    v.pub_key,
                    v.voting_power,
                    v.proposer_priority + v.voting_power - (total if v.address == chosen else 0),
                )
                for v in validators
            ]
        return ValidatorSet(validators)

    def two_thirds_plus_one(self) -> int:
        return self.total_power() * 2 // 3 + 1


def _most_priority(validators: list[Validator]) -> Validator:
    return max(validators, key=lambda v: (v.proposer_priority, _negate(v.address)))


def _negate(address: bytes) -> bytes:
    return bytes(255 - b for b in address)


def apply_updates(validators: ValidatorSet, updates: list[tuple[bytes, int]]) -> ValidatorSet:
    """The set with each (pub_key, power) applied: power 0 removes the validator, any other
    power adds or re-weights it. As in CometBFT, a key may appear once per batch, and a
    newcomer starts at -1.125 x the total power after the updates (removed validators
    still counted), so it does not propose before the others have had their turn."""
    addresses = [address_of(pub_key) for pub_key, _ in updates]
    if len(set(addresses)) != len(addresses):
        raise ValueError("a validator appears more than once in one batch of updates")
    by_address = {v.address: v for v in validators.validators}
    for (_, power), address in zip(updates, addresses, strict=True):
        if power < 0:
            raise ValueError(f"negative power {power} for validator {address.hex()}")
    new_powers = {address: power for (_, power), address in zip(updates, addresses, strict=True) if power}
    total = sum(new_powers.get(a, v.voting_power) for a, v in by_address.items()) + sum(
        power for address, power in new_powers.items() if address not in by_address
    )
    for (pub_key, power), address in zip(updates, addresses, strict=True):
        existing = by_address.pop(address, None)
        if power == 0:
            continue
        priority = existing.proposer_priority if existing else -(total + total // 8)
        by_address[address] = Validator(address, pub_key, power, priority)
    if not by_address:
        raise ValueError("the updates would leave no validators")
    return ValidatorSet(list(by_address.values()))
