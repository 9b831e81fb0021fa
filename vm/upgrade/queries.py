"""upgrade queries: Cosmos's ``cosmos.upgrade.v1beta1.Query`` services and the JSON paths.

Cosmos answers the plan with its deprecated ``time`` as Go's zero time (its non-nullable
field is always encoded), and an unknown upgrade's applied height as 0; so does depind.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from cosmpy.protos.cosmos.upgrade.v1beta1 import query_pb2, upgrade_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from vm.module import Service
from vm.query_args import text_arg
from vm.store.cache import ReadStore
from vm.types import Address, format_address
from vm.upgrade.keeper import UpgradeKeeper
from vm.upgrade.msgs import GO_ZERO_SECONDS
from vm.upgrade.types import Plan


def query_current_plan(keeper: UpgradeKeeper, store: ReadStore, _: dict[str, Any]) -> Any:
    """``{plan: {name, height, info} | null}``, the height as a string (a 64-bit integer)."""
    plan = keeper.get_plan(store)
    if plan is None:
        return {"plan": None}
    return {"plan": {"name": plan.name, "height": str(plan.height), "info": plan.info}}


def query_applied_plan(keeper: UpgradeKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """``{name, applied_height}``: the block that ran upgrade ``name``'s migration, "0" if none."""
    name = text_arg(request, "name")
    return {"name": name, "applied_height": str(keeper.applied_height(store, name))}


def plan_pb(plan: Plan) -> upgrade_pb2.Plan:
    return upgrade_pb2.Plan(
        name=plan.name, time=Timestamp(seconds=GO_ZERO_SECONDS), height=plan.height, info=plan.info
    )


def current_plan(
    keeper: UpgradeKeeper, store: ReadStore, _: query_pb2.QueryCurrentPlanRequest
) -> query_pb2.QueryCurrentPlanResponse:
    plan = keeper.get_plan(store)
    return query_pb2.QueryCurrentPlanResponse(plan=None if plan is None else plan_pb(plan))


def applied_plan(
    keeper: UpgradeKeeper, store: ReadStore, request: query_pb2.QueryAppliedPlanRequest
) -> query_pb2.QueryAppliedPlanResponse:
    return query_pb2.QueryAppliedPlanResponse(height=keeper.applied_height(store, request.name))


def authority(
    address: Address, store: ReadStore, _: query_pb2.QueryAuthorityRequest
) -> query_pb2.QueryAuthorityResponse:
    return query_pb2.QueryAuthorityResponse(address=format_address(address))


def services(keeper: UpgradeKeeper, authority_address: Address) -> dict[str, Service]:
    path = "/cosmos.upgrade.v1beta1.Query/"
    return {
        path + "CurrentPlan": Service(query_pb2.QueryCurrentPlanRequest, partial(current_plan, keeper)),
        path + "AppliedPlan": Service(query_pb2.QueryAppliedPlanRequest, partial(applied_plan, keeper)),
        path + "Authority": Service(query_pb2.QueryAuthorityRequest, partial(authority, authority_address)),
    }
