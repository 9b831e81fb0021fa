"""``depind gpu`` through click's CliRunner: info, bench, run, verify, check-proof, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from gpu.backend import select_backend_name
from gpu.challenge import derive_challenge_seed
from gpu.commit import commit_outputs, result_root
from gpu.jobs import GemmSpec, JobSpec, encode_spec, spec_digest
from gpu.proofs import decode_attestation, decode_fraud_proof
from gpu.results import RESULT_FILE
from node.cli.main import cli
from tests.gpu.jobs_helpers import MLP
from vm.crypto import VALOPER_HRP, encode_address

GEMM_SPEC = GemmSpec(m=40, k=64, n=24, bound=100, seed=5)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"DEPIND_GPU_BACKEND": None})


def _spec_file(tmp_path: Path, spec: JobSpec = GEMM_SPEC) -> Path:
    path = tmp_path / "spec.json"
    path.write_bytes(encode_spec(spec))
    return path


def _invoke(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(cli, ["gpu", *map(str, args)])


def _assert_one_line_error(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_info(runner: CliRunner) -> None:
    result = _invoke(runner, "info", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"hardware", "backend"}
    assert data["backend"]["name"] in ("numpy", "cupy")
    text = _invoke(runner, "info")
    assert "backend: " in text.stdout


def test_bench_shows_progress_on_stderr(runner: CliRunner) -> None:
    result = _invoke(runner, "bench", "--size", "64", "--repeat", "2", "--backend", "numpy", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "numpy" and data["size"] == 64 and data["best_gflops"] > 0
    assert "GEMM 64x64x64 on numpy" in result.stderr


@pytest.mark.parametrize("fmt", ["npy", "raw"])
def test_run_then_verify_valid(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    spec_file, out = _spec_file(tmp_path, MLP), tmp_path / "out"
    ran = _invoke(runner, "run", spec_file, "--out", out, "--format", fmt, "--backend", "numpy", "-o", "json")
    assert ran.exit_code == 0, ran.output
    record = json.loads(ran.stdout)
    assert record["spec_digest"] == spec_digest(MLP).hex()
    assert record["energy_mj"] is None and record["backend"] == "numpy"
    beacon = "ab" * 32
    verified = _invoke(runner, "verify", spec_file, out, "--verifier", "0102", "--beacon", beacon)
    assert verified.exit_code == 0, verified.output
    verdict = json.loads(verified.stdout)
    assert verdict["verdict"] == "valid" and verdict["fraud_proof"] is None
    assert verdict["result_root"] == record["result_root"] and verdict["rounds"] == 3
    root = bytes.fromhex(record["result_root"])
    seed = derive_challenge_seed(root, b"\x01\x02", bytes.fromhex(beacon))
    assert (verdict["verifier"], verdict["beacon"], verdict["challenge_seed"]) == ("0102", beacon, seed.hex())
    attestation = decode_attestation(bytes.fromhex(verdict["attestation"]["encoded"]))
    assert attestation.verdict == "valid" and attestation.result_root == root
    assert attestation.cr_root.hex() == verdict["attestation"]["cr_root"]
    again = _invoke(runner, "verify", spec_file, out, "--verifier", "0103", "--beacon", beacon)
    assert json.loads(again.stdout)["attestation"]["cr_root"] != verdict["attestation"]["cr_root"]
    operator = bytes(range(20))
    for address in (encode_address(operator), encode_address(operator, VALOPER_HRP)):
        named = _invoke(runner, "verify", spec_file, out, "--verifier", address, "--beacon", beacon)
        assert json.loads(named.stdout)["verifier"] == operator.hex(), named.output


def test_run_text_output(runner: CliRunner, tmp_path: Path) -> None:
    result = _invoke(runner, "run", _spec_file(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "result root: " in result.stdout and "energy unknown" in result.stdout


def _commit_fraud(out: Path, spec: JobSpec) -> str:
    """Play a cheating provider: change an entry, then commit to the changed outputs."""
    record = json.loads((out / RESULT_FILE).read_text())
    outputs = [np.load(out / f"out{i}.npy") for i in range(len(record["shapes"]))]
    outputs[0][1, 2] += 1
    np.save(out / "out0.npy", outputs[0])
    commitment = commit_outputs(outputs)
    record["output_root"] = commitment.root.hex()
    record["result_root"] = result_root(spec_digest(spec), commitment.root).hex()
    (out / RESULT_FILE).write_text(json.dumps(record))
    return str(record["result_root"])


def test_verify_fraud_exits_1_with_a_proof_anyone_can_check(runner: CliRunner, tmp_path: Path) -> None:
    spec_file, out = _spec_file(tmp_path), tmp_path / "out"
    assert _invoke(runner, "run", spec_file, "--out", out).exit_code == 0
    root = _commit_fraud(out, GEMM_SPEC)
    binary = tmp_path / "proof.bin"
    verified = _invoke(runner, "verify", spec_file, out, "--proof-out", binary)
    assert verified.exit_code == 1
    verdict = json.loads(verified.stdout)
    assert verdict["verdict"] == "fraud"
    proof = verdict["fraud_proof"]
    assert (proof["tensor"], proof["row"], proof["col"]) == (0, 1, 2)
    assert binary.read_bytes().hex() == proof["encoded"] and proof["bytes"] == len(binary.read_bytes())
    assert decode_fraud_proof(binary.read_bytes()).claimed == proof["claimed"]
    proof_file = tmp_path / "verdict.json"
    proof_file.write_text(verified.stdout)
    checked = _invoke(runner, "check-proof", spec_file, proof_file, "--result-root", root)
    assert checked.exit_code == 0, checked.output
    assert "valid fraud proof: output 0 entry (1, 2) is wrong" in checked.stdout
    assert _invoke(runner, "check-proof", spec_file, binary, "--result-root", root).exit_code == 0
    honest_root = "00" * 32
    rejected = _invoke(runner, "check-proof", spec_file, proof_file, "--result-root", honest_root)
    _assert_one_line_error(rejected, "the proof's output_root is not the one bound into the result root")


def test_verify_tampered_files_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    spec_file, out = _spec_file(tmp_path), tmp_path / "out"
    assert _invoke(runner, "run", spec_file, "--out", out).exit_code == 0
    output = np.load(out / "out0.npy")
    output[0, 0] += 1
    np.save(out / "out0.npy", output)
    result = _invoke(runner, "verify", spec_file, out)
    _assert_one_line_error(result, f"{out}: the outputs do not hash to the committed result root")


def test_invalid_spec_file(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "gemm", "m": 2, "k": 3000, "n": 2, "bound": 40}')
    result = _invoke(runner, "run", bad, "--out", tmp_path / "out")
    _assert_one_line_error(
        result, f"{bad}: invalid job spec: k * bound^2 = 3000 * 40^2 = 4800000 exceeds 2^22"
    )
    bad.write_text("not json")
    _assert_one_line_error(
        _invoke(runner, "run", bad, "--out", tmp_path / "out"), f"{bad}: invalid job spec: "
    )


def test_invalid_result_folder(runner: CliRunner, tmp_path: Path) -> None:
    spec_file = _spec_file(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    _assert_one_line_error(_invoke(runner, "verify", spec_file, empty), f"{empty / RESULT_FILE} is missing")
    out = tmp_path / "out"
    assert _invoke(runner, "run", spec_file, "--out", out).exit_code == 0
    (out / "out0.npy").write_bytes(b"garbage")
    _assert_one_line_error(_invoke(runner, "verify", spec_file, out), f"{out / 'out0.npy'} is not a readable")


@pytest.mark.skipif(select_backend_name(None, {}) == "cupy", reason="a CUDA device is usable here")
def test_invalid_forced_cupy_without_a_device(runner: CliRunner, tmp_path: Path) -> None:
    args = ["gpu", "run", str(_spec_file(tmp_path)), "--out", str(tmp_path / "out")]
    result = runner.invoke(cli, args, env={"DEPIND_GPU_BACKEND": "cupy"})
    _assert_one_line_error(result, "the cupy backend needs")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--beacon", "zz", "not hexadecimal"),
        ("--beacon", "00" * 31, "must be 32 bytes, got 31"),
        ("--verifier", "00" * 65, "must be 0 to 64 bytes, got 65"),
        ("--verifier", "depin1qqqqqqqq", "not bech32 or bad checksum"),
        ("--rounds", "1", "1 is not in the range 3<=x<=16"),
        ("--rounds", "2", "2 is not in the range 3<=x<=16"),
        ("--challenge-seed", "00ff", "No such option '--challenge-seed'"),  # seeds are derived, never chosen
    ],
)
def test_invalid_challenge_options(
    runner: CliRunner, tmp_path: Path, option: str, value: str, message: str
) -> None:
    spec_file, out = _spec_file(tmp_path), tmp_path / "out"
    assert _invoke(runner, "run", spec_file, "--out", out).exit_code == 0
    result = _invoke(runner, "verify", spec_file, out, option, value)
    assert result.exit_code == 2
    assert message in result.stderr


def test_invalid_proof_file(runner: CliRunner, tmp_path: Path) -> None:
    spec_file = _spec_file(tmp_path)
    bad = tmp_path / "proof.json"
    bad.write_text('{"verdict": "valid", "fraud_proof": null}')
    result = _invoke(runner, "check-proof", spec_file, bad, "--result-root", "00" * 32)
    _assert_one_line_error(result, f"{bad} is neither a fraud proof's bytes nor")
    bad.write_bytes(b"\x01\x02\x00")
    result = _invoke(runner, "check-proof", spec_file, bad, "--result-root", "00" * 32)
    _assert_one_line_error(result, "malformed fraud proof: truncated at byte 2")
