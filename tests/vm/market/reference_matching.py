"""The matching of vm/market/matching.py as first written, kept as the reference its faster
form is checked against (test_matching_equivalence.py): each due order popped from the queue
by itself and its requester's tier read for it, each search reading the classes, the books,
the offers and the providers from the store, and a new lease written with every index and
total set again (``save_offer``, ``add_class_gpus``, ``set_order``). The rules are the
module docstring's; only the cost differs."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import NamedTuple

import msgspec

from genesis.market import MarketParams
from vm.context import Context
from vm.encoding import encode
from vm.market.events import LeaseMatched
from vm.market.matching import class_meets, is_eligible
from vm.market.premium import is_premium
from vm.market.pricing import compute_offer_price, compute_unclamped
from vm.market.settlement import refund_order
from vm.market.store import (
    CLASS,
    LIVE,
    OFFER,
    OFFER_BY_PROVIDER,
    OPEN_OFFER,
    PRESENT,
    MarketStore,
    id_bytes,
    match_item,
)
from vm.market.types import (
    ClassStats,
    GpuClass,
    Lease,
    LeaseState,
    Offer,
    OfferState,
    Order,
    OrderState,
    Requirements,
)
from vm.store.cache import ReadStore, Store
from vm.types import Address, format_address

LEASE = b"lease"


class Candidate(NamedTuple):
    price: int
    reputation: int
    offer: Offer

    def rank(self) -> tuple[int, int, int]:
        """Lower is better: cheaper, then higher reputation, then older."""
        return self.price, -self.reputation, self.offer.id


class Stream(NamedTuple):
    """One class book, read in unclamped-price order."""

    reference: int  # the class's reference price
    entries: Iterator[tuple[int, int]]  # (unclamped price, offer id)


def match_orders(keeper: MarketStore, ctx: Context) -> None:
    """Try the due orders, one at a time, at most ``max_matches_per_block`` of them."""
    params = keeper.get_params(ctx.store)
    for _ in range(params.max_matches_per_block):
        popped = keeper.match_queue.pop_due(ctx.store, ctx.env.height, 1)
        if not popped:
            return
        order = keeper.get_order(ctx.store, int.from_bytes(popped[0][-8:], "big"))
        if order is not None and order.state == OrderState.OPEN:
            try_order(keeper, ctx, order, params)


def try_order(keeper: MarketStore, ctx: Context, order: Order, params: MarketParams) -> None:
    store, env = ctx.store, ctx.env
    if order.expires_ns and order.expires_ns <= env.time_ns:
        refund_order(keeper, ctx, order, OrderState.EXPIRED)  # one the expiry budget left over
        return
    premium = is_premium(keeper, store, Address(order.requester))
    if premium != order.premium:
        requeue(keeper, store, msgspec.structs.replace(order, premium=premium), env.height)
        return
    found = find_offer(keeper, store, order, params)
    if found is None:
        requeue(keeper, store, order, env.height + 1)
        return
    open_lease(keeper, ctx, order, found.offer, found.price, premium)


def requeue(keeper: MarketStore, store: Store, order: Order, height: int) -> None:
    """Put an order back in the match queue, due at ``height`` (the entry holds its record)."""
    queued = msgspec.structs.replace(order, queued_height=height)
    keeper.match_queue.push(store, height, match_item(queued), encode(queued))
    keeper.set_order(store, order, queued)


def find_offer(keeper: MarketStore, store: ReadStore, order: Order, params: MarketParams) -> Candidate | None:
    """The best eligible offer for ``order`` within the candidate budget (module docstring)."""
    budget = params.max_candidates_per_order
    streams: list[Stream] = []
    for gpu_class in booked_classes(keeper, store, order.requirements):
        if budget == 0:
            break
        budget -= 1
        if class_meets(gpu_class, order.requirements):
            streams.extend(class_streams(keeper, store, gpu_class))
    heap = [head for index, stream in enumerate(streams) if (head := _head(stream, index)) is not None]
    heapq.heapify(heap)
    best: Candidate | None = None
    while heap and budget > 0:
        unclamped, offer_id, index = heapq.heappop(heap)
        if unclamped > order.max_price or (best is not None and unclamped > best.price):
            break
        budget -= 1
        found = evaluate(keeper, store, order, offer_id, streams[index].reference)
        if found is not None and (best is None or found.rank() < best.rank()):
            best = found
        head = _head(streams[index], index)
        if head is not None:
            heapq.heappush(heap, head)
    return best


def booked_classes(keeper: MarketStore, store: ReadStore, wanted: Requirements) -> Iterator[GpuClass]:
    """The classes with offers on the book, of the order's models (or all), in key order."""
    models: list[str | None] = [*sorted(set(wanted.gpu_models))] if wanted.gpu_models else [None]
    for model in models:
        for key in keeper.booked_classes(store, model):
            yield GpuClass.from_key(key)


