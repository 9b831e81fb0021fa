"""market genesis: defaults, validation of the section, and what init checks against the
providers' hardware (the round trip through a whole chain is in test_app.py)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.market import (
    GpuClassJSON,
    LeaseJSON,
    MarketGenesis,
    MarketParams,
    OfferJSON,
    OrderJSON,
    PricingJSON,
    RequirementsJSON,
)
from tests.vm.helpers import ALICE, BOB, with_app_state
from tests.vm.market.helpers import H100, market_genesis
from vm.app import validate_genesis
from vm.errors import InvalidTx
from vm.market.genesis import validate_genesis as validate_section

CLASS = GpuClassJSON(model=H100.model, memory_mib=H100.memory_mib, compute_capability=H100.compute_capability)
OFFER = OfferJSON(
    id=1,
    provider=ALICE.address,
    gpu_class=CLASS,
    count=2,
    pricing=PricingJSON(price=100),
    min_duration_s=60,
    max_duration_s=3_600,
    job_kinds=["gemm"],
    leased=1,
)
ORDER = OrderJSON(
    id=1,
    requester=BOB.address,
    requirements=RequirementsJSON(gpus=1),
    duration_s=600,
    max_price=100,
    deposit=100,
    state="matched",
    lease_id=1,
)
LEASE = LeaseJSON(
    id=1,
    order_id=1,
    offer_id=1,
    provider=ALICE.address,
    requester=BOB.address,
    gpu_class=CLASS,
    gpus=1,
    rate=100,
    take_rate_bps=500,
    deposit=100,
    duration_s=600,
    matched_height=1,
    matched_ns=1,
    accept_deadline=5,
)
VALID = MarketGenesis(
    offers=[OFFER], orders=[ORDER], leases=[LEASE], last_offer_id=1, last_order_id=1, last_lease_id=1
)


def test_default_section_is_valid() -> None:
    validate_section(MarketGenesis())
    validate_section(VALID)


def change(**fields: Any) -> MarketGenesis:
    return msgspec.structs.replace(VALID, **fields)


@pytest.mark.parametrize(
    ("section", "match"),
    [
        (change(params=MarketParams(denom="$")), "denom"),
        (change(params=MarketParams(target_utilization_bps=0)), "target_utilization_bps"),
        (change(params=MarketParams(premium_take_rate_bps=600)), "premium_take_rate_bps"),
        (change(params=MarketParams(min_duration_s=10, max_duration_s=5)), "min_duration_s"),
        (change(offers=[OFFER, OFFER]), "duplicate offer id"),
        (change(last_offer_id=0), "above last_offer_id"),
        (change(offers=[msgspec.structs.replace(OFFER, state="gone")]), "offer state"),
        (change(offers=[msgspec.structs.replace(OFFER, leased=2)]), "open leases hold 1"),
        (change(offers=[msgspec.structs.replace(OFFER, provider="depin1xyz")]), "offer provider"),
        (change(offers=[msgspec.structs.replace(OFFER, pricing=PricingJSON())]), "fixed price"),
        (change(leases=[msgspec.structs.replace(LEASE, offer_id=7)]), "does not match"),
        (change(leases=[msgspec.structs.replace(LEASE, state="closed")]), "close record"),
        (change(leases=[msgspec.structs.replace(LEASE, withdrawn=101)]), "withdrew more"),
        (
            change(orders=[msgspec.structs.replace(ORDER, requirements=RequirementsJSON(gpus=2000))]),
            "gpu count",
        ),
    ],
)
def test_invalid_section(section: MarketGenesis, match: str) -> None:
    with pytest.raises(InvalidTx, match=match):
        validate_section(section)


def test_invalid_offer_of_an_unregistered_provider() -> None:
    doc = with_app_state(
        market_genesis(),
        market=change(orders=[], leases=[], offers=[msgspec.structs.replace(OFFER, leased=0)]),
    )
    with pytest.raises(InvalidTx, match="provider is not registered"):
        validate_genesis(doc)
