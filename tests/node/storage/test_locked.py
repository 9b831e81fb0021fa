"""node.storage.locked: the node's cached state store read from two threads at once, as
the block-executing thread and the event loop do."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator, Mapping

import pytest

from node.storage.locked import LockedKV
from vm.store.gaps import GapKV
from vm.store.kv import KVStore, MemoryKV
from vm.store.reads import ReadCacheKV

KEYS = [bytes([i]) for i in range(0, 128, 2)]  # the odd keys are gaps
OPS = 20_000  # per thread


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Thread switches between almost every bytecode, so that a race shows at once."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def hammer(store: KVStore, seed: int, errors: list[str]) -> None:
    rng = random.Random(seed)
    try:
        for _ in range(OPS):
            key = bytes([rng.randrange(128)])
            expected = key if key in KEYS else None
            if store.get(key) != expected:
                errors.append(f"get {key!r}")
            if rng.random() < 0.01:
                start = bytes([rng.randrange(128)])
                found = [k for k, _ in store.iterate(start, bytes([start[0] + 8]))]
                if found != [k for k in KEYS if start <= k < bytes([start[0] + 8])]:
                    errors.append(f"iterate from {start!r}")
    except Exception as exc:  # a broken cache raises from inside its bookkeeping
        errors.append(repr(exc))


def run_two_threads(store: KVStore) -> list[str]:
    errors: list[str] = []
    threads = [threading.Thread(target=hammer, args=(store, seed, errors)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def cached_store() -> KVStore:
    return GapKV(ReadCacheKV(MemoryKV({k: k for k in KEYS}), capacity=8))


def test_two_threads_read_the_locked_cache_correctly(switch_often: None) -> None:
    assert run_two_threads(LockedKV(cached_store())) == []


class Overlaps:
    """A store whose every step takes a while (releasing the GIL, as LevelDB does), and
    which records how many threads were inside it at once."""

    def __init__(self) -> None:
        self.inner = MemoryKV({k: k for k in KEYS})
        self.inside = 0
        self.most_inside = 0

    def _step(self) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        time.sleep(0.0005)
        self.inside -= 1

    def get(self, key: bytes) -> bytes | None:
        self._step()
        return self.inner.get(key)

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        for pair in self.inner.iterate(start, end):
            self._step()
            yield pair

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        self._step()
        self.inner.write(changes)


def use(store: KVStore) -> None:
    for n in range(40):
        store.get(KEYS[n % len(KEYS)])
        if n % 8 == 0:
            list(store.iterate(KEYS[0], KEYS[4]))
            store.write({KEYS[-1]: KEYS[-1]})


@pytest.mark.parametrize("locked", [True, False])
def test_one_thread_at_a_time_inside_the_store(locked: bool) -> None:
    inner = Overlaps()
    store: KVStore = LockedKV(inner) if locked else inner
    threads = [threading.Thread(target=use, args=(store,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert inner.most_inside == (1 if locked else 2)  # unlocked, the two overlap


def test_writes_reach_the_store_and_iteration_sees_the_state_at_its_call() -> None:
    store = LockedKV(cached_store())
    pairs = store.iterate(b"\x00", b"\x06")
    store.write({b"\x01": b"new", b"\x02": None})
    assert store.get(b"\x01") == b"new" and store.get(b"\x02") is None
    assert [k for k, _ in store.iterate(b"\x00", b"\x06")] == [b"\x00", b"\x01", b"\x04"]
    assert [k for k, _ in pairs] in ([b"\x00", b"\x02", b"\x04"], [b"\x00", b"\x01", b"\x04"])
