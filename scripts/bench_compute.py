"""Benchmark: the chain's checks of proof-of-useful-work results, and a verifier's check.

Three parts, each printing a markdown table (medians of --repeat runs, wall time):

- ``--fraud``: `gpu.onchain.check_fraud_proof`, pure Python as vm/compute runs it, on a seeded
  M x K x N GEMM (M = N = 16: the check is O(K)) whose result has one entry off by one, with the
  proof gpu/fraud.py builds; the gas vm/compute charges before the check
  (`fraud_proof_gas_base + fraud_proof_gas_per_entry x K`, default params) and the proof's
  encoded size (gpu/proofs.py) against the mempool's 64 KiB max tx bytes. The same for int8
  operands supplied by the requester (the proof then opens a row and a column of K bytes).
- ``--dispute``: `gpu.onchain.check_attestation_dispute` on a GEMM with N-entry output rows
  (M = 16, K = 64) against a member whose C r commitment holds zeros: its check time, the gas
  (`dispute_gas_base + dispute_gas_per_entry x N`) and the dispute's encoded size.
- ``--verifier``: a committee member's check of n x n x n seeded GEMM outputs
  (`node.outputs.check.check_outputs`: the memory-mapped outputs file as fetched, 3 Freivalds
  rounds, the C r commitment), each run in a fresh process after a small warm-up job (a running
  verifier has its kernels loaded): wall and CPU seconds, the growth of the process's resident
  memory during the check (peak minus before; the mapped output pages count) and the peak of
  Python and NumPy allocations (tracemalloc), against the provider's `gpu.run.run_job` (NumPy)
  time and the output size.

    uv run python scripts/bench_compute.py [--fraud] [--dispute] [--verifier] [--repeat 3]

With no part named, all three run (about 3 minutes on two cores).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genesis.compute import ComputeParams
from gpu.attestation import commit_cr, gemm_tensors
from gpu.backend import EXACT_LIMIT, NumpyBackend
from gpu.commit import commit_outputs
from gpu.fraud import build_fraud_proof
from gpu.header import layout, result_root
from gpu.jobs import GemmSpec, JobSpec, job_header, spec_digest
from gpu.merkle import ChunkedCommitment
from gpu.onchain import check_attestation_dispute, check_fraud_proof
from gpu.prng_scalar import clear_lane_cache
from gpu.proofs import Attestation, AttestationDispute, encode_dispute, encode_fraud_proof
from gpu.run import run_job
from node.mempool import MempoolConfig
from vm.compute.handlers import inner_size, row_length

REPO_ROOT = Path(__file__).resolve().parents[1]
PARAMS = ComputeParams()
MAX_TX_BYTES = MempoolConfig().max_tx_bytes
ROUNDS = PARAMS.freivalds_rounds
VERIFIER = bytes(range(20))  # a member's address bytes
BEACON = bytes(32)
FRAUD_K = (4_096, 16_384, 65_536, 262_144)
DISPUTE_N = (1_024, 4_096, 16_384)
VERIFIER_N = (1_024, 2_048, 4_096)
SMALL = 16  # M and N of the fraud-proof jobs, M of the dispute jobs
DISPUTE_K = 64


def bound_for(inner: int) -> int:
    """The largest bound whose products stay exact in fp32 (K b^2 <= 2^22), at most 127 (int8)."""
    return min(math.isqrt(EXACT_LIMIT // inner), 127)


def median_time(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def corrupted(spec: JobSpec, entry: tuple[int, int]) -> tuple[bytes, ChunkedCommitment]:
    """The result root and commitment of `spec`'s outputs with `entry` of output 0 one too large."""
    outputs = list(run_job(spec, NumpyBackend()).outputs)
    outputs[0] = outputs[0].copy()
    outputs[0][entry] += 1
    commitment = commit_outputs(outputs)
    return result_root(spec_digest(spec), commitment.root), commitment


# -- fraud proofs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FraudRow:
    inner: int
    operands: str
    check_s: float
    cold_s: float  # with no lane constants kept from an earlier check of the same K
    gas: int
    proof_bytes: int


