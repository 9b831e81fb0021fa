"""market genesis: validate, init, export (export then init round-trips).

The section holds the records (offers, orders, leases, price indexes), the id counters,
the clock and the price cursor; everything else (the book, commitments, class totals,
the indexes, the five queues, the delegators' delegation counts) is derived at init from
the records and staking's delegations, exactly as the handlers and hooks keep it. Escrow
in genesis must be in the market account's genesis balance (the ``escrow-backed``
invariant, checked once genesis is written).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from genesis.market import (
    GpuClassJSON,
    LeaseCloseJSON,
    LeaseJSON,
    MarketClockJSON,
    MarketGenesis,
    OfferJSON,
    OrderJSON,
    PriceIndexJSON,
    PricePointJSON,
    PricingJSON,
    RequirementsJSON,
)
from genesis.schema import CoinJSON
from vm.context import Context
from vm.errors import InvalidRequest
from vm.market.keeper import MarketKeeper, registered_gpus
from vm.market.msgs import (
    validate_durations,
    validate_gpu_class,
    validate_gpus,
    validate_job_kinds,
    validate_pricing,
    validate_requirements,
)
from vm.market.params import validate_params
from vm.market.settlement import enqueue
from vm.market.store import id_bytes
from vm.market.types import (
    Clock,
    CloseReason,
    GpuClass,
    Lease,
    LeaseClose,
    LeaseState,
    Offer,
    OfferState,
    Order,
    OrderState,
    PriceIndex,
    PricePoint,
    Pricing,
    Requirements,
)
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin, format_address, parse_address

OFFER_STATES = {"active": OfferState.ACTIVE, "paused": OfferState.PAUSED, "closed": OfferState.CLOSED}
ORDER_STATES = {
    "open": OrderState.OPEN,
    "matched": OrderState.MATCHED,
    "cancelled": OrderState.CANCELLED,
    "expired": OrderState.EXPIRED,
}
LEASE_STATES = {"pending": LeaseState.PENDING, "active": LeaseState.ACTIVE, "closed": LeaseState.CLOSED}
REASONS = {reason.name.lower(): reason for reason in CloseReason}


# -- validate ------------------------------------------------------------------------------------


def validate_genesis(state: MarketGenesis) -> None:
    validate_params(state.params)
    for entries, what in ((state.offers, "offer"), (state.orders, "order"), (state.leases, "lease")):
        _unique([entry.id for entry in entries], what)
    offers = {o.id: from_offer_json(o) for o in state.offers}
    orders = {o.id: from_order_json(o) for o in state.orders}
    leases = [from_lease_json(lease) for lease in state.leases]
    for offer in offers.values():
        validate_offer(offer)
    for order in orders.values():
        validate_requirements(order.requirements)
    _check_ids(offers, state.last_offer_id, "offer")
    _check_ids(orders, state.last_order_id, "order")
    _check_ids({lease.id: lease for lease in leases}, state.last_lease_id, "lease")
    leased: Counter[int] = Counter()
    for lease in leases:
        validate_lease(lease, offers, orders)
        if lease.state != LeaseState.CLOSED:
            leased[lease.offer_id] += lease.gpus
    for offer in offers.values():
        if offer.leased != leased[offer.id]:
            raise InvalidRequest(
                f"offer {offer.id} has {offer.leased} gpus leased; its open leases hold {leased[offer.id]}"
            )
    classes = [from_class_json(index.gpu_class) for index in state.price_indexes]
    for gpu_class in classes:
        validate_gpu_class(gpu_class)
    if len({c.key() for c in classes}) != len(classes):
        raise InvalidRequest("duplicate price index")


def validate_offer(offer: Offer) -> None:
    validate_gpu_class(offer.gpu_class)
    validate_gpus(offer.count)
    validate_pricing(offer.pricing)
    validate_durations(offer.min_duration_s, offer.max_duration_s)
    validate_job_kinds(offer.job_kinds, least=1)


def validate_lease(lease: Lease, offers: dict[int, Offer], orders: dict[int, Order]) -> None:
    offer, order = offers.get(lease.offer_id), orders.get(lease.order_id)
    if offer is None or order is None or order.lease_id != lease.id or offer.provider != lease.provider:
        raise InvalidRequest(f"lease {lease.id} does not match its offer and order")
    if lease.rate == 0 or lease.gpus == 0 or lease.withdrawn > lease.deposit:
        raise InvalidRequest(f"lease {lease.id} has no rate, no gpus, or withdrew more than its deposit")
    if (lease.state == LeaseState.CLOSED) != (lease.closed is not None):
        raise InvalidRequest(f"lease {lease.id}: a closed lease, and only one, has a close record")


def _unique(ids: list[int], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise InvalidRequest(f"duplicate {what} id")


def _check_ids(records: Mapping[int, object], last: int, what: str) -> None:
    if records and max(records) > last:
        raise InvalidRequest(f"{what} id {max(records)} is above last_{what}_id {last}")


# -- init and export ------------------------------------------------------------------------------


def init_genesis(keeper: MarketKeeper, ctx: Context, state: MarketGenesis) -> None:
    """Write the records and derive every index and queue from them. Runs after the provider
    module's genesis: each offer must be of hardware its provider registered."""
    store = ctx.store
    keeper.params.set(store, state.params)
    for kind, last in (
        (b"offer", state.last_offer_id),
        (b"order", state.last_order_id),
        (b"lease", state.last_lease_id),
    ):
        keeper.set_last_id(store, kind, last)
    for entry in state.offers:
        offer = from_offer_json(entry)
        _check_hardware(keeper, store, offer)
        keeper.save_offer(store, None, offer)
    for order_entry in state.orders:
        order = from_order_json(order_entry)
        if order.state == OrderState.OPEN:
            keeper.queue_order(store, order, new=True)
            if order.expires_ns:
                keeper.expiry_queue.push(store, order.expires_ns, id_bytes(order.id))
        else:
            keeper.set_order(store, None, order)
    for lease_entry in state.leases:
        init_lease(keeper, store, from_lease_json(lease_entry))
    for index in state.price_indexes:
        keeper.set_price_index(store, from_price_json(index))
    if state.price_cursor is not None:
        keeper.set_price_cursor(store, from_class_json(state.price_cursor).key())
    clock = state.clock
    keeper.set_clock(store, Clock(clock.height, clock.time_ns, clock.backlog))
    count_delegations(keeper, store)


