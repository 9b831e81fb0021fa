"""The market's records as the state holds them, and the names of their states.

Addresses are 20 raw bytes; times are header time in Unix nanoseconds; prices are in the
market's denom per GPU-hour; durations are seconds.
"""

from __future__ import annotations

from enum import IntEnum

from vm.encoding import Canonical
from vm.types import Amount, Coin, Uint64

Price = Uint64  # per GPU-hour, in the market's denom
TimeNs = Uint64  # header time, nanoseconds since the Unix epoch

NS_PER_SECOND = 10**9


class OfferState(IntEnum):
    ACTIVE = 1  # on the book while it has free GPUs
    PAUSED = 2  # off the book; may resume
    CLOSED = 3  # off the book for good; its open leases run on


# Bound once for the Offer methods below, which matching calls for every offer it reads:
# reading a member from its Enum class goes through EnumType's attribute hook (Python 3.11).
_ACTIVE = OfferState.ACTIVE
_CLOSED = OfferState.CLOSED


class OrderState(IntEnum):
    OPEN = 1  # waiting in the matching queue
    MATCHED = 2  # its deposit went to a lease
    CANCELLED = 3  # refunded at the requester's request
    EXPIRED = 4  # refunded at its expiry time (close reason ``expired``)


class LeaseState(IntEnum):
    PENDING = 1  # matched, waiting for the provider to accept; nothing is charged
    ACTIVE = 2  # accepted; charged per nanosecond of block time
    CLOSED = 3


class CloseReason(IntEnum):
    COMPLETED = 1  # its duration ran out
    REQUESTER_CLOSED = 2
    PROVIDER_CLOSED = 3  # the provider pays provider_close_penalty
    INSUFFICIENT_FUNDS = 4  # its escrow ran out before its duration
    PROVIDER_FAULT = 5  # not accepted in time, or a fault the compute module reports
    SLASHED = 6  # the compute module slashed the provider for this lease's work
    PROVIDER_EXITED = 7  # the provider exited


class GpuClass(Canonical, frozen=True):
    """What an offer sells: one kind of GPU a provider registered."""

    model: str
    memory_mib: Uint64
    compute_capability: str  # "major.minor"

    def key(self) -> bytes:
        """The class's key in indexes: prefix-free (the model and capability are printable
        ASCII, each ended by 0x00) and sorted by model, so one model's classes are a range."""
        memory = self.memory_mib.to_bytes(8, "big")
        return model_prefix(self.model) + memory + self.compute_capability.encode() + b"\x00"

    @classmethod
    def from_key(cls, key: bytes) -> GpuClass:
        model, _, rest = key.partition(b"\x00")
        memory, capability = int.from_bytes(rest[:8], "big"), rest[8:-1]
        return cls(model.decode(), memory, capability.decode())


def model_prefix(model: str) -> bytes:
    """The first part of the key of every class of ``model``."""
    return model.encode() + b"\x00"


def parse_capability(text: str) -> tuple[int, int]:
    """ "8.9" as (8, 9), for comparison; validated where it enters (vm/provider/msgs.py)."""
    major, _, minor = text.partition(".")
    return int(major), int(minor)


class Pricing(Canonical, frozen=True):
    """Fixed when ``factor_bps`` is 0: ``price``. Indexed otherwise: the class's reference
    price times ``factor_bps`` / 10,000, clamped to [floor, cap] (``price`` is 0)."""

    price: Price
    factor_bps: Uint64
    floor: Price
    cap: Price

    @property
    def indexed(self) -> bool:
        return self.factor_bps > 0


