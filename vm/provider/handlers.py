"""provider message handlers and the end-of-block release of matured exits."""

from __future__ import annotations

from vm.context import Context
from vm.errors import InvalidCoins
from vm.provider import keeper
from vm.provider.errors import (
    CollateralTooLow,
    GpuAlreadyRegistered,
    ProviderExists,
    ProviderNotActive,
    ProviderNotFound,
)
from vm.provider.expected import BankKeeper
from vm.provider.keeper import Provider, Status
from vm.provider.msgs import GpuSpec, MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider
from vm.types import Address, Coin, format_address, module_address, parse_address

POOL = module_address(keeper.MODULE_NAME)


def handle_register(ctx: Context, msg: MsgRegisterProvider, bank: BankKeeper) -> None:
    owner = parse_address(msg.owner, "owner")
    if keeper.get_provider(ctx.store, owner) is not None:
        raise ProviderExists(msg.owner)
    _check_min_collateral(ctx, msg.collateral)
    _check_gpus_free(ctx, owner, msg.gpus)
    bank.send(ctx.store, owner, POOL, [msg.collateral])
    provider = Provider(
        owner,
        msg.gpus,
        msg.region,
        msg.endpoint,
        msg.price_hint,
        msg.collateral,
        Status.ACTIVE,
        ctx.env.height,
        0,
        0,
    )
    keeper.set_provider(ctx.store, provider)
    keeper.index_gpus(ctx.store, owner, msg.gpus)
    ctx.emit("provider_registered", owner=msg.owner, gpus=str(sum(g.count for g in msg.gpus)))


def handle_update(ctx: Context, msg: MsgUpdateProvider, bank: BankKeeper) -> None:
    owner = parse_address(msg.owner, "owner")
    provider = _active(ctx, owner, msg.owner)
    gpus = provider.gpus
    if msg.gpus:
        keeper.unindex_gpus(ctx.store, provider.gpus)
        _check_gpus_free(ctx, owner, msg.gpus)
        keeper.index_gpus(ctx.store, owner, msg.gpus)
        gpus = msg.gpus
    collateral = provider.collateral
    if msg.add_collateral is not None:
        if msg.add_collateral.denom != collateral.denom:
            raise InvalidCoins(f"collateral is held in {collateral.denom}")
        bank.send(ctx.store, owner, POOL, [msg.add_collateral])
        collateral = Coin(collateral.denom, collateral.amount + msg.add_collateral.amount)
    updated = Provider(
        provider.owner,
        gpus,
        msg.region or provider.region,
        msg.endpoint or provider.endpoint,
        msg.price_hint or provider.price_hint,
        collateral,
        provider.status,
        provider.registered_height,
        provider.exit_height,
        provider.reputation,
    )
    keeper.set_provider(ctx.store, updated)
    ctx.emit("provider_updated", owner=msg.owner)


def handle_exit(ctx: Context, msg: MsgExitProvider) -> None:
    owner = parse_address(msg.owner, "owner")
    provider = _active(ctx, owner, msg.owner)
    release = ctx.env.height + keeper.get_provider_params(ctx.store).unbonding_blocks
    exiting = Provider(
        provider.owner,
        provider.gpus,
        provider.region,
        provider.endpoint,
        provider.price_hint,
        provider.collateral,
        Status.EXITING,
        provider.registered_height,
        release,
        provider.reputation,
    )
    keeper.set_provider(ctx.store, exiting)
    keeper.enqueue_exit(ctx.store, release, owner)
    ctx.emit("provider_exiting", owner=msg.owner, release_height=str(release))


def end_block(ctx: Context, bank: BankKeeper) -> None:
    """Return the collateral of providers whose unbonding delay has passed."""
    for owner in keeper.pop_matured_exits(ctx.store, ctx.env.height):
        provider = keeper.get_provider(ctx.store, owner)
        if provider is None:
            continue
        bank.send(ctx.store, POOL, owner, [provider.collateral])
        keeper.delete_provider(ctx.store, provider)
        ctx.emit("provider_exited", owner=format_address(owner))


def _active(ctx: Context, owner: Address, text: str) -> Provider:
    provider = keeper.get_provider(ctx.store, owner)
    if provider is None:
        raise ProviderNotFound(text)
    if provider.status != Status.ACTIVE:
        raise ProviderNotActive(f"{text} is exiting at height {provider.exit_height}")
    return provider


def _check_min_collateral(ctx: Context, collateral: Coin) -> None:
    minimum = keeper.get_provider_params(ctx.store).min_collateral
    if collateral.denom != minimum.denom or collateral.amount < minimum.amount:
        raise CollateralTooLow(f"need at least {minimum.amount}{minimum.denom}")


def _check_gpus_free(ctx: Context, owner: Address, gpus: list[GpuSpec]) -> None:
    for gpu in gpus:
        for uuid_hash in gpu.uuid_hashes:
            holder = keeper.gpu_owner(ctx.store, uuid_hash)
            if holder is not None and holder != owner:
                raise GpuAlreadyRegistered(f"gpu {uuid_hash.hex()[:16]}... is registered by another provider")
