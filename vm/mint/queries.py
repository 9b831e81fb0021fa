"""mint queries: Cosmos's ``cosmos.mint.v1beta1.Query`` services, depind's
``depind.mint.v1.Query/Params`` and the JSON paths.

Cosmos's Params answer has Cosmos's fields only (cosmjs and other Cosmos clients read
it); the PoUW reward share is in depind's Params answer. Inflation and annual
provisions are ``bytes`` holding a LegacyDec as Cosmos's gRPC encodes it: the ASCII
integer text of its atomics (b"130000000000000000" is 0.13), which cosmjs's
``decodeCosmosSdkDecFromProto`` reads.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from cosmpy.protos.cosmos.mint.v1beta1 import query_pb2 as cosmos_query

from protos.depind.mint.v1 import cosmos_pb2, mint_pb2
from protos.depind.mint.v1 import query_pb2 as depind_query
from vm import dec
from vm.dec import Dec
from vm.mint.keeper import MintKeeper
from vm.mint.params import Params
from vm.module import Service
from vm.store.cache import ReadStore


def query_inflation(keeper: MintKeeper, store: ReadStore, _: dict[str, Any]) -> Any:
    return {"inflation": dec.format(keeper.get_minter(store).inflation)}


def query_annual_provisions(keeper: MintKeeper, store: ReadStore, _: dict[str, Any]) -> Any:
    return {"annual_provisions": dec.format(keeper.get_minter(store).annual_provisions)}


def _atomics(value: Dec) -> str:
    """A LegacyDec as Cosmos's protobuf carries it: the integer text of its atomics."""
    return str(value)


def cosmos_params(keeper: MintKeeper, store: ReadStore, _: Any) -> cosmos_pb2.CosmosQueryParamsResponse:
    params = keeper.get_parsed_params(store)
    return cosmos_pb2.CosmosQueryParamsResponse(
        params=cosmos_pb2.CosmosParams(
            mint_denom=params.mint_denom,
            inflation_rate_change=_atomics(params.inflation_rate_change),
            inflation_max=_atomics(params.inflation_max),
            inflation_min=_atomics(params.inflation_min),
            goal_bonded=_atomics(params.goal_bonded),
            blocks_per_year=params.blocks_per_year,
        )
    )


def inflation(keeper: MintKeeper, store: ReadStore, _: Any) -> cosmos_query.QueryInflationResponse:
    value = keeper.get_minter(store).inflation
    return cosmos_query.QueryInflationResponse(inflation=_atomics(value).encode())


def annual_provisions(
    keeper: MintKeeper, store: ReadStore, _: Any
) -> cosmos_query.QueryAnnualProvisionsResponse:
    value = keeper.get_minter(store).annual_provisions
    return cosmos_query.QueryAnnualProvisionsResponse(annual_provisions=_atomics(value).encode())


def params_pb(params: Params) -> mint_pb2.Params:
    return mint_pb2.Params(
        mint_denom=params.mint_denom,
        inflation_rate_change=_atomics(params.inflation_rate_change),
        inflation_max=_atomics(params.inflation_max),
        inflation_min=_atomics(params.inflation_min),
        goal_bonded=_atomics(params.goal_bonded),
        blocks_per_year=params.blocks_per_year,
        pouw_reward_share=_atomics(params.pouw_reward_share),
    )


def depind_params(keeper: MintKeeper, store: ReadStore, _: Any) -> depind_query.QueryParamsResponse:
    return depind_query.QueryParamsResponse(params=params_pb(keeper.get_parsed_params(store)))


def services(keeper: MintKeeper) -> dict[str, Service]:
    cosmos = "/cosmos.mint.v1beta1.Query/"
    return {
        cosmos + "Params": Service(cosmos_query.QueryParamsRequest, partial(cosmos_params, keeper)),
        cosmos + "Inflation": Service(cosmos_query.QueryInflationRequest, partial(inflation, keeper)),
        cosmos + "AnnualProvisions": Service(
            cosmos_query.QueryAnnualProvisionsRequest, partial(annual_provisions, keeper)
        ),
        "/depind.mint.v1.Query/Params": Service(
            depind_query.QueryParamsRequest, partial(depind_params, keeper)
        ),
    }
