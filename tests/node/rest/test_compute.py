"""The compute routes (``/depind/compute/v1/...``, the ``depind.compute.v1.Query`` service)
through the REST app, over the chain of tests/node/compute_chain.py: proto3 JSON with proto
field names, filters and Cosmos pagination, the params' LegacyDecs as decimals,
grpc-gateway's errors."""

from __future__ import annotations

import base64
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gpu.header import work_units
from gpu.jobs import job_header, spec_digest
from node.node import Node
from node.rest import routes
from node.services import Status
from protos.depind.compute.v1 import query_pb2
from tests.node.compute_chain import ENERGY_MJ, JOB, JOB_PRICE, QUERY_HEIGHT, VALID_HEIGHT, compute_app
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.compute.helpers import header_bytes
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE

COMPUTE = "/depind/compute/v1"


@pytest.fixture(scope="module")
def node() -> Node:
    return app_node(compute_app())


@pytest.fixture
async def rest(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with rest_client(node) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str, **params: Any) -> Any:
    return await get_ok(rest, COMPUTE + path, QUERY_HEIGHT, **params)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_every_query_method_has_a_route() -> None:
    served = {r.grpc_path for r in routes.ROUTES if r.grpc_path.startswith("/depind.compute.v1.Query/")}
    methods = query_pb2.DESCRIPTOR.services_by_name["Query"].methods
    assert served == {f"/depind.compute.v1.Query/{m.name}" for m in methods}


async def test_job_in_proto3_json(rest: httpx.AsyncClient) -> None:
    job = (await get(rest, "/jobs/1"))["job"]
    assert (job["id"], job["state"], job["kind"], job["price"]) == (
        "1",
        "JOB_STATE_VALID",
        "gemm",
        str(JOB_PRICE),
    )
    assert (job["requester"], job["provider"]) == (BOB.address, ALICE.address)
    assert job["header"] == b64(header_bytes(JOB)) and job["spec_digest"] == b64(spec_digest(JOB))
    assert job["work_units"] == str(work_units(job_header(JOB)))
    assert job["result"]["energy_mj"] == str(ENERGY_MJ) and job["verdict_height"] == str(VALID_HEIGHT)
    members = job["committee"]["members"]
    assert {(m["operator"], m["power"]) for m in members} == {(CAROL.address, "3"), (DAVE.address, "2")}
    assert "fraud" not in job  # absent, as proto3 JSON writes an unset message


async def test_jobs_filtered_and_paged(rest: httpx.AsyncClient) -> None:
    first = await get(rest, "/jobs", provider=ALICE.address, **{"pagination.limit": 1})
    assert [j["id"] for j in first["jobs"]] == ["1"]
    assert base64.b64decode(first["pagination"]["next_key"]) == (2).to_bytes(8, "big")
    rest_page = await get(rest, "/jobs", **{"pagination.key": first["pagination"]["next_key"]})
    assert [j["id"] for j in rest_page["jobs"]] == ["2", "3"]
    [verifying] = (await get(rest, "/jobs", state="JOB_STATE_VERIFYING"))["jobs"]
    assert verifying["id"] == "2" and verifying["committee"]["sampled_height"] == str(VALID_HEIGHT)
    assert [j["id"] for j in (await get(rest, "/jobs", state="1", lease_id="1"))["jobs"]] == ["3"]
    assert (await get(rest, "/jobs", requester=CAROL.address))["jobs"] == []
    counted = await get(rest, "/jobs", **{"pagination.count_total": "true", "pagination.limit": 1})
    assert counted["pagination"]["total"] == "3" and len(counted["jobs"]) == 1


