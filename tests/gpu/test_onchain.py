"""The chain's checks (gpu/onchain.py): pure integers, no NumPy, and the same answers as the NumPy
reference on random valid and corrupted results; attestation disputes, one-shot and answered."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import subprocess
import sys
from pathlib import Path

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu import onchain
from gpu.attestation import CrCommitment, commit_cr
from gpu.backend import NumpyBackend
from gpu.challenge import derive_challenge_seed
from gpu.commit import commit_outputs
from gpu.errors import InvalidDispute, InvalidFraudProof
from gpu.fraud import build_fraud_proof
from gpu.header import EarlierOutput, GemmLayout, JobHeader, RequantLayout, header_digest, layout, result_root
from gpu.jobs import GemmSpec, JobSpec, MlpSpec, job_header, spec_digest
from gpu.merkle import Opening, leaf_hash, merkle_tree
from gpu.proofs import (
    Attestation,
    AttestationDispute,
    CrOpening,
    FraudProof,
    RowDispute,
    decode_fraud_proof,
    encode_fraud_proof,
)
from gpu.reference import reference_outputs
from gpu.run import run_job
from gpu.verify import challenge_vectors, verify_result
from tests.gpu.jobs_helpers import BATCHED, GEMM, MLP, Committed, commit, corrupted, job_specs

CHAIN_MODULES = [
    "onchain",
    "attestation",
    "proofs",
    "proof_sizes",
    "challenge",
    "header",
    "merkle",
    "prng_scalar",
    "errors",
]
ALLOWED_IMPORTS = {
    "collections.abc",
    "dataclasses",
    "functools",
    "typing",
    "hashlib",
    "operator",
    "struct",  # explicit little-endian formats only: the same on every host
    "blake3",
    "msgspec",
    "gpu",
}
VERIFIER, BEACON = b"validator-1", bytes(range(32))
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def test_chain_modules_import_no_numpy() -> None:
    modules = ", ".join(f"gpu.{name}" for name in CHAIN_MODULES)
    loaded = "sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'numba'))"
    code = f"import sys, {modules}; print({loaded})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", CHAIN_MODULES)
def test_chain_modules_use_no_floats_clocks_randomness_or_io(name: str) -> None:
    source = Path(__file__).parents[2] / "gpu" / f"{name}.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            assert not isinstance(node.value, float), f"{name}.py:{node.lineno} has a float"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [node.module] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            )
            for module in names:
                assert module and (module in ALLOWED_IMPORTS or module.split(".")[0] == "gpu"), module
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"open", "float", "print", "input"}, f"{name}.py:{node.lineno}"


# -- fraud proofs --------------------------------------------------------------------------------


def _proof_for(spec: JobSpec, cheat: Committed, tensor: int, row: int, col: int) -> FraudProof:
    """A proof as the chain receives it: built by a prover, sent as bytes."""
    return decode_fraud_proof(encode_fraud_proof(build_fraud_proof(spec, cheat.commitment, tensor, row, col)))


@settings(max_examples=40, deadline=None)
@given(job_specs(), st.data())
def test_fraud_checks_agree_with_the_numpy_reference(spec: JobSpec, data: st.DataObject) -> None:
    """On a random entry of a random job (seeded or supplied inputs): the chain's check rejects a
    proof against the reference value and accepts one against any other, and the NumPy verifier's
    own proof of a corrupted entry passes it."""
    outputs = reference_outputs(spec)
    header = job_header(spec)
    tensor = data.draw(st.integers(0, len(outputs) - 1))
    rows, cols = outputs[tensor].shape
    row, col = data.draw(st.integers(0, rows - 1)), data.draw(st.integers(0, cols - 1))
    honest = commit(spec, outputs)
    with pytest.raises(InvalidFraudProof, match="is correct"):
        onchain.check_fraud_proof(header, honest.root, _proof_for(spec, honest, tensor, row, col))
    correct = int(outputs[tensor][row, col])
    wrong = data.draw(st.integers(INT32_MIN, INT32_MAX).filter(lambda v: v != correct))
    cheat = commit(spec, corrupted(outputs, tensor, row, col, wrong))
    onchain.check_fraud_proof(header, cheat.root, _proof_for(spec, cheat, tensor, row, col))
    verdict = verify_result(spec, cheat.outputs, cheat.root, bytes(32))
    assert verdict.proof is not None and verdict.proof.claimed == wrong
    onchain.check_fraud_proof(header, cheat.root, verdict.proof)


def test_supplied_inputs_are_opened_line_by_line_not_shipped() -> None:
    """A proof for a job with 128 KiB of supplied data holds one row of A and one column of B
    with their paths, and the chain checks it from the 100-byte header alone."""
    rng = np.random.default_rng(1)
    a, b = rng.integers(-2, 3, (64, 1024), dtype=np.int8), rng.integers(-2, 3, (1024, 64), dtype=np.int8)
    spec = GemmSpec(m=64, k=1024, n=64, bound=2, a=a.tobytes(), b=b.tobytes())
    outputs = run_job(spec, NumpyBackend()).outputs
    cheat = commit(spec, corrupted(outputs, 0, 5, 6, int(outputs[0][5, 6]) - 1))
    proof = _proof_for(spec, cheat, 0, 5, 6)
    entry, row, column = proof.openings
    assert row.data == a[5].tobytes() and column.data == b[:, 6].tobytes()
    assert len(row.proof) == len(column.proof) == 6  # 64 lines
    assert len(encode_fraud_proof(proof)) == 49 + (13 + 1024 + 32 * 4) + 2 * (13 + 1024 + 32 * 6)
    onchain.check_fraud_proof(job_header(spec), cheat.root, proof)
    forged = dataclasses.replace(
        proof, openings=(entry, dataclasses.replace(row, data=a[4].tobytes()), column)
    )
    with pytest.raises(InvalidFraudProof, match=r"opening 1 \(row 5 of a supplied input\): the Merkle path"):
        onchain.check_fraud_proof(job_header(spec), cheat.root, forged)


def test_invalid_proof_for_a_job_whose_supplied_data_breaks_its_bound() -> None:
    """Supplied values beyond the bound make the job invalid, not the result: no one is slashed."""
    spec = GemmSpec(m=2, k=3, n=2, bound=1, a=bytes([5, 0, 0, 0, 0, 0]), b=bytes(6))
    outputs = [np.zeros((2, 2), np.int32) + 1]  # wrong: A B = 0
    cheat = Committed(spec, tuple(outputs), commit_outputs(outputs))
    with pytest.raises(InvalidFraudProof, match="outside its bound: the job, not the result, is invalid"):
        onchain.check_fraud_proof(job_header(spec), cheat.root, _proof_for(spec, cheat, 0, 0, 0))


def _supplied_mlp(bias_bound: int, biases: list[list[int]]) -> MlpSpec:
    """An MLP 4 -> 5 -> 3 over 3 rows whose inputs, weights and biases are all supplied."""
    rng = np.random.default_rng(2)
    widths = [4, 5, 3]
    weights = [rng.integers(-3, 4, (i, o), dtype=np.int8).tobytes() for i, o in itertools.pairwise(widths)]
    return MlpSpec(
        rows=3,
        widths=widths,
        shifts=[2, 1],
        weight_bound=3,
        bias_bound=bias_bound,
        input_bound=3,
        x=rng.integers(-3, 4, (3, 4), dtype=np.int8).tobytes(),
        weights=weights,
        biases=[np.array(layer, "<i4").tobytes() for layer in biases],
    )


SUPPLIED_MLP = _supplied_mlp(40, [[-40, -7, 0, 9, 40], [13, -20, 5]])
# No bias at all (bias_bound 0) and no shift: an accumulator off by one shows.
UNBIASED_MLP = MlpSpec(
    rows=3, widths=[4, 5, 3], shifts=[0, 0], weight_bound=1, bias_bound=0, input_bound=1, seed=5
)


@pytest.mark.parametrize("spec", [MLP, SUPPLIED_MLP, UNBIASED_MLP], ids=["seeded", "supplied", "none"])
def test_every_activation_entry_is_recomputed_with_its_bias(spec: JobSpec) -> None:
    """Seeded, supplied or absent, the bias of each column enters the chain's recomputation of
    every activation entry exactly as the reference's: an honest entry is never proven wrong."""
    outputs = reference_outputs(spec)
    header = job_header(spec)
    honest = commit(spec, outputs)
    activations = [t for t, step in enumerate(layout(header)) if isinstance(step, RequantLayout)]
    assert activations
    for tensor in activations:
        rows, cols = outputs[tensor].shape
        for row in range(rows):
            for col in range(cols):
                with pytest.raises(InvalidFraudProof, match="is correct"):
                    onchain.check_fraud_proof(header, honest.root, _proof_for(spec, honest, tensor, row, col))
    tensor, row, col = activations[-1], rows - 1, cols - 1
    cheat = commit(spec, corrupted(outputs, tensor, row, col, int(outputs[tensor][row, col]) + 1))
    onchain.check_fraud_proof(header, cheat.root, _proof_for(spec, cheat, tensor, row, col))


