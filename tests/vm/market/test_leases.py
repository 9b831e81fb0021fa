"""Leases: accept, lazy settlement exact to the nanosecond, completion and run-out in the first
block that reaches them, top-ups, escrow_low, withdrawals with the take, every close reason
with its refunds and penalties, reputation, provider exit, the settlement backlog, and every
rejection with its stable code."""

from __future__ import annotations

import msgspec
import pytest

from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, FUNDS, raw
from tests.vm.market.helpers import (
    BLOCK_NS,
    COLLATERAL,
    HOUR,
    PARAMS,
    PRICE,
    PROVIDER_PARAMS,
    SECOND,
    Market,
    market_genesis,
    market_with_offer,
    offer_msg,
    order_msg,
)
from vm.errors import InvalidTx
from vm.market.escrow import NS_PER_HOUR, compute_cost, get_due_ns, get_run_out_ns
from vm.market.msgs import MsgAcceptLease, MsgCloseLease, MsgDepositEscrow, MsgWithdrawLease
from vm.market.types import CloseReason, Lease, LeaseState, OfferState
from vm.provider.msgs import MsgExitProvider
from vm.types import Coin

TAKE = PARAMS.take_rate_bps
PER_SECOND = PRICE // 3_600  # 1,000 udepin per GPU-second at PRICE


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def accepted(
    gpus: int = 1,
    duration_s: int = 3_600,
    max_price: int = PRICE,
    offer_price: int = PRICE,
    deposit: int | None = None,
    market: Market | None = None,
) -> tuple[Market, Lease]:
    """Bob's lease from Alice's offer, accepted; returns the market and the lease."""
    market = market or market_with_offer(8, offer_price)
    market.block(order_msg(BOB, gpus, duration_s, max_price, deposit=deposit))
    lease_id = market.keeper.last_id(market.store, b"lease")
    market.block(MsgAcceptLease(ALICE.address, lease_id))
    return market, market.lease(lease_id)


def take(earned: int) -> int:
    return earned * TAKE // 10_000


# -- accept and charging -------------------------------------------------------------------------


def test_nothing_is_charged_before_the_accept() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB))
    lease = market.lease(1)
    assert (lease.state, lease.start_ns) == (LeaseState.PENDING, 0)
    market.blocks(2)
    escrow = market.keeper.escrow(market.store, market.lease(1))
    assert (escrow.earned, escrow.remaining, escrow.due_ns) == (0, PRICE, 0)
    accept_time = market.time_ns
    events = market.block(MsgAcceptLease(ALICE.address, 1))
    lease = market.lease(1)
    assert (lease.state, lease.start_ns, lease.accepted_height) == (LeaseState.ACTIVE, accept_time, 6)
    accepted_events = [{a.key: a.value for a in e.attributes} for e in events if e.type == "lease_accepted"]
    assert accepted_events[0]["due_ns"] == str(accept_time + HOUR)
    assert market.broken() == []


