"""Verifying a result on the CPU, without a GPU.

Each GEMM output C = L @ W is checked with Freivalds' algorithm: for vectors r drawn uniformly
from [0, 2^20)^n by SHAKE-256 of a challenge seed fixed after the result was committed, check
L (W r) == C r exactly. If C != L W, some row e of C - L W is non-zero, say at column j; for any
values of the other coordinates of r at most one value of r_j makes e . r = 0, so one round
passes with probability <= 2^-20, and `rounds` independent rounds with <= 2^(-20 * rounds)
(3 rounds: 2^-60). Cost: O(M K + K N + M N) per round, against O(M K N) to recompute.

Activations (MLP requantization) are checked element-wise against their accumulator, exactly.
The first wrong entry, in output order, becomes a `FraudProof`. Steps are checked in order, so a
step's committed inputs have passed their own check before it is checked.

Exactness. The claimed C is first range-checked: |C| <= K * |L| * |W| <= 2^22, else the entry
is wrong outright (and `check_fraud_proof` sees it). The fast path computes in float64 with r
split in two 10-bit limbs, so every product and partial sum is an integer below 2^53:
|W r_limb| <= N * b_W * 2^10 <= 2^35, |L (W r_limb)| <= N * K b_L b_W * 2^10 <= N * 2^32 <= 2^46,
|C r_limb| <= N * 2^22 * 2^10 <= 2^46 (N <= 2^14); limbs are joined in int64 (< 2^57). The
reference, `freivalds_sides_reference`, does the same in plain int64: |L W r| and |C r| are at
most N * 2^42 <= 2^56 < 2^63. Tests hold the two equal.
"""

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from gpu.commit import result_root, start_commit
from gpu.errors import OutputShapeError
from gpu.fraud import FraudProof, build_fraud_proof
from gpu.jobs import (
    DataMatrix,
    GemmStep,
    JobSpec,
    OutputRef,
    RequantStep,
    Step,
    plan,
    requantize,
    spec_digest,
    validate_spec,
)
from gpu.prng import Span
from gpu.recompute import Int64s, expected_entry, expected_row

FREIVALDS_BITS = 20
DEFAULT_ROUNDS = 3
MAX_ROUNDS = 16
LIMB_BITS = 10
FREIVALDS_TAG = b"depind/pouw/freivalds/v1"
ATTESTATION_TAG = b"depind/pouw/attestation/v1"
MAX_CHALLENGE_SEED_BYTES = 64
CACHE_BLOCK_ENTRIES = 1 << 16  # a block of int32 rows that stays in L2 while it is multiplied

VerdictStatus = Literal["valid", "fraud", "mismatch"]
Float64s = NDArray[np.float64]
Entry = tuple[int, int, int]  # (tensor, row, col)


@dataclass(frozen=True)
class Verdict:
    """`valid`, `fraud` (with a proof anyone can check), or `mismatch`: the outputs given are not
    the ones committed, so nothing can be said about the result."""

    status: VerdictStatus
    reason: str
    proof: FraudProof | None = None
    attestation: bytes | None = None  # valid only: H(result root, seed, C r): proof of having checked


class Blocks(Protocol):
    def block(self, rows: Span, cols: Span) -> NDArray[np.int32]: ...


def challenge_vectors(challenge_seed: bytes, tensor: int, length: int, rounds: int) -> Int64s:
    """`rounds` columns in [0, 2^20)^length from SHAKE-256: unpredictable before the seed is."""
    _check_challenge(challenge_seed, rounds)
    framed = len(challenge_seed).to_bytes(1, "big") + challenge_seed
    xof = hashlib.shake_256(FREIVALDS_TAG + framed + tensor.to_bytes(4, "big"))
    words = np.frombuffer(xof.digest(4 * length * rounds), dtype="<u4").reshape(rounds, length)
    return np.ascontiguousarray((words & ((1 << FREIVALDS_BITS) - 1)).T, dtype=np.int64)


