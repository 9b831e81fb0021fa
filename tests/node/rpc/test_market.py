"""The GPU market JSON-RPC methods (``offers``, ``offer``, ``orders``, ``order``, ``leases``,
``lease``, ``price_index``, ``market_summary``, and ``params`` with ``module: "market"``) over the chain of
tests/node/market_chain.py: depind's JSON, filters, pages, exact escrow figures, and error
codes."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import pytest
import trio

from node.node import Node
from node.rpc.errors import INVALID_PARAMS, NOT_FOUND, QUERY_FAILED
from tests.node.market_chain import ACCEPT_HEIGHT, QUERY_HEIGHT, market_app
from tests.node.rpc.support import rpc, rpc_error
from tests.vm.helpers import ALICE, BLOCK_INTERVAL_NS, BOB, CAROL, DAVE, GENESIS_TIME_NS
from tests.vm.market.helpers import H100, L4, PRICE
from vm.app import App
from vm.market.keeper import MarketKeeper
from vm.market.pricing import compute_take
from vm.market.types import GpuClass

NOW_NS = GENESIS_TIME_NS + QUERY_HEIGHT * BLOCK_INTERVAL_NS
RUN_NS = (QUERY_HEIGHT - ACCEPT_HEIGHT) * BLOCK_INTERVAL_NS  # lease 1 has run this long


@dataclass
class AppNode:
    """What the application-query RPC methods read of a node: its app."""

    app: App


@pytest.fixture(scope="module")
def node() -> Node:
    return cast(Node, AppNode(market_app()))


def call(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc, node, method, **params))


def error(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc_error, node, method, **params))


def test_offers_filtered_and_paged(node: Node) -> None:
    every = call(node, "offers")
    assert [o["id"] for o in every["offers"]] == [1, 2, 3]
    assert every["next_key"] is None and every["height"] == str(QUERY_HEIGHT)
    mine = call(node, "offers", provider=ALICE.address, limit=1)
    assert [o["id"] for o in mine["offers"]] == [1] and mine["next_key"] == "2"
    more = call(node, "offers", provider=ALICE.address, limit="1", next_key=mine["next_key"])
    assert [o["id"] for o in more["offers"]] == [2] and more["next_key"] is None
    [l4] = call(node, "offers", gpu_model=L4.model)["offers"]
    assert (l4["id"], l4["provider"], l4["count"]) == (3, DAVE.address, 4)
    assert call(node, "offers", state="closed")["offers"] == []


def test_offers_filtered_by_region_and_price_now(node: Node) -> None:
    assert [o["id"] for o in call(node, "offers", region="us-east")["offers"]] == [3]
    assert [o["id"] for o in call(node, "offers", region="eu-west", max_price=PRICE)["offers"]] == [1]
    assert [o["id"] for o in call(node, "offers", max_price=2 * PRICE)["offers"]] == [1, 2]
    assert call(node, "offers", region="ap-south")["offers"] == []


def test_offer_with_its_price_now(node: Node) -> None:
    found = call(node, "offer", id=1)
    assert found["price"] == PRICE
    offer = found["offer"]
    assert (offer["state"], offer["count"], offer["leased"]) == ("active", 2, 1)
    assert offer["gpu_class"] == {
        "model": H100.model,
        "memory_mib": H100.memory_mib,
        "compute_capability": H100.compute_capability,
    }
    assert offer["pricing"] == {"price": PRICE, "factor_bps": 0, "floor": 0, "cap": 0}
    assert call(node, "offer", id="2")["price"] == 2 * PRICE


def test_orders_and_order(node: Node) -> None:
    bobs = call(node, "orders", requester=BOB.address)["orders"]
    assert [(o["id"], o["state"], o["lease_id"]) for o in bobs] == [(1, "matched", 1), (3, "matched", 2)]
    [open_order] = call(node, "orders", state="open")["orders"]
    assert (open_order["id"], open_order["requester"]) == (2, CAROL.address)
    order = call(node, "order", id=2)["order"]
    assert (order["max_price"], order["deposit"], order["requirements"]["gpus"]) == (
        PRICE // 2,
        PRICE // 2,
        1,
    )


def test_lease_escrow_is_exact_at_the_last_block_time(node: Node) -> None:
    found = call(node, "lease", id=1)
    lease = found["lease"]
    assert (lease["state"], lease["provider"], lease["requester"], lease["rate"]) == (
        "active",
        ALICE.address,
        BOB.address,
        PRICE,
    )
    earned = PRICE * RUN_NS // (3_600 * 10**9)
    assert found["escrow"] == {
        "time_ns": NOW_NS,
        "earned": earned,
        "withdrawable": earned - compute_take(earned, lease["take_rate_bps"]),
        "remaining": lease["deposit"] - earned,
        "due_ns": lease["start_ns"] + lease["duration_s"] * 10**9,
        "runs_out": False,
    }
    keeper: MarketKeeper = cast(AppNode, node).app.registry.keeper("market")
    state = cast(AppNode, node).app.state.values
    assert found["escrow"]["earned"] == keeper.escrow(state, keeper.lease(state, 1)).earned


def test_closed_lease_has_its_close_record_and_no_escrow(node: Node) -> None:
    found = call(node, "lease", id=2)
    assert found["escrow"] is None
    assert found["lease"]["closed"] == {
        "reason": "requester_closed",
        "height": 5,
        "time_ns": GENESIS_TIME_NS + 5 * BLOCK_INTERVAL_NS,
        "earned": 0,
        "fee": 0,
        "refunded": 600_000,
        "penalty": None,
    }


def test_leases_filtered(node: Node) -> None:
    assert [x["lease"]["id"] for x in call(node, "leases", provider=ALICE.address)["leases"]] == [1, 2]
    assert call(node, "leases", provider=DAVE.address)["leases"] == []
    [active] = call(node, "leases", requester=BOB.address, state="active")["leases"]
    assert active["lease"]["id"] == 1 and active["escrow"]["time_ns"] == NOW_NS
    page = call(node, "leases", limit=1)
    assert [x["lease"]["id"] for x in page["leases"]] == [1] and page["next_key"] == "2"


def test_price_index_with_history(node: Node) -> None:
    found = call(
        node,
        "price_index",
        model=H100.model,
        memory_mib=H100.memory_mib,
        compute_capability=H100.compute_capability,
    )
    history = found["history"]
    assert [p["height"] for p in history] == list(range(2, QUERY_HEIGHT + 1))
    assert found["price"] == history[-1]["price"] and found["gpu_class"]["model"] == H100.model
    never = call(node, "price_index", model="NVIDIA A100", memory_mib=40_960, compute_capability="8.0")
    assert (never["price"], never["history"]) == (1_000_000, [])  # the minimum reference price


def test_market_summary_counts_by_state_and_pages_the_classes(node: Node) -> None:
    page = call(node, "market_summary", limit=1)
    assert page["height"] == str(QUERY_HEIGHT)
    assert page["offers"] == {"active": 3, "paused": 0, "closed": 0}
    assert page["orders"] == {"open": 1, "matched": 2, "cancelled": 0, "expired": 0}
    assert page["leases"] == {"pending": 0, "active": 1, "closed": 1}
    [h100] = page["classes"]
    price = call(node, "price_index", **class_json(H100))["price"]
    assert h100 == {"gpu_class": class_json(H100), "offered": 3, "leased": 1, "reference_price": price}
    assert page["next_key"] == L4.key().hex()
    rest = call(node, "market_summary", next_key=page["next_key"])
    assert [(c["gpu_class"]["model"], c["offered"], c["leased"]) for c in rest["classes"]] == [
        (L4.model, 4, 0)
    ]
    assert rest["next_key"] is None


def class_json(gpu_class: GpuClass) -> dict[str, Any]:
    return {
        "model": gpu_class.model,
        "memory_mib": gpu_class.memory_mib,
        "compute_capability": gpu_class.compute_capability,
    }


def test_market_params_through_params(node: Node) -> None:
    params = call(node, "params", module="market")["market"]
    assert (params["denom"], params["accept_timeout_blocks"]) == ("udepin", 3)


@pytest.mark.parametrize(
    ("method", "params", "code", "says"),
    [
        ("offer", {"id": 9}, NOT_FOUND, "offer not found"),
        ("order", {"id": 9}, NOT_FOUND, "order not found"),
        ("lease", {"id": 9}, NOT_FOUND, "lease not found"),
        ("lease", {"id": 0}, QUERY_FAILED, "positive integer 'id'"),
        ("lease", {}, INVALID_PARAMS, "missing param 'id'"),
        ("offer", {"id": "one"}, INVALID_PARAMS, "must be an integer"),
        ("offers", {"state": "open"}, QUERY_FAILED, "state must be one of"),
        ("offers", {"max_price": -1}, QUERY_FAILED, "'max_price' must be a price"),
        ("orders", {"requester": "depin1nope"}, QUERY_FAILED, "sdk code 7"),
        ("leases", {"next_key": "x"}, QUERY_FAILED, "next_key"),
        ("leases", {"limit": 101}, QUERY_FAILED, "limit must be 1 to 100"),
        ("market_summary", {"next_key": "x"}, QUERY_FAILED, "class key in hex"),
        ("market_summary", {"limit": 0}, QUERY_FAILED, "limit must be 1 to 100"),
        ("price_index", {"model": "", "memory_mib": 1, "compute_capability": "9.0"}, INVALID_PARAMS, "model"),
        (
            "price_index",
            {"model": "X", "memory_mib": 0, "compute_capability": "9.0"},
            INVALID_PARAMS,
            "memory",
        ),
        ("price_index", {"model": "X", "memory_mib": 1, "compute_capability": "9"}, INVALID_PARAMS, "major"),
    ],
)
def test_invalid_market_queries(
    node: Node, method: str, params: dict[str, Any], code: int, says: str
) -> None:
    failed = error(node, method, **params)
    assert failed.code == code and says in failed.data, failed.data
