"""The gov routes (v1 and v1beta1) through the REST app, over the chain of
tests/vm/gov/query_chain.py: Cosmos's paths and proto3 JSON, a proposal's messages shown
with their fields, LegacyDec values as decimals, and grpc-gateway's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from node.rest import routes
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.gov.query_chain import QUERY_HEIGHT, gov_app
from tests.vm.gov.vectors import GOV
from tests.vm.helpers import ALICE, CAROL
from vm.modules import default_registry

V1 = "/cosmos/gov/v1"
V1BETA1 = "/cosmos/gov/v1beta1"
KEEP_SENDING = {
    "@type": "/cosmos.bank.v1beta1.MsgUpdateParams",
    "authority": GOV,
    "params": {"default_send_enabled": True, "send_enabled": []},
}


@pytest.fixture
async def rest() -> AsyncIterator[httpx.AsyncClient]:
    async with rest_client(app_node(gov_app())) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str, **params: Any) -> Any:
    return await get_ok(rest, path, QUERY_HEIGHT, **params)


def ids(answer: Any, name: str = "id") -> list[str]:
    return [p[name] for p in answer["proposals"]]


async def test_proposals_by_status_name_or_number(rest: httpx.AsyncClient) -> None:
    assert ids(await get(rest, f"{V1}/proposals")) == ["1", "2", "3"]
    by_name = await get(rest, f"{V1}/proposals", proposal_status="PROPOSAL_STATUS_DEPOSIT_PERIOD")
    assert ids(by_name) == ["2"]
    assert ids(await get(rest, f"{V1}/proposals", proposal_status="3")) == ["1"]
    assert ids(await get(rest, f"{V1}/proposals", voter=ALICE.address)) == ["3"]
    page = await get(rest, f"{V1}/proposals", depositor=CAROL.address, **{"pagination.limit": "1"})
    assert ids(page) == ["2"] and page["pagination"]["next_key"] == "AAAAAAAAAAM="  # id 3


async def test_a_proposal_shows_its_messages(rest: httpx.AsyncClient) -> None:
    proposal = (await get(rest, f"{V1}/proposals/1"))["proposal"]
    assert proposal["messages"] == [KEEP_SENDING]
    assert proposal["status"] == "PROPOSAL_STATUS_PASSED"
    assert (proposal["submit_time"], proposal["voting_end_time"]) == (
        "2024-01-01T00:00:02Z",
        "2024-01-01T00:00:05Z",
    )
    assert proposal["deposit_end_time"] == "1970-01-01T00:00:00Z"
    legacy = (await get(rest, f"{V1BETA1}/proposals/1"))["proposal"]
    assert legacy["content"] == KEEP_SENDING and legacy["proposal_id"] == "1"


async def test_a_text_proposal_in_v1beta1(rest: httpx.AsyncClient) -> None:
    legacy = (await get(rest, f"{V1BETA1}/proposals/2"))["proposal"]
    assert legacy["content"] == {
        "@type": "/cosmos.gov.v1beta1.TextProposal",
        "title": "Plant trees",
        "description": "Plant trees, at length",
    }
    assert legacy["voting_start_time"] == "0001-01-01T00:00:00Z"
    page = await get(rest, f"{V1BETA1}/proposals", proposal_status="PROPOSAL_STATUS_DEPOSIT_PERIOD")
    assert ids(page, "proposal_id") == ["2"]


async def test_votes_deposits_and_tally(rest: httpx.AsyncClient) -> None:
    votes = await get(rest, f"{V1}/proposals/3/votes")
    assert [v["voter"] for v in votes["votes"]] == [CAROL.address, ALICE.address]
    legacy = await get(rest, f"{V1BETA1}/proposals/3/votes/{ALICE.address}")
    assert legacy["vote"]["options"] == [
        {"option": "VOTE_OPTION_YES", "weight": "0.600000000000000000"},  # atomics in protobuf
        {"option": "VOTE_OPTION_NO", "weight": "0.400000000000000000"},
    ]
    deposit = await get(rest, f"{V1}/proposals/2/deposits/{CAROL.address}")
    assert deposit["deposit"]["amount"] == [{"denom": "udepin", "amount": "100"}]
    assert len((await get(rest, f"{V1BETA1}/proposals/2/deposits"))["deposits"]) == 2
    tally = (await get(rest, f"{V1}/proposals/3/tally"))["tally"]
    assert (tally["yes_count"], tally["no_count"]) == ("6000000", "5000000")


async def test_params_and_constitution(rest: httpx.AsyncClient) -> None:
    v1 = await get(rest, f"{V1}/params/tallying")
    assert v1["tally_params"]["quorum"] == "0.334000000000000000"
    assert v1["params"]["voting_period"] == "0s" and v1["params"]["threshold"] == "0.500000000000000000"
    legacy = await get(rest, f"{V1BETA1}/params/tallying")
    assert legacy == {
        "tally_params": {
            "quorum": "0.334000000000000000",
            "threshold": "0.500000000000000000",
            "veto_threshold": "0.334000000000000000",
        }
    }
    voting = await get(rest, f"{V1BETA1}/params/voting")
    assert voting == {"voting_params": {"voting_period": "0s"}}
    assert await get(rest, f"{V1}/constitution") == {"constitution": "Be excellent."}


async def test_errors_as_grpc_gateway_writes_them(rest: httpx.AsyncClient) -> None:
    missing = await rest.get(f"{V1}/proposals/9")
    assert missing.status_code == 404
    assert missing.json()["message"] == "rpc error: code = NotFound desc = proposal 9 doesn't exist"
    zero = await rest.get(f"{V1}/proposals/0/tally")
    assert zero.status_code == 400 and "proposal id can not be 0" in zero.json()["message"]
    bad_status = await rest.get(f"{V1}/proposals", params={"proposal_status": "PASSED"})
    assert bad_status.status_code == 400 and "proposal_status" in bad_status.json()["message"]
    several = await rest.get(f"{V1BETA1}/proposals/3")
    assert several.status_code == 500 and "not exactly one" in several.json()["message"]
    bogus = await rest.get(f"{V1BETA1}/params/bogus")
    assert bogus.status_code == 400 and "unknown params type: bogus" in bogus.json()["message"]


def test_every_gov_service_has_its_route() -> None:
    served = set(default_registry().module("gov").services)
    routed = {route.grpc_path for route in routes.ROUTES if route.grpc_path.startswith("/cosmos.gov.")}
    assert served == routed and len(served) == 17
