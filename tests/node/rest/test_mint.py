"""The mint routes through the REST app, over an application whose module list has the
mint module (tests/vm/mint/chain.py); the chain's own list does not have it yet.

Answers are as Cosmos's gateway writes them: LegacyDec values as decimal text
(gogoproto's jsonpb calls ``LegacyDec.MarshalJSON``), where plain proto3 JSON would
give the atomics, or base64 of the bytes; Cosmos's params without the PoUW share,
depind's with it."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cosmpy.protos.cosmos.mint.v1beta1 import query_pb2 as cosmos_query
from cosmpy.protos.cosmos.staking.v1beta1 import staking_pb2
from google.protobuf import json_format

from node.rest import routes
from node.rest.decimals import write_decimals
from node.rest.gateway import to_json
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.helpers import apply_block
from tests.vm.mint.chain import mint_app
from vm.codec import pack


@pytest.fixture
async def rest() -> AsyncIterator[httpx.AsyncClient]:
    app = mint_app()
    apply_block(app, [])
    async with rest_client(app_node(app)) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str) -> Any:
    return await get_ok(rest, path)


async def test_inflation(rest: httpx.AsyncClient) -> None:
    assert await get(rest, "/cosmos/mint/v1beta1/inflation") == {"inflation": "0.130000020597257079"}


async def test_annual_provisions(rest: httpx.AsyncClient) -> None:
    answer = await get(rest, "/cosmos/mint/v1beta1/annual_provisions")
    assert answer == {"annual_provisions": "130000020597257.079000000000000000"}


async def test_cosmos_params(rest: httpx.AsyncClient) -> None:
    assert await get(rest, "/cosmos/mint/v1beta1/params") == {
        "params": {
            "mint_denom": "udepin",
            "inflation_rate_change": "0.130000000000000000",
            "inflation_max": "0.200000000000000000",
            "inflation_min": "0.070000000000000000",
            "goal_bonded": "0.670000000000000000",
            "blocks_per_year": "6311520",
        }
    }


async def test_depind_params(rest: httpx.AsyncClient) -> None:
    answer = await get(rest, "/depind/mint/v1/params")
    assert answer["params"]["pouw_reward_share"] == "0.100000000000000000"
    assert answer["params"]["blocks_per_year"] == "6311520"


def test_cosmpy_rest_client_reads_the_inflation_answer() -> None:
    """cosmpy's MintRestClient base64-encodes a numeric answer before parsing it."""
    text = "0.130000020597257079"
    parsed = json_format.Parse(
        json.dumps({"inflation": base64.b64encode(text.encode()).decode()}),
        cosmos_query.QueryInflationResponse(),
    )
    assert parsed.inflation.decode() == text


def test_mint_routes_resolve() -> None:
    route, found = routes.find("GET", "/cosmos/mint/v1beta1/annual_provisions")
    assert (route.grpc_path, found) == ("/cosmos.mint.v1beta1.Query/AnnualProvisions", {})
    params, _ = routes.find("GET", "/cosmos/mint/v1beta1/params")
    assert params.answer_class.DESCRIPTOR.full_name == "depind.mint.v1.CosmosQueryParamsResponse"
    assert params.response_class.DESCRIPTOR.full_name == "cosmos.mint.v1beta1.QueryParamsResponse"


def test_decimals_inside_nested_messages_and_anys() -> None:
    validator = staking_pb2.Validator(
        delegator_shares="1500000000000000000",
        commission=staking_pb2.Commission(
            commission_rates=staking_pb2.CommissionRates(
                rate="100000000000000000", max_rate="", max_change_rate="0"
            )
        ),
    )
    answer = staking_pb2.HistoricalInfo(valset=[validator])
    data = json_format.MessageToDict(answer, preserving_proto_field_name=True)
    write_decimals(answer, data)
    [shown] = data["valset"]
    assert shown["delegator_shares"] == "1.500000000000000000"
    assert shown["commission"]["commission_rates"]["rate"] == "0.100000000000000000"
    assert shown["commission"]["commission_rates"]["max_change_rate"] == "0.000000000000000000"
    packed = b'"delegator_shares":"1.500000000000000000"'
    assert packed in to_json(pack(validator))
