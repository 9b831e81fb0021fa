"""Each node on a host of its own: a Linux network namespace per node, the namespaces joined by
veth pairs on one bridge, links shaped by netem.py and cut by iptables.

    root namespace   bridge dp<tag>br, 10.213.S.1/24: the runner reaches every node here
    node k           namespace depind-<tag>-<name>: lo, and eth0 10.213.S.(k+2)/24
                     iptables INPUT:  -j depind-cut
                     iptables OUTPUT: -j depind-cut, then -o eth0 -j NFQUEUE (a shaped link)
                     depind-cut: DROP to and from every host this one is cut off from

Every packet a node sends to another crosses two links, its own eth0 and the bridge, and is
shaped once, on leaving its host, as ``tc netem`` on each host's interface would shape it.
A cut drops packets both ways, so connections stall as across a real partition rather than
being refused. The bridge skips the root namespace's iptables (``nf_call_iptables 0``), so
no host firewall rule decides what crosses it.

``unavailable`` says why namespaces cannot be made here (they need root, iproute2 and
iptables); ``Hosts`` makes them, ``close`` removes everything it made. ``<tag>`` comes from
this process's id and a count of the ``Hosts`` it made, so two runs on one machine do not
meet, nor does one with what the last left for the kernel to remove.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from tests.e2e.harness import REPO_ROOT, NodeFailure
from tests.runner.netem import Shape

COMMAND_TIMEOUT_S = 30.0
SHAPER_READY_S = 30.0
SHAPER_STOP_S = 10.0
SHAPER_QUEUE = 0
SHAPER_MARGIN_S = 3600.0  # a shaper outlives its run by at most this long if the runner dies
CUT_CHAIN = "depind-cut"
PREFIX = 24
TOOLS = ("ip", "iptables", "iptables-restore")
_made_here = itertools.count()


def unavailable() -> str | None:
    """Why namespaces cannot be made on this machine, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed (apt: iproute2, iptables)"
    probe = f"depind-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    try:  # the firewall a host gets: a chain of its own, and NFQUEUE for the link shaper
        rules = [
            "*filter",
            f":{CUT_CHAIN} - [0:0]",
            f"-A OUTPUT -o lo -j NFQUEUE --queue-num {SHAPER_QUEUE}",
            "COMMIT",
            "",
        ]
        restore = ["ip", "netns", "exec", probe, "iptables-restore", "--noflush"]
        done = subprocess.run(restore, input="\n".join(rules), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"iptables in a network namespace failed: {done.stderr.strip()}"
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return None


def ip_command(*args: str) -> None:
    run_command(["ip", *args])


def run_command(command: Sequence[str], stdin: str | None = None) -> str:
    done = subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise NodeFailure(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


class Hosts:
    """A namespace for each of ``names`` under one bridge; every link shaped as ``shape``
    when one is given, for at most ``seconds``. ``work`` keeps the shapers' logs and stats."""

    def __init__(
        self, names: Sequence[str], work: Path, shape: Shape | None, seconds: float, seed: int
    ) -> None:
        serial = os.getpid() * 64 + next(_made_here)
        tag = f"{serial % 0x10000:04x}"
        subnet = serial % 250 + 1
        self.work = work
        self.bridge = f"dp{tag}br"
        self.gateway = f"10.213.{subnet}.1"
        self.namespaces = {name: f"depind-{tag}-{name}" for name in names}
        self.addresses = {name: f"10.213.{subnet}.{k + 2}" for k, name in enumerate(names)}
        self.shape = shape
        self.shapers: dict[str, subprocess.Popen[bytes]] = {}
        self._partition: set[frozenset[str]] = set()
        self._isolated: set[str] = set()
        self._lock = threading.Lock()
        self._made: list[list[str]] = []  # what close() deletes, newest first
        work.mkdir(parents=True, exist_ok=True)
        try:
            self.make_bridge()
            for k, name in enumerate(names):
                self.make_host(name, f"dp{tag}v{k}")
            if shape is not None:
                for k, name in enumerate(names):
                    self.start_shaper(name, shape, seconds + SHAPER_MARGIN_S, seed * 100 + k)
        except BaseException:
            self.close()
            raise

    # -- building ------------------------------------------------------------------------

    def make_bridge(self) -> None:
        ip_command("link", "add", self.bridge, "type", "bridge", "nf_call_iptables", "0")
        self._made.insert(0, ["link", "del", self.bridge])
        ip_command("addr", "add", f"{self.gateway}/{PREFIX}", "dev", self.bridge)
        ip_command("link", "set", self.bridge, "up")

    def make_host(self, name: str, veth: str) -> None:
        namespace = self.namespaces[name]
        ip_command("netns", "add", namespace)
        self._made.insert(0, ["netns", "del", namespace])  # deleting it deletes its end of the pair
        ip_command("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        self._made.insert(0, ["link", "del", veth])  # at once: the namespace's removal is lazy
        ip_command("link", "set", veth, "master", self.bridge)
        ip_command("link", "set", veth, "up")
        inside = ["-n", namespace]
        ip_command(*inside, "addr", "add", f"{self.addresses[name]}/{PREFIX}", "dev", "eth0")
        ip_command(*inside, "link", "set", "eth0", "up")
        ip_command(*inside, "link", "set", "lo", "up")
        rules = [f":{CUT_CHAIN} - [0:0]", f"-A INPUT -j {CUT_CHAIN}", f"-A OUTPUT -j {CUT_CHAIN}"]
        if self.shape is not None:
            rules.append(f"-A OUTPUT -o eth0 -j NFQUEUE --queue-num {SHAPER_QUEUE}")
        self.restore(name, rules)

    def start_shaper(self, name: str, shape: Shape, seconds: float, seed: int) -> None:
        """netem.py in ``name``'s namespace, once it has bound the queue (packets sent before
        that wait in the kernel's queue for it)."""
        log = self.work / f"shaper-{name}.log"
        command = [
            *self.prefix(name),
            *(sys.executable, "-m", "tests.runner.netem", "--queue", str(SHAPER_QUEUE)),
            *("--delay-ms", str(shape.delay_ms), "--jitter-ms", str(shape.jitter_ms)),
            *("--loss-pct", str(shape.loss_pct), "--seed", str(seed), "--seconds", str(seconds)),
            *("--stats", str(self.stats_path(name))),
        ]
        with log.open("wb") as out:
            self.shapers[name] = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + SHAPER_READY_S
        while "shaping queue" not in log.read_text():
            if self.shapers[name].poll() is not None or time.monotonic() > deadline:
                raise NodeFailure(f"the link shaper of {name} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)

    # -- what nodes use --------------------------------------------------------------------

    def prefix(self, name: str) -> list[str]:
        """What runs a command on ``name``'s host."""
        return ["ip", "netns", "exec", self.namespaces[name]]

    def address(self, name: str) -> str:
        return self.addresses[name]

    # -- cuts -------------------------------------------------------------------------------

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        """Cut every link between two of ``groups``."""
        with self._lock:
            self._partition = {
                frozenset((a, b))
                for one, other in itertools.combinations(groups, 2)
                for a in one
                for b in other
            }
            self.apply()

    def heal(self) -> None:
        """End the partition (isolated nodes stay isolated)."""
        with self._lock:
            self._partition = set()
            self.apply()

    def isolate(self, name: str) -> None:
        """Cut every link to and from ``name``."""
        with self._lock:
            self._isolated.add(name)
            self.apply()

    def rejoin(self, name: str) -> None:
        with self._lock:
            self._isolated.discard(name)
            self.apply()

    def cut_pairs(self) -> set[frozenset[str]]:
        isolated = {frozenset((a, b)) for a in self._isolated for b in self.namespaces if a != b}
        return self._partition | isolated

    def apply(self) -> None:
        """Each host's cut chain, rewritten whole (iptables-restore: at once)."""
        cut = self.cut_pairs()
        for name in self.namespaces:
            peers = sorted(other for pair in cut if name in pair for other in pair - {name})
            drops = [
                f"-A {CUT_CHAIN} {way} {self.addresses[peer]}/32 -j DROP"
                for peer in peers
                for way in ("-s", "-d")
            ]
            self.restore(name, [f":{CUT_CHAIN} - [0:0]", *drops])  # declaring the chain empties it

    def restore(self, name: str, rules: Iterable[str]) -> None:
        text = "\n".join(["*filter", *rules, "COMMIT", ""])
        run_command([*self.prefix(name), "iptables-restore", "--noflush"], stdin=text)

    # -- the end ----------------------------------------------------------------------------

    def stats_path(self, name: str) -> Path:
        return self.work / f"shaper-{name}.json"

    def shaper_problems(self) -> list[str]:
        """Shapers that stopped before the end: their links carried nothing after."""
        return [
            f"the link shaper of {name} exited with {shaper.returncode} during the run"
            for name, shaper in self.shapers.items()
            if shaper.poll() is not None
        ]

    def shaper_stats(self) -> dict[str, dict[str, float]]:
        """What each shaper did, read once they have stopped (``close``)."""
        stats = {}
        for name in self.shapers:
            path = self.stats_path(name)
            if path.exists():
                stats[name] = json.loads(path.read_text())
        return stats

    def close(self) -> None:
        """Stop the shapers, then delete the namespaces and the bridge; each step is tried
        even if another fails."""
        for shaper in self.shapers.values():
            if shaper.poll() is None:
                shaper.terminate()
        for shaper in self.shapers.values():
            try:
                shaper.wait(SHAPER_STOP_S)
            except subprocess.TimeoutExpired:
                shaper.kill()
                shaper.wait()
        for command in self._made:
            with contextlib.suppress(NodeFailure, subprocess.TimeoutExpired):
                ip_command(*command)
        self._made = []
