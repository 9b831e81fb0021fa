"""market message handlers, one per message: the checks that need state, then the keeper.
Creating an offer or an order answers with its new id (``MsgCreateOfferResponse``,
``MsgCreateOrderResponse``); the other messages answer with an empty response."""

from __future__ import annotations

import msgspec

from genesis.market import MarketParams
from protos.depind.market.v1 import tx_pb2
from vm.context import Context
from vm.errors import InvalidCoins, InvalidRequest, Unauthorized
from vm.market import errors
from vm.market.escrow import compute_payout, get_earned
from vm.market.events import (
    EscrowDeposited,
    LeaseWithdrawn,
    OfferClosed,
    OfferCreated,
    OfferUpdated,
    OrderCreated,
)
from vm.market.expected import ProviderI
from vm.market.keeper import MarketKeeper, registered_gpus
from vm.market.msgs import (
    MsgAcceptLease,
    MsgCancelOrder,
    MsgCloseLease,
    MsgCloseOffer,
    MsgCreateOffer,
    MsgCreateOrder,
    MsgDepositEscrow,
    MsgUpdateOffer,
    MsgUpdateParams,
    MsgWithdrawLease,
    validate_durations,
)
from vm.market.pricing import compute_required_deposit
from vm.market.settlement import accept_lease, close_lease, is_due, refund_order, top_up, withdraw
from vm.market.store import ESCROW, id_bytes
from vm.market.types import CloseReason, Lease, LeaseState, Offer, OfferState, Order, OrderState, Pricing
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address

MAX_AMOUNT = 2**63 - 1

# -- offers --------------------------------------------------------------------------------------


def handle_create_offer(
    keeper: MarketKeeper, ctx: Context, msg: MsgCreateOffer
) -> tx_pb2.MsgCreateOfferResponse:
    store = ctx.store
    owner = parse_address(msg.provider, "provider")
    params = keeper.get_params(store)
    provider = active_provider(keeper, store, owner)
    check_pricing(msg.pricing, params)
    check_durations(msg.min_duration_s, msg.max_duration_s, params)
    if len(keeper.open_offer_ids(store, owner)) >= params.max_offers_per_provider:
        raise errors.TooManyOffers(f"a provider has at most {params.max_offers_per_provider} open offers")
    offer = Offer(
        id=keeper.next_id(store, b"offer"),
        provider=owner,
        gpu_class=msg.gpu_class,
        count=msg.count,
        leased=0,
        pricing=msg.pricing,
        min_duration_s=msg.min_duration_s,
        max_duration_s=msg.max_duration_s,
        job_kinds=msg.job_kinds,
        state=OfferState.ACTIVE,
        created_height=ctx.env.height,
    )
    check_committable(keeper, store, provider, None, offer)
    keeper.save_offer(store, None, offer)
    ctx.emit(
        OfferCreated(
            offer_id=str(offer.id), provider=msg.provider, model=offer.gpu_class.model, count=str(offer.count)
        )
    )
    return tx_pb2.MsgCreateOfferResponse(offer_id=offer.id)


def handle_update_offer(keeper: MarketKeeper, ctx: Context, msg: MsgUpdateOffer) -> None:
    store = ctx.store
    params = keeper.get_params(store)
    offer = own_open_offer(keeper, store, msg.offer_id, msg.provider)
    provider = active_provider(keeper, store, Address(offer.provider))
    pricing = msg.pricing or offer.pricing
    check_pricing(pricing, params)
    min_s = msg.min_duration_s or offer.min_duration_s
    max_s = msg.max_duration_s or offer.max_duration_s
    check_durations(min_s, max_s, params)
    state = OfferState.PAUSED if msg.pause else OfferState.ACTIVE if msg.resume else offer.state
    updated = msgspec.structs.replace(
        offer,
        pricing=pricing,
        count=msg.count or offer.count,
        min_duration_s=min_s,
        max_duration_s=max_s,
        job_kinds=msg.job_kinds or offer.job_kinds,
        state=state,
    )
    check_committable(keeper, store, provider, offer, updated)
    keeper.save_offer(store, offer, updated)
    ctx.emit(
        OfferUpdated(offer_id=str(offer.id), provider=msg.provider, state=OfferState(state).name.lower())
    )


def handle_close_offer(keeper: MarketKeeper, ctx: Context, msg: MsgCloseOffer) -> None:
    offer = own_open_offer(keeper, ctx.store, msg.offer_id, msg.provider)
    keeper.close_offer(ctx.store, offer.id)
    ctx.emit(OfferClosed(offer_id=str(offer.id), provider=msg.provider))


def active_provider(keeper: MarketKeeper, store: ReadStore, owner: Address) -> ProviderI:
    provider = keeper.providers.get_provider(store, owner)
    if provider is None or not provider.is_active():
        raise errors.ProviderNotActive(format_address(owner))
    return provider


