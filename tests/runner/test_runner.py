"""The network runner end to end on its CI manifest (tests/runner/manifests/ci.toml), as
its command: four validators and a full node of real ``depind start`` processes under
bank sends and delegations, one validator killed and started again, one paused, the full
node restarted; the report must be clean, and must show that all of that happened."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MANIFEST = Path(__file__).parent / "manifests" / "ci.toml"
RUN_TIMEOUT_S = 840  # about three minutes on two idle cores; far more on busy ones
STOP_TIMEOUT_S = 60  # a SIGTERM'd runner stops every node before it exits
CHECKS = {
    "same chain",
    "committed txs",
    "committed once",
    "invariants",
    "double signing",
    "slashes",
    "load",
    "liveness",
    "perturbations",
    "logs",
}


def run_runner(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m tests.runner ARGS``; SIGTERM (which it answers by stopping its nodes) if it
    runs out of time."""
    command = [sys.executable, "-m", "tests.runner", *args]
    with subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        try:
            stdout, stderr = child.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGTERM)
            stdout, stderr = child.communicate(timeout=STOP_TIMEOUT_S)
            raise AssertionError(
                f"the runner did not finish in {RUN_TIMEOUT_S} s:\n{stdout}\n{stderr}"
            ) from None
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


@pytest.mark.timeout(RUN_TIMEOUT_S + STOP_TIMEOUT_S + 30)
def test_the_ci_manifest_runs_clean(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    done = run_runner(str(MANIFEST), "--report", str(report_file), "--workdir", str(tmp_path / "run"))
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "result: PASS (0 violation(s))" in done.stdout
    report = json.loads(report_file.read_text())
    assert (report["passed"], report["violations"], report["error"]) == (True, 0, "")
    assert {check["name"] for check in report["checks"]} == CHECKS
    assert [check for check in report["checks"] if check["violations"]] == []

    happened: dict[str, list[str]] = {}
    for entry in report["timeline"]:
        happened.setdefault(entry["node"], []).append(entry["what"])
    assert happened == {
        "validator1": ["killed (SIGKILL)", "started again"],
        "validator2": ["paused (SIGSTOP)", "resumed (SIGCONT)"],
        "full0": ["stopped (SIGTERM), exit code 0", "started again"],
    }
    for kind in ("sends", "delegations"):
        assert report["lanes"][kind]["committed"] > 0, report["lanes"]
    assert report["height"] > 0 and report["slashes"] == []
