"""One peer floods a validator's consensus channel while a 4-validator network runs.

Starts a 4-validator network of real ``depind start`` processes on 127.0.0.1 as
``bench_network.py`` does (a fresh network for every run, so each starts from the
same state) and offers ``--rate`` tx/s of pre-signed bank sends for ``--seconds``.
In a flood run the flooding peer of ``bench_flood_peer.py`` (a py-libp2p
``P2PNode`` in a process of its own, with its modes ``junk`` and ``far-round``)
connects to one validator, the victim, and from ``--warmup-s`` into the load on
sends it junk as frames on its consensus channel, at ``--flood-rate`` frames/s
(or as fast as they go) until a send fails: the victim banned and disconnected it.

A baseline run offers the same load without the flooder. Runs alternate (baseline,
junk, far-round; ``--repeat`` times), so the ratios compare runs on the same
machine state. Over the window from ``--warmup-s`` to ``--seconds`` the script
measures the victim's consensus WAL (data/cs.wal: the size of each height's segment
as it is rotated, and the folder's peak), its RSS (VmRSS sampled every 0.2 s: peak
and end) and CPU time (and the other validators'); the chain's block interval
(header times from another node's RPC: mean, p95, and the longest gap, the wait
after the last block included) and committed tx/s (the txs of those blocks over
their header times); and when the victim banned the flooder (its log says
``banning peer <id>``) and how many frames the flooder had sent before its first
failed send, the cut. A run in which the victim exits is reported as failed, with
the last error line of its log. ``bench_flood_report.py`` prints the tables.

    uv run python scripts/bench_flood.py --seconds 60 --rate 500 --flood-rate 10000

Target: the victim's WAL bytes per block, peak RSS and block interval within 10% of
the baseline, and the flooding peer banned.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from bench_common import BlockWatcher, latest_height, rpc, sender_keys, sign_sends, wait_height
from bench_flood_peer import FLOODS, Flooder, FloodReport, flooder_process
from bench_flood_report import HEADER, RunResult, report, row
from bench_network import (
    CHAIN_ID,
    START_TIMEOUT_S,
    VALIDATORS,
    Localnet,
    check_first_account_number,
    commit_round,
    header_time_s,
    process_cpu_seconds,
    running_localnet,
    split_by_node,
    submit_spread,
)

from consensus.tendermint.wal import CURRENT, PREVIOUS
from node.config import ConsensusSettings
from node.keys.hd import PrivateKey

BASELINE = "baseline"
SAMPLE_S = 0.2
DRAIN_S = 5.0  # after the window, for the last blocks to reach the watcher
BANNING = "banning peer "


# ---- the victim's resources ----------------------------------------------------------------


def process_rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc/<pid>/status (VmRSS, in KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def file_stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


class VictimSampler(threading.Thread):
    """Samples the victim every ``SAMPLE_S``: its RSS, the size of each height's WAL
    segment when ``end_height`` rotates it to previous.wal (a new file there), and the
    folder's size; until ``stopped``, ``limit_s``, or the victim's exit (``exited_at``)."""

    def __init__(self, process: subprocess.Popen[bytes], wal_dir: Path, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.process, self.wal_dir, self.limit_s = process, wal_dir, limit_s
        self.rss_kib: list[tuple[float, int]] = []  # (wall time, KiB)
        self.segments: list[tuple[float, int]] = []  # (wall time it was seen rotated, bytes)
        self.wal_bytes: list[tuple[float, int]] = []  # (wall time, bytes in the folder)
        self.exited_at: float | None = None
        self.stopped = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.limit_s
        rotated: int | None = None  # previous.wal's inode: a rotation replaces it
        while not self.stopped.is_set() and time.monotonic() < deadline:
            now = time.time()
            if self.process.poll() is not None:
                self.exited_at = now
                return
            self.rss_kib.append((now, process_rss_kib(self.process.pid)))
            previous, current = file_stat(self.wal_dir / PREVIOUS), file_stat(self.wal_dir / CURRENT)
            if previous is not None and previous.st_ino != rotated:
                if rotated is not None:
                    self.segments.append((now, previous.st_size))
                rotated = previous.st_ino
            sizes = (stat.st_size for stat in (previous, current) if stat is not None)
            self.wal_bytes.append((now, sum(sizes)))
            self.stopped.wait(SAMPLE_S)


# ---- one run -------------------------------------------------------------------------------


@dataclass
class Window:
    """The measured span, wall clock: from ``--warmup-s`` into the load to ``--seconds``,
    and the chain's heights then (from a node other than the victim, which may fall behind
    or stop)."""

    start: float
    end: float
    first: int
    last: int

    def holds(self, at: float) -> bool:
        return self.start <= at <= self.end


@dataclass
class Trace:
    """What a run recorded, before it is summarised."""

    load_average: tuple[float, float, float]
    window: Window
    sampler: VictimSampler
    blocks: dict[int, int]  # height -> our txs in it
    victim_cpu_s: float
    others_cpu_s: float  # the other validators' CPU time in the window, together
    victim_behind: int | None  # blocks behind the chain at the end; None if it does not answer
    load_error: str | None  # the load generator's failure, if it failed


def measure_run(mode: str, args: argparse.Namespace, keys: list[PrivateKey], txs: list[bytes]) -> RunResult:
    print(f"run {mode}", file=sys.stderr)
    with running_localnet(args, keys, ConsensusSettings()) as net:
        check_first_account_number(net, keys[0], VALIDATORS)
        wait_height(net.url(args.victim), 3, START_TIMEOUT_S)  # past the start, when peers connect
        flood: FloodReport | None = None
        with contextlib.ExitStack() as stack:
            flooder = stack.enter_context(start_flooder(mode, net, args)) if mode in FLOODS else None
            trace = offer_load(net, args, split_by_node(txs, len(keys), VALIDATORS), flooder)
            if flooder is not None:
                flood = flooder.report()
        result = summarise(mode, net, args.victim, trace)
        if flood is not None:
            record_flood(net, args.victim, result, flood)
    print(HEADER + "\n" + row(result), file=sys.stderr)
    return result


def start_flooder(
    mode: str, net: Localnet, args: argparse.Namespace
) -> contextlib.AbstractContextManager[Flooder]:
    """The flooder of ``mode`` against the victim; the far-round votes are signed with the
    key of the validator after it."""
    victim, signer = net.nodes[args.victim], net.nodes[(args.victim + 1) % VALIDATORS]
    return flooder_process(
        mode,
        victim.peer_addr,
        net.url(args.victim),
        signer.home.key_file,
        args.flood_rate,
        net.root / f"flooder-{mode}.log",
    )


def offer_load(
    net: Localnet, args: argparse.Namespace, shares: list[list[bytes]], flooder: Flooder | None
) -> Trace:
    """Offer the load; from ``--warmup-s`` on, flood (if ``flooder``) and measure."""
    load_average = os.getloadavg()
    victim, chain = net.processes[args.victim], net.url(watched_node(args.victim))
    watcher = BlockWatcher(net.ws_url(watched_node(args.victim)), sum(map(len, shares)), args.seconds + 60)
    sampler = VictimSampler(victim, net.nodes[args.victim].home.data_dir / "cs.wal", args.seconds + 60)
    watcher.start()
    watcher.ready.wait(10)
    sampler.start()
    begin = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        load = pool.submit(submit_spread, net, shares, args.batch, args.rate)
        time.sleep(max(0.0, begin + args.warmup_s - time.monotonic()))
        start, first = time.time(), chain_height(chain)
        cpu_before = cpu_seconds(net)
        if flooder is not None:
            flooder.go(args.seconds - args.warmup_s)
        time.sleep(max(0.0, begin + args.seconds - time.monotonic()))
        end, last = time.time(), chain_height(chain)
        alive = victim.poll() is None
        cpu = [after - before for after, before in zip(cpu_seconds(net), cpu_before, strict=True)]
        victim_height = latest_height(net.url(args.victim)) if alive else None
        sampler.stopped.set()
        try:
            load.result(timeout=60)
            load_error = None
        except httpx.HTTPError as exc:  # a node stopped answering
            load_error = f"{type(exc).__name__}: {exc}"
    time.sleep(DRAIN_S)
    watcher.stopped.set()
    watcher.join(10)
    sampler.join(10)
    return Trace(
        load_average,
        Window(start, end, first, last),
        sampler,
        {height: count for height, count, _ in watcher.blocks},
        cpu[args.victim],
        sum(cpu) - cpu[args.victim],
        None if victim_height is None else last - victim_height,
        load_error,
    )


def summarise(mode: str, net: Localnet, victim: int, trace: Trace) -> RunResult:
    """The run's figures: the chain's over the window from another node's RPC, the
    victim's own from the samples."""
    window, sampler, chain = trace.window, trace.sampler, net.url(watched_node(victim))
    heights = range(window.first, window.last + 1)
    times = [header_time_s(chain, height) for height in heights]
    committed = sum(trace.blocks.get(height, 0) for height in heights[1:])
    return RunResult(
        mode=mode,
        load=trace.load_average,
        interval_s=[b - a for a, b in itertools.pairwise(times)],
        longest_gap_s=max([b - a for a, b in itertools.pairwise(times)] + [window.end - times[-1]]),
        txs_per_s=committed / (times[-1] - times[0]) if len(times) > 1 else float("nan"),
        rounds_after_0=sum(1 for height in heights[1:] if commit_round(chain, height) > 0),
        wal_segments=[size for at, size in sampler.segments if window.holds(at)],
        wal_peak=max((size for at, size in sampler.wal_bytes if window.holds(at)), default=0),
        window_s=window.end - window.start,
        rss_kib=[kib for at, kib in sampler.rss_kib if window.holds(at)],
        victim_cpu_s=trace.victim_cpu_s,
        others_cpu_s=trace.others_cpu_s,
        victim_behind=trace.victim_behind,
        failure=failure(net, victim, trace),
    )


