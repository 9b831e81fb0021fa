"""Market state under ``market/``: the records, their indexes and the queues, each read and
written here only.

Keys (inside the module's prefix; ids are 8 bytes big-endian, addresses 20 raw bytes, a
class key is ``GpuClass.key()``):

    params                                    MarketParams
    clock                                     Clock: the last block's height and time
    seq/offer, seq/order, seq/lease           the last id given (8 bytes)
    o/<id>                                    Offer
    op/<provider><id>                         index: a provider's offers
    oo/<provider><id>                         index: its open (active or paused) offers
    bookf/<class><price><id>                  the book: fixed-price offers with free GPUs,
    booki/<class><factor><id>                   and indexed ones by factor (matching.py)
    bookc/<class>                             offers on the book in the class (8 bytes)
    commit/<provider><class>                  GPUs its offers and leases hold (8 bytes)
    r/<id>                                    Order
    rr/<requester><id>                        index: a requester's orders
    l/<id>                                    Lease
    lp/<provider><id>, lr/<requester><id>     indexes: a provider's, a requester's leases
    lo/<provider><id>                         index: a provider's open leases
    cls/<class>                               ClassStats: GPUs offered and leased
    live/<class>                              index: classes with GPUs offered
    price/<class>                             PriceIndex: reference price and history
    pcursor                                   the class the last price update ended at
    q/match/<height><tier><max price><id>     open orders, by the block they are due a try
    q/expire/<time><id>                       orders by expiry time
    q/accept/<height><id>                     pending leases by accept deadline
    q/close/<time><id>                        active leases by due time (end or run-out)
    q/low/<time><id>                          active leases by escrow_low warning time

Index values are a single ``0x01``: state never holds empty values.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from genesis.schema import MarketParams
from vm.encoding import decode, encode
from vm.market.errors import LeaseNotFound, OfferNotFound, OrderNotFound
from vm.market.expected import BankKeeper, ProviderKeeper, StakingKeeper
from vm.market.types import (
    ClassStats,
    Clock,
    GpuClass,
    Lease,
    LeaseState,
    Offer,
    OfferState,
    Order,
    PriceIndex,
)
from vm.module import ModuleParams
from vm.queue import DueQueue
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Address

ESCROW = "market"  # the module account holding orders' deposits and leases' escrow
FEE_COLLECTOR = "fee_collector"  # auth's account for fees: the take goes there, distribution pays it out

CLOCK = b"clock"
SEQ = b"seq/"
OFFER = b"o/"
OFFER_BY_PROVIDER = b"op/"
OPEN_OFFER = b"oo/"
BOOK_FIXED = b"bookf/"
BOOK_INDEXED = b"booki/"
BOOK_CLASS = b"bookc/"
COMMITTED = b"commit/"
ORDER = b"r/"
ORDER_BY_REQUESTER = b"rr/"
LEASE = b"l/"
LEASE_BY_PROVIDER = b"lp/"
LEASE_BY_REQUESTER = b"lr/"
OPEN_LEASE = b"lo/"
CLASS = b"cls/"
LIVE = b"live/"
PRICE = b"price/"
PRICE_CURSOR = b"pcursor"

PRESENT = b"\x01"
ID_SIZE = 8
ADDRESS_SIZE = 20
MAX_U64 = 2**64 - 1


def id_bytes(value: int) -> bytes:
    return value.to_bytes(ID_SIZE, "big")


def match_item(order: Order) -> bytes:
    """An order's place among the orders due in one block: premium first, then the higher
    max price, then the older (lower) id."""
    tier = b"\x00" if order.premium else b"\x01"
    return tier + (MAX_U64 - order.max_price).to_bytes(8, "big") + id_bytes(order.id)


def book_key(offer: Offer) -> bytes:
    """Where an offer with free GPUs sits in its class's book."""
    if offer.pricing.indexed:
        return (
            BOOK_INDEXED
            + offer.gpu_class.key()
            + offer.pricing.factor_bps.to_bytes(8, "big")
            + id_bytes(offer.id)
        )
    return BOOK_FIXED + offer.gpu_class.key() + offer.pricing.price.to_bytes(8, "big") + id_bytes(offer.id)