@pytest.mark.parametrize(
    "offset_ns", [0, 1, 999_999, SECOND, 7 * SECOND + 3, HOUR // 3, HOUR - 1, HOUR, 2 * HOUR]
)
def test_escrow_is_exact_at_any_instant(offset_ns: int) -> None:
    market, lease = accepted(gpus=3, max_price=PRICE + 7, offer_price=PRICE + 7)
    escrow = market.keeper.escrow(market.store, lease, lease.start_ns + offset_ns)
    expected = min(lease.deposit, (PRICE + 7) * 3 * min(offset_ns, HOUR) // NS_PER_HOUR)
    assert escrow.earned == expected
    assert escrow.remaining == lease.deposit - expected
    assert escrow.withdrawable == expected - take(expected)


def test_query_escrow_is_at_the_last_blocks_time() -> None:
    market, lease = accepted()
    market.blocks(3)
    escrow = market.keeper.escrow(market.store, market.lease(1))
    assert escrow.time_ns == market.keeper.now(market.store) == market.time_ns - BLOCK_NS
    assert escrow.earned == compute_cost(PRICE, 1, escrow.time_ns - lease.start_ns)


# -- completion and run-out ------------------------------------------------------------------------


def test_lease_completes_at_its_end_charged_exactly() -> None:
    market, lease = accepted(max_price=2 * PRICE)  # matched at PRICE: half the deposit is unspent
    end = lease.start_ns + HOUR
    market.at(end - 1)
    market.block()
    assert market.lease(1).state == LeaseState.ACTIVE
    alice, bob, fees = market.balance(ALICE), market.balance(BOB), market.fee_collector()
    market.at(end)
    events = market.block()
    closed = market.lease(1).closed
    assert closed is not None
    assert (closed.reason, closed.time_ns, closed.earned, closed.fee, closed.refunded, closed.penalty) == (
        CloseReason.COMPLETED,
        end,
        PRICE,
        take(PRICE),
        PRICE,
        None,
    )
    assert market.balance(ALICE) == alice + PRICE - take(PRICE)
    assert market.balance(BOB) == bob + PRICE
    assert market.fee_collector() == fees + take(PRICE)
    assert market.escrow_balance() == 0
    assert (
        market.provider(ALICE).reputation == PROVIDER_PARAMS.initial_reputation + PARAMS.reputation_completed
    )
    assert [e.type for e in events if e.type == "lease_closed"] == ["lease_closed"]
    offer = market.offer(1)
    assert (offer.leased, offer.free()) == (0, 8)  # its GPUs are back on offer
    assert market.broken() == []


def test_lease_closes_in_the_first_block_at_or_after_its_due_time() -> None:
    market, lease = accepted()
    end = lease.start_ns + HOUR
    market.at(end + 3 * SECOND)  # no block at the end itself
    market.block()
    closed = market.lease(1).closed
    assert closed is not None
    assert (closed.reason, closed.time_ns, closed.height, closed.earned) == (
        CloseReason.COMPLETED,
        end,
        5,
        PRICE,
    )


def extended(market: Market | None = None) -> tuple[Market, Lease]:
    """A lease at PRICE / 2 whose deposit (PRICE: 2 hours at that rate) is extended to 4 hours
    without more escrow: it runs out at 2 hours."""
    market, lease = accepted(offer_price=PRICE // 2, market=market)
    market.block(MsgDepositEscrow(BOB.address, lease.id, None, 3 * 3_600))
    return market, market.lease(lease.id)


def test_insufficient_funds_closes_in_the_first_block_at_or_after_run_out() -> None:
    market, lease = extended()
    run_out = get_run_out_ns(lease)
    assert run_out == lease.start_ns + 2 * HOUR and get_due_ns(lease) == run_out
    market.at(run_out - 1)
    market.block()
    assert market.keeper.escrow(market.store, market.lease(1)).remaining == 1  # 1 ns short of 1 udepin
    market.at(run_out + 1)
    market.block()
    closed = market.lease(1).closed
    assert closed is not None
    assert (closed.reason, closed.time_ns, closed.earned, closed.refunded) == (
        CloseReason.INSUFFICIENT_FUNDS,
        run_out,
        PRICE,
        0,
    )
    assert market.provider(ALICE).reputation == PROVIDER_PARAMS.initial_reputation  # not its doing
    assert market.broken() == []


def test_top_up_moves_the_run_out_time() -> None:
    market, lease = extended()
    old = get_run_out_ns(lease)
    market.block(MsgDepositEscrow(BOB.address, 1, Coin("udepin", PRICE // 2), 0))  # one more hour
    lease = market.lease(1)
    assert get_run_out_ns(lease) == old + HOUR
    assert list(market.keeper.close_queue.items(market.store)) == [(old + HOUR, (1).to_bytes(8, "big"))]
    market.at(old)
    market.block()
    assert market.lease(1).state == LeaseState.ACTIVE
    market.at(old + HOUR)
    market.block()
    closed = market.lease(1).closed
    assert closed is not None and closed.earned == PRICE + PRICE // 2
    assert market.broken() == []


def test_top_up_past_the_end_makes_it_complete() -> None:
    market, _ = extended()
    market.block(MsgDepositEscrow(BOB.address, 1, Coin("udepin", PRICE), 0))  # covers all 4 hours
    lease = market.lease(1)
    assert get_due_ns(lease) == lease.start_ns + 4 * HOUR and lease.warn_ns == 0
    assert list(market.keeper.low_queue.items(market.store)) == []


def test_escrow_low_fires_once_ahead_of_run_out() -> None:
    market, lease = extended()
    warn = get_run_out_ns(lease) - PARAMS.escrow_low_warning_s * SECOND
    assert lease.warn_ns == warn
    market.at(warn - 1)
    market.block()
    assert market.event_list("escrow_low") == []
    market.at(warn)
    market.block()
    market.block()
    assert market.event_list("escrow_low") == [
        {
            "lease_id": "1",
            "provider": ALICE.address,
            "requester": BOB.address,
            "run_out_ns": str(get_run_out_ns(lease)),
        }
    ]
    assert market.lease(1).warn_ns == 0
    assert market.broken() == []


def test_no_escrow_low_for_a_lease_that_completes_first() -> None:
    market, lease = accepted()
    assert lease.warn_ns == 0
    market.at(lease.start_ns + HOUR)
    market.block()
    assert market.event_list("escrow_low") == []


# -- withdrawals and the take ----------------------------------------------------------------------


def test_withdraw_pays_earnings_less_the_cumulative_take() -> None:
    market, lease = accepted()
    alice = market.balance(ALICE)
    market.at(lease.start_ns + 7 * SECOND)
    events = market.block(MsgWithdrawLease(ALICE.address, 1))
    assert market.balance(ALICE) == alice + 7 * PER_SECOND - take(7 * PER_SECOND)
    withdrawn = [{a.key: a.value for a in e.attributes} for e in events if e.type == "lease_withdrawn"]
    assert withdrawn[0]["amount"] == str(7 * PER_SECOND - take(7 * PER_SECOND))
    market.at(lease.start_ns + 10 * SECOND)
    market.block(MsgWithdrawLease(ALICE.address, 1))
    assert market.balance(ALICE) == alice + 10 * PER_SECOND - take(10 * PER_SECOND)
    fees = [int(e["fee"]) for e in market.event_list("lease_withdrawn")]
    assert fees == [take(7 * PER_SECOND), take(10 * PER_SECOND) - take(7 * PER_SECOND)]
    assert market.lease(1).withdrawn == 10 * PER_SECOND
    market.at(lease.start_ns + HOUR)
    market.block()
    assert market.balance(ALICE) == alice + PRICE - take(PRICE)  # the same as one withdrawal
    assert market.broken() == []


def test_invalid_withdraw_twice_in_one_block() -> None:
    market, lease = accepted()
    market.at(lease.start_ns + SECOND)
    market.begin()
    market.run(MsgWithdrawLease(ALICE.address, 1))
    assert code(market.fails(MsgWithdrawLease(ALICE.address, 1))) == ("market", 17)


def test_invalid_withdraw_from_a_pending_lease() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB))
    assert code(market.fails(MsgWithdrawLease(ALICE.address, 1))) == ("market", 13)


def test_invalid_withdraw_by_the_requester() -> None:
    market, _ = accepted()
    assert code(market.fails(MsgWithdrawLease(BOB.address, 1))) == ("market", 9)


# -- closes ----------------------------------------------------------------------------------------


def test_requester_closes_a_lease() -> None:
    market, lease = accepted()
    market.at(lease.start_ns + 100 * SECOND)
    bob = market.balance(BOB)
    market.block(MsgCloseLease(BOB.address, 1))
    closed = market.lease(1).closed
    assert closed is not None
    assert (closed.reason, closed.earned, closed.refunded) == (
        CloseReason.REQUESTER_CLOSED,
        100 * PER_SECOND,
        PRICE - 100 * PER_SECOND,
    )
    assert market.balance(BOB) == bob + PRICE - 100 * PER_SECOND
    assert market.provider(ALICE).reputation == PROVIDER_PARAMS.initial_reputation
    assert market.broken() == []


def test_provider_closes_a_lease_and_pays_a_penalty() -> None:
    market, lease = accepted()
    market.at(lease.start_ns + 100 * SECOND)
    bob = market.balance(BOB)
    market.block(MsgCloseLease(ALICE.address, 1))
    closed = market.lease(1).closed
    assert closed is not None
    assert (closed.reason, closed.penalty) == (
        CloseReason.PROVIDER_CLOSED,
        Coin("udepin", PARAMS.provider_close_penalty),
    )
    assert market.balance(BOB) == bob + closed.refunded + PARAMS.provider_close_penalty
    provider = market.provider(ALICE)
    assert provider.collateral.amount == COLLATERAL - PARAMS.provider_close_penalty
    assert provider.reputation == PROVIDER_PARAMS.initial_reputation - PARAMS.reputation_provider_closed
    assert market.broken() == []


def test_invalid_close_someone_elses_lease() -> None:
    market, _ = accepted()
    assert code(market.fails(MsgCloseLease(CAROL.address, 1))) == ("market", 9)
    assert market.lease(1).state == LeaseState.ACTIVE


def test_invalid_close_a_closed_lease() -> None:
    market, _ = accepted()
    market.block(MsgCloseLease(BOB.address, 1))
    assert code(market.fails(MsgCloseLease(BOB.address, 1))) == ("market", 13)


def test_invalid_unknown_lease() -> None:
    market = Market()
    assert code(market.fails(MsgCloseLease(BOB.address, 5))) == ("market", 4)
    assert code(market.fails(MsgAcceptLease(ALICE.address, 5))) == ("market", 4)


# -- liveness: the accept deadline -----------------------------------------------------------------


def test_unaccepted_lease_closes_with_provider_fault_at_its_deadline() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB))
    lease = market.lease(1)
    assert lease.accept_deadline == lease.matched_height + PARAMS.accept_timeout_blocks
    bob = market.balance(BOB)
    while market.height < lease.accept_deadline:
        market.block()
    assert market.lease(1).state == LeaseState.PENDING
    market.block()  # the deadline's end block
    closed = market.lease(1).closed
    assert closed is not None
    assert (closed.reason, closed.earned, closed.refunded, closed.penalty) == (
        CloseReason.PROVIDER_FAULT,
        0,
        PRICE,
        Coin("udepin", PARAMS.fault_penalty),
    )
    assert market.balance(BOB) == bob + PRICE + PARAMS.fault_penalty
    assert market.provider(ALICE).reputation == PROVIDER_PARAMS.initial_reputation - PARAMS.reputation_fault
    assert market.offer(1).leased == 0
    assert market.broken() == []


def test_accept_at_the_deadline_is_in_time() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB))
    deadline = market.lease(1).accept_deadline
    while market.height < deadline:
        market.block()
    market.block(MsgAcceptLease(ALICE.address, 1))
    assert market.lease(1).state == LeaseState.ACTIVE


