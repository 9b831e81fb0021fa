"""``depind tx compute dispute-attestation`` with a row of C (built from the job's outputs) and
``depind tx compute answer-dispute`` (the entry opened from the member's saved C r), over the
chain of tests/node/compute_chain.py (job 2 verifying, its committee CAROL and DAVE): the bytes
they send are what the chain accepts, and bad files or flags are one ``Error:`` line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gpu.commit import canonical_bytes
from gpu.header import JobHeader, decode_header
from gpu.onchain import answered_cr_entry, correct_cr_entry
from gpu.proofs import Attestation, decode_cr_opening, decode_row_dispute
from node.cli import compute_tx
from node.cli.common import CLIError
from node.cli.main import cli
from node.outputs.check import save_cr
from tests.node.compute_chain import JOB, compute_app
from tests.vm.compute.helpers import corrupted, honest, member_cr, row_dispute_msg
from tests.vm.helpers import ALICE, DAVE, query_json, raw

WORK = honest(JOB)
JOB_ID = 2


@pytest.fixture(scope="module")
def job() -> Any:
    return query_json(compute_app(), "/compute/job", {"id": JOB_ID})["job"]  # type: ignore[index]


def outputs_of(tmp_path: Path, outputs: Any, name: str = "output.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(canonical_bytes(output) for output in outputs))
    return path


def test_a_row_dispute_is_built_from_the_outputs(job: Any, tmp_path: Path) -> None:
    dispute = decode_row_dispute(
        compute_tx.row_dispute_of(job, outputs_of(tmp_path, WORK.outputs), (0, 2, 9))
    )
    assert (dispute.tensor, dispute.round, dispute.row, dispute.output_root) == (0, 2, 9, WORK.output_root)
    committee = job["committee"]
    beacon, rounds = bytes.fromhex(committee["beacon"]), int(committee["rounds"])
    cr = member_cr(WORK, raw(DAVE), beacon, rounds)
    attestation = Attestation("valid", rounds, WORK.result_root, cr.root)
    expected = correct_cr_entry(
        job_header_of(job), WORK.result_root, raw(DAVE), beacon, rounds, attestation, dispute
    )
    assert expected == cr.open_entry(0, 2, 9).value


def job_header_of(job: Any) -> JobHeader:
    return decode_header(bytes.fromhex(job["header"]))


def test_invalid_row_dispute_outputs(job: Any, tmp_path: Path) -> None:
    wrong = corrupted(WORK, 0, 3, 3)
    cases: list[tuple[Path, tuple[int, int, int], str]] = [
        (outputs_of(tmp_path, wrong.outputs, "wrong.bin"), (0, 0, 0), "are not job 2's committed outputs"),
        (outputs_of(tmp_path, [WORK.outputs[0][:4]], "short.bin"), (0, 0, 0), "bytes; the job's outputs are"),
        (outputs_of(tmp_path, WORK.outputs), (1, 0, 0), "is no entry of C r"),
        (outputs_of(tmp_path, WORK.outputs), (0, 3, 0), "is no entry of C r"),
        (outputs_of(tmp_path, WORK.outputs), (0, 0, 32), "is no entry of C r"),
    ]
    for path, entry, says in cases:
        with pytest.raises(CLIError, match=says):
            compute_tx.row_dispute_of(job, path, entry)
    with pytest.raises(CLIError, match="no committee to dispute"):
        compute_tx.row_dispute_of({**job, "committee": None, "state": "committed"}, path, (0, 0, 0))


def test_an_answer_opens_the_disputed_entry_from_the_saved_c_r(job: Any, tmp_path: Path) -> None:
    committee = job["committee"]
    beacon, rounds = bytes.fromhex(committee["beacon"]), int(committee["rounds"])
    cr = member_cr(WORK, raw(DAVE), beacon, rounds)
    save_cr(tmp_path / "cr", cr)
    pending = {"tensor": 0, "round": 1, "row": 30}
    opened = decode_cr_opening(compute_tx.opened_cr_entry(tmp_path / "cr", cr.root.hex(), pending))
    value = answered_cr_entry(job_header_of(job), rounds, cr.root, (0, 1, 30), opened)
    assert value == cr.open_entry(0, 1, 30).value
    with pytest.raises(CLIError, match="holds C r with root"):
        compute_tx.opened_cr_entry(tmp_path / "cr", "00" * 32, pending)
    with pytest.raises(CLIError, match="outside C r"):
        compute_tx.opened_cr_entry(tmp_path / "cr", cr.root.hex(), {"tensor": 0, "round": 3, "row": 0})


def test_either_dispute_encoding_is_read(tmp_path: Path) -> None:
    row = row_dispute_msg(JOB_ID, WORK, DAVE, 0, 0, 0).dispute
    path = tmp_path / "row.bin"
    path.write_bytes(row)
    assert compute_tx.read_dispute(path) == row
    assert compute_tx.parse_entry("0, 2,9") == (0, 2, 9)
    for bad in ("0,2", "a,b,c", "0,-1,2"):
        with pytest.raises(ValueError, match="is not TENSOR,ROUND,ROW"):
            compute_tx.parse_entry(bad)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["dispute-attestation", "1", "{member}"],
            "Missing argument 'DISPUTE_FILE' (or --outputs with --entry",
        ),
        (["dispute-attestation", "1", "{member}", "--outputs", "{outputs}"], "or --outputs with --entry"),
        (["dispute-attestation", "1", "{member}", "--entry", "0,0,0"], "or --outputs with --entry"),
        (
            ["dispute-attestation", "1", "{member}", "{row}", "--outputs", "{outputs}", "--entry", "0,0,0"],
            "give one",
        ),
        (["dispute-attestation", "1", "{member}", "--outputs", "{outputs}", "--entry", "0,0"], "'--entry'"),
        (
            ["dispute-attestation", "1", "{member}", "--outputs", "{nothing}", "--entry", "0,0,0"],
            "'--outputs'",
        ),
        (["answer-dispute", "1"], "Missing option '--cr'"),
        (["answer-dispute", "1", "--cr", "{outputs}"], "'--cr'"),
        (["answer-dispute", "0", "--cr", "{folder}"], "'JOB_ID'"),
    ],
)
def test_invalid_dispute_flags(runner: CliRunner, tmp_path: Path, args: list[str], says: str) -> None:
    outputs = outputs_of(tmp_path, WORK.outputs)
    row = tmp_path / "row.bin"
    row.write_bytes(row_dispute_msg(JOB_ID, WORK, DAVE, 0, 0, 0).dispute)
    names = {"member": ALICE.address, "outputs": str(outputs), "row": str(row), "folder": str(tmp_path)}
    filled = [arg.format(nothing="no-such-file", **names) for arg in args]
    result = runner.invoke(cli, ["tx", "compute", *filled, "--from", "renter", "--keyring-backend", "test"])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert says in line and "Traceback" not in result.output, result.output
