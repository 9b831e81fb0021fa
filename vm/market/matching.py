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
order's search went), the offers a search reads with their providers and prices
(``Candidate``), and each requester's tier. Nothing matching does adds to a book, moves a
reference price, changes a provider or moves stake, so these reads stay exact for the whole
block, given that every offer a lease takes GPUs from is updated and, once full, skipped
(``BlockBook.took``). The due orders are popped and read in one go; when one is queued again
at this height (a changed tier), those not yet tried go back and the queue is read again.
So an order costs its own reads and writes and the candidates it evaluates, not a walk over
the queue, the books and the records they name. Results are those of the plain form, one
queue pop and one store read per step, each class's books as two streams
(tests/vm/market/reference_matching.py, checked against this in
test_matching_equivalence.py).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import NamedTuple

import msgspec

from genesis.schema import MarketParams
from vm.context import Context
from vm.market.expected import ProviderI
from vm.market.premium import is_premium
from vm.market.pricing import compute_offer_price, compute_unclamped
from vm.market.settlement import open_lease, refund_order, take_gpus
from vm.market.store import MarketStore, match_item
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


class Candidate(NamedTuple):
    """An offer on the book as this block's searches see it: its price now, its provider, and
    what every order checks of them worked out once."""

    price: int
    reputation: int
    offer: Offer
    provider: ProviderI
    free: int  # the offer's free GPUs
    active: bool  # whether its provider is active

    @classmethod
    def of(cls, offer: Offer, provider: ProviderI, price: int) -> Candidate:
        return cls(price, provider.reputation, offer, provider, offer.free(), provider.is_active())

    def rank(self) -> tuple[int, int, int]:
        """Lower is better: cheaper, then higher reputation, then older."""
        return self.price, -self.reputation, self.offer.id


class BookedClass(NamedTuple):
    key: bytes
    gpu_class: GpuClass
    capability: tuple[int, int]
    reference: int  # the class's reference price
    book: ClassBook


class ClassBook:
    """One class's offers on the book as this block's matching has read them: its fixed-price
    and its indexed book merged in order of unclamped price, then id (a search's order), the
    entries read so far, and the merge that reads the rest when a search goes deeper."""

    __slots__ = ("_rest", "entries", "start")

    def __init__(
        self, fixed: Iterator[tuple[int, int]], indexed: Iterator[tuple[int, int]], reference: int
    ) -> None:
        self.entries: list[tuple[int, int]] = []  # (unclamped price, offer id)
        self.start = 0  # every entry before it has left the book
        unclamped = ((compute_unclamped(reference, factor), offer_id) for factor, offer_id in indexed)
        self._rest: Iterator[tuple[int, int]] | None = heapq.merge(fixed, unclamped)

    def live(self, index: int, unbooked: set[int]) -> int:
        """The index of the first entry at or after ``index`` still on the book; -1 if none."""
        entries = self.entries
        while True:
            if index == len(entries):
                entry = None if self._rest is None else next(self._rest, None)
                if entry is None:
                    self._rest = None
                    return -1
                entries.append(entry)
            if entries[index][1] not in unbooked:
                return index
            index += 1

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
        self._left: dict[bytes, int] = {}  # offers on a class's book, once one has left it
        self.unbooked: set[int] = set()  # offers that left the book
        self._candidates: dict[int, Candidate | None] = {}
        self._providers: dict[bytes, ProviderI | None] = {}
        self._premium: dict[bytes, bool] = {}
        self._wanted: dict[tuple[str, ...], list[BookedClass]] = {}
        self._emptied_seen = 0  # the size of _emptied when _wanted was filled

    def classes_for(self, wanted: Requirements) -> list[BookedClass]:
        """The classes on the book of the order's models (or of all), in the order the search
        reads them: model by model in name order, each model's classes in key order."""
        models = tuple(wanted.gpu_models)
        found = self._wanted.get(models)
        if found is None or self._emptied_seen != len(self._emptied):
            if self._emptied_seen != len(self._emptied):
                self._wanted.clear()
                self._emptied_seen = len(self._emptied)
            keys = (
                [key for model in sorted(set(models)) for key in self.booked(model)]
                if models
                else self.booked(None)
            )
            found = self._wanted[models] = [self.booked_class(key) for key in keys]
        return found

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
                self.keeper.book(self.store, gpu_class, indexed=False),
                self.keeper.book(self.store, gpu_class, indexed=True),
                reference,
            )
            capability = parse_capability(gpu_class.compute_capability)
            found = self._classes[key] = BookedClass(key, gpu_class, capability, reference, book)
        return found

    def candidate(self, offer_id: int, reference: int) -> Candidate | None:
        """The offer at its price now (its class's reference price given) with its provider;
        None if either is gone."""
        if offer_id in self._candidates:
            return self._candidates[offer_id]
        offer = self.keeper.get_offer(self.store, offer_id)
        provider = None if offer is None else self.provider(offer.provider)
        found = None
        if offer is not None and provider is not None:
            found = Candidate.of(offer, provider, compute_offer_price(offer.pricing, reference))
        self._candidates[offer_id] = found
        return found

    def provider(self, owner: bytes) -> ProviderI | None:
        if owner in self._providers:
            return self._providers[owner]
        found = self._providers[owner] = self.keeper.providers.get_provider(self.store, Address(owner))
        return found

    def is_premium(self, requester: bytes) -> bool:
        premium = self._premium.get(requester)
        if premium is None:
            premium = self._premium[requester] = is_premium(
                self.keeper, self.store, Address(requester), self.params
            )
        return premium

    def took(self, found: Candidate, gpus: int) -> None:
        """A new lease took ``gpus`` of the offer's GPUs; off the book once it has none free."""
        offer = found.offer
        taken = self._candidates[offer.id] = Candidate.of(take_gpus(offer, gpus), found.provider, found.price)
        if not taken.free:
            self.unbooked.add(offer.id)
            key = offer.gpu_class.key()
            left = self._left.get(key)
            left = self._left[key] = (
                self.keeper.booked_count(self.store, offer.gpu_class) if left is None else left - 1
            )
            if not left:
                self._emptied.add(key)