def verify_result(
    spec: JobSpec,
    outputs: Sequence[NDArray[np.int32]],
    committed_root: bytes,
    challenge_seed: bytes,
    rounds: int = DEFAULT_ROUNDS,
    workers: int | None = None,
) -> Verdict:
    """Check `outputs` against the spec and the committed result root."""
    validate_spec(spec)
    _check_challenge(challenge_seed, rounds)
    steps = plan(spec)
    check_output_shapes(steps, outputs)
    # Hashing runs in other threads (hashlib releases the GIL for a whole row) beside the checks in
    # this one; NumPy's operations on cache-sized blocks are too short to gain from threads.
    hashers = max(1, (workers or os.cpu_count() or 2) - 1)
    with ThreadPoolExecutor(hashers, thread_name_prefix="depind-verify") as pool:
        pending = start_commit(outputs, pool)
        failure, checked = _first_failure(steps, outputs, challenge_seed, rounds)
        commitment = pending.result()
    if result_root(spec_digest(spec), commitment.output_root) != committed_root:
        return Verdict("mismatch", "the outputs do not hash to the committed result root")
    if failure is None:
        attestation = _attestation(committed_root, challenge_seed, checked)
        return Verdict("valid", _valid_reason(steps, rounds), attestation=attestation)
    proof = build_fraud_proof(spec, outputs, commitment, *failure)
    opened = proof.inputs[0].values().astype(np.int64) if proof.inputs else None
    expected = expected_entry(steps[proof.tensor], proof.row, proof.col, opened)
    where = f"output {proof.tensor} entry ({proof.row}, {proof.col})"
    reason = f"{where} is {proof.claimed}, the correct value is {expected}"
    return Verdict("fraud", reason, proof)


def check_output_shapes(steps: Sequence[Step], outputs: Sequence[NDArray[np.int32]]) -> None:
    if len(outputs) != len(steps):
        raise OutputShapeError(f"the spec defines {len(steps)} outputs, {len(outputs)} were given")
    for index, (step, output) in enumerate(zip(steps, outputs, strict=True)):
        if output.shape != step.shape or output.dtype != np.int32:
            raise OutputShapeError(
                f"output {index} is {output.dtype} {output.shape}, the spec defines int32 {step.shape}"
            )


def freivalds_sides(
    step: GemmStep,
    outputs: Sequence[NDArray[np.int32]],
    claimed: NDArray[np.int32],
    vectors: Int64s,
) -> tuple[Int64s, Int64s, tuple[int, int] | None]:
    """(L (W r), C r) for each column r of `vectors`, and the first entry of C out of range.

    Float64 on 10-bit limbs of r (exact, see the module docstring); the sides are meaningful only
    when no entry is out of range.
    """
    low = vectors & ((1 << LIMB_BITS) - 1)
    limbs = np.concatenate([low, vectors >> LIMB_BITS], axis=1).astype(np.float64)
    rows, cols = step.shape
    c_r, out_of_range = _product(DataMatrix(claimed, step.output_bound), rows, cols, limbs, step.output_bound)
    if out_of_range is not None:
        return np.empty(0, np.int64), np.empty(0, np.int64), out_of_range
    w_r, _ = _product(step.right, step.inner, cols, limbs)
    l_w_r, _ = _product(_blocks(step.left, outputs), rows, step.inner, w_r)
    return _join_limbs(l_w_r), _join_limbs(c_r), None


def freivalds_sides_reference(
    step: GemmStep, outputs: Sequence[NDArray[np.int32]], claimed: NDArray[np.int32], vectors: Int64s
) -> tuple[Int64s, Int64s]:
    """(L (W r), C r) in plain int64; C must be in range (|C| <= 2^22)."""
    left = _blocks(step.left, outputs).block((0, step.shape[0]), (0, step.inner)).astype(np.int64)
    right = step.right.block((0, step.inner), (0, step.shape[1])).astype(np.int64)
    return left @ (right @ vectors), claimed.astype(np.int64) @ vectors


def _first_failure(
    steps: Sequence[Step], outputs: Sequence[NDArray[np.int32]], seed: bytes, rounds: int
) -> tuple[Entry | None, list[bytes]]:
    checked: list[bytes] = []
    for tensor, step in enumerate(steps):
        if isinstance(step, RequantStep):
            failure = _check_requant(step, outputs[tensor], outputs[step.source])
        else:
            failure, c_r = _check_gemm(tensor, step, outputs, seed, rounds)
            checked.append(c_r)
        if failure is not None:
            return (tensor, *failure), checked
    return None, checked


