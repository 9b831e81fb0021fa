"""The block's matching (vm/market/matching.py: what its searches share read once a block,
the due orders read in one go, a lease written without setting unchanged keys again)
against the matching as first written (reference_matching.py), over random books and
orders: every block both run on twin caches over the same state and must leave the same
state (every key that changes, changed alike) and emit the same events.

The random markets have fixed and indexed offers (floors, caps) of three classes from
providers in three regions, orders of every kind of requirement, max prices above and
below the book, expiries, small matching and candidate budgets (backlogs, cut searches),
premium requesters, and a requester who loses the premium tier between placing orders
and their matching (the queue is read again when an order changes tier)."""

from __future__ import annotations

import random
from collections.abc import Mapping

import msgspec
import pytest

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, FUNDS, key, raw, register_msg
from tests.vm.market import reference_matching
from tests.vm.market.helpers import (
    COLLATERAL,
    H100,
    L4,
    PARAMS,
    SECOND,
    Market,
    gpu_spec,
    market_genesis,
    offer_msg,
    order_msg,
)
from tests.vm.staking.helpers import create_validator, delegate, undelegate
from vm.context import Context
from vm.gas import GasMeter
from vm.market import blocks, matching
from vm.market.msgs import MsgAcceptLease, MsgCreateOffer, MsgCreateOrder
from vm.market.pricing import compute_required_deposit
from vm.market.store import MarketStore
from vm.market.types import GpuClass, LeaseState, Pricing, Requirements
from vm.store.cache import CacheStore, ReadStore
from vm.types import Coin

A100 = GpuClass("NVIDIA A100-SXM4-40GB", 40_960, "8.0")
CLASSES = (H100, L4, A100)
REGIONS = ("eu-west", "us-east", "ap-south")
KINDS = ("gemm", "inference", "train")
PROVIDERS = tuple(key(30 + i) for i in range(6))
REQUESTERS = tuple(key(40 + i) for i in range(5))
PREMIUM = REQUESTERS[0]  # a validator with the premium stake
LOSES_PREMIUM = REQUESTERS[1]  # delegates the premium stake, then undelegates some of it
TWIN_PARAMS = msgspec.structs.replace(PARAMS, max_matches_per_block=7, accept_timeout_blocks=4)
BASE = 1_000_000


def changed(cache: CacheStore, parent: ReadStore) -> dict[bytes, bytes | None]:
    """What a cache changes in its parent: its writes less those that set what was there."""
    changes: Mapping[bytes, bytes | None] = cache.changes()
    return {k: v for k, v in changes.items() if parent.get(k) != v}


def twin_matching(keeper: MarketStore, ctx: Context) -> None:
    """Both matchings on twin caches over the block's state: the same changes and events;
    the block goes on with the first's."""
    ours, theirs = CacheStore(ctx.store), CacheStore(ctx.store)
    ours_ctx = Context(ours, ctx.env, GasMeter(10**12))
    theirs_ctx = Context(theirs, ctx.env, GasMeter(10**12))
    matching.match_orders(keeper, ours_ctx)
    reference_matching.match_orders(keeper, theirs_ctx)
    assert changed(ours, ctx.store) == changed(theirs, ctx.store)
    assert ours_ctx.events == theirs_ctx.events
    ours.write()
    ctx.events.extend(ours_ctx.events)


