"""upgrade queries over abci_query: Cosmos's gRPC answers and the JSON paths."""

from __future__ import annotations

from cosmpy.protos.cosmos.upgrade.v1beta1 import query_pb2, upgrade_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from tests.vm.helpers import new_app, query_json
from tests.vm.upgrade.chain import upgrade_genesis
from tests.vm.upgrade.vectors import GOV
from vm.app import App
from vm.upgrade.msgs import GO_ZERO_SECONDS

SERVICE = "/cosmos.upgrade.v1beta1.Query/"


def grpc(app: App, method: str, request: bytes = b"") -> bytes:
    result = app.query(SERVICE + method, request)
    assert result.code == 0, result.log
    return result.value


def test_current_plan_as_cosmos_answers_it() -> None:
    """The deprecated time is Go's zero time, which Cosmos's non-nullable field always carries."""
    app = new_app(upgrade_genesis(plan=("v2", 30), info="notes"))
    answer = query_pb2.QueryCurrentPlanResponse.FromString(grpc(app, "CurrentPlan"))
    assert answer.plan == upgrade_pb2.Plan(
        name="v2", time=Timestamp(seconds=GO_ZERO_SECONDS), height=30, info="notes"
    )


def test_no_current_plan() -> None:
    answer = query_pb2.QueryCurrentPlanResponse.FromString(grpc(new_app(upgrade_genesis()), "CurrentPlan"))
    assert not answer.HasField("plan")


def test_applied_plan_height_and_zero_when_unknown() -> None:
    app = new_app(upgrade_genesis(applied={"v2": 3}))
    for name, height in (("v2", 3), ("v9", 0)):
        request = query_pb2.QueryAppliedPlanRequest(name=name).SerializeToString()
        assert (
            query_pb2.QueryAppliedPlanResponse.FromString(grpc(app, "AppliedPlan", request)).height == height
        )


def test_authority_is_governance() -> None:
    answer = query_pb2.QueryAuthorityResponse.FromString(grpc(new_app(upgrade_genesis()), "Authority"))
    assert answer.address == GOV


def test_json_paths() -> None:
    app = new_app(upgrade_genesis(plan=("v3", 30), applied={"v2": 3}))
    assert query_json(app, "/upgrade/current_plan") == {"plan": {"name": "v3", "height": "30", "info": ""}}
    assert query_json(app, "/upgrade/applied_plan", {"name": "v2"}) == {"name": "v2", "applied_height": "3"}
    assert query_json(app, "/upgrade/applied_plan", {"name": "v3"}) == {"name": "v3", "applied_height": "0"}
    assert query_json(new_app(upgrade_genesis()), "/upgrade/current_plan") == {"plan": None}


def test_invalid_applied_plan_without_a_name() -> None:
    result = new_app(upgrade_genesis()).query("/upgrade/applied_plan", b"{}")
    assert (result.codespace, result.code) == ("sdk", 18)
    assert "query needs a string 'name'" in result.log
