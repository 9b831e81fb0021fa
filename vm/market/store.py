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
    booki/<class><factor><id>                   and indexed ones by factor (matching.py); each
                                                entry holds the offer's record, as o/<id>
    bookc/<class>                             offers on the book in the class (8 bytes)
    commit/<provider><class>                  GPUs its offers and leases hold (8 bytes)
    r/<id>                                    Order
    rr/<requester><id>                        index: a requester's orders
    l/<id>                                    Lease
    lp/<provider><id>, lr/<requester><id>     indexes: a provider's, a requester's leases
    lo/<provider><id>                         index: a provider's open leases
    cls/<class>                               ClassStats: GPUs offered and leased
    live/<class>                              index: classes with GPUs offered
    price/<class>                             ReferencePrice: the reference price now
    phist/<class><n>                          PricePoint: its n-th update (8 bytes), the last
                                                price_history_length of them kept
    pcursor                                   the class the last price update ended at
    staker/<delegator>                        how many delegations it holds (8 bytes; hooks.py)
    tally/offer/<state>                       how many offers are in the state (its number,
    tally/order/<state>, tally/lease/<state>    1 byte), orders, leases (8 bytes); moved where
                                                the records are written, rebuilt at genesis
    q/match/<height><tier><max price><id>     open orders, by the block they are due a try;
                                                each entry holds the order's record, as r/<id>
    q/expire/<time><id>                       orders by expiry time
    q/accept/<height><id>                     pending leases by accept deadline
    q/close/<time><id>                        active leases by due time (end or run-out)
    q/low/<time><id>                          active leases by escrow_low warning time

Index values are a single ``0x01`` (state never holds empty values), but for the book's
and the match queue's: an entry holds its offer's or its order's record, written with it, so
that matching reads the orders it pops and the offers its searches reach with the queue and
the book, and not one key each. Records read back from the state are decoded
without the canonical check (``stored_decoder``): this module wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from genesis.market import MarketParams
from vm.encoding import encode, stored_decoder
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
    PricePoint,
    ReferencePrice,
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
PRICE_HISTORY = b"phist/"
PRICE_CURSOR = b"pcursor"
STAKER = b"staker/"
TALLY = b"tally/"

PRESENT = b"\x01"
ID_SIZE = 8
ADDRESS_SIZE = 20
MAX_U64 = 2**64 - 1