def _check_gemm(
    tensor: int,
    step: GemmStep,
    outputs: Sequence[NDArray[np.int32]],
    seed: bytes,
    rounds: int,
) -> tuple[tuple[int, int] | None, bytes]:
    claimed = outputs[tensor]
    vectors = challenge_vectors(seed, tensor, step.shape[1], rounds)
    l_w_r, c_r, out_of_range = freivalds_sides(step, outputs, claimed, vectors)
    if out_of_range is not None:
        return out_of_range, b""
    bad_rows = np.flatnonzero((l_w_r != c_r).any(axis=1))
    if not bad_rows.size:
        return None, c_r.astype("<i8").tobytes()
    row = int(bad_rows[0])
    opened = outputs[step.left.tensor][row].astype(np.int64) if isinstance(step.left, OutputRef) else None
    wrong = np.flatnonzero(expected_row(step, row, opened) != claimed[row])
    if not wrong.size:
        raise RuntimeError(f"Freivalds flagged row {row} of output {tensor}, yet it recomputes correctly")
    return (row, int(wrong[0])), b""


def _check_requant(
    step: RequantStep, claimed: NDArray[np.int32], acc: NDArray[np.int32]
) -> tuple[int, int] | None:
    expected = requantize(acc.astype(np.int64), step.bias.astype(np.int64), step.shift, step.relu)
    wrong = np.argwhere(expected != claimed)
    return (int(wrong[0][0]), int(wrong[0][1])) if len(wrong) else None


def _blocks(operand: Blocks | OutputRef, outputs: Sequence[NDArray[np.int32]]) -> Blocks:
    if isinstance(operand, OutputRef):
        return DataMatrix(outputs[operand.tensor], operand.bound)
    return operand


def _product(
    source: Blocks, rows: int, cols: int, vectors: Float64s, bound: int | None = None
) -> tuple[Float64s, tuple[int, int] | None]:
    """source @ vectors, block by block; with `bound`, stop at the first entry beyond it."""
    out = np.empty((rows, vectors.shape[1]))
    height = max(1, CACHE_BLOCK_ENTRIES // cols)
    for start in range(0, rows, height):
        stop = min(start + height, rows)
        block = source.block((start, stop), (0, cols))
        if bound is not None and (block.min() < -bound or block.max() > bound):
            row, col = np.argwhere((block < -bound) | (block > bound))[0]
            return out, (start + int(row), int(col))
        out[start:stop] = block.astype(np.float64) @ vectors
    return out, None


def _join_limbs(sides: Float64s) -> Int64s:
    half = sides.shape[1] // 2
    low = sides[:, :half].astype(np.int64)
    return low + (sides[:, half:].astype(np.int64) << LIMB_BITS)


def _attestation(root: bytes, seed: bytes, checked: list[bytes]) -> bytes:
    digest = hashlib.sha256(ATTESTATION_TAG + root + len(seed).to_bytes(1, "big") + seed)
    for c_r in checked:
        digest.update(hashlib.sha256(c_r).digest())
    return digest.digest()


def _valid_reason(steps: Sequence[Step], rounds: int) -> str:
    gemms = sum(isinstance(step, GemmStep) for step in steps)
    text = f"{gemms} GEMM output(s) passed {rounds} Freivalds rounds (error <= 2^-{FREIVALDS_BITS * rounds})"
    activations = len(steps) - gemms
    return text + (f"; {activations} activation output(s) match exactly" if activations else "")


def _check_challenge(seed: bytes, rounds: int) -> None:
    if not 1 <= len(seed) <= MAX_CHALLENGE_SEED_BYTES:
        raise ValueError(f"a challenge seed is 1 to {MAX_CHALLENGE_SEED_BYTES} bytes, not {len(seed)}")
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ValueError(f"Freivalds rounds must be 1 to {MAX_ROUNDS}, not {rounds}")
