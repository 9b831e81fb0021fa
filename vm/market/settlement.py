"""Moving escrow: a lease opens from an order, is accepted, topped up, withdrawn from and
closed; an unmatched order is refunded. Every payment leaves the escrow account here.

A lease is scheduled in queues rather than touched as time passes: while pending, in the
accept queue at its deadline height; once active, in the close queue at its due time
(its end, or its run-out if earlier) and, if its escrow runs out first, in the warning
queue ``escrow_low_warning_s`` before that. ``unschedule`` must run before any change to
the fields those keys are computed from, ``schedule`` after it.
"""

from __future__ import annotations

import msgspec

from genesis.market import MarketParams
from vm.context import Context
from vm.market.escrow import (
    compute_payout,
    get_due_ns,
    get_earned,
    get_run_out_ns,
    runs_out,
)
from vm.market.events import LeaseAccepted, LeaseClosed, LeaseMatched, OrderClosed, bech32
from vm.market.pricing import compute_take
from vm.market.store import ESCROW, FEE_COLLECTOR, MarketStore, id_bytes, match_item
from vm.market.types import (
    NS_PER_SECOND,
    CloseReason,
    Lease,
    LeaseClose,
    LeaseState,
    Offer,
    Order,
    OrderState,
)
from vm.store.cache import Store
from vm.types import Address, Coin, format_address

FORFEITS = frozenset({CloseReason.PROVIDER_FAULT, CloseReason.SLASHED})
"""Closes in which the provider forfeits what it earned and has not withdrawn: the
requester gets back everything the escrow still holds for the lease."""


# -- payments ------------------------------------------------------------------------------------


def pay(keeper: MarketStore, store: Store, recipient: bytes, amount: int) -> None:
    if amount:
        coin = Coin(keeper.get_params(store).denom, amount)
        keeper.bank.send_from_module(store, ESCROW, Address(recipient), [coin])


def pay_fee(keeper: MarketStore, store: Store, amount: int) -> None:
    """The take goes to the fee collector, which distribution pays out next block."""
    if amount:
        coin = Coin(keeper.get_params(store).denom, amount)
        keeper.bank.send_between_modules(store, ESCROW, FEE_COLLECTOR, [coin])


# -- orders ----------------------------------------------------------------------------------------


def refund_order(keeper: MarketStore, ctx: Context, order: Order, state: OrderState) -> Order:
    """Close an open order (cancelled or expired) and give its deposit back."""
    store = ctx.store
    keeper.match_queue.remove(store, order.queued_height, match_item(order))
    if order.expires_ns:
        keeper.expiry_queue.remove(store, order.expires_ns, id_bytes(order.id))
    pay(keeper, store, order.requester, order.deposit)
    closed = msgspec.structs.replace(
        order, state=state, closed_height=ctx.env.height, closed_ns=ctx.env.time_ns, refunded=order.deposit
    )
    keeper.set_order(store, order, closed)
    reason = "expired" if state == OrderState.EXPIRED else "cancelled"
    requester = format_address(Address(order.requester))
    ctx.emit(
        OrderClosed(order_id=str(order.id), requester=requester, reason=reason, refunded=str(order.deposit))
    )
    return closed


# -- opening and accepting ---------------------------------------------------------------------------


def open_lease(
    keeper: MarketStore,
    ctx: Context,
    order: Order,
    offer: Offer,
    price: int,
    premium: bool,
    params: MarketParams,
    lease_id: int,
) -> Lease:
    """A lease ``lease_id`` of ``order``'s GPUs from ``offer`` at ``price``, holding the order's
    deposit, waiting for the provider to accept it within ``accept_timeout_blocks``: its record
    and indexes, the order matched, and ``lease_matched``. The id counter, the accept queue,
    the offer's GPUs and its class's leased GPUs are the caller's to write, which matching does
    once a block for all its leases (vm/market/matching.py, ``BlockLeases``)."""
    store, env = ctx.store, ctx.env
    gpus = order.requirements.gpus
    # In field order: matching opens a hundred leases a block, and a struct of this many
    # fields takes its arguments by name three times slower.
    lease = Lease(
        lease_id,  # id
        order.id,  # order_id
        offer.id,  # offer_id
        offer.provider,  # provider
        order.requester,  # requester
        offer.gpu_class,  # gpu_class
        gpus,  # gpus
        price,  # rate
        params.premium_take_rate_bps if premium else params.take_rate_bps,  # take_rate_bps
        order.deposit,  # deposit
        0,  # withdrawn
        order.duration_s,  # duration_s
        env.height,  # matched_height
        env.time_ns,  # matched_ns
        env.height + params.accept_timeout_blocks,  # accept_deadline
        0,  # accepted_height
        0,  # start_ns
        0,  # warn_ns
        LeaseState.PENDING,  # state
        None,  # closed
    )
    keeper.set_lease(store, None, lease)
    matched = msgspec.structs.replace(order, state=OrderState.MATCHED, lease_id=lease.id)
    keeper.set_order(store, order, matched)
    if order.expires_ns:  # a matched order no longer expires
        keeper.expiry_queue.remove(store, order.expires_ns, id_bytes(order.id))
    ctx.emit(
        LeaseMatched(
            lease_id=str(lease.id),
            order_id=str(order.id),
            offer_id=str(offer.id),
            provider=bech32(lease.provider),
            requester=bech32(lease.requester),
            gpus=str(gpus),
            rate=str(price),
            accept_deadline=str(lease.accept_deadline),
        )
    )
    return lease


