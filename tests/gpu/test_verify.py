"""Verification: Freivalds finds any wrong entry, fraud proofs check, forged proofs do not."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu.backend import NumpyBackend
from gpu.commit import RowOpening, canonical_bytes
from gpu.errors import InvalidFraudProof, OutputShapeError
from gpu.fraud import (
    FraudProof,
    build_fraud_proof,
    check_fraud_proof,
    decode_fraud_proof,
    encode_fraud_proof,
)
from gpu.jobs import GemmSpec, GemmStep, JobSpec, plan
from gpu.recompute import expected_row, input_tensor
from gpu.reference import reference_outputs
from gpu.run import run_job
from gpu.verify import (
    challenge_vectors,
    freivalds_sides,
    freivalds_sides_reference,
    verify_result,
)
from tests.gpu.jobs_helpers import GEMM, MLP, SPECS, Committed, commit, corrupted, job_specs

SEED = b"challenge"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def honest(spec: JobSpec) -> Committed:
    return commit(spec, run_job(spec, NumpyBackend()).outputs)


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_honest_result_is_valid(kind: str) -> None:
    result = honest(SPECS[kind])
    verdict = verify_result(result.spec, result.outputs, result.root, SEED)
    assert verdict.status == "valid", verdict.reason
    assert verdict.proof is None
    assert verdict.attestation is not None and len(verdict.attestation) == 32
    again = verify_result(result.spec, result.outputs, result.root, SEED, workers=1)
    assert again.attestation == verdict.attestation  # depends on the seed and C r only
    other = verify_result(result.spec, result.outputs, result.root, b"another seed")
    assert other.attestation != verdict.attestation


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
    verdict = verify_result(spec, cheat.outputs, cheat.root, data.draw(st.binary(min_size=1, max_size=64)))
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
    assert verdict.proof is not None and len(verdict.proof.inputs) == 1
    assert verdict.proof.inputs[0].leaf == cheat.commitment.leaf(1, 1)  # row 1 of layer 0's activation
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
    with pytest.raises(ValueError, match="1 to 64 bytes, not 0"):
        verify_result(GEMM, result.outputs, result.root, b"")
    with pytest.raises(ValueError, match="rounds must be 1 to 16"):
        verify_result(GEMM, result.outputs, result.root, SEED, rounds=0)


def test_challenge_vectors() -> None:
    vectors = challenge_vectors(SEED, 0, 1000, 3)
    assert vectors.shape == (1000, 3) and vectors.dtype == np.int64
    assert vectors.min() >= 0 and vectors.max() < 2**20 and vectors.max() > 2**19
    assert not np.array_equal(vectors, challenge_vectors(SEED, 1, 1000, 3))
    assert not np.array_equal(vectors, challenge_vectors(SEED + b"x", 0, 1000, 3))
    assert np.array_equal(vectors, challenge_vectors(SEED, 0, 1000, 3))


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
    vectors = challenge_vectors(data.draw(st.binary(min_size=1, max_size=8)), tensor, claimed.shape[1], 3)
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
        proof = build_fraud_proof(
            result.spec, result.outputs, result.commitment, tensor, 0, output.shape[1] - 1
        )
        with pytest.raises(InvalidFraudProof, match="is correct"):
            check_fraud_proof(result.spec, result.root, proof)


def _forge(proof: FraudProof, **changes: object) -> FraudProof:
    return msgspec.structs.replace(proof, **changes)


def _with_row(opening: RowOpening, values: list[int]) -> RowOpening:
    return RowOpening(opening.leaf, canonical_bytes(np.array(values)), opening.path)


def test_invalid_forged_proofs(mlp_fraud: tuple[Committed, FraudProof]) -> None:
    cheat, proof = mlp_fraud
    check_fraud_proof(MLP, cheat.root, proof)
    honest_root = honest(MLP).root
    values = proof.opening.values().tolist()
    forged_row = [*values]
    forged_row[proof.col] += 1
    source = proof.inputs[0]
    cases = {
        "not the one bound into the result root": (honest_root, proof),
        "claimed value is not the one in the opened row": (
            cheat.root,
            _forge(proof, claimed=proof.claimed + 1),
        ),
        "does not lead to the output root": (
            cheat.root,
            _forge(proof, opening=_with_row(proof.opening, forged_row), claimed=forged_row[proof.col]),
        ),
        "an opening is for leaf": (cheat.root, _forge(proof, opening=_forge_leaf(proof.opening, 0))),
        "output 9 does not exist": (cheat.root, _forge(proof, tensor=9)),
        "is outside output 3": (cheat.root, _forge(proof, col=99)),
        "open exactly that row": (cheat.root, _forge(proof, inputs=())),
        "bytes, not": (
            cheat.root,
            _forge(proof, inputs=(RowOpening(source.leaf, source.row[:-4], source.path),)),
        ),
        "unsupported fraud proof version 2": (cheat.root, _forge(proof, version=2)),
        "Merkle path of row": (
            cheat.root,
            _forge(proof, inputs=(RowOpening(source.leaf, source.row, list(reversed(source.path))),)),
        ),
    }
    for message, (root, forged) in cases.items():
        with pytest.raises(InvalidFraudProof, match=message):
            check_fraud_proof(MLP, root, forged)


def _forge_leaf(opening: RowOpening, leaf: int) -> RowOpening:
    return RowOpening(leaf, opening.row, opening.path)


def test_invalid_proof_with_a_faked_input_row() -> None:
    """Changing the opened input row (to make a correct entry look wrong) breaks its path."""
    outputs = run_job(MLP, NumpyBackend()).outputs
    result = commit(MLP, outputs)
    proof = build_fraud_proof(MLP, result.outputs, result.commitment, 2, 0, 0)
    source = proof.inputs[0]
    faked = source.values().tolist()
    faked[0] += 1
    forged = _forge(proof, inputs=(RowOpening(source.leaf, canonical_bytes(np.array(faked)), source.path),))
    with pytest.raises(InvalidFraudProof, match="does not lead to the output root"):
        check_fraud_proof(MLP, result.root, forged)


def test_invalid_proof_opening_an_input_a_gemm_does_not_read() -> None:
    outputs = run_job(GEMM, NumpyBackend()).outputs
    cheat = commit(GEMM, corrupted(outputs, 0, 0, 0, 0 if outputs[0][0, 0] else 1))
    verdict = verify_result(GEMM, cheat.outputs, cheat.root, SEED)
    assert verdict.proof is not None
    extra = _forge(verdict.proof, inputs=(verdict.proof.opening,))
    with pytest.raises(InvalidFraudProof, match="reads no committed row"):
        check_fraud_proof(GEMM, cheat.root, extra)


@pytest.mark.parametrize(
    ("document", "message"),
    [(b"{", "malformed fraud proof"), (b'{"tensor": 0}', "malformed fraud proof"), (b"[]", "malformed")],
)
def test_invalid_proof_encoding(document: bytes, message: str) -> None:
    with pytest.raises(InvalidFraudProof, match=message):
        decode_fraud_proof(document)


def test_reference_outputs_pass_verification() -> None:
    outputs = reference_outputs(MLP)
    result = commit(MLP, outputs)
    assert verify_result(MLP, result.outputs, result.root, SEED).status == "valid"
