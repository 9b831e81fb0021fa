"""provider queries: the ``depind.provider.v1.Query`` services and JSON paths."""

from __future__ import annotations

from functools import partial
from typing import Any

import msgspec

from protos.depind.provider.v1 import provider_pb2, query_pb2
from vm.codec import MessageCodec, coin_pb
from vm.errors import NotFound
from vm.module import ModuleParams, Service
from vm.pagination import paginate
from vm.provider.genesis import to_json
from vm.provider.keeper import Provider, ProviderKeeper
from vm.provider.msgs import GpuSpec
from vm.query_args import limit_arg, text_arg
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address

codec_for_gpu = MessageCodec(GpuSpec, provider_pb2.GpuSpec)


def query_provider(keeper: ProviderKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    owner = text_arg(request, "owner")
    found = keeper.get_provider(store, parse_address(owner))
    if found is None:
        raise NotFound(f"provider {owner} not found")
    return msgspec.to_builtins(to_json(found))


def query_providers(keeper: ProviderKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Paginated in owner-address order; ``next_key`` resumes after the last entry."""
    limit = limit_arg(request)
    start = text_arg(request, "next_key", "")
    after = parse_address(start) if start else b""
    page: list[Any] = []
    next_key: str | None = None
    for found in keeper.iterate_providers(store, after):
        if len(page) == limit:
            next_key = page[-1]["owner"]
            break
        page.append(msgspec.to_builtins(to_json(found)))
    return {"providers": page, "next_key": next_key}


def provider_pb(provider: Provider) -> provider_pb2.Provider:
    gpus: list[Any] = [codec_for_gpu.write(gpu) for gpu in provider.gpus]
    return provider_pb2.Provider(
        owner=format_address(Address(provider.owner)),
        gpus=gpus,
        region=provider.region,
        endpoint=provider.endpoint,
        price_hint=coin_pb(provider.price_hint),
        collateral=coin_pb(provider.collateral),
        status=provider_pb2.ProviderStatus.Name(provider.status),  # the same numbers as Status
        registered_height=provider.registered_height,
        exit_height=provider.exit_height,
        reputation=provider.reputation,
        measured_capacity=provider.measured_capacity,
    )


def provider(keeper: ProviderKeeper, store: ReadStore, request: Any) -> query_pb2.QueryProviderResponse:
    found = keeper.get_provider(store, parse_address(request.owner, "owner"))
    if found is None:
        raise NotFound(f"provider {request.owner} not found")
    return query_pb2.QueryProviderResponse(provider=provider_pb(found))


def providers(keeper: ProviderKeeper, store: ReadStore, request: Any) -> query_pb2.QueryProvidersResponse:
    found, page = paginate(partial(keeper.providers_from, store), request.pagination)
    return query_pb2.QueryProvidersResponse(providers=[provider_pb(p) for p in found], pagination=page)


def params(module_params: ModuleParams[Any], store: ReadStore, _: Any) -> query_pb2.QueryParamsResponse:
    value = module_params.get(store)
    return query_pb2.QueryParamsResponse(
        params=provider_pb2.Params(
            min_collateral=coin_pb(value.min_collateral),
            unbonding_blocks=value.unbonding_blocks,
            max_exits_per_block=value.max_exits_per_block,
            initial_reputation=value.initial_reputation,
            max_reputation=value.max_reputation,
        )
    )


def services(keeper: ProviderKeeper, module_params: ModuleParams[Any]) -> dict[str, Service]:
    query = "/depind.provider.v1.Query/"
    return {
        query + "Provider": Service(query_pb2.QueryProviderRequest, partial(provider, keeper)),
        query + "Providers": Service(query_pb2.QueryProvidersRequest, partial(providers, keeper)),
        query + "Params": Service(query_pb2.QueryParamsRequest, partial(params, module_params)),
    }
