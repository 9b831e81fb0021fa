"""The compute commands without a node: the files they read (job specs, result folders,
attestations, fraud proofs, disputes; binary or `depind gpu verify` output), flags that do
not fit together (one ``Error:`` line, exit 2, before any key or node is touched), every
command's help, and the text views of the compute module's answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cosmpy.protos.cosmos.base.abci.v1beta1.abci_pb2 import TxMsgData

from gpu.jobs import encode_spec
from gpu.proofs import Attestation, encode_attestation
from gpu.results import ResultRecord
from node.cli import compute_query, compute_tx, job_cmd
from node.cli.common import CLIError
from node.cli.main import cli
from node.keys.keyring import Keyring
from protos.depind.compute.v1 import tx_pb2
from tests.node.compute_chain import JOB, compute_app
from tests.vm.compute.helpers import corrupted, fraud_proof, header_bytes, honest
from tests.vm.helpers import ALICE, CAROL, query_json

WORK = honest(JOB)
WRONG = corrupted(WORK, 0, 1, 2)
VALID = encode_attestation(Attestation("valid", 3, WORK.result_root, bytes(32)))
FRAUD = encode_attestation(Attestation("fraud", 3, WRONG.result_root, bytes(32)))
PROOF = fraud_proof(WRONG, 0, 1, 2)
ROOT = WORK.output_root.hex()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A spec, a result folder, attestations and a fraud proof, and files that are none."""
    folder = tmp_path_factory.mktemp("compute")
    written = {
        "spec": encode_spec(JOB),
        "bad_spec": b'{"kind": "gemm", "m": 0}',
        "valid": VALID,
        "fraud": FRAUD,
        "proof": PROOF,
        "verified": json.dumps({"attestation": {"encoded": FRAUD.hex()}}).encode(),
        "truncated": PROOF[:20],
        "junk": b"not an encoding",
    }
    for name, data in written.items():
        (folder / name).write_bytes(data)
    (folder / "empty_dir").mkdir()
    return {name: str(folder / name) for name in [*written, "empty_dir"]}


def test_the_header_is_the_specs_in_canonical_messagepack(files: dict[str, str]) -> None:
    assert compute_tx.read_header(Path(files["spec"])) == header_bytes(JOB)


def test_encodings_are_read_raw_or_from_verify_output(files: dict[str, str]) -> None:
    assert compute_tx.read_attestation(Path(files["valid"])) == VALID
    assert compute_tx.read_attestation(Path(files["verified"])) == FRAUD
    assert compute_tx.read_fraud_proof(Path(files["proof"])) == PROOF
    with pytest.raises(ValueError, match="neither a fraud proof's bytes nor `depind gpu verify` output"):
        compute_tx.read_fraud_proof(Path(files["verified"]))


def test_parse_digest() -> None:
    assert compute_tx.parse_digest(ROOT.upper()) == WORK.output_root
    for bad, says in (("xyz", "not hexadecimal"), ("00" * 31, "must be 32 bytes, got 31")):
        with pytest.raises(ValueError, match=says):
            compute_tx.parse_digest(bad)


class FakeClient:
    """A node that knows one job, by its spec digest."""

    def __init__(self, spec_digest: str) -> None:
        self.spec_digest = spec_digest

    def call(self, method: str, **params: Any) -> Any:
        assert (method, params) == ("job", {"id": 7})
        return {"job": {"spec_digest": self.spec_digest}}


def test_a_result_folder_gives_the_figures_and_must_be_of_the_jobs_spec() -> None:
    record = ResultRecord(
        kind="gemm",
        spec_digest="ab" * 32,
        output_root=ROOT,
        result_root=WORK.result_root.hex(),
        shapes=[(32, 32)],
        format="npy",
        backend="numpy",
        compute_s=0.25,
        energy_mj=None,
    )
    assert compute_tx.result_figures(record, None, None, None) == (WORK.output_root, 0, False, 250)
    assert compute_tx.result_figures(None, WORK.output_root, 9, 0) == (WORK.output_root, 0, True, 9)
    compute_tx.check_result_spec(FakeClient("ab" * 32), 7, record, "out")  # type: ignore[arg-type]
    with pytest.raises(CLIError, match="out holds a result for spec abababababababab…, job 7 is spec cdcd"):
        compute_tx.check_result_spec(FakeClient("cd" * 32), 7, record, "out")  # type: ignore[arg-type]


