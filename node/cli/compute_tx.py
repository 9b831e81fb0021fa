"""``depind tx compute <action>``: the proof-of-useful-work messages (docs/compute.md), signed
by the ``--from`` key.

Requesters submit jobs to run on their active leases (``submit-job``) and providers commit
the results (``submit-result``); committee members attest them (``attest``), and anyone
proves a result wrong (``fraud-proof``) or a member's valid attestation false
(``dispute-attestation``). A member or the requester challenges the availability of a
verifying job's outputs (``challenge-availability``); its provider answers with the sampled
chunks from its result folder (``post-chunks``).

Files are read as ``depind gpu`` writes them: a job spec as JSON (what goes on chain is its
header, gpu/jobs.py ``job_header``, in canonical MessagePack), a result folder
(gpu/results.py), and attestations, fraud proofs and disputes in their binary encodings
(gpu/proofs.py), the first two also inside ``depind gpu verify`` output. Each file is
checked as it is read, before any key or node is touched; the price's denom and a result
folder's spec are checked against the chain while the message is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import msgspec

from gpu.errors import GpuError, ResultFileError
from gpu.header import decode_header
from gpu.jobs import MAX_SPEC_BYTES, decode_spec, job_header
from gpu.proofs import (
    ATTESTATION_KIND,
    DISPUTE_KIND,
    FRAUD_PROOF_KIND,
    MAX_ENCODED_BYTES,
    decode_attestation,
    decode_dispute,
    decode_fraud_proof,
    encode_opening,
)
from gpu.results import ResultRecord, read_record
from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.common import CLIError, one_line
from node.cli.market_tx import AMOUNT, ID, ParsedType, from_option
from node.cli.params import ADDRESS, MAX_AMOUNT
from node.client import Client
from node.outputs.files import open_result_files
from node.worker_jobs import open_result_chunks
from vm.compute.msgs import (
    DIGEST_BYTES,
    MsgAttest,
    MsgChallengeAvailability,
    MsgDisputeAttestation,
    MsgPostChunks,
    MsgSubmitFraudProof,
    MsgSubmitJob,
    MsgSubmitResult,
    parse_header,
)
from vm.errors import InvalidTx
from vm.msg import Msg
from vm.types import Coin

MAX_PROOF_FILE_BYTES = 4 * MAX_ENCODED_BYTES  # the encoding as hex inside a verify document
MS_PER_S = 1_000


# -- files ----------------------------------------------------------------------------------------


def read_header(path: Path) -> bytes:
    """The canonical MessagePack of the header of the job spec in ``path``."""
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise ValueError(f"{size} bytes, over the {MAX_SPEC_BYTES}-byte limit for a job spec")
    header = msgspec.msgpack.encode(job_header(decode_spec(path.read_bytes())))
    try:
        parse_header(header)
    except InvalidTx as error:
        raise ValueError(f"its header: {error.detail}") from None
    return header


def read_encoded(
    path: Path, kind: int, decode: Callable[[bytes], object], what: str, document_key: str | None
) -> bytes:
    """The binary encoding in ``path``, checked to decode: the file itself, or (with a
    ``document_key``) the ``encoded`` hex under that key of ``depind gpu verify`` output."""
    size = path.stat().st_size
    if size > MAX_PROOF_FILE_BYTES:
        raise ValueError(f"{size} bytes, too large for {what}")
    raw = path.read_bytes()
    data = raw
    if document_key is not None and raw[:1] != bytes([kind]):
        try:
            data = bytes.fromhex(json.loads(raw)[document_key]["encoded"])
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"neither {what}'s bytes nor `depind gpu verify` output with one") from None
    decode(data)
    return data


def read_attestation(path: Path) -> bytes:
    return read_encoded(path, ATTESTATION_KIND, decode_attestation, "an attestation", "attestation")


def read_fraud_proof(path: Path) -> bytes:
    return read_encoded(path, FRAUD_PROOF_KIND, decode_fraud_proof, "a fraud proof", "fraud_proof")


def read_dispute(path: Path) -> bytes:
    return read_encoded(path, DISPUTE_KIND, decode_dispute, "an attestation dispute", None)


def parse_digest(text: str) -> bytes:
    """A 32-byte digest in hex, as ``depind gpu run`` prints the output root."""
    try:
        value = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not hexadecimal") from None
    if len(value) != DIGEST_BYTES:
        raise ValueError(f"must be {DIGEST_BYTES} bytes, got {len(value)}")
    return value


class FileType(click.ParamType[Any]):
    """A file (or folder) read by ``read``; what it raises becomes click's BadParameter (exit 2)."""

    def __init__(self, name: str, read: Callable[[Path], Any], folder: bool = False) -> None:
        self.name = name
        self.read = read
        self.path = click.Path(exists=True, file_okay=not folder, dir_okay=folder, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        path: Path = self.path.convert(value, param, ctx)
        try:
            return self.read(path)
        except (OSError, GpuError, ValueError) as exc:
            self.fail(f"{path}: {one_line(exc)}", param, ctx)


def read_result_folder(path: Path) -> Path:
    """A result folder whose files hold exactly the outputs its record describes."""
    open_result_files(path)
    return path


SPEC_FILE = FileType("spec_file", read_header)
RESULT_FOLDER = FileType("result_dir", read_result_folder, folder=True)
RESULT_DIR = FileType("result_dir", read_record, folder=True)
ATTESTATION_FILE = FileType("attestation_file", read_attestation)
FRAUD_PROOF_FILE = FileType("proof_file", read_fraud_proof)
DISPUTE_FILE = FileType("dispute_file", read_dispute)
DIGEST = ParsedType("hex", parse_digest)
COUNT = click.IntRange(0, MAX_AMOUNT)


# -- what the chain says --------------------------------------------------------------------------


def compute_denom(client: Client) -> str:
    return str(client.call("params", module="compute")["compute"]["denom"])


def in_denom(amount: Coin, denom: str) -> int:
    """The amount of ``--price``, which must be in the compute denom if it names one."""
    if amount.denom and amount.denom != denom:
        raise CLIError(f"--price is in the compute denom {denom}, not {amount.denom}")
    return amount.amount


def check_result_spec(client: Client, job_id: int, record: ResultRecord, folder: str) -> None:
    """A result folder must hold the result of the job's spec: the chain binds the output root
    to the job's spec digest, so another spec's output would be proven wrong."""
    digest = client.call("job", id=job_id)["job"]["spec_digest"]
    if record.spec_digest != digest:
        raise CLIError(
            f"{folder} holds a result for spec {record.spec_digest[:16]}…, "
            f"job {job_id} is spec {digest[:16]}…"
        )


# -- messages -------------------------------------------------------------------------------------


@click.group(name="compute")
def compute_tx() -> None:
    """Submit jobs and results, attest results, and prove results or attestations wrong."""


def job_options(deadline_default: int | None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """SPEC_FILE, --from, --lease, --deadline-blocks (required without a default) and --price:
    what submitting a job takes, here and in `depind job run`."""
    flags = [
        click.argument("header", metavar="SPEC_FILE", type=SPEC_FILE),
        from_option,
        click.option("--lease", "lease_id", type=ID, required=True, help="The active lease the job runs on."),
        click.option(
            "--deadline-blocks",
            type=click.IntRange(1, MAX_AMOUNT),
            required=deadline_default is None,
            default=deadline_default,
            show_default=deadline_default is not None,
            help="Blocks the provider has to submit the result.",
        ),
        click.option(
            "--price",
            type=AMOUNT,
            required=True,
            help="Deposit paid for a verified result, e.g. 1000000udepin.",
        ),
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for flag in reversed(flags):
            command = flag(command)
        return command

    return decorate


@compute_tx.command(name="submit-job")
@job_options(deadline_default=None)
@tx_options
def submit_job(
    opts: TxOptions, header: bytes, from_key: str, lease_id: int, deadline_blocks: int, price: Coin
) -> None:
    """Submit the job in SPEC_FILE (JSON, as `depind gpu run` reads it) on a lease of the
    --from requester; the price moves to the compute module until the verdict. The response
    holds the new job's id."""

    def messages(requester: str) -> list[Msg]:
        with Client(opts.node) as client:
            denom = compute_denom(client)
        amount = Coin(denom, in_denom(price, denom))
        return [MsgSubmitJob(requester, lease_id, header, deadline_blocks, amount)]

    send_tx(opts, from_key, messages)


@compute_tx.command(name="submit-result")
@click.argument("job_id", type=ID)
@from_option
@click.option(
    "--result",
    "record",
    metavar="DIR",
    type=RESULT_DIR,
    help="A `depind gpu run` result folder: its output root, energy and compute time.",
)
@click.option("--output-root", type=DIGEST, help="The root of the output tree (hex), without --result.")
@click.option("--compute-ms", type=COUNT, help="Milliseconds the job ran, without --result.")
@click.option("--energy-mj", type=COUNT, help="Energy the job used in millijoules, if measured.")
@tx_options
def submit_result(
    opts: TxOptions,
    job_id: int,
    from_key: str,
    record: ResultRecord | None,
    output_root: bytes | None,
    compute_ms: int | None,
    energy_mj: int | None,
) -> None:
    """Commit the result of job JOB_ID, run by the --from provider: from a result folder
    (--result), or its output root and figures. Its committee is sampled in the next block."""
    figures = result_figures(record, output_root, compute_ms, energy_mj)

    def messages(provider: str) -> list[Msg]:
        if record is not None:
            with Client(opts.node) as client:
                check_result_spec(client, job_id, record, "--result")
        return [MsgSubmitResult(provider, job_id, *figures)]

    send_tx(opts, from_key, messages)


def result_figures(
    record: ResultRecord | None, output_root: bytes | None, compute_ms: int | None, energy_mj: int | None
) -> tuple[bytes, int, bool, int]:
    """The output root, energy (and whether it was measured) and compute time of a result:
    a result folder's, or the flags'."""
    if record is not None:
        if output_root is not None or compute_ms is not None or energy_mj is not None:
            raise click.UsageError("--result gives the output root, energy and compute time: give it alone")
        measured = record.energy_mj
        root, ms = bytes.fromhex(record.output_root), round(record.compute_s * MS_PER_S)
        return root, measured or 0, measured is not None, ms
    if output_root is None:
        raise click.UsageError("give --result DIR, or --output-root with --compute-ms")
    if compute_ms is None:
        raise click.UsageError("--output-root needs --compute-ms")
    return output_root, energy_mj or 0, energy_mj is not None, compute_ms


@compute_tx.command()
@click.argument("job_id", type=ID)
@click.argument("attestation", metavar="ATTESTATION_FILE", type=ATTESTATION_FILE)
@from_option
@click.option(
    "--fraud-proof",
    metavar="FILE",
    type=FRAUD_PROOF_FILE,
    help="The fraud proof that backs a fraud verdict (binary, or `depind gpu verify` output).",
)
@tx_options
def attest(
    opts: TxOptions, job_id: int, attestation: bytes, from_key: str, fraud_proof: bytes | None
) -> None:
    """Attest the result of job JOB_ID with the attestation in ATTESTATION_FILE (binary, or
    `depind gpu verify` output run with the member's challenge inputs, docs/compute.md), as
    the committee member whose operator account is --from."""
    verdict = decode_attestation(attestation).verdict
    if verdict == "valid" and fraud_proof is not None:
        raise click.UsageError("a valid attestation carries no --fraud-proof")
    if verdict == "fraud" and fraud_proof is None:
        raise click.UsageError("a fraud attestation needs --fraud-proof: the proof that backs it")
    proof = fraud_proof or b""
    send_tx(opts, from_key, _one(lambda member: MsgAttest(member, job_id, attestation, proof)))


@compute_tx.command(name="fraud-proof")
@click.argument("job_id", type=ID)
@click.argument("proof", metavar="PROOF_FILE", type=FRAUD_PROOF_FILE)
@from_option
@tx_options
def fraud_proof(opts: TxOptions, job_id: int, proof: bytes, from_key: str) -> None:
    """Prove the result of committed or verifying job JOB_ID wrong with the fraud proof in
    PROOF_FILE (binary, or `depind gpu verify` output): the job is invalid at once, the
    provider slashed, and the --from prover paid its share."""
    send_tx(opts, from_key, _one(lambda prover: MsgSubmitFraudProof(prover, job_id, proof)))


@compute_tx.command(name="dispute-attestation")
@click.argument("job_id", type=ID)
@click.argument("member", type=ADDRESS)
@click.argument("dispute", metavar="DISPUTE_FILE", type=DISPUTE_FILE)
@from_option
@tx_options
def dispute_attestation(opts: TxOptions, job_id: int, member: str, dispute: bytes, from_key: str) -> None:
    """Prove MEMBER's valid attestation of job JOB_ID false with the dispute in DISPUTE_FILE
    (binary): the member is slashed and jailed, and the --from disputer rewarded."""
    send_tx(opts, from_key, _one(lambda disputer: MsgDisputeAttestation(disputer, job_id, member, dispute)))


@compute_tx.command(name="challenge-availability")
@click.argument("job_id", type=ID)
@from_option
@tx_options
def challenge_availability(opts: TxOptions, job_id: int, from_key: str) -> None:
    """Have the provider of verifying job JOB_ID post sampled chunks of its outputs, as a
    committee member's operator account or the job's requester (--from). The bond
    (`availability_bond`) goes to the provider if it answers, and back if it does not; then
    the job is invalid and --from is paid as its prover."""
    send_tx(opts, from_key, _one(lambda challenger: MsgChallengeAvailability(challenger, job_id)))


@compute_tx.command(name="post-chunks")
@click.argument("job_id", type=ID)
@from_option
@click.option(
    "--result",
    "folder",
    metavar="DIR",
    type=RESULT_FOLDER,
    required=True,
    help="The job's `depind gpu run` result folder, which the chunks are opened from.",
)
@tx_options
def post_chunks(opts: TxOptions, job_id: int, from_key: str, folder: Path) -> None:
    """Answer the open availability challenge of job JOB_ID, as its provider (--from): the
    chunks it samples, opened with their Merkle paths from the result folder (--result)."""

    def messages(provider: str) -> list[Msg]:
        with Client(opts.node) as client:
            job = client.call("job", id=job_id)["job"]
        challenge = job.get("availability")
        if challenge is None or int(challenge["answered_height"]):
            raise CLIError(f"job {job_id} has no open availability challenge")
        try:
            header = decode_header(bytes.fromhex(job["header"]))
            openings = open_result_chunks(folder, header, [int(c) for c in challenge["chunks"]])
        except (GpuError, ResultFileError, IndexError) as exc:
            raise CLIError(f"--result {folder}: {one_line(exc)}") from None
        return [MsgPostChunks(provider, job_id, [encode_opening(o) for o in openings])]

    send_tx(opts, from_key, messages)


def _one(make: Callable[[str], Msg]) -> Callable[[str], list[Msg]]:
    def messages(sender: str) -> list[Msg]:
        return [make(sender)]

    return messages
