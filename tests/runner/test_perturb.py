"""tests/runner/perturb.py: a node's perturbation due during the upgrade waits for its end."""

from __future__ import annotations

import threading
import time
from typing import cast

from tests.runner import testbed
from tests.runner.manifest import PerturbationSpec
from tests.runner.perturb import Perturber, Timeline, UpgradeWindow

JOIN_S = 10.0


class Recording(Perturber):
    """Records when it would break its node instead of breaking one."""

    def __init__(self, window: UpgradeWindow, halt: threading.Event) -> None:
        spec = PerturbationSpec(kind="pause", at_s=0, duration_s=1, node="validator2")
        timeline = Timeline(time.monotonic(), lambda: 7)
        super().__init__(spec, cast(testbed.Testbed, None), timeline, halt, window)
        self.perturbed = threading.Event()

    def perturb(self) -> None:
        self.perturbed.set()


def notes(perturber: Perturber) -> list[str]:
    return [entry.what for entry in perturber.timeline.entries()]


def test_with_no_upgrade_under_way_the_node_is_perturbed_at_once() -> None:
    window = UpgradeWindow()
    perturber = Recording(window, threading.Event())
    perturber.start()
    perturber.join(JOIN_S)
    assert perturber.perturbed.is_set() and notes(perturber) == []


def test_during_the_upgrade_the_node_waits_for_its_end() -> None:
    window = UpgradeWindow()
    window.started.set()
    perturber = Recording(window, threading.Event())
    perturber.start()
    assert not perturber.perturbed.wait(0.5)
    window.ended.set()
    perturber.join(JOIN_S)
    assert perturber.perturbed.is_set()
    assert notes(perturber) == ["waits for the upgrade to end"]
    assert perturber.problems == []


def test_a_run_stopped_during_the_wait_leaves_the_node_alone() -> None:
    window = UpgradeWindow()
    window.started.set()
    halt = threading.Event()
    perturber = Recording(window, halt)
    perturber.start()
    halt.set()
    perturber.join(JOIN_S)
    assert not perturber.is_alive() and not perturber.perturbed.is_set()