_read_clock = stored_decoder(Clock)
_read_offer = stored_decoder(Offer)
read_offer = _read_offer  # an offer's record, as the book holds it
_read_order = stored_decoder(Order)
read_order = _read_order  # an order's record, as the match queue holds it
_read_lease = stored_decoder(Lease)
_read_class_stats = stored_decoder(ClassStats)
_read_reference = stored_decoder(ReferencePrice)
_read_price_point = stored_decoder(PricePoint)


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
        # The module's view of a store: the keeper's every access asks for it, so it is bound
        # once (the view's own method, with no call of the keeper's in between).
        self._kv: Callable[[ReadStore], PrefixStore] = self._view.of
        self.params = params
        self.bank = bank
        self.providers = providers
        self.staking = staking
        self.match_queue = DueQueue(prefix + b"q/match/")  # items: match_item(order)
        self.expiry_queue = DueQueue(prefix + b"q/expire/")  # due: time; items: order ids
        self.accept_queue = DueQueue(prefix + b"q/accept/")  # due: height; items: lease ids
        self.close_queue = DueQueue(prefix + b"q/close/")  # due: time; items: lease ids
        self.low_queue = DueQueue(prefix + b"q/low/")  # due: time; items: lease ids

    def get_params(self, store: ReadStore) -> MarketParams:
        return self.params.get(store)

    # -- the clock and ids -------------------------------------------------------------------

    def get_clock(self, store: ReadStore) -> Clock:
        raw = self._kv(store).get(CLOCK)
        return Clock(0, 0, False) if raw is None else _read_clock(raw)

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
        return None if raw is None else _read_offer(raw)

    def offer(self, store: ReadStore, offer_id: int) -> Offer:
        found = self.get_offer(store, offer_id)
        if found is None:
            raise OfferNotFound(f"offer {offer_id}")
        return found

    def save_offer(self, store: Store, old: Offer | None, new: Offer) -> None:
        """Write ``new`` (which was ``old``) and move every index and total it counts in: the
        book, its provider's commitment, its class's GPUs on offer, the open-offer index, the
        offers' tally by state."""
        kv = self._kv(store)
        provider, item, record = new.provider, id_bytes(new.id), encode(new)
        kv.set(OFFER + item, record)
        if old is None:
            kv.set(OFFER_BY_PROVIDER + provider + item, PRESENT)
        if old is None or old.state != new.state:
            self._retally(kv, b"offer", None if old is None else old.state, new.state)
            is_open = new.state != OfferState.CLOSED
            if old is None or is_open != (old.state != OfferState.CLOSED):
                self._set_present(kv, OPEN_OFFER + provider + item, is_open)
        # Only what changes is written: an offer that stays on the book at the same place
        # (a lease took some of its GPUs) keeps its entry, with its new record, and its class's
        # count.
        booked_before = old is not None and old.free() > 0
        booked_now = new.free() > 0
        same_place = old is not None and old.pricing == new.pricing and old.gpu_class == new.gpu_class
        if booked_before and booked_now and same_place:
            kv.set(book_key(new), record)
        else:
            if booked_before and old is not None:
                self._unbook(kv, old)
            if booked_now:
                self._book(kv, new, record)
        before = (old.commitment(), old.offered()) if old is not None else (0, 0)
        self.add_commitment(store, Address(provider), new.gpu_class, new.commitment() - before[0])
        self.add_class_gpus(store, new.gpu_class, offered=new.offered() - before[1], leased=0)

    def save_taken_offer(self, store: Store, offer: Offer, taken: Offer) -> None:
        """``save_offer`` for an offer whose free GPUs new leases took (``taken``: the offer with
        them leased): only its record and, once none is free, its book entry change. Its provider's
        commitment and its class's GPUs on offer count a leased GPU as they counted it free, and
        its state stays; its class's count of offers on the book is the caller's
        (``set_booked_count``)."""
        gpus = taken.leased - offer.leased
        if not 0 < gpus <= offer.free():
            raise ValueError(f"offer {offer.id} has {offer.free()} free gpus, not {gpus}")
        kv, record = self._kv(store), encode(taken)
        kv.set(OFFER + id_bytes(offer.id), record)
        if taken.free():
            kv.set(book_key(offer), record)
        else:
            kv.delete(book_key(offer))

    def _book(self, kv: PrefixStore, offer: Offer, record: bytes) -> None:
        kv.set(book_key(offer), record)
        self._add_count(kv, BOOK_CLASS + offer.gpu_class.key(), 1)

    def _unbook(self, kv: PrefixStore, offer: Offer) -> None:
        kv.delete(book_key(offer))
        self._add_count(kv, BOOK_CLASS + offer.gpu_class.key(), -1)

    def iterate_offers(self, store: ReadStore, start: int = 0) -> Iterator[Offer]:
        """Every offer in id order, from id ``start`` on."""
        for _, raw in self._kv(store).iterate(OFFER + id_bytes(start), prefix_end(OFFER)):
            yield _read_offer(raw)

    def offer_ids_of(self, store: ReadStore, provider: bytes, start: int = 0) -> Iterator[int]:
        """A provider's offer ids in order, from ``start`` on."""
        yield from self._ids(store, OFFER_BY_PROVIDER + provider, start)

    def open_offer_ids(self, store: ReadStore, provider: bytes) -> list[int]:
        """A provider's active and paused offers (at most max_offers_per_provider)."""
        return list(self._ids(store, OPEN_OFFER + provider, 0))

    def book(self, store: ReadStore, gpu_class: GpuClass, indexed: bool) -> Iterator[tuple[int, int]]:
        """(price or factor, offer id) of a class's offers with free GPUs, ascending."""
        for price, offer_id, _ in self.book_records(store, gpu_class, indexed):
            yield price, offer_id

    def book_records(
        self, store: ReadStore, gpu_class: GpuClass, indexed: bool
    ) -> Iterator[tuple[int, int, bytes]]:
        """``book``, each entry with its offer's record (``read_offer`` decodes it)."""
        first = (BOOK_INDEXED if indexed else BOOK_FIXED) + gpu_class.key()
        size = len(first)
        for key, record in self._kv(store).iterate(first, prefix_end(first)):
            yield int.from_bytes(key[size : size + 8], "big"), int.from_bytes(key[size + 8 :], "big"), record

    def booked_count(self, store: ReadStore, class_key: bytes) -> int:
        """How many offers of a class are on the book."""
        raw = self._kv(store).get(BOOK_CLASS + class_key)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_booked_count(self, store: Store, class_key: bytes, count: int) -> None:
        self._set_value(self._kv(store), BOOK_CLASS + class_key, count.to_bytes(8, "big") if count else b"")

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

    def book_entries(self, store: ReadStore) -> dict[bytes, bytes]:
        """Every entry of every class's book, with the record it holds (for invariants)."""
        entries: dict[bytes, bytes] = {}
        for first in (BOOK_FIXED, BOOK_INDEXED):
            entries.update(self._kv(store).iterate(first, prefix_end(first)))
        return entries

    # -- GPU classes: utilisation and the reference price -------------------------------------

    def get_class_stats(self, store: ReadStore, class_key: bytes) -> ClassStats | None:
        raw = self._kv(store).get(CLASS + class_key)
        return None if raw is None else _read_class_stats(raw)

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

    def iterate_class_stats(self, store: ReadStore, start: bytes = b"") -> Iterator[ClassStats]:
        """Every class with GPUs offered or leased, in class-key order, from key ``start`` on."""
        for _, raw in self._kv(store).iterate(CLASS + start, prefix_end(CLASS)):
            yield _read_class_stats(raw)

    def live_classes(self, store: ReadStore, after: bytes = b"") -> Iterator[bytes]:
        """Keys of the classes with GPUs on offer, in key order, after ``after``."""
        start = LIVE + after + b"\x00" if after else LIVE
        for key, _ in self._kv(store).iterate(start, prefix_end(LIVE)):
            yield key[len(LIVE) :]

    def get_reference(self, store: ReadStore, class_key: bytes) -> ReferencePrice | None:
        raw = self._kv(store).get(PRICE + class_key)
        return None if raw is None else _read_reference(raw)

    def reference_price(self, store: ReadStore, class_key: bytes) -> int:
        """A class's reference price; the params' minimum for a class never priced."""
        found = self.get_reference(store, class_key)
        return self.get_params(store).min_reference_price if found is None else found.price

    def record_price(
        self, store: Store, class_key: bytes, before: ReferencePrice | None, point: PricePoint, keep: int
    ) -> None:
        """A class's new reference price (``before``: its record, None if never priced): ``point``
        joins its history, which keeps the last ``keep`` points; those beyond are deleted (all at
        once, in the update after ``price_history_length`` is lowered)."""
        kv = self._kv(store)
        history = PRICE_HISTORY + class_key
        first, number = (0, 0) if before is None else (before.first, before.next)
        kv.set(history + id_bytes(number), encode(point))
        number += 1
        while number - first > keep:
            kv.delete(history + id_bytes(first))
            first += 1
        kv.set(PRICE + class_key, encode(ReferencePrice(point.price, first, number)))

    def price_history(self, store: ReadStore, class_key: bytes) -> list[PricePoint]:
        """A class's history points kept, oldest first."""
        first = PRICE_HISTORY + class_key
        return [_read_price_point(raw) for _, raw in self._kv(store).iterate(first, prefix_end(first))]

    def get_price_index(self, store: ReadStore, class_key: bytes) -> PriceIndex | None:
        """A class's reference price with its history (for queries and genesis)."""
        found = self.get_reference(store, class_key)
        if found is None:
            return None
        return PriceIndex(GpuClass.from_key(class_key), found.price, self.price_history(store, class_key))

    def set_price_index(self, store: Store, index: PriceIndex) -> None:
        """Write a class's reference price and history as they stand (genesis), the points
        numbered from 0."""
        kv = self._kv(store)
        class_key = index.gpu_class.key()
        for number, point in enumerate(index.history):
            kv.set(PRICE_HISTORY + class_key + id_bytes(number), encode(point))
        kv.set(PRICE + class_key, encode(ReferencePrice(index.price, 0, len(index.history))))

    def iterate_price_indexes(self, store: ReadStore) -> Iterator[PriceIndex]:
        """Every priced class's price index, in class-key order."""
        for key, raw in self._kv(store).iterate(PRICE, prefix_end(PRICE)):
            class_key = key[len(PRICE) :]
            found = _read_reference(raw)
            yield PriceIndex(GpuClass.from_key(class_key), found.price, self.price_history(store, class_key))

    def iterate_references(self, store: ReadStore) -> Iterator[tuple[bytes, ReferencePrice]]:
        """(class key, price record) of every priced class (for invariants)."""
        for key, raw in self._kv(store).iterate(PRICE, prefix_end(PRICE)):
            yield key[len(PRICE) :], _read_reference(raw)

    def iterate_price_history(self, store: ReadStore) -> Iterator[tuple[bytes, int]]:
        """(class key, number) of every history point kept (for invariants)."""
        for key, _ in self._kv(store).iterate(PRICE_HISTORY, prefix_end(PRICE_HISTORY)):
            rest = key[len(PRICE_HISTORY) :]
            yield rest[:-ID_SIZE], int.from_bytes(rest[-ID_SIZE:], "big")

    def get_price_cursor(self, store: ReadStore) -> bytes:
        return self._kv(store).get(PRICE_CURSOR) or b""

    def set_price_cursor(self, store: Store, class_key: bytes) -> None:
        self._set_value(self._kv(store), PRICE_CURSOR, class_key)

    # -- stakers: how many delegations each delegator holds (vm/market/hooks.py) -------------------

    def delegation_count(self, store: ReadStore, delegator: bytes) -> int:
        raw = self._kv(store).get(STAKER + delegator)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def add_delegations(self, store: Store, delegator: bytes, delta: int) -> None:
        self._add_count(self._kv(store), STAKER + delegator, delta)

    def set_delegation_count(self, store: Store, delegator: bytes, count: int) -> None:
        self._set_value(self._kv(store), STAKER + delegator, count.to_bytes(8, "big") if count else b"")

    def iterate_delegation_counts(self, store: ReadStore) -> Iterator[tuple[bytes, int]]:
        """(delegator, delegations) of every delegator holding any (for invariants)."""
        for key, raw in self._kv(store).iterate(STAKER, prefix_end(STAKER)):
            yield key[len(STAKER) :], int.from_bytes(raw, "big")

    # -- orders ----------------------------------------------------------------------------------

    def get_order(self, store: ReadStore, order_id: int) -> Order | None:
        raw = self._kv(store).get(ORDER + id_bytes(order_id))
        return None if raw is None else _read_order(raw)

    def order(self, store: ReadStore, order_id: int) -> Order:
        found = self.get_order(store, order_id)
        if found is None:
            raise OrderNotFound(f"order {order_id}")
        return found

    def set_order(self, store: Store, old: Order | None, new: Order) -> None:
        """Write ``new`` (which was ``old``; None: an order not stored yet, also put in its
        requester's index) and move the orders' tally by state. An open order is written by
        ``queue_order``."""
        kv, item = self._kv(store), id_bytes(new.id)
        kv.set(ORDER + item, encode(new))
        if old is None:
            kv.set(ORDER_BY_REQUESTER + new.requester + item, PRESENT)
        self._retally(kv, b"order", None if old is None else old.state, new.state)

    def queue_order(self, store: Store, order: Order, new: bool) -> None:
        """Write an open order and its entry in the match queue, due at ``queued_height``, which
        holds its record too (``new``: an order not stored yet, also put in its requester's
        index and counted open). An open order changes only here; matching pops it, a close
        removes it."""
        kv, item, record = self._kv(store), id_bytes(order.id), encode(order)
        kv.set(ORDER + item, record)
        if new:
            kv.set(ORDER_BY_REQUESTER + order.requester + item, PRESENT)
            self._retally(kv, b"order", None, order.state)
        self.match_queue.push(store, order.queued_height, match_item(order), record)

    def iterate_orders(self, store: ReadStore, start: int = 0) -> Iterator[Order]:
        for _, raw in self._kv(store).iterate(ORDER + id_bytes(start), prefix_end(ORDER)):
            yield _read_order(raw)

    def order_ids_of(self, store: ReadStore, requester: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, ORDER_BY_REQUESTER + requester, start)

    # -- leases ----------------------------------------------------------------------------------

    def get_lease(self, store: ReadStore, lease_id: int) -> Lease | None:
        raw = self._kv(store).get(LEASE + id_bytes(lease_id))
        return None if raw is None else _read_lease(raw)

    def lease(self, store: ReadStore, lease_id: int) -> Lease:
        found = self.get_lease(store, lease_id)
        if found is None:
            raise LeaseNotFound(f"lease {lease_id}")
        return found

    def set_lease(self, store: Store, old: Lease | None, new: Lease) -> None:
        """Write ``new`` (which was ``old``; None: a lease not stored yet) with its indexes,
        and move the leases' tally by state."""
        kv = self._kv(store)
        item = id_bytes(new.id)
        kv.set(LEASE + item, encode(new))
        if old is None:
            kv.set(LEASE_BY_PROVIDER + new.provider + item, PRESENT)
            kv.set(LEASE_BY_REQUESTER + new.requester + item, PRESENT)
        if old is None or old.state != new.state:
            self._set_present(kv, OPEN_LEASE + new.provider + item, new.state != LeaseState.CLOSED)
            self._retally(kv, b"lease", None if old is None else old.state, new.state)

    def iterate_leases(self, store: ReadStore, start: int = 0) -> Iterator[Lease]:
        for _, raw in self._kv(store).iterate(LEASE + id_bytes(start), prefix_end(LEASE)):
            yield _read_lease(raw)

    def lease_ids_of_provider(self, store: ReadStore, provider: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, LEASE_BY_PROVIDER + provider, start)

    def lease_ids_of_requester(self, store: ReadStore, requester: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, LEASE_BY_REQUESTER + requester, start)

    def open_lease_ids(self, store: ReadStore, provider: bytes) -> list[int]:
        """A provider's pending and active leases (bounded by the GPUs it registered)."""
        return list(self._ids(store, OPEN_LEASE + provider, 0))

    # -- tallies: offers, orders and leases by state ------------------------------------------------

    def state_counts(self, store: ReadStore, kind: bytes) -> dict[int, int]:
        """How many records of ``kind`` (b"offer", b"order", b"lease") are in each state; a
        state none is in is left out."""
        first = TALLY + kind + b"/"
        found = self._kv(store).iterate(first, prefix_end(first))
        return {key[len(first)]: int.from_bytes(raw, "big") for key, raw in found}

    def _retally(self, kv: PrefixStore, kind: bytes, old: int | None, new: int) -> None:
        """One record of ``kind`` moves from state ``old`` (None: a new record) to ``new``."""
        if old == new:
            return
        if old is not None:
            self._add_count(kv, TALLY + kind + b"/" + bytes([old]), -1)
        self._add_count(kv, TALLY + kind + b"/" + bytes([new]), 1)

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
