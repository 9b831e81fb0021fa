"""Succinct audit: sampled rows with Merkle proofs, recomputed exactly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gpu.audit import CommittedRows, audit_leaves, audit_result
from gpu.backend import NumpyBackend
from gpu.commit import RowOpening
from gpu.fraud import check_fraud_proof
from gpu.jobs import JobSpec
from gpu.run import run_job
from tests.gpu.jobs_helpers import GEMM, MLP, SPECS, commit, corrupted

SEED = b"audit seed"


def _source(spec: JobSpec, tensor: int | None = None, row: int = 0) -> tuple[CommittedRows, bytes]:
    outputs = run_job(spec, NumpyBackend()).outputs
    if tensor is not None:
        outputs = tuple(corrupted(outputs, tensor, row, 0, int(outputs[tensor][row, 0]) + 1))
    committed = commit(spec, outputs)
    return CommittedRows(committed.outputs, committed.commitment), committed.root


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_honest_result_passes_audit(kind: str) -> None:
    source, root = _source(SPECS[kind])
    verdict = audit_result(SPECS[kind], root, source, SEED, samples=16)
    assert verdict.status == "valid", verdict.reason


def test_audit_leaves_are_distinct_sorted_and_seeded() -> None:
    leaves = audit_leaves(SEED, 1000, 50)
    assert leaves == sorted(set(leaves)) and all(0 <= leaf < 1000 for leaf in leaves)
    assert audit_leaves(SEED, 1000, 50) == leaves
    assert audit_leaves(b"other", 1000, 50) != leaves
    assert audit_leaves(SEED, 4, 200) == [0, 1, 2, 3]


@pytest.mark.parametrize(("tensor", "row"), [(0, 3), (2, 5), (3, 1), (5, 0)])
def test_audit_catches_a_sampled_wrong_row(tensor: int, row: int) -> None:
    source, root = _source(MLP, tensor, row)
    verdict = audit_result(MLP, root, source, SEED, samples=500)  # 36 rows: all of them sampled
    assert verdict.status == "fraud"
    assert verdict.proof is not None and (verdict.proof.tensor, verdict.proof.row) == (tensor, row)
    check_fraud_proof(MLP, root, verdict.proof)


def test_audit_misses_rows_it_does_not_sample() -> None:
    """The documented limit: one wrong row is found only if sampled (that is Freivalds' job)."""
    sampled = set(audit_leaves(SEED, 12, 3))
    unsampled = next(leaf for leaf in range(12) if leaf not in sampled)
    source, root = _source(GEMM, 0, unsampled)
    assert audit_result(GEMM, root, source, SEED, samples=3).status == "valid"


@dataclass(frozen=True)
class LyingSource:
    """Serves a valid root but rows whose proofs do not verify."""

    honest: CommittedRows

    @property
    def output_root(self) -> bytes:
        return self.honest.output_root

    def open_row(self, leaf: int) -> RowOpening:
        opening = self.honest.open_row(leaf)
        return RowOpening(opening.leaf, opening.row, [*opening.path[::-1], b"\x00" * 32])


def test_audit_rejects_unproven_rows_and_foreign_roots() -> None:
    source, root = _source(GEMM)
    assert audit_result(GEMM, root, LyingSource(source), SEED).status == "mismatch"
    other_source, _ = _source(MLP)
    verdict = audit_result(GEMM, root, other_source, SEED)
    assert verdict.status == "mismatch" and "output root" in verdict.reason


def test_invalid_audit_arguments() -> None:
    source, root = _source(GEMM)
    with pytest.raises(ValueError, match="at least one sample"):
        audit_result(GEMM, root, source, SEED, samples=0)
