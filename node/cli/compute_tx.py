"""``depind tx compute <action>``: the proof-of-useful-work messages (docs/compute.md), signed
by the ``--from`` key.

Requesters submit jobs to run on their active leases (``submit-job``) and providers commit
the results (``submit-result``); committee members attest them (``attest``), and anyone
proves a result wrong (``fraud-proof``) or a member's valid attestation false
(``dispute-attestation``: with the opened entry, or with only a row of C, which the member
answers with ``answer-dispute``). A member or the requester challenges the availability of a
verifying job's outputs (``challenge-availability``); its provider answers with the sampled
chunks from its result folder (``post-chunks``). A provider states the throughput that
capacity challenges then measure (``claim-capacity``).

Files are read as ``depind gpu`` writes them: a job spec as JSON (what goes on chain is its
header, gpu/jobs.py ``job_header``, in canonical MessagePack; a spec's supplied tensors are
uploaded to the lease's provider first, node/outputs/inputs.py), a result folder
(gpu/results.py), and attestations, fraud proofs and disputes in their binary encodings
(gpu/proofs.py), the first two also inside ``depind gpu verify`` output. Each file is
checked as it is read, before any key or node is touched; the price's denom and a result
folder's spec are checked against the chain while the message is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import msgspec

from gpu.attestation import gemm_tensors
from gpu.errors import GpuError, ResultFileError
from gpu.header import JobHeader, decode_header, header_digest, layout
from gpu.jobs import MAX_SPEC_BYTES, JobSpec, decode_spec, is_seeded, job_header
from gpu.proofs import (
    ATTESTATION_KIND,
    DISPUTE_KIND,
    FRAUD_PROOF_KIND,
    MAX_ENCODED_BYTES,
    ROW_DISPUTE_KIND,
    decode_attestation,
    decode_dispute,
    decode_fraud_proof,
    decode_row_dispute,
    encode_cr_opening,
    encode_opening,
    encode_row_dispute,
)
from gpu.results import ResultRecord, read_record
from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.common import CLIError, one_line
from node.cli.market_tx import AMOUNT, ID, ParsedType, from_option
from node.cli.params import ADDRESS, MAX_AMOUNT
from node.client import Client
from node.outputs.files import open_result_files
from node.outputs.inputs import UploadError, encode_inputs, upload_inputs
from node.outputs.layout import http_endpoint
from node.worker_jobs import open_result_chunks
from vm.compute.msgs import (
    DIGEST_BYTES,
    MsgAnswerDispute,
    MsgAttest,
    MsgChallengeAvailability,
    MsgClaimCapacity,
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


@dataclass(frozen=True)
class JobFile:
    """A job spec file: the spec, and its header (what goes on chain)."""

    spec: JobSpec
    header: JobHeader

    @property
    def encoded_header(self) -> bytes:
        """The header in canonical MessagePack, as MsgSubmitJob carries it."""
        return msgspec.msgpack.encode(self.header)

    @property
    def supplied(self) -> bool:
        """Whether the spec supplies tensors, which its provider needs off chain."""
        return not is_seeded(self.header)


def read_job_file(path: Path) -> JobFile:
    """The job spec in ``path``, with its header checked as the chain will check it."""
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise ValueError(f"{size} bytes, over the {MAX_SPEC_BYTES}-byte limit for a job spec")
    spec = decode_spec(path.read_bytes())
    job = JobFile(spec, job_header(spec))
    try:
        parse_header(job.encoded_header)
    except InvalidTx as error:
        raise ValueError(f"its header: {error.detail}") from None
    return job


def read_header(path: Path) -> bytes:
    """The canonical MessagePack of the header of the job spec in ``path``."""
    return read_job_file(path).encoded_header


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


def decode_either_dispute(data: bytes) -> object:
    """A one-shot dispute (the entry and its row) or a row dispute (the row only), by kind byte."""
    return decode_row_dispute(data) if data[:1] == bytes([ROW_DISPUTE_KIND]) else decode_dispute(data)


def read_dispute(path: Path) -> bytes:
    return read_encoded(path, DISPUTE_KIND, decode_either_dispute, "an attestation dispute", None)


def parse_entry(text: str) -> tuple[int, int, int]:
    """TENSOR,ROUND,ROW: an entry of a member's C r."""
    parts = text.split(",")
    if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"{text!r} is not TENSOR,ROUND,ROW (three integers)")
    tensor, round_index, row = (int(part) for part in parts)
    return tensor, round_index, row


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


