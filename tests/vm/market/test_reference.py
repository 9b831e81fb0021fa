"""The reference price per GPU class: the EIP-1559-like step in integers, its movement with
utilisation, its bounds, its history, the per-block budget, and indexed offers following it."""

from __future__ import annotations

import msgspec
import pytest

from tests.vm.helpers import ALICE, BOB, DAVE
from tests.vm.market.helpers import (
    H100,
    L4,
    PARAMS,
    Market,
    gpu_spec,
    market_genesis,
    offer_msg,
    order_msg,
)
from vm.market.pricing import compute_next_reference, compute_offer_price
from vm.market.reference import update_class_price
from vm.market.store import PRICE, PRICE_HISTORY
from vm.market.types import Pricing
from vm.store.cache import CacheStore

LOW, HIGH = 1_000, 10**12


def step(price: int, leased: int, offered: int, target: int = 5_000, change: int = 1_250) -> int:
    return compute_next_reference(price, leased, offered, target, change, (LOW, HIGH))


def test_at_the_target_the_price_holds() -> None:
    assert step(1_000_000, 5, 10) == 1_000_000


def test_full_utilisation_raises_by_the_max_change() -> None:
    assert step(1_000_000, 10, 10) == 1_125_000


def test_no_utilisation_lowers_by_the_max_change() -> None:
    assert step(1_000_000, 0, 10) == 875_000


def test_the_step_is_proportional_to_the_gap() -> None:
    assert step(1_000_000, 3, 4) == 1_062_500  # 75%: half the max rise
    assert step(1_000_000, 1, 4) == 937_500


def test_a_target_off_the_middle_bounds_the_gap_both_ways() -> None:
    assert step(1_000_000, 10, 10, target=8_000) == 1_031_250  # (100-80)/80 of the max
    assert step(1_000_000, 0, 10, target=8_000) == 875_000  # -1 at most
    assert step(1_000_000, 10, 10, target=2_000) == 1_125_000  # +1 at most


def test_a_small_price_still_climbs() -> None:
    assert step(LOW, 6, 10, change=1) == LOW + 1


def test_a_frozen_price_never_moves() -> None:
    assert step(1_000_000, 10, 10, change=0) == 1_000_000


@pytest.mark.parametrize(("price", "leased", "expected"), [(LOW, 0, LOW), (HIGH, 10, HIGH)])
def test_bounds(price: int, leased: int, expected: int) -> None:
    assert step(price, leased, 10) == expected


def test_indexed_price_is_clamped() -> None:
    pricing = Pricing(0, 15_000, 900, 2_000)
    assert compute_offer_price(pricing, 1_000) == 1_500
    assert compute_offer_price(pricing, 100) == 900
    assert compute_offer_price(pricing, 10_000) == 2_000
    assert compute_offer_price(Pricing(77, 0, 0, 0), 10**9) == 77


# -- on chain ----------------------------------------------------------------------------------


def test_busy_class_rises_each_block_and_idle_one_falls_to_the_minimum() -> None:
    market = Market()
    market.register(ALICE, gpu_spec(H100, 2), gpu_spec(L4, 2))
    market.block(offer_msg(ALICE, 2), offer_msg(ALICE, 2, gpu_class=L4))
    market.block(order_msg(BOB, 2, max_price=10**8))  # leases every H100
    h100 = market.keeper.get_price_index(market.store, H100.key())
    l4 = market.keeper.get_price_index(market.store, L4.key())
    assert h100 is not None and l4 is not None
    assert [p.price for p in h100.history] == [PARAMS.min_reference_price, 1_125_000]  # idle, then full
    assert [p.price for p in l4.history] == [PARAMS.min_reference_price] * 2  # idle at the minimum
    market.blocks(2)
    h100 = market.keeper.get_price_index(market.store, H100.key())
    assert h100 is not None and h100.price == 1_125_000 * 9 // 8 * 9 // 8
    assert [p.height for p in h100.history] == [2, 3, 4, 5]


