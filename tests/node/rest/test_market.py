"""The GPU market routes (``/depind/market/v1/...``, the ``depind.market.v1.Query`` service)
through the REST app, over the chain of tests/node/market_chain.py: proto3 JSON with proto
field names, filters and Cosmos pagination, exact escrow figures, grpc-gateway's errors."""

from __future__ import annotations

import base64
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from node.node import Node
from node.rest import routes
from node.services import Status
from protos.depind.market.v1 import query_pb2
from tests.node.market_chain import ACCEPT_HEIGHT, QUERY_HEIGHT, market_app
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.helpers import ALICE, BLOCK_INTERVAL_NS, BOB, CAROL, DAVE, GENESIS_TIME_NS
from tests.vm.market.helpers import H100, L4, PRICE

MARKET = "/depind/market/v1"
NOW_NS = GENESIS_TIME_NS + QUERY_HEIGHT * BLOCK_INTERVAL_NS
H100_CLASS = {
    "gpu_class.model": H100.model,
    "gpu_class.memory_mib": H100.memory_mib,
    "gpu_class.compute_capability": H100.compute_capability,
}


@pytest.fixture(scope="module")
def node() -> Node:
    return app_node(market_app())


@pytest.fixture
async def rest(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with rest_client(node) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str, **params: Any) -> Any:
    return await get_ok(rest, MARKET + path, QUERY_HEIGHT, **params)


async def error_of(
    rest: httpx.AsyncClient, path: str, http_status: int, status: Status, **params: Any
) -> str:
    response = await rest.get(MARKET + path, params=params)
    assert response.status_code == http_status, response.text
    body = response.json()
    assert body.keys() == {"code", "message", "details"} and body["code"] == status
    return str(body["message"])


def test_every_query_method_has_a_route() -> None:
    served = {r.grpc_path for r in routes.ROUTES if r.grpc_path.startswith("/depind.market.v1.Query/")}
    methods = query_pb2.DESCRIPTOR.services_by_name["Query"].methods
    assert served == {f"/depind.market.v1.Query/{m.name}" for m in methods}


async def test_offer_in_proto3_json(rest: httpx.AsyncClient) -> None:
    assert await get(rest, "/offers/1") == {
        "offer": {
            "id": "1",
            "provider": ALICE.address,
            "gpu_class": {
                "model": H100.model,
                "memory_mib": str(H100.memory_mib),
                "compute_capability": H100.compute_capability,
            },
            "count": "2",
            "leased": "1",
            "pricing": {"price": str(PRICE), "factor_bps": "0", "floor": "0", "cap": "0"},
            "min_duration_s": "60",
            "max_duration_s": "86400",
            "job_kinds": ["gemm"],
            "state": "OFFER_STATE_ACTIVE",
            "created_height": "2",
        }
    }


async def test_offers_filtered_and_paged(rest: httpx.AsyncClient) -> None:
    first = await get(rest, "/offers", provider=ALICE.address, **{"pagination.limit": 1})
    assert [o["id"] for o in first["offers"]] == ["1"]
    assert base64.b64decode(first["pagination"]["next_key"]) == (2).to_bytes(8, "big")
    rest_page = await get(rest, "/offers", **{"pagination.key": first["pagination"]["next_key"]})
    assert [o["id"] for o in rest_page["offers"]] == ["2", "3"]
    [l4] = (await get(rest, "/offers", gpu_model=L4.model))["offers"]
    assert l4["provider"] == DAVE.address
    by_number = await get(rest, "/offers", state="1")
    assert len(by_number["offers"]) == 3
    assert (await get(rest, "/offers", state="OFFER_STATE_CLOSED"))["offers"] == []