SPEC_FILE = FileType("spec_file", read_job_file)
RESULT_FOLDER = FileType("result_dir", read_result_folder, folder=True)
RESULT_DIR = FileType("result_dir", read_record, folder=True)
ATTESTATION_FILE = FileType("attestation_file", read_attestation)
FRAUD_PROOF_FILE = FileType("proof_file", read_fraud_proof)
DISPUTE_FILE = FileType("dispute_file", read_dispute)
DIGEST = ParsedType("hex", parse_digest)
ENTRY = ParsedType("tensor,round,row", parse_entry)
COUNT = click.IntRange(0, MAX_AMOUNT)


# -- what the chain says --------------------------------------------------------------------------


def compute_denom(client: Client) -> str:
    return str(client.call("params", module="compute")["compute"]["denom"])


def in_denom(amount: Coin, denom: str) -> int:
    """The amount of ``--price``, which must be in the compute denom if it names one."""
    if amount.denom and amount.denom != denom:
        raise CLIError(f"--price is in the compute denom {denom}, not {amount.denom}")
    return amount.amount


def upload_job_inputs(client: Client, lease_id: int, job: JobFile) -> str:
    """Upload the spec's supplied tensors to the provider of lease ``lease_id``, at its registered
    endpoint (which its worker serves), before the job is submitted; the endpoint."""
    provider = client.call("lease", id=lease_id)["lease"]["provider"]
    endpoint = http_endpoint(str(client.call("provider", owner=provider)["endpoint"]))
    try:
        upload_inputs(endpoint, encode_inputs(job.spec), header_digest(job.header))
    except UploadError as err:
        raise CLIError(f"cannot upload the job's inputs to lease {lease_id}'s provider: {err}") from None
    return endpoint


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
        click.argument("job_file", metavar="SPEC_FILE", type=SPEC_FILE),
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
    opts: TxOptions, job_file: JobFile, from_key: str, lease_id: int, deadline_blocks: int, price: Coin
) -> None:
    """Submit the job in SPEC_FILE (JSON, as `depind gpu run` reads it) on a lease of the
    --from requester; the price moves to the compute module until the verdict. A spec's
    supplied tensors are uploaded to the lease's provider first. The response holds the new
    job's id."""

    def messages(requester: str) -> list[Msg]:
        with Client(opts.node) as client:
            denom = compute_denom(client)
            amount = Coin(denom, in_denom(price, denom))
            if job_file.supplied:
                endpoint = upload_job_inputs(client, lease_id, job_file)
                click.echo(f"inputs uploaded to {endpoint}", err=True)
        return [MsgSubmitJob(requester, lease_id, job_file.encoded_header, deadline_blocks, amount)]

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
@click.argument("dispute", metavar="[DISPUTE_FILE]", type=DISPUTE_FILE, required=False)
@click.option(
    "--outputs",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The job's outputs (canonical bytes, as `depind job run` saves output.bin): dispute --entry "
    "with its row of C alone.",
)
@click.option("--entry", type=ENTRY, help="TENSOR,ROUND,ROW of MEMBER's C r to dispute, with --outputs.")
@from_option
@tx_options
def dispute_attestation(
    opts: TxOptions,
    job_id: int,
    member: str,
    dispute: bytes | None,
    outputs: Path | None,
    entry: tuple[int, int, int] | None,
    from_key: str,
) -> None:
    """Dispute MEMBER's valid attestation of job JOB_ID, with the dispute in DISPUTE_FILE
    (binary: the opened entry and its row, judged at once, or a row dispute), or with a row of C
    from --outputs for --entry. A proven dispute slashes and jails the member and rewards the
    --from disputer; a row dispute holds the `dispute_bond` until the member answers with its
    entry (to the member if right, back with the reward if wrong or unanswered)."""
    if (dispute is None) == (outputs is None) or (outputs is None) != (entry is None):
        raise click.UsageError(
            "Missing argument 'DISPUTE_FILE' (or --outputs with --entry, for a row dispute): give one"
        )

    def messages(disputer: str) -> list[Msg]:
        if dispute is not None:
            return [MsgDisputeAttestation(disputer, job_id, member, dispute)]
        assert outputs is not None and entry is not None  # checked above
        with Client(opts.node) as client:
            job = client.call("job", id=job_id)["job"]
        return [MsgDisputeAttestation(disputer, job_id, member, row_dispute_of(job, outputs, entry))]

    send_tx(opts, from_key, messages)