def test_invalid_fraud_proofs_say_why() -> None:
    """Each refusal of a malformed fraud proof names its fault, with the numbers it concerns."""
    header = job_header(MLP)
    steps = layout(header)
    tensor = next(t for t, step in enumerate(steps) if isinstance(step, RequantLayout))
    activation = steps[tensor]
    assert isinstance(activation, RequantLayout)
    source, (rows, cols) = activation.source, activation.shape
    outputs = reference_outputs(MLP)
    cheat = commit(MLP, corrupted(outputs, tensor, 1, 2, int(outputs[tensor][1, 2]) + 1))
    proof = _proof_for(MLP, cheat, tensor, 1, 2)
    entry, accumulator = proof.openings
    cases = {
        r"^unsupported fraud proof version 99$": dataclasses.replace(proof, version=99),
        rf"^output {len(steps)} does not exist: the job has {len(steps)} outputs$": dataclasses.replace(
            proof, tensor=len(steps)
        ),
        rf"^entry \({rows}, 2\) is outside output {tensor} \({rows} x {cols}\)$": dataclasses.replace(
            proof, row=rows
        ),
        rf"^entry \(1, {cols}\) is outside output {tensor} ": dataclasses.replace(proof, col=cols),
        rf"^entry \(-1, 2\) is outside output {tensor} ": dataclasses.replace(proof, row=-1),
        r"^the proof's output_root is not the one bound into the result root$": dataclasses.replace(
            proof, output_root=bytes(32)
        ),
        r"^this entry needs 2 openings \(the entry, then what it reads\), the proof has 3$": (
            dataclasses.replace(proof, openings=(entry, accumulator, accumulator))
        ),
        rf"^the claimed value {proof.claimed + 1} is not the one in the opened chunk$": dataclasses.replace(
            proof, claimed=proof.claimed + 1
        ),
        rf"^opening 0 \(output {tensor}\): ": dataclasses.replace(proof, openings=(accumulator, accumulator)),
        rf"^opening 1 \(output {source}\): ": dataclasses.replace(proof, openings=(entry, entry)),
    }
    for message, forged in cases.items():
        with pytest.raises(InvalidFraudProof, match=message):
            onchain.check_fraud_proof(header, cheat.root, forged)


