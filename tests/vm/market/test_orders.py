"""Orders: the deposit goes to escrow, cancel and expiry refund it in full, and every
rejection has its stable code."""

from __future__ import annotations

import pytest

from protos.depind.market.v1 import tx_pb2
from tests.vm.helpers import ALICE, BOB, CAROL, DENOM, FUNDS
from tests.vm.market.helpers import (
    BLOCK_NS,
    PRICE,
    SECOND,
    Market,
    market_with_offer,
    offer_msg,
    order_msg,
)
from vm.errors import InvalidTx
from vm.market.msgs import MsgCancelOrder, MsgCreateOrder
from vm.market.pricing import compute_required_deposit
from vm.market.types import OrderState
from vm.types import Coin


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def test_required_deposit_rounds_up() -> None:
    assert compute_required_deposit(3_600, 1, 1) == 1  # exactly 1 per second
    assert compute_required_deposit(3_601, 1, 1) == 2  # 1.0003 rounds up
    assert compute_required_deposit(PRICE, 2, 3_600) == 2 * PRICE
    assert compute_required_deposit(1, 1, 60) == 1  # 60/3600 of 1 rounds up to 1


def test_create_order_moves_the_deposit_to_escrow() -> None:
    market = Market()
    events = market.block(order_msg(BOB, 2, 600, deposit=5_000_000))
    order = market.order(1)
    assert (order.state, order.deposit, order.premium, order.requirements.gpus) == (
        OrderState.OPEN,
        5_000_000,
        False,
        2,
    )
    assert market.balance(BOB) == FUNDS - 5_000_000
    assert market.escrow_balance() == 5_000_000
    created = [{a.key: a.value for a in e.attributes} for e in events if e.type == "order_created"]
    assert created == [{"order_id": "1", "requester": BOB.address, "deposit": "5000000", "premium": "false"}]
    assert market.broken() == []


def test_create_order_answers_with_its_id() -> None:
    """``MsgCreateOrderResponse.order_id``: the requester learns the id from the tx result."""
    market = Market()
    market.begin()
    assert market.answer(order_msg(BOB)) == tx_pb2.MsgCreateOrderResponse(order_id=1)
    assert market.answer(order_msg(CAROL)) == tx_pb2.MsgCreateOrderResponse(order_id=2)
    market.end()


def test_unmatched_order_waits_and_matches_when_an_offer_comes() -> None:
    market = Market()
    market.register(ALICE)
    market.block(order_msg(BOB))
    market.blocks(3)
    assert market.order(1).state == OrderState.OPEN
    assert market.order(1).queued_height == market.height  # due a try at every block
    market.block(offer_msg(ALICE))
    assert market.order(1).state == OrderState.MATCHED
    assert market.broken() == []


def test_cancel_refunds_in_full() -> None:
    market = Market()
    market.block(order_msg(BOB))
    events = market.block(MsgCancelOrder(BOB.address, 1))
    order = market.order(1)
    assert (order.state, order.refunded, order.closed_height) == (OrderState.CANCELLED, PRICE, 2)
    assert market.balance(BOB) == FUNDS
    assert market.escrow_balance() == 0
    closed = [{a.key: a.value for a in e.attributes} for e in events if e.type == "order_closed"]
    assert closed == [
        {"order_id": "1", "requester": BOB.address, "reason": "cancelled", "refunded": str(PRICE)}
    ]
    assert list(market.keeper.match_queue.items(market.store)) == []
    assert market.broken() == []


def test_expired_order_is_refunded_at_its_expiry() -> None:
    market = Market()
    expiry = market.time_ns + 2 * BLOCK_NS  # the third block's time
    market.block(order_msg(BOB, expires_ns=expiry))
    market.block()
    assert market.order(1).state == OrderState.OPEN
    events = market.block()  # this block's time is the expiry
    order = market.order(1)
    assert (order.state, order.refunded, order.closed_ns) == (OrderState.EXPIRED, PRICE, expiry)
    assert [e.type for e in events if e.type == "order_closed"] == ["order_closed"]
    assert market.balance(BOB) == FUNDS
    assert list(market.keeper.expiry_queue.items(market.store)) == []
    assert market.broken() == []


def test_expiry_after_a_match_does_nothing() -> None:
    market = market_with_offer()
    expiry = market.time_ns + 2 * BLOCK_NS
    market.block(order_msg(BOB, expires_ns=expiry))
    market.blocks(3)
    assert market.order(1).state == OrderState.MATCHED
    assert market.lease(1).deposit == PRICE
    assert market.broken() == []


# -- rejections ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        (order_msg(BOB, deposit=PRICE - 1), ("market", 7)),  # budget below price x count x duration
        (order_msg(BOB, 2, deposit=2 * PRICE - 1), ("market", 7)),
        (order_msg(BOB, max_price=10**13), ("market", 8)),  # above the market's max price
        (order_msg(BOB, duration_s=30), ("market", 15)),  # below min_duration_s
        (order_msg(BOB, duration_s=8 * 24 * 3600), ("market", 15)),
        (order_msg(BOB, expires_ns=1), ("market", 20)),  # already past
    ],
)
def test_invalid_create_order(msg: MsgCreateOrder, expected: tuple[str, int]) -> None:
    market = Market()
    assert code(market.fails(msg)) == expected
    assert market.escrow_balance() == 0
    assert market.keeper.get_order(market.store, 1) is None


def test_invalid_create_order_in_another_denom() -> None:
    market = Market()
    msg = order_msg(BOB)
    wrong = MsgCreateOrder(
        msg.requester, msg.requirements, msg.duration_s, msg.max_price, Coin("uatom", PRICE), 0
    )
    assert code(market.fails(wrong)) == ("sdk", 10)


def test_invalid_create_order_beyond_balance() -> None:
    market = Market()
    assert code(market.fails(order_msg(BOB, deposit=FUNDS + 1))) == ("sdk", 5)


def test_invalid_cancel_someone_elses_order() -> None:
    market = Market()
    market.block(order_msg(BOB))
    assert code(market.fails(MsgCancelOrder(CAROL.address, 1))) == ("market", 10)
    assert market.order(1).state == OrderState.OPEN


def test_invalid_cancel_matched_order() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB))
    assert code(market.fails(MsgCancelOrder(BOB.address, 1))) == ("market", 12)


def test_invalid_cancel_unknown_order() -> None:
    market = Market()
    assert code(market.fails(MsgCancelOrder(BOB.address, 1))) == ("market", 3)


def test_invalid_cancel_twice() -> None:
    market = Market()
    market.block(order_msg(BOB))
    market.block(MsgCancelOrder(BOB.address, 1))
    assert code(market.fails(MsgCancelOrder(BOB.address, 1))) == ("market", 12)
    assert market.balance(BOB) == FUNDS


def test_order_created_at_the_expiry_instant_is_refused() -> None:
    market = Market()
    assert code(market.fails(order_msg(BOB, expires_ns=market.time_ns))) == ("market", 20)
    market.block(order_msg(BOB, expires_ns=market.time_ns + SECOND))


def test_escrow_denom_is_the_params_denom() -> None:
    assert Market().keeper.get_params(Market().store).denom == DENOM