def test_invalid_accept_someone_elses_lease() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB))
    assert code(market.fails(MsgAcceptLease(DAVE.address, 1))) == ("market", 9)


def test_invalid_accept_twice() -> None:
    market, _ = accepted()
    assert code(market.fails(MsgAcceptLease(ALICE.address, 1))) == ("market", 14)


# -- the compute module's closes -------------------------------------------------------------------


def test_fault_lease_refunds_what_the_escrow_holds() -> None:
    market, lease = accepted()
    market.at(lease.start_ns + 10 * SECOND)
    market.block(MsgWithdrawLease(ALICE.address, 1))
    market.at(lease.start_ns + 20 * SECOND)
    market.begin()
    bob = market.balance(BOB)
    market.keeper.fault_lease(market.ctx(), 1)
    market.end()
    closed = market.lease(1).closed
    assert closed is not None
    # the 10 seconds earned since the withdrawal are forfeited
    assert (closed.reason, closed.earned, closed.refunded) == (
        CloseReason.PROVIDER_FAULT,
        10 * PER_SECOND,
        PRICE - 10 * PER_SECOND,
    )
    assert market.balance(BOB) == bob + PRICE - 10 * PER_SECOND + PARAMS.fault_penalty
    assert market.broken() == []


def test_slash_lease_drops_reputation_sharply_and_never_below_zero() -> None:
    market, _ = accepted()
    market.providers.adjust_reputation(market.store, raw(ALICE), -4_500)  # 500 left
    market.keeper.slash_lease(market.ctx(), 1)
    closed = market.lease(1).closed
    assert closed is not None and closed.reason == CloseReason.SLASHED and closed.penalty is None
    assert market.provider(ALICE).reputation == 0
    with pytest.raises(InvalidTx) as again:
        market.keeper.slash_lease(market.ctx(), 1)
    assert code(again.value) == ("market", 13)
    assert market.broken() == []


