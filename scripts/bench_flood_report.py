"""The flood benchmark's report: a run's figures, the table of runs, the flood runs'
figures over the baselines', and what each flooder says it did.

``bench_flood.py`` makes the runs and fills in a ``RunResult`` for each; the
``FloodReport`` of a flood run comes from the flooder (``bench_flood_peer.py``).
A figure the run could not measure (no block in the window) is NaN in the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from bench_common import percentile
from bench_flood_peer import FloodReport
from bench_network import print_setup


@dataclass
class RunResult:
    mode: str
    load: tuple[float, float, float]  # load average as the load began
    interval_s: list[float]
    longest_gap_s: float  # the longest interval, or the wait from the last block to the window's end
    txs_per_s: float
    rounds_after_0: int
    wal_segments: list[int]  # the sizes of the heights' segments rotated in the window
    wal_peak: int
    window_s: float
    rss_kib: list[int]
    victim_cpu_s: float
    others_cpu_s: float
    victim_behind: int | None
    failure: str | None = None  # the victim exited, or the load could not be offered
    flood: FloodReport | None = None
    banned_at: float | None = None  # from the victim's log
    banned_by_others: list[int] = field(default_factory=list)  # other validators that banned it too
    connected_at_end: bool = False

    @property
    def wal_per_block(self) -> float:
        return statistics.fmean(self.wal_segments) if self.wal_segments else float("nan")

    @property
    def wal_per_s(self) -> float:
        """WAL written per second: unlike bytes per block, not raised by fewer, larger blocks."""
        return sum(self.wal_segments) / self.window_s


COLUMNS = ["run", "load avg", "sent to the cut", "msg/s", "banned after s", "others banned it"]
COLUMNS += ["WAL B/block", "WAL KiB/s", "WAL peak KiB", "RSS start MiB", "RSS peak MiB", "RSS end MiB"]
COLUMNS += ["blocks", "interval mean s", "p95 s", "longest gap s", "tx/s", "round > 0"]
COLUMNS += ["victim CPU s", "others' CPU s", "victim behind"]
HEADER = "| " + " | ".join(COLUMNS) + " |\n|---|" + "---:|" * (len(COLUMNS) - 1)


def report(results: list[RunResult], args: argparse.Namespace) -> None:
    print_setup(
        f"{args.rate:.0f} tx/s of bank sends for {args.seconds:.0f} s, a fresh network per run; "
        f"measured from {args.warmup_s:.0f} s to {args.seconds:.0f} s; victim node{args.victim}; "
        f"flood at up to {args.flood_rate:,.0f} frames/s from {args.warmup_s:.0f} s"
    )
    print(HEADER)
    for result in results:
        print(row(result))
    for result in results:
        if result.failure is not None:
            print(f"\n{result.mode} run failed: {result.failure}")
    print_ratios(results)
    print_flooders(results)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


def row(result: RunResult) -> str:
    cells = [result.mode, f"{result.load[0]:.1f}"]
    flood = result.flood
    if flood is None:
        cells += ["-", "-", "-", "-"]
    else:
        banned = "not banned" if result.banned_at is None else f"{result.banned_at - flood.go_at:.2f}"
        others = ", ".join(f"node{i}" for i in result.banned_by_others) or "none"
        cells += [f"{flood.sent_before_cut:,}", f"{flood.rate_before_cut:,.0f}", banned, others]
    rss = result.rss_kib or [0]
    cells += [
        f"{result.wal_per_block:,.0f}",
        f"{result.wal_per_s / 1024:,.0f}",
        f"{result.wal_peak / 1024:,.0f}",
    ]
    cells += [f"{rss[0] / 1024:.1f}", f"{max(rss) / 1024:.1f}", f"{rss[-1] / 1024:.1f}"]
    intervals = result.interval_s or [float("nan")]
    cells += [str(len(result.interval_s)), f"{statistics.fmean(intervals):.3f}"]
    cells += [f"{percentile(intervals, 0.95):.3f}", f"{result.longest_gap_s:.1f}", f"{result.txs_per_s:.0f}"]
    cells += [str(result.rounds_after_0)]
    behind = "exited" if result.victim_behind is None else str(result.victim_behind)
    cells += [f"{result.victim_cpu_s:.1f}", f"{result.others_cpu_s:.1f}", behind]
    return "| " + " | ".join(cells) + " |"


FIGURES: dict[str, Callable[[RunResult], float]] = {
    "WAL B/block": lambda r: r.wal_per_block,
    "WAL B/s": lambda r: r.wal_per_s,
    "RSS peak": lambda r: float(max(r.rss_kib, default=0)),
    "RSS end": lambda r: float(r.rss_kib[-1] if r.rss_kib else 0),
    "interval mean": lambda r: statistics.fmean(r.interval_s) if r.interval_s else float("nan"),
    "interval p95": lambda r: percentile(r.interval_s, 0.95) if r.interval_s else float("nan"),
    "longest gap": lambda r: r.longest_gap_s,
    "tx/s": lambda r: r.txs_per_s,
}


def print_ratios(results: list[RunResult]) -> None:
    """Each flood run's figures over the mean of the baselines'."""
    baselines = [r for r in results if r.flood is None]
    if not baselines:
        return
    base = {name: statistics.fmean(get(r) for r in baselines) for name, get in FIGURES.items()}
    print("\n| run | " + " | ".join(f"{name} / baseline" for name in FIGURES) + " | within 10% | banned |")
    print("|---|" + "---:|" * len(FIGURES) + "---|---|")
    for result in results:
        if result.flood is None:
            continue
        ratios = {name: ratio(get(result), base[name]) for name, get in FIGURES.items()}
        held = all(abs(ratios[name] - 1) <= 0.10 for name in ("WAL B/block", "RSS peak", "interval mean"))
        cells = [f"{ratio:.3f}" for ratio in ratios.values()]
        banned = "yes" if result.banned_at is not None and not result.connected_at_end else "no"
        print(f"| {result.mode} | " + " | ".join(cells) + f" | {'yes' if held else 'no'} | {banned} |")
    spread = []
    for name, get in FIGURES.items():
        values = [ratio(get(r), base[name]) for r in baselines]
        spread.append(f"{name} {min(values):.3f}..{max(values):.3f}")
    print(f"\nbaselines against their own mean: {'; '.join(spread)}")


def ratio(value: float, base: float) -> float:
    """``value / base``; NaN where the baselines' figure is 0 (no tx committed in the window)."""
    return value / base if base else float("nan")


def print_flooders(results: list[RunResult]) -> None:
    """What each flooder says it did: its frames before and after the cut, the first failed send."""
    for result in results:
        flood = result.flood
        if flood is None:
            continue
        cut = "no send failed" if flood.cut_at is None else f"cut {flood.cut_at - flood.go_at:.2f} s in"
        print(
            f"\n{result.mode} flooder {flood.peer_id}: {flood.sent:,} frames sent in all, "
            f"{flood.sent_before_cut:,} before the cut; {cut}; sends resumed {flood.resumed} times; "
            f"{flood.received:,} frames received from the victim; {flood.cpu_s:.1f} CPU s; "
            f"connected to the victim at the end: {'yes' if result.connected_at_end else 'no'}"
        )
        if flood.cut_reason is not None:
            print(f"  the failed send: {flood.cut_reason}")