def measure_fraud(inner: int, supplied: bool, repeat: int) -> FraudRow:
    bound = bound_for(inner)
    spec = GemmSpec(m=SMALL, k=inner, n=SMALL, bound=bound, seed=inner)
    if supplied:
        rng = np.random.default_rng(inner)
        a = rng.integers(-bound, bound + 1, (SMALL, inner), dtype=np.int8).tobytes()
        b = rng.integers(-bound, bound + 1, (inner, SMALL), dtype=np.int8).tobytes()
        spec = GemmSpec(m=SMALL, k=inner, n=SMALL, bound=bound, seed=inner, a=a, b=b)
    entry = (SMALL - 1, SMALL // 2)
    root, commitment = corrupted(spec, entry)
    proof = build_fraud_proof(spec, commitment, 0, *entry)
    header = job_header(spec)
    check_s = median_time(lambda: check_fraud_proof(header, root, proof), repeat)

    def cold_check() -> None:
        clear_lane_cache()
        check_fraud_proof(header, root, proof)

    cold_s = median_time(cold_check, repeat)
    gas = PARAMS.fraud_proof_gas_base + PARAMS.fraud_proof_gas_per_entry * inner_size(layout(header))
    operands = "supplied int8" if supplied else "seeded"
    return FraudRow(inner, operands, check_s, cold_s, gas, len(encode_fraud_proof(proof)))


def fraud_table(rows: list[FraudRow]) -> str:
    lines = [
        "| K | operands | check ms | first check of its K, ms | gas charged | proof bytes | fits 64 KiB tx |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        fits = "yes" if r.proof_bytes < MAX_TX_BYTES else "**no**"
        lines.append(
            f"| {r.inner:,} | {r.operands} | {r.check_s * 1e3:.1f} | {r.cold_s * 1e3:.1f} | {r.gas:,} "
            f"| {r.proof_bytes:,} | {fits} |"
        )
    return "\n".join(lines)


# -- attestation disputes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeRow:
    cols: int
    check_s: float
    gas: int
    dispute_bytes: int


def measure_dispute(cols: int, repeat: int) -> DisputeRow:
    """A member that committed C r = 0 (never computed it), disputed at row SMALL // 2, round 1."""
    spec = GemmSpec(m=SMALL, k=DISPUTE_K, n=cols, bound=bound_for(DISPUTE_K), seed=cols)
    result = run_job(spec, NumpyBackend())
    header = job_header(spec)
    steps = layout(header)
    zeros = {t: [[0] * steps[t].shape[0] for _ in range(ROUNDS)] for t in gemm_tensors(steps)}
    cr = commit_cr(steps, zeros)
    attestation = Attestation("valid", ROUNDS, result.result_root, cr.root)
    row = SMALL // 2
    dispute = AttestationDispute(
        cr.open_entry(0, 1, row), result.output_root, result.commitment.open_entries(0, row * cols, cols)
    )

    def check() -> None:
        check_attestation_dispute(header, result.result_root, VERIFIER, BEACON, ROUNDS, attestation, dispute)

    check_s = median_time(check, repeat)
    gas = PARAMS.dispute_gas_base + PARAMS.dispute_gas_per_entry * row_length(steps, 0)
    return DisputeRow(cols, check_s, gas, len(encode_dispute(dispute)))


def dispute_table(rows: list[DisputeRow]) -> str:
    lines = [
        "| N | check ms | gas charged | dispute bytes | fits 64 KiB tx |",
        "|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        fits = "yes" if r.dispute_bytes < MAX_TX_BYTES else "**no**"
        lines.append(f"| {r.cols:,} | {r.check_s * 1e3:.2f} | {r.gas:,} | {r.dispute_bytes:,} | {fits} |")
    return "\n".join(lines)


# -- the verifier's check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifierRun:
    wall_s: float
    cpu_s: float
    rss_growth: int  # bytes: peak resident memory during the check minus before it
    traced_peak: int  # bytes: peak of Python and NumPy allocations during the check


@dataclass(frozen=True)
class VerifierRow:
    side: int
    output_bytes: int
    provider_s: float
    runs: list[VerifierRun]

    def median(self, name: str) -> float:
        return statistics.median(getattr(run, name) for run in self.runs)


def gemm_spec(side: int) -> GemmSpec:
    return GemmSpec(m=side, k=side, n=side, bound=bound_for(side), seed=side)


def measure_verifier(side: int, repeat: int, work_dir: Path) -> VerifierRow:
    spec = gemm_spec(side)
    provider_s = median_time(lambda: run_job(spec, NumpyBackend()), repeat)
    result = run_job(spec, NumpyBackend())
    outputs = work_dir / f"{side}.outputs"
    outputs.write_bytes(b"".join(np.ascontiguousarray(out, dtype="<i4").tobytes() for out in result.outputs))
    runs = [check_in_subprocess(side, outputs, result.result_root) for _ in range(repeat)]
    outputs.unlink()
    return VerifierRow(side, 4 * side * side, provider_s, runs)


def check_in_subprocess(side: int, outputs: Path, root: bytes) -> VerifierRun:
    command = [sys.executable, __file__, "--check-one", str(side), str(outputs), root.hex()]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the check of n = {side} failed:\n{done.stderr}")
    return VerifierRun(**json.loads(done.stdout.splitlines()[-1]))


def check_one(side: int, outputs: Path, root: bytes) -> dict[str, Any]:
    """In a fresh process: warm up on a small job, then check the outputs file once."""
    from node.outputs.check import check_outputs

    warm_spec = gemm_spec(256)
    warm = run_job(warm_spec, NumpyBackend())
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "warm.outputs"
        path.write_bytes(warm.outputs[0].tobytes())
        check_outputs(warm_spec, path, warm.result_root, VERIFIER, BEACON, ROUNDS)
    reset_peak_rss()
    before = current_rss()
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    checked = check_outputs(gemm_spec(side), outputs, root, VERIFIER, BEACON, ROUNDS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if checked.verdict != "valid":
        raise SystemExit(f"n = {side}: {checked.reason}")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_growth": max(peak_rss() - before, 0),
        "traced_peak": traced_peak,
    }


def reset_peak_rss() -> None:
    """Set the process's peak resident set (VmHWM) to its current one (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def current_rss() -> int:
    return status_kib("VmRSS") * 1024


def peak_rss() -> int:
    return status_kib("VmHWM") * 1024


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def verifier_table(rows: list[VerifierRow]) -> str:
    lines = [
        "| n | output MiB | provider run_job s | check s (CPU s) | check / provider "
        "| RSS growth MiB | traced peak MiB | RSS growth / output |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    mib = 2**20
    for r in rows:
        wall, cpu, growth = r.median("wall_s"), r.median("cpu_s"), r.median("rss_growth")
        lines.append(
            f"| {r.side:,} | {r.output_bytes / mib:.0f} | {r.provider_s:.3f} | {wall:.3f} ({cpu:.3f}) "
            f"| {wall / r.provider_s:.1%} | {growth / mib:.1f} | {r.median('traced_peak') / mib:.1f} "
            f"| {growth / r.output_bytes:.2f} |"
        )
    return "\n".join(lines)


# -- the run -----------------------------------------------------------------------------------------


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    date = subprocess.run(["date"], capture_output=True, text=True, check=False).stdout.strip()
    load = os.getloadavg()[0]
    return (
        f"machine: {models[0] if models else 'unknown'}, {os.cpu_count()} cores, "
        f"{mem_kib / 2**20:.1f} GiB; load average {load:.2f}; NumPy {np.__version__}; {date}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fraud", action="store_true", help="fraud-proof checks (K sweep)")
    parser.add_argument("--dispute", action="store_true", help="attestation-dispute checks (N sweep)")
    parser.add_argument("--verifier", action="store_true", help="the verifier's check (n sweep)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check-one", nargs=3, metavar=("N", "OUTPUTS", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.check_one:
        side, outputs, root = args.check_one
        print(json.dumps(check_one(int(side), Path(outputs), bytes.fromhex(root))))
        return
    everything = not (args.fraud or args.dispute or args.verifier)
    print(machine())
    if args.fraud or everything:
        rows = [measure_fraud(k, supplied, args.repeat) for k in FRAUD_K for supplied in (False, True)]
        print(f"\nFraud proofs (M = N = {SMALL}):\n\n{fraud_table(rows)}", flush=True)
    if args.dispute or everything:
        disputes = [measure_dispute(n, args.repeat) for n in DISPUTE_N]
        print(
            f"\nAttestation disputes (M = {SMALL}, K = {DISPUTE_K}):\n\n{dispute_table(disputes)}", flush=True
        )
    if args.verifier or everything:
        with tempfile.TemporaryDirectory() as work_dir:
            checks = [measure_verifier(n, args.repeat, Path(work_dir)) for n in VERIFIER_N]
        print(f"\nThe verifier's check ({ROUNDS} rounds):\n\n{verifier_table(checks)}", flush=True)


if __name__ == "__main__":
    main()