def test_reputation_stays_below_its_maximum() -> None:
    market, lease = accepted()
    market.providers.adjust_reputation(market.store, raw(ALICE), 10**6)
    assert market.provider(ALICE).reputation == PROVIDER_PARAMS.max_reputation
    market.at(lease.start_ns + HOUR)
    market.block()
    assert market.provider(ALICE).reputation == PROVIDER_PARAMS.max_reputation


# -- provider exit ---------------------------------------------------------------------------------


def test_provider_exit_closes_its_leases_and_offers_first() -> None:
    market = market_with_offer(4)
    market.register(DAVE)
    market.block(offer_msg(DAVE, 1, PRICE + 1))
    market.block(order_msg(BOB, 2, max_price=2 * PRICE), order_msg(CAROL, 1, max_price=2 * PRICE))
    market.block(MsgAcceptLease(ALICE.address, 1))
    start = market.lease(1).start_ns
    market.at(start + 60 * SECOND)
    alice, bob, carol = market.balance(ALICE), market.balance(BOB), market.balance(CAROL)
    market.block(MsgExitProvider(ALICE.address))
    first, second = market.lease(1), market.lease(2)
    assert first.closed is not None and second.closed is not None
    assert {first.closed.reason, second.closed.reason} == {CloseReason.PROVIDER_EXITED}
    earned = 2 * 60 * PER_SECOND
    assert first.closed.earned == earned
    assert market.balance(BOB) == bob + 4 * PRICE - earned
    assert market.balance(CAROL) == carol + 2 * PRICE  # never accepted: all back
    assert market.balance(ALICE) == alice + earned - take(earned)
    assert market.offer(1).state == OfferState.CLOSED
    assert market.offer(2).state == OfferState.ACTIVE  # Dave's
    assert market.provider(ALICE).collateral.amount == COLLATERAL  # no penalty for an exit
    market.blocks(PROVIDER_PARAMS.unbonding_blocks)
    assert market.providers.get_provider(market.store, raw(ALICE)) is None  # released after
    assert market.balance(ALICE) == alice + earned - take(earned) + COLLATERAL
    assert market.broken() == []