def own_open_offer(keeper: MarketKeeper, store: ReadStore, offer_id: int, sender: str) -> Offer:
    offer = keeper.offer(store, offer_id)
    if offer.provider != parse_address(sender, "provider"):
        raise errors.NotOwner(f"offer {offer_id} belongs to {format_address(Address(offer.provider))}")
    if offer.state == OfferState.CLOSED:
        raise errors.OfferClosed(f"offer {offer_id}")
    return offer


def check_pricing(pricing: Pricing, params: MarketParams) -> None:
    highest = max(pricing.price, pricing.cap)
    if highest > params.max_price:
        raise errors.PriceAboveMax(f"{highest} per GPU-hour; the most is {params.max_price}")


def check_durations(min_s: int, max_s: int, params: MarketParams) -> None:
    validate_durations(min_s, max_s)
    if min_s < params.min_duration_s or max_s > params.max_duration_s:
        raise errors.InvalidDuration(
            f"durations must lie within [{params.min_duration_s}, {params.max_duration_s}] seconds"
        )


def check_committable(
    keeper: MarketKeeper, store: ReadStore, provider: ProviderI, old: Offer | None, new: Offer
) -> None:
    """An offer holds GPUs of a class its provider registered, and all its provider's offers
    and leases together hold no more of them than it registered."""
    registered = registered_gpus(provider.gpus, new.gpu_class)
    if registered == 0:
        raise errors.HardwareNotRegistered(f"{new.gpu_class.model} ({new.gpu_class.memory_mib} MiB)")
    before = 0 if old is None else old.commitment()
    committed = keeper.get_commitment(store, new.provider, new.gpu_class) - before + new.commitment()
    if committed > registered:
        raise errors.GpusOverCommitted(f"{committed} gpus committed of {registered} registered")


# -- orders --------------------------------------------------------------------------------------


def handle_create_order(
    keeper: MarketKeeper, ctx: Context, msg: MsgCreateOrder
) -> tx_pb2.MsgCreateOrderResponse:
    store, env = ctx.store, ctx.env
    requester = parse_address(msg.requester, "requester")
    params = keeper.get_params(store)
    check_order(msg, params, env.time_ns)
    keeper.bank.send_to_module(store, requester, ESCROW, [msg.deposit])
    premium = keeper.is_premium(store, requester)
    order = Order(
        id=keeper.next_id(store, b"order"),
        requester=requester,
        requirements=msg.requirements,
        duration_s=msg.duration_s,
        max_price=msg.max_price,
        deposit=msg.deposit.amount,
        expires_ns=msg.expires_ns,
        state=OrderState.OPEN,
        premium=premium,
        created_height=env.height,
        created_ns=env.time_ns,
        queued_height=env.height,  # due its first try at the end of this block
        lease_id=0,
        closed_height=0,
        closed_ns=0,
        refunded=0,
    )
    keeper.queue_order(store, order, new=True)
    if order.expires_ns:
        keeper.expiry_queue.push(store, order.expires_ns, id_bytes(order.id))
    ctx.emit(
        OrderCreated(
            order_id=str(order.id),
            requester=msg.requester,
            deposit=str(order.deposit),
            premium=str(premium).lower(),
        )
    )
    return tx_pb2.MsgCreateOrderResponse(order_id=order.id)


def check_order(msg: MsgCreateOrder, params: MarketParams, now_ns: int) -> None:
    if msg.max_price > params.max_price:
        raise errors.PriceAboveMax(f"max_price {msg.max_price}; the most is {params.max_price}")
    if not params.min_duration_s <= msg.duration_s <= params.max_duration_s:
        raise errors.InvalidDuration(
            f"duration_s must lie within [{params.min_duration_s}, {params.max_duration_s}]"
        )
    if msg.deposit.denom != params.denom:
        raise InvalidCoins(f"deposit in {params.denom}, not {msg.deposit.denom}")
    required = compute_required_deposit(msg.max_price, msg.requirements.gpus, msg.duration_s)
    if msg.deposit.amount < required:
        raise errors.BudgetTooLow(f"deposit {msg.deposit.amount}{msg.deposit.denom}; need {required}")
    if msg.expires_ns and msg.expires_ns <= now_ns:
        raise errors.ExpiryPassed(f"expires_ns {msg.expires_ns} is not after the block time {now_ns}")


def handle_cancel_order(keeper: MarketKeeper, ctx: Context, msg: MsgCancelOrder) -> None:
    order = keeper.order(ctx.store, msg.order_id)
    if order.requester != parse_address(msg.requester, "requester"):
        raise errors.NotOwner(f"order {order.id} belongs to {format_address(Address(order.requester))}")
    if order.state != OrderState.OPEN:
        raise errors.OrderNotOpen(f"order {order.id} is {OrderState(order.state).name.lower()}")
    refund_order(keeper, ctx, order, OrderState.CANCELLED)


# -- leases --------------------------------------------------------------------------------------


