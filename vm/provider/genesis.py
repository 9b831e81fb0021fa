"""provider genesis: validate, init, export (export then init round-trips)."""

from __future__ import annotations

from genesis.schema import CoinJSON, GpuJSON, ProviderGenesis, ProviderJSON
from vm.context import Context
from vm.errors import InvalidRequest
from vm.provider.keeper import Provider, ProviderKeeper, Status
from vm.provider.msgs import GpuSpec, validate_endpoint, validate_gpus, validate_price, validate_region
from vm.provider.params import validate_params
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address, parse_address, validate_coin

_STATUS = {"active": Status.ACTIVE, "exiting": Status.EXITING}


def validate_genesis(state: ProviderGenesis) -> None:
    validate_params(state.params)
    owners: set[str] = set()
    uuid_hashes: set[bytes] = set()
    for entry in state.providers:
        provider = from_json(entry, state.params.initial_reputation)
        if entry.owner in owners:
            raise InvalidRequest(f"duplicate provider {entry.owner}")
        owners.add(entry.owner)
        validate_gpus(provider.gpus)
        validate_region(provider.region)
        validate_endpoint(provider.endpoint)
        validate_price(provider.price_hint)
        validate_coin(provider.collateral, f"collateral of {entry.owner}")
        hashes = {h for gpu in provider.gpus for h in gpu.uuid_hashes}
        if hashes & uuid_hashes:
            raise InvalidRequest(f"provider {entry.owner} declares a gpu another provider registered")
        uuid_hashes |= hashes
        if provider.reputation > state.params.max_reputation:
            raise InvalidRequest(f"reputation of {entry.owner} is above max_reputation")


def init_genesis(keeper: ProviderKeeper, ctx: Context, state: ProviderGenesis) -> None:
    """Providers in genesis must have their collateral in the pool's genesis balance
    (the ``collateral-backed`` invariant, checked once genesis is written)."""
    keeper.params.set(ctx.store, state.params)
    for entry in state.providers:
        provider = from_json(entry, state.params.initial_reputation)
        keeper.set_provider(ctx.store, provider)
        keeper.index_gpus(ctx.store, Address(provider.owner), provider.gpus)
        if provider.status == Status.EXITING:
            keeper.exits.push(ctx.store, provider.exit_height, Address(provider.owner))


def export_genesis(keeper: ProviderKeeper, store: ReadStore) -> ProviderGenesis:
    providers = [to_json(p) for p in keeper.iterate_providers(store)]
    return ProviderGenesis(params=keeper.get_params(store), providers=providers)


def from_json(entry: ProviderJSON, initial_reputation: int) -> Provider:
    if entry.status not in _STATUS:
        raise InvalidRequest(f"provider status must be one of {sorted(_STATUS)}")
    gpus = [
        GpuSpec(g.model, g.memory_mib, g.compute_capability, g.count, [_hex32(h) for h in g.uuid_hashes])
        for g in entry.gpus
    ]
    return Provider(
        parse_address(entry.owner, "provider owner"),
        gpus,
        entry.region,
        entry.endpoint,
        Coin(entry.price_hint.denom, entry.price_hint.amount),
        Coin(entry.collateral.denom, entry.collateral.amount),
        _STATUS[entry.status],
        entry.registered_height,
        entry.exit_height,
        initial_reputation if entry.reputation is None else entry.reputation,
        entry.measured_capacity,
    )


def to_json(provider: Provider) -> ProviderJSON:
    status = next(name for name, value in _STATUS.items() if value == provider.status)
    return ProviderJSON(
        owner=format_address(Address(provider.owner)),
        gpus=[
            GpuJSON(
                model=g.model,
                memory_mib=g.memory_mib,
                compute_capability=g.compute_capability,
                count=g.count,
                uuid_hashes=[h.hex() for h in g.uuid_hashes],
            )
            for g in provider.gpus
        ],
        region=provider.region,
        endpoint=provider.endpoint,
        price_hint=CoinJSON(denom=provider.price_hint.denom, amount=provider.price_hint.amount),
        collateral=CoinJSON(denom=provider.collateral.denom, amount=provider.collateral.amount),
        status=status,
        registered_height=provider.registered_height,
        exit_height=provider.exit_height,
        reputation=provider.reputation,
        measured_capacity=provider.measured_capacity,
    )


def _hex32(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise InvalidRequest(f"uuid hash {text!r} is not hex") from None
    if len(raw) != 32:
        raise InvalidRequest("uuid hashes are 32-byte SHA-256 digests")
    return raw
