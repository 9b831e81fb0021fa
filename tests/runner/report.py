"""The run's report: a summary of the network, the timeline of perturbations, what the
load sent and got committed, the slashes, and each check with its violations; as text
for a person and as JSON for a program (the same content)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from tests.runner.checks import CheckResult
from tests.runner.load import LaneStats
from tests.runner.perturb import Happening


@dataclass(frozen=True)
class SlashEntry:
    height: int
    validator: str  # its name in the testbed
    reason: str


@dataclass
class Report:
    manifest: str
    started: str  # UTC, RFC 3339
    workdir: str
    network: str  # one line: validators, their power, full nodes
    load_s: float
    height: int = 0  # of the chain the checks read
    elapsed_s: float = 0.0
    timeline: list[Happening] = field(default_factory=list)
    lanes: dict[str, LaneStats] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)  # one log per lane and refusal or failure code
    slashes: list[SlashEntry] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    links: dict[str, dict[str, float]] = field(default_factory=dict)  # each host's link shaper's counts
    error: str = ""  # why the run could not finish, if it could not

    @property
    def violations(self) -> int:
        return sum(len(check.violations) for check in self.checks) + bool(self.error)

    @property
    def passed(self) -> bool:
        return self.violations == 0 and bool(self.checks)


def to_json(report: Report) -> bytes:
    body = msgspec.to_builtins(report)
    body["passed"] = report.passed
    body["violations"] = report.violations
    return msgspec.json.format(msgspec.json.encode(body), indent=2) + b"\n"


def write_json(report: Report, path: Path) -> None:
    path.write_bytes(to_json(report))


def render(report: Report) -> str:
    lines = [
        f"depind network runner: {report.manifest}",
        f"started {report.started}, {report.elapsed_s:.0f} s in all; files in {report.workdir}",
        f"network: {report.network}",
        f"load: {report.load_s:g} s; the checks read the chain through height {report.height}",
        "",
        "timeline:",
        *render_timeline(report.timeline),
        "",
        "load:",
        *render_lanes(report.lanes),
        *[f"    {what}: {log}" for what, log in sorted(report.logs.items())],
        "",
        "slashes:",
        *([f"  height {s.height}: {s.validator} for {s.reason}" for s in report.slashes] or ["  none"]),
        "",
        *render_links(report.links),
        "checks:",
        *render_checks(report.checks),
    ]
    if report.error:
        lines += ["", f"the run failed: {report.error}"]
    verdict = "PASS" if report.passed else "FAIL"
    lines += ["", f"result: {verdict} ({report.violations} violation(s))"]
    return "\n".join(lines)


def render_timeline(timeline: Sequence[Happening]) -> list[str]:
    return [f"  {h.at_s:7.1f} s  height {h.height:>5}  {h.node:<11} {h.what}" for h in timeline] or ["  none"]


def render_lanes(lanes: dict[str, LaneStats]) -> list[str]:
    header = "  kind              sent  admitted  committed  failed  refused  no answer"
    rows = [
        f"  {kind:<14}{s.sent:>8}{s.admitted:>10}{s.committed:>11}{s.failed.total():>8}"
        f"{s.refused.total():>9}{s.unreachable:>11}"
        for kind, s in lanes.items()
    ]
    notes = [
        f"    {kind} refused: {dict(s.refused)}; failed in blocks: {dict(s.failed)}"
        for kind, s in lanes.items()
        if s.refused or s.failed
    ]
    return [header, *rows, *notes] if lanes else ["  none"]


def render_links(links: dict[str, dict[str, float]]) -> list[str]:
    if not links:
        return []
    rows = [
        f"  {name:<12}{int(s['packets']):>9}{int(s['dropped']):>9}{lost_pct(s):>8.2f}%"
        f"{s['mean_delay_ms']:>10.1f} ms"
        for name, s in links.items()
    ]
    return [
        "links (packets leaving each host):",
        "  host          packets  dropped   lost   mean delay",
        *rows,
        "",
    ]


def lost_pct(stats: dict[str, float]) -> float:
    return 100 * stats["dropped"] / max(stats["packets"], 1)


def render_checks(checks: Sequence[CheckResult]) -> list[str]:
    lines = []
    for check in checks:
        lines.append(f"  {'PASS' if check.passed else 'FAIL'}  {check.name}: {check.what}")
        for violation in check.violations:
            first, *rest = violation.splitlines() or [""]
            lines.append(f"        - {first}")
            lines += [f"          {line}" for line in rest]
    return lines
