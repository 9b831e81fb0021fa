"""Soak: a network under steady mixed load for an hour, watched for leaks.

The network runner's testbed (tests/runner/) is built from a manifest without
perturbations (tests/runner/manifests/soak.toml: four validators, a provider with its
``depind worker``, sends, delegations, market orders and leases, PoUW jobs and governance
votes). While the runner's lanes send the load and its follower reads every block, this
script samples, every ``--interval`` seconds, each ``depind`` process (every validator and
the worker):

- resident memory (``VmRSS`` in /proc/PID/status), open descriptors (/proc/PID/fd),
  threads, and the size on disk of its data folder (as ``du`` counts it);
- from the chain: the height, the load's txs committed since the last sample (tx/s), and
  the intervals between the blocks committed since then, from their header times.

At the end the runner's final checks run as after any manifest (one chain on every node,
every committed tx found, invariants, no evidence, clean logs), and soak_stats.py judges
the samples after the warm-up: RSS must grow less than 10 % and descriptors must not grow.
Written to ``--out``: samples.csv (one row per sample and process), summary.json,
report.txt and soak.svg (soak_svg.py). Exit code 0 when both the checks and the targets
pass, 1 otherwise, 2 on a bad manifest or output folder.

    uv run python scripts/soak.py [--minutes 60] [--out build/soak]
        [--manifest tests/runner/manifests/soak.toml] [--warmup-minutes 30]

It is not run in CI: an hour of four validators is for a person to start and read.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import itertools
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

import httpx
import msgspec
import soak_stats
import soak_svg
from soak_stats import ProcessSample, Sample, Summary, Targets

from tests.e2e.harness import DepindProcess, RPCFailure
from tests.runner import chain
from tests.runner.checks import CheckResult
from tests.runner.load import Ledger
from tests.runner.manifest import Manifest, ManifestError, load
from tests.runner.report import Report
from tests.runner.report import render as render_report
from tests.runner.run import run
from tests.runner.testbed import Testbed

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = REPO / "tests" / "runner" / "manifests" / "soak.toml"
BLOCKCHAIN_PAGE = 20  # the most block metas `blockchain` returns at once
PROGRESS_EVERY_S = 60.0
CSV_FIELDS = [
    "t_s",
    "process",
    "pid",
    "rss_kib",
    "fds",
    "threads",
    "disk_bytes",
    "height",
    "tx_per_s",
    "block_interval_s",
]
EXIT_FAILED = 1
EXIT_USAGE = 2


# -- reading a process -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Watched:
    """A process the soak samples: its pid and the folder its data grows in."""

    name: str
    pid: int | None  # None: not running
    data: Path


def read_process(pid: int, data: Path) -> ProcessSample | None:
    """What /proc says of ``pid`` now; None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if fields.get("State", "").strip().startswith("Z"):
        return None
    rss_kib = int(fields["VmRSS"].split()[0])
    return ProcessSample(rss_kib, fds, int(fields["Threads"]), disk_usage(data))


def disk_usage(folder: Path) -> int:
    """Bytes allocated to the files under ``folder``, as ``du`` counts them."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                continue  # a LevelDB file compacted away between listing and reading
    return total


def watched(testbed: Testbed) -> list[Watched]:
    found = [Watched(m.name, pid_of(m.process), m.process.home.data_dir) for m in testbed.validators()]
    for index, worker in enumerate(testbed.workers):
        running = worker.process.poll() is None
        found.append(
            Watched(f"worker{index}", worker.process.pid if running else None, worker.log_path.parent)
        )
    return found


def pid_of(node: DepindProcess) -> int | None:
    return node.process.pid if node.process is not None and node.is_running() else None


# -- reading the chain ------------------------------------------------------------------------------


def parse_time(text: str) -> datetime.datetime:
    """An RFC 3339 header time, its nanoseconds cut to microseconds."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{whole}.{(fraction + '000000')[:6]}+00:00")