def match_orders(keeper: MarketStore, ctx: Context) -> None:
    """Try the due orders, one at a time in queue order, at most ``max_matches_per_block``."""
    store, height = ctx.store, ctx.env.height
    params = keeper.get_params(store)
    shared = BlockBook(keeper, store, params)
    budget = params.max_matches_per_block
    while budget:
        popped = keeper.match_queue.pop_due_entries(store, height, budget)
        # The orders and their requesters' tiers, read before any of them is tried (trying
        # one changes no other order and no stake): the reads come before the writes.
        orders = [keeper.get_order(store, int.from_bytes(item[-8:], "big")) for _, item in popped]
        for order in orders:
            if order is not None and order.state == OrderState.OPEN:
                shared.is_premium(order.requester)
        for index, order in enumerate(orders):
            budget -= 1
            if order is not None and order.state == OrderState.OPEN and try_order(keeper, ctx, order, shared):
                # Queued again at this height, it may now come before the orders not yet
                # tried: they go back, and the queue is read again.
                for queued_height, item in popped[index + 1 :]:
                    keeper.match_queue.push(store, queued_height, item)
                break
        else:
            return  # the budget is spent, or no order is left due


def try_order(keeper: MarketStore, ctx: Context, order: Order, shared: BlockBook) -> bool:
    """Match, requeue or expire one popped order; returns whether it was queued again at this
    height (which may put it ahead of the orders popped after it)."""
    store, env = ctx.store, ctx.env
    if order.expires_ns and order.expires_ns <= env.time_ns:
        refund_order(keeper, ctx, order, OrderState.EXPIRED)  # one the expiry budget left over
        return False
    premium = shared.is_premium(order.requester)
    if premium != order.premium:
        requeue(keeper, store, msgspec.structs.replace(order, premium=premium), env.height)
        return True
    found = find_offer(shared, order, shared.params)
    if found is None:
        requeue(keeper, store, order, env.height + 1)
        return False
    open_lease(keeper, ctx, order, found.offer, found.price, premium, shared.params)
    shared.took(found, order.requirements.gpus)
    return False


def requeue(keeper: MarketStore, store: Store, order: Order, height: int) -> None:
    """Put an order back in the match queue, due at ``height``."""
    queued = msgspec.structs.replace(order, queued_height=height)
    keeper.match_queue.push(store, height, match_item(queued))
    keeper.update_order(store, queued)


def find_offer(shared: BlockBook, order: Order, params: MarketParams) -> Candidate | None:
    """The best eligible offer for ``order`` within the candidate budget (module docstring).
    Its streams are the books of the classes it can use, each in unclamped-price order; the
    heap holds each stream's next entry as (unclamped price, offer id, stream, index in its
    book)."""
    wanted = order.requirements
    budget = params.max_candidates_per_order
    unbooked = shared.unbooked
    streams: list[BookedClass] = []
    heap: list[tuple[int, int, int, int]] = []
    minimum = parse_capability(wanted.min_compute_capability) if wanted.min_compute_capability else None
    for booked in shared.classes_for(wanted):
        if budget == 0:
            break
        budget -= 1
        if booked_meets(booked, wanted, minimum):
            index = booked.book.first(unbooked)
            if index >= 0:
                heap.append((*booked.book.entries[index], len(streams), index))
            streams.append(booked)
    heapq.heapify(heap)
    best: Candidate | None = None
    max_price = order.max_price
    while heap and budget > 0:
        unclamped, offer_id, stream, index = heapq.heappop(heap)
        if unclamped > max_price or (best is not None and unclamped > best.price):
            break
        budget -= 1
        booked = streams[stream]
        found = shared.candidate(offer_id, booked.reference)
        if (
            found is not None
            and found.price <= max_price
            and fits(order, found)
            and (best is None or found.rank() < best.rank())
        ):
            best = found
        index = booked.book.live(index + 1, unbooked)
        if index >= 0:
            heapq.heappush(heap, (*booked.book.entries[index], stream, index))
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
