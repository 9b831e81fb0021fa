"""market in the module registry. It comes after provider: it reads providers through the
provider keeper and registers hooks with it (a provider's exit closes its leases and
offers first), and after staking, whose keeper tells delegated stake for the premium tier
and whose hooks let it count each delegator's delegations."""

from __future__ import annotations

from functools import partial

from genesis.market import MarketGenesis, MarketParams
from vm.market import blocks, genesis, handlers, invariants, queries, services
from vm.market.hooks import MarketProviderHooks, MarketStakingHooks
from vm.market.keeper import MarketKeeper
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
)
from vm.market.params import validate_params
from vm.market.store import ESCROW, FEE_COLLECTOR
from vm.module import Module, ModuleAccount, ModuleDef, ModuleGenesis, ModuleParams, Wiring, store_prefix

NAME = "market"


def build(wiring: Wiring) -> Module:
    if FEE_COLLECTOR not in wiring.accounts:
        raise LookupError(
            f"the market pays its take to the {FEE_COLLECTOR!r} account, which no module declares"
        )
    params = ModuleParams(MarketParams, validate_params, store_prefix(NAME))
    providers, staking = wiring.keeper("provider"), wiring.keeper("staking")
    keeper = MarketKeeper(store_prefix(NAME), params, wiring.keeper("bank"), providers, staking)
    providers.set_hooks(MarketProviderHooks(keeper))
    staking.set_hooks(MarketStakingHooks(keeper))  # after distribution's and slashing's
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            MarketGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgCreateOffer: partial(handlers.handle_create_offer, keeper),
            MsgUpdateOffer: partial(handlers.handle_update_offer, keeper),
            MsgCloseOffer: partial(handlers.handle_close_offer, keeper),
            MsgCreateOrder: partial(handlers.handle_create_order, keeper),
            MsgCancelOrder: partial(handlers.handle_cancel_order, keeper),
            MsgDepositEscrow: partial(handlers.handle_deposit_escrow, keeper),
            MsgAcceptLease: partial(handlers.handle_accept_lease, keeper),
            MsgCloseLease: partial(handlers.handle_close_lease, keeper),
            MsgWithdrawLease: partial(handlers.handle_withdraw_lease, keeper),
            MsgUpdateParams: partial(handlers.handle_update_params, keeper, wiring.authority),
        },
        queries={
            "offer": partial(queries.query_offer, keeper),
            "offers": partial(queries.query_offers, keeper),
            "order": partial(queries.query_order, keeper),
            "orders": partial(queries.query_orders, keeper),
            "lease": partial(queries.query_lease, keeper),
            "leases": partial(queries.query_leases, keeper),
            "price_index": partial(queries.query_price_index, keeper),
            "summary": partial(queries.query_summary, keeper),
        },
        services=services.services(keeper),
        params=params,
        begin_block=partial(blocks.begin_block, keeper),
        end_block=partial(blocks.end_block, keeper),
        invariants={
            "escrow-backed": partial(invariants.escrow_backed, keeper),
            "leases-settled": partial(invariants.leases_settled, keeper),
            "offer-totals": partial(invariants.offer_totals, keeper),
            "orders-queued": partial(invariants.orders_queued, keeper),
            "prices-kept": partial(invariants.prices_kept, keeper),
            "stakers-counted": partial(invariants.stakers_counted, keeper),
            "records-tallied": partial(invariants.records_tallied, keeper),
        },
    )


MODULE = ModuleDef(NAME, build, accounts=(ModuleAccount(ESCROW),))
