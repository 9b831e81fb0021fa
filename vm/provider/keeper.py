"""Providers keyed by owner address, a GPU-UUID index that stops one card from
being registered twice, and a queue of exits ordered by maturity height."""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

from genesis.schema import ProviderParams
from vm.encoding import Canonical, decode, encode
from vm.params.keeper import get_params
from vm.provider.msgs import GpuSpec
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.types import Address, Coin, Uint64

PREFIX = b"prov/p/"
UUID_PREFIX = b"prov/uuid/"
EXIT_QUEUE_PREFIX = b"prov/exitq/"
MODULE_NAME = "provider"


class Status(IntEnum):
    ACTIVE = 1
    EXITING = 2


class Provider(Canonical, frozen=True):
    owner: bytes
    gpus: list[GpuSpec]
    region: str
    endpoint: str
    price_hint: Coin
    collateral: Coin
    status: int
    registered_height: Uint64
    exit_height: Uint64  # height at which collateral is released; 0 while active
    reputation: Uint64


def provider_key(owner: Address) -> bytes:
    return PREFIX + owner


def get_provider(store: ReadStore, owner: Address) -> Provider | None:
    raw = store.get(provider_key(owner))
    return None if raw is None else decode(raw, Provider)


def set_provider(store: Store, provider: Provider) -> None:
    store.set(provider_key(Address(provider.owner)), encode(provider))


def delete_provider(store: Store, provider: Provider) -> None:
    unindex_gpus(store, provider.gpus)
    store.delete(provider_key(Address(provider.owner)))


def iterate_providers(store: ReadStore, start_after: bytes = b"") -> Iterator[Provider]:
    start = provider_key(Address(start_after)) + b"\x00" if start_after else PREFIX
    for _, raw in store.iterate(start, prefix_end(PREFIX)):
        yield decode(raw, Provider)


def gpu_owner(store: ReadStore, uuid_hash: bytes) -> bytes | None:
    return store.get(UUID_PREFIX + uuid_hash)


def index_gpus(store: Store, owner: Address, gpus: list[GpuSpec]) -> None:
    for gpu in gpus:
        for uuid_hash in gpu.uuid_hashes:
            store.set(UUID_PREFIX + uuid_hash, owner)


def unindex_gpus(store: Store, gpus: list[GpuSpec]) -> None:
    for gpu in gpus:
        for uuid_hash in gpu.uuid_hashes:
            store.delete(UUID_PREFIX + uuid_hash)


def exit_queue_key(height: int, owner: Address) -> bytes:
    return EXIT_QUEUE_PREFIX + height.to_bytes(8, "big") + owner


def enqueue_exit(store: Store, height: int, owner: Address) -> None:
    # State never holds empty values, so an empty query answer always means absent.
    store.set(exit_queue_key(height, owner), b"\x01")


def pop_matured_exits(store: Store, height: int) -> list[Address]:
    """Owners whose unbonding ends at or before ``height``, removed from the queue."""
    end = EXIT_QUEUE_PREFIX + (height + 1).to_bytes(8, "big")
    keys = [key for key, _ in store.iterate(EXIT_QUEUE_PREFIX, end)]
    for key in keys:
        store.delete(key)
    return [Address(key[len(EXIT_QUEUE_PREFIX) + 8 :]) for key in keys]


def get_provider_params(store: ReadStore) -> ProviderParams:
    return get_params(store, "provider", ProviderParams)