def count_delegations(keeper: MarketKeeper, store: Store) -> None:
    """Count each delegator's delegations (vm/market/hooks.py): staking's genesis ran first,
    and an exported one makes its delegations without calling the hooks."""
    counts: Counter[bytes] = Counter(d.delegator for d in keeper.staking.iterate_delegations(store))
    for delegator, count in counts.items():
        keeper.set_delegation_count(store, delegator, count)


def init_lease(keeper: MarketKeeper, store: Store, lease: Lease) -> None:
    keeper.set_lease(store, None, lease)
    if lease.state != LeaseState.CLOSED:
        keeper.add_class_gpus(store, lease.gpu_class, offered=0, leased=lease.gpus)
        enqueue(keeper, store, lease)


def _check_hardware(keeper: MarketKeeper, store: ReadStore, offer: Offer) -> None:
    provider = keeper.providers.get_provider(store, Address(offer.provider))
    if provider is None:
        raise InvalidRequest(f"offer {offer.id}: its provider is not registered")
    registered = registered_gpus(provider.gpus, offer.gpu_class)
    if keeper.get_commitment(store, offer.provider, offer.gpu_class) + offer.commitment() > registered:
        raise InvalidRequest(f"offer {offer.id} commits more gpus than its provider registered")


def export_genesis(keeper: MarketKeeper, store: ReadStore) -> MarketGenesis:
    cursor = keeper.get_price_cursor(store)
    clock = keeper.get_clock(store)
    return MarketGenesis(
        params=keeper.get_params(store),
        offers=[to_offer_json(o) for o in keeper.iterate_offers(store)],
        orders=[to_order_json(o) for o in keeper.iterate_orders(store)],
        leases=[to_lease_json(lease) for lease in keeper.iterate_leases(store)],
        price_indexes=[to_price_json(index) for index in keeper.iterate_price_indexes(store)],
        last_offer_id=keeper.last_id(store, b"offer"),
        last_order_id=keeper.last_id(store, b"order"),
        last_lease_id=keeper.last_id(store, b"lease"),
        price_cursor=to_class_json(GpuClass.from_key(cursor)) if cursor else None,
        clock=MarketClockJSON(height=clock.height, time_ns=clock.time_ns, backlog=clock.backlog),
    )


