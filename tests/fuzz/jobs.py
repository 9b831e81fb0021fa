"""Jobs for the compute targets: small specs of each kind (seeded and with supplied data),
each with an honest result and one wrong in a single entry, as a provider commits them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gpu.header import JobHeader
from gpu.jobs import GemmSpec, JobSpec, MlpSpec, job_header
from tests.gpu.jobs_helpers import BATCHED, MLP
from tests.vm.compute.helpers import GEMM, Work, corrupted, honest

_RNG = np.random.default_rng(17)
SUPPLIED_GEMM = GemmSpec(
    m=4,
    k=6,
    n=3,
    bound=3,
    a=_RNG.integers(-3, 4, 24, dtype=np.int8).tobytes(),
    b=_RNG.integers(-3, 4, 18, dtype=np.int8).tobytes(),
)
SUPPLIED_MLP = MlpSpec(
    rows=2,
    widths=[3, 4, 2],
    shifts=[2, 1],
    weight_bound=5,
    bias_bound=50,
    input_bound=7,
    x=_RNG.integers(-7, 8, 6, dtype=np.int8).tobytes(),
    weights=[_RNG.integers(-5, 6, n, dtype=np.int8).tobytes() for n in (12, 8)],
    biases=[_RNG.integers(-50, 51, n, dtype="<i4").tobytes() for n in (4, 2)],
)
SPECS: dict[str, JobSpec] = {
    "gemm": GEMM,
    "batched-gemm": BATCHED,
    "mlp": MLP,
    "supplied-gemm": SUPPLIED_GEMM,
    "supplied-mlp": SUPPLIED_MLP,
}


@dataclass(frozen=True)
class Job:
    header: JobHeader
    honest: Work
    wrong: Work  # wrong at ``entry``
    entry: tuple[int, int, int]  # (tensor, row, col)


def job(spec: JobSpec, entry: tuple[int, int, int]) -> Job:
    work = honest(spec)
    return Job(job_header(spec), work, corrupted(work, *entry), entry)
