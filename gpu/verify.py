"""Verifying a result on the CPU, without a GPU.

Each GEMM output C = L @ W is checked with Freivalds' algorithm: for vectors r drawn uniformly
from [0, 2^20)^n by SHAKE-256 of a challenge seed fixed after the result was committed, check
L (W r) == C r exactly. If C != L W, some row e of C - L W is non-zero, say at column j; for any
values of the other coordinates of r at most one value of r_j makes e . r = 0, so one round
passes with probability <= 2^-20, and `rounds` independent rounds with <= 2^(-20 * rounds)
(3 rounds: 2^-60). Cost: O(M K + K N + M N) per round, against O(M K N) to recompute.

Activations (MLP requantization) are checked element-wise against their accumulator, exactly.
Outputs are judged in order, so a step's committed inputs have passed their own check before it
is judged; in the first output that fails, its first entry out of range, or else the first wrong
entry of the first row Freivalds flags, becomes a `FraudProof`.

Exactness. The claimed C is range-checked as it is read: |C| <= K * |L| * |W| <= 2^22, else the
entry is wrong outright (and `check_fraud_proof` sees it). Every product and partial sum is an
int64 whose magnitude is at most the sum of the absolute values of its terms: |W r| <=
N * b_W * 2^20 <= 2^45, |L (W r)| <= N * (K * b_L * b_W) * 2^20 <= N * 2^42 <= 2^56 and
|C r| <= N * 2^22 * 2^20 <= 2^56 (N <= 2^14), all below 2^63, so the sides are exact in any
summation order. An operand that is an earlier output (an MLP layer's input) is not range-checked
here: if it is out of range, its own check, earlier in order, has already failed.

Work. The products run in gpu/kernels.py (compiled, GIL released) in chunks of rows on a thread
pool, while one task of the same pool hashes the outputs for the commitment: the whole check uses
every core. `freivalds_sides_reference` computes the sides in plain NumPy int64; tests hold the
two equal.

Attestation. A valid verdict carries the verifier's `Attestation`: the verdict and the root of its
vectors C r (gpu/attestation.py), and the `CrCommitment` itself, to open any entry later. The
vectors come from the verifier's own challenge seed (gpu/challenge.py: bound to the result root,
to the verifier and to a beacon value drawn after the result was on chain), so an attestation
cannot be copied from another member, and one made without computing C r is shown wrong by one
opened entry.
"""

import os
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from gpu.attestation import CR_ENTRY_BYTES, CrCommitment, cr_layout
from gpu.challenge import FREIVALDS_BITS, MIN_ROUNDS, SEED_BYTES, check_rounds, vector_stream
from gpu.commit import OUTPUT_DTYPE, commit_arrays, output_layout, start_commit
from gpu.errors import OutputShapeError
from gpu.fraud import FraudProof, build_fraud_proof
from gpu.header import result_root
from gpu.jobs import (
    DataMatrix,
    GemmStep,
    JobSpec,
    OutputRef,
    RequantStep,
    SeededMatrix,
    Step,
    plan,
    requantize,
    spec_digest,
    validate_spec,
)
from gpu.prng import Span
from gpu.proofs import Attestation
from gpu.recompute import Int64s, expected_entry, expected_row, input_tensor

DEFAULT_ROUNDS = MIN_ROUNDS
CHUNK_ENTRIES = 1 << 21  # operand entries per task (~1 ms): small enough for the threads to end together
REQUANT_BLOCK_ENTRIES = 1 << 18  # activation entries checked at a time (2 MiB per int64 temporary)
NO_CR_ROOT = bytes(32)  # a fraud verdict's attestation: a fraud proof, not C r, backs it

VerdictStatus = Literal["valid", "fraud", "mismatch"]
Source = SeededMatrix | DataMatrix | NDArray[np.int32]
Entry = tuple[int, int, int]  # (tensor, row, col)


@dataclass(frozen=True)
class Verdict:
    """`valid` (with an attestation and the C r it commits to), `fraud` (with a proof anyone can
    check), or `mismatch`: the outputs given are not the ones committed, so nothing can be said
    about the result."""

    status: VerdictStatus
    reason: str
    proof: FraudProof | None = None
    attestation: Attestation | None = None
    cr: CrCommitment | None = None


class Blocks(Protocol):
    def block(self, rows: Span, cols: Span) -> NDArray[np.int32]: ...


