"""Validator sets and CometBFT's weighted round-robin proposer selection.

The arithmetic is CometBFT's (types/validator_set.go), step for step, so that a set's
priorities and proposer are the same as a CometBFT node's would be for the same history:
``increment_priority`` is IncrementProposerPriority, ``apply_updates`` is
UpdateWithChangeSet and ``from_keys`` is NewValidatorSet. Priorities are int64 in
CometBFT; every sum and difference here clips to that range as CometBFT's does.
"""

from __future__ import annotations

import hashlib

from consensus.codec import Canonical, encode
from consensus.merkle import merkle_root
from consensus.types import Int64, Uint64

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_TOTAL_VOTING_POWER = INT64_MAX // 8  # leaves room for priorities of -1.125 x total
PRIORITY_WINDOW_SIZE_FACTOR = 2  # priorities are rescaled to lie within 2 x total power


class Validator(Canonical, frozen=True):
    address: bytes  # first 20 bytes of SHA-256(pub_key)
    pub_key: bytes  # 32-byte ed25519
    voting_power: Uint64
    proposer_priority: Int64


class SimpleValidator(Canonical, frozen=True):
    """The part of a validator the set's hash commits to (not its priority)."""

    pub_key: bytes
    voting_power: Uint64


class ValidatorSetRecord(Canonical, frozen=True):
    """A set as stored: its validators and the proposer its last increment chose (empty
    when no increment has chosen one), since the priorities alone do not tell which."""

    validators: list[Validator]
    proposer: bytes


class InvalidValidatorUpdate(ValueError):
    """A batch of validator updates CometBFT would refuse to apply."""


def address_of(pub_key: bytes) -> bytes:
    return hashlib.sha256(pub_key).digest()[:20]


class ValidatorSet:
    """Validators sorted by power (highest first), then address, and the proposer chosen by
    the increment that made the set (``None`` for a set no increment has made)."""

    def __init__(self, validators: list[Validator], proposer: bytes | None = None) -> None:
        self.validators = sorted(validators, key=lambda v: (-v.voting_power, v.address))
        self._index = {v.address: i for i, v in enumerate(self.validators)}
        if proposer is not None and proposer not in self._index:
            raise ValueError(f"proposer {proposer.hex()} is not in the set")
        self._proposer = proposer

    @classmethod
    def from_keys(cls, entries: list[tuple[bytes, int]]) -> ValidatorSet:
        """A new set, as CometBFT's NewValidatorSet: every validator joins at once (so all
        start level, at priority 0 once centred), then one increment chooses the first
        proposer. Raises ``InvalidValidatorUpdate`` for a duplicate key, a power that is
        not positive or a total above ``MAX_TOTAL_VOTING_POWER``."""
        if not entries:
            return cls([])
        for pub_key, power in entries:
            if power <= 0:
                raise InvalidValidatorUpdate(
                    f"a new set needs positive powers, not {power} for {pub_key.hex()}"
                )
        return apply_updates(cls([]), entries).increment_priority()

    @classmethod
    def from_record(cls, record: ValidatorSetRecord) -> ValidatorSet:
        return cls(record.validators, record.proposer or None)

    def record(self) -> ValidatorSetRecord:
        return ValidatorSetRecord(self.validators, self._proposer or b"")

    def total_power(self) -> int:
        return sum(v.voting_power for v in self.validators)

    def hash(self) -> bytes:
        return merkle_root([encode(SimpleValidator(v.pub_key, v.voting_power)) for v in self.validators])

    def get(self, address: bytes) -> tuple[int, Validator] | None:
        index = self._index.get(address)
        return None if index is None else (index, self.validators[index])

    def proposer(self) -> Validator:
        """The validator the last increment chose; for a set no increment has made, the one
        with the highest priority, ties to the lowest address (CometBFT's GetProposer)."""
        if self._proposer is not None:
            return self.validators[self._index[self._proposer]]
        return self.validators[
            _most_priority(self.validators, [v.proposer_priority for v in self.validators])
        ]

    def increment_priority(self, times: int = 1) -> ValidatorSet:
        """The set ``times`` rounds later (CometBFT's IncrementProposerPriority): priorities
        are first rescaled into a window of 2 x total power and centred on zero, then each
        round every validator gains its power and the one with the most priority (ties to
        the lowest address) becomes the proposer and pays the total power. Over many rounds
        each validator proposes in proportion to its power. ``times`` 0 is the set itself."""
        if times < 0:
            raise ValueError(f"cannot increment priorities {times} times")
        if times == 0:
            return self
        if not self.validators:
            raise ValueError("an empty validator set has no proposer")
        total = self.total_power()
        priorities = _centred(_rescaled([v.proposer_priority for v in self.validators], total))
        chosen = 0
        for _ in range(times):
            priorities = [_clip(p + v.voting_power) for p, v in zip(priorities, self.validators, strict=True)]
            chosen = _most_priority(self.validators, priorities)
            priorities[chosen] = _clip(priorities[chosen] - total)
        return ValidatorSet(_with_priorities(self.validators, priorities), self.validators[chosen].address)

    def two_thirds_plus_one(self) -> int:
        return self.total_power() * 2 // 3 + 1


