"""market queries: the module paths ``/market/<name>`` (JSON in, JSON out), which JSON-RPC's
app queries serve.

"Now" in every answer is the market's clock: the header time of the last committed block
(``time_ns`` in the answers that depend on it). A lease's escrow figures are exact at that
instant. Lists are in id order, ``limit`` (default and most 100) per page; ``next_key`` (an
id, as text) resumes where a page stopped. A filtered list reads at most ``MAX_SCAN``
records per page, so a page may come back short with a ``next_key``.

The summary reads the tallies the store keeps by state, never the records, and pages the
GPU classes in class-key order (``next_key``: the class key to resume from, in hex). Counts,
amounts and prices are JSON integers throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any, TypeVar

import msgspec

from vm.errors import InvalidRequest, NotFound
from vm.market.genesis import (
    LEASE_STATES,
    OFFER_STATES,
    ORDER_STATES,
    to_class_json,
    to_lease_json,
    to_offer_json,
    to_order_json,
    to_price_json,
)
from vm.market.keeper import MarketKeeper
from vm.market.msgs import validate_gpu_class
from vm.market.pricing import compute_offer_price
from vm.market.types import ClassStats, GpuClass, Lease, Offer
from vm.query_args import limit_arg, text_arg
from vm.store.cache import ReadStore
from vm.types import Address, parse_address

MAX_SCAN = 10_000
T = TypeVar("T")


# -- arguments ------------------------------------------------------------------------------------


def id_arg(request: dict[str, Any], name: str = "id") -> int:
    value = request.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 2**63:
        raise InvalidRequest(f"query needs a positive integer {name!r}")
    return value


def start_arg(request: dict[str, Any]) -> int:
    text = text_arg(request, "next_key", "")
    if text and not (text.isascii() and text.isdigit()):
        raise InvalidRequest("next_key must be an id as a decimal string")
    return int(text) if text else 0


def state_arg(request: dict[str, Any], table: dict[str, Any]) -> int | None:
    name = text_arg(request, "state", "")
    if not name:
        return None
    if name not in table:
        raise InvalidRequest(f"state must be one of {sorted(table)}")
    return int(table[name])


def price_arg(request: dict[str, Any], name: str) -> int:
    """A price in the market's denom; 0 when absent."""
    value = request.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**64:
        raise InvalidRequest(f"{name!r} must be a price: an integer from 0 to 2^64 - 1")
    return value


def class_arg(request: dict[str, Any]) -> GpuClass:
    memory = request.get("memory_mib")
    if not isinstance(memory, int) or isinstance(memory, bool) or memory <= 0:
        raise InvalidRequest("query needs a positive integer 'memory_mib'")
    gpu_class = GpuClass(text_arg(request, "model"), memory, text_arg(request, "compute_capability"))
    validate_gpu_class(gpu_class)
    return gpu_class


# -- single records -----------------------------------------------------------------------------


