"""staking events, with Cosmos's types and attribute names. Completion is a height in
depind (``completion_height``) where Cosmos gives a time (``completion_time``)."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent

VALIDATOR = frozenset({"validator"})
DELEGATION = frozenset({"validator", "delegator"})


class CreateValidator(TypedEvent, tag="create_validator", frozen=True):
    indexed: ClassVar[frozenset[str]] = VALIDATOR

    validator: str
    amount: str


class EditValidator(TypedEvent, tag="edit_validator", frozen=True):
    commission_rate: str
    min_self_delegation: str


class Delegate(TypedEvent, tag="delegate", frozen=True):
    indexed: ClassVar[frozenset[str]] = DELEGATION

    validator: str
    delegator: str
    amount: str
    new_shares: str


class Unbond(TypedEvent, tag="unbond", frozen=True):
    indexed: ClassVar[frozenset[str]] = DELEGATION

    validator: str
    delegator: str
    amount: str
    completion_height: str


class Redelegate(TypedEvent, tag="redelegate", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"source_validator", "destination_validator", "delegator"})

    source_validator: str
    destination_validator: str
    delegator: str
    amount: str
    completion_height: str


class CancelUnbondingDelegation(TypedEvent, tag="cancel_unbonding_delegation", frozen=True):
    indexed: ClassVar[frozenset[str]] = DELEGATION

    amount: str
    validator: str
    delegator: str
    creation_height: str


class CompleteUnbonding(TypedEvent, tag="complete_unbonding", frozen=True):
    indexed: ClassVar[frozenset[str]] = DELEGATION

    amount: str
    validator: str
    delegator: str


class CompleteRedelegation(TypedEvent, tag="complete_redelegation", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"source_validator", "destination_validator", "delegator"})

    amount: str
    delegator: str
    source_validator: str
    destination_validator: str
