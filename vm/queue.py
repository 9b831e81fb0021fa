"""Queues of per-block work, drained under a deterministic budget.

A hook that has work to do at some height (release collateral, settle a lease,
close a voting period) does not loop over everything that is due: it puts each
item in a ``DueQueue`` keyed by (due height, item key) when the item is
created, and each block pops at most ``budget`` due items in key order. Work
beyond the budget stays queued and is taken first in the next block, so the
cost of a block's hooks is bounded by the budgets (chain parameters, equal on
every node), whatever users have created. See docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from vm.store.cache import ReadStore, Store
from vm.store.prefix import PrefixStore, PrefixView

HEIGHT_BYTES = 8
PRESENT = b"\x01"  # state never holds empty values: an empty answer always means absent


@dataclass(frozen=True)
class DueQueue:
    """Items under ``prefix`` (inside a module's store), ordered by due height then key."""

    prefix: bytes
    _view: PrefixView = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_view", PrefixView(self.prefix))

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def key(self, due: int, item: bytes) -> bytes:
        """The entry's key in the store the queue was made for (for proofs)."""
        return self.prefix + due.to_bytes(HEIGHT_BYTES, "big") + item

    def push(self, store: Store, due: int, item: bytes) -> None:
        self._kv(store).set(due.to_bytes(HEIGHT_BYTES, "big") + item, PRESENT)

    def remove(self, store: Store, due: int, item: bytes) -> None:
        self._kv(store).delete(due.to_bytes(HEIGHT_BYTES, "big") + item)

    def pop_due(self, store: Store, height: int, budget: int) -> list[bytes]:
        """At most ``budget`` items due at or before ``height``, oldest first, removed."""
        kv = self._kv(store)
        keys = [key for key, _ in _take(kv.iterate(b"", (height + 1).to_bytes(HEIGHT_BYTES, "big")), budget)]
        for key in keys:
            kv.delete(key)
        return [key[HEIGHT_BYTES:] for key in keys]

    def peek_due(self, store: ReadStore, height: int, budget: int) -> list[tuple[int, bytes]]:
        """(due, item) of at most ``budget`` items due at or before ``height``, oldest first,
        left in place (``remove`` pops each)."""
        pairs = self._kv(store).iterate(b"", (height + 1).to_bytes(HEIGHT_BYTES, "big"))
        return [
            (int.from_bytes(key[:HEIGHT_BYTES], "big"), key[HEIGHT_BYTES:]) for key, _ in _take(pairs, budget)
        ]

    def items(self, store: ReadStore) -> Iterator[tuple[int, bytes]]:
        for key, _ in self._kv(store).iterate(b""):
            yield int.from_bytes(key[:HEIGHT_BYTES], "big"), key[HEIGHT_BYTES:]


def _take(pairs: Iterator[tuple[bytes, bytes]], count: int) -> Iterator[tuple[bytes, bytes]]:
    for _, pair in zip(range(count), pairs, strict=False):
        yield pair
