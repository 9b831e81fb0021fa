"""The soak's samples and its verdict, as pure functions of them.

A ``Sample`` is what the soak read every few seconds: for each process its resident
memory, open descriptors, threads and data folder on disk; for the chain its height, the
load's txs committed since the last sample, and the intervals between the blocks committed
since then (from their header times).

``summarize`` leaves out the warm-up (caches filling, the first proposals, the market's
first leases) and compares the end of the run with the time right after the warm-up. Memory
is compared as the median of a window at each end, not as two single samples: a garbage
collector's sawtooth would otherwise decide the verdict by where the run happened to stop.
Descriptors are compared the same way, with a small slack for the clients' connections
that come and go.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

KIB = 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class ProcessSample:
    rss_kib: int
    fds: int
    threads: int
    disk_bytes: int


@dataclass(frozen=True)
class Sample:
    t_s: float  # since the load started
    processes: dict[str, ProcessSample | None]  # None: the process is gone
    height: int
    txs: int  # the load's txs committed since the previous sample
    tx_per_s: float
    block_intervals_s: tuple[float, ...] = ()  # between the blocks committed since then

    @property
    def mean_interval_s(self) -> float | None:
        intervals = self.block_intervals_s
        return sum(intervals) / len(intervals) if intervals else None


@dataclass(frozen=True)
class Targets:
    warmup_s: float = 600.0
    window_s: float = 300.0  # the medians compared at each end
    rss_growth_pct: float = 10.0  # less than this after the warm-up
    fd_slack: int = 10  # descriptors the late median may exceed the early one by


@dataclass(frozen=True)
class ProcessSummary:
    name: str
    rss_start_mib: float  # median of the window right after the warm-up
    rss_end_mib: float  # median of the last window
    rss_growth_pct: float
    fds_first: int  # the first sample after the warm-up
    fds_last: int
    fds_max: int
    fds_start: float  # medians of the same windows as the memory
    fds_end: float
    threads_first: int
    threads_last: int
    disk_start_mib: float
    disk_end_mib: float
    disk_mib_per_h: float


@dataclass
class Summary:
    warmup_s: float
    window_s: float
    measured_s: float  # from the end of the warm-up to the last sample
    processes: list[ProcessSummary]
    tx_per_s: float
    block_interval_mean_s: float
    block_interval_p95_s: float
    blocks: int
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


class TooShort(Exception):
    """No sample after the warm-up: nothing to judge."""


def summarize(samples: Sequence[Sample], targets: Targets) -> Summary:
    """The run's figures after the warm-up, and every target it missed."""
    measured = [s for s in samples if s.t_s >= targets.warmup_s]
    if not measured:
        raise TooShort(f"no sample after the warm-up of {targets.warmup_s:g} s")
    start, end = measured[0].t_s, measured[-1].t_s
    early = [s for s in measured if s.t_s <= start + targets.window_s]
    late = [s for s in measured if s.t_s >= end - targets.window_s]
    names = sorted({name for s in samples for name in s.processes})
    processes = [summarize_process(name, measured, early, late) for name in names]
    intervals = [i for s in measured for i in s.block_intervals_s]
    elapsed = max(end - start, 1e-9)
    summary = Summary(
        warmup_s=targets.warmup_s,
        window_s=targets.window_s,
        measured_s=end - start,
        processes=processes,
        tx_per_s=sum(s.txs for s in measured[1:]) / elapsed,
        block_interval_mean_s=statistics.fmean(intervals) if intervals else math.nan,
        block_interval_p95_s=percentile(intervals, 95),
        blocks=measured[-1].height - measured[0].height,
    )
    summary.failures = find_failures(summary, samples, targets)
    return summary


