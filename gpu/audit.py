"""Succinct audit: check a few rows chosen by a challenge seed, fetched with Merkle proofs.

The auditor downloads `samples` rows (and the committed input row each reads) instead of the whole
output, and recomputes them exactly. If a fraction f of all rows is wrong, the audit misses every
one of them with probability (1 - f)^samples (f = 5%, 64 samples: 3.8%), so it catches sloppy or
partial work cheaply; a single wrong entry is caught only when its row is sampled, which is what
full verification (Freivalds, gpu/verify.py) is for. A wrong sampled row yields the same fraud
proof as full verification.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from gpu.commit import Commitment, RowOpening, check_opening, leaf_offsets, open_row, result_root
from gpu.fraud import FraudProof
from gpu.jobs import GemmStep, JobSpec, plan, spec_digest, validate_spec
from gpu.recompute import Int64s, expected_row, input_tensor, right_matrix
from gpu.verify import Verdict

DEFAULT_AUDIT_SAMPLES = 64
AUDIT_TAG = b"depind/pouw/audit/v1"


class RowSource(Protocol):
    """A provider serving committed rows (over the network, or from a local result)."""

    @property
    def output_root(self) -> bytes: ...
    def open_row(self, leaf: int) -> RowOpening: ...


@dataclass(frozen=True)
class CommittedRows:
    """A `RowSource` over outputs held in memory."""

    outputs: Sequence[NDArray[np.int32]] = field(repr=False)
    commitment: Commitment

    @property
    def output_root(self) -> bytes:
        return self.commitment.output_root

    def open_row(self, leaf: int) -> RowOpening:
        tensor = int(np.searchsorted(self.commitment.offsets, leaf, side="right")) - 1
        return open_row(self.commitment, self.outputs, tensor, leaf - self.commitment.offsets[tensor])


def audit_leaves(challenge_seed: bytes, total_rows: int, samples: int) -> list[int]:
    """Distinct leaf indices, uniform over [0, total_rows) (bias <= total_rows / 2^64), sorted."""
    framed = len(challenge_seed).to_bytes(1, "big") + challenge_seed
    stream = hashlib.shake_256(AUDIT_TAG + framed).digest(8 * samples)
    picks = {int.from_bytes(stream[8 * i : 8 * i + 8], "big") % total_rows for i in range(samples)}
    return sorted(picks)


def audit_result(
    spec: JobSpec,
    committed_root: bytes,
    source: RowSource,
    challenge_seed: bytes,
    samples: int = DEFAULT_AUDIT_SAMPLES,
) -> Verdict:
    """Recompute the sampled rows; `mismatch` when the source serves rows that do not verify."""
    validate_spec(spec)
    if not 1 <= len(challenge_seed) <= 64 or samples < 1:
        raise ValueError("an audit needs a 1-64 byte challenge seed and at least one sample")
    if result_root(spec_digest(spec), source.output_root) != committed_root:
        return Verdict("mismatch", "the source's output root is not the one bound into the result root")
    auditor = _Auditor(spec, source)
    for leaf in audit_leaves(challenge_seed, auditor.offsets[-1], samples):
        verdict = auditor.check_leaf(leaf)
        if verdict is not None:
            return verdict
    return Verdict("valid", f"{samples} sampled row(s) recomputed exactly")


class _Auditor:
    def __init__(self, spec: JobSpec, source: RowSource) -> None:
        self.steps = plan(spec)
        self.shapes = [step.shape for step in self.steps]
        self.offsets = leaf_offsets(self.shapes)
        self.source = source
        self.rights: dict[int, Int64s] = {}  # each right operand regenerated once

    def check_leaf(self, leaf: int) -> Verdict | None:
        tensor = int(np.searchsorted(self.offsets, leaf, side="right")) - 1
        row = leaf - self.offsets[tensor]
        opening = self._fetch(tensor, row)
        source = input_tensor(self.steps[tensor])
        inputs = () if source is None else (self._fetch(source, row),)
        if opening is None or any(item is None for item in inputs):
            return Verdict("mismatch", f"the source served row {leaf} or its input without a valid proof")
        checked_inputs = tuple(item for item in inputs if item is not None)
        opened = checked_inputs[0].values().astype(np.int64) if checked_inputs else None
        step = self.steps[tensor]
        right = self._right(tensor, step) if isinstance(step, GemmStep) else None
        wrong = np.flatnonzero(expected_row(step, row, opened, right) != opening.values())
        if not wrong.size:
            return None
        col = int(wrong[0])
        proof = FraudProof(
            tensor=tensor,
            row=row,
            col=col,
            claimed=int(opening.values()[col]),
            output_root=self.source.output_root,
            opening=opening,
            inputs=checked_inputs,
        )
        return Verdict("fraud", f"output {tensor} row {row} is wrong at column {col}", proof)

    def _fetch(self, tensor: int, row: int) -> RowOpening | None:
        leaf = self.offsets[tensor] + row
        opening = self.source.open_row(leaf)
        valid = (
            opening.leaf == leaf
            and len(opening.row) == 4 * self.shapes[tensor][1]
            and check_opening(opening, self.offsets[-1], self.source.output_root)
        )
        return opening if valid else None

    def _right(self, tensor: int, step: GemmStep) -> Int64s:
        if tensor not in self.rights:
            self.rights[tensor] = right_matrix(step)
        return self.rights[tensor]