def failure(net: Localnet, victim: int, trace: Trace) -> str | None:
    """What went wrong in the run, if anything: the victim's exit (with its log's last
    error line) or the load generator's error."""
    code = net.processes[victim].poll()
    if code is None:
        return None if trace.load_error is None else f"load generator: {trace.load_error}"
    exited = trace.sampler.exited_at
    when = "" if exited is None else f" {exited - trace.window.start:.1f} s into the window"
    return f"the victim exited{when} (code {code}); its log: {last_error(net.nodes[victim].home.root)}"


def last_error(home: Path) -> str:
    errors = [
        line for line in (home / "node.log").read_text(errors="replace").splitlines() if " ERROR " in line
    ]
    return errors[-1] if errors else "no ERROR line"


def chain_height(url: str, attempts: int = 10) -> int:
    """The chain's latest height from ``url``, asking again while a busy node does not answer."""
    for _ in range(attempts):
        height = latest_height(url)
        if height is not None:
            return height
    raise RuntimeError(f"{url} did not tell its height in {attempts} attempts")


def cpu_seconds(net: Localnet) -> list[float]:
    """Each node's CPU time so far; NaN for one that has exited."""
    return [cpu_seconds_of(process) for process in net.processes]


def cpu_seconds_of(process: subprocess.Popen[bytes]) -> float:
    try:
        return process_cpu_seconds(process.pid) if process.poll() is None else float("nan")
    except FileNotFoundError:  # it exited just now
        return float("nan")


