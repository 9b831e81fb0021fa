"""The ``depind.market.v1.Query`` gRPC services (abci_query paths
``/depind.market.v1.Query/<Method>``): protobuf in, protobuf out. "Now" is the market's clock,
the header time of the last committed block, as in the JSON queries (queries.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

from protos.depind.market.v1 import market_pb2 as pb
from protos.depind.market.v1 import query_pb2 as query
from vm.codec import coin_pb
from vm.errors import InvalidRequest, NotFound
from vm.market.keeper import Escrow, MarketKeeper
from vm.market.msgs import validate_gpu_class
from vm.market.store import id_bytes
from vm.market.types import GpuClass, Lease, Offer, Order, PriceIndex, Pricing, Requirements
from vm.module import Service
from vm.pagination import paginate
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address, parse_address

QUERY = "/depind.market.v1.Query/"
T = TypeVar("T")


# -- records as protobuf ----------------------------------------------------------------------


def gpu_class_pb(gpu_class: GpuClass) -> pb.GpuClass:
    return pb.GpuClass(
        model=gpu_class.model,
        memory_mib=gpu_class.memory_mib,
        compute_capability=gpu_class.compute_capability,
    )


def pricing_pb(pricing: Pricing) -> pb.Pricing:
    return pb.Pricing(
        price=pricing.price, factor_bps=pricing.factor_bps, floor=pricing.floor, cap=pricing.cap
    )


def requirements_pb(wanted: Requirements) -> pb.Requirements:
    return pb.Requirements(
        gpu_models=wanted.gpu_models,
        min_memory_mib=wanted.min_memory_mib,
        min_compute_capability=wanted.min_compute_capability,
        gpus=wanted.gpus,
        regions=wanted.regions,
        min_reputation=wanted.min_reputation,
        min_capacity=wanted.min_capacity,
        job_kind=wanted.job_kind,
    )


def offer_pb(offer: Offer) -> pb.Offer:
    return pb.Offer(
        id=offer.id,
        provider=format_address(Address(offer.provider)),
        gpu_class=gpu_class_pb(offer.gpu_class),
        count=offer.count,
        leased=offer.leased,
        pricing=pricing_pb(offer.pricing),
        min_duration_s=offer.min_duration_s,
        max_duration_s=offer.max_duration_s,
        job_kinds=offer.job_kinds,
        state=pb.OfferState.Name(offer.state),  # OfferState and the enum share their numbers
        created_height=offer.created_height,
    )


def order_pb(order: Order, denom: str) -> pb.Order:
    return pb.Order(
        id=order.id,
        requester=format_address(Address(order.requester)),
        requirements=requirements_pb(order.requirements),
        duration_s=order.duration_s,
        max_price=order.max_price,
        deposit=coin_pb(Coin(denom, order.deposit)),
        expires_ns=order.expires_ns,
        state=pb.OrderState.Name(order.state),
        premium=order.premium,
        created_height=order.created_height,
        lease_id=order.lease_id,
        closed_height=order.closed_height,
        refunded=order.refunded,
        created_ns=order.created_ns,
        closed_ns=order.closed_ns,
        queued_height=order.queued_height,
    )


def lease_pb(lease: Lease) -> pb.Lease:
    closed = lease.closed
    record = None
    if closed is not None:
        record = pb.LeaseClose(
            reason=pb.CloseReason.Name(closed.reason),
            height=closed.height,
            time_ns=closed.time_ns,
            earned=closed.earned,
            fee=closed.fee,
            refunded=closed.refunded,
            penalty=None if closed.penalty is None else coin_pb(closed.penalty),
        )
    return pb.Lease(
        id=lease.id,
        order_id=lease.order_id,
        offer_id=lease.offer_id,
        provider=format_address(Address(lease.provider)),
        requester=format_address(Address(lease.requester)),
        gpu_class=gpu_class_pb(lease.gpu_class),
        gpus=lease.gpus,
        rate=lease.rate,
        take_rate_bps=lease.take_rate_bps,
        deposit=lease.deposit,
        withdrawn=lease.withdrawn,
        duration_s=lease.duration_s,
        matched_height=lease.matched_height,
        accept_deadline=lease.accept_deadline,
        accepted_height=lease.accepted_height,
        start_ns=lease.start_ns,
        state=pb.LeaseState.Name(lease.state),
        closed=record,
        matched_ns=lease.matched_ns,
        warn_ns=lease.warn_ns,
    )


def escrow_pb(escrow: Escrow) -> pb.Escrow:
    return pb.Escrow(
        time_ns=escrow.time_ns,
        earned=escrow.earned,
        withdrawable=escrow.withdrawable,
        remaining=escrow.remaining,
        due_ns=escrow.due_ns,
        runs_out=escrow.runs_out,
    )


def price_index_pb(index: PriceIndex) -> pb.PriceIndex:
    history = [pb.PricePoint(height=p.height, price=p.price) for p in index.history]
    return pb.PriceIndex(gpu_class=gpu_class_pb(index.gpu_class), price=index.price, history=history)


# -- methods -----------------------------------------------------------------------------------


def offer(keeper: MarketKeeper, store: ReadStore, request: Any) -> query.QueryOfferResponse:
    return query.QueryOfferResponse(offer=offer_pb(_found(keeper.get_offer(store, request.id), "offer")))


def offers(keeper: MarketKeeper, store: ReadStore, request: Any) -> query.QueryOffersResponse:
    owner = parse_address(request.provider, "provider") if request.provider else None

    def keep(found: Offer) -> bool:
        return (
            (owner is None or found.provider == owner)
            and (not request.gpu_model or found.gpu_class.model == request.gpu_model)
            and (not request.state or found.state == request.state)
        )

    def entries(key: bytes) -> Iterator[tuple[bytes, Offer]]:
        if owner is not None:
            records = (keeper.get_offer(store, i) for i in keeper.offer_ids_of(store, owner, _start(key)))
            return _kept((o for o in records if o is not None), keep)
        return _kept(keeper.iterate_offers(store, _start(key)), keep)

    found, page = paginate(entries, request.pagination)
    return query.QueryOffersResponse(offers=[offer_pb(o) for o in found], pagination=page)


def order(keeper: MarketKeeper, store: ReadStore, request: Any) -> query.QueryOrderResponse:
    found = _found(keeper.get_order(store, request.id), "order")
    return query.QueryOrderResponse(order=order_pb(found, keeper.get_params(store).denom))


def orders(keeper: MarketKeeper, store: ReadStore, request: Any) -> query.QueryOrdersResponse:
    owner = parse_address(request.requester, "requester") if request.requester else None

    def keep(found: Order) -> bool:
        return (owner is None or found.requester == owner) and (
            not request.state or found.state == request.state
        )

    def entries(key: bytes) -> Iterator[tuple[bytes, Order]]:
        if owner is not None:
            records = (keeper.get_order(store, i) for i in keeper.order_ids_of(store, owner, _start(key)))
            return _kept((o for o in records if o is not None), keep)
        return _kept(keeper.iterate_orders(store, _start(key)), keep)

    found, page = paginate(entries, request.pagination)
    denom = keeper.get_params(store).denom
    return query.QueryOrdersResponse(orders=[order_pb(o, denom) for o in found], pagination=page)


def lease(keeper: MarketKeeper, store: ReadStore, request: Any) -> query.QueryLeaseResponse:
    found = _found(keeper.get_lease(store, request.id), "lease")
    escrow = None if found.closed is not None else escrow_pb(keeper.escrow(store, found))
    return query.QueryLeaseResponse(lease=lease_pb(found), escrow=escrow)


def leases(keeper: MarketKeeper, store: ReadStore, request: Any) -> query.QueryLeasesResponse:
    provider = parse_address(request.provider, "provider") if request.provider else None
    requester = parse_address(request.requester, "requester") if request.requester else None

    def keep(found: Lease) -> bool:
        return (
            (provider is None or found.provider == provider)
            and (requester is None or found.requester == requester)
            and (not request.state or found.state == request.state)
        )

    def entries(key: bytes) -> Iterator[tuple[bytes, Lease]]:
        if provider is not None or requester is not None:
            ids = (
                keeper.lease_ids_of_provider(store, provider, _start(key))
                if provider is not None
                else keeper.lease_ids_of_requester(store, requester or b"", _start(key))
            )
            records = (keeper.get_lease(store, i) for i in ids)
            return _kept((x for x in records if x is not None), keep)
        return _kept(keeper.iterate_leases(store, _start(key)), keep)

    found, page = paginate(entries, request.pagination)
    return query.QueryLeasesResponse(leases=[lease_pb(x) for x in found], pagination=page)


def price_index(keeper: MarketKeeper, store: ReadStore, request: Any) -> query.QueryPriceIndexResponse:
    wanted = request.gpu_class
    gpu_class = GpuClass(wanted.model, wanted.memory_mib, wanted.compute_capability)
    validate_gpu_class(gpu_class)
    found = keeper.get_price_index(store, gpu_class.key())
    if found is None:
        found = PriceIndex(gpu_class, keeper.get_params(store).min_reference_price, [])
    return query.QueryPriceIndexResponse(price_index=price_index_pb(found))


def params(keeper: MarketKeeper, store: ReadStore, _: Any) -> query.QueryParamsResponse:
    value = keeper.get_params(store)
    fields = {name: getattr(value, name) for name in value.__struct_fields__}
    return query.QueryParamsResponse(params=pb.Params(**fields))


def services(keeper: MarketKeeper) -> dict[str, Service]:
    def service(request: Any, answer: Callable[[MarketKeeper, ReadStore, Any], Any]) -> Service:
        return Service(request, partial(answer, keeper))

    return {
        QUERY + "Offer": service(query.QueryOfferRequest, offer),
        QUERY + "Offers": service(query.QueryOffersRequest, offers),
        QUERY + "Order": service(query.QueryOrderRequest, order),
        QUERY + "Orders": service(query.QueryOrdersRequest, orders),
        QUERY + "Lease": service(query.QueryLeaseRequest, lease),
        QUERY + "Leases": service(query.QueryLeasesRequest, leases),
        QUERY + "PriceIndex": service(query.QueryPriceIndexRequest, price_index),
        QUERY + "Params": service(query.QueryParamsRequest, params),
    }


# -- helpers -----------------------------------------------------------------------------------


def _found(record: T | None, what: str) -> T:
    if record is None:
        raise NotFound(f"{what} not found")
    return record


ID_BYTES = 8


def _start(key: bytes) -> int:
    """A page key is the 8-byte id of the record to start at."""
    if key and len(key) != ID_BYTES:
        raise InvalidRequest(f"pagination key must be an {ID_BYTES}-byte id, got {len(key)} bytes")
    return int.from_bytes(key, "big") if key else 0


def _kept(records: Iterator[Any], keep: Callable[[Any], bool]) -> Iterator[tuple[bytes, Any]]:
    for record in records:
        if keep(record):
            yield id_bytes(record.id), record
