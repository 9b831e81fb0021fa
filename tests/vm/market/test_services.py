"""The depind.market.v1.Query gRPC services over abci_query: protobuf in, protobuf out."""

from __future__ import annotations

from typing import Any

import pytest
from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest
from google.protobuf.message import Message

from protos.depind.market.v1 import market_pb2, query_pb2
from tests.vm.helpers import ALICE, BOB, CAROL
from tests.vm.market.helpers import H100, PARAMS, PRICE, SECOND, Market, offer_msg, order_msg
from vm.errors import InvalidTx
from vm.market.msgs import MsgAcceptLease

PATH = "/depind.market.v1.Query/"


def call(market: Market, method: str, request: Message, response: type[Any]) -> Any:
    raw = market.registry.service(PATH + method, market.store, request.SerializeToString())
    return response.FromString(raw)


def chain() -> Market:
    market = Market()
    market.register(ALICE)
    market.block(offer_msg(ALICE, 2), offer_msg(ALICE, 1, PRICE * 2))
    market.block(order_msg(BOB), order_msg(CAROL, 1, max_price=PRICE // 2))
    market.block(MsgAcceptLease(ALICE.address, 1))
    market.blocks(1, gap_ns=9 * SECOND)
    return market


def test_offer_and_offers() -> None:
    market = chain()
    found = call(market, "Offer", query_pb2.QueryOfferRequest(id=1), query_pb2.QueryOfferResponse)
    assert (found.offer.provider, found.offer.leased, found.offer.state) == (ALICE.address, 1, 1)
    assert found.offer.gpu_class.model == H100.model
    page = call(
        market,
        "Offers",
        query_pb2.QueryOffersRequest(provider=ALICE.address, pagination=PageRequest(limit=1)),
        query_pb2.QueryOffersResponse,
    )
    assert [o.id for o in page.offers] == [1] and page.pagination.next_key == (2).to_bytes(8, "big")
    rest = call(
        market,
        "Offers",
        query_pb2.QueryOffersRequest(pagination=PageRequest(key=page.pagination.next_key)),
        query_pb2.QueryOffersResponse,
    )
    assert [o.id for o in rest.offers] == [2]


def test_orders_and_lease_with_escrow() -> None:
    market = chain()
    listed = call(
        market,
        "Orders",
        query_pb2.QueryOrdersRequest(state=market_pb2.ORDER_STATE_OPEN),
        query_pb2.QueryOrdersResponse,
    )
    assert [o.id for o in listed.orders] == [2] and listed.orders[0].deposit.denom == "udepin"
    found = call(market, "Lease", query_pb2.QueryLeaseRequest(id=1), query_pb2.QueryLeaseResponse)
    escrow = market.keeper.escrow(market.store, market.lease(1))
    assert (found.escrow.earned, found.escrow.remaining, found.escrow.time_ns) == (
        escrow.earned,
        escrow.remaining,
        escrow.time_ns,
    )
    assert found.lease.state == market_pb2.LEASE_STATE_ACTIVE
    lease = market.lease(1)
    assert (found.lease.matched_ns, found.lease.warn_ns) == (lease.matched_ns, lease.warn_ns)
    assert found.lease.matched_ns > 0
    order = market.keeper.get_order(market.store, 2)
    assert order is not None and order.created_ns > 0
    assert (listed.orders[0].created_ns, listed.orders[0].queued_height) == (
        order.created_ns,
        order.queued_height,
    )
    leases = call(
        market, "Leases", query_pb2.QueryLeasesRequest(requester=BOB.address), query_pb2.QueryLeasesResponse
    )
    assert [x.id for x in leases.leases] == [1]


def test_price_index_and_params() -> None:
    market = chain()
    index = call(
        market,
        "PriceIndex",
        query_pb2.QueryPriceIndexRequest(
            gpu_class=market_pb2.GpuClass(
                model=H100.model, memory_mib=H100.memory_mib, compute_capability=H100.compute_capability
            )
        ),
        query_pb2.QueryPriceIndexResponse,
    )
    assert index.price_index.price >= PARAMS.min_reference_price and index.price_index.history
    params = call(market, "Params", query_pb2.QueryParamsRequest(), query_pb2.QueryParamsResponse)
    assert (params.params.take_rate_bps, params.params.denom) == (PARAMS.take_rate_bps, PARAMS.denom)


def test_invalid_unknown_lease() -> None:
    market = chain()
    try:
        call(market, "Lease", query_pb2.QueryLeaseRequest(id=99), query_pb2.QueryLeaseResponse)
    except InvalidTx as error:
        assert error.code == 38
    else:
        raise AssertionError("an unknown lease was found")


@pytest.mark.parametrize(
    ("method", "request_", "response"),
    [
        ("PriceIndex", query_pb2.QueryPriceIndexRequest(), query_pb2.QueryPriceIndexResponse),
        (
            "PriceIndex",
            query_pb2.QueryPriceIndexRequest(
                gpu_class=market_pb2.GpuClass(model=H100.model, memory_mib=1, compute_capability="nine")
            ),
            query_pb2.QueryPriceIndexResponse,
        ),
        (
            "Offers",
            query_pb2.QueryOffersRequest(pagination=PageRequest(key=b"\x00\x01")),
            query_pb2.QueryOffersResponse,
        ),
    ],
)
def test_invalid_request(method: str, request_: Message, response: type[Any]) -> None:
    with pytest.raises(InvalidTx) as caught:
        call(chain(), method, request_, response)
    assert caught.value.code == 18
