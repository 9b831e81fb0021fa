"""The output server's input requests over real sockets: an upload is stored only under its own
header digest and within its size limit, uploads at once are bounded, what is stored is served
by range and survives a restart of the server; the requester's upload and the verifier's fetch
against it."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trio

from gpu.header import header_digest
from gpu.jobs import JobSpec, job_header
from node.outputs.fetch import BadAnswer, FetchLimits
from node.outputs.input_store import InputLimits, InputStore
from node.outputs.inputs import (
    InputsMismatch,
    UploadError,
    encode_inputs,
    fetch_inputs,
    job_spec,
    upload_inputs,
)
from node.outputs.layout import inputs_path
from node.outputs.server import OutputLimits, OutputStore
from tests.node.outputs.support import GEMM, SUPPLIED_GEMM, SUPPLIED_MLP, start_server

LIMITS = OutputLimits(max_range_bytes=256, max_concurrent=4, piece_bytes=100, response_timeout_s=20)
INPUT_LIMITS = InputLimits(max_upload_bytes=2048, max_unclaimed_bytes=8192, max_concurrent_uploads=1)
QUICK = FetchLimits(range_bytes=200, attempts=2, first_backoff_s=0.05, deadline_s=10, request_timeout_s=5)
MLP_INPUTS = encode_inputs(SUPPLIED_MLP)  # 1,600 bytes: several ranges, within the upload limit


@dataclass(frozen=True)
class Served:
    url: str
    inputs: InputStore


@pytest.fixture
async def served(tmp_path: Path, nursery: trio.Nursery) -> Served:
    inputs = InputStore(tmp_path / "inputs", INPUT_LIMITS)
    url = await start_server(nursery, OutputStore(tmp_path / "outputs"), LIMITS, inputs)
    return Served(url, inputs)


def path_of(spec: JobSpec) -> str:
    return inputs_path(header_digest(job_header(spec)))


async def put(served: Served, path: str, body: bytes | AsyncIterator[bytes]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        return await client.put(path, content=body)


async def get(served: Served, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        return await client.get(path, headers=headers)


async def test_an_upload_is_stored_once_and_served_by_range(served: Served) -> None:
    assert len(MLP_INPUTS) > LIMITS.max_range_bytes
    stored = await put(served, path_of(SUPPLIED_MLP), MLP_INPUTS)
    assert stored.status_code == 201
    again = await put(served, path_of(SUPPLIED_MLP), MLP_INPUTS)
    assert again.status_code == 200 and "held already" in again.text
    part = await get(served, path_of(SUPPLIED_MLP), range="bytes=100-299")
    assert part.status_code == 206 and part.content == MLP_INPUTS[100:300]
    assert part.headers["content-range"] == f"bytes 100-299/{len(MLP_INPUTS)}"
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        head = await client.head(path_of(SUPPLIED_MLP))
    assert head.headers["content-length"] == str(len(MLP_INPUTS))
    assert (await get(served, path_of(SUPPLIED_MLP))).status_code == 413  # whole: ask by Range


async def test_invalid_inputs_under_another_jobs_digest_are_refused(served: Served) -> None:
    planted = await put(served, path_of(SUPPLIED_GEMM), MLP_INPUTS)
    assert planted.status_code == 400
    assert "not the inputs of the job header" in planted.text
    assert (await get(served, path_of(SUPPLIED_GEMM), range="bytes=0-9")).status_code == 404
    assert served.inputs.unclaimed() == []


async def test_invalid_digests_and_unknown_inputs(served: Served) -> None:
    assert (await put(served, "/inputs/abc", MLP_INPUTS)).status_code == 400
    assert (await get(served, "/inputs/" + "zz" * 32)).status_code == 400
    unknown = await get(served, path_of(SUPPLIED_GEMM), range="bytes=0-9")
    assert unknown.status_code == 404 and "no inputs are stored" in unknown.text


async def test_invalid_an_oversized_upload_is_413_declared_or_streamed(served: Served) -> None:
    too_big = bytes(INPUT_LIMITS.max_upload_bytes + 1)
    assert (await put(served, path_of(SUPPLIED_MLP), too_big)).status_code == 413

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(5):
            yield bytes(500)

    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        streamed = await client.put(path_of(SUPPLIED_MLP), content=chunked())
    assert streamed.status_code == 413 and "at most 2048 bytes" in streamed.text
    assert served.inputs.unclaimed() == []


class HeldStore(InputStore):
    """A store whose first upload waits, once received, until the test lets it be stored."""

    def __init__(self, directory: Path, limits: InputLimits) -> None:
        super().__init__(directory, limits)
        self.entered, self.release = threading.Event(), threading.Event()

    def put(self, digest: bytes, data: bytes, now: float | None = None) -> bool:
        self.entered.set()
        assert self.release.wait(10)
        return super().put(digest, data, now)


async def test_uploads_beyond_the_limit_at_once_are_503(tmp_path: Path, nursery: trio.Nursery) -> None:
    store = HeldStore(tmp_path / "inputs", INPUT_LIMITS)  # one upload at a time
    served = Served(await start_server(nursery, OutputStore(tmp_path / "outputs"), LIMITS, store), store)
    answers: list[int] = []

    async def first() -> None:
        answers.append((await put(served, path_of(SUPPLIED_MLP), MLP_INPUTS)).status_code)

    async with trio.open_nursery() as uploads:
        uploads.start_soon(first)
        assert await trio.to_thread.run_sync(store.entered.wait, 10)
        busy = await put(served, path_of(SUPPLIED_GEMM), encode_inputs(SUPPLIED_GEMM))
        store.release.set()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert answers == [201]


async def test_stored_inputs_are_served_after_a_restart(tmp_path: Path, nursery: trio.Nursery) -> None:
    first = InputStore(tmp_path / "inputs", INPUT_LIMITS)
    first.put(header_digest(job_header(SUPPLIED_MLP)), MLP_INPUTS)
    again = InputStore(tmp_path / "inputs", INPUT_LIMITS)  # a new process over the same work dir
    url = await start_server(nursery, OutputStore(tmp_path / "outputs"), LIMITS, again)
    spec = await trio.to_thread.run_sync(fetch_inputs, url, job_header(SUPPLIED_MLP), QUICK)
    assert spec == SUPPLIED_MLP


# -- the requester's upload, the verifier's fetch ----------------------------------------------------


async def test_upload_then_fetch_gives_back_the_spec(served: Served) -> None:
    digest = header_digest(job_header(SUPPLIED_GEMM))
    upload = encode_inputs(SUPPLIED_GEMM)
    assert await trio.to_thread.run_sync(upload_inputs, served.url, upload, digest, QUICK)
    assert not await trio.to_thread.run_sync(upload_inputs, served.url, upload, digest, QUICK)
    header = job_header(SUPPLIED_GEMM)
    assert await trio.to_thread.run_sync(job_spec, header, served.url, QUICK) == SUPPLIED_GEMM
    assert await trio.to_thread.run_sync(job_spec, job_header(GEMM), served.url, QUICK) == GEMM  # seeded


async def test_invalid_an_upload_the_provider_refuses(served: Served) -> None:
    wrong = header_digest(job_header(SUPPLIED_GEMM))
    with pytest.raises(UploadError, match=r"refused the inputs \(400\): not the inputs of the job header"):
        await trio.to_thread.run_sync(upload_inputs, served.url, MLP_INPUTS, wrong, QUICK)


async def test_invalid_an_upload_nobody_answers() -> None:
    digest = header_digest(job_header(SUPPLIED_GEMM))
    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    with pytest.raises(UploadError, match="2 tries failed, the last: ConnectError"):
        await trio.to_thread.run_sync(upload_inputs, f"http://127.0.0.1:{port}", MLP_INPUTS, digest, QUICK)


async def test_a_provider_without_the_inputs_or_with_others_fails_the_fetch(served: Served) -> None:
    header = job_header(SUPPLIED_GEMM)
    with pytest.raises(BadAnswer, match="answered 404") as missing:
        await trio.to_thread.run_sync(fetch_inputs, served.url, header, QUICK)
    assert missing.value.status == 404
    # A provider that serves other bytes under the digest (planted past the upload's check).
    data = bytearray(encode_inputs(SUPPLIED_GEMM))
    data[-1] ^= 0x01
    (served.inputs.jobs / f"{header_digest(header).hex()}.inputs").write_bytes(bytes(data))
    with pytest.raises(InputsMismatch, match="not the job's"):
        await trio.to_thread.run_sync(fetch_inputs, served.url, header, QUICK)
