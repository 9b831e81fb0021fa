"""Market test helpers: message builders and ``Market``, which drives the chain's modules
through the registry block by block (begin block, messages, end block) with the block
time under the test's control, so settlement can be checked to the nanosecond.

Messages run as a tx's messages do (stateless checks, then the handler in a cache kept
only on success) but without signatures or fees, so balances move only by what the
market does. ``tests/vm/market/test_app.py`` runs the same flows through signed txs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from genesis.market import MarketGenesis, MarketParams
from genesis.schema import ProviderParams
from node.keys.hd import PrivateKey
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_BLOCK_NS,
    DAVE,
    DENOM,
    FUNDS,
    ModuleChain,
    make_genesis,
    raw,
    register_msg,
    with_app_state,
)
from vm.context import Event
from vm.market.keeper import MarketKeeper
from vm.market.msgs import MsgCreateOffer, MsgCreateOrder
from vm.market.pricing import compute_required_deposit
from vm.market.store import ESCROW
from vm.market.types import GpuClass, Lease, Offer, Order, Pricing, Requirements
from vm.msg import Msg
from vm.provider.keeper import Provider, ProviderKeeper
from vm.provider.msgs import GpuSpec
from vm.registry import Registry
from vm.types import Address, Coin, module_address

SECOND = 10**9
HOUR = 3_600 * SECOND
BLOCK_NS = CHAIN_BLOCK_NS
COLLATERAL = 10_000_000
PRICE = 3_600_000  # udepin per GPU-hour: 1,000 udepin per GPU-second
H100 = GpuClass("NVIDIA H100 80GB HBM3", 81_559, "9.0")
L4 = GpuClass("NVIDIA L4", 23_034, "8.9")
PROVIDERS = (ALICE, DAVE)
REQUESTERS = (BOB, CAROL)

PARAMS = MarketParams(
    min_duration_s=60,
    max_duration_s=7 * 24 * 3600,
    accept_timeout_blocks=3,
    fault_penalty=50_000,
    provider_close_penalty=70_000,
    escrow_low_warning_s=600,
    premium_min_stake=5_000_000,
    min_reference_price=1_000_000,
)
PROVIDER_PARAMS = ProviderParams(unbonding_blocks=2)


def market_genesis(params: MarketParams = PARAMS, funded: Mapping[Any, int] | None = None) -> Any:
    """Providers Alice and Dave, requesters Bob and Carol (funded), and these market params."""
    doc = make_genesis(
        funded if funded is not None else {k: FUNDS for k in (*PROVIDERS, *REQUESTERS)},
        provider_params=PROVIDER_PARAMS,
    )
    return with_app_state(doc, market=MarketGenesis(params=params))


def gpu_spec(gpu_class: GpuClass, count: int) -> GpuSpec:
    return GpuSpec(gpu_class.model, gpu_class.memory_mib, gpu_class.compute_capability, count, [])


def offer_msg(
    provider: PrivateKey,
    count: int = 1,
    price: int = PRICE,
    *,
    pricing: Pricing | None = None,
    gpu_class: GpuClass = H100,
    min_s: int = 60,
    max_s: int = 24 * 3600,
    kinds: Sequence[str] = ("gemm",),
) -> MsgCreateOffer:
    chosen = pricing if pricing is not None else Pricing(price, 0, 0, 0)
    return MsgCreateOffer(provider.address, gpu_class, count, chosen, min_s, max_s, list(kinds))


def requirements(
    gpus: int = 1,
    *,
    models: Sequence[str] = (),
    min_memory: int = 0,
    min_capability: str = "",
    regions: Sequence[str] = (),
    min_reputation: int = 0,
    min_capacity: int = 0,
    job_kind: str = "",
) -> Requirements:
    return Requirements(
        list(models), min_memory, min_capability, gpus, list(regions), min_reputation, min_capacity, job_kind
    )


def order_msg(
    requester: PrivateKey,
    gpus: int = 1,
    duration_s: int = 3_600,
    max_price: int = PRICE,
    *,
    deposit: int | None = None,
    expires_ns: int = 0,
    **wanted: Any,
) -> MsgCreateOrder:
    """An order with exactly the least deposit unless ``deposit`` says otherwise."""
    amount = compute_required_deposit(max_price, gpus, duration_s) if deposit is None else deposit
    return MsgCreateOrder(
        requester.address,
        requirements(gpus, **wanted),
        duration_s,
        max_price,
        Coin(DENOM, amount),
        expires_ns,
    )


class Market(ModuleChain):
    """Blocks of market work on a cache over a genesis. ``block`` runs one whole block;
    ``begin``/``run``/``end`` run its parts, for tests that look between them."""

    def __init__(self, doc: Any = None, registry: Registry | None = None) -> None:
        super().__init__(doc if doc is not None else market_genesis(), registry)

    # -- driving blocks ----------------------------------------------------------------------

    @property
    def keeper(self) -> MarketKeeper:
        keeper: MarketKeeper = self.registry.keeper("market")
        return keeper

    @property
    def providers(self) -> ProviderKeeper:
        keeper: ProviderKeeper = self.registry.keeper("provider")
        return keeper

    def begin(self) -> list[Event]:
        ctx = self.ctx()
        self.registry.begin_block(ctx)
        self.events.extend(ctx.events)
        return ctx.events

    def end(self, gap_ns: int = BLOCK_NS) -> list[Event]:
        """End this block; the next one comes ``gap_ns`` later."""
        ctx = self.ctx()
        self.registry.end_block(ctx)
        self.events.extend(ctx.events)
        self.height += 1
        self.time_ns += gap_ns
        return ctx.events

    def block(self, *msgs: Msg, gap_ns: int = BLOCK_NS) -> list[Event]:
        """A whole block with ``msgs`` (each must succeed); returns its events."""
        events = self.begin()
        for msg in msgs:
            events += self.run(msg)
        return events + self.end(gap_ns)

    def blocks(self, count: int, gap_ns: int = BLOCK_NS) -> None:
        for _ in range(count):
            self.block(gap_ns=gap_ns)

    def at(self, time_ns: int) -> None:
        """Make the next block's time ``time_ns``."""
        assert time_ns > self.time_ns - BLOCK_NS, "block times only go forward"
        self.time_ns = time_ns

    # -- set-ups -------------------------------------------------------------------------------

    def register(self, provider: PrivateKey, *gpus: GpuSpec, region: str = "eu-west") -> None:
        specs = list(gpus) or [gpu_spec(H100, 8)]
        self.block(register_msg(provider, specs, collateral=COLLATERAL, region=region))

    # -- reads ---------------------------------------------------------------------------------

    def offer(self, offer_id: int) -> Offer:
        return self.keeper.offer(self.store, offer_id)

    def order(self, order_id: int) -> Order:
        return self.keeper.order(self.store, order_id)

    def lease(self, lease_id: int) -> Lease:
        return self.keeper.lease(self.store, lease_id)

    def provider(self, owner: PrivateKey) -> Provider:
        found = self.providers.get_provider(self.store, raw(owner))
        assert found is not None
        return found

    def balance(self, holder: PrivateKey | bytes) -> int:
        address = Address(holder) if isinstance(holder, bytes) else raw(holder)
        return self.bank.get_balance(self.store, address, DENOM)

    def escrow_balance(self) -> int:
        return self.balance(module_address(ESCROW))

    def fee_collector(self) -> int:
        return self.balance(module_address("fee_collector"))

    def broken(self) -> list[str]:
        return self.registry.broken_invariants(self.store)

    def event_list(self, type_: str) -> list[dict[str, str]]:
        return [{a.key: a.value for a in e.attributes} for e in self.events if e.type == type_]


def market_with_offer(count: int = 4, price: int = PRICE, **offer: Any) -> Market:
    """Alice registered with 8 H100s and offering ``count`` of them at ``price``."""
    market = Market()
    market.register(ALICE)
    market.block(offer_msg(ALICE, count, price, **offer))
    return market
