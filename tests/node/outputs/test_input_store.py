"""The provider's store of supplied inputs: only a digest's own inputs are stored, unclaimed
uploads are bounded in count, bytes and age (the oldest go first), claimed ones are kept, and
what is stored survives a restart while a cut upload does not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gpu.header import header_digest
from gpu.jobs import GemmSpec, job_header
from node.outputs.input_store import InputLimits, InputStore
from node.outputs.inputs import InputsError, encode_inputs
from tests.node.outputs.support import SUPPLIED_GEMM, supplied

T0 = 1_700_000_000.0  # the stores' clock, set by the tests: uploads' times are their files' mtimes


def small(seed: int) -> GemmSpec:
    return GemmSpec(m=4, k=4, n=4, bound=8, seed=seed, a=supplied(seed, 16, 8))


SIZE = len(encode_inputs(small(0)))  # every small(seed) has the same size


def digest(spec: GemmSpec) -> bytes:
    return header_digest(job_header(spec))


def put_at(store: InputStore, spec: GemmSpec, at: float) -> None:
    """Upload `spec` as if at time `at`."""
    assert store.put(digest(spec), encode_inputs(spec), now=at)
    path = store.find(digest(spec))
    assert path is not None
    os.utime(path, (at, at))


def held(store: InputStore, *specs: GemmSpec) -> list[bool]:
    return [store.find(digest(spec)) is not None for spec in specs]


def test_stores_an_upload_once_and_loads_it_once_claimed(tmp_path: Path) -> None:
    store = InputStore(tmp_path)
    key = digest(SUPPLIED_GEMM)
    assert store.put(key, encode_inputs(SUPPLIED_GEMM))
    assert not store.put(key, encode_inputs(SUPPLIED_GEMM))  # held already
    with pytest.raises(FileNotFoundError):
        store.load(key)  # not claimed yet
    claimed = store.claim(key)
    assert claimed == store.jobs / f"{key.hex()}.inputs" and store.claim(key) == claimed
    assert store.load(key) == SUPPLIED_GEMM
    found = store.lookup(key)
    assert found is not None and found.read(0, found.size) == encode_inputs(SUPPLIED_GEMM)
    assert store.claim(digest(small(1))) is None  # never uploaded


def test_invalid_inputs_under_another_digest_are_not_stored(tmp_path: Path) -> None:
    store = InputStore(tmp_path)
    with pytest.raises(InputsError, match="not " + digest(small(1)).hex()):
        store.put(digest(small(1)), encode_inputs(SUPPLIED_GEMM))
    assert list(store.uploads.iterdir()) == []  # nothing written, not even a part


def test_the_oldest_unclaimed_upload_is_evicted_past_the_count(tmp_path: Path) -> None:
    store = InputStore(tmp_path, InputLimits(max_upload_bytes=SIZE, max_unclaimed=2))
    first, second, third = small(1), small(2), small(3)
    put_at(store, first, T0)
    put_at(store, second, T0 + 1)
    put_at(store, third, T0 + 2)
    assert held(store, first, second, third) == [False, True, True]


def test_the_oldest_unclaimed_uploads_are_evicted_past_the_bytes(tmp_path: Path) -> None:
    limits = InputLimits(max_upload_bytes=SIZE, max_unclaimed_bytes=3 * SIZE - 1, max_unclaimed=10)
    store = InputStore(tmp_path, limits)
    specs = [small(seed) for seed in range(1, 5)]
    for at, spec in enumerate(specs):
        put_at(store, spec, T0 + at)
    assert held(store, *specs) == [False, False, True, True]
    assert sum(stat.st_size for _, stat in store.unclaimed()) <= limits.max_unclaimed_bytes


def test_expired_uploads_go_and_claimed_ones_stay(tmp_path: Path) -> None:
    store = InputStore(tmp_path, InputLimits(max_upload_bytes=SIZE, max_unclaimed=2, max_age_s=100))
    claimed, old, recent, new = small(1), small(2), small(3), small(4)
    put_at(store, claimed, T0)
    assert store.claim(digest(claimed)) is not None  # out of the unclaimed pool for good
    put_at(store, old, T0)
    put_at(store, recent, T0 + 150)
    put_at(store, new, T0 + 150.5)  # `old` is 150.5 s old: expired, so `recent` keeps its place
    assert held(store, claimed, old, recent, new) == [True, False, True, True]
    put_at(store, small(5), T0 + 151)  # full: the oldest unclaimed goes, never a claimed one
    assert held(store, claimed, recent, new) == [True, False, True]


def test_a_restart_keeps_whole_files_and_drops_cut_uploads(tmp_path: Path) -> None:
    store = InputStore(tmp_path)
    put_at(store, small(1), T0)
    put_at(store, small(2), T0)
    store.claim(digest(small(2)))
    cut = store.uploads / "0123.part"
    cut.write_bytes(b"half an upload")
    again = InputStore(tmp_path)
    assert held(again, small(1), small(2)) == [True, True]
    assert again.load(digest(small(2))) == small(2)
    assert not cut.exists()


def test_a_damaged_claimed_file_is_dropped_to_be_uploaded_again(tmp_path: Path) -> None:
    store = InputStore(tmp_path)
    key = digest(SUPPLIED_GEMM)
    store.put(key, encode_inputs(SUPPLIED_GEMM))
    path = store.claim(key)
    assert path is not None
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(InputsError):
        store.load(key)
    assert store.find(key) is None and store.claim(key) is None


def test_invalid_limits() -> None:
    with pytest.raises(ValueError, match="must fit"):
        InputLimits(max_upload_bytes=10, max_unclaimed_bytes=9)
    with pytest.raises(ValueError, match="positive"):
        InputLimits(max_concurrent_uploads=0)