def test_invalid_supplied_bias_openings_say_why() -> None:
    header = job_header(SUPPLIED_MLP)
    tensor = next(t for t, step in enumerate(layout(header)) if isinstance(step, RequantLayout))
    outputs = reference_outputs(SUPPLIED_MLP)
    cheat = commit(SUPPLIED_MLP, corrupted(outputs, tensor, 0, 4, int(outputs[tensor][0, 4]) + 1))
    proof = _proof_for(SUPPLIED_MLP, cheat, tensor, 0, 4)
    onchain.check_fraud_proof(header, cheat.root, proof)
    entry, accumulator, _ = proof.openings
    with pytest.raises(InvalidFraudProof, match=r"^opening 2 \(supplied bias\): "):
        onchain.check_fraud_proof(
            header, cheat.root, dataclasses.replace(proof, openings=(entry, accumulator, accumulator))
        )
    # A supplied bias beyond the job's bound: the job is invalid, whatever the result.
    broken = _supplied_mlp(40, [[0, 0, 0, 0, 41], [0, 0, 0]])
    zeros = [np.zeros(step.shape, np.int32) for step in layout(job_header(broken))]
    committed = commit(broken, zeros)
    with pytest.raises(
        InvalidFraudProof,
        match=r"^supplied bias 4 = 41 is outside its bound: the job, not the result, is invalid$",
    ):
        onchain.check_fraud_proof(
            job_header(broken), committed.root, _proof_for(broken, committed, tensor, 0, 4)
        )