def apply_updates(validators: ValidatorSet, updates: list[tuple[bytes, int]]) -> ValidatorSet:
    """The set with each (pub_key, power) applied, as CometBFT's UpdateWithChangeSet: power 0
    removes a validator, any other power adds or re-weights one; a key appears at most once.
    A newcomer starts at -1.125 x the total power after the updates but before the removals,
    so that leaving and rejoining never resets a low priority; then the priorities are
    rescaled into 2 x the new total and centred. The result has no proposer until it is
    incremented. Raises ``InvalidValidatorUpdate`` (leaving ``validators`` as it was)."""
    if not updates:
        return validators
    by_address = {v.address: v for v in validators.validators}
    changes = _checked(updates)
    removed = [address for address, (_, power) in changes.items() if power == 0]
    for address in removed:
        if address not in by_address:
            raise InvalidValidatorUpdate(f"cannot remove validator {address.hex()}: it is not in the set")
    if len(removed) == len(by_address) and all(address in by_address for address in changes):
        raise InvalidValidatorUpdate("the updates would leave no validators")
    before_removals = validators.total_power() + sum(
        power - (by_address[address].voting_power if address in by_address else 0)
        for address, (_, power) in changes.items()
        if power
    )
    after = before_removals - sum(by_address[address].voting_power for address in removed)
    if after > MAX_TOTAL_VOTING_POWER:
        raise InvalidValidatorUpdate(
            f"total voting power {after} would exceed the maximum of {MAX_TOTAL_VOTING_POWER}"
        )
    newcomer = -(before_removals + (before_removals >> 3))
    for address, (pub_key, power) in changes.items():
        existing = by_address.pop(address, None)
        if power:
            priority = newcomer if existing is None else existing.proposer_priority
            by_address[address] = Validator(address, pub_key, power, priority)
    updated = list(by_address.values())
    priorities = _centred(_rescaled([v.proposer_priority for v in updated], after))
    return ValidatorSet(_with_priorities(updated, priorities))


def _checked(updates: list[tuple[bytes, int]]) -> dict[bytes, tuple[bytes, int]]:
    """The updates by address, each key once and each power within bounds."""
    changes: dict[bytes, tuple[bytes, int]] = {}
    for pub_key, power in updates:
        address = address_of(pub_key)
        if address in changes:
            raise InvalidValidatorUpdate(
                f"validator {address.hex()} appears more than once in one batch of updates"
            )
        if power < 0:
            raise InvalidValidatorUpdate(f"negative power {power} for validator {address.hex()}")
        if power > MAX_TOTAL_VOTING_POWER:
            raise InvalidValidatorUpdate(
                f"power {power} for validator {address.hex()} exceeds the maximum of {MAX_TOTAL_VOTING_POWER}"
            )
        changes[address] = (pub_key, power)
    return changes


def _rescaled(priorities: list[int], total: int) -> list[int]:
    """Priorities divided by ceil(spread / window) when their spread exceeds the window of
    2 x total power; Go's int64 division, which truncates towards zero."""
    window = PRIORITY_WINDOW_SIZE_FACTOR * total
    spread = max(priorities) - min(priorities)
    if window <= 0 or spread <= window:
        return priorities
    ratio = (spread + window - 1) // window
    return [_quotient_towards_zero(p, ratio) for p in priorities]


def _centred(priorities: list[int]) -> list[int]:
    """Priorities less their average. CometBFT averages with big.Int's Euclidean division,
    which for a positive count is the floor: an average of -2/3 is -1, not 0."""
    average = sum(priorities) // len(priorities)
    return [_clip(p - average) for p in priorities]


def _most_priority(validators: list[Validator], priorities: list[int]) -> int:
    """The index of the highest priority, ties to the lowest address."""
    return min(range(len(validators)), key=lambda i: (-priorities[i], validators[i].address))


def _with_priorities(validators: list[Validator], priorities: list[int]) -> list[Validator]:
    return [
        Validator(v.address, v.pub_key, v.voting_power, p)
        for v, p in zip(validators, priorities, strict=True)
    ]


def _quotient_towards_zero(dividend: int, divisor: int) -> int:
    quotient = abs(dividend) // divisor
    return quotient if dividend >= 0 else -quotient


def _clip(value: int) -> int:
    """CometBFT's safeAddClip / safeSubClip: int64 arithmetic that saturates."""
    return max(INT64_MIN, min(INT64_MAX, value))