def class_streams(keeper: MarketStore, store: ReadStore, gpu_class: GpuClass) -> list[Stream]:
    """A class's fixed-price book and its indexed book, each in unclamped-price order."""
    reference = keeper.reference_price(store, gpu_class.key())
    indexed = keeper.book(store, gpu_class, indexed=True)
    return [
        Stream(reference, keeper.book(store, gpu_class, indexed=False)),
        Stream(reference, ((compute_unclamped(reference, factor), offer_id) for factor, offer_id in indexed)),
    ]


def evaluate(
    keeper: MarketStore, store: ReadStore, order: Order, offer_id: int, reference: int
) -> Candidate | None:
    """The offer as a candidate for ``order``, or None if it is not eligible at its price now."""
    offer = keeper.get_offer(store, offer_id)
    if offer is None:
        return None
    provider = keeper.providers.get_provider(store, Address(offer.provider))
    price = compute_offer_price(offer.pricing, reference)
    if provider is None or price > order.max_price or not is_eligible(order, offer, provider):
        return None
    return Candidate(price, provider.reputation, offer)


def _head(stream: Stream, index: int) -> tuple[int, int, int] | None:
    """The next (unclamped price, offer id, stream index) of a stream, if any."""
    entry = next(stream.entries, None)
    return None if entry is None else (entry[0], entry[1], index)


def open_lease(
    keeper: MarketStore, ctx: Context, order: Order, offer: Offer, price: int, premium: bool
) -> Lease:
    """A lease of ``order``'s GPUs from ``offer`` at ``price``, holding the order's deposit,
    waiting for the provider to accept it within ``accept_timeout_blocks``."""
    store, env = ctx.store, ctx.env
    params = keeper.get_params(store)
    gpus = order.requirements.gpus
    lease = Lease(
        id=keeper.next_id(store, LEASE),
        order_id=order.id,
        offer_id=offer.id,
        provider=offer.provider,
        requester=order.requester,
        gpu_class=offer.gpu_class,
        gpus=gpus,
        rate=price,
        take_rate_bps=params.premium_take_rate_bps if premium else params.take_rate_bps,
        deposit=order.deposit,
        withdrawn=0,
        duration_s=order.duration_s,
        matched_height=env.height,
        matched_ns=env.time_ns,
        accept_deadline=env.height + params.accept_timeout_blocks,
        accepted_height=0,
        start_ns=0,
        warn_ns=0,
        state=LeaseState.PENDING,
        closed=None,
    )
    keeper.set_lease(store, None, lease)
    keeper.accept_queue.push(store, lease.accept_deadline, id_bytes(lease.id))
    save_offer(keeper, store, offer, msgspec.structs.replace(offer, leased=offer.leased + gpus))
    add_class_gpus(keeper, store, offer.gpu_class, offered=0, leased=gpus)
    matched = msgspec.structs.replace(order, state=OrderState.MATCHED, lease_id=lease.id)
    keeper.set_order(store, order, matched)
    if order.expires_ns:  # a matched order no longer expires
        keeper.expiry_queue.remove(store, order.expires_ns, id_bytes(order.id))
    ctx.emit(
        LeaseMatched(
            lease_id=str(lease.id),
            order_id=str(order.id),
            offer_id=str(offer.id),
            provider=format_address(Address(lease.provider)),
            requester=format_address(Address(lease.requester)),
            gpus=str(gpus),
            rate=str(price),
            accept_deadline=str(lease.accept_deadline),
        )
    )
    return lease


def save_offer(self: MarketStore, store: Store, old: Offer | None, new: Offer) -> None:
    """Write ``new`` (which was ``old``) and move every index and total it counts in: the
    book, its provider's commitment, its class's GPUs on offer, the open-offer index."""
    kv = self._kv(store)
    provider, item, record = new.provider, id_bytes(new.id), encode(new)
    kv.set(OFFER + item, record)
    kv.set(OFFER_BY_PROVIDER + provider + item, PRESENT)
    self._set_present(kv, OPEN_OFFER + provider + item, new.state != OfferState.CLOSED)
    if old is not None and old.free():
        self._unbook(kv, old)
    if new.free():
        self._book(kv, new, record)
    before = (old.commitment(), old.offered()) if old is not None else (0, 0)
    self.add_commitment(store, Address(provider), new.gpu_class, new.commitment() - before[0])
    add_class_gpus(self, store, new.gpu_class, offered=new.offered() - before[1], leased=0)


def add_class_gpus(self: MarketStore, store: Store, gpu_class: GpuClass, offered: int, leased: int) -> None:
    """Move a class's GPUs on offer and leased; a class with GPUs on offer is live."""
    if not offered and not leased:
        return
    kv = self._kv(store)
    key = gpu_class.key()
    stats = self.get_class_stats(store, key) or ClassStats(gpu_class, 0, 0)
    stats = ClassStats(gpu_class, stats.offered + offered, stats.leased + leased)
    if stats.offered or stats.leased:
        kv.set(CLASS + key, encode(stats))
    else:
        kv.delete(CLASS + key)
    self._set_present(kv, LIVE + key, stats.offered > 0)