def challenge_vectors(challenge_seed: bytes, tensor: int, length: int, rounds: int) -> Int64s:
    """Vectors 0 .. rounds - 1 of output `tensor` as the columns of a (length x rounds) array
    (gpu/challenge.py defines them; `challenge_vector` is the pure-integer reference)."""
    stream = vector_stream(challenge_seed, tensor, length, rounds)
    words = np.frombuffer(stream, dtype="<u4").reshape(rounds, length)
    return np.ascontiguousarray((words & ((1 << FREIVALDS_BITS) - 1)).T, dtype=np.int64)


def verify_result(
    spec: JobSpec,
    outputs: Sequence[NDArray[np.int32]],
    committed_root: bytes,
    challenge_seed: bytes,
    rounds: int = DEFAULT_ROUNDS,
    workers: int | None = None,
) -> Verdict:
    """Check `outputs` against the spec and the committed result root, on `workers` threads.

    `challenge_seed` must be `derive_challenge_seed(committed_root, verifier, beacon)` with a
    beacon value from after the result was on chain (gpu/challenge.py), and `rounds` the chain's
    parameter (at least MIN_ROUNDS).
    """
    validate_spec(spec)
    _check_challenge(challenge_seed, rounds)
    steps = plan(spec)
    check_output_shapes(steps, outputs)
    canonical = [np.ascontiguousarray(out, dtype=OUTPUT_DTYPE) for out in outputs]
    with ThreadPoolExecutor(workers or os.cpu_count() or 2, thread_name_prefix="depind-verify") as pool:
        # The chunk hashing goes first in the queue, in parts, then the products' row chunks; this
        # thread judges the steps as their products complete.
        pending = start_commit(output_layout(outputs), canonical, pool)
        sides = start_freivalds(steps, outputs, challenge_seed, rounds, pool)
        failure, checked = _first_failure(steps, outputs, sides)
        commitment = pending.result()
        if result_root(spec_digest(spec), commitment.root) != committed_root:
            return Verdict("mismatch", "the outputs do not hash to the committed result root")
        if failure is None:
            cr = commit_cr_arrays(checked, rounds, pool)
            attestation = Attestation("valid", rounds, committed_root, cr.root)
            return Verdict("valid", _valid_reason(steps, rounds), attestation=attestation, cr=cr)
    tensor, row, col = failure
    proof = build_fraud_proof(spec, commitment, tensor, row, col)
    source = input_tensor(steps[tensor])
    opened = None if source is None else outputs[source][row].astype(np.int64)
    expected = expected_entry(steps[tensor], row, col, opened)
    reason = f"output {tensor} entry ({row}, {col}) is {proof.claimed}, the correct value is {expected}"
    return Verdict("fraud", reason, proof, Attestation("fraud", rounds, committed_root, NO_CR_ROOT))


def commit_cr_arrays(checked: dict[int, Int64s], rounds: int, pool: Executor | None = None) -> CrCommitment:
    """The commitment to C r (`checked[t]` is M x rounds for GEMM output t), on the fast path."""
    tensors = tuple(sorted(checked))
    arrays = [np.ascontiguousarray(checked[t].T, dtype=f"<i{CR_ENTRY_BYTES}") for t in tensors]
    layout = cr_layout([len(checked[t]) for t in tensors], rounds)
    return CrCommitment(tensors, commit_arrays(layout, arrays, pool))


def check_output_shapes(steps: Sequence[Step], outputs: Sequence[NDArray[np.int32]]) -> None:
    if len(outputs) != len(steps):
        raise OutputShapeError(f"the spec defines {len(steps)} outputs, {len(outputs)} were given")
    for index, (step, output) in enumerate(zip(steps, outputs, strict=True)):
        if output.shape != step.shape or output.dtype != np.int32:
            raise OutputShapeError(
                f"output {index} is {output.dtype} {output.shape}, the spec defines int32 {step.shape}"
            )


# -- Freivalds' products -------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    """source @ vectors.T, computed in row chunks by a pool into `out` (rows x rounds)."""

    out: Int64s
    chunks: tuple[tuple[int, Future[int]], ...]  # (first row, first out-of-range row in it or -1)

    def result(self) -> tuple[Int64s, int | None]:
        """The product, and the first row holding an entry beyond the bound (None: no such row)."""
        firsts = [(start, chunk.result()) for start, chunk in self.chunks]
        beyond = [start + row for start, row in firsts if row >= 0]
        return self.out, (beyond[0] if beyond else None)


