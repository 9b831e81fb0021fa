"""A member's check of fetched outputs: honest results give a valid attestation backed by C r,
wrong ones a fraud proof the chain accepts; from a provider's server to the verdict."""

from __future__ import annotations

import hashlib
import tracemalloc
from functools import partial
from pathlib import Path

import pytest
import trio

from gpu.attestation import check_cr_opening
from gpu.challenge import derive_challenge_seed
from gpu.commit import canonical_bytes
from gpu.jobs import GemmSpec, JobSpec, job_header
from gpu.onchain import check_fraud_proof
from gpu.proofs import decode_attestation, decode_fraud_proof
from gpu.run import JobResult
from node.outputs.check import CrStoreError, OutputsMismatch, check_outputs, load_cr, save_cr
from node.outputs.fetch import FetchLimits, fetch_outputs
from node.outputs.layout import expected_outputs
from node.outputs.server import OutputLimits, OutputStore
from tests.node.outputs.support import (
    GEMM,
    MLP,
    canonical,
    dishonest_result,
    flip_byte,
    honest_result,
    start_server,
    write_folder,
)

VERIFIER = bytes.fromhex("5a" * 20)
BEACON = hashlib.sha256(b"beacon").digest()
ROUNDS = 3
SPEC = GemmSpec(m=64, k=48, n=40, bound=30, seed=21)


def outputs_file(path: Path, result: JobResult) -> Path:
    path.write_bytes(canonical(result))
    return path


async def served_and_fetched(tmp_path: Path, nursery: trio.Nursery, spec: JobSpec, result: JobResult) -> Path:
    """The provider publishes and serves its folder; the verifier fetches the outputs."""
    store = OutputStore(tmp_path / "store")
    store.publish(write_folder(tmp_path / "result", spec, result, "npy"))
    url = await start_server(nursery, store, OutputLimits())
    expected = expected_outputs(job_header(spec), result.result_root)
    fetch = partial(fetch_outputs, url, expected, tmp_path / "work", FetchLimits(range_bytes=4096))
    return await trio.to_thread.run_sync(fetch)


@pytest.mark.parametrize("spec", [SPEC, MLP], ids=["gemm", "mlp"])
async def test_honest_result_gets_a_valid_attestation(
    tmp_path: Path, nursery: trio.Nursery, spec: JobSpec
) -> None:
    result = honest_result(spec)
    path = await served_and_fetched(tmp_path, nursery, spec, result)
    checked = check_outputs(spec, path, result.result_root, VERIFIER, BEACON, ROUNDS)
    assert checked.verdict == "valid" and checked.fraud_proof is None and checked.cr is not None
    assert checked.challenge_seed == derive_challenge_seed(result.result_root, VERIFIER, BEACON)
    attestation = decode_attestation(checked.encoded_attestation)
    assert (attestation.verdict, attestation.rounds) == ("valid", ROUNDS)
    assert attestation.result_root == result.result_root
    assert attestation.cr_root == checked.cr.root
    # Any entry of C r opens against the attested root, as a dispute needs.
    tensor = checked.cr.tensors[-1]
    entry = checked.cr.open_entry(tensor, ROUNDS - 1, 5)
    assert check_cr_opening(job_header(spec), ROUNDS, attestation.cr_root, entry) == entry.value


def test_each_member_attests_to_its_own_c_r(tmp_path: Path) -> None:
    result = honest_result(SPEC)
    path = outputs_file(tmp_path / "outputs", result)
    one = check_outputs(SPEC, path, result.result_root, VERIFIER, BEACON, ROUNDS)
    other = check_outputs(SPEC, path, result.result_root, b"other", BEACON, ROUNDS)
    assert one.attestation.cr_root != other.attestation.cr_root
    assert one.challenge_seed != other.challenge_seed


