"""Four validators on hosts of their own (tests/runner/manifests/netns.toml), through the
runner's command: every link 50 ms +- 20 ms and 1% loss, then a 2|2 partition that heals.

The report must be clean: one chain on every node (no conflicting commits), every committed
tx found, nothing slashed. Neither half holds more than 2/3 of the power, so the chain may
finish at most the block already agreed when the cut came, then stands still until the heal,
and commits again after it. The shapers' counts show the links were shaped as asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runner.test_runner import CHECKS, RUN_TIMEOUT_S, STOP_TIMEOUT_S, run_runner

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("namespaces")]

MANIFEST = Path(__file__).parent / "manifests" / "netns.toml"
IN_FLIGHT = 2  # blocks a partition may still see committed: the one agreed, and the follower's lag
AFTER_HEAL = 10  # blocks the healed network commits at least before the load ends
HOSTS = ("validator0", "validator1", "validator2", "validator3")


@pytest.mark.timeout(RUN_TIMEOUT_S + STOP_TIMEOUT_S + 30)
def test_a_shaped_network_survives_a_partition_that_heals(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    done = run_runner(str(MANIFEST), "--report", str(report_file), "--workdir", str(tmp_path / "run"))
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    report = json.loads(report_file.read_text())
    assert (report["passed"], report["error"]) == (True, "")
    assert {check["name"] for check in report["checks"]} == CHECKS | {"links"}
    assert report["slashes"] == []

    (cut, healed) = report["timeline"]
    assert (cut["what"], healed["what"]) == (
        "partitioned: validator0, validator1 | validator2, validator3",
        "healed",
    )
    assert healed["height"] - cut["height"] <= IN_FLIGHT, report["timeline"]
    assert report["height"] >= healed["height"] + AFTER_HEAL, (report["height"], healed)

    assert set(report["links"]) == set(HOSTS)
    for host, stats in report["links"].items():
        assert stats["packets"] > 1000, (host, stats)
        assert 0.003 < stats["dropped"] / stats["packets"] < 0.03, (host, stats)  # 1% asked
        assert 45 <= stats["mean_delay_ms"] <= 55, (host, stats)  # 50 +- 20 ms, uniform