def header_times(node: DepindProcess, low: int, high: int) -> dict[int, datetime.datetime]:
    """The header time of each block ``low`` .. ``high``, a page of metas at a time."""
    times: dict[int, datetime.datetime] = {}
    for first in range(low, high + 1, BLOCKCHAIN_PAGE):
        last = min(first + BLOCKCHAIN_PAGE - 1, high)
        for meta in node.rpc("blockchain", minHeight=first, maxHeight=last)["block_metas"]:
            times[int(meta["header"]["height"])] = parse_time(meta["header"]["time"])
    return times


class ChainMeter:
    """The height, the load's txs committed and the block intervals since the last reading."""

    def __init__(self, follower: chain.Follower, ledger: Ledger, nodes: Sequence[DepindProcess]) -> None:
        self.follower = follower
        self.ledger = ledger
        self.nodes = list(nodes)
        self.height = follower.height  # blocks from before the load are not measured
        self.committed = 0

    def read(self) -> tuple[int, int, tuple[float, ...]]:
        height = self.follower.height
        committed = sum(stats.committed for stats in self.ledger.stats.values())
        txs, self.committed = committed - self.committed, committed
        intervals = self.intervals(self.height + 1, height) if height > self.height else ()
        return height, txs, intervals

    def intervals(self, low: int, high: int) -> tuple[float, ...]:
        for node in self.nodes:  # the first node that answers
            try:
                times = header_times(node, max(low - 1, 1), high)
            except (httpx.HTTPError, RPCFailure, ValueError, KeyError):
                continue
            break
        else:
            return ()  # read again next time, from the same height
        ordered = [times[h] for h in sorted(times)]  # from the block before ``low``
        self.height = high
        return tuple((b - a).total_seconds() for a, b in itertools.pairwise(ordered))


# -- the run ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    interval_s: float
    targets: Targets
    out: Path


def soak(manifest: Manifest, source: str, settings: Settings) -> tuple[list[Sample], Report]:
    """The runner's run of ``manifest``, sampling the processes while the load goes on."""
    samples: list[Sample] = []

    def sample(testbed: Testbed, follower: chain.Follower, ledger: Ledger) -> None:
        meter = ChainMeter(follower, ledger, [m.process for m in testbed.members])
        with (settings.out / "samples.csv").open("w", newline="") as out:
            samples.extend(sample_for(manifest.load.duration_s, settings.interval_s, testbed, meter, out))

    return samples, run(manifest, source, settings.out, during=sample)


def sample_for(
    duration_s: float, interval_s: float, testbed: Testbed, meter: ChainMeter, out: TextIO
) -> Iterator[Sample]:
    """A sample every ``interval_s`` for ``duration_s``, each also written to ``out`` at once."""
    writer = csv.DictWriter(out, CSV_FIELDS)
    writer.writeheader()
    began = last_progress = time.monotonic()
    previous = 0.0
    for index in range(1, math.ceil(duration_s / interval_s) + 1):
        time.sleep(max(began + index * interval_s - time.monotonic(), 0.0))
        now = time.monotonic() - began
        processes = watched(testbed)
        sample = take_sample(now, now - previous, processes, meter)
        previous = now
        write_rows(writer, sample, {w.name: w.pid for w in processes})
        out.flush()
        if time.monotonic() - last_progress >= PROGRESS_EVERY_S:
            last_progress = time.monotonic()
            print(progress(sample), flush=True)
        yield sample


def take_sample(t_s: float, elapsed_s: float, watching: Sequence[Watched], meter: ChainMeter) -> Sample:
    processes = {w.name: None if w.pid is None else read_process(w.pid, w.data) for w in watching}
    height, txs, intervals = meter.read()
    return Sample(round(t_s, 1), processes, height, txs, txs / max(elapsed_s, 1e-9), intervals)


def write_rows(writer: csv.DictWriter[str], sample: Sample, pids: dict[str, int | None]) -> None:
    mean = sample.mean_interval_s
    for name, process in sample.processes.items():
        row: dict[str, object] = {
            "t_s": sample.t_s,
            "process": name,
            "pid": pids.get(name) or "",
            "height": sample.height,
            "tx_per_s": round(sample.tx_per_s, 3),
            "block_interval_s": "" if mean is None else round(mean, 3),
        }
        if process is not None:
            row |= dataclasses.asdict(process)
        writer.writerow(row)


