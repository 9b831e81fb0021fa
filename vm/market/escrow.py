"""A lease's escrow at any block time, computed from what the lease stores (its start,
rate, GPUs, deposit and duration): nothing is written as time passes.

A lease charges ``rate x gpus`` per GPU-hour for every nanosecond of block time from its
start, rounded down once over the whole elapsed time, never past its end and never
beyond its deposit. Its escrow runs out at the first nanosecond at which that charge
reaches the deposit; it closes at ``due_ns``, the earlier of that instant and its end.
"""

from __future__ import annotations

from vm.market.pricing import SECONDS_PER_HOUR, compute_take
from vm.market.types import NS_PER_SECOND, Lease, LeaseState

NS_PER_HOUR = SECONDS_PER_HOUR * NS_PER_SECOND


def compute_cost(rate: int, gpus: int, elapsed_ns: int) -> int:
    """What ``gpus`` GPUs at ``rate`` per GPU-hour cost over ``elapsed_ns``, rounded down."""
    return rate * gpus * elapsed_ns // NS_PER_HOUR


def get_end_ns(lease: Lease) -> int:
    """When an accepted lease completes."""
    return lease.start_ns + lease.duration_s * NS_PER_SECOND


def get_run_out_ns(lease: Lease) -> int:
    """The first instant at which the charge reaches the deposit: the least ``t`` with
    ``rate x gpus x t >= deposit x NS_PER_HOUR``, ``t`` counted from the start."""
    return lease.start_ns + -(-lease.deposit * NS_PER_HOUR // (lease.rate * lease.gpus))


def runs_out(lease: Lease) -> bool:
    """Whether the escrow runs out before the lease completes."""
    return get_run_out_ns(lease) < get_end_ns(lease)


def get_due_ns(lease: Lease) -> int:
    """When an accepted lease closes by itself: its end, or its run-out if that is earlier."""
    return min(get_run_out_ns(lease), get_end_ns(lease))


def get_earned(lease: Lease, time_ns: int) -> int:
    """What the lease has charged by ``time_ns``, the take included (exact at any instant)."""
    if lease.closed is not None:
        return lease.closed.earned
    if lease.state != LeaseState.ACTIVE:
        return 0  # charging starts at the accept
    elapsed = min(max(time_ns, lease.start_ns), get_end_ns(lease)) - lease.start_ns
    return min(lease.deposit, compute_cost(lease.rate, lease.gpus, elapsed))


def get_remaining(lease: Lease, time_ns: int) -> int:
    """The deposit not yet charged (what the requester would get back now)."""
    if lease.closed is not None:
        return 0
    return lease.deposit - get_earned(lease, time_ns)


def compute_payout(lease: Lease, earned: int) -> tuple[int, int]:
    """(to the provider, to the fee collector) when the lease's earnings settle up to
    ``earned``: what is new since the last settlement, split by the lease's take rate."""
    fee = compute_take(earned, lease.take_rate_bps) - compute_take(lease.withdrawn, lease.take_rate_bps)
    return earned - lease.withdrawn - fee, fee


def get_held(lease: Lease) -> int:
    """What the escrow account holds for the lease: its deposit less what was settled."""
    return 0 if lease.closed is not None else lease.deposit - lease.withdrawn
