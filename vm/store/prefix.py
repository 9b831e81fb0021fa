"""A module's view of the state: every key it reads or writes lies under its prefix.

Keepers never see the root store. The registry gives each module the prefix
``<name>/``; module names are letters only, so no prefix is a prefix of
another (``tests/vm/test_registry.py`` checks it), and no module can reach
another's keys through its own view.
"""

from __future__ import annotations

from collections.abc import Iterator

from vm.store.cache import ReadStore
from vm.store.kv import prefix_end


class PrefixStore:
    def __init__(self, parent: ReadStore, prefix: bytes) -> None:
        if not prefix:
            raise ValueError("a prefix store needs a non-empty prefix")
        self.prefix = prefix
        self._get = parent.get
        self._iterate = parent.iterate
        # Queries hand keepers read-only committed state: a write there is a bug, not input.
        self._set = getattr(parent, "set", _read_only)
        self._delete = getattr(parent, "delete", _read_only)

    def get(self, key: bytes) -> bytes | None:
        return self._get(self.prefix + key)

    def set(self, key: bytes, value: bytes) -> None:
        self._set(self.prefix + key, value)

    def delete(self, key: bytes) -> None:
        self._delete(self.prefix + key)

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        upper = prefix_end(self.prefix) if end is None else self.prefix + end
        size = len(self.prefix)
        for key, value in self._iterate(self.prefix + start, upper):
            yield key[size:], value


class PrefixView:
    """A keeper's memo of its view: consecutive accesses through the same store (the usual
    case within a tx or a hook) share one ``PrefixStore`` instead of making one each time."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self._store: ReadStore | None = None
        self._view: PrefixStore | None = None

    def of(self, store: ReadStore) -> PrefixStore:
        if store is not self._store or self._view is None:
            self._store, self._view = store, PrefixStore(store, self.prefix)
        return self._view


def _read_only(*args: object) -> None:
    raise TypeError("this store is read-only")
