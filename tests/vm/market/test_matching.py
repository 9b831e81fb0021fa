"""Matching at end block: priority of orders (premium, max price, age), the cheapest eligible
offer (ties: reputation, then age), indexed prices, every requirement, the budgets, the
premium re-check, and determinism."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, FUNDS, key, raw
from tests.vm.market.helpers import (
    H100,
    L4,
    PARAMS,
    PRICE,
    Market,
    gpu_spec,
    market_genesis,
    market_with_offer,
    offer_msg,
    order_msg,
)
from tests.vm.staking.helpers import create_validator, delegate, undelegate
from vm.market.matching import is_eligible
from vm.market.types import LeaseState, OrderState, Pricing

ERIN = key(5)


def two_providers(alice: int = PRICE, dave: int = PRICE, **offer: Any) -> Market:
    market = Market()
    market.register(ALICE)
    market.register(DAVE)
    market.block(offer_msg(ALICE, 1, alice, **offer), offer_msg(DAVE, 1, dave, **offer))
    return market


def matched_offer(market: Market, order_id: int) -> int | None:
    order = market.order(order_id)
    return market.lease(order.lease_id).offer_id if order.state == OrderState.MATCHED else None


# -- which offer ---------------------------------------------------------------------------------


def test_order_takes_the_cheapest_offer_at_its_price() -> None:
    market = two_providers(alice=PRICE, dave=PRICE - 1)
    events = market.block(order_msg(BOB, max_price=2 * PRICE))
    lease = market.lease(1)
    assert (lease.offer_id, lease.rate, lease.provider) == (2, PRICE - 1, raw(DAVE))
    assert lease.deposit == 2 * PRICE  # the whole deposit, refunded later where unspent
    matched = [{a.key: a.value for a in e.attributes} for e in events if e.type == "lease_matched"]
    assert matched == [
        {
            "lease_id": "1",
            "order_id": "1",
            "offer_id": "2",
            "provider": DAVE.address,
            "requester": BOB.address,
            "gpus": "1",
            "rate": str(PRICE - 1),
            "accept_deadline": str(lease.accept_deadline),
        }
    ]
    assert market.broken() == []


def test_tie_goes_to_the_higher_reputation() -> None:
    market = two_providers()
    market.providers.adjust_reputation(market.store, raw(DAVE), 1)
    market.block(order_msg(BOB))
    assert matched_offer(market, 1) == 2


def test_tie_of_price_and_reputation_goes_to_the_older_offer() -> None:
    market = two_providers()
    market.block(order_msg(BOB), order_msg(CAROL))
    assert (matched_offer(market, 1), matched_offer(market, 2)) == (1, 2)


def test_no_offer_at_or_under_the_max_price_leaves_the_order_waiting() -> None:
    market = market_with_offer(price=PRICE)
    market.block(order_msg(BOB, max_price=PRICE - 1))
    market.blocks(2)
    assert market.order(1).state == OrderState.OPEN
    assert market.broken() == []


def test_requester_never_leases_its_own_offer() -> None:
    market = market_with_offer()
    market.block(order_msg(ALICE))
    assert market.order(1).state == OrderState.OPEN


def test_an_order_takes_all_its_gpus_from_one_offer() -> None:
    market = two_providers()  # one GPU each
    market.block(order_msg(BOB, 2, max_price=2 * PRICE))
    assert market.order(1).state == OrderState.OPEN
    market.block(offer_msg(ALICE, 2, PRICE + 1))
    assert matched_offer(market, 1) == 3


# -- the order of orders ---------------------------------------------------------------------------


def test_higher_max_price_is_matched_first() -> None:
    market = market_with_offer(1)
    market.block(order_msg(BOB, max_price=PRICE), order_msg(CAROL, max_price=PRICE + 1))
    assert (market.order(1).state, market.order(2).state) == (OrderState.OPEN, OrderState.MATCHED)
    assert market.lease(1).rate == PRICE  # the offer's price, not the order's max


def test_equal_orders_are_matched_oldest_first() -> None:
    market = market_with_offer(1)
    market.block(order_msg(CAROL), order_msg(BOB))
    assert (market.order(1).state, market.order(2).state) == (OrderState.MATCHED, OrderState.OPEN)


def premium_market() -> Market:
    """Bob has 5 DEPIN staked (the premium line in PARAMS); Carol has none."""
    market = Market(market_genesis())
    market.block(create_validator(BOB, PARAMS.premium_min_stake))
    market.register(ALICE)
    return market


def test_premium_is_matched_before_a_higher_price() -> None:
    market = premium_market()
    market.block(order_msg(CAROL, max_price=2 * PRICE), order_msg(BOB, max_price=PRICE))
    market.block(offer_msg(ALICE, 1))
    assert market.order(2).premium
    assert (market.order(1).state, market.order(2).state) == (OrderState.OPEN, OrderState.MATCHED)
    lease = market.lease(1)
    assert lease.take_rate_bps == PARAMS.premium_take_rate_bps


def test_premium_is_checked_again_at_match_time() -> None:
    market = premium_market()
    market.block(order_msg(BOB, max_price=PRICE), order_msg(CAROL, max_price=2 * PRICE))
    assert market.order(1).premium
    market.block(undelegate(BOB, BOB, 1))  # one token short of the line
    market.block(offer_msg(ALICE, 1))
    assert not market.order(1).premium  # moved to the standard tier
    assert (market.order(1).state, market.order(2).state) == (OrderState.OPEN, OrderState.MATCHED)
    assert market.broken() == []


def test_the_market_counts_each_delegators_delegations_as_staking_makes_and_removes_them() -> None:
    """The premium check of a requester without delegations reads that count only; it follows
    every delegation made and removed."""
    market = premium_market()

    def count(delegator: PrivateKey) -> int:
        return market.keeper.delegation_count(market.store, raw(delegator))

    assert (count(BOB), count(CAROL)) == (1, 0)
    market.block(delegate(CAROL, BOB, PARAMS.premium_min_stake))
    assert count(CAROL) == 1 and market.keeper.is_premium(market.store, raw(CAROL))
    market.block(undelegate(CAROL, BOB, PARAMS.premium_min_stake))
    assert count(CAROL) == 0 and not market.keeper.is_premium(market.store, raw(CAROL))
    assert market.broken() == []


def test_standard_order_pays_the_standard_take_rate() -> None:
    market = market_with_offer()
    market.block(order_msg(CAROL))
    assert market.lease(1).take_rate_bps == PARAMS.take_rate_bps


# -- requirements ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [
        ({"models": [H100.model]}, True),
        ({"models": [L4.model]}, False),
        ({"models": [L4.model, H100.model]}, True),
        ({"min_memory": H100.memory_mib}, True),
        ({"min_memory": H100.memory_mib + 1}, False),
        ({"min_capability": "9.0"}, True),
        ({"min_capability": "10.0"}, False),
        ({"min_capability": "8.9"}, True),
        ({"regions": ["eu-west", "us-east"]}, True),
        ({"regions": ["us-east"]}, False),
        ({"min_reputation": 5_000}, True),  # the neutral start
        ({"min_reputation": 5_001}, False),
        ({"min_capacity": 1}, False),  # nothing measured yet
        ({"job_kind": "gemm"}, True),
        ({"job_kind": "mlp"}, False),
        ({"duration_s": 30 * 3600}, False),  # the offer serves at most 24 hours
        ({"duration_s": 60}, False),  # and at least 2 minutes
    ],
)
def test_requirements(wanted: dict[str, Any], matches: bool) -> None:
    market = market_with_offer(min_s=120)
    market.block(order_msg(BOB, **wanted))
    assert (market.order(1).state == OrderState.MATCHED) is matches
    assert market.broken() == []


def test_measured_capacity_is_read_from_the_provider() -> None:
    market = market_with_offer()
    market.providers.set_measured_capacity(market.store, raw(ALICE), 500)
    market.block(order_msg(BOB, min_capacity=501), order_msg(CAROL, min_capacity=500))
    assert (market.order(1).state, market.order(2).state) == (OrderState.OPEN, OrderState.MATCHED)


def test_is_eligible_is_a_pure_predicate() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB, min_reputation=9_000))
    order, offer, provider = market.order(1), market.offer(1), market.provider(ALICE)
    assert not is_eligible(order, offer, provider)
    assert is_eligible(order, offer, msgspec.structs.replace(provider, reputation=9_000))


# -- indexed prices ----------------------------------------------------------------------------------


def test_indexed_offer_charges_the_reference_price_times_its_factor() -> None:
    market = Market()
    market.register(ALICE)
    market.block(offer_msg(ALICE, 2, pricing=Pricing(0, 12_000, 1, 10**9)))
    reference = market.keeper.reference_price(market.store, H100.key())
    market.block(order_msg(BOB, max_price=2 * PRICE))
    assert market.lease(1).rate == reference * 12_000 // 10_000


def test_indexed_floor_raises_its_price_and_the_search_finds_the_cheaper_fixed_offer() -> None:
    market = Market()
    market.register(ALICE)
    market.register(DAVE)
    reference = PARAMS.min_reference_price
    # Alice: index price 0.5 x reference but a floor of 2 x reference; Dave: fixed at 1.5 x.
    market.block(
        offer_msg(ALICE, pricing=Pricing(0, 5_000, 2 * reference, 10 * reference)),
        offer_msg(DAVE, price=3 * reference // 2),
    )
    market.block(order_msg(BOB, max_price=10 * reference))
    assert (market.lease(1).offer_id, market.lease(1).rate) == (2, 3 * reference // 2)


def test_indexed_cap_binds_at_its_unclamped_price() -> None:
    """Documented approximation: an indexed offer whose cap binds is searched at its unclamped
    price, so a fixed offer dearer than the cap but cheaper than the unclamped price wins."""
    market = Market()
    market.register(ALICE)
    market.register(DAVE)
    reference = PARAMS.min_reference_price
    market.block(
        offer_msg(ALICE, pricing=Pricing(0, 30_000, 1, reference)),  # 3x, capped at 1x
        offer_msg(DAVE, price=2 * reference),
    )
    market.block(order_msg(BOB, max_price=10 * reference))
    assert (market.lease(1).offer_id, market.lease(1).rate) == (2, 2 * reference)
    market.block(order_msg(CAROL, max_price=10 * reference))
    assert (market.lease(2).offer_id, market.lease(2).rate) == (1, reference)  # charged its cap


# -- budgets -----------------------------------------------------------------------------------------


def test_matching_budget_leaves_the_rest_for_the_next_block_oldest_first() -> None:
    params = msgspec.structs.replace(PARAMS, max_matches_per_block=2)
    market = Market(market_genesis(params, funded={k: FUNDS for k in (ALICE, BOB, CAROL, DAVE, ERIN)}))
    market.register(ALICE)
    market.block(order_msg(BOB), order_msg(CAROL), order_msg(DAVE), order_msg(ERIN))  # none can match
    # at height 2: two were tried (due again at 3), two were not (still due at 2)
    assert [market.order(i).queued_height for i in (1, 2, 3, 4)] == [3, 3, 2, 2]
    market.block(offer_msg(ALICE, 4, 1))  # now each can; the two not tried go first
    assert [market.order(i).state for i in (1, 2, 3, 4)] == [OrderState.OPEN, OrderState.OPEN] + [
        OrderState.MATCHED
    ] * 2
    market.block()
    assert all(market.order(i).state == OrderState.MATCHED for i in (1, 2, 3, 4))
    assert market.broken() == []


def test_candidate_budget_bounds_the_search() -> None:
    params = msgspec.structs.replace(PARAMS, max_candidates_per_order=3)
    market = Market(market_genesis(params))
    market.register(ALICE, gpu_spec(H100, 8))
    market.register(DAVE)
    # Alice's three cheap offers only serve mlp; Dave's dearer one serves gemm.
    market.block(*[offer_msg(ALICE, 1, PRICE - 3 + n, kinds=["mlp"]) for n in range(3)])
    market.block(offer_msg(DAVE, 1, PRICE))
    market.block(order_msg(BOB, job_kind="gemm"))
    assert market.order(1).state == OrderState.OPEN  # the class and two offers used the budget
    market.block(order_msg(CAROL, job_kind="mlp"))
    assert market.lease(1).offer_id == 1
    assert market.broken() == []


# -- determinism ------------------------------------------------------------------------------------


def scripted(order: tuple[PrivateKey, ...]) -> Market:
    market = Market()
    for provider in (ALICE, DAVE):
        market.register(provider)
    market.block(offer_msg(ALICE, 3, PRICE - 5), offer_msg(DAVE, 2, PRICE - 5), offer_msg(ALICE, 1, PRICE))
    market.block(*[order_msg(k, 2, max_price=PRICE + n) for n, k in enumerate(order)])
    return market


def test_same_inputs_same_leases() -> None:
    first, second = scripted((BOB, CAROL, BOB)), scripted((BOB, CAROL, BOB))
    leases = [list(m.keeper.iterate_leases(m.store)) for m in (first, second)]
    assert leases[0] == leases[1] and len(leases[0]) == 2
    assert first.store.changes() == second.store.changes()
    assert [lease.state for lease in leases[0]] == [LeaseState.PENDING] * 2
