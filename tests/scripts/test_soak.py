"""The soak's verdict (scripts/soak_stats.py), its figure (scripts/soak_svg.py) and its
reading of /proc (scripts/soak.py), on made-up series and on this very process."""

from __future__ import annotations

import importlib
import itertools
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
soak_stats = importlib.import_module("soak_stats")
soak_svg = importlib.import_module("soak_svg")
soak = importlib.import_module("soak")

TARGETS = soak_stats.Targets(warmup_s=600, window_s=300)
INTERVAL_S = 10
SVG = "{http://www.w3.org/2000/svg}"


def run_of(
    rss_mib: Callable[[float], float],
    fds: Callable[[float], int] = lambda t: 40,
    minutes: int = 60,
    names: tuple[str, ...] = ("validator0", "worker0"),
) -> list[Any]:  # soak_stats.Sample
    """A sample every 10 s for ``minutes``; ``rss_mib`` and ``fds`` of the time in seconds,
    the same for every process; a block a second with two of the load's txs in it."""
    samples = []
    for index in range(minutes * 60 // INTERVAL_S + 1):
        t = float(index * INTERVAL_S)
        process = soak_stats.ProcessSample(int(rss_mib(t) * 1024), fds(t), 12, 1_000_000 + index * 4096)
        blocks = (1.0,) * INTERVAL_S
        samples.append(soak_stats.Sample(t, {n: process for n in names}, index * INTERVAL_S, 20, 2.0, blocks))
    return samples


def test_a_flat_run_passes() -> None:
    summary = soak_stats.summarize(run_of(lambda t: 200.0), TARGETS)
    assert summary.passed, summary.failures
    assert [p.name for p in summary.processes] == ["validator0", "worker0"]
    assert summary.processes[0].rss_growth_pct == 0
    assert summary.tx_per_s == pytest.approx(2.0)
    assert summary.block_interval_mean_s == summary.block_interval_p95_s == 1.0


def test_rss_growing_15_percent_after_the_warm_up_fails() -> None:
    # 200 MiB at the end of the warm-up, 230 MiB at the end: +15 %.
    summary = soak_stats.summarize(run_of(lambda t: 200.0 + max(t - 600, 0) / 3000 * 30), TARGETS)
    assert not summary.passed
    growth = summary.processes[0].rss_growth_pct
    assert 12 < growth < 15  # medians of five-minute windows sit inside the ends
    assert any("validator0: RSS" in failure for failure in summary.failures)


def test_growth_during_the_warm_up_is_left_out() -> None:
    summary = soak_stats.summarize(run_of(lambda t: 100.0 + min(t, 600) / 6), TARGETS)
    assert summary.passed, summary.failures


def test_a_sawtooth_ending_on_a_peak_is_not_growth() -> None:
    # A collector's sawtooth: 200 MiB climbing to 230 MiB every two minutes, then dropping.
    summary = soak_stats.summarize(run_of(lambda t: 200.0 + (t % 120) / 4, minutes=61), TARGETS)
    assert summary.passed, summary.failures


def test_a_descriptor_leak_fails() -> None:
    summary = soak_stats.summarize(run_of(lambda t: 200.0, fds=lambda t: 40 + int(t // 60)), TARGETS)
    assert any("open descriptors grow" in failure for failure in summary.failures)
    assert summary.processes[0].fds_max == 100


def test_descriptors_coming_and_going_pass() -> None:
    summary = soak_stats.summarize(run_of(lambda t: 200.0, fds=lambda t: 40 + int(t // 10) % 7), TARGETS)
    assert summary.passed, summary.failures


def test_a_process_that_exits_fails() -> None:
    samples = run_of(lambda t: 200.0)
    last = samples[-1]
    samples[-1] = soak_stats.Sample(last.t_s, {**last.processes, "worker0": None}, last.height, 0, 0.0)
    summary = soak_stats.summarize(samples, TARGETS)
    assert summary.failures == ["worker0 exited during the run"]


def test_a_run_within_its_warm_up_has_no_verdict() -> None:
    with pytest.raises(soak_stats.TooShort):
        soak_stats.summarize(run_of(lambda t: 200.0, minutes=9), TARGETS)


def test_disk_growth_is_per_hour_after_the_warm_up() -> None:
    summary = soak_stats.summarize(run_of(lambda t: 200.0), TARGETS)
    # 4 KiB a sample, 360 samples an hour
    assert summary.processes[0].disk_mib_per_h == pytest.approx(360 * 4096 / 2**20)


def test_p95_is_a_nearest_rank() -> None:
    assert soak_stats.percentile([float(v) for v in range(1, 101)], 95) == 95
    assert soak_stats.percentile([3.0], 95) == 3
    assert math.isnan(soak_stats.percentile([], 95))


@pytest.mark.parametrize(("low", "high"), [(0, 1), (183.2, 241.9), (0.41, 0.47), (5, 5), (0, 61)])
def test_ticks_are_round_and_cover_the_range(low: float, high: float) -> None:
    ticks = soak_svg.nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert 2 <= len(ticks) <= 12
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    mantissa = f"{steps.pop():e}".split("e")[0].rstrip("0").rstrip(".")
    assert mantissa in {"1", "2", "5"}


def test_the_figure_is_svg_with_five_panels_sharing_one_time_axis() -> None:
    samples = run_of(lambda t: 200.0 + (t % 120) / 4, names=("validator0", "validator1", "a <worker>"))
    document = ET.fromstring(soak.figure(samples, warmup_s=600))
    assert document.tag == f"{SVG}svg"
    panels = document.findall(f"{SVG}g")
    assert len(panels) == 5
    texts = [[t.text for t in panel.iter(f"{SVG}text")] for panel in panels]
    assert [t[0] for t in texts] == [
        "Resident memory (VmRSS)",
        "Open file descriptors",
        "Data folder on disk",
        "Load committed",
        "Block interval (mean per sample)",
    ]
    assert {"validator0", "validator1", "a <worker>"} <= set(texts[0])  # the legend
    assert [len(panel.findall(f"{SVG}polyline")) for panel in panels] == [3, 3, 3, 1, 1]
    assert "60" in texts[-1]  # the time axis is labelled under the last panel
    dashed = [line for line in document.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 5  # the end of the warm-up across every panel


def test_this_process_read_from_proc(tmp_path: Path) -> None:
    (tmp_path / "data.bin").write_bytes(b"x" * 100_000)
    sample = soak.read_process(os.getpid(), tmp_path)
    assert sample is not None
    assert sample.rss_kib > 1024 and sample.fds >= 3 and sample.threads >= 1
    assert sample.disk_bytes >= 100_000


def test_a_process_that_is_gone_reads_as_none(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    assert soak.read_process(child.pid, tmp_path) is None


def test_header_times_keep_microseconds() -> None:
    time = soak.parse_time("2026-12-07T09:01:32.123456789Z")
    assert (time.second, time.microsecond, time.utcoffset()) == (32, 123456, soak.datetime.timedelta(0))