def test_invalid_opening_of_an_earlier_output_names_that_output() -> None:
    header = job_header(MLP)
    steps = layout(header)
    tensor, step = next(
        (t, step)
        for t, step in enumerate(steps)
        if isinstance(step, GemmLayout) and isinstance(step.left, EarlierOutput)
    )
    assert isinstance(step.left, EarlierOutput)
    outputs = reference_outputs(MLP)
    cheat = commit(MLP, corrupted(outputs, tensor, 0, 0, int(outputs[tensor][0, 0]) + 1))
    proof = _proof_for(MLP, cheat, tensor, 0, 0)
    onchain.check_fraud_proof(header, cheat.root, proof)  # the input row opens under the output root
    entry = proof.openings[0]
    with pytest.raises(InvalidFraudProof, match=rf"^opening 1 \(output {step.left.tensor}\): "):
        onchain.check_fraud_proof(header, cheat.root, dataclasses.replace(proof, openings=(entry, entry)))


def test_supplied_minus_128_is_read_as_a_signed_byte() -> None:
    """Byte 0x80 of a supplied int8 operand is -128 (allowed by a bound of 128), not 128."""
    a = np.array([[-128, 1], [127, -128]], np.int8)
    spec = GemmSpec(m=2, k=2, n=2, bound=128, a=a.tobytes())
    outputs = reference_outputs(spec)
    honest = commit(spec, outputs)
    for row, col in itertools.product(range(2), range(2)):
        with pytest.raises(InvalidFraudProof, match="is correct"):
            onchain.check_fraud_proof(job_header(spec), honest.root, _proof_for(spec, honest, 0, row, col))


def test_invalid_supplied_lines_say_why() -> None:
    # A row beyond the bound: the job is invalid, and the message names the axis.
    spec = GemmSpec(m=2, k=3, n=2, bound=1, a=bytes([5, 0, 0, 0, 0, 0]), b=bytes(6))
    cheat = commit(spec, [np.ones((2, 2), np.int32)])
    with pytest.raises(
        InvalidFraudProof, match=r"^a supplied row is outside its bound: the job, not the result, is invalid$"
    ):
        onchain.check_fraud_proof(job_header(spec), cheat.root, _proof_for(spec, cheat, 0, 0, 0))
    # A job whose input root commits a row of 4 values where the shape has 3: the row opens, but
    # cannot be read.
    rows = [bytes(4), bytes(3)]
    tree = merkle_tree([leaf_hash(row) for row in rows])
    header = msgspec.structs.replace(
        job_header(GemmSpec(m=2, k=3, n=2, bound=1, a=bytes(6))), a_root=tree.root
    )
    committed = commit_outputs([np.ones((2, 2), np.int32)])
    root = result_root(header_digest(header), committed.root)
    openings = (committed.open_entries(0, 0, 1), Opening(0, 1, rows[0], tree.path(0)))
    with pytest.raises(InvalidFraudProof, match=r"^opening 1 holds 4 int8 values, the line has 3$"):
        onchain.check_fraud_proof(header, root, FraudProof(0, 0, 0, 1, committed.root, openings))


# -- attestation disputes ------------------------------------------------------------------------


def _attest(spec: JobSpec, verifier: bytes = VERIFIER) -> tuple[Committed, Attestation, CrCommitment]:
    result = commit(spec, run_job(spec, NumpyBackend()).outputs)
    seed = derive_challenge_seed(result.root, verifier, BEACON)
    verdict = verify_result(spec, result.outputs, result.root, seed)
    assert verdict.attestation is not None and verdict.cr is not None
    return result, verdict.attestation, verdict.cr


def _dispute(
    result: Committed, cr: CrCommitment, tensor: int, round_index: int, row: int
) -> AttestationDispute:
    cols = result.outputs[tensor].shape[1]
    row_opening = result.commitment.open_entries(tensor, row * cols, cols)
    return AttestationDispute(cr.open_entry(tensor, round_index, row), result.commitment.root, row_opening)


def _check(
    header: JobHeader, result: Committed, attestation: Attestation, dispute: AttestationDispute
) -> None:
    onchain.check_attestation_dispute(header, result.root, VERIFIER, BEACON, 3, attestation, dispute)


