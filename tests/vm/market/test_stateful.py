"""Random sequences of market operations (hypothesis stateful testing): offers, orders,
accepts, top-ups, withdrawals, closes, faults, provider exits and hardware changes, with
time passing by random gaps. Every step is one block. After every step the module's
invariants hold (escrow fully backed, no lease past its due time unnoticed, every index
and queue consistent), supply is unchanged, every open lease's escrow adds up, and a twin
chain fed the same steps holds the same state (determinism)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, FUNDS, key, raw, register_msg
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
from vm.context import Context
from vm.errors import InvalidTx
from vm.market.msgs import (
    MsgAcceptLease,
    MsgCancelOrder,
    MsgCloseLease,
    MsgCloseOffer,
    MsgDepositEscrow,
    MsgUpdateOffer,
    MsgWithdrawLease,
)
from vm.market.pricing import compute_required_deposit
from vm.market.types import GpuClass, Lease, LeaseState, OfferState, OrderState, Pricing
from vm.msg import Msg
from vm.provider.msgs import MsgExitProvider, MsgUpdateProvider
from vm.store.cache import CacheStore
from vm.types import Coin

ERIN = key(5)
PROVIDERS = (ALICE, DAVE)
REQUESTERS = (BOB, CAROL, ERIN)
KEYS: dict[bytes, PrivateKey] = {raw(k): k for k in (*PROVIDERS, *REQUESTERS)}
MACHINE_PARAMS = msgspec.structs.replace(
    PARAMS,
    max_settlements_per_block=2,  # small budgets, so backlogs happen
    max_matches_per_block=3,
    max_candidates_per_order=6,
    max_price_updates_per_block=1,
    accept_timeout_blocks=6,
    escrow_low_warning_s=300,
)
HARDWARE = [gpu_spec(H100, 6), gpu_spec(L4, 2)]

providers = st.sampled_from(PROVIDERS)
requesters = st.sampled_from(REQUESTERS)
classes = st.sampled_from([H100, L4])
picks = st.integers(0, 1_000)
prices = st.integers(500_000, 5_000_000)
gaps = st.sampled_from([SECOND, 5 * SECOND, 300 * SECOND, 1_800 * SECOND, 4_000 * SECOND])
pricings = st.one_of(
    prices.map(lambda p: Pricing(p, 0, 0, 0)),
    st.tuples(st.integers(5_000, 30_000), prices, st.integers(0, 3_000_000)).map(
        lambda t: Pricing(0, t[0], t[1], t[1] + t[2])
    ),
)


class MarketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        doc = market_genesis(MACHINE_PARAMS, funded={k: FUNDS for k in (*PROVIDERS, *REQUESTERS)})
        self.markets = [Market(doc), Market(doc)]  # the twin checks determinism
        for market in self.markets:
            for provider in PROVIDERS:
                market.block(register_msg(provider, HARDWARE, collateral=COLLATERAL))
            market.block(
                offer_msg(ALICE, 3, 1_500_000, kinds=["gemm"]),
                offer_msg(DAVE, 2, pricing=Pricing(0, 15_000, 1, 10_000_000), kinds=["gemm"]),
                offer_msg(ALICE, 1, 1_000_000, gpu_class=L4, kinds=["gemm"]),
            )
        self.supply = self.market.bank.get_supply(self.market.store, DENOM)

    @property
    def market(self) -> Market:
        return self.markets[0]

    def pick_lease(self, pick: int, *states: LeaseState) -> Lease | None:
        """One of the leases in ``states`` (an existing one, so rules act on real leases)."""
        found = [
            lease for lease in self.market.keeper.iterate_leases(self.market.store) if lease.state in states
        ]
        return found[pick % len(found)] if found else None

    def pick_id(self, pick: int, ids: list[int]) -> int:
        """An existing id most of the time; sometimes one that does not exist."""
        return ids[pick % len(ids)] if ids and pick % 8 else pick + 1

    def step(
        self,
        msg: Msg | None = None,
        gap_ns: int = 5 * SECOND,
        action: Callable[[Market, Context], object] | None = None,
    ) -> None:
        """One block on each twin: ``msg`` (or ``action`` on the keeper) as a tx would run it."""
        for market in self.markets:
            market.begin()
            if msg is not None:
                with contextlib.suppress(InvalidTx):  # a rejected message leaves nothing behind
                    market.run(msg)
            if action is not None:
                tx = CacheStore(market.store)
                try:
                    action(market, market.ctx(tx))
                except InvalidTx:
                    pass
                else:
                    tx.write()
            market.end(gap_ns)

    # -- providers ---------------------------------------------------------------------------

    @rule(
        provider=providers,
        gpu_class=classes,
        count=st.integers(1, 4),
        pricing=pricings,
        span=st.integers(0, 2),
    )
    def create_offer(
        self, provider: PrivateKey, gpu_class: GpuClass, count: int, pricing: Pricing, span: int
    ) -> None:
        max_s = (600, 7_200, 86_400)[span]
        self.step(
            offer_msg(
                provider, count, pricing=pricing, gpu_class=gpu_class, max_s=max_s, kinds=["gemm", "mlp"]
            )
        )

    @rule(pick=picks, count=st.integers(0, 5), toggle=st.integers(0, 2), pricing=st.none() | pricings)
    def update_offer(self, pick: int, count: int, toggle: int, pricing: Pricing | None) -> None:
        offer_id = self.pick_id(pick, self.open_offers())
        provider = self.offer_owner(offer_id, pick)
        msg = MsgUpdateOffer(provider.address, offer_id, pricing, count, 0, 0, [], toggle == 1, toggle == 2)
        if count or pricing or toggle:
            self.step(msg)

    @rule(pick=picks)
    def close_offer(self, pick: int) -> None:
        offer_id = self.pick_id(pick, self.open_offers())
        self.step(MsgCloseOffer(self.offer_owner(offer_id, pick).address, offer_id))

    def open_offers(self) -> list[int]:
        keeper, store = self.market.keeper, self.market.store
        return [o.id for o in keeper.iterate_offers(store) if o.state != OfferState.CLOSED]

    def offer_owner(self, offer_id: int, pick: int) -> PrivateKey:
        offer = self.market.keeper.get_offer(self.market.store, offer_id)
        if offer is None or pick % 7 == 0:
            return PROVIDERS[pick % 2]  # maybe the wrong one
        return KEYS[offer.provider]

    @rule(pick=picks, wrong=st.integers(0, 9))
    def accept(self, pick: int, wrong: int) -> None:
        lease = self.pick_lease(pick, LeaseState.PENDING)
        if lease is not None:
            sender = DAVE if wrong == 0 and KEYS[lease.provider] == ALICE else KEYS[lease.provider]
            self.step(MsgAcceptLease(sender.address, lease.id))

    @rule()
    def accept_pending(self) -> None:
        """Every pending lease accepted by its provider, in one block."""
        pending = [
            lease for lease in self.market.keeper.iterate_leases(self.market.store) if lease.state == 1
        ]
        for market in self.markets:
            market.begin()
            for lease in pending:
                market.run(MsgAcceptLease(KEYS[lease.provider].address, lease.id))
            market.end()

    @rule(pick=picks)
    def withdraw(self, pick: int) -> None:
        lease = self.pick_lease(pick, LeaseState.ACTIVE, LeaseState.PENDING)
        if lease is not None:
            self.step(MsgWithdrawLease(KEYS[lease.provider].address, lease.id))

    @rule(provider=providers, h100=st.integers(1, 6))
    def change_hardware(self, provider: PrivateKey, h100: int) -> None:
        self.step(
            MsgUpdateProvider(provider.address, [gpu_spec(H100, h100), gpu_spec(L4, 2)], "", "", None, None)
        )

    @rule()
    def dave_exits(self) -> None:
        self.step(MsgExitProvider(DAVE.address))

    @rule()
    def dave_registers(self) -> None:
        self.step(register_msg(DAVE, HARDWARE, collateral=COLLATERAL))

    # -- requesters ----------------------------------------------------------------------------

    @rule(
        requester=requesters,
        gpus=st.integers(1, 3),
        duration=st.sampled_from([60, 600, 3_600, 7_200]),
        max_price=st.integers(1_000_000, 6_000_000),
        extra=st.integers(0, 2_000_000),
        expires=st.none() | st.integers(1, 3_600),
        model=st.sampled_from(["", H100.model, L4.model]),
        accept=st.booleans(),
    )
    def create_order(
        self,
        requester: PrivateKey,
        gpus: int,
        duration: int,
        max_price: int,
        extra: int,
        expires: int | None,
        model: str,
        accept: bool,
    ) -> None:
        deposit = compute_required_deposit(max_price, gpus, duration) + extra
        expires_ns = 0 if expires is None else self.market.time_ns + expires * SECOND
        models = [model] if model else []
        self.step(
            order_msg(
                requester, gpus, duration, max_price, deposit=deposit, expires_ns=expires_ns, models=models
            )
        )
        if accept:  # the provider's worker accepts what it was given in the next block
            self.accept_pending()

    @rule(pick=picks)
    def cancel(self, pick: int) -> None:
        keeper, store = self.market.keeper, self.market.store
        orders = [o for o in keeper.iterate_orders(store) if o.state == OrderState.OPEN or pick % 5 == 0]
        if orders:
            order = orders[pick % len(orders)]
            sender = KEYS[order.requester] if pick % 6 else REQUESTERS[pick % 3]
            self.step(MsgCancelOrder(sender.address, order.id))

    @rule(
        pick=picks,
        amount=st.sampled_from([0, 0, 0, 1, 500_000, 3_000_000]),
        extend=st.sampled_from([0, 3_600, 7_200]),
    )
    def top_up(self, pick: int, amount: int, extend: int) -> None:
        lease = self.pick_lease(pick, LeaseState.ACTIVE, LeaseState.PENDING)
        if lease is not None and (amount or extend):
            coin = Coin(DENOM, amount) if amount else None
            self.step(MsgDepositEscrow(KEYS[lease.requester].address, lease.id, coin, extend))

    @rule(pick=picks, by=st.integers(0, 2))
    def close_lease(self, pick: int, by: int) -> None:
        lease = self.pick_lease(pick, LeaseState.ACTIVE, LeaseState.PENDING, LeaseState.CLOSED)
        if lease is not None:
            sender = (KEYS[lease.requester], KEYS[lease.provider], ERIN)[by]
            self.step(MsgCloseLease(sender.address, lease.id))

    # -- the compute module, and time ---------------------------------------------------------------

    @rule(pick=picks, slash=st.booleans())
    def fault(self, pick: int, slash: bool) -> None:
        lease = self.pick_lease(pick, LeaseState.ACTIVE, LeaseState.PENDING)
        if lease is None:
            return
        lease_id = lease.id

        def act(market: Market, ctx: Context) -> object:
            keeper = market.keeper
            return keeper.slash_lease(ctx, lease_id) if slash else keeper.fault_lease(ctx, lease_id)

        self.step(action=act)

    @rule(gap=gaps, count=st.integers(1, 3))
    def time_passes(self, gap: int, count: int) -> None:
        for _ in range(count):
            self.step(gap_ns=gap)

    # -- invariants ----------------------------------------------------------------------------------

    @invariant()
    def module_invariants_hold(self) -> None:
        assert self.market.broken() == []

    @invariant()
    def supply_is_unchanged(self) -> None:
        assert self.market.bank.get_supply(self.market.store, DENOM) == self.supply

    @invariant()
    def open_escrow_adds_up(self) -> None:
        keeper, store = self.market.keeper, self.market.store
        for lease in keeper.iterate_leases(store):
            if lease.state == LeaseState.CLOSED:
                assert lease.closed is not None
                assert lease.closed.earned + lease.closed.refunded == lease.deposit
                continue
            escrow = keeper.escrow(store, lease)
            assert escrow.earned + escrow.remaining == lease.deposit
            assert lease.withdrawn <= escrow.earned <= lease.deposit

    @invariant()
    def twins_agree(self) -> None:
        first, second = self.markets
        assert first.store.changes() == second.store.changes()

    @invariant()
    def commitments_within_registered_hardware(self) -> None:
        keeper, store = self.market.keeper, self.market.store
        for provider in PROVIDERS:
            found = self.market.providers.get_provider(store, raw(provider))
            held = (
                {(g.model, g.memory_mib, g.compute_capability): g.count for g in found.gpus} if found else {}
            )
            for class_key, committed in keeper.commitments(store, raw(provider)):
                gpu_class = GpuClass.from_key(class_key)
                registered = held.get(
                    (gpu_class.model, gpu_class.memory_mib, gpu_class.compute_capability), 0
                )
                assert committed <= registered


MarketMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_market_machine = MarketMachine.TestCase