async def test_attestations_and_verdict(rest: httpx.AsyncClient) -> None:
    attestations = (await get(rest, "/jobs/1/attestations"))["attestations"]
    assert {a["member"] for a in attestations} == {CAROL.address, DAVE.address}
    assert {(a["verdict"], a["height"], a["punished"]) for a in attestations} == {("valid", "11", False)}
    assert await get(rest, "/jobs/1/verdict") == {
        "job_id": "1",
        "state": "JOB_STATE_VALID",
        "final": True,
        "valid_power": "5",
        "total_power": "5",
        "verdict_height": str(VALID_HEIGHT),
    }
    pending = await get(rest, "/jobs/3/verdict")
    assert (pending["state"], pending["final"], pending["total_power"]) == ("JOB_STATE_PENDING", False, "0")


async def test_posted_chunks_of_a_job_never_challenged(rest: httpx.AsyncClient) -> None:
    assert await get(rest, "/jobs/2/chunks") == {"job_id": "2", "answered_height": "0", "chunks": []}


async def test_provider_stats_and_params(rest: httpx.AsyncClient) -> None:
    stats = (await get(rest, f"/providers/{ALICE.address}/stats"))["stats"]
    assert (stats["verified_jobs"], stats["energy_mj"], stats["energy_jobs"]) == ("1", str(ENERGY_MJ), "1")
    none = (await get(rest, f"/providers/{BOB.address}/stats"))["stats"]
    assert (none["provider"], none["verified_jobs"]) == (BOB.address, "0")
    params = (await get(rest, "/params"))["params"]
    assert (params["denom"], params["committee_size"]) == ("udepin", "3")
    assert params["provider_slash_fraction"] == "0.100000000000000000"


@pytest.mark.parametrize(
    ("path", "params", "http_status", "status", "says"),
    [
        ("/jobs/9", {}, 404, Status.NotFound, "job not found"),
        ("/jobs/9/verdict", {}, 404, Status.NotFound, "job not found"),
        ("/jobs/9/attestations", {}, 404, Status.NotFound, "job not found"),
        ("/jobs/9/chunks", {}, 404, Status.NotFound, "job not found"),
        ("/jobs/x", {}, 400, Status.InvalidArgument, "parameter 'id'"),
        ("/jobs/x/verdict", {}, 400, Status.InvalidArgument, "parameter 'job_id'"),
        ("/providers/depin1x/stats", {}, 400, Status.InvalidArgument, "provider"),
        ("/jobs", {"requester": "depin1nope"}, 400, Status.InvalidArgument, "requester"),
        ("/jobs", {"state": "valid"}, 400, Status.InvalidArgument, "parameter 'state'"),
        ("/jobs", {"lease": "1"}, 400, Status.InvalidArgument, "unknown parameter 'lease'"),
        ("/jobs", {"pagination.key": "AAAA"}, 400, Status.InvalidArgument, "pagination key"),
    ],
)
async def test_invalid_compute_requests(
    rest: httpx.AsyncClient, path: str, params: dict[str, Any], http_status: int, status: Status, says: str
) -> None:
    response = await rest.get(COMPUTE + path, params=params)
    assert response.status_code == http_status, response.text
    body = response.json()
    assert body.keys() == {"code", "message", "details"} and body["code"] == status
    assert says in body["message"], body["message"]


FUZZ_PATHS = ["/jobs", "/jobs/{}", "/jobs/{}/attestations", "/jobs/{}/verdict", "/providers/{}/stats"]
FUZZ_NAMES = ["lease_id", "provider", "requester", "state", "pagination.key", "pagination.limit", "id"]
FUZZ_VALUES = ["", "0", "1", "-1", "9" * 30, "AAAA", "AAAAAAAAAAE=", ALICE.address, "JOB_STATE_VALID"]


async def test_random_compute_requests_never_answer_a_server_error(rest: httpx.AsyncClient) -> None:
    rng = random.Random(13)
    for _ in range(200):
        path = COMPUTE + rng.choice(FUZZ_PATHS).format(rng.choice(FUZZ_VALUES))
        params = tuple((rng.choice(FUZZ_NAMES), rng.choice(FUZZ_VALUES)) for _ in range(rng.randrange(4)))
        response = await rest.get(path, params=params)
        assert response.headers["content-type"] == "application/json"
        if response.status_code != 200:
            assert response.status_code < 500, (path, params, response.text)
