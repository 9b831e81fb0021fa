"""Result folders from small jobs (honest, or committed to a wrong entry), jobs with supplied
inputs, and real servers on 127.0.0.1 on ports the OS picks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from starlette.types import ASGIApp

from gpu.backend import NumpyBackend
from gpu.commit import canonical_bytes, commit_outputs
from gpu.header import result_root
from gpu.jobs import BatchedGemmSpec, GemmSpec, JobSpec, MlpSpec, spec_digest
from gpu.results import RAW_FILE, RESULT_FILE, OutputFormat, ResultRecord, write_result
from gpu.run import JobResult, run_job
from node.outputs.input_store import InputStore
from node.outputs.server import OutputLimits, OutputStore, serve

# 48 x 40 int32 = 7,680 bytes: 7 whole 1 KiB leaves and a short one.
GEMM = GemmSpec(m=48, k=40, n=40, bound=20, seed=7)
# Four outputs of odd sizes, so ranges and leaves cross tensor (and file) boundaries.
MLP = MlpSpec(rows=33, widths=[20, 37, 9], shifts=[4, 3], weight_bound=12, bias_bound=300, seed=5)


def supplied(seed: int, count: int, bound: int, dtype: str = "i1") -> bytes:
    """`count` values in [-bound, bound], as a spec supplies them (int8, or int32 biases)."""
    values = np.random.default_rng(seed).integers(-bound, bound + 1, count)
    return values.astype(dtype).tobytes()


# Jobs with supplied inputs: both operands, only the right one of a batch, every mlp field.
SUPPLIED_GEMM = GemmSpec(m=12, k=24, n=10, bound=20, a=supplied(1, 12 * 24, 20), b=supplied(2, 24 * 10, 20))
SUPPLIED_BATCH = BatchedGemmSpec(batch=3, m=4, k=6, n=5, bound=9, seed=4, b=supplied(3, 3 * 6 * 5, 9))
SUPPLIED_MLP = MlpSpec(
    rows=9,
    widths=[16, 12, 5],
    shifts=[4, 3],
    weight_bound=12,
    bias_bound=3000,
    x=supplied(4, 9 * 16, 127),
    weights=[supplied(5, 16 * 12, 12), supplied(6, 12 * 5, 12)],
    biases=[supplied(7, 12, 3000, "<i4"), supplied(8, 5, 3000, "<i4")],
)


def honest_result(spec: JobSpec) -> JobResult:
    return run_job(spec, NumpyBackend())


def dishonest_result(spec: JobSpec, tensor: int, row: int, col: int) -> JobResult:
    """A provider that commits to its outputs with entry (row, col) of `tensor` off by one."""
    outputs = [out.copy() for out in honest_result(spec).outputs]
    outputs[tensor][row, col] += 1
    commitment = commit_outputs(outputs)
    digest = spec_digest(spec)
    root = result_root(digest, commitment.root)
    return JobResult(digest, tuple(outputs), commitment, root, "numpy", 0.0, None)


def canonical(result: JobResult) -> bytes:
    return b"".join(canonical_bytes(out) for out in result.outputs)


def write_folder(folder: Path, spec: JobSpec, result: JobResult, fmt: OutputFormat = "npy") -> Path:
    write_result(folder, spec, result, fmt)
    return folder


async def start_server(
    nursery: trio.Nursery, store: OutputStore, limits: OutputLimits, inputs: InputStore | None = None
) -> str:
    url: str = await nursery.start(serve, store, "127.0.0.1:0", limits, inputs)
    return url


async def start_app(nursery: trio.Nursery, app: ASGIApp) -> str:
    """Any ASGI app on hypercorn's trio worker, as the output server runs."""
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.errorlog = logging.getLogger("tests.outputs")
    config.graceful_timeout = 0.5
    binds: list[str] = await nursery.start(_serve, app, config)
    return binds[0]


async def _serve(
    app: ASGIApp, config: HypercornConfig, *, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    await hypercorn_serve(app, config, task_status=task_status)  # type: ignore[arg-type]


def sparse_folder(folder: Path, shape: tuple[int, int]) -> Path:
    """A raw result folder of zero outputs, made at once (a sparse file) for tests that need size
    and not values: its record binds a made-up output root, which only a fetcher would check."""
    folder.mkdir(parents=True)
    with (folder / RAW_FILE).open("wb") as raw:
        raw.truncate(4 * shape[0] * shape[1])
    digest, output_root = bytes(32), bytes(range(32))
    record = ResultRecord(
        kind="gemm",
        spec_digest=digest.hex(),
        output_root=output_root.hex(),
        result_root=result_root(digest, output_root).hex(),
        shapes=[shape],
        format="raw",
        backend="numpy",
        compute_s=0.0,
        energy_mj=None,
    )
    (folder / RESULT_FILE).write_bytes(msgspec.json.encode(record))
    return folder


def flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as file:
        file.seek(offset)
        value = file.read(1)[0]
        file.seek(offset)
        file.write(bytes([value ^ 0x01]))