def tx_cases() -> list[tuple[list[str], str]]:
    return [
        (
            ["submit-job", "{nothing}", "--lease", "1", "--deadline-blocks", "5", "--price", "1"],
            "'SPEC_FILE'",
        ),
        (
            ["submit-job", "{bad_spec}", "--lease", "1", "--deadline-blocks", "5", "--price", "1"],
            "invalid job spec",
        ),
        (["submit-job", "{spec}", "--deadline-blocks", "5", "--price", "1"], "Missing option '--lease'"),
        (
            ["submit-job", "{spec}", "--lease", "1", "--deadline-blocks", "0", "--price", "1"],
            "'--deadline-blocks'",
        ),
        (["submit-job", "{spec}", "--lease", "1", "--deadline-blocks", "5", "--price", "0"], "'--price'"),
        (["submit-result", "1"], "give --result DIR, or --output-root with --compute-ms"),
        (["submit-result", "1", "--output-root", "zz", "--compute-ms", "1"], "not hexadecimal"),
        (["submit-result", "1", "--output-root", "00" * 31, "--compute-ms", "1"], "must be 32 bytes"),
        (
            ["submit-result", "1", "--output-root", ROOT, "--energy-mj", "5"],
            "--output-root needs --compute-ms",
        ),
        (["submit-result", "1", "--output-root", ROOT, "--compute-ms", "-1"], "'--compute-ms'"),
        (["submit-result", "1", "--result", "{empty_dir}", "--compute-ms", "1"], "result.json is missing"),
        (["submit-result", "1", "--result", "{spec}"], "'--result'"),
        (["submit-result", "0", "--output-root", ROOT, "--compute-ms", "1"], "'JOB_ID'"),
        (["attest", "1", "{junk}"], "neither an attestation's bytes nor"),
        (["attest", "1", "{proof}"], "neither an attestation's bytes nor"),
        (
            ["attest", "1", "{valid}", "--fraud-proof", "{proof}"],
            "a valid attestation carries no --fraud-proof",
        ),
        (["attest", "1", "{fraud}"], "a fraud attestation needs --fraud-proof"),
        (["attest", "1", "{fraud}", "--fraud-proof", "{truncated}"], "malformed fraud proof: truncated"),
        (["fraud-proof", "1", "{valid}"], "neither a fraud proof's bytes nor"),
        (["fraud-proof", "x", "{proof}"], "'JOB_ID'"),
        (["dispute-attestation", "1", "depin1x", "{junk}"], "'MEMBER'"),
        (["dispute-attestation", "1", ALICE.address, "{junk}"], "malformed attestation dispute: kind byte"),
        (["dispute-attestation", "1", ALICE.address], "Missing argument 'DISPUTE_FILE'"),
        (["challenge-availability", "0"], "'JOB_ID'"),
        (["challenge-availability", "1"], "Missing option '--from'"),
        (["post-chunks", "1"], "Missing option '--result'"),
        (["post-chunks", "1", "--result", "{empty_dir}"], "result.json is missing"),
        (["post-chunks", "1", "--result", "{spec}"], "'--result'"),
        (["fraud-proof", "1", "{proof}"], "Missing option '--from'"),
    ]


@pytest.mark.parametrize(("args", "says"), tx_cases())
def test_invalid_tx_flags(runner: CliRunner, files: dict[str, str], args: list[str], says: str) -> None:
    filled = [arg.format(nothing="no-such-file", **files) for arg in args]
    from_key = [] if "--from" in says else ["--from", "renter"]
    result = runner.invoke(cli, ["tx", "compute", *filled, *from_key, "--keyring-backend", "test"])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert says in line and "Traceback" not in result.output, result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["jobs", "--provider", "depin1x"], "'--provider'"),
        (["jobs", "--state", "done"], "'--state'"),
        (["jobs", "--lease", "0"], "'--lease'"),
        (["jobs", "--limit", "101"], "'--limit'"),
        (["job", "0"], "'JOB_ID'"),
        (["verdict"], "Missing argument 'JOB_ID'"),
        (["provider-stats", "x"], "'ADDRESS'"),
    ],
)
def test_invalid_query_flags(runner: CliRunner, args: list[str], says: str) -> None:
    result = runner.invoke(cli, ["query", "compute", *args])
    assert result.exit_code == 2 and says in result.stderr, result.output


