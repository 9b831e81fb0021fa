"""Row recomputation streams the right operand: the same rows as the reference, in memory far
below the operand's size, so a verifier can prove fraud in the largest jobs."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu import recompute
from gpu.audit import audit_result
from gpu.backend import NumpyBackend
from gpu.jobs import GemmSpec, GemmStep, JobSpec, plan
from gpu.reference import reference_outputs
from gpu.run import run_job
from gpu.verify import verify_result
from tests.gpu.jobs_helpers import challenge_seed, commit, corrupted, job_specs

MIB = 1 << 20


@settings(max_examples=40, deadline=None)
@given(job_specs(), st.integers(1, 40), st.data())
def test_streamed_rows_equal_the_reference(spec: JobSpec, block: int, data: st.DataObject) -> None:
    outputs = reference_outputs(spec)
    tensor = data.draw(st.integers(0, len(outputs) - 1))
    step = plan(spec)[tensor]
    rows = sorted(set(data.draw(st.lists(st.integers(0, step.shape[0] - 1), min_size=1, max_size=3))))
    source = recompute.input_tensor(step)
    opened = None if source is None else outputs[source][rows].astype(np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recompute, "STREAM_ENTRIES", block)  # many blocks, of any height
        got = recompute.expected_rows(step, rows, opened)
    assert np.array_equal(got, outputs[tensor][rows])


def test_fraud_proofs_and_audits_stream_the_right_operand() -> None:
    """K x N = 2^24: the right operand is 64 MiB as int32 and 128 MiB as int64; the code before
    streaming peaked at 192 MiB here. Proving a wrong entry now stays within a few MiB."""
    spec = GemmSpec(m=4, k=16384, n=1024, bound=16, seed=9)
    (step,) = plan(spec)
    assert isinstance(step, GemmStep) and step.inner * step.shape[1] == 1 << 24
    outputs = run_job(spec, NumpyBackend()).outputs
    cheat = commit(spec, corrupted(outputs, 0, 2, 5, int(outputs[0][2, 5]) + 1))
    seed = challenge_seed(b"memory", cheat.root)
    small = GemmSpec(m=4, k=64, n=8, bound=16, seed=9)  # load the kernels before measuring
    verify_result(small, *_committed(small))
    tracemalloc.start()
    try:
        verdict = verify_result(spec, cheat.outputs, cheat.root, seed)
        verify_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        audited = audit_result(spec, cheat.root, cheat.commitment, seed, samples=64)  # all 4 rows
        audit_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert verdict.status == "fraud" and verdict.proof is not None
    assert (verdict.proof.row, verdict.proof.col) == (2, 5)
    assert audited.status == "fraud" and audited.proof is not None
    assert verify_peak < 12 * MIB, f"verify peaked at {verify_peak / MIB:.1f} MiB"
    assert audit_peak < 12 * MIB, f"audit peaked at {audit_peak / MIB:.1f} MiB"


def _committed(spec: GemmSpec) -> tuple[tuple[np.ndarray, ...], bytes, bytes]:
    result = commit(spec, run_job(spec, NumpyBackend()).outputs)
    return result.outputs, result.root, challenge_seed(b"warm-up")