def row_dispute_of(job: dict[str, Any], outputs: Path, entry: tuple[int, int, int]) -> bytes:
    """The row dispute of ``entry``: its row of C opened from ``outputs``, which must be the
    job's committed outputs."""
    from node.outputs.check import OutputsMismatch  # loads gpu/'s kernels: only when needed
    from node.verifier_disputes import row_disputes

    committee, result = job.get("committee"), job.get("result")
    if committee is None or result is None:
        raise CLIError(f"job {job['id']} is {job['state']}: it has no committee to dispute")
    header = decode_header(bytes.fromhex(job["header"]))
    steps = layout(header)
    tensor, round_index, row = entry
    tensors, rounds = gemm_tensors(steps), int(committee["rounds"])
    if tensor not in tensors or round_index >= rounds or row >= steps[tensor].shape[0]:
        raise CLIError(
            f"--entry {tensor},{round_index},{row} is no entry of C r (GEMM outputs {list(tensors)}, "
            f"{rounds} rounds)"
        )
    try:
        (dispute,) = row_disputes(header, outputs, [entry])
    except (OutputsMismatch, OSError, ValueError) as exc:
        raise CLIError(f"--outputs {outputs}: {one_line(exc)}") from None
    if dispute.output_root.hex() != result["output_root"]:
        raise CLIError(f"--outputs {outputs} are not job {job['id']}'s committed outputs")
    return encode_row_dispute(dispute)


@compute_tx.command(name="answer-dispute")
@click.argument("job_id", type=ID)
@from_option
@click.option(
    "--cr",
    "folder",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="The member's saved C r commitment for the job (the verifier keeps it in "
    "HOME/data/verifier/cr/<job id>).",
)
@tx_options
def answer_dispute(opts: TxOptions, job_id: int, from_key: str, folder: Path) -> None:
    """Answer the dispute awaiting the --from member's answer on job JOB_ID: the disputed entry
    of its C r, opened from its saved commitment (the verifier service does this by itself)."""

    def messages(member: str) -> list[Msg]:
        with Client(opts.node) as client:
            records = client.call("attestations", job_id=job_id)["attestations"]
        record = next((r for r in records if r["member"] == member), None)
        pending = None if record is None else record.get("pending_dispute")
        if record is None or pending is None:
            raise CLIError(f"no dispute of {member}'s attestation of job {job_id} awaits an answer")
        return [MsgAnswerDispute(member, job_id, opened_cr_entry(folder, record["cr_root"], pending))]

    send_tx(opts, from_key, messages)


def opened_cr_entry(folder: Path, cr_root: str, pending: dict[str, Any]) -> bytes:
    from node.outputs.check import CrStoreError, load_cr  # loads gpu/'s kernels: only when needed

    try:
        cr = load_cr(folder, bytes.fromhex(cr_root))
        entry = cr.open_entry(int(pending["tensor"]), int(pending["round"]), int(pending["row"]))
    except (CrStoreError, IndexError, ValueError) as exc:
        raise CLIError(f"--cr {folder}: {one_line(exc)}") from None
    return encode_cr_opening(entry)


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


@compute_tx.command(name="claim-capacity")
@click.argument("rate", type=COUNT)
@from_option
@tx_options
def claim_capacity(opts: TxOptions, rate: int, from_key: str) -> None:
    """Claim RATE multiply-adds per second of exact int8 GEMM for the --from provider; 0
    withdraws the claim. The chain then challenges it with timed jobs that its worker runs,
    and the rate measured is what orders' --min-capacity filters on."""
    send_tx(opts, from_key, _one(lambda provider: MsgClaimCapacity(provider, rate)))


def _one(make: Callable[[str], Msg]) -> Callable[[str], list[Msg]]:
    def messages(sender: str) -> list[Msg]:
        return [make(sender)]

    return messages
