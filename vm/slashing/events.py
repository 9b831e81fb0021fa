"""slashing events, with Cosmos SDK v0.50's types and attributes (x/slashing and x/evidence),
and depind's ``misbehavior`` event for each item of committed evidence.

Addresses are consensus addresses in bech32 (``depinvalcons1...``), as Cosmos writes them;
``misbehavior`` names the validator in hex, as the consensus engine does."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent

MISSING_SIGNATURE = "missing_signature"
DOUBLE_SIGN = "double_sign"
FALSE_ATTESTATION = "false_attestation"  # the compute module's reasons (``punish_attestation``)
MISSED_ATTESTATION = "missed_attestation"
ATTESTATION_REASONS = (FALSE_ATTESTATION, MISSED_ATTESTATION)
SLASH_REASONS = (DOUBLE_SIGN, MISSING_SIGNATURE, *ATTESTATION_REASONS)


class Liveness(TypedEvent, tag="liveness", frozen=True):
    """A bonded validator's signature is absent from the last commit."""

    indexed: ClassVar[frozenset[str]] = frozenset({"address"})

    address: str
    missed_blocks: str
    height: str


class DowntimeSlash(TypedEvent, tag="slash", frozen=True):
    """Slashed and jailed for downtime, in one event as Cosmos's liveness check emits it."""

    indexed: ClassVar[frozenset[str]] = frozenset({"address", "reason"})

    address: str
    power: str
    reason: str
    jailed: str
    burned_coins: str


class DoubleSignSlash(TypedEvent, tag="slash", frozen=True):
    """Slashed for double signing; ``Jailed`` follows if the validator was not jailed yet."""

    indexed: ClassVar[frozenset[str]] = frozenset({"address", "reason"})

    address: str
    power: str
    reason: str
    burned_coins: str


class Jailed(TypedEvent, tag="slash", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"jailed"})

    jailed: str


class Misbehavior(TypedEvent, tag="misbehavior", frozen=True):
    """One item of committed evidence, whatever the verdict on it."""

    indexed: ClassVar[frozenset[str]] = frozenset({"kind", "validator"})

    kind: str
    validator: str
    height: str


class AttestationSlash(TypedEvent, tag="slash", frozen=True):
    """Slashed for an attestation the compute module judged (``false_attestation`` or
    ``missed_attestation``); ``jailed`` is empty when the validator was not jailed for it."""

    indexed: ClassVar[frozenset[str]] = frozenset({"address", "reason"})

    address: str
    power: str
    reason: str
    jailed: str
    burned_coins: str
