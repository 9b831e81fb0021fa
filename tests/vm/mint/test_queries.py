"""mint queries over abci_query: Cosmos's gRPC answers (read with cosmpy's protobuf
classes, or depind's copy of upstream's Params where cosmpy ships Fetch.ai's fork),
depind's params answer with the PoUW share, and the JSON paths."""

from __future__ import annotations

from cosmpy.protos.cosmos.mint.v1beta1 import query_pb2 as cosmos_query

from protos.depind.mint.v1 import cosmos_pb2
from protos.depind.mint.v1 import query_pb2 as depind_query
from tests.vm.helpers import apply_block, query_json
from tests.vm.mint.chain import mint_app
from vm.app import App

COSMOS = "/cosmos.mint.v1beta1.Query/"


def grpc(app: App, path: str, request: bytes = b"") -> bytes:
    result = app.query(path, request)
    assert result.code == 0, result.log
    return result.value


def test_inflation_is_the_legacy_dec_atomics_as_ascii() -> None:
    app = mint_app()
    apply_block(app, [])
    answer = cosmos_query.QueryInflationResponse.FromString(grpc(app, COSMOS + "Inflation"))
    assert answer.inflation == b"130000020597257079"  # 0.130000020597257079, as cosmjs decodes it


def test_annual_provisions_are_the_legacy_dec_atomics_as_ascii() -> None:
    app = mint_app()
    apply_block(app, [])
    answer = cosmos_query.QueryAnnualProvisionsResponse.FromString(grpc(app, COSMOS + "AnnualProvisions"))
    assert answer.annual_provisions == b"130000020597257079000000000000000"


def test_zero_annual_provisions_at_genesis() -> None:
    answer = cosmos_query.QueryAnnualProvisionsResponse.FromString(
        grpc(mint_app(), COSMOS + "AnnualProvisions")
    )
    assert answer.annual_provisions == b"0"


def test_cosmos_params_have_cosmos_fields_only() -> None:
    data = grpc(mint_app(), COSMOS + "Params", cosmos_query.QueryParamsRequest().SerializeToString())
    answer = cosmos_pb2.CosmosQueryParamsResponse.FromString(data)
    assert answer.params == cosmos_pb2.CosmosParams(
        mint_denom="udepin",
        inflation_rate_change="130000000000000000",
        inflation_max="200000000000000000",
        inflation_min="70000000000000000",
        goal_bonded="670000000000000000",
        blocks_per_year=6_311_520,
    )
    assert answer.SerializeToString(deterministic=True) == data  # nothing else on the wire
    # cosmpy's class (Fetch.ai's fork) reads the fields both share the same way.
    fork = cosmos_query.QueryParamsResponse.FromString(data)
    assert (fork.params.mint_denom, fork.params.blocks_per_year) == ("udepin", 6_311_520)


def test_depind_params_carry_the_pouw_share() -> None:
    data = grpc(mint_app(), "/depind.mint.v1.Query/Params")
    params = depind_query.QueryParamsResponse.FromString(data).params
    assert params.pouw_reward_share == "100000000000000000"
    assert params.goal_bonded == "670000000000000000"


def test_json_paths() -> None:
    app = mint_app()
    assert query_json(app, "/mint/inflation") == {"inflation": "0.130000000000000000"}
    assert query_json(app, "/mint/annual_provisions") == {"annual_provisions": "0.000000000000000000"}
    apply_block(app, [])
    assert query_json(app, "/mint/inflation") == {"inflation": "0.130000020597257079"}
    params = query_json(app, "/params", {"module": "mint"})
    assert isinstance(params, dict)
    assert params["mint"]["pouw_reward_share"] == "0.100000000000000000"


def test_invalid_request_bytes() -> None:
    result = mint_app().query(COSMOS + "Inflation", b"\x08\x01")  # field 1 in an empty request
    assert result.code != 0
