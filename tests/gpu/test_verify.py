"""Verification: Freivalds finds any wrong entry, fraud proofs check, forged proofs do not;
valid verdicts carry an attestation committing to the verifier's C r."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu.attestation import check_cr_opening
from gpu.backend import NumpyBackend
from gpu.commit import canonical_bytes
from gpu.errors import InvalidFraudProof, OutputShapeError
from gpu.fraud import FraudProof, build_fraud_proof, check_fraud_proof, decode_fraud_proof, encode_fraud_proof
from gpu.jobs import GemmSpec, GemmStep, JobSpec, job_header, plan
from gpu.merkle import Opening
from gpu.recompute import expected_row, input_tensor
from gpu.reference import reference_outputs
from gpu.run import run_job
from gpu.verify import (
    challenge_vectors,
    freivalds_sides,
    freivalds_sides_reference,
    verify_result,
)
from tests.gpu.jobs_helpers import GEMM, MLP, SPECS, Committed, challenge_seed, commit, corrupted, job_specs

SEED = challenge_seed(b"challenge")
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def honest(spec: JobSpec) -> Committed:
    return commit(spec, run_job(spec, NumpyBackend()).outputs)


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_honest_result_is_valid_with_an_attestation_to_c_r(kind: str) -> None:
    result = honest(SPECS[kind])
    verdict = verify_result(result.spec, result.outputs, result.root, SEED)
    assert verdict.status == "valid", verdict.reason
    assert verdict.proof is None and verdict.attestation is not None and verdict.cr is not None
    assert verdict.attestation.verdict == "valid" and verdict.attestation.rounds == 3
    assert verdict.attestation.result_root == result.root
    assert verdict.attestation.cr_root == verdict.cr.root
    again = verify_result(result.spec, result.outputs, result.root, SEED, workers=1)
    assert again.attestation == verdict.attestation  # a function of the seed and C r only
    other = verify_result(result.spec, result.outputs, result.root, challenge_seed(b"another member"))
    assert other.attestation is not None and other.attestation.cr_root != verdict.attestation.cr_root
    header = job_header(result.spec)
    steps = plan(result.spec)
    for tensor, step in enumerate(steps):
        if isinstance(step, GemmStep):
            vectors = challenge_vectors(SEED, tensor, step.shape[1], 3)
            c_r = result.outputs[tensor].astype(np.int64) @ vectors
            entry = verdict.cr.open_entry(tensor, 2, step.shape[0] - 1)
            assert entry.value == c_r[-1, 2]
            assert check_cr_opening(header, 3, verdict.attestation.cr_root, entry) == entry.value


@settings(max_examples=60, deadline=None)
@given(job_specs(), st.data())
def test_one_wrong_entry_anywhere_is_caught_and_proven(spec: JobSpec, data: st.DataObject) -> None:
    outputs = run_job(spec, NumpyBackend()).outputs
    tensor = data.draw(st.integers(0, len(outputs) - 1))
    rows, cols = outputs[tensor].shape
    row, col = data.draw(st.integers(0, rows - 1)), data.draw(st.integers(0, cols - 1))
    correct = int(outputs[tensor][row, col])
    wrong = data.draw(
        st.one_of(st.integers(-3, 3).map(lambda d: correct + d), st.integers(INT32_MIN, INT32_MAX)).filter(
            lambda v: v != correct and INT32_MIN <= v <= INT32_MAX
        )
    )
    cheat = commit(spec, corrupted(outputs, tensor, row, col, wrong))
    verdict = verify_result(spec, cheat.outputs, cheat.root, data.draw(st.binary(min_size=32, max_size=32)))
    assert verdict.status == "fraud"
    assert verdict.proof is not None
    assert (verdict.proof.tensor, verdict.proof.row, verdict.proof.col) == (tensor, row, col)
    assert verdict.proof.claimed == wrong
    check_fraud_proof(spec, cheat.root, verdict.proof)
    check_fraud_proof(spec, cheat.root, decode_fraud_proof(encode_fraud_proof(verdict.proof)))


def test_fraud_in_mlp_layer_input_is_proven_with_the_input_row() -> None:
    outputs = run_job(MLP, NumpyBackend()).outputs
    cheat = commit(MLP, corrupted(outputs, 2, 1, 3, int(outputs[2][1, 3]) + 1))  # layer 1 accumulator
    verdict = verify_result(MLP, cheat.outputs, cheat.root, SEED)
    assert verdict.proof is not None and len(verdict.proof.openings) == 2
    width = MLP.widths[1]
    row_leaves = cheat.commitment.layout.leaves(1, width, width)  # row 1 of layer 0's activation
    assert (verdict.proof.openings[1].first, verdict.proof.openings[1].count) == row_leaves
    check_fraud_proof(MLP, cheat.root, verdict.proof)
    assert "output 2 entry (1, 3)" in verdict.reason


def test_consistent_cheat_across_layers_is_caught_at_the_first_wrong_output() -> None:
    """A provider that fakes one entry and computes every later output from the fake is caught there."""
    outputs = list(run_job(MLP, NumpyBackend()).outputs)
    outputs[0] = corrupted(outputs, 0, 0, 0, int(outputs[0][0, 0]) + 7)[0]
    for index, step in enumerate(plan(MLP)[1:], start=1):
        source = input_tensor(step)
        outputs[index] = np.array(
            [
                expected_row(step, row, None if source is None else outputs[source][row].astype(np.int64))
                for row in range(step.shape[0])
            ],
            dtype=np.int32,
        )
    cheat = commit(MLP, outputs)
    verdict = verify_result(MLP, cheat.outputs, cheat.root, SEED)
    assert verdict.proof is not None
    assert (verdict.proof.tensor, verdict.proof.row, verdict.proof.col) == (0, 0, 0)


def test_mismatched_outputs_are_not_judged() -> None:
    result = honest(GEMM)
    tampered = corrupted(result.outputs, 0, 0, 0, int(result.outputs[0][0, 0]) + 1)
    verdict = verify_result(GEMM, tampered, result.root, SEED)
    assert verdict.status == "mismatch"
    assert verdict.proof is None


def test_invalid_output_shapes() -> None:
    result = honest(GEMM)
    with pytest.raises(OutputShapeError, match="the spec defines 1 outputs, 2 were given"):
        verify_result(GEMM, [*result.outputs, result.outputs[0]], result.root, SEED)
    with pytest.raises(OutputShapeError, match=r"output 0 is int64 \(12, 9\), the spec defines int32"):
        verify_result(GEMM, [result.outputs[0].astype(np.int64)], result.root, SEED)
    with pytest.raises(OutputShapeError, match=r"output 0 is int32 \(12, 8\)"):
        verify_result(GEMM, [result.outputs[0][:, :8]], result.root, SEED)


def test_invalid_challenge() -> None:
    result = honest(GEMM)
    with pytest.raises(ValueError, match="a challenge seed is 32 bytes"):
        verify_result(GEMM, result.outputs, result.root, b"a free-form seed")
    for rounds in (0, 1, 2, 17):
        with pytest.raises(ValueError, match=f"rounds must be 3 to 16, not {rounds}"):
            verify_result(GEMM, result.outputs, result.root, SEED, rounds=rounds)


# A spec whose outputs may reach 2^22 (K * b^2 = 2^22), so large planted errors stay in range.
WIDE = GemmSpec(m=4, k=4096, n=8, bound=32, seed=21)


def test_an_error_orthogonal_to_the_first_round_is_caught_by_the_others() -> None:
    """Row 1 is changed by e = (r0[1], -r0[0], 0, ...): e . r0 = 0, so round 0 alone passes it,
    but e . r1 != 0. Only a verifier whose vectors reach every round catches it."""
    outputs = run_job(WIDE, NumpyBackend()).outputs
    vectors = challenge_vectors(SEED, 0, WIDE.n, 3)
    error = np.zeros(WIDE.n, np.int64)
    error[0], error[1] = vectors[1, 0], -vectors[0, 0]
    assert error @ vectors[:, 0] == 0 and error @ vectors[:, 1] != 0
    wrong = outputs[0].astype(np.int64)
    wrong[1] += error
    assert np.abs(wrong).max() <= WIDE.k * WIDE.bound**2  # in range: the range check cannot see it
    cheat = commit(WIDE, [wrong.astype(np.int32)])
    verdict = verify_result(WIDE, cheat.outputs, cheat.root, SEED, rounds=3)
    assert verdict.status == "fraud" and verdict.proof is not None
    assert (verdict.proof.tensor, verdict.proof.row, verdict.proof.col) == (0, 1, 0)
    check_fraud_proof(WIDE, cheat.root, verdict.proof)


@pytest.mark.parametrize("col", [1, 5, 7])
def test_an_entry_below_minus_the_bound_alone_is_fraud_at_that_entry(col: int) -> None:
    """The range check's negative side on its own: the row's only entry out of range is -bound - 1.
    An entry out of range is reported before any Freivalds failure (here an in-range wrong entry
    earlier in the row), so only a range check that sees negative values reports this column."""
    outputs = run_job(WIDE, NumpyBackend()).outputs
    bound = WIDE.k * WIDE.bound**2
    wrong = corrupted(outputs, 0, 2, 0, int(outputs[0][2, 0]) + 1)
    wrong[0][2, col] = -bound - 1
    cheat = commit(WIDE, wrong)
    row = cheat.outputs[0][2]
    assert (row < -bound).sum() == 1 and (row > bound).sum() == 0
    verdict = verify_result(WIDE, cheat.outputs, cheat.root, SEED)
    assert verdict.status == "fraud" and verdict.proof is not None
    assert (verdict.proof.tensor, verdict.proof.row, verdict.proof.col) == (0, 2, col)
    assert verdict.proof.claimed == -bound - 1
    check_fraud_proof(WIDE, cheat.root, verdict.proof)


@settings(max_examples=40, deadline=None)
@given(job_specs(), st.data())
def test_fast_freivalds_equals_int64_reference(spec: JobSpec, data: st.DataObject) -> None:
    outputs = list(run_job(spec, NumpyBackend()).outputs)
    steps = plan(spec)
    gemms = [t for t, step in enumerate(steps) if isinstance(step, GemmStep)]
    tensor = data.draw(st.sampled_from(gemms))
    step = steps[tensor]
    assert isinstance(step, GemmStep)
    claimed = outputs[tensor].copy()
    bound = step.output_bound
    claimed[0, 0] = data.draw(st.integers(-bound, bound))  # any in-range value, right or wrong
    vectors = challenge_vectors(data.draw(st.binary(min_size=32, max_size=32)), tensor, claimed.shape[1], 3)
    fast = freivalds_sides(step, outputs, claimed, vectors)
    reference = freivalds_sides_reference(step, outputs, claimed, vectors)
    assert fast[2] is None
    assert np.array_equal(fast[0], reference[0]) and np.array_equal(fast[1], reference[1])


def test_freivalds_exact_at_the_largest_magnitudes() -> None:
    """K * b^2 = 2^22 with every entry at +-b and r near 2^20: sums near the exactness limits."""
    spec = GemmSpec(m=4, k=256, n=4096, bound=128, a=b"\x80" * 1024, b=b"\x80" * (256 * 4096))
    outputs = run_job(spec, NumpyBackend()).outputs
    (step,) = plan(spec)
    assert isinstance(step, GemmStep)
    vectors = np.full((4096, 3), 2**20 - 1, dtype=np.int64)
    fast = freivalds_sides(step, outputs, outputs[0], vectors)
    assert np.array_equal(fast[0], freivalds_sides_reference(step, outputs, outputs[0], vectors)[0])
    assert int(fast[1][0, 0]) == 4096 * 2**22 * (2**20 - 1)


# -- forged fraud proofs ------------------------------------------------------------------------


@pytest.fixture
def mlp_fraud() -> tuple[Committed, FraudProof]:
    outputs = run_job(MLP, NumpyBackend()).outputs
    cheat = commit(MLP, corrupted(outputs, 3, 2, 4, int(outputs[3][2, 4]) ^ 1))  # an activation
    verdict = verify_result(MLP, cheat.outputs, cheat.root, SEED)
    assert verdict.proof is not None
    return cheat, verdict.proof


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_invalid_proof_against_a_correct_entry(kind: str) -> None:
    result = honest(SPECS[kind])
    for tensor, output in enumerate(result.outputs):
        proof = build_fraud_proof(result.spec, result.commitment, tensor, 0, output.shape[1] - 1)
        with pytest.raises(InvalidFraudProof, match="is correct"):
            check_fraud_proof(result.spec, result.root, proof)


def _forge(proof: FraudProof, **changes: object) -> FraudProof:
    return dataclasses.replace(proof, **changes)  # type: ignore[arg-type]


def _with_data(opening: Opening, data: bytes) -> Opening:
    return dataclasses.replace(opening, data=data)


def test_invalid_forged_proofs(mlp_fraud: tuple[Committed, FraudProof]) -> None:
    cheat, proof = mlp_fraud
    check_fraud_proof(MLP, cheat.root, proof)
    honest_root = honest(MLP).root
    entry, accumulator = proof.openings
    values = np.frombuffer(entry.data, "<i4").copy()
    values[proof.col] += 1
    cases = {
        "not the one bound into the result root": (honest_root, proof),
        "the claimed value .* is not the one in the opened chunk": (
            cheat.root,
            _forge(proof, claimed=proof.claimed + 1),
        ),
        "opening 0 .*does not lead to the root": (
            cheat.root,
            _forge(
                proof,
                openings=(_with_data(entry, canonical_bytes(values)), accumulator),
                claimed=int(values[proof.col]),
            ),
        ),
        "opening 0 .*the opening holds leaves 0": (
            cheat.root,
            _forge(proof, openings=(dataclasses.replace(entry, first=0), accumulator)),
        ),
        "output 9 does not exist": (cheat.root, _forge(proof, tensor=9)),
        "is outside output 3": (cheat.root, _forge(proof, col=99)),
        "needs 2 openings": (cheat.root, _forge(proof, openings=(entry,))),
        "opening 1 .*holds 188 bytes, not 192": (
            cheat.root,
            _forge(proof, openings=(entry, _with_data(accumulator, accumulator.data[:-4]))),
        ),
        "unsupported fraud proof version 3": (cheat.root, _forge(proof, version=3)),
        "opening 1 .*does not lead to the root": (
            cheat.root,
            _forge(proof, openings=(entry, dataclasses.replace(accumulator, proof=accumulator.proof[::-1]))),
        ),
    }
    for message, (root, forged) in cases.items():
        with pytest.raises(InvalidFraudProof, match=message):
            check_fraud_proof(MLP, root, forged)


def test_invalid_proof_with_a_faked_input_row() -> None:
    """Changing the opened input row (to make a correct entry look wrong) breaks its path."""
    result = commit(MLP, run_job(MLP, NumpyBackend()).outputs)
    proof = build_fraud_proof(MLP, result.commitment, 2, 0, 0)
    entry, source = proof.openings
    faked = np.frombuffer(source.data, "<i4").copy()
    faked[0] += 1
    forged = _forge(proof, openings=(entry, _with_data(source, canonical_bytes(faked))))
    with pytest.raises(InvalidFraudProof, match=r"opening 1 .*does not lead to the root"):
        check_fraud_proof(MLP, result.root, forged)


def test_invalid_proof_opening_an_input_a_gemm_does_not_read() -> None:
    outputs = run_job(GEMM, NumpyBackend()).outputs
    cheat = commit(GEMM, corrupted(outputs, 0, 0, 0, 0 if outputs[0][0, 0] else 1))
    verdict = verify_result(GEMM, cheat.outputs, cheat.root, SEED)
    assert verdict.proof is not None
    extra = _forge(verdict.proof, openings=(*verdict.proof.openings, verdict.proof.openings[0]))
    with pytest.raises(InvalidFraudProof, match="this entry needs 1 openings"):
        check_fraud_proof(GEMM, cheat.root, extra)


def test_proofs_are_a_few_kilobytes_at_n_16384() -> None:
    """An entry travels with its 1 KiB chunk and path, not its 64 KiB row."""
    spec = GemmSpec(m=2, k=8, n=16384, bound=64, seed=4)
    outputs = run_job(spec, NumpyBackend()).outputs
    cheat = commit(spec, corrupted(outputs, 0, 1, 9000, int(outputs[0][1, 9000]) + 1))
    verdict = verify_result(spec, cheat.outputs, cheat.root, SEED)
    assert verdict.proof is not None
    encoded = encode_fraud_proof(verdict.proof)
    assert len(encoded) == 49 + 13 + 1024 + 32 * 7  # 128 chunks: a 7-hash path
    check_fraud_proof(spec, cheat.root, decode_fraud_proof(encoded))


def test_reference_outputs_pass_verification() -> None:
    outputs = reference_outputs(MLP)
    result = commit(MLP, outputs)
    assert verify_result(MLP, result.outputs, result.root, SEED).status == "valid"
