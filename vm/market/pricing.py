"""Prices in integers: an offer's price, the deposit an order needs, the take, and the
reference price's step per block (EIP-1559-like). Pure functions of their arguments."""

from __future__ import annotations

from vm.market.types import Pricing

BPS = 10_000  # basis points in a whole
SECONDS_PER_HOUR = 3_600


def compute_offer_price(pricing: Pricing, reference: int) -> int:
    """What an offer charges per GPU-hour now: its fixed price, or the class reference price
    times its factor, clamped to [floor, cap]."""
    if not pricing.indexed:
        return pricing.price
    return min(max(compute_index_price(pricing, reference), pricing.floor), pricing.cap)


def compute_index_price(pricing: Pricing, reference: int) -> int:
    """An indexed offer's unclamped price: the order it is searched in (vm/market/matching.py)."""
    return compute_unclamped(reference, pricing.factor_bps)


def compute_unclamped(reference: int, factor_bps: int) -> int:
    return reference * factor_bps // BPS


def compute_required_deposit(max_price: int, gpus: int, duration_s: int) -> int:
    """The least an order deposits: ``max_price`` x ``gpus`` for ``duration_s``, rounded up, so
    the deposit covers the whole duration at any price the order accepts."""
    return -(-max_price * gpus * duration_s // SECONDS_PER_HOUR)


def compute_take(earned: int, take_rate_bps: int) -> int:
    """The fee collector's part of ``earned`` (rounded down). Taken on cumulative earnings, so
    withdrawing in many steps or in one takes the same."""
    return earned * take_rate_bps // BPS


def compute_next_reference(
    price: int, leased: int, offered: int, target_bps: int, max_change_bps: int, bounds: tuple[int, int]
) -> int:
    """The reference price after a block at utilisation ``leased``/``offered``.

    As EIP-1559's base fee: ``price x (1 + max_change x (u - target) / target)``, the gap
    ``u - target`` bounded to [-target, +target] so one block moves the price by at most
    ``max_change_bps``; a rise is at least 1 (a small price can still climb); the result
    stays within ``bounds`` (the minimum reference price, the market's max price)."""
    utilization = leased * BPS // offered if offered else 0
    gap = max(-target_bps, min(target_bps, utilization - target_bps))
    step = price * max_change_bps * abs(gap) // (target_bps * BPS)
    if gap > 0 and max_change_bps:
        price += max(step, 1)
    elif gap < 0:
        price -= step
    low, high = bounds
    return min(max(price, low), high)
