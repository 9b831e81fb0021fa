"""A requester's spec with supplied tensors: the spec file is read with its header, and its
inputs are uploaded to the lease's provider at its registered endpoint before the job is
submitted, or the command stops with one line saying why (end to end: `depind job run` in
tests/e2e/test_compute.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
import trio

from gpu.header import header_digest
from gpu.jobs import encode_spec, job_header
from node.cli.common import CLIError
from node.cli.compute_tx import JobFile, read_job_file, upload_job_inputs
from node.client import Client
from node.outputs.input_store import InputLimits, InputStore
from node.outputs.server import OutputLimits, OutputStore
from tests.node.outputs.support import GEMM, SUPPLIED_GEMM, start_server

PROVIDER = "depin1provider"


class FakeClient:
    """A node that knows lease 3, on PROVIDER, whose registered endpoint names no scheme."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def call(self, method: str, **params: Any) -> Any:
        if method == "lease":
            assert params == {"id": 3}
            return {"lease": {"id": 3, "provider": PROVIDER}, "escrow": None}
        assert (method, params) == ("provider", {"owner": PROVIDER})
        return {"owner": PROVIDER, "endpoint": self.endpoint}


def job_file(tmp_path: Path, spec: Any) -> JobFile:
    path = tmp_path / "job.json"
    path.write_bytes(encode_spec(spec))
    return read_job_file(path)


def test_a_spec_file_says_whether_it_supplies_tensors(tmp_path: Path) -> None:
    supplied, seeded = job_file(tmp_path, SUPPLIED_GEMM), job_file(tmp_path, GEMM)
    assert supplied.supplied and not seeded.supplied
    assert supplied.header == job_header(SUPPLIED_GEMM)


async def test_the_inputs_go_to_the_leases_provider(tmp_path: Path, nursery: trio.Nursery) -> None:
    store = InputStore(tmp_path / "inputs")
    url = await start_server(nursery, OutputStore(tmp_path / "outputs"), OutputLimits(), store)
    client = cast(Client, FakeClient(url.removeprefix("http://")))
    job = job_file(tmp_path, SUPPLIED_GEMM)
    endpoint = await trio.to_thread.run_sync(upload_job_inputs, client, 3, job)
    assert endpoint == url
    assert store.find(header_digest(job.header)) is not None


async def test_invalid_an_upload_the_provider_refuses_is_one_line(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    store = InputStore(tmp_path / "inputs", InputLimits(max_upload_bytes=100))
    url = await start_server(nursery, OutputStore(tmp_path / "outputs"), OutputLimits(), store)
    client = cast(Client, FakeClient(url))
    with pytest.raises(CLIError, match=r"cannot upload the job's inputs to lease 3's provider: .* \(413\)"):
        await trio.to_thread.run_sync(upload_job_inputs, client, 3, job_file(tmp_path, SUPPLIED_GEMM))
