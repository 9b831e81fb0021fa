"""Gas metering (vm.gas) and what each store access costs (vm.store.cache.GasStore)."""

from __future__ import annotations

import pytest

from vm import gas
from vm.errors import InvalidTx
from vm.gas import GasMeter, infinite_meter
from vm.state import CommittedValues
from vm.store.cache import CacheStore, GasStore
from vm.store.kv import MemoryKV


def test_meter_allows_consuming_exactly_the_limit() -> None:
    meter = GasMeter(100)
    meter.consume(60, "a")
    meter.consume(40, "b")
    assert (meter.consumed, meter.remaining()) == (100, 0)


def test_invalid_meter_over_the_limit() -> None:
    meter = GasMeter(100)
    meter.consume(60, "a")
    with pytest.raises(InvalidTx) as caught:
        meter.consume(41, "write")
    assert (caught.value.codespace, caught.value.code) == ("sdk", 11)
    assert "write" in caught.value.log
    assert "gasWanted: 100" in caught.value.log
    assert meter.remaining() == 0


def test_infinite_meter_is_an_int() -> None:
    meter = infinite_meter()
    meter.consume(10**15, "hooks")
    assert isinstance(meter.limit, int)
    assert meter.remaining() == meter.limit - 10**15


def metered(items: dict[bytes, bytes] | None = None) -> tuple[GasStore, GasMeter]:
    meter = GasMeter(10**9)
    return GasStore(
        CacheStore(CommittedValues(MemoryKV({b"v/" + k: v for k, v in (items or {}).items()}))), meter
    ), meter


def test_read_costs_flat_plus_bytes() -> None:
    store, meter = metered({b"key": b"value"})
    assert store.get(b"key") == b"value"
    assert meter.consumed == gas.READ_COST_FLAT + gas.READ_COST_PER_BYTE * len(b"keyvalue")
    store.get(b"nope")
    assert meter.consumed == 2 * gas.READ_COST_FLAT + gas.READ_COST_PER_BYTE * (
        len(b"keyvalue") + len(b"nope")
    )


def test_write_and_delete_costs() -> None:
    store, meter = metered()
    store.set(b"k", b"vv")
    assert meter.consumed == gas.WRITE_COST_FLAT + gas.WRITE_COST_PER_BYTE * 3
    store.delete(b"k")
    assert meter.consumed == gas.WRITE_COST_FLAT + gas.WRITE_COST_PER_BYTE * 3 + gas.DELETE_COST


def test_iteration_costs_per_item() -> None:
    store, meter = metered({b"a1": b"x", b"a2": b"yy", b"b": b"z"})
    assert list(store.iterate(b"a", b"b")) == [(b"a1", b"x"), (b"a2", b"yy")]
    assert meter.consumed == 2 * gas.ITER_NEXT_COST_FLAT + gas.READ_COST_PER_BYTE * (3 + 4)


def test_invalid_write_out_of_gas_leaves_the_store_unchanged() -> None:
    inner = CacheStore(MemoryKV())
    store = GasStore(inner, GasMeter(gas.WRITE_COST_FLAT))
    with pytest.raises(InvalidTx) as caught:
        store.set(b"k", b"v")
    assert caught.value.code == 11
    assert inner.get(b"k") is None
