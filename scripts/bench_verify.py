"""Benchmark: verifying a GEMM result on the CPU against recomputing it, and what commitments cost.

For each side n, a seeded gemm (n x n x n, bound floor(sqrt(2^22 / n))) is timed four ways:

- GEMM: the provider's bare work: regenerate both inputs, multiply in fp32, convert to int32;
- commit: the provider's extra work for verifiability: hash every 1 KiB chunk, build the tree;
- recompute: a verifier that recomputes: GEMM + commit, then compares result roots;
- verify: `verify_result`: regenerate inputs, hash the outputs, 3 Freivalds rounds, on all cores.

A second table times hashing every 1 KiB chunk of the output with the leaf hash (keyed BLAKE3, the
compiled kernel of gpu/hash_kernels.py) against SHA-256 (hashlib), on one thread: why the
commitment uses BLAKE3.

Each figure is the median of --repeat runs (wall time; the process CPU time is printed beside it,
since load from elsewhere on a shared machine inflates wall time only). Prints a markdown table.

    uv run python scripts/bench_verify.py [--sizes 1024 2048 4096] [--repeat 5]
"""

import argparse
import hashlib
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from gpu.backend import EXACT_LIMIT, NumpyBackend
from gpu.challenge import derive_challenge_seed
from gpu.commit import chunk_hashes, commit_outputs, result_root
from gpu.jobs import GemmSpec, plan, spec_digest
from gpu.run import compute_outputs
from gpu.verify import verify_result

T = TypeVar("T")
BEACON = bytes(32)  # any value: the benchmark times the check, not the protocol


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


@dataclass(frozen=True)
class Row:
    side: int
    gemm: Timing
    commit: Timing
    recompute: Timing
    verify: Timing
    leaves_blake3: Timing
    leaves_sha256: Timing


def timed(work: Callable[[], T], repeat: int) -> tuple[T, Timing]:
    """The last result of `repeat` runs, and the median wall and process CPU time.

    One more run goes first, untimed: it loads the compiled verification kernels, and lets the
    BLAS threads of the step before go idle (they spin for a while after a GEMM).
    """
    work()
    walls, cpus, results = [], [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        results.append(work())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return results[-1], Timing(statistics.median(walls), statistics.median(cpus))


def measure(side: int, repeat: int) -> Row:
    spec = GemmSpec(m=side, k=side, n=side, bound=math.isqrt(EXACT_LIMIT // side), seed=side)
    steps = plan(spec)
    backend = NumpyBackend()
    outputs, gemm = timed(lambda: compute_outputs(steps, backend), repeat)
    with ThreadPoolExecutor() as pool:
        commitment, commit = timed(lambda: commit_outputs(outputs, pool), repeat)
    root = result_root(spec_digest(spec), commitment.root)

    def recompute_and_compare() -> bool:
        with ThreadPoolExecutor() as pool:
            again = commit_outputs(compute_outputs(steps, backend), pool)
        return result_root(spec_digest(spec), again.root) == root

    same, recompute = timed(recompute_and_compare, repeat)
    seed = derive_challenge_seed(root, b"bench", BEACON)
    verdict, verify = timed(lambda: verify_result(spec, outputs, root, seed), repeat)
    if not same or verdict.status != "valid":
        raise SystemExit(f"n={side}: recomputation or verification disagrees ({verdict.reason})")
    data = memoryview(outputs[0].data).cast("B")
    _, blake3_leaves = timed(lambda: chunk_hashes(data), repeat)
    _, sha256_leaves = timed(
        lambda: [hashlib.sha256(data[i : i + 1024]).digest() for i in range(0, len(data), 1024)], repeat
    )
    return Row(side, gemm, commit, recompute, verify, blake3_leaves, sha256_leaves)


def cpu_model() -> str:
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown"


def header() -> str:
    blas = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    date = subprocess.run(["date", "-u", "+%F"], capture_output=True, text=True, check=False).stdout.strip()
    return (
        f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; BLAS env {blas or 'none'}; date {date}"
    )


COLUMNS = (
    "n",
    "GEMM s (CPU s)",
    "commit s (CPU s)",
    "commit / GEMM",
    "recompute s",
    "verify s (CPU s)",
    "verify / recompute",
)


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---:|" * len(COLUMNS)]
    for r in rows:
        cells = (
            str(r.side),
            f"{r.gemm.wall_s:.3f} ({r.gemm.cpu_s:.3f})",
            f"{r.commit.wall_s:.3f} ({r.commit.cpu_s:.3f})",
            f"{r.commit.wall_s / r.gemm.wall_s:.1%}",
            f"{r.recompute.wall_s:.3f}",
            f"{r.verify.wall_s:.3f} ({r.verify.cpu_s:.3f})",
            f"{r.verify.wall_s / r.recompute.wall_s:.1%}",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def hash_table(rows: list[Row]) -> str:
    lines = ["| n | output MiB | BLAKE3 leaves s | SHA-256 leaves s |", "|---:|---:|---:|---:|"]
    for r in rows:
        mib = 4 * r.side * r.side / 2**20
        lines.append(
            f"| {r.side} | {mib:.0f} | {r.leaves_blake3.wall_s:.4f} | {r.leaves_sha256.wall_s:.4f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(header())
    rows = []
    for side in args.sizes:
        rows.append(measure(side, args.repeat))
        print(f"n={side} done", file=sys.stderr, flush=True)
    print()
    print(table(rows))
    print()
    print(hash_table(rows))


if __name__ == "__main__":
    main()
