"""The largest fraud proof and dispute of a job (gpu/proof_sizes.py) against real proofs: every
encoded proof of every entry is within the bound, and the bound is met where one entry has the
worst of every opening."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from gpu.attestation import commit_cr, gemm_tensors
from gpu.challenge import MAX_ROUNDS, MIN_ROUNDS
from gpu.fraud import build_fraud_proof
from gpu.header import layout
from gpu.jobs import BatchedGemmSpec, GemmSpec, JobSpec, MlpSpec, job_header
from gpu.merkle import Opening, max_proof_hashes, merkle_tree
from gpu.proof_sizes import max_dispute_bytes, max_fraud_proof_bytes
from gpu.proofs import (
    AttestationDispute,
    encode_dispute,
    encode_fraud_proof,
    encode_opening,
    opening_bytes,
)
from gpu.reference import reference_outputs
from tests.gpu.jobs_helpers import Committed, commit, job_specs

RNG = np.random.default_rng(7)


def _int8(count: int, bound: int) -> bytes:
    return RNG.integers(-bound, bound + 1, count, dtype=np.int8).tobytes()


def _int32(count: int, bound: int) -> bytes:
    return RNG.integers(-bound, bound + 1, count).astype("<i4").tobytes()


# (spec, whether one entry has the worst of every opening, so the bound is met)
FRAUD_CASES = {
    "gemm seeded": (GemmSpec(m=40, k=9, n=30, bound=50, seed=1), True),
    "gemm supplied": (GemmSpec(m=12, k=300, n=7, bound=3, a=_int8(12 * 300, 3), b=_int8(300 * 7, 3)), True),
    "gemm supplied a": (GemmSpec(m=5, k=70, n=3, bound=9, seed=2, a=_int8(5 * 70, 9)), True),
    "batched supplied": (
        BatchedGemmSpec(batch=3, m=5, k=40, n=6, bound=4, a=_int8(3 * 5 * 40, 4), b=_int8(3 * 40 * 6, 4)),
        True,
    ),
    "mlp one layer, supplied biases": (
        MlpSpec(rows=3, widths=[6, 5], shifts=[2], weight_bound=9, bias_bound=70, biases=[_int32(5, 70)]),
        True,
    ),
    "mlp seeded": (
        MlpSpec(rows=9, widths=[20, 300, 40, 7], shifts=[4, 5, 3], weight_bound=5, bias_bound=100, seed=3),
        False,
    ),
    "mlp supplied": (
        MlpSpec(
            rows=4,
            widths=[64, 260, 5],
            shifts=[6, 5],
            weight_bound=6,
            bias_bound=300,
            input_bound=20,
            x=_int8(4 * 64, 20),
            weights=[_int8(64 * 260, 6), _int8(260 * 5, 6)],
            biases=[_int32(260, 300), _int32(5, 300)],
        ),
        True,
    ),
}

# (spec, rounds, whether the bound is met: rows of whole aligned chunks, or one-chunk tensors)
DISPUTE_CASES = {
    "gemm rows of one chunk": (GemmSpec(m=20, k=3, n=256, bound=9, seed=4), 3, True),
    "gemm in one chunk": (GemmSpec(m=6, k=5, n=9, bound=9, seed=5), 3, True),
    "gemm rows across chunks": (GemmSpec(m=7, k=2, n=300, bound=9, seed=6), 5, False),
    "batched": (BatchedGemmSpec(batch=4, m=33, k=2, n=256, bound=9, seed=7), MIN_ROUNDS, True),
    "mlp": (FRAUD_CASES["mlp supplied"][0], 4, False),
}


def _fraud_proof_sizes(spec: JobSpec, honest: Committed) -> list[int]:
    """The encoded size of the fraud proof of every entry of every output."""
    return [
        len(encode_fraud_proof(build_fraud_proof(spec, honest.commitment, tensor, row, col)))
        for tensor, output in enumerate(honest.outputs)
        for row in range(output.shape[0])
        for col in range(output.shape[1])
    ]


def _dispute_sizes(spec: JobSpec, honest: Committed, rounds: int) -> list[int]:
    """The encoded size of the dispute of every C r entry (zero vectors: sizes do not depend on
    the values)."""
    steps = layout(job_header(spec))
    tensors = gemm_tensors(steps)
    cr = commit_cr(steps, {t: [[0] * steps[t].shape[0]] * rounds for t in tensors})
    sizes, root = [], honest.commitment.root
    for tensor in tensors:
        rows, cols = steps[tensor].shape
        for row in range(rows):
            row_opening = honest.commitment.open_entries(tensor, row * cols, cols)
            for round_index in range(rounds):
                dispute = AttestationDispute(cr.open_entry(tensor, round_index, row), root, row_opening)
                sizes.append(len(encode_dispute(dispute)))
    return sizes


@pytest.mark.parametrize(("spec", "attained"), FRAUD_CASES.values(), ids=FRAUD_CASES.keys())
def test_every_fraud_proof_is_within_the_bound(spec: JobSpec, attained: bool) -> None:
    sizes = _fraud_proof_sizes(spec, commit(spec, reference_outputs(spec)))
    bound = max_fraud_proof_bytes(job_header(spec))
    assert max(sizes) <= bound
    if attained:
        assert max(sizes) == bound


@pytest.mark.parametrize(("spec", "rounds", "attained"), DISPUTE_CASES.values(), ids=DISPUTE_CASES.keys())
def test_every_dispute_is_within_the_bound(spec: JobSpec, rounds: int, attained: bool) -> None:
    sizes = _dispute_sizes(spec, commit(spec, reference_outputs(spec)), rounds)
    header = job_header(spec)
    bound = max_dispute_bytes(header, rounds)
    assert max(sizes) <= bound <= max_dispute_bytes(header)
    if attained:
        assert max(sizes) == bound


@settings(max_examples=25, deadline=None)
@given(job_specs())
def test_random_jobs_proofs_are_within_the_bounds(spec: JobSpec) -> None:
    honest = commit(spec, reference_outputs(spec))
    header = job_header(spec)
    assert max(_fraud_proof_sizes(spec, honest)) <= max_fraud_proof_bytes(header)
    assert max(_dispute_sizes(spec, honest, MIN_ROUNDS)) <= max_dispute_bytes(header, MIN_ROUNDS)


def test_a_supplied_gemm_proof_is_two_lines_and_three_paths() -> None:
    """m = n = 1: one output leaf (no path), one-leaf input trees; 2K + 92 bytes."""
    header = job_header(GemmSpec(m=1, k=1000, n=1, bound=1, a=_int8(1000, 1), b=_int8(1000, 1)))
    assert max_fraud_proof_bytes(header) == 49 + (13 + 4) + 2 * (13 + 1000) == 2 * 1000 + 92


def test_the_dispute_bound_grows_with_rounds() -> None:
    header = job_header(GemmSpec(m=1000, k=1, n=64, bound=9))
    sizes = [max_dispute_bytes(header, rounds) for rounds in range(MIN_ROUNDS, MAX_ROUNDS + 1)]
    assert sizes == sorted(sizes) and sizes[-1] == max_dispute_bytes(header) > sizes[0]


def test_max_proof_hashes_is_the_most_over_every_run() -> None:
    for size in range(1, 80):
        tree = merkle_tree([size.to_bytes(2, "little") + leaf.to_bytes(30, "little") for leaf in range(size)])
        for count in range(1, size + 1):
            most = max(len(tree.range_proof(first, count)) for first in range(size - count + 1))
            assert max_proof_hashes(size, count) == most, (size, count)
        assert max_proof_hashes(size, 1) == (size - 1).bit_length()


@pytest.mark.parametrize(("data", "hashes"), [(0, 0), (1, 1), (1024, 20), (5000, 3)])
def test_opening_bytes_is_the_encoded_size(data: int, hashes: int) -> None:
    opening = Opening(3, 2, bytes(data), tuple(bytes(32) for _ in range(hashes)))
    assert len(encode_opening(opening)) == opening_bytes(data, hashes)
