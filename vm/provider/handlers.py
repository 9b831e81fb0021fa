"""provider message handlers and the end-of-block release of matured exits."""

from __future__ import annotations

import msgspec

from vm.context import Context
from vm.errors import InvalidCoins
from vm.provider.errors import (
    CollateralTooLow,
    GpuAlreadyRegistered,
    ProviderExists,
    ProviderNotActive,
    ProviderNotFound,
)
from vm.provider.events import ProviderExited, ProviderExiting, ProviderRegistered, ProviderUpdated
from vm.provider.keeper import POOL as POOL  # the collateral pool, named here as before
from vm.provider.keeper import Provider, ProviderKeeper, Status
from vm.provider.msgs import GpuSpec, MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider
from vm.types import Address, Coin, format_address, parse_address


def handle_register(keeper: ProviderKeeper, ctx: Context, msg: MsgRegisterProvider) -> None:
    owner = parse_address(msg.owner, "owner")
    if keeper.get_provider(ctx.store, owner) is not None:
        raise ProviderExists(msg.owner)
    _check_min_collateral(keeper, ctx, msg.collateral)
    _check_gpus_free(keeper, ctx, owner, msg.gpus)
    keeper.bank.send_to_module(ctx.store, owner, POOL, [msg.collateral])
    provider = Provider(
        owner=owner,
        gpus=msg.gpus,
        region=msg.region,
        endpoint=msg.endpoint,
        price_hint=msg.price_hint,
        collateral=msg.collateral,
        status=Status.ACTIVE,
        registered_height=ctx.env.height,
        exit_height=0,
        reputation=keeper.get_params(ctx.store).initial_reputation,
        measured_capacity=0,
    )
    keeper.set_provider(ctx.store, provider)
    keeper.index_gpus(ctx.store, owner, msg.gpus)
    ctx.emit(ProviderRegistered(owner=msg.owner, gpus=str(sum(g.count for g in msg.gpus))))


def handle_update(keeper: ProviderKeeper, ctx: Context, msg: MsgUpdateProvider) -> None:
    owner = parse_address(msg.owner, "owner")
    provider = _active(keeper, ctx, owner, msg.owner)
    gpus = provider.gpus
    if msg.gpus:
        keeper.before_gpus_changed(ctx, owner, msg.gpus)  # the market refuses to drop committed GPUs
        keeper.unindex_gpus(ctx.store, provider.gpus)
        _check_gpus_free(keeper, ctx, owner, msg.gpus)
        keeper.index_gpus(ctx.store, owner, msg.gpus)
        gpus = msg.gpus
    collateral = provider.collateral
    if msg.add_collateral is not None:
        if msg.add_collateral.denom != collateral.denom:
            raise InvalidCoins(f"collateral is held in {collateral.denom}")
        keeper.bank.send_to_module(ctx.store, owner, POOL, [msg.add_collateral])
        collateral = Coin(collateral.denom, collateral.amount + msg.add_collateral.amount)
    updated = msgspec.structs.replace(
        provider,
        gpus=gpus,
        region=msg.region or provider.region,
        endpoint=msg.endpoint or provider.endpoint,
        price_hint=msg.price_hint or provider.price_hint,
        collateral=collateral,
    )
    keeper.set_provider(ctx.store, updated)
    ctx.emit(ProviderUpdated(owner=msg.owner))


def handle_exit(keeper: ProviderKeeper, ctx: Context, msg: MsgExitProvider) -> None:
    owner = parse_address(msg.owner, "owner")
    provider = _active(keeper, ctx, owner, msg.owner)
    keeper.before_provider_exit(ctx, owner)  # the market closes its leases and offers first
    provider = keeper.get_provider(ctx.store, owner) or provider  # as the hooks left it
    release = ctx.env.height + keeper.get_params(ctx.store).unbonding_blocks
    keeper.set_provider(
        ctx.store, msgspec.structs.replace(provider, status=Status.EXITING, exit_height=release)
    )
    keeper.exits.push(ctx.store, release, owner)
    ctx.emit(ProviderExiting(owner=msg.owner, release_height=str(release)))


def end_block(keeper: ProviderKeeper, ctx: Context) -> None:
    """Return the collateral of providers whose unbonding delay has passed, at most
    ``max_exits_per_block`` of them; the rest are released in the next blocks."""
    budget = keeper.get_params(ctx.store).max_exits_per_block
    for item in keeper.exits.pop_due(ctx.store, ctx.env.height, budget):
        owner = Address(item)
        provider = keeper.get_provider(ctx.store, owner)
        if provider is None:
            continue
        keeper.bank.send_from_module(ctx.store, POOL, owner, [provider.collateral])
        keeper.delete_provider(ctx.store, provider)
        ctx.emit(ProviderExited(owner=format_address(owner)))


def _active(keeper: ProviderKeeper, ctx: Context, owner: Address, text: str) -> Provider:
    provider = keeper.get_provider(ctx.store, owner)
    if provider is None:
        raise ProviderNotFound(text)
    if provider.status != Status.ACTIVE:
        raise ProviderNotActive(f"{text} is exiting at height {provider.exit_height}")
    return provider


def _check_min_collateral(keeper: ProviderKeeper, ctx: Context, collateral: Coin) -> None:
    minimum = keeper.get_params(ctx.store).min_collateral
    if collateral.denom != minimum.denom or collateral.amount < minimum.amount:
        raise CollateralTooLow(f"need at least {minimum.amount}{minimum.denom}")


def _check_gpus_free(keeper: ProviderKeeper, ctx: Context, owner: Address, gpus: list[GpuSpec]) -> None:
    for gpu in gpus:
        for uuid_hash in gpu.uuid_hashes:
            holder = keeper.gpu_owner(ctx.store, uuid_hash)
            if holder is not None and holder != owner:
                raise GpuAlreadyRegistered(f"gpu {uuid_hash.hex()[:16]}... is registered by another provider")