def take_gpus(offer: Offer, gpus: int) -> Offer:
    """The offer once a new lease holds ``gpus`` of its GPUs."""
    return msgspec.structs.replace(offer, leased=offer.leased + gpus)


def accept_lease(keeper: MarketStore, ctx: Context, lease: Lease) -> Lease:
    """Start a pending lease: charging runs from this block's time."""
    store = ctx.store
    unschedule(keeper, store, lease)
    started = msgspec.structs.replace(
        lease, state=LeaseState.ACTIVE, accepted_height=ctx.env.height, start_ns=ctx.env.time_ns
    )
    started = schedule(keeper, store, started)
    keeper.set_lease(store, lease, started)
    ctx.emit(
        LeaseAccepted(
            lease_id=str(lease.id),
            provider=format_address(Address(lease.provider)),
            requester=format_address(Address(lease.requester)),
            start_ns=str(started.start_ns),
            due_ns=str(get_due_ns(started)),
        )
    )
    return started


# -- the queues a lease waits in ---------------------------------------------------------------------


def schedule(keeper: MarketStore, store: Store, lease: Lease) -> Lease:
    """Queue a lease for what comes next to it; returns it with its warning time."""
    if lease.state == LeaseState.ACTIVE:
        warning_s = keeper.get_params(store).escrow_low_warning_s
        lease = msgspec.structs.replace(lease, warn_ns=get_warn_ns(lease, warning_s))
    enqueue(keeper, store, lease)
    return lease


def enqueue(keeper: MarketStore, store: Store, lease: Lease) -> None:
    """Put a lease in the queues its fields name (genesis restores them this way)."""
    item = id_bytes(lease.id)
    if lease.state == LeaseState.PENDING:
        keeper.accept_queue.push(store, lease.accept_deadline, item)
    elif lease.state == LeaseState.ACTIVE:
        keeper.close_queue.push(store, get_due_ns(lease), item)
        if lease.warn_ns:
            keeper.low_queue.push(store, lease.warn_ns, item)


def unschedule(keeper: MarketStore, store: Store, lease: Lease) -> None:
    item = id_bytes(lease.id)
    if lease.state == LeaseState.PENDING:
        keeper.accept_queue.remove(store, lease.accept_deadline, item)
    elif lease.state == LeaseState.ACTIVE:
        keeper.close_queue.remove(store, get_due_ns(lease), item)
        if lease.warn_ns:
            keeper.low_queue.remove(store, lease.warn_ns, item)


def get_warn_ns(lease: Lease, warning_s: int) -> int:
    """When escrow_low fires: ``warning_s`` before the run-out of a lease whose escrow runs out
    before its end; 0 (no warning) for one that completes first, or with no warning time."""
    if not warning_s or not runs_out(lease):
        return 0
    return max(get_run_out_ns(lease) - warning_s * NS_PER_SECOND, 1)


# -- changing an open lease ------------------------------------------------------------------------------


def top_up(keeper: MarketStore, ctx: Context, lease: Lease, amount: int, extend_s: int) -> Lease:
    """Add ``amount`` to the lease's escrow (from its requester) and ``extend_s`` to its
    duration; its due time and warning move with them."""
    store = ctx.store
    if amount:
        coin = Coin(keeper.get_params(store).denom, amount)
        keeper.bank.send_to_module(store, Address(lease.requester), ESCROW, [coin])
    unschedule(keeper, store, lease)
    grown = msgspec.structs.replace(
        lease, deposit=lease.deposit + amount, duration_s=lease.duration_s + extend_s, warn_ns=0
    )
    grown = schedule(keeper, store, grown)
    keeper.set_lease(store, lease, grown)
    return grown


