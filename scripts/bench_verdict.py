"""Benchmark: how long a GEMM job takes from submission to its verdict on a 4-validator
network of real ``depind start`` processes on 127.0.0.1, with every validator's verifier service
on and a provider running ``depind worker`` (NumPy backend) on the same machine.

``depind testnet`` writes the homes (its genesis keeps the default compute params: committees of
3, ``attest_blocks`` 10, ``challenge_window_blocks`` 20) and the nodes run at ``--timeout-commit``
(the default 1 s of a node's config). A provider registers, offers H100s and has a requester's lease
accepted (tests.e2e.market_setup.py); then, for each size n, ``--jobs`` seeded n x n x n GEMM jobs
(entries bounded so that fp32 sums stay exact) are submitted one after another, each once the
previous one has its verdict. Per job, from the chain's own records (heights from the job and
its attestations, seconds from the block headers' times):

- result: submission block -> the block holding the provider's result (its queue, the GEMM, the
  output commitment), with the GEMM time the worker reported (``compute_ms``);
- attested: the result's block -> the block holding the committee's last attestation (each member
  fetches the outputs from the worker, checks them with Freivalds' test and attests);
- verdict: submission -> the verdict's block. A valid verdict waits for the end of the challenge
  window (``challenge_window_blocks`` after sampling), so it is the window that sets it whenever
  the attestations come first.

Every node, the worker and this script share the machine's cores, as in the end-to-end tests.

    uv run python scripts/bench_verdict.py [--sizes 1024 2048 4096] [--jobs 2] [--timeout-commit 1.0]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from gpu.backend import EXACT_LIMIT
from gpu.jobs import GemmSpec, job_header
from tests.e2e.harness import DENOM, Wallet, eventually
from tests.e2e.market_setup import (
    H100,
    Market,
    WorkerProcess,
    open_market,
    submit,
    warm_up_kernels,
)
from tests.e2e.network import Network, ValidatorNode
from vm.compute.msgs import MsgSubmitJob
from vm.types import Coin

VALIDATORS = 4
PRICE = 1_000_000
DEADLINE_BLOCKS = 600
VERDICT_TIMEOUT_S = 900.0
START_TIMEOUT_S = 120.0
FINAL_STATES = ("valid", "invalid", "unverified", "provider_fault")


@dataclass(frozen=True)
class JobRun:
    n: int
    state: str
    compute_ms: int
    result_blocks: int
    result_s: float
    attested_blocks: int
    attested_s: float
    verdict_blocks: int
    verdict_s: float


def run_job(node: ValidatorNode, market: Market, n: int, seed: int) -> JobRun:
    spec = GemmSpec(m=n, k=n, n=n, bound=min(64, math.isqrt(EXACT_LIMIT // n)), seed=seed)
    header = msgspec.msgpack.encode(job_header(spec))
    message = MsgSubmitJob(
        market.requester.address, market.lease_id, header, DEADLINE_BLOCKS, Coin(DENOM, PRICE)
    )
    submitted = submit(node, market.requester, [message])
    jobs = node.rpc("jobs", lease_id=market.lease_id)["jobs"]
    (entry,) = [job for job in jobs if int(job["submitted_height"]) == submitted]
    job_id = int(entry["id"])
    job = eventually(lambda: final_job(node, job_id), f"job {job_id}'s verdict", timeout=VERDICT_TIMEOUT_S)
    result_height = int(job["result"]["height"])
    attestations = node.rpc("attestations", job_id=job_id)["attestations"]
    attested = max((int(record["height"]) for record in attestations), default=result_height)
    verdict = int(job["verdict_height"])
    return JobRun(
        n=n,
        state=job["state"],
        compute_ms=int(job["result"]["compute_ms"]),
        result_blocks=result_height - submitted,
        result_s=seconds_between(node, submitted, result_height),
        attested_blocks=attested - result_height,
        attested_s=seconds_between(node, result_height, attested),
        verdict_blocks=verdict - submitted,
        verdict_s=seconds_between(node, submitted, verdict),
    )


def final_job(node: ValidatorNode, job_id: int) -> dict[str, Any] | None:
    job: dict[str, Any] = node.rpc("job", id=job_id)["job"]
    return job if job["state"] in FINAL_STATES else None


def seconds_between(node: ValidatorNode, start: int, end: int) -> float:
    return (block_time(node, end) - block_time(node, start)).total_seconds()


def block_time(node: ValidatorNode, height: int) -> datetime.datetime:
    """A block's header time (RFC 3339 with nanoseconds), to the microsecond."""
    text: str = node.rpc("block", height=height)["block"]["header"]["time"]
    whole, _, fraction = text.removesuffix("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{whole}.{(fraction + '000000')[:6]}+00:00")


def table(runs: list[JobRun]) -> str:
    lines = [
        "| n | job | verdict | GEMM s (worker) | result blocks | result s | attested blocks"
        " | attested s | verdict blocks | verdict s |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for index, run in enumerate(runs):
        number = sum(1 for earlier in runs[:index] if earlier.n == run.n) + 1
        lines.append(
            f"| {run.n} | {number} | {run.state} | {run.compute_ms / 1000:.1f} | {run.result_blocks}"
            f" | {run.result_s:.1f} | {run.attested_blocks} | {run.attested_s:.1f} | {run.verdict_blocks}"
            f" | {run.verdict_s:.1f} |"
        )
    for n in sorted({run.n for run in runs}):
        verdicts = [run.verdict_s for run in runs if run.n == n]
        attested = [run.attested_s for run in runs if run.n == n]
        attested_s, verdict_s = statistics.median(attested), statistics.median(verdicts)
        lines.append(f"| {n} | median | | | | | | {attested_s:.1f} | | {verdict_s:.1f} |")
    return "\n".join(lines)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--jobs", type=int, default=2, help="jobs per size, one after another")
    parser.add_argument("--timeout-commit", type=float, default=1.0, help="each node's timeout_commit_s")
    args = parser.parse_args()
    workers: list[WorkerProcess] = []
    with tempfile.TemporaryDirectory(prefix="bench-verdict-") as folder, contextlib.ExitStack() as cleanup:
        root = Path(folder)
        warm_up_kernels(root)
        network = Network(root / "net", VALIDATORS, timeout_commit_s=args.timeout_commit)
        cleanup.callback(network.close)
        cleanup.callback(lambda: [worker.stop() for worker in workers])
        network.start_all(timeout=START_TIMEOUT_S)
        node = network.nodes[0]
        market = open_market(
            node, Wallet(node, node.account_key), root / "provider", H100, "node.cli.main", workers
        )
        print(f"{machine()}; load {Path('/proc/loadavg').read_text().split()[:3]}", file=sys.stderr)
        runs: list[JobRun] = []
        for n in args.sizes:
            for index in range(args.jobs):
                started = time.monotonic()
                seed = int.from_bytes(hashlib.sha256(f"{n}/{index}".encode()).digest()[:4], "big")
                runs.append(run_job(node, market, n, seed))
                print(
                    f"n={n} job {index + 1}: {runs[-1]} ({time.monotonic() - started:.0f} s)", file=sys.stderr
                )
        print(table(runs))
        print(f"load after: {Path('/proc/loadavg').read_text().split()[:3]}", file=sys.stderr)


if __name__ == "__main__":
    main()
