"""The verifier's fetcher against real servers: the committed bytes or a typed failure."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import pytest
import trio
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gpu.jobs import JobSpec, job_header
from gpu.results import npy_name
from gpu.run import JobResult
from node.outputs.fetch import (
    BadAnswer,
    FetchLimits,
    FetchTimeout,
    ProviderUnreachable,
    RootMismatch,
    WrongSize,
    fetch_outputs,
)
from node.outputs.layout import ExpectedOutputs, expected_outputs
from node.outputs.server import OutputLimits, OutputStore, build_app
from tests.node.outputs.support import (
    GEMM,
    MLP,
    canonical,
    honest_result,
    start_app,
    start_server,
    write_folder,
)

SERVER = OutputLimits(max_range_bytes=4096, max_concurrent=4, piece_bytes=1000)
QUICK = FetchLimits(range_bytes=1000, attempts=4, first_backoff_s=0.01, max_backoff_s=0.05, deadline_s=20)


@cache
def mlp() -> JobResult:
    return honest_result(MLP)


@dataclass(frozen=True)
class Provider:
    url: str
    store: OutputStore
    folder: Path
    expected: ExpectedOutputs


def expected_for(spec: JobSpec, result: JobResult) -> ExpectedOutputs:
    return expected_outputs(job_header(spec), result.result_root)


async def fetch(url: str, expected: ExpectedOutputs, work: Path, limits: FetchLimits = QUICK) -> Path:
    return await trio.to_thread.run_sync(partial(fetch_outputs, url, expected, work, limits))


@pytest.fixture
async def provider(tmp_path: Path, nursery: trio.Nursery) -> Provider:
    store = OutputStore(tmp_path / "store")
    folder = write_folder(tmp_path / "mlp", MLP, mlp(), "npy")
    store.publish(folder)
    return Provider(await start_server(nursery, store, SERVER), store, folder, expected_for(MLP, mlp()))


@pytest.mark.parametrize("range_bytes", [1000, 1024, 10_000], ids=["odd", "leaf", "over-the-server-limit"])
async def test_fetch_gives_the_committed_bytes(provider: Provider, tmp_path: Path, range_bytes: int) -> None:
    limits = FetchLimits(range_bytes=range_bytes, attempts=1, deadline_s=20)
    path = await fetch(provider.url, provider.expected, tmp_path / "work", limits)
    assert path.read_bytes() == canonical(mlp())
    assert path.name == mlp().result_root.hex() + ".outputs"
    assert [p.name for p in (tmp_path / "work").iterdir()] == [path.name]


class Flaky:
    """Fails the first `failures` requests, in turn an answer cut short and a 503 (the cut answer
    is for the first 1,000 bytes of MLP's outputs: the first range QUICK asks for)."""

    def __init__(self, app: ASGIApp, failures: int) -> None:
        self.app, self.failures, self.requests = app, failures, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        if self.requests > self.failures:
            await self.app(scope, receive, send)
        elif self.requests % 2:
            headers = [(b"content-length", b"1000"), (b"content-range", b"bytes 0-999/12144")]
            await send({"type": "http.response.start", "status": 206, "headers": headers})
            await send({"type": "http.response.body", "body": bytes(10), "more_body": True})
        else:
            await PlainTextResponse("down", 503, {"retry-after": "0"})(scope, receive, send)


async def test_fetch_retries_a_server_that_fails_at_first(
    provider: Provider, tmp_path: Path, nursery: trio.Nursery
) -> None:
    flaky = Flaky(build_app(provider.store, SERVER), failures=3)
    url = await start_app(nursery, flaky)
    path = await fetch(url, provider.expected, tmp_path / "work")
    assert path.read_bytes() == canonical(mlp())
    assert flaky.requests == 3 + -(-len(canonical(mlp())) // QUICK.range_bytes)


async def test_invalid_fetch_gives_up_after_its_attempts(
    provider: Provider, tmp_path: Path, nursery: trio.Nursery
) -> None:
    flaky = Flaky(build_app(provider.store, SERVER), failures=100)
    url = await start_app(nursery, flaky)
    with pytest.raises(ProviderUnreachable, match="4 tries failed, the last: answered 503"):
        await fetch(url, provider.expected, tmp_path / "work")
    assert flaky.requests == 4
    assert list((tmp_path / "work").iterdir()) == []


async def test_invalid_fetch_from_nothing_listening(provider: Provider, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderUnreachable, match="ConnectError"):
        await fetch(f"http://127.0.0.1:{port}", provider.expected, tmp_path / "work")


async def test_invalid_fetch_of_other_sized_outputs(provider: Provider, tmp_path: Path) -> None:
    shapes = ((33, 37), (33, 37), (33, 9), (33, 10))  # one column more than the provider's
    expected = ExpectedOutputs(provider.expected.result_root, provider.expected.spec_digest, shapes)
    with pytest.raises(WrongSize, match="serves 12144 bytes of outputs; the job's outputs are 12276"):
        await fetch(provider.url, expected, tmp_path / "work")
    assert list((tmp_path / "work").iterdir()) == []


async def test_invalid_fetch_of_corrupted_outputs(provider: Provider, tmp_path: Path) -> None:
    npy = provider.folder / npy_name(2)
    with npy.open("r+b") as file:  # one bit of the last entry's data, after the .npy header
        file.seek(-1, 2)
        last = file.read(1)[0]
        file.seek(-1, 2)
        file.write(bytes([last ^ 1]))
    with pytest.raises(RootMismatch, match="not the one committed"):
        await fetch(provider.url, provider.expected, tmp_path / "work")
    assert list((tmp_path / "work").iterdir()) == []


async def test_invalid_fetch_of_an_unpublished_result(provider: Provider, tmp_path: Path) -> None:
    expected = expected_for(GEMM, honest_result(GEMM))
    with pytest.raises(BadAnswer, match="answered 404") as raised:
        await fetch(provider.url, expected, tmp_path / "work")
    assert raised.value.status == 404


async def test_invalid_fetch_past_the_deadline(
    provider: Provider, tmp_path: Path, nursery: trio.Nursery
) -> None:
    """A provider that accepts connections and never answers."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    nursery.start_soon(trio.serve_listeners, _hold, listeners)
    limits = FetchLimits(range_bytes=1000, first_backoff_s=0.01, deadline_s=0.5)
    with trio.fail_after(10), pytest.raises(FetchTimeout, match="deadline passed"):
        await fetch(f"http://127.0.0.1:{port}", provider.expected, tmp_path / "work", limits)


async def test_invalid_fetch_from_a_provider_that_never_completes_the_connection(
    provider: Provider, tmp_path: Path
) -> None:
    """A provider whose connections go unanswered (as behind a firewall dropping them) counts as
    down after ``connect_timeout_s``, not the far longer wait between bytes."""
    with socket.socket() as server, socket.socket() as queued:
        server.bind(("127.0.0.1", 0))
        server.listen(0)  # one connection waits to be accepted; the kernel drops further SYNs
        queued.connect(server.getsockname())
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        limits = FetchLimits(attempts=2, first_backoff_s=0.01, connect_timeout_s=0.2, request_timeout_s=60)
        with (
            trio.fail_after(10),
            pytest.raises(ProviderUnreachable, match="2 tries failed, the last: ConnectTimeout"),
        ):
            await fetch(url, provider.expected, tmp_path / "work", limits)


async def _hold(stream: trio.SocketStream) -> None:
    await trio.sleep_forever()