def test_help_of_every_compute_command(runner: CliRunner) -> None:
    groups = {"tx": compute_tx.compute_tx, "query": compute_query.compute_query}
    for group, commands in groups.items():
        for name in ["", *commands.commands]:
            shown = runner.invoke(cli, [group, "compute", *([name] if name else []), "--help"])
            assert shown.exit_code == 0 and "Usage:" in shown.output, (group, name, shown.output)


def test_text_views_of_real_answers() -> None:
    app = compute_app()
    jobs = compute_query.jobs_text(query_json(app, "/compute/jobs", {"limit": 2}))  # type: ignore[arg-type]
    header, first, second, more = jobs.splitlines()
    assert header.split() == [
        "ID",
        "STATE",
        "KIND",
        "LEASE",
        "WORK-UNITS",
        "PRICE",
        "STATUS",
        "PROVIDER",
        "REQUESTER",
    ]
    assert first.split()[:7] == ["1", "valid", "gemm", "1", "24576", "1000", "settled"]
    assert "verdict at height 50" in second and more == "more: --next-key 3"
    pending = compute_query.jobs_text(query_json(app, "/compute/jobs", {"state": "pending"}))  # type: ignore[arg-type]
    assert "result by height 108" in pending
    job = compute_query.job_text(query_json(app, "/compute/job", {"id": 1}))  # type: ignore[arg-type]
    assert "compute:     42 ms, energy 1.500 J" in job and "settled:     height 30" in job
    assert f"{CAROL.address} (3)" in job
    verdict = compute_query.verdict_text(query_json(app, "/compute/verdict", {"job_id": 1}))  # type: ignore[arg-type]
    assert "state:       valid (final)" in verdict and "valid power: 5 of 5" in verdict
    attestations = compute_query.attestations_text(
        query_json(app, "/compute/attestations", {"job_id": 1})  # type: ignore[arg-type]
    )
    assert attestations.splitlines()[0].split() == ["MEMBER", "VERDICT", "HEIGHT", "PUNISHED", "DISPUTED"]
    assert compute_query.attestations_text({"attestations": []}) == "no attestations"
    stats = query_json(app, "/compute/provider_stats", {"provider": ALICE.address})
    assert "energy:        1.500 J over 1 measured jobs" in compute_query.stats_text(stats)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["{nothing}", "--lease", "1", "--price", "1"], "'SPEC_FILE'"),
        (["{bad_spec}", "--lease", "1", "--price", "1"], "invalid job spec"),
        (["{spec}", "--price", "1"], "Missing option '--lease'"),
        (["{spec}", "--lease", "1"], "Missing option '--price'"),
        (["{spec}", "--lease", "1", "--price", "1", "--verdict-timeout", "0"], "'--verdict-timeout'"),
        (["{spec}", "--lease", "1", "--price", "1", "--out", "{spec}"], "'--out'"),
    ],
)
def test_invalid_job_run_flags(runner: CliRunner, files: dict[str, str], args: list[str], says: str) -> None:
    filled = [arg.format(nothing="no-such-file", **files) for arg in args]
    result = runner.invoke(cli, ["job", "run", *filled, "--from", "renter", "--keyring-backend", "test"])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert says in line and "Traceback" not in result.output, result.output


def test_job_run_without_a_node_is_one_line(runner: CliRunner, files: dict[str, str], tmp_path: Path) -> None:
    Keyring(tmp_path, backend="test").add("renter")
    args = ["job", "run", files["spec"], "--lease", "1", "--price", "1", "--from", "renter"]
    args += ["--home", str(tmp_path), "--keyring-backend", "test", "--node", "http://127.0.0.1:9", "--yes"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "127.0.0.1:9" in line and "Traceback" not in result.output, result.output


def test_submitted_job_id_is_read_from_the_result_data() -> None:
    packed = TxMsgData()
    packed.msg_responses.add().Pack(tx_pb2.MsgSubmitJobResponse(job_id=42))
    assert job_cmd.submitted_job_id(packed.SerializeToString().hex()) == 42