@dataclass(frozen=True)
class Sides:
    """Freivalds' two sides of one GEMM output, L (W r) and C r, as they are computed."""

    step: GemmStep
    claimed: NDArray[np.int32]
    l_w_r: Product
    c_r: Product

    def result(self) -> tuple[Int64s, Int64s, tuple[int, int] | None]:
        """(L (W r), C r, first entry of C out of range); the sides mean nothing with the last."""
        c_r, beyond = self.c_r.result()
        if beyond is not None:
            row = self.claimed[beyond].astype(np.int64)
            return c_r, c_r, (beyond, int(np.flatnonzero(np.abs(row) > self.step.output_bound)[0]))
        l_w_r, beyond = self.l_w_r.result()
        if beyond is not None:  # an input activation beyond int8: its own check, earlier, failed
            raise RuntimeError(f"row {beyond} of a GEMM input is out of range, yet it was judged correct")
        return l_w_r, c_r, None


def start_freivalds(
    steps: Sequence[Step],
    outputs: Sequence[NDArray[np.int32]],
    seed: bytes,
    rounds: int,
    pool: Executor,
) -> dict[int, Sides]:
    """Every GEMM output's sides, computing in `pool`. First every W r, which is compute-bound and
    runs well beside the hashing of the outputs; then L (W r) and C r, queued behind the hashing
    since C r streams the same outputs from memory."""
    gemms = {tensor: step for tensor, step in enumerate(steps) if isinstance(step, GemmStep)}
    vectors = {t: challenge_vectors(seed, t, step.shape[1], rounds).T for t, step in gemms.items()}
    w_r = {t: start_product(step.right, step.right.bound, vectors[t], pool) for t, step in gemms.items()}
    return {t: start_sides(step, outputs, outputs[t], vectors[t], w_r[t], pool) for t, step in gemms.items()}


def start_sides(
    step: GemmStep,
    outputs: Sequence[NDArray[np.int32]],
    claimed: NDArray[np.int32],
    vectors: Int64s,
    w_r: Product,
    pool: Executor,
) -> Sides:
    """Wait for W r, then start L (W r) and C r (`vectors` is rounds x cols)."""
    left = step.left
    source = outputs[left.tensor] if isinstance(left, OutputRef) else left
    l_w_r = start_product(source, left.bound, w_r.result()[0].T, pool)
    return Sides(step, claimed, l_w_r, start_product(claimed, step.output_bound, vectors, pool))