def random_pricing(rng: random.Random) -> Pricing:
    if rng.random() < 0.4:
        factor = rng.randrange(5_000, 20_000, 500)
        floor = rng.choice((1, BASE // 2, BASE))
        return Pricing(0, factor, floor, rng.choice((floor, 2 * BASE, 3 * BASE)))
    return Pricing(rng.randrange(BASE // 2, 3 * BASE, BASE // 8), 0, 0, 0)


def random_offer(rng: random.Random, provider: PrivateKey, gpu_class: GpuClass) -> MsgCreateOffer:
    low = rng.choice((60, 60, 3_600))
    kinds = sorted(rng.sample(KINDS, rng.randrange(1, 3)))
    return MsgCreateOffer(
        provider.address,
        gpu_class,
        rng.randrange(1, 4),
        random_pricing(rng),
        low,
        rng.choice((low, 86_400)),
        kinds,
    )


def random_order(rng: random.Random, requester: PrivateKey, now_ns: int) -> MsgCreateOrder:
    draw = rng.random()
    models = [c.model for c in rng.sample(CLASSES, 1 if draw < 0.4 else 2)] if draw < 0.7 else []
    wanted = Requirements(
        models,
        rng.choice((0, 0, 30_000)),
        rng.choice(("", "", "8.9", "9.0")),
        rng.choice((1, 1, 1, 2, 3)),
        sorted(rng.sample(REGIONS, rng.randrange(1, 3))) if rng.random() < 0.3 else [],
        rng.choice((0, 0, 4_000, 6_000)),
        0,
        rng.choice(("", "", "gemm", "train")),
    )
    duration = rng.choice((60, 600, 3_600, 7_200))
    max_price = rng.randrange(BASE // 4, 4 * BASE, BASE // 8)
    expires = rng.choice((0, 0, 0, now_ns + 30 * SECOND))  # a few expire while they wait
    deposit = compute_required_deposit(max_price, wanted.gpus, duration)
    return MsgCreateOrder(requester.address, wanted, duration, max_price, Coin("udepin", deposit), expires)


@pytest.mark.parametrize("seed", range(14))
def test_matching_equals_the_reference(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    monkeypatch.setattr(blocks, "match_orders", twin_matching)
    params = msgspec.structs.replace(TWIN_PARAMS, max_candidates_per_order=3 + seed % 7)
    doc = market_genesis(params, funded={k: FUNDS for k in (*PROVIDERS, *REQUESTERS)})
    market = Market(doc)
    stake = params.premium_min_stake
    market.block(create_validator(PREMIUM, stake, key=7), delegate(LOSES_PREMIUM, PREMIUM, stake))
    for index, provider in enumerate(PROVIDERS):
        gpus = [gpu_spec(c, 12) for c in rng.sample(CLASSES, 2)]
        market.block(
            register_msg(provider, gpus, collateral=COLLATERAL, region=REGIONS[index % len(REGIONS)])
        )
        market.providers.adjust_reputation(market.store, raw(provider), rng.randrange(-2_000, 2_000))
    a100_offered = False
    for provider in PROVIDERS:
        offers = []
        for gpu in market.provider(provider).gpus:
            gpu_class = GpuClass(gpu.model, gpu.memory_mib, gpu.compute_capability)
            if gpu_class == A100:  # one A100 offer in all: its class leaves the book when taken
                offers += [] if a100_offered else [random_offer(rng, provider, gpu_class)]
                a100_offered = True
            else:
                offers += [random_offer(rng, provider, gpu_class) for _ in range(2)]
        market.block(*offers)
    owners: dict[bytes, PrivateKey] = {raw(p): p for p in PROVIDERS}
    matched = 0
    for step in range(8):
        orders = [
            random_order(rng, rng.choice(REQUESTERS), market.time_ns) for _ in range(rng.randrange(3, 12))
        ]
        extra = [undelegate(LOSES_PREMIUM, PREMIUM, 1)] if step == 2 else []
        market.block(*orders, *extra)  # matched at this block's end, and the next ones'
        pending = [
            lease
            for lease in market.keeper.iterate_leases(market.store)
            if lease.state == LeaseState.PENDING and rng.random() < 0.7
        ]
        accepts = [MsgAcceptLease(owners[lease.provider].address, lease.id) for lease in pending]
        market.block(*accepts)
        matched = sum(1 for _ in market.keeper.iterate_leases(market.store))
    market.blocks(4)
    assert matched > 0  # the random market did match
    assert market.broken() == []


def test_a_class_that_leaves_the_book_in_the_block_stops_counting_against_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An order takes the only A100 offer: for the next order of the block the class is no
    longer on the book, so its candidate budget (3) reads H100's book and two offers."""
    monkeypatch.setattr(blocks, "match_orders", twin_matching)
    params = msgspec.structs.replace(TWIN_PARAMS, max_candidates_per_order=3)
    market = Market(market_genesis(params))
    market.register(ALICE, gpu_spec(A100, 1), gpu_spec(H100, 1))
    market.register(DAVE, gpu_spec(H100, 1))
    price = 2 * BASE
    market.block(
        offer_msg(ALICE, 1, price, gpu_class=A100),
        offer_msg(ALICE, 1, price, gpu_class=H100, kinds=["train"]),  # not for gemm
        offer_msg(DAVE, 1, 2 * price, gpu_class=H100),
    )
    market.block(
        order_msg(BOB, max_price=4 * price, models=[A100.model]),
        order_msg(CAROL, max_price=3 * price, models=[A100.model, H100.model], job_kind="gemm"),
    )
    assert [market.lease(i).offer_id for i in (1, 2)] == [1, 3]


def test_offers_at_the_same_unclamped_price_are_read_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed-price offer and an indexed one of the same class at the same unclamped price:
    with a candidate budget of the class and one offer, the order reads (and takes) the older."""
    monkeypatch.setattr(blocks, "match_orders", twin_matching)
    params = msgspec.structs.replace(TWIN_PARAMS, max_candidates_per_order=2)
    market = Market(market_genesis(params))
    market.register(ALICE, gpu_spec(H100, 2))
    reference = params.min_reference_price  # H100 was never priced
    market.block(
        offer_msg(ALICE, 1, 2 * reference),
        offer_msg(ALICE, 1, pricing=Pricing(0, 20_000, 1, 3 * reference)),  # unclamped: 2 x reference
    )
    market.block(order_msg(BOB, max_price=3 * reference))
    assert market.lease(1).offer_id == 1
