"""End-block matching: due orders, in priority order, each take the cheapest eligible offer.

The queue. Every open order waits in the match queue under (the height it is due a try,
tier, max price descending, id): premium orders first, then the higher max price, then
the older. A new order is due at its own height. Each block pops at most
``max_matches_per_block`` due orders; one that finds no offer is due again at the next
height, one not reached keeps its earlier height and so goes before every order
retried later. Without a backlog every open order is tried every block in exact
priority order; with one, priority holds among the orders due at the same height and no
order waits more than (open orders / budget) blocks for a try.

The tier is recorded when the order is queued and checked again through the staking
keeper when it is popped: an order whose requester's stake crossed the premium line is
queued again, at the same height, in its new tier (so a requester who undelegates loses
priority and the lower take rate at once).

The search. Offers with free GPUs sit in a book per GPU class: fixed-price offers by
price, indexed offers by factor (their price follows the class reference price, which
moves every block, so they are never re-indexed: within a class a higher factor is a
higher unclamped price). The classes an order can use are read from the classes on the
book (of its models, or all), each filtered by memory and compute capability; their
books are merged in order of unclamped price (fixed: the price; indexed: reference x
factor / 10,000). Offers are read in that order and the best eligible one is kept,
ranked by (price now, higher reputation, lower id); reading stops at the first offer
whose unclamped price is above the best price found or above the order's max price, or
when ``max_candidates_per_order`` classes and offers have been read.

So the match is exactly the cheapest eligible offer (ties: reputation, then age) among
fixed-price offers and indexed offers whose floor binds (a floor only raises a price, and
reading goes on until the unclamped price passes the best), provided the search ends
within its budget. Two approximations, both documented in docs/market.md: an indexed
offer whose cap binds is reached at its unclamped price, so it may be passed over for a
dearer offer; and an order whose eligible offers lie beyond the budget waits, as does
one whose best match the budget cut short of a cheaper, equally eligible offer.

The cost. A block's matching reads what its searches share once (``BlockBook``): the
classes on the book, each class's reference price, the books themselves (a class's two
books merged into one stream in unclamped-price order, read lazily, only as deep as some
order's search went, each entry with its offer's record: vm/market/store.py), the offers a
search reads with their providers and prices (``Candidate``), and each requester's tier.
Nothing matching does adds to a book, moves a reference price, changes a provider or moves
stake, so these reads stay exact for the whole block, given that every offer a lease takes
GPUs from is updated and, once full, skipped (``BlockBook.took``). The due orders are popped
in one go, with their records (the match queue holds them); when one is queued again at this
height (a changed tier), those not yet tried go back and the queue is read again. What the
block's leases change beyond their own records (the lease id counter, the accept queue, the
offers they take GPUs from, the books' counts, the classes' leased GPUs) is gathered and
written once when matching ends (``BlockLeases``): no step of matching reads it from the
store. So an order costs its own writes and the candidates it evaluates, not a walk over the
queue, the books and the records they name. Results are those of the plain form, one
queue pop and one store read per step, each class's books as two streams, every total
written by each lease (tests/vm/market/reference_matching.py, checked against this in
test_matching_equivalence.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from heapq import heapify, heappop, heappush
from typing import NamedTuple

import msgspec

from genesis.market import MarketParams
from vm.context import Context
from vm.market.expected import ProviderI
from vm.market.premium import is_premium
from vm.market.pricing import compute_offer_price, compute_unclamped
from vm.market.settlement import open_lease, refund_order, take_gpus
from vm.market.store import MarketStore, id_bytes, read_offer, read_order
from vm.market.types import (
    GpuClass,
    Offer,
    Order,
    OrderState,
    Requirements,
    model_prefix,
    parse_capability,
)
from vm.store.cache import ReadStore, Store
from vm.types import Address

LEASE = b"lease"  # the id counter's kind


class Candidate(NamedTuple):
    """An offer on the book as this block's searches see it: its price now, its provider, and
    what every order checks of them worked out once."""

    rank: tuple[int, int, int]  # lower is better: cheaper, then higher reputation, then older
    price: int
    offer: Offer
    provider: ProviderI
    free: int  # the offer's free GPUs
    active: bool  # whether its provider is active
    class_key: bytes

    @classmethod
    def of(cls, offer: Offer, provider: ProviderI, price: int, class_key: bytes) -> Candidate:
        rank = (price, -provider.reputation, offer.id)
        return cls(rank, price, offer, provider, offer.free(), provider.is_active(), class_key)

    def taking(self, gpus: int) -> Candidate:
        """The candidate once a new lease holds ``gpus`` of its offer's GPUs."""
        offer = take_gpus(self.offer, gpus)
        return Candidate(
            self.rank, self.price, offer, self.provider, offer.free(), self.active, self.class_key
        )