def watched_node(victim: int) -> int:
    """Another node's WebSocket gives the tx counts, so the victim serves no subscription."""
    return (victim + 2) % VALIDATORS


def record_flood(net: Localnet, victim: int, result: RunResult, flood: FloodReport) -> None:
    """The flooder's report; when the victim logged its ban, which other validators banned
    it too, and whether it is still connected."""
    result.flood = flood
    result.banned_at = ban_time(net.nodes[victim].home.root / "node.log", flood.peer_id)
    result.banned_by_others = [
        index
        for index, node in enumerate(net.nodes)
        if index != victim and ban_time(node.home.root / "node.log", flood.peer_id) is not None
    ]
    if net.processes[victim].poll() is None:
        peers = {peer["node_info"]["id"] for peer in rpc(net.url(victim), "net_info")["peers"]}
        result.connected_at_end = flood.peer_id in peers


def ban_time(log: Path, peer: str) -> float | None:
    """The time of the first ``banning peer <peer>`` line in a node's log."""
    with log.open(errors="replace") as lines:
        for line in lines:
            if BANNING + peer in line:
                return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return None


# ---- main ----------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> None:
    if not 0 <= args.victim < VALIDATORS:
        raise SystemExit(f"--victim must be 0 to {VALIDATORS - 1}")
    if not 0 < args.warmup_s < args.seconds:
        raise SystemExit("--warmup-s must be above 0 and below --seconds")
    keys = sender_keys(args.accounts)
    began = time.monotonic()
    txs = sign_sends(keys, int(args.rate * args.seconds), CHAIN_ID, first_account_number=VALIDATORS)
    print(f"signed {len(txs)} txs in {time.monotonic() - began:.1f} s", file=sys.stderr)
    results = []
    for _ in range(args.repeat):
        for mode in (BASELINE, *args.modes):
            results.append(measure_run(mode, args, keys, txs))
    report(results, args)


def bench_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="load per run, s")
    parser.add_argument("--rate", type=float, default=500.0, help="offered load, tx/s")
    parser.add_argument("--flood-rate", type=float, default=10_000.0, help="flood frames/s (at most)")
    parser.add_argument("--warmup-s", type=float, default=5.0, help="the flood and the window start here")
    parser.add_argument("--repeat", type=int, default=1, help="times to run the baseline and each flood")
    parser.add_argument("--modes", nargs="+", choices=FLOODS, default=list(FLOODS))
    parser.add_argument("--victim", type=int, default=1, help="index of the flooded validator")
    parser.add_argument("--accounts", type=int, default=100, help="funded senders (a multiple of 4)")
    parser.add_argument("--batch", type=int, default=100, help="txs per JSON-RPC batch request")
    parser.add_argument("--keep", action="store_true", help="keep the homes and logs")
    return parser


def main() -> None:
    # SIGTERM unwinds like Ctrl-C, so the nodes and the flooder are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    measure(bench_parser().parse_args())


if __name__ == "__main__":
    main()
