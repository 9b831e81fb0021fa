"""The market's block hooks. Each queue is drained under ``max_settlements_per_block``;
what is left waits for the next block.

Begin block (before the block's txs, so they see leases closed at this block's time):
leases that reached their due time close (completed or insufficient_funds, charged to
that instant), escrow_low warnings fire, expired orders are refunded, and the clock
records this block. End block: pending leases past their accept deadline close with
provider_fault, due orders are matched, reference prices move. The classes whose price moves
are read before matching, which moves no class's GPUs on offer (so none's liveness): read
after it, they would be read through the many keys it wrote, which the block's cache then
sorts.

A settlement backlog (more leases due than the budget) closes in the next blocks; each
such lease is still charged only to its due time, handlers treat it as closing, and the
clock records the backlog so the ``leases-settled`` invariant can tell it from a bug.
"""

from __future__ import annotations

import msgspec

from vm.context import Context
from vm.market.escrow import get_run_out_ns
from vm.market.events import EscrowLow
from vm.market.matching import match_orders
from vm.market.reference import due_classes, update_reference_prices
from vm.market.settlement import close_lease, natural_reason, refund_order
from vm.market.store import MarketStore
from vm.market.types import Clock, CloseReason, LeaseState, OrderState
from vm.types import Address, format_address


def begin_block(keeper: MarketStore, ctx: Context) -> None:
    backlog = settle_due_leases(keeper, ctx)
    warn_low_escrow(keeper, ctx)
    expire_orders(keeper, ctx)
    keeper.set_clock(ctx.store, Clock(ctx.env.height, ctx.env.time_ns, backlog))


def end_block(keeper: MarketStore, ctx: Context) -> None:
    time_out_accepts(keeper, ctx)
    priced = due_classes(keeper, ctx.store, keeper.get_params(ctx.store).max_price_updates_per_block)
    match_orders(keeper, ctx)
    update_reference_prices(keeper, ctx, priced)


def settle_due_leases(keeper: MarketStore, ctx: Context) -> bool:
    """Close the leases due by this block's time; returns whether any were left (backlog)."""
    store, now = ctx.store, ctx.env.time_ns
    for item in keeper.close_queue.pop_due(store, now, keeper.get_params(store).max_settlements_per_block):
        lease = keeper.get_lease(store, int.from_bytes(item, "big"))
        if lease is not None and lease.state == LeaseState.ACTIVE:
            close_lease(keeper, ctx, lease, natural_reason(lease))
    first = next(keeper.close_queue.items(store), None)
    return first is not None and first[0] <= now


def warn_low_escrow(keeper: MarketStore, ctx: Context) -> None:
    store = ctx.store
    for item in keeper.low_queue.pop_due(
        store, ctx.env.time_ns, keeper.get_params(store).max_settlements_per_block
    ):
        lease = keeper.get_lease(store, int.from_bytes(item, "big"))
        if lease is None or lease.state != LeaseState.ACTIVE or not lease.warn_ns:
            continue
        keeper.set_lease(store, lease, msgspec.structs.replace(lease, warn_ns=0))  # fired
        ctx.emit(
            EscrowLow(
                lease_id=str(lease.id),
                provider=format_address(Address(lease.provider)),
                requester=format_address(Address(lease.requester)),
                run_out_ns=str(get_run_out_ns(lease)),
            )
        )


def expire_orders(keeper: MarketStore, ctx: Context) -> None:
    store = ctx.store
    for item in keeper.expiry_queue.pop_due(
        store, ctx.env.time_ns, keeper.get_params(store).max_settlements_per_block
    ):
        order = keeper.get_order(store, int.from_bytes(item, "big"))
        if order is not None and order.state == OrderState.OPEN:
            refund_order(keeper, ctx, order, OrderState.EXPIRED)


def time_out_accepts(keeper: MarketStore, ctx: Context) -> None:
    """A lease its provider did not accept by its deadline closes with provider_fault: a full
    refund, and ``fault_penalty`` from the provider's collateral to the requester."""
    store = ctx.store
    for item in keeper.accept_queue.pop_due(
        store, ctx.env.height, keeper.get_params(store).max_settlements_per_block
    ):
        lease = keeper.get_lease(store, int.from_bytes(item, "big"))
        if lease is not None and lease.state == LeaseState.PENDING:
            close_lease(keeper, ctx, lease, CloseReason.PROVIDER_FAULT)
