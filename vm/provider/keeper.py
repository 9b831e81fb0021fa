"""Providers keyed by owner address, a GPU-UUID index that stops one card from
being registered twice, and a queue of exits ordered by maturity height, all
under ``provider/``.

Other modules change a provider only through the keeper methods marked for them:
the market moves reputation (``adjust_reputation``) and pays penalties from
collateral (``take_collateral``); the compute module records measured capacity
(``set_measured_capacity``). Modules that must act before a provider changes its
GPUs or exits register ``ProviderHooks`` with ``set_hooks`` (vm/provider/hooks.py)."""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

import msgspec

from genesis.schema import ProviderParams
from vm.context import Context
from vm.encoding import Canonical, decode, encode, stored_decoder
from vm.module import ModuleParams
from vm.provider.expected import BankKeeper
from vm.provider.hooks import ProviderHooks
from vm.provider.msgs import GpuSpec
from vm.queue import DueQueue
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Address, Coin, Uint64

PROVIDER_PREFIX = b"p/"
UUID_PREFIX = b"uuid/"
EXIT_QUEUE_PREFIX = b"exitq/"
POOL = "provider"  # the module account that holds bonded collateral


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
    reputation: Uint64  # in [0, max_reputation]; starts at the params' initial_reputation
    measured_capacity: Uint64  # from capacity challenges (vm/compute); 0 until measured

    def is_active(self) -> bool:
        return self.status == Status.ACTIVE


_read_provider = stored_decoder(Provider)


class ProviderKeeper:
    def __init__(self, prefix: bytes, params: ModuleParams[ProviderParams], bank: BankKeeper) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.bank = bank
        self.exits = DueQueue(prefix + EXIT_QUEUE_PREFIX)  # owners by release height
        self.hooks: list[ProviderHooks] = []

    def set_hooks(self, hooks: ProviderHooks) -> None:
        """Register one more receiver of the provider hooks (called in registration order)."""
        self.hooks.append(hooks)

    def before_gpus_changed(self, ctx: Context, owner: Address, gpus: list[GpuSpec]) -> None:
        for hooks in self.hooks:
            hooks.before_gpus_changed(ctx, owner, gpus)

    def before_provider_exit(self, ctx: Context, owner: Address) -> None:
        for hooks in self.hooks:
            hooks.before_provider_exit(ctx, owner)

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def provider_key(self, owner: Address) -> bytes:
        """The provider's key in the root store (for proofs)."""
        return self.prefix + PROVIDER_PREFIX + owner

    def get_params(self, store: ReadStore) -> ProviderParams:
        return self.params.get(store)

    def get_provider(self, store: ReadStore, owner: Address) -> Provider | None:
        raw = self._kv(store).get(PROVIDER_PREFIX + owner)
        return None if raw is None else _read_provider(raw)  # written by set_provider: canonical

    def set_provider(self, store: Store, provider: Provider) -> None:
        self._kv(store).set(PROVIDER_PREFIX + provider.owner, encode(provider))

    def delete_provider(self, store: Store, provider: Provider) -> None:
        self.unindex_gpus(store, provider.gpus)
        self._kv(store).delete(PROVIDER_PREFIX + provider.owner)

    def iterate_providers(self, store: ReadStore, start_after: bytes = b"") -> Iterator[Provider]:
        start = PROVIDER_PREFIX + start_after + b"\x00" if start_after else PROVIDER_PREFIX
        for _, raw in self._kv(store).iterate(start, prefix_end(PROVIDER_PREFIX)):
            yield decode(raw, Provider)

    def providers_from(self, store: ReadStore, owner: bytes) -> Iterator[tuple[bytes, Provider]]:
        """Providers from ``owner`` on, each with its owner as key (for paging)."""
        for key, raw in self._kv(store).iterate(PROVIDER_PREFIX + owner, prefix_end(PROVIDER_PREFIX)):
            yield key[len(PROVIDER_PREFIX) :], decode(raw, Provider)

    def gpu_owner(self, store: ReadStore, uuid_hash: bytes) -> bytes | None:
        return self._kv(store).get(UUID_PREFIX + uuid_hash)

    def index_gpus(self, store: Store, owner: Address, gpus: list[GpuSpec]) -> None:
        for gpu in gpus:
            for uuid_hash in gpu.uuid_hashes:
                self._kv(store).set(UUID_PREFIX + uuid_hash, owner)

    def unindex_gpus(self, store: Store, gpus: list[GpuSpec]) -> None:
        for gpu in gpus:
            for uuid_hash in gpu.uuid_hashes:
                self._kv(store).delete(UUID_PREFIX + uuid_hash)

    # -- for other modules --------------------------------------------------------------------

    def adjust_reputation(self, store: Store, owner: Address, delta: int) -> int:
        """Move a provider's reputation by ``delta``, kept within [0, max_reputation]; returns
        the new value (0 for a provider that no longer exists)."""
        provider = self.get_provider(store, owner)
        if provider is None:
            return 0
        ceiling = self.get_params(store).max_reputation
        value = min(max(provider.reputation + delta, 0), ceiling)
        if value != provider.reputation:
            self.set_provider(store, msgspec.structs.replace(provider, reputation=value))
        return value

    def take_collateral(self, store: Store, owner: Address, amount: int, recipient: Address) -> Coin | None:
        """Pay up to ``amount`` of a provider's collateral to ``recipient`` (a penalty); returns
        what was paid, or None when nothing was (no provider, no collateral, zero amount)."""
        provider = self.get_provider(store, owner)
        if provider is None:
            return None
        paid = min(amount, provider.collateral.amount)
        if paid == 0:
            return None
        taken = Coin(provider.collateral.denom, paid)
        self.bank.send_from_module(store, POOL, recipient, [taken])
        left = Coin(taken.denom, provider.collateral.amount - paid)
        self.set_provider(store, msgspec.structs.replace(provider, collateral=left))
        return taken

    def set_measured_capacity(self, store: Store, owner: Address, capacity: int) -> None:
        """Record what a capacity challenge measured (vm/compute)."""
        provider = self.get_provider(store, owner)
        if provider is not None:
            self.set_provider(store, msgspec.structs.replace(provider, measured_capacity=capacity))

    def total_collateral(self, store: ReadStore) -> dict[str, int]:
        owed: dict[str, int] = {}
        for provider in self.iterate_providers(store):
            denom = provider.collateral.denom
            owed[denom] = owed.get(denom, 0) + provider.collateral.amount
        return owed
