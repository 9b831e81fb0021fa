"""market events. Workers watch ``lease_matched`` (indexed by provider); requesters watch
``escrow_low`` and ``lease_closed`` (indexed by requester)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from vm.context import TypedEvent
from vm.types import Address, format_address

PROVIDER = frozenset({"provider", "offer_id"})
REQUESTER = frozenset({"requester", "order_id"})
LEASE = frozenset({"lease_id", "provider", "requester"})


@lru_cache(maxsize=1 << 14)
def bech32(address: bytes) -> str:
    """An address as events show it. Kept for the addresses seen last: matching announces
    every lease with its provider's and its requester's, and the same parties come back
    block after block."""
    return format_address(Address(address))


class OfferCreated(TypedEvent, tag="offer_created", frozen=True):
    indexed: ClassVar[frozenset[str]] = PROVIDER

    offer_id: str
    provider: str
    model: str
    count: str


class OfferUpdated(TypedEvent, tag="offer_updated", frozen=True):
    indexed: ClassVar[frozenset[str]] = PROVIDER

    offer_id: str
    provider: str
    state: str


class OfferClosed(TypedEvent, tag="offer_closed", frozen=True):
    indexed: ClassVar[frozenset[str]] = PROVIDER

    offer_id: str
    provider: str


class OrderCreated(TypedEvent, tag="order_created", frozen=True):
    indexed: ClassVar[frozenset[str]] = REQUESTER

    order_id: str
    requester: str
    deposit: str
    premium: str


class OrderClosed(TypedEvent, tag="order_closed", frozen=True):
    """An order refunded unmatched: ``cancelled`` or ``expired``."""

    indexed: ClassVar[frozenset[str]] = REQUESTER

    order_id: str
    requester: str
    reason: str
    refunded: str


class LeaseMatched(TypedEvent, tag="lease_matched", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset(
        {"lease_id", "order_id", "offer_id", "provider", "requester"}
    )

    lease_id: str
    order_id: str
    offer_id: str
    provider: str
    requester: str
    gpus: str
    rate: str
    accept_deadline: str


class LeaseAccepted(TypedEvent, tag="lease_accepted", frozen=True):
    indexed: ClassVar[frozenset[str]] = LEASE

    lease_id: str
    provider: str
    requester: str
    start_ns: str
    due_ns: str


class EscrowDeposited(TypedEvent, tag="escrow_deposited", frozen=True):
    indexed: ClassVar[frozenset[str]] = LEASE

    lease_id: str
    provider: str
    requester: str
    amount: str
    duration_s: str


class EscrowLow(TypedEvent, tag="escrow_low", frozen=True):
    indexed: ClassVar[frozenset[str]] = LEASE

    lease_id: str
    provider: str
    requester: str
    run_out_ns: str


class LeaseWithdrawn(TypedEvent, tag="lease_withdrawn", frozen=True):
    indexed: ClassVar[frozenset[str]] = LEASE

    lease_id: str
    provider: str
    requester: str
    amount: str  # paid to the provider
    fee: str  # to the fee collector


class LeaseClosed(TypedEvent, tag="lease_closed", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"lease_id", "provider", "requester", "reason"})

    lease_id: str
    provider: str
    requester: str
    reason: str
    earned: str
    fee: str
    refunded: str
    penalty: str