# -- the settlement backlog ------------------------------------------------------------------------


def test_backlog_charges_each_lease_only_to_its_due_time() -> None:
    params = msgspec.structs.replace(PARAMS, max_settlements_per_block=1)
    market = Market(market_genesis(params))
    market.register(ALICE)
    market.block(offer_msg(ALICE, 3))
    market.block(order_msg(BOB), order_msg(CAROL), order_msg(DAVE))
    market.block(*[MsgAcceptLease(ALICE.address, i) for i in (1, 2, 3)])
    end = market.lease(1).start_ns + HOUR
    market.at(end)
    market.block()
    assert [market.lease(i).state for i in (1, 2, 3)] == [
        LeaseState.CLOSED,
        LeaseState.ACTIVE,
        LeaseState.ACTIVE,
    ]
    assert market.keeper.get_clock(market.store).backlog
    assert market.broken() == []  # the invariant accounts for the backlog
    assert code(market.fails(MsgDepositEscrow(CAROL.address, 2, Coin("udepin", 1), 0))) == ("market", 13)
    market.blocks(2)
    for i in (2, 3):
        closed = market.lease(i).closed
        assert closed is not None and (closed.time_ns, closed.earned, closed.height) == (end, PRICE, 4 + i)
    assert not market.keeper.get_clock(market.store).backlog
    assert market.broken() == []


# -- deposits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        (MsgDepositEscrow(ALICE.address, 1, Coin("udepin", 5), 0), ("market", 9)),  # not the requester
        (MsgDepositEscrow(BOB.address, 1, Coin("uatom", 5), 0), ("sdk", 10)),
        (MsgDepositEscrow(BOB.address, 1, None, 24 * 3_600), ("market", 15)),  # past the offer's max
        (MsgDepositEscrow(BOB.address, 1, Coin("udepin", FUNDS * 2), 0), ("sdk", 5)),
    ],
)
def test_invalid_deposit(msg: MsgDepositEscrow, expected: tuple[str, int]) -> None:
    market, lease = accepted()
    assert code(market.fails(msg)) == expected
    assert market.lease(1) == lease


def test_deposit_to_a_pending_lease_counts_from_the_accept() -> None:
    market = market_with_offer()
    market.block(order_msg(BOB))
    market.block(MsgDepositEscrow(BOB.address, 1, Coin("udepin", 60 * PER_SECOND), 60))
    lease = market.lease(1)
    assert (lease.deposit, lease.duration_s, lease.state) == (
        PRICE + 60 * PER_SECOND,
        3_660,
        LeaseState.PENDING,
    )
    market.block(MsgAcceptLease(ALICE.address, 1))
    assert get_due_ns(market.lease(1)) == market.lease(1).start_ns + 3_660 * SECOND
    assert market.broken() == []


def test_invalid_deposit_to_a_closed_lease() -> None:
    market, _ = accepted()
    market.block(MsgCloseLease(BOB.address, 1))
    assert code(market.fails(MsgDepositEscrow(BOB.address, 1, Coin("udepin", 5), 0))) == ("market", 13)
