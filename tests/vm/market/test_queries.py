"""market queries (``/market/<name>``): single records, lists with filters and paging, exact
escrow at the last block's time, the price index, and bad arguments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vm.helpers import ALICE, BOB, CAROL, DAVE
from tests.vm.market.helpers import H100, L4, PARAMS, PRICE, SECOND, Market, gpu_spec, offer_msg, order_msg
from vm.errors import InvalidTx
from vm.market.msgs import MsgAcceptLease, MsgCloseOffer
from vm.market.types import Pricing


def ask(market: Market, name: str, request: dict[str, Any] | None = None) -> Any:
    return market.registry.query(f"/market/{name}", market.store, request or {})


def busy() -> Market:
    market = Market()
    market.register(ALICE, gpu_spec(H100, 8), gpu_spec(L4, 2))
    market.register(DAVE)
    market.block(
        offer_msg(ALICE, 2),
        offer_msg(ALICE, 1, gpu_class=L4),
        offer_msg(DAVE, 1, pricing=Pricing(0, 40_000, 1, 10**9)),  # 4 x the reference: dearer
        offer_msg(ALICE, 1, PRICE * 2),
    )
    market.block(MsgCloseOffer(ALICE.address, 4), order_msg(BOB), order_msg(CAROL, 2, max_price=PRICE // 2))
    market.block(MsgAcceptLease(ALICE.address, 1))
    return market


def test_offer_with_its_price_now() -> None:
    market = busy()
    answer = ask(market, "offer", {"id": 3})
    assert answer["offer"]["provider"] == DAVE.address
    assert answer["offer"]["pricing"] == {"price": 0, "factor_bps": 40_000, "floor": 1, "cap": 10**9}
    assert answer["price"] == 4 * market.keeper.reference_price(market.store, H100.key())


def test_offers_filtered_and_paged() -> None:
    market = busy()
    assert [o["id"] for o in ask(market, "offers")["offers"]] == [1, 2, 3, 4]
    assert [o["id"] for o in ask(market, "offers", {"provider": ALICE.address})["offers"]] == [1, 2, 4]
    assert [o["id"] for o in ask(market, "offers", {"gpu_model": L4.model})["offers"]] == [2]
    assert [o["id"] for o in ask(market, "offers", {"state": "closed"})["offers"]] == [4]
    first = ask(market, "offers", {"limit": 2})
    assert ([o["id"] for o in first["offers"]], first["next_key"]) == ([1, 2], "3")
    second = ask(market, "offers", {"limit": 2, "next_key": first["next_key"]})
    assert ([o["id"] for o in second["offers"]], second["next_key"]) == ([3, 4], None)


def test_offers_filtered_by_region_and_price_now() -> None:
    market = busy()
    market.register(CAROL, region="us-east")
    market.block(offer_msg(CAROL, 1, PRICE // 2))
    assert [o["id"] for o in ask(market, "offers", {"region": "us-east"})["offers"]] == [5]
    assert [o["id"] for o in ask(market, "offers", {"region": "eu-west"})["offers"]] == [1, 2, 3, 4]
    assert ask(market, "offers", {"region": "ap-south"})["offers"] == []
    assert [o["id"] for o in ask(market, "offers", {"max_price": PRICE})["offers"]] == [1, 2, 5]
    indexed = 4 * market.keeper.reference_price(market.store, H100.key())  # offer 3's price now
    assert 3 in [o["id"] for o in ask(market, "offers", {"max_price": indexed})["offers"]]
    assert 3 not in [o["id"] for o in ask(market, "offers", {"max_price": indexed - 1})["offers"]]
    both = ask(market, "offers", {"region": "eu-west", "max_price": PRICE, "limit": 1})
    assert ([o["id"] for o in both["offers"]], both["next_key"]) == ([1], "2")


def test_orders_filtered() -> None:
    market = busy()
    assert [o["state"] for o in ask(market, "orders")["orders"]] == ["matched", "open"]
    assert [o["id"] for o in ask(market, "orders", {"requester": CAROL.address})["orders"]] == [2]
    assert [o["id"] for o in ask(market, "orders", {"state": "open"})["orders"]] == [2]
    assert ask(market, "order", {"id": 1})["order"]["lease_id"] == 1


def test_lease_escrow_is_exact_at_the_last_blocks_time() -> None:
    market = busy()
    market.blocks(2, gap_ns=7 * SECOND + 3)
    answer = ask(market, "lease", {"id": 1})
    lease, escrow = answer["lease"], answer["escrow"]
    now = market.keeper.get_clock(market.store).time_ns
    earned = PRICE * (now - lease["start_ns"]) // (3_600 * SECOND)
    assert escrow == {
        "time_ns": now,
        "earned": earned,
        "withdrawable": earned - earned * PARAMS.take_rate_bps // 10_000,
        "remaining": PRICE - earned,
        "due_ns": lease["start_ns"] + 3_600 * SECOND,
        "runs_out": False,
    }


def test_leases_filtered() -> None:
    market = busy()
    assert [x["lease"]["id"] for x in ask(market, "leases", {"provider": ALICE.address})["leases"]] == [1]
    assert ask(market, "leases", {"provider": DAVE.address})["leases"] == []
    assert [
        x["lease"]["id"]
        for x in ask(market, "leases", {"requester": BOB.address, "state": "active"})["leases"]
    ] == [1]
    assert ask(market, "leases", {"requester": BOB.address, "state": "closed"})["leases"] == []


def test_closed_lease_has_its_record_and_no_escrow() -> None:
    market = busy()
    market.keeper.fault_lease(market.ctx(), 1)
    answer = ask(market, "lease", {"id": 1})
    assert answer["escrow"] is None
    assert answer["lease"]["closed"]["reason"] == "provider_fault"
    assert answer["lease"]["closed"]["penalty"] == {"denom": "udepin", "amount": PARAMS.fault_penalty}


def test_price_index_with_history() -> None:
    market = busy()
    answer = ask(
        market,
        "price_index",
        {"model": H100.model, "memory_mib": H100.memory_mib, "compute_capability": "9.0"},
    )
    assert answer["gpu_class"]["model"] == H100.model
    assert [p["height"] for p in answer["history"]] == [3, 4, 5]
    unknown = ask(market, "price_index", {"model": "X", "memory_mib": 1, "compute_capability": "1.0"})
    assert unknown == {
        "gpu_class": {"model": "X", "memory_mib": 1, "compute_capability": "1.0"},
        "price": PARAMS.min_reference_price,
        "history": [],
    }


@pytest.mark.parametrize(
    ("name", "request_", "expected"),
    [
        ("lease", {"id": 9}, 38),
        ("offer", {}, 18),
        ("order", {"id": "1"}, 18),
        ("offers", {"provider": "depin1xyz"}, 7),
        ("offers", {"state": "gone"}, 18),
        ("offers", {"max_price": -1}, 18),
        ("offers", {"max_price": "5"}, 18),
        ("offers", {"region": 5}, 18),
        ("leases", {"next_key": "x"}, 18),
        ("orders", {"limit": 0}, 18),
        ("price_index", {"model": "X"}, 18),
        ("price_index", {"model": "", "memory_mib": 1, "compute_capability": "9.0"}, 18),
        ("price_index", {"model": "X", "memory_mib": 1, "compute_capability": "nine"}, 18),
    ],
)
def test_invalid_query(name: str, request_: dict[str, Any], expected: int) -> None:
    with pytest.raises(InvalidTx) as caught:
        ask(busy(), name, request_)
    assert caught.value.code == expected
