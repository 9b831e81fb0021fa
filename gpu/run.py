"""Running a job on a backend: outputs (int32, exact), their commitment, and the energy used."""

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gpu.backend import Array, Backend
from gpu.commit import commit_outputs
from gpu.energy import EnergyMeter, Millijoules, NoEnergy, measure
from gpu.header import result_root
from gpu.jobs import (
    GemmStep,
    JobSpec,
    Operand,
    OutputRef,
    RequantStep,
    Step,
    plan,
    requantize,
    spec_digest,
    validate_spec,
)
from gpu.merkle import ChunkedCommitment

# Inner-dimension tile: a long K is multiplied in slices and summed, which bounds device memory.
# The sum stays exact: every partial sum is bounded by K * |a| * |b| <= 2^22 (gpu/jobs.py).
K_TILE = 8192


@dataclass(frozen=True)
class JobResult:
    spec_digest: bytes
    outputs: tuple[NDArray[np.int32], ...] = field(repr=False)
    commitment: ChunkedCommitment = field(repr=False)
    result_root: bytes
    backend: str
    compute_s: float  # informational; never committed
    energy_mj: Millijoules | None

    @property
    def output_root(self) -> bytes:
        return self.commitment.root


def run_job(spec: JobSpec, backend: Backend, meter: EnergyMeter | None = None) -> JobResult:
    """Compute every output of `spec` on `backend` and commit to them."""
    validate_spec(spec)
    steps = plan(spec)
    started = time.perf_counter()
    outputs, energy = measure(lambda: compute_outputs(steps, backend), meter or NoEnergy())
    compute_s = time.perf_counter() - started
    with ThreadPoolExecutor() as pool:
        commitment = commit_outputs(outputs, pool)
    digest = spec_digest(spec)
    root = result_root(digest, commitment.root)
    return JobResult(digest, outputs, commitment, root, backend.name, compute_s, energy)


def compute_outputs(steps: Sequence[Step], backend: Backend) -> tuple[NDArray[np.int32], ...]:
    """Every step in order on the device; earlier outputs stay there as later inputs."""
    device_outputs: list[Array] = []
    for step in steps:
        if isinstance(step, GemmStep):
            device_outputs.append(_gemm(step, device_outputs, backend))
        else:
            device_outputs.append(_requantize(step, device_outputs, backend))
    backend.synchronize()
    return tuple(np.ascontiguousarray(backend.to_host(out), dtype=np.int32) for out in device_outputs)


def _gemm(step: GemmStep, previous: list[Array], backend: Backend) -> Array:
    rows, cols = step.shape
    acc: Any = None
    for start in range(0, step.inner, K_TILE):
        span = (start, min(start + K_TILE, step.inner))
        left = _block(step.left, (0, rows), span, previous, backend)
        right = _block(step.right, span, (0, cols), previous, backend)
        part = backend.matmul_fp32(left, right)
        acc = part if acc is None else acc + part
    return acc.astype(backend.xp.int32)


def _block(
    operand: Operand | OutputRef,
    rows: tuple[int, int],
    cols: tuple[int, int],
    previous: list[Array],
    backend: Backend,
) -> Array:
    if isinstance(operand, OutputRef):
        return previous[operand.tensor][rows[0] : rows[1], cols[0] : cols[1]]
    return operand.block(rows, cols, backend.xp)


def _requantize(step: RequantStep, previous: list[Array], backend: Backend) -> Array:
    bias = backend.from_host(step.bias)
    return requantize(previous[step.source], bias, step.shift, step.relu, backend.xp).astype(backend.xp.int32)