Entry = tuple[int, int, bytes]  # (price, offer id, the offer's record) of a book entry
_UNREAD: Entry = (-1, -1, b"")  # a book's next entry not read yet (None: the book has no more)


class BookedClass(NamedTuple):
    key: bytes
    gpu_class: GpuClass
    capability: tuple[int, int]
    reference: int  # the class's reference price
    book: ClassBook


class Searched(NamedTuple):
    """The classes a search reads, and those of them that meet its memory and capability."""

    read: int  # how many classes it reads (each counts against its candidate budget)
    meeting: list[tuple[int, BookedClass]]  # (its place among those read, the class)


class ClassBook:
    """One class's offers on the book as this block's matching has read them: its fixed-price
    and its indexed book merged in order of unclamped price, then id (a search's order), the
    entries read so far (each with its offer's record, which the book holds), and the two
    books' next entries, read when a search goes deeper."""

    __slots__ = ("_fixed", "_indexed", "_next_fixed", "_next_indexed", "_reference", "entries", "start")

    def __init__(self, fixed: Iterator[Entry], indexed: Iterator[Entry], reference: int) -> None:
        self.entries: list[Entry] = []  # (unclamped price, offer id, record)
        self.start = 0  # every entry before it has left the book
        self._fixed = fixed  # (price, offer id, record)
        self._indexed = indexed  # (factor, offer id, record)
        self._reference = reference
        self._next_fixed: Entry | None = _UNREAD
        self._next_indexed: Entry | None = _UNREAD

    def live(self, index: int, unbooked: set[int]) -> int:
        """The index of the first entry at or after ``index`` still on the book; -1 if none."""
        entries = self.entries
        while True:
            if index == len(entries):
                entry = self._read()
                if entry is None:
                    return -1
                entries.append(entry)
            if entries[index][1] not in unbooked:
                return index
            index += 1

    def _read(self) -> Entry | None:
        """The next entry of the merge: the lower of the two books' next entries (an offer is
        in one book only: they differ in price or id, and their records are never compared)."""
        fixed, indexed = self._next_fixed, self._next_indexed
        if fixed is _UNREAD:
            fixed = next(self._fixed, None)
        if indexed is _UNREAD:
            entry = next(self._indexed, None)
            indexed = (
                None if entry is None else (compute_unclamped(self._reference, entry[0]), entry[1], entry[2])
            )
        if fixed is not None and (indexed is None or fixed < indexed):
            self._next_fixed, self._next_indexed = _UNREAD, indexed
            return fixed
        self._next_fixed, self._next_indexed = fixed, _UNREAD if indexed is not None else None
        return indexed

    def first(self, unbooked: set[int]) -> int:
        """``live`` from the start, remembering where the book now starts."""
        index = self.live(self.start, unbooked)
        self.start = len(self.entries) if index < 0 else index
        return index