def withdraw(keeper: MarketStore, ctx: Context, lease: Lease) -> tuple[int, int]:
    """Pay the provider what the lease earned since the last settlement, less the take;
    returns what the provider got and the take."""
    store = ctx.store
    earned = get_earned(lease, ctx.env.time_ns)
    to_provider, fee = compute_payout(lease, earned)
    pay(keeper, store, lease.provider, to_provider)
    pay_fee(keeper, store, fee)
    keeper.set_lease(store, lease, msgspec.structs.replace(lease, withdrawn=earned))
    return to_provider, fee


# -- closing -------------------------------------------------------------------------------------------------


def close_lease(keeper: MarketStore, ctx: Context, lease: Lease, reason: CloseReason) -> Lease:
    """Close an open lease: charge it up to now (never past its due time), pay the provider
    its earnings less the take, refund the requester the rest, take any penalty from the
    provider's collateral, free the offer's GPUs and move the provider's reputation."""
    store, env = ctx.store, ctx.env
    params = keeper.get_params(store)
    unschedule(keeper, store, lease)
    earned = lease.withdrawn if reason in FORFEITS else get_earned(lease, env.time_ns)
    to_provider, fee = compute_payout(lease, earned)
    refund = lease.deposit - earned
    pay(keeper, store, lease.provider, to_provider)
    pay_fee(keeper, store, fee)
    pay(keeper, store, lease.requester, refund)
    penalty = take_penalty(keeper, store, lease, reason)
    release_gpus(keeper, store, lease)
    delta = reputation_delta(reason, params)
    if delta:
        keeper.providers.adjust_reputation(store, Address(lease.provider), delta)
    record = LeaseClose(
        reason=reason,
        height=env.height,
        time_ns=charged_until(lease, env.time_ns),
        earned=earned,
        fee=compute_take(earned, lease.take_rate_bps),
        refunded=refund,
        penalty=penalty,
    )
    closed = msgspec.structs.replace(
        lease, state=LeaseState.CLOSED, withdrawn=earned, warn_ns=0, closed=record
    )
    keeper.set_lease(store, lease, closed)
    ctx.emit(
        LeaseClosed(
            lease_id=str(lease.id),
            provider=format_address(Address(lease.provider)),
            requester=format_address(Address(lease.requester)),
            reason=reason.name.lower(),
            earned=str(earned),
            fee=str(record.fee),
            refunded=str(refund),
            penalty="" if penalty is None else f"{penalty.amount}{penalty.denom}",
        )
    )
    return closed


def charged_until(lease: Lease, time_ns: int) -> int:
    """The instant a lease closing at ``time_ns`` is charged up to: never past its due time
    (a lease closed late by a settlement backlog is charged only to its due time)."""
    if lease.state != LeaseState.ACTIVE:
        return time_ns
    return min(time_ns, get_due_ns(lease))


def natural_reason(lease: Lease) -> CloseReason:
    """Why an active lease closes at its due time: its escrow ran out first, or it completed."""
    return CloseReason.INSUFFICIENT_FUNDS if runs_out(lease) else CloseReason.COMPLETED


def is_due(lease: Lease, time_ns: int) -> bool:
    """Whether an active lease has reached its due time (it closes, or waits in the backlog)."""
    return lease.state == LeaseState.ACTIVE and get_due_ns(lease) <= time_ns


def release_gpus(keeper: MarketStore, store: Store, lease: Lease) -> None:
    """Give a closing lease's GPUs back to its offer (and its class's utilisation)."""
    offer = keeper.offer(store, lease.offer_id)
    keeper.save_offer(store, offer, msgspec.structs.replace(offer, leased=offer.leased - lease.gpus))
    keeper.add_class_gpus(store, lease.gpu_class, offered=0, leased=-lease.gpus)


def take_penalty(keeper: MarketStore, store: Store, lease: Lease, reason: CloseReason) -> Coin | None:
    """The collateral the provider pays the requester for closing or failing a lease."""
    params = keeper.get_params(store)
    amount = {
        CloseReason.PROVIDER_CLOSED: params.provider_close_penalty,
        CloseReason.PROVIDER_FAULT: params.fault_penalty,
    }.get(reason, 0)
    if not amount:
        return None
    return keeper.providers.take_collateral(store, Address(lease.provider), amount, Address(lease.requester))


def reputation_delta(reason: CloseReason, params: MarketParams) -> int:
    """How a close moves the provider's reputation: up for a completed lease, down for
    closing one, more for a fault, sharply for a slash; other outcomes are not its doing."""
    return {
        CloseReason.COMPLETED: params.reputation_completed,
        CloseReason.PROVIDER_CLOSED: -params.reputation_provider_closed,
        CloseReason.PROVIDER_FAULT: -params.reputation_fault,
        CloseReason.SLASHED: -params.reputation_slashed,
    }.get(reason, 0)
