"""``depind job run``: a requester's whole job in one command (docs/compute.md).

It submits the job in a spec file on one of the requester's leases (first uploading the spec's
supplied tensors, if any, to the lease's provider: node/outputs/inputs.py), waits for its verdict while
showing each step on stderr (result committed, committee sampled, attestations), and once the
job is verified downloads the outputs from the provider's endpoint, checks them against the
output root the chain holds, and saves them (canonical int32 little-endian bytes, all output
tensors in order, as docs/pouw.md §3 commits them). Any other verdict, or a time-out, is one
line on stderr and a non-zero exit.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import msgspec
from cosmpy.protos.cosmos.base.abci.v1beta1.abci_pb2 import TxMsgData

from gpu.header import JobHeader
from node.cli.broadcast import TxOptions, broadcast, confirm, tx_options
from node.cli.common import CLIError
from node.cli.compute_tx import JobFile, compute_denom, in_denom, job_options, upload_job_inputs
from node.cli.keyring_access import find_key, open_keyring
from node.client import Client, Signer
from node.outputs.fetch import DEFAULT_LIMITS, FetchError, fetch_outputs
from node.outputs.layout import expected_outputs, http_endpoint
from protos.depind.compute.v1 import tx_pb2
from vm.compute.msgs import MsgSubmitJob
from vm.modules import default_registry
from vm.tx import decode_tx
from vm.types import Coin

POLL_S = 1.0
DEFAULT_DEADLINE_BLOCKS = 50
DEFAULT_TIMEOUT_S = 600.0
OUTPUT_FILE = "output.bin"
JOB_FILE = "job.json"
FINAL_STATES = {"valid", "invalid", "provider_fault", "unverified"}


@click.group(name="job")
def job_group() -> None:
    """Run proof-of-useful-work jobs as a requester."""


@job_group.command(name="run")
@job_options(deadline_default=DEFAULT_DEADLINE_BLOCKS)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to save the verified outputs (default: job-<id> in the current folder).",
)
@click.option(
    "--verdict-timeout",
    type=click.FloatRange(min=1.0),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for the verdict.",
)
@tx_options
def run(
    opts: TxOptions,
    job_file: JobFile,
    from_key: str,
    lease_id: int,
    deadline_blocks: int,
    price: Coin,
    out_dir: Path | None,
    verdict_timeout: float,
) -> None:
    """Submit the job in SPEC_FILE on --lease (uploading its supplied tensors to the lease's
    provider first), wait for its verdict, download the verified outputs and check them
    against the committed root."""
    with Client(opts.node) as client:
        if job_file.supplied:
            endpoint = upload_job_inputs(client, lease_id, job_file)
            click.echo(f"inputs uploaded to {endpoint}", err=True)
        header = job_file.encoded_header
        job_id = submit(client, opts, from_key, MsgFields(lease_id, header, deadline_blocks, price))
        click.echo(f"job {job_id} submitted on lease {lease_id}", err=True)
        job = wait_for_verdict(client, job_id, verdict_timeout)
        if job["state"] != "valid":
            raise CLIError(f"job {job_id} ended {job['state']}{verdict_reason(job)}")
        endpoint = str(client.call("provider", owner=job["provider"])["endpoint"])
        saved = download(job, job_file.header, endpoint, out_dir or Path(f"job-{job_id}"))
    click.echo(json.dumps({"job_id": job_id, "state": "valid", "outputs": str(saved)}))


@dataclass(frozen=True)
class MsgFields:
    lease_id: int
    header: bytes
    deadline_blocks: int
    price: Coin


def submit(client: Client, opts: TxOptions, from_key: str, fields: MsgFields) -> int:
    """Sign and broadcast MsgSubmitJob, wait for its block; the new job's id."""
    keyring = open_keyring(opts.home, opts.keyring_backend)
    requester = find_key(keyring, from_key).address
    denom = compute_denom(client)
    amount = Coin(denom, in_denom(fields.price, denom))
    message = MsgSubmitJob(requester, fields.lease_id, fields.header, fields.deadline_blocks, amount)
    message.validate()
    signer = Signer(client, keyring.private_key(from_key), chain_id=opts.chain_id)
    tx = signer.build([message], gas=opts.gas, fees=opts.fees, memo=opts.memo)
    if not opts.yes:
        confirm(decode_tx(tx, default_registry()), signer.chain_id, requester)
    outcome = broadcast(client, tx, dataclasses.replace(opts, wait=True))
    if outcome.code != 0:
        raise CLIError(f"job refused (code {outcome.code}): {outcome.raw_log}")
    return submitted_job_id(outcome.data)


def submitted_job_id(data_hex: str) -> int:
    """The job id in a committed MsgSubmitJob's result data (TxMsgData)."""
    [packed] = TxMsgData.FromString(bytes.fromhex(data_hex)).msg_responses
    response = tx_pb2.MsgSubmitJobResponse()
    if not packed.Unpack(response):
        raise CLIError(f"unexpected response {packed.type_url}")
    return int(response.job_id)


def wait_for_verdict(client: Client, job_id: int, timeout: float) -> dict[str, Any]:
    """Poll the job until its state is final, one stderr line per step."""
    shown = ""
    deadline = time.monotonic() + timeout
    for _ in range(math.ceil(timeout / POLL_S) + 1):
        job: dict[str, Any] = client.call("job", id=job_id)["job"]
        step = progress(client, job)
        if step != shown:
            click.echo(step, err=True)
            shown = step
        if job["state"] in FINAL_STATES:
            return job
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    raise CLIError(f"job {job_id}: no verdict within {timeout:g} s (last: {shown})")


def progress(client: Client, job: dict[str, Any]) -> str:
    """One line saying where the job stands."""
    state = job["state"]
    if state == "pending":
        return f"waiting for the provider's result (deadline height {job['deadline_height']})"
    if state == "committed":
        return f"result committed at height {job['result']['height']}; committee next block"
    if state == "verifying":
        committee = job["committee"]
        attested = len(client.call("attestations", job_id=int(job["id"]))["attestations"])
        members = len(committee["members"])
        return (
            f"verifying: {attested}/{members} attested, "
            f"challenge window ends at height {committee['window_end_height']}"
        )
    return f"verdict: {state}"


def verdict_reason(job: dict[str, Any]) -> str:
    fraud = job.get("fraud")
    return f" (fraud proven by {fraud['prover']})" if fraud else ""


def download(job: dict[str, Any], header: JobHeader, endpoint: str, out_dir: Path) -> Path:
    """Fetch the outputs, check them against the committed root, save them under ``out_dir``."""
    result = job["result"]
    expected = expected_outputs(header, bytes.fromhex(result["result_root"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as work:
        try:
            fetched = fetch_outputs(http_endpoint(endpoint), expected, Path(work), DEFAULT_LIMITS)
        except FetchError as err:
            raise CLIError(
                f"job {job['id']} is verified but its outputs could not be fetched: {err}"
            ) from None
        target = out_dir / OUTPUT_FILE
        shutil.move(str(fetched), target)
    record = {key: job[key] for key in ("id", "lease_id", "provider", "spec_digest", "work_units")}
    record.update(result, header=base64.b64encode(msgspec.msgpack.encode(header)).decode())
    (out_dir / JOB_FILE).write_text(json.dumps(record, indent=2) + "\n")
    return target