@pytest.mark.parametrize("spec", [GEMM, BATCHED, MLP], ids=["gemm", "batched", "mlp"])
def test_an_honest_attestation_survives_every_dispute(spec: JobSpec) -> None:
    result, attestation, cr = _attest(spec)
    header = job_header(spec)
    for tensor, step in enumerate(layout(header)):
        if isinstance(step, GemmLayout):
            for round_index in range(3):
                for row in {0, step.shape[0] - 1}:
                    with pytest.raises(InvalidDispute, match="is correct"):
                        _check(header, result, attestation, _dispute(result, cr, tensor, round_index, row))


def _lazy_commitment(spec: JobSpec, result: Committed, wrong_at: tuple[int, int, int] | None) -> CrCommitment:
    """C r as a member would commit it: exact (from its own vectors) except at one entry."""
    steps = layout(job_header(spec))
    seed = derive_challenge_seed(result.root, VERIFIER, BEACON)
    vectors = {}
    for tensor, step in enumerate(steps):
        if isinstance(step, GemmLayout):
            c_r = result.outputs[tensor].astype(np.int64) @ challenge_vectors(seed, tensor, step.shape[1], 3)
            vectors[tensor] = c_r.T.tolist()
    if wrong_at is not None:
        tensor, round_index, row = wrong_at
        vectors[tensor][round_index][row] += 1
    return commit_cr(steps, vectors)


def test_the_pure_integer_c_r_commitment_equals_the_verifiers() -> None:
    result, attestation, _ = _attest(MLP)
    assert _lazy_commitment(MLP, result, None).root == attestation.cr_root


def test_a_wrong_attested_entry_is_proven_wrong() -> None:
    result, _, _ = _attest(MLP)
    header = job_header(MLP)
    cr = _lazy_commitment(MLP, result, (2, 1, 4))
    attestation = Attestation("valid", 3, result.root, cr.root)
    _check(header, result, attestation, _dispute(result, cr, 2, 1, 4))  # proven: returns
    with pytest.raises(InvalidDispute, match="is correct"):
        _check(header, result, attestation, _dispute(result, cr, 2, 1, 3))


def test_a_copied_attestation_is_proven_wrong() -> None:
    """Another member's C r is for its own vectors: any entry shows the copy wrong."""
    result, copied, cr = _attest(GEMM, verifier=b"someone else")
    _check(job_header(GEMM), result, copied, _dispute(result, cr, 0, 0, 0))


def test_invalid_disputes() -> None:
    result, attestation, cr = _attest(MLP)
    header = job_header(MLP)
    dispute = _dispute(result, cr, 2, 0, 1)
    row = dispute.row_opening
    tampered_row = dataclasses.replace(row, data=bytes([row.data[0] ^ 1]) + row.data[1:])
    cases = {
        "another result root": (dataclasses.replace(attestation, result_root=bytes(32)), dispute),
        "only a valid verdict over 3 rounds": (dataclasses.replace(attestation, verdict="fraud"), dispute),
        "only a valid verdict": (dataclasses.replace(attestation, rounds=4), dispute),
        "output 1 is not a GEMM output": (
            attestation,
            dataclasses.replace(dispute, entry=CrOpening(1, 0, 1, 0, dispute.entry.opening)),
        ),
        "not the one bound into the result root": (
            attestation,
            dataclasses.replace(dispute, output_root=bytes(32)),
        ),
        "the attested entry: the opened C r entry is": (
            attestation,
            dataclasses.replace(
                dispute, entry=dataclasses.replace(dispute.entry, value=dispute.entry.value + 1)
            ),
        ),
        "row 1 of output 2: the Merkle proof of leaf": (
            attestation,
            dataclasses.replace(dispute, row_opening=tampered_row),
        ),
    }
    for message, (attested, disputed) in cases.items():
        with pytest.raises(InvalidDispute, match=message):
            _check(header, result, attested, disputed)
    assert result_root(spec_digest(MLP), result.commitment.root) == result.root


# -- row disputes and their answers --------------------------------------------------------------


def _row_dispute(result: Committed, tensor: int, round_index: int, row: int) -> RowDispute:
    cols = result.outputs[tensor].shape[1]
    opening = result.commitment.open_entries(tensor, row * cols, cols)
    return RowDispute(tensor, round_index, row, result.commitment.root, opening)


