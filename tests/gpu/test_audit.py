"""Succinct audit: sampled rows with Merkle proofs, recomputed exactly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from gpu.audit import audit_result, audit_rows
from gpu.backend import NumpyBackend
from gpu.fraud import check_fraud_proof
from gpu.jobs import JobSpec
from gpu.merkle import ChunkedCommitment, Opening
from gpu.run import run_job
from tests.gpu.jobs_helpers import GEMM, MLP, SPECS, challenge_seed, commit, corrupted

SEED = challenge_seed(b"audit")


def _source(spec: JobSpec, tensor: int | None = None, row: int = 0) -> tuple[ChunkedCommitment, bytes]:
    outputs = run_job(spec, NumpyBackend()).outputs
    if tensor is not None:
        outputs = tuple(corrupted(outputs, tensor, row, 0, int(outputs[tensor][row, 0]) + 1))
    committed = commit(spec, outputs)
    return committed.commitment, committed.root


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_honest_result_passes_audit(kind: str) -> None:
    source, root = _source(SPECS[kind])
    verdict = audit_result(SPECS[kind], root, source, SEED, samples=16)
    assert verdict.status == "valid", verdict.reason


def test_audit_rows_are_distinct_sorted_and_seeded() -> None:
    rows = audit_rows(SEED, 1000, 50)
    assert rows == sorted(set(rows)) and all(0 <= row < 1000 for row in rows)
    assert audit_rows(SEED, 1000, 50) == rows
    assert audit_rows(challenge_seed(b"other"), 1000, 50) != rows
    assert audit_rows(SEED, 4, 200) == [0, 1, 2, 3]


@pytest.mark.parametrize(("tensor", "row"), [(0, 3), (2, 5), (3, 1), (5, 0)])
def test_audit_catches_a_sampled_wrong_row(tensor: int, row: int) -> None:
    source, root = _source(MLP, tensor, row)
    verdict = audit_result(MLP, root, source, SEED, samples=500)  # 36 rows: all of them sampled
    assert verdict.status == "fraud"
    assert verdict.proof is not None and (verdict.proof.tensor, verdict.proof.row) == (tensor, row)
    check_fraud_proof(MLP, root, verdict.proof)


def test_audit_misses_rows_it_does_not_sample() -> None:
    """The documented limit: one wrong row is found only if sampled (that is Freivalds' job)."""
    sampled = set(audit_rows(SEED, 12, 3))
    unsampled = next(leaf for leaf in range(12) if leaf not in sampled)
    source, root = _source(GEMM, 0, unsampled)
    assert audit_result(GEMM, root, source, SEED, samples=3).status == "valid"


@dataclass(frozen=True)
class LyingSource:
    """Serves a valid root but openings whose proofs do not verify."""

    honest: ChunkedCommitment

    @property
    def root(self) -> bytes:
        return self.honest.root

    def open_entries(self, tensor: int, first: int, count: int) -> Opening:
        opening = self.honest.open_entries(tensor, first, count)
        return dataclasses.replace(opening, proof=(*opening.proof[::-1], b"\x00" * 32))


@dataclass(frozen=True)
class TwoFacedSource:
    """Serves a wrong row for the audit, but the correct chunk when asked for the proof's."""

    wrong: ChunkedCommitment
    right: ChunkedCommitment

    @property
    def root(self) -> bytes:
        return self.wrong.root

    def open_entries(self, tensor: int, first: int, count: int) -> Opening:
        if count > 1:
            return self.wrong.open_entries(tensor, first, count)
        return dataclasses.replace(
            self.right.open_entries(tensor, first, count), proof=self.wrong.tree.path(0)
        )


def test_audit_rejects_unproven_rows_and_foreign_roots() -> None:
    source, root = _source(GEMM)
    assert audit_result(GEMM, root, LyingSource(source), SEED).status == "mismatch"
    wrong, wrong_root = _source(GEMM, 0, 3)
    verdict = audit_result(GEMM, wrong_root, TwoFacedSource(wrong, source), SEED, samples=100)
    assert verdict.status == "mismatch" and "do not hold" in verdict.reason
    other_source, _ = _source(MLP)
    verdict = audit_result(GEMM, root, other_source, SEED)
    assert verdict.status == "mismatch" and "output root" in verdict.reason


def test_invalid_audit_arguments() -> None:
    source, root = _source(GEMM)
    with pytest.raises(ValueError, match="at least one sample"):
        audit_result(GEMM, root, source, SEED, samples=0)