class BlockBook:
    """What one block's searches share, read once (module docstring). Offers leave the book
    as leases fill them (``took``) and are skipped from then on; nothing joins it."""

    def __init__(self, keeper: MarketStore, store: ReadStore, params: MarketParams) -> None:
        self.keeper = keeper
        self.store = store
        self.params = params
        self._booked: list[bytes] | None = None  # the classes on the book
        self._models: dict[str | None, list[bytes]] = {}
        self._classes: dict[bytes, BookedClass] = {}
        self._emptied: set[bytes] = set()  # classes whose last offer left the book
        self.left: dict[bytes, int] = {}  # offers on a class's book, once one has left it
        self.unbooked: set[int] = set()  # offers that left the book
        self.taken: dict[int, Offer] = {}  # offers leases took GPUs from, as they were read
        self.candidates: dict[int, Candidate | None] = {}  # by offer id; None: gone
        self._providers: dict[bytes, ProviderI | None] = {}
        self.premium: dict[bytes, bool] = {}  # requesters' tiers (``is_premium``)
        self._searched: dict[tuple[tuple[str, ...], int, str], Searched] = {}
        self._emptied_seen = 0  # the size of _emptied when _searched was filled

    def searched(self, wanted: Requirements) -> Searched:
        """The classes an order's search reads (``classes_for``) and those of them it can use,
        worked out once a block for each models, memory and capability asked."""
        models = tuple(sorted(wanted.gpu_models))  # in any order, the same classes
        asked = (models, wanted.min_memory_mib, wanted.min_compute_capability)
        if self._emptied_seen != len(self._emptied):  # a class left the book: none is kept
            self._searched.clear()
            self._emptied_seen = len(self._emptied)
        found = self._searched.get(asked)
        if found is None:
            classes = self.classes_for(wanted)
            minimum = (
                parse_capability(wanted.min_compute_capability) if wanted.min_compute_capability else None
            )
            meeting = [
                (place, booked)
                for place, booked in enumerate(classes)
                if booked_meets(booked, wanted, minimum)
            ]
            found = self._searched[asked] = Searched(len(classes), meeting)
        return found

    def classes_for(self, wanted: Requirements) -> list[BookedClass]:
        """The classes on the book of the order's models (or of all), in the order the search
        reads them: model by model in name order, each model's classes in key order."""
        models = wanted.gpu_models
        keys = (
            [key for model in sorted(set(models)) for key in self.booked(model)]
            if models
            else self.booked(None)
        )
        return [self.booked_class(key) for key in keys]

    def booked(self, model: str | None) -> list[bytes]:
        """The keys of the classes on the book, of one model or of all, in key order."""
        keys = self._models.get(model)
        if keys is None:
            if self._booked is None:  # read once for every model
                self._booked = list(self.keeper.booked_classes(self.store, None))
            first = b"" if model is None else model_prefix(model)
            keys = self._models[model] = [key for key in self._booked if key.startswith(first)]
        if self._emptied:
            return [key for key in keys if key not in self._emptied]
        return keys

    def booked_class(self, key: bytes) -> BookedClass:
        found = self._classes.get(key)
        if found is None:
            gpu_class = GpuClass.from_key(key)
            reference = self.keeper.reference_price(self.store, key)
            book = ClassBook(
                self.keeper.book_records(self.store, gpu_class, indexed=False),
                self.keeper.book_records(self.store, gpu_class, indexed=True),
                reference,
            )
            capability = parse_capability(gpu_class.compute_capability)
            found = self._classes[key] = BookedClass(key, gpu_class, capability, reference, book)
        return found

    def candidate(self, entry: Entry, booked: BookedClass) -> Candidate | None:
        """The offer of a book entry of ``booked`` at its price now, with its provider; None if
        its provider is gone. Made once a block (``candidates``)."""
        offer_id = entry[1]
        if offer_id in self.candidates:
            return self.candidates[offer_id]
        offer = read_offer(entry[2])
        provider = self.provider(offer.provider)
        found = None
        if provider is not None:
            price = compute_offer_price(offer.pricing, booked.reference)
            found = Candidate.of(offer, provider, price, booked.key)
        self.candidates[offer_id] = found
        return found

    def provider(self, owner: bytes) -> ProviderI | None:
        if owner in self._providers:
            return self._providers[owner]
        found = self._providers[owner] = self.keeper.providers.get_provider(self.store, Address(owner))
        return found

    def is_premium(self, requester: bytes) -> bool:
        premium = self.premium.get(requester)
        if premium is None:
            premium = self.premium[requester] = is_premium(
                self.keeper, self.store, Address(requester), self.params
            )
        return premium

    def took(self, found: Candidate, gpus: int) -> None:
        """A new lease took ``gpus`` of the offer's GPUs; off the book once it has none free."""
        offer_id = found.offer.id
        if offer_id not in self.taken:
            self.taken[offer_id] = found.offer
        taken = self.candidates[offer_id] = found.taking(gpus)
        if not taken.free:
            self.unbooked.add(offer_id)
            key = found.class_key
            left = self.left.get(key)
            left = self.left[key] = (self.keeper.booked_count(self.store, key) if left is None else left) - 1
            if not left:
                self._emptied.add(key)

    def current(self, offer_id: int) -> Offer:
        """An offer leases took GPUs from, as it is now."""
        found = self.candidates[offer_id]
        assert found is not None  # took() put it there
        return found.offer