def start_product(source: Source, bound: int, vectors: Int64s, pool: Executor) -> Product:
    """Submit source @ vectors.T in chunks of about CHUNK_ENTRIES entries of `source`, whose
    entries are in [-bound, bound] (a seeded source's are; a dense source's are checked)."""
    from gpu import kernels  # Numba takes ~0.6 s to import: only a process that verifies pays it

    source = source.values if isinstance(source, DataMatrix) else source
    # A seeded source's words are computed here, once, rather than in each chunk's thread.
    rows = len(source.words[0]) if isinstance(source, SeededMatrix) else len(source)
    prepared = kernels.prepare_vectors(vectors, bound)
    out = np.empty((rows, len(prepared)), np.int64)
    height = max(1, CHUNK_ENTRIES // vectors.shape[1])
    chunks = tuple(
        (start, pool.submit(_product_rows, source, bound, prepared, (start, min(rows, start + height)), out))
        for start in range(0, rows, height)
    )
    return Product(out[:, : len(vectors)], chunks)


def freivalds_sides(
    step: GemmStep,
    outputs: Sequence[NDArray[np.int32]],
    claimed: NDArray[np.int32],
    vectors: Int64s,
) -> tuple[Int64s, Int64s, tuple[int, int] | None]:
    """(L (W r), C r) for each column r of `vectors`, and the first entry of C out of range.

    The sides are meaningful only when no entry is out of range.
    """
    with ThreadPoolExecutor(1) as pool:
        w_r = start_product(step.right, step.right.bound, vectors.T, pool)
        return start_sides(step, outputs, claimed, vectors.T, w_r, pool).result()


def freivalds_sides_reference(
    step: GemmStep, outputs: Sequence[NDArray[np.int32]], claimed: NDArray[np.int32], vectors: Int64s
) -> tuple[Int64s, Int64s]:
    """(L (W r), C r) in plain int64; C must be in range (|C| <= 2^22)."""
    left = _blocks(step.left, outputs).block((0, step.shape[0]), (0, step.inner)).astype(np.int64)
    right = step.right.block((0, step.inner), (0, step.shape[1])).astype(np.int64)
    return left @ (right @ vectors), claimed.astype(np.int64) @ vectors


def _product_rows(
    source: SeededMatrix | NDArray[np.int32], bound: int, vectors: NDArray[Any], rows: Span, out: Int64s
) -> int:
    from gpu import kernels

    start, stop = rows
    if isinstance(source, SeededMatrix):
        row_words, col_words = source.words
        kernels.seeded_times(row_words[start:stop], col_words, source.bound, vectors, out[start:stop])
        return -1
    return int(kernels.dense_times(source[start:stop], bound, vectors, out[start:stop]))


# -- judging the steps in order ------------------------------------------------------------------


def _first_failure(
    steps: Sequence[Step], outputs: Sequence[NDArray[np.int32]], sides: dict[int, Sides]
) -> tuple[Entry | None, dict[int, Int64s]]:
    """The first wrong entry, in output order, and C r of every GEMM output checked before it."""
    checked: dict[int, Int64s] = {}
    for tensor, step in enumerate(steps):
        if isinstance(step, RequantStep):
            failure = _check_requant(step, outputs[tensor], outputs[step.source])
        else:
            failure, checked[tensor] = _check_gemm(step, outputs, sides[tensor])
        if failure is not None:
            return (tensor, *failure), checked
    return None, checked


def _check_gemm(
    step: GemmStep, outputs: Sequence[NDArray[np.int32]], sides: Sides
) -> tuple[tuple[int, int] | None, Int64s]:
    """The first wrong entry of a GEMM output (None: it passed), and its C r."""
    l_w_r, c_r, out_of_range = sides.result()
    if out_of_range is not None:
        return out_of_range, c_r
    bad_rows = np.flatnonzero((l_w_r != c_r).any(axis=1))
    if not bad_rows.size:
        return None, c_r
    row = int(bad_rows[0])
    opened = outputs[step.left.tensor][row].astype(np.int64) if isinstance(step.left, OutputRef) else None
    wrong = np.flatnonzero(expected_row(step, row, opened) != sides.claimed[row])
    if not wrong.size:
        raise RuntimeError(f"Freivalds flagged row {row} of a GEMM output, yet it recomputes correctly")
    return (row, int(wrong[0])), c_r


def _check_requant(
    step: RequantStep, claimed: NDArray[np.int32], acc: NDArray[np.int32]
) -> tuple[int, int] | None:
    """The first wrong entry (row-major) of an activation, computed in blocks of rows so that the
    int64 temporaries stay at a few MiB rather than several times the output."""
    bias = step.bias.astype(np.int64)
    height = max(1, REQUANT_BLOCK_ENTRIES // claimed.shape[1])
    for start in range(0, len(claimed), height):
        rows = slice(start, start + height)
        expected = requantize(acc[rows].astype(np.int64), bias, step.shift, step.relu)
        wrong = np.argwhere(expected != claimed[rows])
        if len(wrong):
            return start + int(wrong[0][0]), int(wrong[0][1])
    return None


def _blocks(operand: Blocks | OutputRef, outputs: Sequence[NDArray[np.int32]]) -> Blocks:
    if isinstance(operand, OutputRef):
        return DataMatrix(outputs[operand.tensor], operand.bound)
    return operand


def _valid_reason(steps: Sequence[Step], rounds: int) -> str:
    gemms = sum(isinstance(step, GemmStep) for step in steps)
    text = f"{gemms} GEMM output(s) passed {rounds} Freivalds rounds (error <= 2^-{FREIVALDS_BITS * rounds})"
    activations = len(steps) - gemms
    return text + (f"; {activations} activation output(s) match exactly" if activations else "")


def _check_challenge(seed: bytes, rounds: int) -> None:
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a challenge seed is {SEED_BYTES} bytes (gpu/challenge.py), not {len(seed)}")
    check_rounds(rounds)