def summarize_process(
    name: str, measured: Sequence[Sample], early: Sequence[Sample], late: Sequence[Sample]
) -> ProcessSummary:
    seen = [p for s in measured if (p := s.processes.get(name)) is not None]
    if not seen:
        nan = math.nan
        return ProcessSummary(name, nan, nan, nan, 0, 0, 0, nan, nan, 0, 0, nan, nan, nan)
    rss_start = median_of(early, name, lambda p: p.rss_kib) / KIB
    rss_end = median_of(late, name, lambda p: p.rss_kib) / KIB
    hours = max(measured[-1].t_s - measured[0].t_s, 1e-9) / 3600
    return ProcessSummary(
        name=name,
        rss_start_mib=rss_start,
        rss_end_mib=rss_end,
        rss_growth_pct=growth_pct(rss_start, rss_end),
        fds_first=seen[0].fds,
        fds_last=seen[-1].fds,
        fds_max=max(p.fds for p in seen),
        fds_start=median_of(early, name, lambda p: p.fds),
        fds_end=median_of(late, name, lambda p: p.fds),
        threads_first=seen[0].threads,
        threads_last=seen[-1].threads,
        disk_start_mib=seen[0].disk_bytes / MIB,
        disk_end_mib=seen[-1].disk_bytes / MIB,
        disk_mib_per_h=(seen[-1].disk_bytes - seen[0].disk_bytes) / MIB / hours,
    )


def median_of(samples: Sequence[Sample], name: str, read: Callable[[ProcessSample], int]) -> float:
    values = [read(p) for s in samples if (p := s.processes.get(name)) is not None]
    return float(statistics.median(values)) if values else math.nan


def growth_pct(start: float, end: float) -> float:
    return (end - start) / start * 100 if start > 0 else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest rank: the smallest value with ``pct`` percent of them at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)) - 1, 0)]


def find_failures(summary: Summary, samples: Sequence[Sample], targets: Targets) -> list[str]:
    failures = [f"{name} exited during the run" for name in gone(samples)]
    for p in summary.processes:
        if not p.rss_growth_pct < targets.rss_growth_pct:
            failures.append(
                f"{p.name}: RSS {p.rss_start_mib:.1f} -> {p.rss_end_mib:.1f} MiB "
                f"({p.rss_growth_pct:+.1f} %, the target is under +{targets.rss_growth_pct:g} %)"
            )
        if not p.fds_end <= p.fds_start + targets.fd_slack:
            failures.append(
                f"{p.name}: open descriptors grow: median {p.fds_start:g} -> {p.fds_end:g} "
                f"(more than {targets.fd_slack} up), max {p.fds_max}"
            )
    return failures


def gone(samples: Sequence[Sample]) -> list[str]:
    """The processes missing from some sample after they were first seen."""
    names = {name for s in samples for name in s.processes}
    return sorted(name for name in names if any(s.processes.get(name) is None for s in samples))


def render(summary: Summary) -> str:
    lines = [
        f"warm-up excluded: the first {summary.warmup_s / 60:g} min; "
        f"measured {summary.measured_s / 60:.1f} min after it; memory and descriptors compared as "
        f"medians of the first and last {summary.window_s / 60:g} min",
        "",
        "  process      RSS start  RSS end  growth   fds first/last/max  threads  disk MiB  disk MiB/h",
    ]
    for p in summary.processes:
        lines.append(
            f"  {p.name:<11}{p.rss_start_mib:>9.1f}{p.rss_end_mib:>9.1f}{p.rss_growth_pct:>+8.1f} %"
            f"{f'{p.fds_first}/{p.fds_last}/{p.fds_max}':>20}{f'{p.threads_first}/{p.threads_last}':>9}"
            f"{p.disk_end_mib:>10.1f}{p.disk_mib_per_h:>12.1f}"
        )
    lines += [
        "",
        f"chain: {summary.blocks} blocks, {summary.tx_per_s:.2f} tx/s of the load committed, block interval "
        f"mean {summary.block_interval_mean_s:.2f} s, p95 {summary.block_interval_p95_s:.2f} s",
        "",
        *(f"  FAIL  {failure}" for failure in summary.failures),
        f"soak: {'PASS' if summary.passed else 'FAIL'}",
    ]
    return "\n".join(lines)