class BlockLeases:
    """What the block's new leases change beyond their own records, gathered as matching goes
    and written when it ends (``write``): the lease id counter, the offers they took GPUs from
    (each record written once, its book entry removed once full), the count of offers on each
    class's book and each class's leased GPUs. Matching reads none of them from the store once
    it has begun (``BlockBook`` keeps the offers and the counts it has read), so the block ends
    with the state each lease writing its own would have left."""

    def __init__(self, keeper: MarketStore, store: ReadStore, accept_deadline: int) -> None:
        self.keeper = keeper
        self.last_id = keeper.last_id(store, LEASE)
        self.accept_deadline = accept_deadline  # every lease of the block has the same
        self.pending: list[bytes] = []  # the new leases' ids, for the accept queue
        self.leased: dict[bytes, tuple[GpuClass, int]] = {}  # class key: (class, GPUs)

    def next_id(self) -> int:
        self.last_id += 1
        self.pending.append(id_bytes(self.last_id))
        return self.last_id

    def add(self, found: Candidate, gpus: int) -> None:
        """A lease took ``gpus`` of ``found``'s GPUs."""
        key = found.class_key
        before = self.leased.get(key)
        self.leased[key] = (found.offer.gpu_class, gpus if before is None else before[1] + gpus)

    def write(self, store: Store, book: BlockBook) -> None:
        keeper = self.keeper
        keeper.set_last_id(store, LEASE, self.last_id)
        keeper.accept_queue.push_new_items(store, self.accept_deadline, self.pending)
        for offer in book.taken.values():
            keeper.save_taken_offer(store, offer, book.current(offer.id))
        for key, count in book.left.items():
            keeper.set_booked_count(store, key, count)
        for gpu_class, gpus in self.leased.values():
            keeper.add_class_gpus(store, gpu_class, offered=0, leased=gpus)


def match_orders(keeper: MarketStore, ctx: Context) -> None:
    """Try the due orders, one at a time in queue order, at most ``max_matches_per_block``."""
    store = ctx.store
    params = keeper.get_params(store)
    shared = BlockBook(keeper, store, params)
    leases = BlockLeases(keeper, store, ctx.env.height + params.accept_timeout_blocks)
    try_due_orders(keeper, ctx, shared, leases)
    leases.write(store, shared)


def try_due_orders(keeper: MarketStore, ctx: Context, shared: BlockBook, leases: BlockLeases) -> None:
    store, height = ctx.store, ctx.env.height
    budget = shared.params.max_matches_per_block
    while budget:
        popped = keeper.match_queue.pop_due_values(store, height, budget)
        # The orders (each entry holds its record) and their requesters' tiers, read before any
        # of them is tried (trying one changes no other order and no stake): the reads come
        # before the writes.
        orders = [read_order(record) for _, _, record in popped]
        for order in orders:
            shared.is_premium(order.requester)
        for index, order in enumerate(orders):
            budget -= 1
            if try_order(keeper, ctx, order, shared, leases):
                # Queued again at this height, it may now come before the orders not yet
                # tried: they go back, and the queue is read again.
                for queued_height, item, record in popped[index + 1 :]:
                    keeper.match_queue.push(store, queued_height, item, record)
                break
        else:
            return  # the budget is spent, or no order is left due


def try_order(
    keeper: MarketStore, ctx: Context, order: Order, shared: BlockBook, leases: BlockLeases
) -> bool:
    """Match, requeue or expire one popped order; returns whether it was queued again at this
    height (which may put it ahead of the orders popped after it)."""
    store, env = ctx.store, ctx.env
    if order.expires_ns and order.expires_ns <= env.time_ns:
        refund_order(keeper, ctx, order, OrderState.EXPIRED)  # one the expiry budget left over
        return False
    premium = shared.premium[order.requester]  # read with the orders (try_due_orders)
    if premium != order.premium:
        requeue(keeper, store, msgspec.structs.replace(order, premium=premium), env.height)
        return True
    found = find_offer(shared, order, shared.params)
    if found is None:
        requeue(keeper, store, order, env.height + 1)
        return False
    open_lease(keeper, ctx, order, found.offer, found.price, premium, shared.params, leases.next_id())
    shared.took(found, order.requirements.gpus)
    leases.add(found, order.requirements.gpus)
    return False