async def test_orders_and_order(rest: httpx.AsyncClient) -> None:
    listed = await get(rest, "/orders", requester=BOB.address)
    assert [(o["id"], o["state"], o["lease_id"]) for o in listed["orders"]] == [
        ("1", "ORDER_STATE_MATCHED", "1"),
        ("3", "ORDER_STATE_MATCHED", "2"),
    ]
    [open_order] = (await get(rest, "/orders", state="ORDER_STATE_OPEN"))["orders"]
    assert open_order["requester"] == CAROL.address
    order = (await get(rest, "/orders/2"))["order"]
    assert order["deposit"] == {"denom": "udepin", "amount": str(PRICE // 2)}
    assert order["requirements"]["gpus"] == "1"


async def test_lease_with_its_escrow_now(rest: httpx.AsyncClient) -> None:
    found = await get(rest, "/leases/1")
    lease = found["lease"]
    assert (lease["state"], lease["provider"], lease["requester"]) == (
        "LEASE_STATE_ACTIVE",
        ALICE.address,
        BOB.address,
    )
    earned = PRICE * (QUERY_HEIGHT - ACCEPT_HEIGHT) * BLOCK_INTERVAL_NS // (3_600 * 10**9)
    assert found["escrow"] == {
        "time_ns": str(NOW_NS),
        "earned": str(earned),
        "withdrawable": str(earned - earned * int(lease["take_rate_bps"]) // 10_000),
        "remaining": str(int(lease["deposit"]) - earned),
        "due_ns": str(int(lease["start_ns"]) + int(lease["duration_s"]) * 10**9),
        "runs_out": False,
    }


async def test_closed_lease_and_leases(rest: httpx.AsyncClient) -> None:
    closed = await get(rest, "/leases/2")
    assert "escrow" not in closed  # absent once closed: the close record has the final figures
    assert closed["lease"]["closed"]["reason"] == "CLOSE_REASON_REQUESTER_CLOSED"
    assert closed["lease"]["closed"]["refunded"] == "600000"
    mine = await get(rest, "/leases", provider=ALICE.address, state="LEASE_STATE_CLOSED")
    assert [x["id"] for x in mine["leases"]] == ["2"]
    assert (await get(rest, "/leases", requester=CAROL.address))["leases"] == []
    counted = await get(rest, "/leases", **{"pagination.count_total": "true", "pagination.limit": 1})
    assert counted["pagination"]["total"] == "2" and len(counted["leases"]) == 1


async def test_price_index_and_params(rest: httpx.AsyncClient) -> None:
    index = (await get(rest, "/price_index", **H100_CLASS))["price_index"]
    assert [p["height"] for p in index["history"]] == [str(h) for h in range(2, QUERY_HEIGHT + 1)]
    assert index["price"] == index["history"][-1]["price"]
    params = (await get(rest, "/params"))["params"]
    assert (params["denom"], params["accept_timeout_blocks"]) == ("udepin", "3")


@pytest.mark.parametrize(
    ("path", "params", "http_status", "status", "says"),
    [
        ("/offers/9", {}, 404, Status.NotFound, "offer not found"),
        ("/orders/9", {}, 404, Status.NotFound, "order not found"),
        ("/leases/9", {}, 404, Status.NotFound, "lease not found"),
        ("/leases/x", {}, 400, Status.InvalidArgument, "parameter 'id'"),
        ("/leases", {"provider": "depin1nope"}, 400, Status.InvalidArgument, "provider"),
        ("/offers", {"state": "OPEN"}, 400, Status.InvalidArgument, "parameter 'state'"),
        ("/orders", {"owner": "x"}, 400, Status.InvalidArgument, "unknown parameter 'owner'"),
        ("/price_index", {}, 400, Status.InvalidArgument, "gpu_class"),
        (
            "/price_index",
            {**H100_CLASS, "gpu_class.compute_capability": "9"},
            400,
            Status.InvalidArgument,
            "9",
        ),
    ],
)
async def test_invalid_market_requests(
    rest: httpx.AsyncClient, path: str, params: dict[str, Any], http_status: int, status: Status, says: str
) -> None:
    message = await error_of(rest, path, http_status, status, **params)
    assert says in message, message


FUZZ_PATHS = ["/offers", "/offers/{}", "/orders", "/orders/{}", "/leases", "/leases/{}", "/price_index"]
FUZZ_NAMES = ["provider", "requester", "state", "gpu_model", "pagination.key", "pagination.limit", "id"]
FUZZ_NAMES += ["pagination.offset", "gpu_class.model", "gpu_class.memory_mib", "gpu_class.compute_capability"]
FUZZ_VALUES = [
    "",
    "0",
    "1",
    "-1",
    "9" * 30,
    "AAAA",
    "AAAAAAAAAAE=",
    ALICE.address,
    "8.9",
    "LEASE_STATE_ACTIVE",
]


async def test_random_market_requests_never_answer_a_server_error(rest: httpx.AsyncClient) -> None:
    rng = random.Random(11)
    for _ in range(300):
        path = MARKET + rng.choice(FUZZ_PATHS).format(rng.choice(FUZZ_VALUES))
        params = tuple((rng.choice(FUZZ_NAMES), rng.choice(FUZZ_VALUES)) for _ in range(rng.randrange(4)))
        response = await rest.get(path, params=params)
        assert response.headers["content-type"] == "application/json"
        if response.status_code != 200:
            assert response.status_code < 500, (path, params, response.text)
