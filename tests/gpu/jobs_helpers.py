"""Small specs, strategies that draw them, and a provider that commits to whatever it is handed."""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from gpu.backend import EXACT_LIMIT
from gpu.challenge import derive_challenge_seed
from gpu.commit import commit_outputs
from gpu.header import result_root
from gpu.jobs import BatchedGemmSpec, GemmSpec, JobSpec, MlpSpec, spec_digest
from gpu.merkle import ChunkedCommitment

GEMM = GemmSpec(m=12, k=20, n=9, bound=40, seed=11)
BATCHED = BatchedGemmSpec(batch=3, m=5, k=7, n=4, bound=100, seed=12)
MLP = MlpSpec(rows=6, widths=[10, 16, 8, 5], shifts=[5, 4, 3], weight_bound=12, bias_bound=400, seed=13)
SPECS: dict[str, JobSpec] = {"gemm": GEMM, "batched_gemm": BATCHED, "mlp": MLP}


@dataclass(frozen=True)
class Committed:
    """Outputs as a provider committed to them, honest or not."""

    spec: JobSpec
    outputs: tuple[NDArray[np.int32], ...]
    commitment: ChunkedCommitment

    @property
    def root(self) -> bytes:
        return result_root(spec_digest(self.spec), self.commitment.root)


def challenge_seed(label: bytes, result: bytes = bytes(32)) -> bytes:
    """A verifier's seed as the chain derives it; `label` stands for its beacon value."""
    return derive_challenge_seed(result, b"verifier", hashlib.sha256(label).digest())


def commit(spec: JobSpec, outputs: Sequence[NDArray[np.int32]]) -> Committed:
    copies = tuple(np.array(out, dtype=np.int32) for out in outputs)
    return Committed(spec, copies, commit_outputs(copies))


def corrupted(
    outputs: Sequence[NDArray[np.int32]], tensor: int, row: int, col: int, value: int
) -> list[NDArray[np.int32]]:
    copies = [np.array(out, dtype=np.int32) for out in outputs]
    copies[tensor][row, col] = value
    return copies


def int8_bytes(draw: st.DrawFn, count: int, bound: int) -> bytes:
    values = draw(st.lists(st.integers(-bound, min(bound, 127)), min_size=count, max_size=count))
    return np.array(values, dtype=np.int8).tobytes()


@st.composite
def gemm_specs(draw: st.DrawFn, max_dim: int = 12, supplied: bool = True) -> GemmSpec:
    m, k, n = (draw(st.integers(1, max_dim)) for _ in range(3))
    bound = draw(st.integers(1, min(2048, math.isqrt(EXACT_LIMIT // k))))
    seed = draw(st.integers(0, 2**63 - 1))
    a = b = None
    if supplied and bound <= 128 and draw(st.booleans()):
        a = int8_bytes(draw, m * k, bound)
        b = int8_bytes(draw, k * n, bound) if draw(st.booleans()) else None
    return GemmSpec(m=m, k=k, n=n, bound=bound, seed=seed, a=a, b=b)


@st.composite
def batched_specs(draw: st.DrawFn) -> BatchedGemmSpec:
    m, k, n = (draw(st.integers(1, 8)) for _ in range(3))
    bound = draw(st.integers(1, min(2048, math.isqrt(EXACT_LIMIT // k))))
    return BatchedGemmSpec(
        batch=draw(st.integers(1, 3)), m=m, k=k, n=n, bound=bound, seed=draw(st.integers(0, 2**40))
    )


@st.composite
def mlp_specs(draw: st.DrawFn, supplied: bool = True) -> MlpSpec:
    widths = draw(st.lists(st.integers(1, 12), min_size=2, max_size=4))
    layers = len(widths) - 1
    weight_bound = draw(st.integers(1, 128))
    input_bound = draw(st.integers(1, 128))
    bias_bound = draw(st.integers(0, 5000))
    x = weights = biases = None
    if supplied and draw(st.booleans()):
        x = int8_bytes(draw, 3 * widths[0], input_bound)
        weights = [int8_bytes(draw, i * o, weight_bound) for i, o in itertools.pairwise(widths)]
        biases = [
            np.array(
                draw(st.lists(st.integers(-bias_bound, bias_bound), min_size=o, max_size=o)), "<i4"
            ).tobytes()
            for o in widths[1:]
        ]
    return MlpSpec(
        rows=3,
        widths=widths,
        shifts=draw(st.lists(st.integers(0, 14), min_size=layers, max_size=layers)),
        weight_bound=weight_bound,
        bias_bound=bias_bound,
        input_bound=input_bound,
        seed=draw(st.integers(0, 2**40)),
        x=x,
        weights=weights,
        biases=biases,
    )


def job_specs() -> st.SearchStrategy[JobSpec]:
    return st.one_of(gemm_specs(), batched_specs(), mlp_specs())
