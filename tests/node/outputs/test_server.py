"""The output server over real sockets: ranges (206, 416), HEAD, the record, unknown and
malformed roots, the limits on one answer and on requests in flight."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
import pytest
import trio

from gpu.errors import ResultFileError
from gpu.results import RAW_FILE, npy_name
from gpu.run import JobResult
from node.outputs.layout import outputs_path
from node.outputs.server import OutputLimits, OutputStore
from tests.node.outputs.support import (
    GEMM,
    MLP,
    canonical,
    honest_result,
    sparse_folder,
    start_server,
    write_folder,
)

LIMITS = OutputLimits(max_range_bytes=8192, max_concurrent=4, piece_bytes=1000, response_timeout_s=20)


@cache
def gemm() -> JobResult:
    return honest_result(GEMM)


@cache
def mlp() -> JobResult:
    return honest_result(MLP)


@dataclass(frozen=True)
class Served:
    url: str
    store: OutputStore
    gemm_folder: Path


@pytest.fixture
async def served(tmp_path: Path, nursery: trio.Nursery) -> Served:
    store = OutputStore(tmp_path / "store")
    folder = write_folder(tmp_path / "gemm", GEMM, gemm(), "npy")
    store.publish(folder)
    store.publish(write_folder(tmp_path / "mlp", MLP, mlp(), "raw"))
    return Served(await start_server(nursery, store, LIMITS), store, folder)


async def get(served: Served, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        return await client.get(path, headers=headers)


def path_of(result: JobResult) -> str:
    return outputs_path(result.result_root)


# -- whole outputs, HEAD, the record ----------------------------------------------------------------


async def test_get_small_outputs_whole(served: Served) -> None:
    response = await get(served, path_of(gemm()))
    assert response.status_code == 200
    assert response.content == canonical(gemm())  # the bytes the output root commits to
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "application/octet-stream"


async def test_head_gives_the_size_and_no_body(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        response = await client.head(path_of(mlp()), headers={"range": "bytes=0-9"})  # HEAD ignores Range
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(canonical(mlp()))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == b""


async def test_get_record(served: Served) -> None:
    response = await get(served, path_of(gemm()) + "/result.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    record = response.json()
    assert record["result_root"] == gemm().result_root.hex()
    assert record["output_root"] == gemm().output_root.hex()
    assert record["shapes"] == [[48, 40]]


# -- ranges -------------------------------------------------------------------------------------------

MLP_SIZE = 4 * (33 * 37 * 2 + 33 * 9 * 2)  # 12,144 bytes


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=4880-4889", 4880, 4890),  # across the end of output 0 (33 x 37 int32 = 4,884 bytes)
        ("bytes=12000-", 12000, MLP_SIZE),
        ("bytes=-100", MLP_SIZE - 100, MLP_SIZE),
        ("bytes=-999999", 0, 8192),  # all of it, cut to the 8 KiB limit
        ("bytes=12100-999999", 12100, MLP_SIZE),  # an end past the end is cut there
        ("bytes=5-5", 5, 6),
    ],
)
async def test_get_range(served: Served, header: str, start: int, stop: int) -> None:
    response = await get(served, path_of(mlp()), range=header)
    assert response.status_code == 206
    assert response.content == canonical(mlp())[start:stop]
    assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/{MLP_SIZE}"
    assert int(response.headers["content-length"]) == stop - start


async def test_get_range_across_npy_files(tmp_path: Path, nursery: trio.Nursery) -> None:
    store = OutputStore(tmp_path / "store")
    root = store.publish(write_folder(tmp_path / "mlp", MLP, mlp(), "npy"))
    url = await start_server(nursery, store, LIMITS)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        parts = [
            (await client.get(outputs_path(root), headers={"range": f"bytes={start}-{start + 4095}"})).content
            for start in range(0, MLP_SIZE, 4096)
        ]
    assert b"".join(parts) == canonical(mlp())


async def test_long_range_is_cut_to_the_limit(served: Served) -> None:
    response = await get(served, path_of(mlp()), range="bytes=100-")
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 100-8291/{MLP_SIZE}"
    assert response.content == canonical(mlp())[100:8292]


@pytest.mark.parametrize(
    "header",
    ["bytes=12144-", "bytes=99999-100000", "bytes=-0", "bytes=0-1,5-6", "items=0-1", "bytes=9-2", "bytes=x-"],
)
async def test_invalid_range_is_416(served: Served, header: str) -> None:
    response = await get(served, path_of(mlp()), range=header)
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{MLP_SIZE}"


async def test_invalid_whole_get_over_the_limit_is_413(served: Served) -> None:
    response = await get(served, path_of(mlp()))  # 12,144 bytes > 8,192 per answer
    assert response.status_code == 413
    assert "Range" in response.text


# -- roots ----------------------------------------------------------------------------------------------


async def test_unknown_root_is_404(served: Served) -> None:
    response = await get(served, outputs_path(bytes(32)))
    assert response.status_code == 404
    assert "no outputs" in response.text
    assert (await get(served, outputs_path(bytes(32)) + "/result.json")).status_code == 404


async def test_root_in_either_case(served: Served) -> None:
    response = await get(served, "/outputs/" + gemm().result_root.hex().upper())
    assert response.status_code == 200 and response.content == canonical(gemm())


@pytest.mark.parametrize("root", ["abc", "zz" * 32, "a" * 63, "a" * 65, "-" * 64, "%2e%2e"])
async def test_invalid_root_is_400(served: Served, root: str) -> None:
    response = await get(served, f"/outputs/{root}")
    assert response.status_code == 400
    assert response.text == "a result root is 64 hex digits"


@pytest.mark.parametrize(
    "path", ["/outputs/..%2F..%2Fgemm%2Fout0.npy", "/outputs/%2e%2e/gemm/out0.npy", "/outputs/", "/out0.npy"]
)
async def test_invalid_paths_serve_no_file(served: Served, path: str) -> None:
    response = await get(served, path)
    assert response.status_code in (400, 404)
    assert b"NUMPY" not in response.content


async def test_invalid_method_is_405(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        response = await client.post(path_of(gemm()), content=b"x")
    assert response.status_code == 405


# -- publishing -------------------------------------------------------------------------------------------


async def test_withdrawn_result_is_404(served: Served) -> None:
    served.store.withdraw(gemm().result_root)
    assert (await get(served, path_of(gemm()))).status_code == 404
    assert served.gemm_folder.is_dir()  # the folder itself is kept


async def test_damaged_folder_is_500_not_its_bytes(served: Served) -> None:
    npy = served.gemm_folder / npy_name(0)
    npy.write_bytes(npy.read_bytes()[:-4])  # shorter than its shape says
    response = await get(served, path_of(gemm()), range="bytes=0-9")
    assert response.status_code == 500
    assert "damaged" in response.text


def test_invalid_publish_of_a_wrong_folder(tmp_path: Path) -> None:
    store = OutputStore(tmp_path / "store")
    folder = write_folder(tmp_path / "mlp", MLP, mlp(), "raw")
    with (folder / RAW_FILE).open("ab") as raw:
        raw.write(b"\0")
    with pytest.raises(ResultFileError, match="is 12145 bytes"):
        store.publish(folder)
    with pytest.raises(ResultFileError, match="missing"):
        store.publish(tmp_path / "nothing")
    assert list((tmp_path / "store").iterdir()) == []


def test_publish_again_replaces_the_link(tmp_path: Path) -> None:
    store = OutputStore(tmp_path / "store")
    first = write_folder(tmp_path / "one", GEMM, gemm(), "npy")
    second = write_folder(tmp_path / "two", GEMM, gemm(), "raw")
    assert store.publish(first) == store.publish(second) == gemm().result_root
    [link] = (tmp_path / "store").iterdir()
    assert link.resolve() == second.resolve()
    files = store.lookup(gemm().result_root)
    assert files is not None and files.read(0, files.size) == canonical(gemm())


# -- requests in flight -------------------------------------------------------------------------------


async def test_requests_over_the_cap_get_503(tmp_path: Path, nursery: trio.Nursery) -> None:
    big = OutputLimits(max_range_bytes=64 << 20, max_concurrent=1, piece_bytes=64 << 10)
    store = OutputStore(tmp_path / "store")
    root = store.publish(write_folder(tmp_path / "mlp", MLP, mlp(), "raw"))
    # 32 MiB, more than the socket buffers hold, asked for by a client that stops reading: its
    # request holds the only slot while the server waits to send.
    large_root = store.publish(sparse_folder(tmp_path / "large", (4096, 2048)))
    url = await start_server(nursery, store, big)
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await trio.to_thread.run_sync(slow.connect, ("127.0.0.1", port))
        request = f"GET {outputs_path(large_root)} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n"
        slow.sendall(request.encode())
        assert (await trio.to_thread.run_sync(slow.recv, 12)).startswith(b"HTTP/1.1 206")
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            busy = await client.get(outputs_path(root), headers={"range": "bytes=0-9"})
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for _ in range(100):  # the slot comes back once the server sees the reader gone
            after = await client.get(outputs_path(root), headers={"range": "bytes=0-9"})
            if after.status_code != 503:
                break
            await trio.sleep(0.05)
    assert after.status_code == 206
