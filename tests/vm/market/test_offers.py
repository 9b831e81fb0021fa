"""Offers: create, update, pause, resume, close; what a provider may commit; the guard on
MsgUpdateProvider; and every rejection with its stable code."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from protos.depind.market.v1 import tx_pb2
from tests.vm.helpers import ALICE, BOB, DAVE
from tests.vm.market.helpers import (
    H100,
    L4,
    PRICE,
    Market,
    gpu_spec,
    market_with_offer,
    offer_msg,
    order_msg,
)
from vm.market.msgs import MsgCloseOffer, MsgUpdateOffer
from vm.market.types import OfferState, Pricing
from vm.provider.msgs import MsgUpdateProvider


def update(offer_id: int = 1, sender: str = ALICE.address, **fields: Any) -> MsgUpdateOffer:
    values: dict[str, object] = {
        "pricing": None,
        "count": 0,
        "min_duration_s": 0,
        "max_duration_s": 0,
        "job_kinds": [],
        "pause": False,
        "resume": False,
    }
    values.update(fields)
    return MsgUpdateOffer(sender, offer_id, **values)  # type: ignore[arg-type]


def code(error: Exception) -> tuple[str, int]:
    return (getattr(error, "codespace", ""), getattr(error, "code", 0))


# -- create ------------------------------------------------------------------------------------


def test_create_offer_puts_it_on_the_book() -> None:
    market = Market()
    market.register(ALICE)
    events = market.block(offer_msg(ALICE, 3))
    offer = market.offer(1)
    assert (offer.provider, offer.gpu_class, offer.count, offer.leased) == (
        market.provider(ALICE).owner,
        H100,
        3,
        0,
    )
    assert offer.state == OfferState.ACTIVE
    assert list(market.keeper.book(market.store, H100, indexed=False)) == [(PRICE, 1)]
    assert market.keeper.get_commitment(market.store, offer.provider, H100) == 3
    stats = market.keeper.get_class_stats(market.store, H100.key())
    assert stats is not None and (stats.offered, stats.leased) == (3, 0)
    created = [{a.key: a.value for a in e.attributes} for e in events if e.type == "offer_created"]
    assert created == [{"offer_id": "1", "provider": ALICE.address, "model": H100.model, "count": "3"}]
    assert market.broken() == []


def test_create_offer_answers_with_its_id() -> None:
    """``MsgCreateOfferResponse.offer_id``: the provider learns the id from the tx result."""
    market = Market()
    market.register(ALICE)
    market.begin()
    assert market.answer(offer_msg(ALICE, 1)) == tx_pb2.MsgCreateOfferResponse(offer_id=1)
    assert market.answer(offer_msg(ALICE, 2)) == tx_pb2.MsgCreateOfferResponse(offer_id=2)
    assert market.answer(update(2, count=1)) == tx_pb2.MsgUpdateOfferResponse()
    market.end()


def test_offers_of_one_provider_share_its_gpus() -> None:
    market = market_with_offer(5)
    market.block(offer_msg(ALICE, 3, PRICE * 2))
    assert market.keeper.get_commitment(market.store, market.offer(1).provider, H100) == 8
    assert code(market.fails(offer_msg(ALICE, 1))) == ("market", 6)


def test_indexed_offer_is_booked_by_factor() -> None:
    market = Market()
    market.register(ALICE)
    market.block(offer_msg(ALICE, pricing=Pricing(0, 15_000, 1, 10**9)))
    assert list(market.keeper.book(market.store, H100, indexed=True)) == [(15_000, 1)]
    assert list(market.keeper.book(market.store, H100, indexed=False)) == []


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        (offer_msg(ALICE, gpu_class=L4), 5),  # hardware not registered
        (offer_msg(ALICE, gpu_class=msgspec.structs.replace(H100, memory_mib=1)), 5),
        (offer_msg(ALICE, 9), 6),  # more than the 8 registered
        (offer_msg(ALICE, price=10**13), 8),  # above max_price
        (offer_msg(ALICE, pricing=Pricing(0, 10_000, 1, 10**13)), 8),  # cap above max_price
        (offer_msg(ALICE, min_s=10), 15),  # below min_duration_s
        (offer_msg(ALICE, max_s=8 * 24 * 3600), 15),  # above max_duration_s
    ],
)
def test_invalid_create_offer(msg: object, expected: int) -> None:
    market = Market()
    market.register(ALICE)
    assert code(market.fails(msg)) == ("market", expected)  # type: ignore[arg-type]
    assert market.keeper.get_offer(market.store, 1) is None
    assert market.broken() == []


def test_invalid_create_offer_unregistered_provider() -> None:
    market = Market()
    assert code(market.fails(offer_msg(BOB))) == ("market", 21)


def test_invalid_create_offer_too_many() -> None:
    market = Market()
    market.register(ALICE, gpu_spec(H100, 64))
    limit = market.keeper.get_params(market.store).max_offers_per_provider
    market.block(*[offer_msg(ALICE, 1, PRICE + n) for n in range(limit)])
    assert code(market.fails(offer_msg(ALICE, 1))) == ("market", 16)
    market.block(MsgCloseOffer(ALICE.address, 1))
    market.block(offer_msg(ALICE, 1))  # a closed offer no longer counts


def test_invalid_create_offer_for_someone_else() -> None:
    market = Market()
    market.register(ALICE)
    assert code(market.fails(offer_msg(DAVE))) == ("market", 21)


# -- update, pause, resume ------------------------------------------------------------------------


def test_update_offer_moves_it_on_the_book() -> None:
    market = market_with_offer(4)
    market.block(update(pricing=Pricing(PRICE // 2, 0, 0, 0), count=6, min_duration_s=120, job_kinds=["mlp"]))
    offer = market.offer(1)
    assert (offer.pricing.price, offer.count, offer.min_duration_s, offer.job_kinds) == (
        PRICE // 2,
        6,
        120,
        ["mlp"],
    )
    assert list(market.keeper.book(market.store, H100, indexed=False)) == [(PRICE // 2, 1)]
    assert market.keeper.get_commitment(market.store, offer.provider, H100) == 6
    assert market.broken() == []


def test_pause_takes_the_offer_off_the_book_and_resume_puts_it_back() -> None:
    market = market_with_offer(4)
    market.block(update(pause=True))
    assert market.offer(1).state == OfferState.PAUSED
    assert list(market.keeper.book(market.store, H100, indexed=False)) == []
    assert market.keeper.get_commitment(market.store, market.offer(1).provider, H100) == 4  # still held
    market.block(order_msg(BOB))
    assert market.order(1).state == 1  # OPEN: nothing to match while paused
    market.block(update(resume=True))
    assert market.offer(1).state == OfferState.ACTIVE
    assert market.order(1).lease_id == 1  # matched in the resume block
    assert market.broken() == []


def test_count_may_drop_below_leased() -> None:
    market = market_with_offer(4)
    market.block(order_msg(BOB, 3))
    market.block(update(count=1))
    offer = market.offer(1)
    assert (offer.count, offer.leased, offer.free()) == (1, 3, 0)
    assert market.keeper.get_commitment(market.store, offer.provider, H100) == 3
    assert market.broken() == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"count": 9}, 6),
        ({"pricing": Pricing(10**13, 0, 0, 0)}, 8),
        ({"min_duration_s": 10}, 15),
        ({"min_duration_s": 90_000}, 15),  # above the offer's max of 86,400
    ],
)
def test_invalid_update_offer(fields: dict[str, Any], expected: int) -> None:
    market = market_with_offer(4)
    assert code(market.fails(update(**fields))) == ("market", expected)
    assert market.offer(1).count == 4


def test_invalid_update_someone_elses_offer() -> None:
    market = market_with_offer()
    assert code(market.fails(update(sender=BOB.address, count=2))) == ("market", 10)


def test_invalid_update_unknown_offer() -> None:
    market = market_with_offer()
    assert code(market.fails(update(offer_id=9, count=2))) == ("market", 2)


# -- close --------------------------------------------------------------------------------------


def test_close_offer_keeps_its_leases_running() -> None:
    market = market_with_offer(4)
    market.block(order_msg(BOB, 2))
    market.block(MsgCloseOffer(ALICE.address, 1))
    offer = market.offer(1)
    assert (offer.state, offer.leased, offer.commitment(), offer.offered()) == (OfferState.CLOSED, 2, 2, 2)
    assert market.lease(1).state == 1  # still pending
    assert list(market.keeper.book(market.store, H100, indexed=False)) == []
    market.block(offer_msg(ALICE, 6))  # 2 leased + 6 = 8 registered
    assert market.broken() == []


def test_invalid_close_offer_twice() -> None:
    market = market_with_offer()
    market.block(MsgCloseOffer(ALICE.address, 1))
    assert code(market.fails(MsgCloseOffer(ALICE.address, 1))) == ("market", 11)
    assert code(market.fails(update(count=2))) == ("market", 11)


def test_invalid_close_someone_elses_offer() -> None:
    market = market_with_offer()
    assert code(market.fails(MsgCloseOffer(BOB.address, 1))) == ("market", 10)


# -- the guard on the provider's hardware ----------------------------------------------------------


def provider_update(gpus: list[object]) -> MsgUpdateProvider:
    return MsgUpdateProvider(ALICE.address, gpus, "", "", None, None)  # type: ignore[arg-type]


def test_invalid_provider_update_below_committed_gpus() -> None:
    market = market_with_offer(5)
    error = market.fails(provider_update([gpu_spec(H100, 4)]))
    assert code(error) == ("market", 6)
    assert market.provider(ALICE).gpus[0].count == 8
    error = market.fails(provider_update([gpu_spec(L4, 8)]))  # drops the class altogether
    assert code(error) == ("market", 6)


def test_provider_update_within_committed_gpus() -> None:
    market = market_with_offer(5)
    market.block(provider_update([gpu_spec(H100, 5), gpu_spec(L4, 2)]))
    market.block(offer_msg(ALICE, 2, gpu_class=L4))
    assert market.broken() == []
