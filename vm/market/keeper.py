"""The market keeper: the state of vm/market/store.py and what other code may ask of it.

- Queries and the worker read records through ``get_offer``, ``get_order``,
  ``get_lease`` and the iterators of ``MarketStore``, and a lease's exact escrow at the
  last block's time through ``escrow`` (``now`` is that time).
- The compute module closes leases whose work failed: ``fault_lease`` (provider_fault:
  full refund of what the escrow holds, ``fault_penalty`` from collateral) and
  ``slash_lease`` (slashed: the same refund; the compute module slashes the collateral
  itself); reputation moves with each.
- The provider module, through the hooks the market registers (vm/market/hooks.py),
  has ``check_gpus`` refuse a hardware change that would drop committed GPUs, and
  ``close_provider`` close a leaving provider's leases and offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import msgspec

from vm.context import Context
from vm.market.errors import GpusOverCommitted, LeaseNotOpen
from vm.market.escrow import (
    compute_payout,
    get_due_ns,
    get_earned,
    get_held,
    get_remaining,
    get_run_out_ns,
    runs_out,
)
from vm.market.events import OfferClosed
from vm.market.expected import GpuI
from vm.market.premium import is_premium
from vm.market.settlement import close_lease
from vm.market.store import MarketStore
from vm.market.types import CloseReason, GpuClass, Lease, LeaseState, OfferState, OrderState
from vm.store.cache import ReadStore, Store
from vm.types import Address, format_address


class Escrow(NamedTuple):
    """A lease's escrow at ``time_ns``, exact to the nanosecond."""

    time_ns: int
    earned: int  # charged so far, the take included
    withdrawable: int  # what a withdrawal would pay the provider now, after the take
    remaining: int  # the deposit not yet charged
    due_ns: int  # when it closes by itself (0 while pending)
    runs_out: bool  # whether its escrow runs out before its end


class MarketKeeper(MarketStore):
    # -- reads ---------------------------------------------------------------------------------

    def now(self, store: ReadStore) -> int:
        """The header time of the last block the market saw: what queries call "now"."""
        return self.get_clock(store).time_ns

    def escrow(self, store: ReadStore, lease: Lease, time_ns: int | None = None) -> Escrow:
        """A lease's escrow at ``time_ns`` (default: ``now``); all zeros once closed (its
        close record holds the final figures)."""
        at = self.now(store) if time_ns is None else time_ns
        earned = get_earned(lease, at)
        active = lease.state == LeaseState.ACTIVE
        return Escrow(
            time_ns=at,
            earned=earned if lease.closed is None else 0,
            withdrawable=compute_payout(lease, earned)[0] if active else 0,
            remaining=get_remaining(lease, at),
            due_ns=get_due_ns(lease) if active else 0,
            runs_out=active and runs_out(lease),
        )

    def run_out_ns(self, lease: Lease) -> int:
        """When an active lease's escrow runs out (maybe after its end)."""
        return get_run_out_ns(lease)

    def is_premium(self, store: ReadStore, requester: Address) -> bool:
        """Whether a requester's delegated stake makes it premium now (vm/market/premium.py)."""
        return is_premium(self, store, requester)

    def escrow_owed(self, store: ReadStore) -> int:
        """What the escrow account must hold: open orders' deposits and what open leases hold
        (their deposits less what was settled to their providers)."""
        orders = sum(o.deposit for o in self.iterate_orders(store) if o.state == OrderState.OPEN)
        return orders + sum(get_held(lease) for lease in self.iterate_leases(store))

    # -- for the compute module ----------------------------------------------------------------

    def fault_lease(self, ctx: Context, lease_id: int) -> Lease:
        """Close a lease with provider_fault: its escrow goes back to the requester (earnings not
        withdrawn included), the provider pays ``fault_penalty`` and loses reputation."""
        return close_lease(self, ctx, self._open_lease(ctx.store, lease_id), CloseReason.PROVIDER_FAULT)

    def slash_lease(self, ctx: Context, lease_id: int) -> Lease:
        """Close a lease whose provider was slashed for its work: its escrow goes back to the
        requester (earnings not withdrawn included) and the provider loses reputation sharply.
        The collateral itself is slashed by the caller."""
        return close_lease(self, ctx, self._open_lease(ctx.store, lease_id), CloseReason.SLASHED)

    def _open_lease(self, store: ReadStore, lease_id: int) -> Lease:
        lease = self.lease(store, lease_id)
        if lease.state == LeaseState.CLOSED:
            raise LeaseNotOpen(f"lease {lease_id} closed")
        return lease

    # -- for the provider hooks ----------------------------------------------------------------

    def check_gpus(self, store: ReadStore, provider: Address, gpus: Sequence[GpuI]) -> None:
        """Refuse hardware that holds fewer GPUs of a class than the provider's offers and leases
        commit."""
        for class_key, committed in self.commitments(store, provider):
            gpu_class = GpuClass.from_key(class_key)
            held = registered_gpus(gpus, gpu_class)
            if held < committed:
                raise GpusOverCommitted(
                    f"offers and leases hold {committed} {gpu_class.model} gpus; the update registers {held}"
                )

    def close_provider(self, ctx: Context, provider: Address) -> None:
        """Before a provider exits: close its open leases (provider_exited, each charged to now
        and refunded) and then its offers, so no escrow or GPU depends on it any more. Bounded:
        its leases by the GPUs it registered, its offers by ``max_offers_per_provider``."""
        for lease_id in self.open_lease_ids(ctx.store, provider):
            close_lease(self, ctx, self.lease(ctx.store, lease_id), CloseReason.PROVIDER_EXITED)
        for offer_id in self.open_offer_ids(ctx.store, provider):
            self.close_offer(ctx.store, offer_id)
            ctx.emit(OfferClosed(offer_id=str(offer_id), provider=format_address(provider)))

    def close_offer(self, store: Store, offer_id: int) -> None:
        offer = self.offer(store, offer_id)
        self.save_offer(store, offer, msgspec.structs.replace(offer, state=OfferState.CLOSED))


def registered_gpus(gpus: Sequence[GpuI], gpu_class: GpuClass) -> int:
    """How many GPUs of ``gpu_class`` a provider's hardware list holds."""
    return sum(
        gpu.count
        for gpu in gpus
        if (gpu.model, gpu.memory_mib, gpu.compute_capability)
        == (gpu_class.model, gpu_class.memory_mib, gpu_class.compute_capability)
    )
