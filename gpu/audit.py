"""Succinct audit: check a few rows chosen by a challenge seed, fetched with Merkle proofs.

The auditor downloads `samples` rows (each as the run of 1 KiB chunks holding it, plus the
committed input row it reads) instead of the whole output, and recomputes them exactly, streaming
each right operand once for all sampled rows of its output (gpu/recompute.py: bounded memory).
If a fraction f of all rows is wrong, the audit misses every one of them with probability
(1 - f)^samples (f = 5%, 64 samples: 3.8%), so it catches sloppy or partial work cheaply; a
single wrong entry is caught only when its row is sampled, which is what full verification
(Freivalds, gpu/verify.py) is for. A wrong sampled row yields the same fraud proof as full
verification.

The challenge seed is derived as for Freivalds (gpu/challenge.py): after the result root is on
chain, so the provider cannot know which rows will be sampled when it commits.
"""

import hashlib
from collections.abc import Sequence
from itertools import groupby

import numpy as np
from numpy.typing import NDArray

from gpu.challenge import SEED_BYTES
from gpu.errors import InvalidFraudProof, InvalidOpening
from gpu.fraud import OutputSource, build_fraud_proof, check_fraud_proof
from gpu.header import result_root
from gpu.jobs import JobSpec, Step, plan, spec_digest, validate_spec
from gpu.merkle import ChunkLayout, opened_entries
from gpu.recompute import Int64s, expected_rows, input_tensor
from gpu.verify import Verdict

DEFAULT_AUDIT_SAMPLES = 64
AUDIT_TAG = b"depind/pouw/audit/v1"

Row = tuple[int, int]  # (tensor, row)


def audit_rows(challenge_seed: bytes, total_rows: int, samples: int) -> list[int]:
    """Distinct indices into all outputs' rows (output 0's, then output 1's, ...), uniform over
    [0, total_rows) (bias <= total_rows / 2^64), sorted."""
    stream = hashlib.shake_256(AUDIT_TAG + challenge_seed).digest(8 * samples)
    picks = {int.from_bytes(stream[8 * i : 8 * i + 8], "big") % total_rows for i in range(samples)}
    return sorted(picks)


def audit_result(
    spec: JobSpec,
    committed_root: bytes,
    source: OutputSource,
    challenge_seed: bytes,
    samples: int = DEFAULT_AUDIT_SAMPLES,
) -> Verdict:
    """Recompute the sampled rows; `mismatch` when the source serves openings that do not verify."""
    validate_spec(spec)
    if len(challenge_seed) != SEED_BYTES or samples < 1:
        raise ValueError(f"an audit needs a {SEED_BYTES}-byte challenge seed and at least one sample")
    if result_root(spec_digest(spec), source.root) != committed_root:
        return Verdict("mismatch", "the source's output root is not the one bound into the result root")
    steps = plan(spec)
    chunks = ChunkLayout(tuple(step.shape for step in steps), 4)
    picked = _sampled_rows(steps, audit_rows(challenge_seed, sum(s.shape[0] for s in steps), samples))
    for tensor, group in groupby(picked, key=lambda item: item[0]):
        rows = [row for _, row in group]
        try:
            wrong = _first_wrong_entry(steps, chunks, source, tensor, rows)
        except InvalidOpening as err:
            return Verdict(
                "mismatch", f"the source served output {tensor} rows {rows} without valid proofs: {err}"
            )
        if wrong is not None:
            return _fraud_verdict(spec, committed_root, source, tensor, *wrong)
    return Verdict("valid", f"{samples} sampled row(s) recomputed exactly")


def _sampled_rows(steps: Sequence[Step], indices: list[int]) -> list[Row]:
    offsets = np.cumsum([0] + [step.shape[0] for step in steps])
    tensors = np.searchsorted(offsets, indices, side="right") - 1
    return [(int(t), index - int(offsets[t])) for t, index in zip(tensors, indices, strict=True)]


def _first_wrong_entry(
    steps: Sequence[Step], chunks: ChunkLayout, source: OutputSource, tensor: int, rows: list[int]
) -> tuple[int, int] | None:
    """The first (row, col) among `rows` of output `tensor` that recomputes differently."""
    claimed = _fetch_rows(chunks, source, tensor, rows)
    reads = input_tensor(steps[tensor])
    opened = None if reads is None else _fetch_rows(chunks, source, reads, rows)
    wrong = np.argwhere(expected_rows(steps[tensor], rows, opened) != claimed)
    return (rows[int(wrong[0][0])], int(wrong[0][1])) if len(wrong) else None


def _fetch_rows(chunks: ChunkLayout, source: OutputSource, tensor: int, rows: list[int]) -> Int64s:
    cols = chunks.shapes[tensor][1]
    values = [
        opened_entries(
            chunks, source.root, source.open_entries(tensor, row * cols, cols), tensor, row * cols, cols
        )
        for row in rows
    ]
    result: NDArray[np.int64] = np.array(values, dtype=np.int64)
    return result


def _fraud_verdict(
    spec: JobSpec, root: bytes, source: OutputSource, tensor: int, row: int, col: int
) -> Verdict:
    """The fraud proof for a wrong sampled entry; `mismatch` if the source's openings for it do not
    hold (it served a different row for the audit than for the proof)."""
    try:
        proof = build_fraud_proof(spec, source, tensor, row, col)
        check_fraud_proof(spec, root, proof)
    except (InvalidOpening, InvalidFraudProof) as err:
        return Verdict(
            "mismatch", f"the source's openings of output {tensor} entry ({row}, {col}) do not hold: {err}"
        )
    return Verdict("fraud", f"output {tensor} row {row} is wrong at column {col}", proof)