def test_history_keeps_the_last_n() -> None:
    params = msgspec.structs.replace(PARAMS, price_history_length=3)
    market = Market(market_genesis(params))
    market.register(ALICE)
    market.block(offer_msg(ALICE))
    market.blocks(5)
    index = market.keeper.get_price_index(market.store, H100.key())
    assert index is not None and [p.height for p in index.history] == [5, 6, 7]


def test_indexed_offer_follows_the_reference() -> None:
    market = Market()
    market.register(ALICE)
    market.register(DAVE)
    market.block(offer_msg(ALICE, 1, pricing=Pricing(0, 20_000, 1, 10**9)), offer_msg(DAVE, 1, 3_000_000))
    market.block(order_msg(BOB, 1, max_price=10**8))  # takes Alice's (2 x 1,000,000)
    assert market.lease(1).rate == 2 * PARAMS.min_reference_price
    reference = market.keeper.reference_price(market.store, H100.key())
    assert reference == PARAMS.min_reference_price  # 1 of 2 leased: at the target
    assert compute_offer_price(market.offer(1).pricing, reference) == 2 * reference


def test_update_budget_goes_round_robin() -> None:
    params = msgspec.structs.replace(PARAMS, max_price_updates_per_block=1)
    market = Market(market_genesis(params))
    market.register(ALICE, gpu_spec(H100, 1), gpu_spec(L4, 1))
    market.block(offer_msg(ALICE), offer_msg(ALICE, gpu_class=L4))  # H100 sorts before L4
    market.blocks(3)
    h100 = market.keeper.get_price_index(market.store, H100.key())
    l4 = market.keeper.get_price_index(market.store, L4.key())
    assert h100 is not None and l4 is not None
    assert [p.height for p in h100.history] == [2, 4]
    assert [p.height for p in l4.history] == [3, 5]


def test_a_class_with_nothing_offered_keeps_its_price() -> None:
    market = Market()
    market.register(ALICE)
    market.block(offer_msg(ALICE))
    from vm.market.msgs import MsgCloseOffer

    market.block(MsgCloseOffer(ALICE.address, 1))
    index = market.keeper.get_price_index(market.store, H100.key())
    market.blocks(3)
    assert market.keeper.get_price_index(market.store, H100.key()) == index
    assert list(market.keeper.live_classes(market.store)) == []


def test_an_update_writes_the_price_and_one_point_whatever_the_history_holds() -> None:
    """The price record and the newest point are written and the oldest point kept deleted:
    the history's length does not enter the cost of an update."""
    params = msgspec.structs.replace(PARAMS, price_history_length=3)
    market = Market(market_genesis(params))
    market.register(ALICE)
    market.block(offer_msg(ALICE))
    market.blocks(4)
    block = CacheStore(market.store)
    update_class_price(market.keeper, block, H100.key(), market.height, params)
    prefix = b"market/"
    assert sorted(block.changes()) == sorted(
        [
            prefix + PRICE + H100.key(),
            prefix + PRICE_HISTORY + H100.key() + (5).to_bytes(8, "big"),  # the 6th update
            prefix + PRICE_HISTORY + H100.key() + (2).to_bytes(8, "big"),  # the 3rd, no longer kept
        ]
    )
    assert block.changes()[prefix + PRICE_HISTORY + H100.key() + (2).to_bytes(8, "big")] is None
    assert market.keeper.reference_price(block, H100.key()) == params.min_reference_price


def test_a_shorter_history_length_drops_the_points_beyond_it_at_the_next_update() -> None:
    params = msgspec.structs.replace(PARAMS, price_history_length=4)
    market = Market(market_genesis(params))
    market.register(ALICE)
    market.block(offer_msg(ALICE))
    market.blocks(4)
    market.keeper.params.set(market.store, msgspec.structs.replace(params, price_history_length=2))
    market.blocks(1)
    index = market.keeper.get_price_index(market.store, H100.key())
    assert index is not None and [p.height for p in index.history] == [6, 7]
    assert market.broken() == []