def requeue(keeper: MarketStore, store: Store, order: Order, height: int) -> None:
    """Put an order back in the match queue, due at ``height``."""
    keeper.queue_order(store, msgspec.structs.replace(order, queued_height=height), new=False)


def find_offer(shared: BlockBook, order: Order, params: MarketParams) -> Candidate | None:
    """The best eligible offer for ``order`` within the candidate budget (module docstring).
    Its streams are the books of the classes it can use, each in unclamped-price order; the
    heap holds each stream's next entry as (unclamped price, offer id, stream, index in its
    book)."""
    budget = params.max_candidates_per_order
    unbooked = shared.unbooked
    streams: list[BookedClass] = []
    heap: list[tuple[int, int, int, int]] = []
    read, meeting = shared.searched(order.requirements)
    for place, booked in meeting:
        if place >= budget:  # the classes read count against the budget
            break
        book = booked.book
        index, entries = book.start, book.entries
        if index == len(entries) or entries[index][1] in unbooked:  # else the first is still booked
            index = book.first(unbooked)
        if index >= 0:
            entry = entries[index]
            heap.append((entry[0], entry[1], len(streams), index))
        streams.append(booked)
    budget -= min(read, budget)
    heapify(heap)
    best: Candidate | None = None
    max_price = order.max_price
    candidates = shared.candidates
    while heap and budget > 0:
        unclamped, offer_id, stream, index = heappop(heap)
        if unclamped > max_price or (best is not None and unclamped > best.price):
            break
        budget -= 1
        booked = streams[stream]
        entries = booked.book.entries
        found = candidates[offer_id] if offer_id in candidates else shared.candidate(entries[index], booked)
        if (
            found is not None
            and found.price <= max_price
            and (best is None or found.rank < best.rank)  # before the requirements: cheaper to check
            and fits(order, found)
        ):
            best = found
        index += 1
        if index == len(entries) or entries[index][1] in unbooked:  # else already read, still booked
            index = booked.book.live(index, unbooked)
        if index >= 0:
            entry = entries[index]
            heappush(heap, (entry[0], entry[1], stream, index))
    return best


def booked_meets(booked: BookedClass, wanted: Requirements, minimum: tuple[int, int] | None) -> bool:
    """``class_meets`` with the capabilities parsed once."""
    return (
        (not wanted.gpu_models or booked.gpu_class.model in wanted.gpu_models)
        and booked.gpu_class.memory_mib >= wanted.min_memory_mib
        and (minimum is None or booked.capability >= minimum)
    )


def is_eligible(order: Order, offer: Offer, provider: ProviderI) -> bool:
    """Whether ``offer`` (of ``provider``) meets every requirement of ``order`` but price."""
    wanted = order.requirements
    return (
        offer.free() >= wanted.gpus
        and offer.provider != order.requester  # no self-dealing (it would farm reputation)
        and class_meets(offer.gpu_class, wanted)
        and offer.min_duration_s <= order.duration_s <= offer.max_duration_s
        and (not wanted.job_kind or wanted.job_kind in offer.job_kinds)
        and provider.is_active()
        and (not wanted.regions or provider.region in wanted.regions)
        and provider.reputation >= wanted.min_reputation
        and provider.measured_capacity >= wanted.min_capacity
    )


def fits(order: Order, found: Candidate) -> bool:
    """``is_eligible`` for a candidate read from a book whose class meets the order."""
    wanted, offer, provider = order.requirements, found.offer, found.provider
    return (
        found.free >= wanted.gpus
        and offer.provider != order.requester
        and offer.min_duration_s <= order.duration_s <= offer.max_duration_s
        and (not wanted.job_kind or wanted.job_kind in offer.job_kinds)
        and found.active
        and (not wanted.regions or provider.region in wanted.regions)
        and provider.reputation >= wanted.min_reputation
        and provider.measured_capacity >= wanted.min_capacity
    )


def class_meets(gpu_class: GpuClass, wanted: Requirements) -> bool:
    """Whether a GPU class meets an order's model, memory and compute capability."""
    capability = parse_capability(gpu_class.compute_capability)
    return (
        (not wanted.gpu_models or gpu_class.model in wanted.gpu_models)
        and gpu_class.memory_mib >= wanted.min_memory_mib
        and (
            not wanted.min_compute_capability or capability >= parse_capability(wanted.min_compute_capability)
        )
    )
