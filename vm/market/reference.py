"""The reference price of each GPU class, moved once per block by its utilisation.

Only live classes (with GPUs on offer) move, at most ``max_price_updates_per_block`` of
them per block: when there are more, the update goes round-robin in class-key order from
where the last block stopped (``pcursor``), so every live class moves at least once
every ceil(live / budget) blocks. A class keeps its price while it is not live.

An update reads the class's totals and its price record and writes that record and one
history point (deleting the oldest kept), whatever ``price_history_length`` is.
"""

from __future__ import annotations

from itertools import islice

from genesis.market import MarketParams
from vm.context import Context
from vm.market.pricing import compute_next_reference
from vm.market.store import MarketStore
from vm.market.types import PricePoint
from vm.store.cache import ReadStore, Store


def update_reference_prices(keeper: MarketStore, ctx: Context, due: list[bytes]) -> None:
    """Move the price of each class in ``due`` (``due_classes``, read before matching: it moves
    no class's GPUs on offer, so it changes no class's liveness)."""
    params = keeper.get_params(ctx.store)
    for class_key in due:
        update_class_price(keeper, ctx.store, class_key, ctx.env.height, params)
    if len(due) == params.max_price_updates_per_block:
        keeper.set_price_cursor(ctx.store, due[-1])


def due_classes(keeper: MarketStore, store: ReadStore, budget: int) -> list[bytes]:
    """The live classes after the cursor, then from the first one round to the cursor, at
    most ``budget`` of them."""
    cursor = keeper.get_price_cursor(store)
    after = list(islice(keeper.live_classes(store, cursor), budget))
    if len(after) == budget or not cursor:
        return after
    wrapped = islice(keeper.live_classes(store), budget - len(after))
    return after + [key for key in wrapped if key <= cursor]


def update_class_price(
    keeper: MarketStore, store: Store, class_key: bytes, height: int, params: MarketParams
) -> None:
    stats = keeper.get_class_stats(store, class_key)
    if stats is None:
        return
    before = keeper.get_reference(store, class_key)
    price = compute_next_reference(
        params.min_reference_price if before is None else before.price,
        stats.leased,
        stats.offered,
        params.target_utilization_bps,
        params.max_price_change_bps,
        (params.min_reference_price, params.max_price),
    )
    keeper.record_price(store, class_key, before, PricePoint(height, price), params.price_history_length)