def query_offer(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """An offer and its price per GPU-hour now (an indexed offer's follows the reference)."""
    offer = _found(keeper.get_offer(store, id_arg(request)), "offer")
    return {"offer": offer_json(offer), "price": price_now(keeper, store, offer)}


def query_order(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    return {
        "order": msgspec.to_builtins(to_order_json(_found(keeper.get_order(store, id_arg(request)), "order")))
    }


def query_lease(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A lease with its escrow now (``escrow`` is null once closed: ``closed`` has the final
    figures)."""
    return lease_answer(keeper, store, _found(keeper.get_lease(store, id_arg(request)), "lease"))


def query_price_index(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A class's reference price and its history (a class never priced answers the minimum)."""
    gpu_class = class_arg(request)
    index = keeper.get_price_index(store, gpu_class.key())
    if index is None:
        minimum = keeper.get_params(store).min_reference_price
        return {"gpu_class": msgspec.to_builtins(to_class_json(gpu_class)), "price": minimum, "history": []}
    return msgspec.to_builtins(to_price_json(index))


# -- lists --------------------------------------------------------------------------------------------


def query_offers(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Offers, filtered by ``provider``, ``gpu_model``, ``state``, their provider's ``region``
    and ``max_price`` (the price per GPU-hour now at most this; 0: any)."""
    start, limit = start_arg(request), limit_arg(request)
    provider = text_arg(request, "provider", "")
    model = text_arg(request, "gpu_model", "")
    state = state_arg(request, OFFER_STATES)
    region = text_arg(request, "region", "")
    max_price = price_arg(request, "max_price")
    if provider:
        owner = parse_address(provider, "provider")
        entries = _load(keeper.offer_ids_of(store, owner, start), lambda i: keeper.get_offer(store, i))
    else:
        entries = ((o.id, o) for o in keeper.iterate_offers(store, start))
    regions = RegionOf(keeper, store)

    def keep(offer: Offer) -> bool:
        return (
            (not model or offer.gpu_class.model == model)
            and (state is None or offer.state == state)
            and (not region or regions.of(offer.provider) == region)
            and (not max_price or price_now(keeper, store, offer) <= max_price)
        )

    found, next_key = _page(entries, keep, limit)
    return {"offers": [offer_json(o) for o in found], "next_key": next_key}


def query_orders(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Orders, filtered by ``requester`` and ``state``."""
    start, limit = start_arg(request), limit_arg(request)
    requester = text_arg(request, "requester", "")
    state = state_arg(request, ORDER_STATES)
    if requester:
        owner = parse_address(requester, "requester")
        entries = _load(keeper.order_ids_of(store, owner, start), lambda i: keeper.get_order(store, i))
    else:
        entries = ((o.id, o) for o in keeper.iterate_orders(store, start))
    found, next_key = _page(entries, lambda o: state is None or o.state == state, limit)
    return {"orders": [msgspec.to_builtins(to_order_json(o)) for o in found], "next_key": next_key}


def query_leases(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Leases, filtered by ``provider``, ``requester`` and ``state``, each with its escrow now."""
    start, limit = start_arg(request), limit_arg(request)
    provider = text_arg(request, "provider", "")
    requester = text_arg(request, "requester", "")
    state = state_arg(request, LEASE_STATES)
    provider_raw = parse_address(provider, "provider") if provider else None
    requester_raw = parse_address(requester, "requester") if requester else None
    if provider_raw is not None:
        ids = keeper.lease_ids_of_provider(store, provider_raw, start)
        entries = _load(ids, lambda i: keeper.get_lease(store, i))
    elif requester_raw is not None:
        ids = keeper.lease_ids_of_requester(store, requester_raw, start)
        entries = _load(ids, lambda i: keeper.get_lease(store, i))
    else:
        entries = ((lease.id, lease) for lease in keeper.iterate_leases(store, start))

    def keep(lease: Lease) -> bool:
        return (
            (requester_raw is None or lease.requester == requester_raw)
            and (provider_raw is None or lease.provider == provider_raw)
            and (state is None or lease.state == state)
        )

    found, next_key = _page(entries, keep, limit)
    return {"leases": [lease_answer(keeper, store, lease) for lease in found], "next_key": next_key}


# -- the summary --------------------------------------------------------------------------------------


def query_summary(keeper: MarketKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Offers, orders and leases by state, and a page of the GPU classes with GPUs offered or
    leased, each with its reference price now."""
    start, limit = class_key_arg(request), limit_arg(request)
    found = list(islice(keeper.iterate_class_stats(store, start), limit + 1))
    next_key = found[limit].gpu_class.key().hex() if len(found) > limit else None
    return {
        "offers": by_state(keeper.state_counts(store, b"offer"), OFFER_STATES),
        "orders": by_state(keeper.state_counts(store, b"order"), ORDER_STATES),
        "leases": by_state(keeper.state_counts(store, b"lease"), LEASE_STATES),
        "classes": [class_summary(keeper, store, stats) for stats in found[:limit]],
        "next_key": next_key,
    }


def class_key_arg(request: dict[str, Any]) -> bytes:
    text = text_arg(request, "next_key", "")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidRequest("next_key must be a class key in hex") from None


def by_state(counts: Mapping[int, int], names: Mapping[str, int]) -> dict[str, int]:
    """Every state's count by its name, zeros included."""
    return {name: counts.get(int(state), 0) for name, state in names.items()}


def class_summary(keeper: MarketKeeper, store: ReadStore, stats: ClassStats) -> Any:
    return {
        "gpu_class": msgspec.to_builtins(to_class_json(stats.gpu_class)),
        "offered": stats.offered,
        "leased": stats.leased,
        "reference_price": keeper.reference_price(store, stats.gpu_class.key()),
    }


# -- answers ------------------------------------------------------------------------------------------


def offer_json(offer: Offer) -> Any:
    return msgspec.to_builtins(to_offer_json(offer))


def price_now(keeper: MarketKeeper, store: ReadStore, offer: Offer) -> int:
    return compute_offer_price(offer.pricing, keeper.reference_price(store, offer.gpu_class.key()))


def lease_answer(keeper: MarketKeeper, store: ReadStore, lease: Lease) -> Any:
    answer: dict[str, Any] = {"lease": msgspec.to_builtins(to_lease_json(lease)), "escrow": None}
    if lease.closed is None:
        escrow = keeper.escrow(store, lease)
        answer["escrow"] = {
            "time_ns": escrow.time_ns,
            "earned": escrow.earned,
            "withdrawable": escrow.withdrawable,
            "remaining": escrow.remaining,
            "due_ns": escrow.due_ns,
            "runs_out": escrow.runs_out,
        }
    return answer


class RegionOf:
    """Providers' regions, each read once per query: a page of offers often repeats a provider."""

    def __init__(self, keeper: MarketKeeper, store: ReadStore) -> None:
        self.keeper, self.store = keeper, store
        self.known: dict[bytes, str] = {}

    def of(self, owner: bytes) -> str:
        if owner not in self.known:
            provider = self.keeper.providers.get_provider(self.store, Address(owner))
            self.known[owner] = "" if provider is None else provider.region
        return self.known[owner]


def _found(record: T | None, what: str) -> T:
    if record is None:
        raise NotFound(f"{what} not found")
    return record


def _load(ids: Iterator[int], get: Callable[[int], T | None]) -> Iterator[tuple[int, T]]:
    for record_id in ids:
        record = get(record_id)
        if record is not None:
            yield record_id, record


def _page(
    entries: Iterator[tuple[int, T]], keep: Callable[[T], bool], limit: int
) -> tuple[list[T], str | None]:
    """Up to ``limit`` kept records, reading at most ``MAX_SCAN``; the id to resume from."""
    found: list[T] = []
    for scanned, (record_id, record) in enumerate(entries):
        if len(found) == limit or scanned == MAX_SCAN:
            return found, str(record_id)
        if keep(record):
            found.append(record)
    return found, None
