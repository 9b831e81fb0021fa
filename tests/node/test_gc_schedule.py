"""The node's scheduled full collections free garbage held in reference cycles, which the
young collections of a tuned collector leave in the oldest generation (node/gc_schedule.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
import trio
import trio.testing

from node.gc_schedule import collect_fully, collect_periodically


class Holder:
    """One half of a cycle, holding a buffer as a response holds its connection's."""

    def __init__(self) -> None:
        self.buffer = bytearray(1 << 20)
        self.other: Holder | None = None


def garbage_cycle() -> weakref.ref[Holder]:
    """A cycle nothing refers to; the weak reference says whether it is still in memory."""
    first, second = Holder(), Holder()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.fixture
def no_automatic_collection() -> Iterator[None]:
    """Only the collections under test run (as with the node's raised thresholds)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.usefixtures("no_automatic_collection")
def test_a_full_collection_frees_a_cycle() -> None:
    cycle = garbage_cycle()
    assert cycle() is not None  # reference counting alone never frees a cycle
    freed, seconds = collect_fully()
    assert cycle() is None
    assert freed >= 2 and seconds >= 0


@pytest.mark.usefixtures("no_automatic_collection")
def test_collections_come_every_interval() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(collect_periodically, 60.0)
            first = garbage_cycle()
            await trio.sleep(59.0)
            assert first() is not None
            await trio.sleep(2.0)
            assert first() is None
            second = garbage_cycle()
            await trio.sleep(60.0)
            assert second() is None
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