class MarketStore:
    def __init__(
        self,
        prefix: bytes,
        params: ModuleParams[MarketParams],
        bank: BankKeeper,
        providers: ProviderKeeper,
        staking: StakingKeeper,
    ) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.bank = bank
        self.providers = providers
        self.staking = staking
        self.match_queue = DueQueue(prefix + b"q/match/")  # items: match_item(order)
        self.expiry_queue = DueQueue(prefix + b"q/expire/")  # due: time; items: order ids
        self.accept_queue = DueQueue(prefix + b"q/accept/")  # due: height; items: lease ids
        self.close_queue = DueQueue(prefix + b"q/close/")  # due: time; items: lease ids
        self.low_queue = DueQueue(prefix + b"q/low/")  # due: time; items: lease ids

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def get_params(self, store: ReadStore) -> MarketParams:
        return self.params.get(store)

    # -- the clock and ids -------------------------------------------------------------------

    def get_clock(self, store: ReadStore) -> Clock:
        raw = self._kv(store).get(CLOCK)
        return Clock(0, 0, False) if raw is None else decode(raw, Clock)

    def set_clock(self, store: Store, clock: Clock) -> None:
        self._kv(store).set(CLOCK, encode(clock))

    def last_id(self, store: ReadStore, kind: bytes) -> int:
        raw = self._kv(store).get(SEQ + kind)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_last_id(self, store: Store, kind: bytes, value: int) -> None:
        if value:
            self._kv(store).set(SEQ + kind, id_bytes(value))

    def next_id(self, store: Store, kind: bytes) -> int:
        """A new id of ``kind`` (b"offer", b"order", b"lease"); the first is 1."""
        value = self.last_id(store, kind) + 1
        self.set_last_id(store, kind, value)
        return value

    # -- offers --------------------------------------------------------------------------------

    def get_offer(self, store: ReadStore, offer_id: int) -> Offer | None:
        raw = self._kv(store).get(OFFER + id_bytes(offer_id))
        return None if raw is None else decode(raw, Offer)

    def offer(self, store: ReadStore, offer_id: int) -> Offer:
        found = self.get_offer(store, offer_id)
        if found is None:
            raise OfferNotFound(f"offer {offer_id}")
        return found

    def save_offer(self, store: Store, old: Offer | None, new: Offer) -> None:
        """Write ``new`` (which was ``old``) and move every index and total it counts in: the
        book, its provider's commitment, its class's GPUs on offer, the open-offer index."""
        kv = self._kv(store)
        provider, item = new.provider, id_bytes(new.id)
        kv.set(OFFER + item, encode(new))
        if old is None:
            kv.set(OFFER_BY_PROVIDER + provider + item, PRESENT)
        if old is None or old.state != new.state:
            is_open = new.state != OfferState.CLOSED
            if old is None or is_open != (old.state != OfferState.CLOSED):
                self._set_present(kv, OPEN_OFFER + provider + item, is_open)
        # Only what changes is written: an offer that stays on the book at the same place
        # (a lease took some of its GPUs) keeps its entry and its class's count.
        booked_before = old is not None and old.free() > 0
        booked_now = new.free() > 0
        same_place = old is not None and old.pricing == new.pricing and old.gpu_class == new.gpu_class
        if not (booked_before and booked_now and same_place):
            if booked_before and old is not None:
                self._unbook(kv, old)
            if booked_now:
                self._book(kv, new)
        before = (old.commitment(), old.offered()) if old is not None else (0, 0)
        self.add_commitment(store, Address(provider), new.gpu_class, new.commitment() - before[0])
        self.add_class_gpus(store, new.gpu_class, offered=new.offered() - before[1], leased=0)

    def lease_gpus(self, store: Store, offer: Offer, gpus: int) -> Offer:
        """``save_offer`` for an offer a new lease takes ``gpus`` of its free GPUs from: only its
        record and, once none is free, its place on the book change (its provider's commitment
        and its class's GPUs on offer count a leased GPU as they counted it free)."""
        free = offer.free()
        if not 0 < gpus <= free:
            raise ValueError(f"offer {offer.id} has {free} free gpus, not {gpus}")
        taken = msgspec.structs.replace(offer, leased=offer.leased + gpus)
        kv = self._kv(store)
        kv.set(OFFER + id_bytes(offer.id), encode(taken))
        if gpus == free:
            self._unbook(kv, offer)
        return taken

    def _book(self, kv: PrefixStore, offer: Offer) -> None:
        kv.set(book_key(offer), PRESENT)
        self._add_count(kv, BOOK_CLASS + offer.gpu_class.key(), 1)

    def _unbook(self, kv: PrefixStore, offer: Offer) -> None:
        kv.delete(book_key(offer))
        self._add_count(kv, BOOK_CLASS + offer.gpu_class.key(), -1)

    def iterate_offers(self, store: ReadStore, start: int = 0) -> Iterator[Offer]:
        """Every offer in id order, from id ``start`` on."""
        for _, raw in self._kv(store).iterate(OFFER + id_bytes(start), prefix_end(OFFER)):
            yield decode(raw, Offer)

    def offer_ids_of(self, store: ReadStore, provider: bytes, start: int = 0) -> Iterator[int]:
        """A provider's offer ids in order, from ``start`` on."""
        yield from self._ids(store, OFFER_BY_PROVIDER + provider, start)

    def open_offer_ids(self, store: ReadStore, provider: bytes) -> list[int]:
        """A provider's active and paused offers (at most max_offers_per_provider)."""
        return list(self._ids(store, OPEN_OFFER + provider, 0))

    def book(self, store: ReadStore, gpu_class: GpuClass, indexed: bool) -> Iterator[tuple[int, int]]:
        """(price or factor, offer id) of a class's offers with free GPUs, ascending."""
        first = (BOOK_INDEXED if indexed else BOOK_FIXED) + gpu_class.key()
        for key, _ in self._kv(store).iterate(first, prefix_end(first)):
            rest = key[len(first) :]
            yield int.from_bytes(rest[:8], "big"), int.from_bytes(rest[8:], "big")

    def booked_count(self, store: ReadStore, gpu_class: GpuClass) -> int:
        """How many offers of a class are on the book."""
        raw = self._kv(store).get(BOOK_CLASS + gpu_class.key())
        return 0 if raw is None else int.from_bytes(raw, "big")

    def booked_classes(self, store: ReadStore, model: str | None) -> Iterator[bytes]:
        """Keys of the classes with offers on the book, of one model or of all, in key order."""
        first = BOOK_CLASS + (b"" if model is None else model.encode() + b"\x00")
        for key, _ in self._kv(store).iterate(first, prefix_end(first)):
            yield key[len(BOOK_CLASS) :]

    # -- commitments: GPUs of a provider its offers and leases hold -----------------------------

    def get_commitment(self, store: ReadStore, provider: bytes, gpu_class: GpuClass) -> int:
        raw = self._kv(store).get(COMMITTED + provider + gpu_class.key())
        return 0 if raw is None else int.from_bytes(raw, "big")

    def add_commitment(self, store: Store, provider: Address, gpu_class: GpuClass, delta: int) -> None:
        if delta:
            self._add_count(self._kv(store), COMMITTED + provider + gpu_class.key(), delta)

    def commitments(self, store: ReadStore, provider: bytes) -> Iterator[tuple[bytes, int]]:
        """(class key, GPUs held) of every class a provider has committed GPUs of."""
        first = COMMITTED + provider
        for key, raw in self._kv(store).iterate(first, prefix_end(first)):
            yield key[len(first) :], int.from_bytes(raw, "big")

    def iterate_commitments(self, store: ReadStore) -> Iterator[tuple[bytes, bytes, int]]:
        """(provider, class key, GPUs held) of every commitment (for invariants)."""
        for key, raw in self._kv(store).iterate(COMMITTED, prefix_end(COMMITTED)):
            rest = key[len(COMMITTED) :]
            yield rest[:ADDRESS_SIZE], rest[ADDRESS_SIZE:], int.from_bytes(raw, "big")

    def book_keys(self, store: ReadStore) -> set[bytes]:
        """Every entry of every class's book (for invariants)."""
        keys: set[bytes] = set()
        for first in (BOOK_FIXED, BOOK_INDEXED):
            keys.update(key for key, _ in self._kv(store).iterate(first, prefix_end(first)))
        return keys

    # -- GPU classes: utilisation and the reference price -------------------------------------

    def get_class_stats(self, store: ReadStore, class_key: bytes) -> ClassStats | None:
        raw = self._kv(store).get(CLASS + class_key)
        return None if raw is None else decode(raw, ClassStats)

    def add_class_gpus(self, store: Store, gpu_class: GpuClass, offered: int, leased: int) -> None:
        """Move a class's GPUs on offer and leased; a class with GPUs on offer is live."""
        if not offered and not leased:
            return
        kv = self._kv(store)
        key = gpu_class.key()
        old = self.get_class_stats(store, key)
        stats = (
            ClassStats(gpu_class, offered, leased)
            if old is None
            else ClassStats(gpu_class, old.offered + offered, old.leased + leased)
        )
        if stats.offered or stats.leased:
            kv.set(CLASS + key, encode(stats))
        else:
            kv.delete(CLASS + key)
        if old is None or (old.offered > 0) != (stats.offered > 0):
            self._set_present(kv, LIVE + key, stats.offered > 0)

    def iterate_class_stats(self, store: ReadStore) -> Iterator[ClassStats]:
        for _, raw in self._kv(store).iterate(CLASS, prefix_end(CLASS)):
            yield decode(raw, ClassStats)

    def live_classes(self, store: ReadStore, after: bytes = b"") -> Iterator[bytes]:
        """Keys of the classes with GPUs on offer, in key order, after ``after``."""
        start = LIVE + after + b"\x00" if after else LIVE
        for key, _ in self._kv(store).iterate(start, prefix_end(LIVE)):
            yield key[len(LIVE) :]

    def get_price_index(self, store: ReadStore, class_key: bytes) -> PriceIndex | None:
        raw = self._kv(store).get(PRICE + class_key)
        return None if raw is None else decode(raw, PriceIndex)

    def set_price_index(self, store: Store, index: PriceIndex) -> None:
        self._kv(store).set(PRICE + index.gpu_class.key(), encode(index))

    def iterate_price_indexes(self, store: ReadStore, after: bytes = b"") -> Iterator[PriceIndex]:
        start = PRICE + after + b"\x00" if after else PRICE
        for _, raw in self._kv(store).iterate(start, prefix_end(PRICE)):
            yield decode(raw, PriceIndex)

    def reference_price(self, store: ReadStore, class_key: bytes) -> int:
        """A class's reference price; the params' minimum for a class never priced."""
        index = self.get_price_index(store, class_key)
        return self.get_params(store).min_reference_price if index is None else index.price

    def get_price_cursor(self, store: ReadStore) -> bytes:
        return self._kv(store).get(PRICE_CURSOR) or b""

    def set_price_cursor(self, store: Store, class_key: bytes) -> None:
        self._set_value(self._kv(store), PRICE_CURSOR, class_key)

    # -- orders ----------------------------------------------------------------------------------

    def get_order(self, store: ReadStore, order_id: int) -> Order | None:
        raw = self._kv(store).get(ORDER + id_bytes(order_id))
        return None if raw is None else decode(raw, Order)

    def order(self, store: ReadStore, order_id: int) -> Order:
        found = self.get_order(store, order_id)
        if found is None:
            raise OrderNotFound(f"order {order_id}")
        return found

    def set_order(self, store: Store, order: Order) -> None:
        kv = self._kv(store)
        kv.set(ORDER + id_bytes(order.id), encode(order))
        kv.set(ORDER_BY_REQUESTER + order.requester + id_bytes(order.id), PRESENT)

    def update_order(self, store: Store, order: Order) -> None:
        """Write an order already stored (its requester's index holds it already)."""
        self._kv(store).set(ORDER + id_bytes(order.id), encode(order))

    def iterate_orders(self, store: ReadStore, start: int = 0) -> Iterator[Order]:
        for _, raw in self._kv(store).iterate(ORDER + id_bytes(start), prefix_end(ORDER)):
            yield decode(raw, Order)

    def order_ids_of(self, store: ReadStore, requester: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, ORDER_BY_REQUESTER + requester, start)

    # -- leases ----------------------------------------------------------------------------------

    def get_lease(self, store: ReadStore, lease_id: int) -> Lease | None:
        raw = self._kv(store).get(LEASE + id_bytes(lease_id))
        return None if raw is None else decode(raw, Lease)

    def lease(self, store: ReadStore, lease_id: int) -> Lease:
        found = self.get_lease(store, lease_id)
        if found is None:
            raise LeaseNotFound(f"lease {lease_id}")
        return found

    def set_lease(self, store: Store, lease: Lease) -> None:
        kv = self._kv(store)
        item = id_bytes(lease.id)
        kv.set(LEASE + item, encode(lease))
        kv.set(LEASE_BY_PROVIDER + lease.provider + item, PRESENT)
        kv.set(LEASE_BY_REQUESTER + lease.requester + item, PRESENT)
        self._set_present(kv, OPEN_LEASE + lease.provider + item, lease.state != LeaseState.CLOSED)

    def iterate_leases(self, store: ReadStore, start: int = 0) -> Iterator[Lease]:
        for _, raw in self._kv(store).iterate(LEASE + id_bytes(start), prefix_end(LEASE)):
            yield decode(raw, Lease)

    def lease_ids_of_provider(self, store: ReadStore, provider: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, LEASE_BY_PROVIDER + provider, start)

    def lease_ids_of_requester(self, store: ReadStore, requester: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, LEASE_BY_REQUESTER + requester, start)

    def open_lease_ids(self, store: ReadStore, provider: bytes) -> list[int]:
        """A provider's pending and active leases (bounded by the GPUs it registered)."""
        return list(self._ids(store, OPEN_LEASE + provider, 0))

    # -- helpers -----------------------------------------------------------------------------------

    def _ids(self, store: ReadStore, first: bytes, start: int) -> Iterator[int]:
        for key, _ in self._kv(store).iterate(first + id_bytes(start), prefix_end(first)):
            yield int.from_bytes(key[len(first) :], "big")

    @staticmethod
    def _add_count(kv: PrefixStore, key: bytes, delta: int) -> None:
        """Add ``delta`` to an 8-byte counter; a counter at zero is deleted."""
        if not delta:
            return
        raw = kv.get(key)
        value = (0 if raw is None else int.from_bytes(raw, "big")) + delta
        if value < 0:
            raise ValueError(f"counter {key!r} would go below zero")
        MarketStore._set_value(kv, key, value.to_bytes(8, "big") if value else b"")

    @staticmethod
    def _set_value(kv: PrefixStore, key: bytes, value: bytes) -> None:
        if value:
            kv.set(key, value)
        else:
            kv.delete(key)

    @staticmethod
    def _set_present(kv: PrefixStore, key: bytes, present: bool) -> None:
        MarketStore._set_value(kv, key, PRESENT if present else b"")