@pytest.mark.parametrize("spec", [GEMM, BATCHED, MLP], ids=["gemm", "batched", "mlp"])
def test_the_correct_entry_of_a_row_dispute_is_the_numpy_verifiers(spec: JobSpec) -> None:
    """From the row of C alone, the chain computes the entry the NumPy verifier committed to,
    and an honest member's answer opens exactly that value."""
    result, attestation, cr = _attest(spec)
    header = job_header(spec)
    for tensor, step in enumerate(layout(header)):
        if isinstance(step, GemmLayout):
            for round_index in range(3):
                for row in {0, step.shape[0] - 1}:
                    dispute = _row_dispute(result, tensor, round_index, row)
                    expected = onchain.correct_cr_entry(
                        header, result.root, VERIFIER, BEACON, 3, attestation, dispute
                    )
                    answer = cr.open_entry(tensor, round_index, row)
                    assert expected == answer.value
                    disputed = (tensor, round_index, row)
                    assert (
                        onchain.answered_cr_entry(header, 3, attestation.cr_root, disputed, answer)
                        == expected
                    )


def test_a_lazy_members_answer_differs_from_the_correct_entry() -> None:
    result, _, _ = _attest(MLP)
    header = job_header(MLP)
    cr = _lazy_commitment(MLP, result, (2, 1, 4))
    attestation = Attestation("valid", 3, result.root, cr.root)
    expected = onchain.correct_cr_entry(
        header, result.root, VERIFIER, BEACON, 3, attestation, _row_dispute(result, 2, 1, 4)
    )
    answered = onchain.answered_cr_entry(header, 3, cr.root, (2, 1, 4), cr.open_entry(2, 1, 4))
    assert answered == expected + 1


def test_invalid_row_disputes_and_answers() -> None:
    result, attestation, cr = _attest(MLP)
    header = job_header(MLP)
    dispute = _row_dispute(result, 2, 0, 1)
    row = dispute.row_opening
    tampered_row = dataclasses.replace(row, data=bytes([row.data[0] ^ 1]) + row.data[1:])
    cases = {
        "another result root": (dataclasses.replace(attestation, result_root=bytes(32)), dispute),
        "only a valid verdict over 3 rounds": (dataclasses.replace(attestation, verdict="fraud"), dispute),
        "output 1 is not a GEMM output": (attestation, dataclasses.replace(dispute, tensor=1)),
        "not the one bound into the result root": (
            attestation,
            dataclasses.replace(dispute, output_root=bytes(32)),
        ),
        r"entry \(3, 1\) is outside C r of output 2": (attestation, dataclasses.replace(dispute, round=3)),
        "row 1 of output 2: the Merkle proof of leaf": (
            attestation,
            dataclasses.replace(dispute, row_opening=tampered_row),
        ),
    }
    for message, (attested, disputed) in cases.items():
        with pytest.raises(InvalidDispute, match=message):
            onchain.correct_cr_entry(header, result.root, VERIFIER, BEACON, 3, attested, disputed)
    answer = cr.open_entry(2, 0, 1)
    with pytest.raises(InvalidDispute, match=r"not the disputed \(0, 2\) of output 2"):
        onchain.answered_cr_entry(header, 3, cr.root, (2, 0, 2), answer)
    with pytest.raises(InvalidDispute, match="the answered entry: the opened C r entry is"):
        onchain.answered_cr_entry(
            header, 3, cr.root, (2, 0, 1), dataclasses.replace(answer, value=answer.value + 1)
        )
    with pytest.raises(InvalidDispute, match="the answered entry"):
        onchain.answered_cr_entry(header, 3, bytes(32), (2, 0, 1), answer)


def test_disputes_outside_the_job_say_why() -> None:
    result, attestation, _ = _attest(MLP)
    header = job_header(MLP)
    outputs = len(layout(header))
    dispute = _row_dispute(result, 2, 0, 1)
    rows = result.outputs[2].shape[0]
    cases = {
        r"^the attestation is for another result root$": (
            dataclasses.replace(attestation, result_root=bytes(32)),
            dispute,
        ),
        rf"^output {outputs} is not a GEMM output of the job$": (
            attestation,
            dataclasses.replace(dispute, tensor=outputs),
        ),
        rf"^entry \(0, {rows}\) is outside C r of output 2 \(3 x {rows}\)$": (
            attestation,
            dataclasses.replace(dispute, row=rows),
        ),
    }
    for message, (attested, disputed) in cases.items():
        with pytest.raises(InvalidDispute, match=message):
            onchain.correct_cr_entry(header, result.root, VERIFIER, BEACON, 3, attested, disputed)