def progress(sample: Sample) -> str:
    memory = ", ".join(
        f"{name} {p.rss_kib // 1024} MiB/{p.fds} fds" if p is not None else f"{name} gone"
        for name, p in sample.processes.items()
    )
    return f"{sample.t_s / 60:5.1f} min  height {sample.height}  {sample.tx_per_s:.1f} tx/s  {memory}"


# -- the outputs ------------------------------------------------------------------------------------


def figure(samples: Sequence[Sample], warmup_s: float) -> str:
    """Five panels on the run's minutes: RSS, descriptors, disk per process; tx/s; block interval."""
    names = sorted({name for s in samples for name in s.processes})

    def per_process(read: Callable[[ProcessSample], float]) -> dict[str, list[tuple[float, float]]]:
        return {
            name: [(s.t_s / 60, read(p)) for s in samples if (p := s.processes.get(name)) is not None]
            for name in names
        }

    intervals = [(s.t_s / 60, mean) for s in samples if (mean := s.mean_interval_s) is not None]
    panels = [
        soak_svg.Panel("Resident memory (VmRSS)", "MiB", per_process(lambda p: p.rss_kib / 1024)),
        soak_svg.Panel("Open file descriptors", "count", per_process(lambda p: p.fds)),
        soak_svg.Panel("Data folder on disk", "MiB", per_process(lambda p: p.disk_bytes / soak_stats.MIB)),
        soak_svg.Panel(
            "Load committed", "tx/s", {"txs of the load": [(s.t_s / 60, s.tx_per_s) for s in samples]}
        ),
        soak_svg.Panel("Block interval (mean per sample)", "s", {"header times": intervals}),
    ]
    title = "depind soak: 4 validators and a worker under mixed load (dashed: end of warm-up)"
    return soak_svg.render(panels, title, "minutes since the load started", marker=warmup_s / 60)


def write_outputs(out: Path, samples: Sequence[Sample], summary: Summary | None, report: Report) -> str:
    """summary.json, report.txt and soak.svg; the text printed at the end."""
    text = render_report(report)
    if summary is not None:
        text += "\n\n" + soak_stats.render(summary)
        body = {**msgspec.to_builtins(summary), "passed": summary.passed, "checks_passed": report.passed}
        (out / "summary.json").write_text(json.dumps(body, indent=2, default=str) + "\n")
    if samples:
        (out / "soak.svg").write_text(figure(samples, summary.warmup_s if summary else 0.0))
    (out / "report.txt").write_text(text + "\n")
    return text


# -- the command ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="A network under mixed load for a long time, watched for leaks."
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="of load (default 60)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "soak", help="a new or empty folder")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--warmup-minutes", type=float, default=30.0, help="left out of the verdict")
    parser.add_argument("--window-minutes", type=float, default=5.0, help="medians compared at each end")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args(argv)
    try:
        manifest = load(args.manifest)
    except ManifestError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    if args.out.exists() and any(args.out.iterdir()):
        print(f"{args.out} is not empty", file=sys.stderr)
        return EXIT_USAGE
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = msgspec.structs.replace(
        manifest, load=msgspec.structs.replace(manifest.load, duration_s=args.minutes * 60)
    )
    targets = Targets(warmup_s=args.warmup_minutes * 60, window_s=args.window_minutes * 60)
    settings = Settings(args.interval, targets, args.out.absolute())
    samples, report = soak(manifest, str(args.manifest), settings)
    try:
        summary: Summary | None = soak_stats.summarize(samples, targets)
    except soak_stats.TooShort as error:
        report.checks.append(CheckResult("soak", "samples after the warm-up", [str(error)]))
        summary = None
    print(write_outputs(args.out, samples, summary, report), flush=True)
    return 0 if summary is not None and summary.passed and report.passed else EXIT_FAILED


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_on_sigterm)  # so that every node is stopped on the way out
    sys.exit(main())