class Offer(Canonical, frozen=True):
    id: Uint64
    provider: bytes
    gpu_class: GpuClass
    count: Uint64  # GPUs offered, leased ones included
    leased: Uint64  # GPUs in its open (pending or active) leases
    pricing: Pricing
    min_duration_s: Uint64
    max_duration_s: Uint64
    job_kinds: list[str]
    state: int  # OfferState
    created_height: Uint64

    def free(self) -> int:
        """GPUs a new lease may take: only an active offer has any."""
        free = self.count - self.leased
        return free if free > 0 and self.state == _ACTIVE else 0

    def offered(self) -> int:
        """GPUs it puts in its class's utilisation: all of an active offer's, and the leased
        GPUs of a paused or closed one."""
        return max(self.count, self.leased) if self.state == _ACTIVE else self.leased

    def commitment(self) -> int:
        """GPUs of its provider it holds: a closed offer only its leased GPUs, any other all
        it offers (a paused offer may resume)."""
        return self.leased if self.state == _CLOSED else max(self.count, self.leased)


class Requirements(Canonical, frozen=True):
    """What an order asks of an offer and its provider; empty lists and strings, and zeros,
    mean "any"."""

    gpu_models: list[str]
    min_memory_mib: Uint64
    min_compute_capability: str
    gpus: Uint64  # all from one offer
    regions: list[str]
    min_reputation: Uint64
    min_capacity: Uint64  # the provider's measured capacity
    job_kind: str


class Order(Canonical, frozen=True):
    id: Uint64
    requester: bytes
    requirements: Requirements
    duration_s: Uint64
    max_price: Price
    deposit: Amount
    expires_ns: TimeNs  # 0: never
    state: int  # OrderState
    premium: bool  # its tier in the matching queue, as last checked
    created_height: Uint64
    created_ns: TimeNs
    queued_height: Uint64  # its place in the matching queue (vm/market/matching.py)
    lease_id: Uint64  # once matched
    closed_height: Uint64
    closed_ns: TimeNs
    refunded: Amount


class LeaseClose(Canonical, frozen=True):
    """How a lease ended, kept with it for queries."""

    reason: int  # CloseReason
    height: Uint64
    time_ns: TimeNs
    earned: Amount  # charged in all, the take included
    fee: Amount  # the take, in all
    refunded: Amount  # to the requester
    penalty: Coin | None  # from the provider's collateral to the requester


class Lease(Canonical, frozen=True):
    id: Uint64
    order_id: Uint64
    offer_id: Uint64
    provider: bytes
    requester: bytes
    gpu_class: GpuClass
    gpus: Uint64
    rate: Price  # the offer's price at match time
    take_rate_bps: Uint64  # fixed at match time (lower for premium requesters)
    deposit: Amount  # all the escrow deposited for it
    withdrawn: Amount  # earnings already settled to the provider, the take included
    duration_s: Uint64
    matched_height: Uint64
    matched_ns: TimeNs
    accept_deadline: Uint64  # the last height at which the provider may accept
    accepted_height: Uint64
    start_ns: TimeNs  # charging starts at the accept block's time
    warn_ns: TimeNs  # when escrow_low fires; 0: no warning pending
    state: int  # LeaseState
    closed: LeaseClose | None


class ClassStats(Canonical, frozen=True):
    """GPUs of a class on offer and leased, for its utilisation."""

    gpu_class: GpuClass
    offered: Uint64  # in active offers, and leased out of any offer
    leased: Uint64


class PricePoint(Canonical, frozen=True):
    height: Uint64
    price: Price


class ReferencePrice(Canonical, frozen=True):
    """A class's reference price as the state holds it: the price now, and the numbers of the
    history points kept (``first`` to ``next - 1``, each under its own key), so that reading the
    price reads no history and an update writes one point."""

    price: Price
    first: Uint64  # the oldest point kept
    next: Uint64  # the number the next point takes


class PriceIndex(Canonical, frozen=True):
    """A class's reference price with its history, as queries and genesis show it."""

    gpu_class: GpuClass
    price: Price
    history: list[PricePoint]  # the last price_history_length updates, oldest first


class Clock(Canonical, frozen=True):
    """The last block the market saw: what queries and invariants take as "now"."""

    height: Uint64
    time_ns: TimeNs
    backlog: bool  # due leases were left for the next block (the settlement budget ran out)