# -- JSON <-> records -------------------------------------------------------------------------------


def _state(table: Mapping[str, int], name: str, what: str) -> int:
    if name not in table:
        raise InvalidRequest(f"{what} must be one of {sorted(table)}")
    return table[name]


def _name(table: Mapping[str, int], value: int) -> str:
    return next(name for name, known in table.items() if known == value)


def from_class_json(entry: GpuClassJSON) -> GpuClass:
    return GpuClass(entry.model, entry.memory_mib, entry.compute_capability)


def to_class_json(gpu_class: GpuClass) -> GpuClassJSON:
    return GpuClassJSON(
        model=gpu_class.model,
        memory_mib=gpu_class.memory_mib,
        compute_capability=gpu_class.compute_capability,
    )


def from_offer_json(entry: OfferJSON) -> Offer:
    pricing = entry.pricing
    return Offer(
        id=entry.id,
        provider=parse_address(entry.provider, "offer provider"),
        gpu_class=from_class_json(entry.gpu_class),
        count=entry.count,
        leased=entry.leased,
        pricing=Pricing(pricing.price, pricing.factor_bps, pricing.floor, pricing.cap),
        min_duration_s=entry.min_duration_s,
        max_duration_s=entry.max_duration_s,
        job_kinds=entry.job_kinds,
        state=_state(OFFER_STATES, entry.state, "offer state"),
        created_height=entry.created_height,
    )


def to_offer_json(offer: Offer) -> OfferJSON:
    pricing = offer.pricing
    return OfferJSON(
        id=offer.id,
        provider=format_address(Address(offer.provider)),
        gpu_class=to_class_json(offer.gpu_class),
        count=offer.count,
        pricing=PricingJSON(
            price=pricing.price, factor_bps=pricing.factor_bps, floor=pricing.floor, cap=pricing.cap
        ),
        min_duration_s=offer.min_duration_s,
        max_duration_s=offer.max_duration_s,
        job_kinds=offer.job_kinds,
        state=_name(OFFER_STATES, offer.state),
        leased=offer.leased,
        created_height=offer.created_height,
    )


def from_order_json(entry: OrderJSON) -> Order:
    wanted = entry.requirements
    return Order(
        id=entry.id,
        requester=parse_address(entry.requester, "order requester"),
        requirements=Requirements(
            wanted.gpu_models,
            wanted.min_memory_mib,
            wanted.min_compute_capability,
            wanted.gpus,
            wanted.regions,
            wanted.min_reputation,
            wanted.min_capacity,
            wanted.job_kind,
        ),
        duration_s=entry.duration_s,
        max_price=entry.max_price,
        deposit=entry.deposit,
        expires_ns=entry.expires_ns,
        state=_state(ORDER_STATES, entry.state, "order state"),
        premium=entry.premium,
        created_height=entry.created_height,
        created_ns=entry.created_ns,
        queued_height=entry.queued_height,
        lease_id=entry.lease_id,
        closed_height=entry.closed_height,
        closed_ns=entry.closed_ns,
        refunded=entry.refunded,
    )