def handle_deposit_escrow(keeper: MarketKeeper, ctx: Context, msg: MsgDepositEscrow) -> None:
    store = ctx.store
    lease = open_lease_of(keeper, ctx, msg.lease_id)
    if lease.requester != parse_address(msg.requester, "requester"):
        raise errors.NotLeaseParty(f"only the requester of lease {lease.id} may deposit to it")
    params = keeper.get_params(store)
    amount = 0 if msg.amount is None else msg.amount.amount
    if msg.amount is not None and msg.amount.denom != params.denom:
        raise InvalidCoins(f"escrow is held in {params.denom}")
    if lease.deposit + amount > MAX_AMOUNT:
        raise InvalidRequest("the lease's deposit would overflow")
    longest = min(keeper.offer(store, lease.offer_id).max_duration_s, params.max_duration_s)
    if lease.duration_s + msg.extend_s > longest:
        raise errors.InvalidDuration(f"a lease of this offer lasts at most {longest} seconds")
    grown = top_up(keeper, ctx, lease, amount, msg.extend_s)
    ctx.emit(
        EscrowDeposited(
            lease_id=str(lease.id),
            provider=format_address(Address(lease.provider)),
            requester=msg.requester,
            amount=str(amount),
            duration_s=str(grown.duration_s),
        )
    )


def handle_accept_lease(keeper: MarketKeeper, ctx: Context, msg: MsgAcceptLease) -> None:
    lease = keeper.lease(ctx.store, msg.lease_id)
    if lease.provider != parse_address(msg.provider, "provider"):
        raise errors.NotLeaseParty(f"only the provider of lease {lease.id} may accept it")
    if lease.state != LeaseState.PENDING:
        raise errors.LeaseNotPending(f"lease {lease.id} is {LeaseState(lease.state).name.lower()}")
    if ctx.env.height > lease.accept_deadline:
        raise errors.LeaseNotPending(f"lease {lease.id} had to be accepted by height {lease.accept_deadline}")
    accept_lease(keeper, ctx, lease)


def handle_close_lease(keeper: MarketKeeper, ctx: Context, msg: MsgCloseLease) -> None:
    lease = open_lease_of(keeper, ctx, msg.lease_id)
    sender = parse_address(msg.sender, "sender")
    if sender == lease.requester:
        close_lease(keeper, ctx, lease, CloseReason.REQUESTER_CLOSED)
    elif sender == lease.provider:
        close_lease(keeper, ctx, lease, CloseReason.PROVIDER_CLOSED)
    else:
        raise errors.NotLeaseParty(f"only the requester or the provider of lease {lease.id} may close it")


def handle_withdraw_lease(keeper: MarketKeeper, ctx: Context, msg: MsgWithdrawLease) -> None:
    lease = keeper.lease(ctx.store, msg.lease_id)
    if lease.provider != parse_address(msg.provider, "provider"):
        raise errors.NotLeaseParty(f"only the provider of lease {lease.id} may withdraw from it")
    if lease.state != LeaseState.ACTIVE:
        raise errors.LeaseNotOpen(f"lease {lease.id} is {LeaseState(lease.state).name.lower()}")
    if compute_payout(lease, get_earned(lease, ctx.env.time_ns)) == (0, 0):
        raise errors.NothingToWithdraw(f"lease {lease.id} has earned nothing since the last withdrawal")
    paid, fee = withdraw(keeper, ctx, lease)
    ctx.emit(
        LeaseWithdrawn(
            lease_id=str(lease.id),
            provider=msg.provider,
            requester=format_address(Address(lease.requester)),
            amount=str(paid),
            fee=str(fee),
        )
    )


def open_lease_of(keeper: MarketKeeper, ctx: Context, lease_id: int) -> Lease:
    """A lease still open at this block's time: not closed, and not past its due time (one a
    settlement backlog has not closed yet is closing, not open)."""
    lease = keeper.lease(ctx.store, lease_id)
    if lease.state == LeaseState.CLOSED:
        raise errors.LeaseNotOpen(f"lease {lease_id} is closed")
    if is_due(lease, ctx.env.time_ns):
        raise errors.LeaseNotOpen(f"lease {lease_id} has reached its end and is closing")
    return lease


# -- params --------------------------------------------------------------------------------------


def handle_update_params(
    keeper: MarketKeeper, authority: Address, ctx: Context, msg: MsgUpdateParams
) -> None:
    """Only the authority changes params; the denom only while the escrow holds none of the old."""
    if msg.authority != format_address(authority):
        raise Unauthorized(f"expected {format_address(authority)} as authority, got {msg.authority}")
    old = keeper.get_params(ctx.store).denom
    held = keeper.bank.get_balance(ctx.store, keeper.bank.module_address(ESCROW), old)
    if msg.params.denom != old and held:
        raise InvalidRequest(f"the market denom cannot change while escrow holds {held}{old}")
    keeper.params.set(ctx.store, msg.params)