@pytest.mark.parametrize(
    ("spec", "entry"), [(SPEC, (0, 63, 39)), (MLP, (1, 20, 30))], ids=["gemm", "mlp-activation"]
)
async def test_wrong_result_gets_a_fraud_proof_the_chain_accepts(
    tmp_path: Path, nursery: trio.Nursery, spec: JobSpec, entry: tuple[int, int, int]
) -> None:
    result = dishonest_result(spec, *entry)  # committed, so the fetch accepts it
    path = await served_and_fetched(tmp_path, nursery, spec, result)
    checked = check_outputs(spec, path, result.result_root, VERIFIER, BEACON, ROUNDS)
    assert checked.verdict == "fraud" and checked.cr is None and checked.fraud_proof is not None
    attestation = decode_attestation(checked.encoded_attestation)
    assert (attestation.verdict, attestation.cr_root) == ("fraud", bytes(32))
    proof = decode_fraud_proof(checked.fraud_proof)
    assert (proof.tensor, proof.row, proof.col) == entry
    check_fraud_proof(job_header(spec), result.result_root, proof)  # returns only if it proves fraud


def test_invalid_check_of_other_bytes(tmp_path: Path) -> None:
    result = honest_result(SPEC)
    path = outputs_file(tmp_path / "outputs", result)
    flip_byte(path, 100)
    with pytest.raises(OutputsMismatch, match="do not hash to the committed result root"):
        check_outputs(SPEC, path, result.result_root, VERIFIER, BEACON, ROUNDS)
    path.write_bytes(canonical(result)[:-4])
    with pytest.raises(OutputsMismatch, match="the job's outputs are 10240"):
        check_outputs(SPEC, path, result.result_root, VERIFIER, BEACON, ROUNDS)


def test_invalid_rounds_and_beacon(tmp_path: Path) -> None:
    result = honest_result(GEMM)
    path = outputs_file(tmp_path / "outputs", result)
    with pytest.raises(ValueError, match="rounds must be 3 to 16"):
        check_outputs(GEMM, path, result.result_root, VERIFIER, BEACON, 2)
    with pytest.raises(ValueError, match="beacon value is 32 bytes"):
        check_outputs(GEMM, path, result.result_root, VERIFIER, BEACON[:8], ROUNDS)


def test_saved_c_r_answers_after_a_restart(tmp_path: Path) -> None:
    result = honest_result(MLP)
    checked = check_outputs(
        MLP, outputs_file(tmp_path / "outputs", result), result.result_root, VERIFIER, BEACON, 3
    )
    assert checked.cr is not None
    save_cr(tmp_path / "cr", checked.cr)
    loaded = load_cr(tmp_path / "cr", checked.attestation.cr_root)
    assert loaded.tensors == checked.cr.tensors and loaded.root == checked.cr.root
    assert loaded.open_entry(2, 1, 7) == checked.cr.open_entry(2, 1, 7)
    with pytest.raises(CrStoreError, match="not " + bytes(32).hex()):
        load_cr(tmp_path / "cr", bytes(32))
    flip_byte(tmp_path / "cr" / "cr.bin", 8)
    with pytest.raises(CrStoreError, match="holds C r with root"):
        load_cr(tmp_path / "cr", checked.attestation.cr_root)
    with pytest.raises(CrStoreError, match="not a saved C r commitment"):
        load_cr(tmp_path / "missing", checked.attestation.cr_root)


def test_check_reads_the_outputs_in_place(tmp_path: Path) -> None:
    """Memory allocated while checking stays well under the outputs' size: the file is mapped,
    not read (tracemalloc counts NumPy's allocations, not the mapped pages)."""
    spec = GemmSpec(m=512, k=16, n=512, bound=8, seed=3)  # 1 MiB of outputs
    result = honest_result(spec)
    path = tmp_path / "outputs"
    path.write_bytes(canonical_bytes(result.outputs[0]))
    check_outputs(spec, path, result.result_root, VERIFIER, BEACON, ROUNDS, workers=2)  # compiles
    tracemalloc.start()
    try:
        checked = check_outputs(spec, path, result.result_root, VERIFIER, BEACON, ROUNDS, workers=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert checked.verdict == "valid"
    assert peak < path.stat().st_size // 2, peak