def to_order_json(order: Order) -> OrderJSON:
    wanted = order.requirements
    return OrderJSON(
        id=order.id,
        requester=format_address(Address(order.requester)),
        requirements=RequirementsJSON(
            gpus=wanted.gpus,
            gpu_models=wanted.gpu_models,
            min_memory_mib=wanted.min_memory_mib,
            min_compute_capability=wanted.min_compute_capability,
            regions=wanted.regions,
            min_reputation=wanted.min_reputation,
            min_capacity=wanted.min_capacity,
            job_kind=wanted.job_kind,
        ),
        duration_s=order.duration_s,
        max_price=order.max_price,
        deposit=order.deposit,
        expires_ns=order.expires_ns,
        state=_name(ORDER_STATES, order.state),
        premium=order.premium,
        created_height=order.created_height,
        created_ns=order.created_ns,
        queued_height=order.queued_height,
        lease_id=order.lease_id,
        closed_height=order.closed_height,
        closed_ns=order.closed_ns,
        refunded=order.refunded,
    )


def from_lease_json(entry: LeaseJSON) -> Lease:
    closed = entry.closed
    record = None
    if closed is not None:
        penalty = None if closed.penalty is None else Coin(closed.penalty.denom, closed.penalty.amount)
        reason = _state(REASONS, closed.reason, "close reason")
        record = LeaseClose(
            reason, closed.height, closed.time_ns, closed.earned, closed.fee, closed.refunded, penalty
        )
    return Lease(
        id=entry.id,
        order_id=entry.order_id,
        offer_id=entry.offer_id,
        provider=parse_address(entry.provider, "lease provider"),
        requester=parse_address(entry.requester, "lease requester"),
        gpu_class=from_class_json(entry.gpu_class),
        gpus=entry.gpus,
        rate=entry.rate,
        take_rate_bps=entry.take_rate_bps,
        deposit=entry.deposit,
        withdrawn=entry.withdrawn,
        duration_s=entry.duration_s,
        matched_height=entry.matched_height,
        matched_ns=entry.matched_ns,
        accept_deadline=entry.accept_deadline,
        accepted_height=entry.accepted_height,
        start_ns=entry.start_ns,
        warn_ns=entry.warn_ns,
        state=_state(LEASE_STATES, entry.state, "lease state"),
        closed=record,
    )


def to_lease_json(lease: Lease) -> LeaseJSON:
    closed = lease.closed
    record = None
    if closed is not None:
        penalty = (
            None
            if closed.penalty is None
            else CoinJSON(denom=closed.penalty.denom, amount=closed.penalty.amount)
        )
        record = LeaseCloseJSON(
            reason=_name(REASONS, closed.reason),
            height=closed.height,
            time_ns=closed.time_ns,
            earned=closed.earned,
            fee=closed.fee,
            refunded=closed.refunded,
            penalty=penalty,
        )
    return LeaseJSON(
        id=lease.id,
        order_id=lease.order_id,
        offer_id=lease.offer_id,
        provider=format_address(Address(lease.provider)),
        requester=format_address(Address(lease.requester)),
        gpu_class=to_class_json(lease.gpu_class),
        gpus=lease.gpus,
        rate=lease.rate,
        take_rate_bps=lease.take_rate_bps,
        deposit=lease.deposit,
        duration_s=lease.duration_s,
        matched_height=lease.matched_height,
        matched_ns=lease.matched_ns,
        accept_deadline=lease.accept_deadline,
        withdrawn=lease.withdrawn,
        accepted_height=lease.accepted_height,
        start_ns=lease.start_ns,
        warn_ns=lease.warn_ns,
        state=_name(LEASE_STATES, lease.state),
        closed=record,
    )


def from_price_json(entry: PriceIndexJSON) -> PriceIndex:
    history = [PricePoint(point.height, point.price) for point in entry.history]
    return PriceIndex(from_class_json(entry.gpu_class), entry.price, history)


def to_price_json(index: PriceIndex) -> PriceIndexJSON:
    return PriceIndexJSON(
        gpu_class=to_class_json(index.gpu_class),
        price=index.price,
        history=[PricePointJSON(height=point.height, price=point.price) for point in index.history],
    )
