"""The perturbation scheduler: one thread per ``[[perturbation]]``, which waits for its
moment, breaks its node, waits ``duration_s`` and mends it.

- ``kill``: SIGKILL, then a start from the node's home (it replays its WAL and catches up);
- ``pause``: SIGSTOP, then SIGCONT (the process sleeps with its sockets open);
- ``restart``: SIGTERM (a clean stop must exit 0), then a start;
- ``disconnect``: every p2p link of the node cut (at its proxies, or by its host's
  firewall), then healed;
- ``double-sign``: SIGTERM, a start as tests/e2e/maverick.py's double-signer for
  ``duration_s``, then a start as itself;
- ``upgrade``: upgrade.py, over the whole network;
- ``partition``: the hosts' firewalls drop every packet between two groups, then heal.

A perturbation of a node due while the upgrade is under way waits for it to end: the
upgrade stops and starts every node, and on slow blocks it may take longer than its
``duration_s``. Each step goes on the ``Timeline`` with the chain's height at the time. A
step that fails (a node that does not come back) is kept as the perturbation's ``problem``
for the report.
SIGCONT and the rejoin always run; a stopped node is started again unless the run is being
stopped. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.e2e.harness import NodeFailure
from tests.e2e.maverick import DOUBLE_SIGN, maverick_command
from tests.runner import upgrade
from tests.runner.manifest import PerturbationSpec
from tests.runner.testbed import START_TIMEOUT_S, Member, Testbed

POLL_S = 1.0  # how often a perturbation waiting for the upgrade looks again


@dataclass(frozen=True)
class Happening:
    at_s: float  # after the load started
    node: str
    what: str
    height: int  # the chain's height then, as the follower had read it


class Timeline:
    def __init__(self, started: float, height: Callable[[], int]) -> None:
        self.started = started
        self._height = height
        self._entries: list[Happening] = []
        self._lock = threading.Lock()

    def note(self, node: str, what: str) -> None:
        happening = Happening(round(time.monotonic() - self.started, 1), node, what, self._height())
        with self._lock:
            self._entries.append(happening)

    def entries(self) -> list[Happening]:
        with self._lock:
            return sorted(self._entries, key=lambda h: h.at_s)


@dataclass
class UpgradeWindow:
    """Set when the network's upgrade starts, and when it has ended (well or not)."""

    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def under_way(self) -> bool:
        return self.started.is_set() and not self.ended.is_set()


class Perturber(threading.Thread):
    def __init__(
        self,
        spec: PerturbationSpec,
        testbed: Testbed,
        timeline: Timeline,
        halt: threading.Event,
        upgrade_window: UpgradeWindow,
    ) -> None:
        super().__init__(name=f"runner-{spec.kind}-{spec.node or 'network'}", daemon=True)
        self.spec = spec
        self.testbed = testbed
        self.timeline = timeline
        self.halt = halt
        self.upgrade_window = upgrade_window
        self.problems: list[str] = []
        self.upgraded: tuple[str, int] | None = None  # (name, height) once an upgrade is planned

    def run(self) -> None:
        if self.halt.wait(max(self.timeline.started + self.spec.at_s - time.monotonic(), 0)):
            return
        try:
            if self.spec.node and self.upgrade_window.under_way():
                self.note("waits for the upgrade to end")
                if self.wait_for_upgrade():
                    return
            self.perturb()
        except Exception as error:  # kept for the report; the run goes on
            self.problems.append(f"{self.spec.describe()}: {error}")

    def wait_for_upgrade(self) -> bool:
        """Wait until the upgrade ends; whether the run was stopped first."""
        while not self.upgrade_window.ended.wait(POLL_S):
            if self.halt.is_set():
                return True
        return self.halt.is_set()

    def perturb(self) -> None:
        spec = self.spec
        if spec.kind == "upgrade":
            self.run_upgrade()
            return
        if spec.kind == "partition":
            self.partition()
            return
        member = self.testbed.member(spec.node)
        if spec.kind == "kill":
            member.process.kill9()
            self.note("killed (SIGKILL)")
            self.halt.wait(spec.duration_s)
            self.start_again(member)
        elif spec.kind == "pause":
            self.pause(member)
        elif spec.kind == "restart":
            code = member.process.stop()
            self.note(f"stopped (SIGTERM), exit code {code}")
            if code != 0:
                self.problems.append(f"{spec.describe()}: SIGTERM ended the node with exit code {code}")
            self.halt.wait(spec.duration_s)
            self.start_again(member)
        elif spec.kind == "double-sign":
            self.double_sign(member)
        elif spec.kind == "disconnect":
            links = self.testbed.links
            links.isolate(member.name)
            self.note("disconnected (every p2p link cut)")
            try:
                self.halt.wait(spec.duration_s)
            finally:
                links.rejoin(member.name)
                self.note("reconnected")

    def partition(self) -> None:
        hosts = self.testbed.hosts
        assert hosts is not None  # a manifest partitions only namespaces
        hosts.partition(self.spec.groups)
        self.note("partitioned: " + " | ".join(", ".join(group) for group in self.spec.groups))
        try:
            self.halt.wait(self.spec.duration_s)
        finally:
            hosts.heal()
            self.note("healed")

    def double_sign(self, member: Member) -> None:
        process = member.process
        honest = process.command
        code = process.stop()
        self.note(f"stopped (SIGTERM), exit code {code}")
        process.command = [
            *self.testbed.prefix(member.name),
            *maverick_command(process.home.root, DOUBLE_SIGN),
        ]
        try:
            if self.halt.is_set():
                return
            process.launch()
            process.wait_started(timeout=START_TIMEOUT_S)
            self.note("started as a double-signer (a conflicting prevote after each of its own)")
            self.halt.wait(self.spec.duration_s)
            code = process.stop()
            self.note(f"stopped (SIGTERM), exit code {code}")
        finally:
            process.command = honest
        self.start_again(member)

    def pause(self, member: Member) -> None:
        process = member.process.process
        assert process is not None
        os.kill(process.pid, signal.SIGSTOP)
        self.note("paused (SIGSTOP)")
        try:
            self.halt.wait(self.spec.duration_s)
        finally:
            os.kill(process.pid, signal.SIGCONT)
            self.note("resumed (SIGCONT)")

    def start_again(self, member: Member) -> None:
        if self.halt.is_set():
            return
        member.process.launch()
        member.process.wait_started(timeout=START_TIMEOUT_S)
        self.note("started again")

    def run_upgrade(self) -> None:
        self.upgrade_window.started.set()
        try:
            self.propose_vote_and_restart()
        finally:
            self.upgrade_window.ended.set()

    def propose_vote_and_restart(self) -> None:
        deadline = time.monotonic() + self.spec.duration_s
        name, height, proposal = upgrade.propose(self.testbed, deadline)
        self.upgraded = (name, height)
        self.note(f"upgrade {name} proposed for height {height}")
        try:
            upgrade.vote_yes(self.testbed, proposal, deadline)
        except (NodeFailure, httpx.HTTPError) as error:  # the votes in may pass it: nodes would stop
            self.problems.append(f"{self.spec.describe()}: {error}")
        else:
            self.note("every validator voted yes")
        upgrade.halt_and_restart(self.testbed, height, self.spec.duration_s)
        self.note(f"every node stopped at height {height} and started as {name}")

    def note(self, what: str) -> None:
        self.timeline.note(self.spec.node or "network", what)
