"""One peer floods a validator with consensus gossip while a 4-validator network runs.

Starts a 4-validator network of real ``depind start`` processes on 127.0.0.1 as
``bench_network.py`` does (a fresh network for every run, so each starts from the
same state) and offers ``--rate`` tx/s of pre-signed bank sends for ``--seconds``.
In a flood run a flooding peer, a py-libp2p ``P2PNode`` with a NodeKey of its own
in a process of its own (so that it does not share the benchmark's GIL), dials
one validator, the victim, as a persistent peer and, from ``--warmup-s`` into the
load on, publishes on the consensus topic at ``--flood-rate`` messages/s (or as
fast as it can) while the victim is in its gossip mesh:

junk       well-formed gossip encodings of precommits for the victim's current height
           (from its RPC) that name a validator and carry a bad signature,
           alternating with undecodable bytes
far-round  prevotes for ever higher rounds (from round 100 on) of the current height,
           correctly signed with one validator's key (read from its home's
           config/priv_validator_key.json)

A baseline run offers the same load without the flooder. Runs alternate (baseline,
junk, far-round; ``--repeat`` times), so the ratios compare runs on the same
machine state. Over the window from ``--warmup-s`` to ``--seconds`` the script
measures the victim's consensus WAL (data/cs.wal: the size of each height's segment
as it is rotated, and the folder's peak), its RSS (VmRSS sampled every 0.2 s: peak
and end) and CPU time (and the other validators'); the chain's block interval
(header times from another node's RPC: mean, p95, and the longest gap, the wait
after the last block included) and committed tx/s (the txs of those blocks over
their header times); and when the victim banned the flooder (its log says
``banning peer <id>``) and how many messages the flooder had published before the
victim dropped it from its mesh. A run in which the victim exits is reported as
failed, with the last error line of its log.

    uv run python scripts/bench_flood.py --seconds 60 --rate 500 --flood-rate 10000

Target: the victim's WAL bytes per block, peak RSS and block interval within 10% of
the baseline, and the flooding peer banned.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import logging
import os
import resource
import select
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import msgspec
import trio
from bench_common import (
    REPO_ROOT,
    BlockWatcher,
    free_port,
    latest_height,
    percentile,
    rpc,
    sender_keys,
    sign_sends,
    wait_height,
)
from bench_network import (
    CHAIN_ID,
    START_TIMEOUT_S,
    VALIDATORS,
    Localnet,
    check_first_account_number,
    commit_round,
    header_time_s,
    print_setup,
    process_cpu_seconds,
    running_localnet,
    split_by_node,
    submit_spread,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consensus import privval
from consensus.tendermint.messages import VoteMsg
from consensus.tendermint.wal import CURRENT, PREVIOUS
from consensus.tendermint.wire import encode_gossip
from consensus.types import ZERO_BLOCK_ID, Vote, VoteType
from consensus.validators import address_of
from node.config import ConsensusSettings
from node.keys.hd import PrivateKey
from node.p2p.config import TOPIC_CONSENSUS, P2PConfig, PeerId, parse_peer_addr
from node.p2p.host import Message, P2PNode, adopt_libp2p_logging
from node.p2p.keys import NodeKey

BASELINE, JUNK, FAR_ROUND = "baseline", "junk", "far-round"
FLOODS = (JUNK, FAR_ROUND)
FAR_ROUND_START = 100  # far past any round a 1 s network reaches
JUNK_ROUND = 1  # the round after the first: in the window, and no validator has voted in it
UNDECODABLE = b"\xc1not msgpack"  # 0xc1 is never used in MessagePack
BURST = 50  # messages published between checks of the mesh and of the pace
MESH_POLL_S = 0.05
HEIGHT_POLL_S = 0.2
SAMPLE_S = 0.2
READY_TIMEOUT_S = 60.0  # the flooder's start: import, listen, dial, join the victim's mesh
GO_TIMEOUT_S = 600.0  # the flooder waits this long at most for the word to start
REPORT_TIMEOUT_S = 30.0
DRAIN_S = 5.0  # after the window, for the last blocks to reach the watcher
BANNING = "banning peer "


# ---- the flooding peer (a process of its own) ----------------------------------------------


@dataclass
class FloodReport:
    """What the flooder did, in wall-clock seconds since the epoch."""

    peer_id: str
    mode: str
    go_at: float = 0.0
    ended_at: float = 0.0
    published: int = 0  # in all, all while the victim was in the flooder's mesh
    cut_at: float | None = None  # when the victim first left the mesh after the flood began
    published_before_cut: int = 0  # all of them if it never left
    rejoined: int = 0  # times the victim was back in the mesh after a cut
    received: int = 0  # consensus gossip the victim sent the flooder
    cpu_s: float = 0.0

    @property
    def rate_before_cut(self) -> float:
        """Messages per second from the start until the cut (or the end)."""
        until = self.ended_at if self.cut_at is None else self.cut_at
        return self.published_before_cut / (until - self.go_at) if until > self.go_at else float("nan")


@dataclass
class Forger:
    """Makes the flood's messages for a height: ``mode`` junk or far-round votes of the
    validator ``address`` (at ``index`` in the set), signed with ``key`` for far-round."""

    mode: str
    chain_id: str
    address: bytes
    index: int
    key: Ed25519PrivateKey
    count: int = 0

    def next(self, height: int) -> bytes:
        self.count += 1
        if self.mode == FAR_ROUND:
            return encode_gossip(VoteMsg(self._far_round_vote(height)))
        if self.count % 2:
            return UNDECODABLE + self.count.to_bytes(8, "big")
        return encode_gossip(VoteMsg(self._badly_signed_vote(height)))

    def _far_round_vote(self, height: int) -> Vote:
        round_ = FAR_ROUND_START + self.count
        vote = Vote(
            VoteType.PREVOTE, height, round_, ZERO_BLOCK_ID, time.time_ns(), self.address, self.index, b""
        )
        return msgspec.structs.replace(vote, signature=self.key.sign(vote.sign_bytes(self.chain_id)))

    def _badly_signed_vote(self, height: int) -> Vote:
        # 64 bytes that differ per message, so no verdict cache spares the victim the check.
        signature = hashlib.sha512(self.count.to_bytes(8, "big")).digest()
        return Vote(
            VoteType.PRECOMMIT,
            height,
            JUNK_ROUND,
            ZERO_BLOCK_ID,
            self.count,
            self.address,
            self.index,
            signature,
        )


def make_forger(mode: str, rpc_url: str, key_file: Path) -> Forger:
    """A forger for the validator whose key is in ``key_file``, at its index in the
    victim's current validator set."""
    secret = privval.read_key_file(key_file)
    address = address_of(privval.public_key(secret))
    listed = [bytes.fromhex(v["address"]) for v in rpc(rpc_url, "validators")["validators"]]
    if address not in listed:
        raise SystemExit(f"{address.hex()} (from {key_file}) is not in the victim's validator set")
    chain_id = str(rpc(rpc_url, "status")["node_info"]["network"])
    return Forger(
        mode, chain_id, address, listed.index(address), Ed25519PrivateKey.from_private_bytes(secret)
    )


@dataclass
class Height:
    """The victim's current height (its latest block + 1), kept fresh by ``follow_height``."""

    current: int


async def follow_height(url: str, height: Height) -> None:
    while True:
        latest = await trio.to_thread.run_sync(latest_height, url)
        if latest is not None:
            height.current = latest + 1
        await trio.sleep(HEIGHT_POLL_S)


async def drain(channel: trio.MemoryReceiveChannel[Message], report: FloodReport) -> None:
    async for _ in channel:
        report.received += 1


async def read_line(stream: trio.lowlevel.FdStream) -> str:
    """One line from ``stream``; what came before the end if it ends without one."""
    data = b""
    async with stream:
        while not data.endswith(b"\n") and (chunk := await stream.receive_some(1024)):
            data += chunk
    return data.decode()


async def run_flooder(args: argparse.Namespace) -> None:
    """Join the victim's mesh, say ``ready``, flood for the seconds in the ``go`` line on
    stdin, then print the report as one JSON line."""
    victim = parse_peer_addr(args.peer)
    forger = make_forger(args.mode, args.rpc, Path(args.key_file))
    key = NodeKey.generate()
    config = P2PConfig(listen_addr=f"/ip4/127.0.0.1/tcp/{free_port()}", persistent_peers=(args.peer,))
    node = P2PNode(config, key)
    report = FloodReport(key.peer_id, args.mode)
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        nursery.start_soon(drain, await node.subscribe(TOPIC_CONSENSUS), report)
        with trio.fail_after(READY_TIMEOUT_S):
            await node.wait_for_mesh_peer(TOPIC_CONSENSUS, victim.peer_id)
        height = Height((latest_height(args.rpc) or 0) + 1)
        nursery.start_soon(follow_height, args.rpc, height)
        print(f"ready {key.peer_id}", flush=True)
        with trio.fail_after(GO_TIMEOUT_S):
            line = await read_line(trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())))
        if line.startswith("go "):
            await flood(node, victim.peer_id, forger, height, args.rate, float(line.split()[1]), report)
            report.ended_at = time.time()
            if report.cut_at is None:
                report.published_before_cut = report.published
        nursery.cancel_scope.cancel()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report.cpu_s = usage.ru_utime + usage.ru_stime
    print(json.dumps(asdict(report)), flush=True)


async def flood(
    node: P2PNode,
    victim: PeerId,
    forger: Forger,
    height: Height,
    rate: float,
    seconds: float,
    report: FloodReport,
) -> None:
    """Publish at ``rate`` messages/s for ``seconds``, in bursts, while the victim is in the
    mesh; publishing to nobody would only take CPU from the network on a shared machine."""
    report.go_at = time.time()
    end = trio.current_time() + seconds
    due = trio.current_time()
    while trio.current_time() < end:
        if victim not in node.topic_peers(TOPIC_CONSENSUS):
            if report.cut_at is None:
                report.cut_at, report.published_before_cut = time.time(), report.published
            if not await wait_for_mesh(node, victim, end):
                return
            report.rejoined += 1
            due = trio.current_time()
        for _ in range(BURST):
            await node.publish(TOPIC_CONSENSUS, forger.next(height.current))
        report.published += BURST
        due += BURST / rate
        await trio.sleep(max(0.0, due - trio.current_time()))


async def wait_for_mesh(node: P2PNode, victim: PeerId, end: float) -> bool:
    """Wait until the victim is back in the mesh; False if ``end`` comes first."""
    while trio.current_time() < end:
        if victim in node.topic_peers(TOPIC_CONSENSUS):
            return True
        await trio.sleep(MESH_POLL_S)
    return False


class Flooder:
    """The flooder's process, seen from the benchmark."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        if process.stdin is None or process.stdout is None:
            raise ValueError("the flooder's stdin and stdout must be pipes")
        self.process = process
        self.stdin, self.stdout = process.stdin, process.stdout
        self.peer_id = ""

    def wait_ready(self) -> None:
        """Wait for ``ready <peer id>``: the flooder is in the victim's mesh."""
        said = self._read_line(READY_TIMEOUT_S).split()
        if len(said) != 2 or said[0] != "ready":
            raise RuntimeError(f"the flooder did not start (it said {said}); see its log")
        self.peer_id = said[1]

    def go(self, seconds: float) -> None:
        self.stdin.write(f"go {seconds}\n")
        self.stdin.flush()

    def report(self) -> FloodReport:
        fields = json.loads(self._read_line(REPORT_TIMEOUT_S))
        return FloodReport(**fields)

    def _read_line(self, timeout_s: float) -> str:
        ready, _, _ = select.select([self.stdout], [], [], timeout_s)
        if not ready:
            raise RuntimeError(f"no word from the flooder in {timeout_s:.0f} s")
        return self.stdout.readline()


@contextlib.contextmanager
def flooder_process(mode: str, net: Localnet, args: argparse.Namespace) -> Iterator[Flooder]:
    """The flooder of ``mode`` against the victim, joined to its mesh; stopped on the way out."""
    victim = net.nodes[args.victim]
    signer = net.nodes[(args.victim + 1) % VALIDATORS]  # whose key signs the far-round votes
    command = [sys.executable, str(Path(__file__).resolve()), "flooder", "--peer", victim.peer_addr]
    command += ["--rpc", net.url(args.victim), "--mode", mode, "--key-file", str(signer.home.key_file)]
    command += ["--rate", str(args.flood_rate)]
    with (net.root / f"flooder-{mode}.log").open("ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=REPO_ROOT, text=True
        )
        try:
            flooder = Flooder(process)
            flooder.wait_ready()
            yield flooder
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)


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


def measure_run(mode: str, args: argparse.Namespace, keys: list[PrivateKey], txs: list[bytes]) -> RunResult:
    print(f"run {mode}", file=sys.stderr)
    with running_localnet(args, keys, ConsensusSettings()) as net:
        check_first_account_number(net, keys[0], VALIDATORS)
        wait_height(net.url(args.victim), 3, START_TIMEOUT_S)  # past the start, when peers connect
        flood: FloodReport | None = None
        with contextlib.ExitStack() as stack:
            flooder = stack.enter_context(flooder_process(mode, net, args)) if mode in FLOODS else None
            trace = offer_load(net, args, split_by_node(txs, len(keys), VALIDATORS), flooder)
            if flooder is not None:
                flood = flooder.report()
        result = summarise(mode, net, args.victim, trace)
        if flood is not None:
            record_flood(net, args.victim, result, flood)
    print(HEADER + "\n" + row(result), file=sys.stderr)
    return result


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


# ---- the report ----------------------------------------------------------------------------


COLUMNS = ["run", "load avg", "sent to the cut", "msg/s", "banned after s", "others banned it"]
COLUMNS += ["WAL B/block", "WAL KiB/s", "WAL peak KiB", "RSS start MiB", "RSS peak MiB", "RSS end MiB"]
COLUMNS += [
    "blocks",
    "interval mean s",
    "p95 s",
    "longest gap s",
    "tx/s",
    "round > 0",
    "victim CPU s",
    "others' CPU s",
    "victim behind",
]
HEADER = "| " + " | ".join(COLUMNS) + " |\n|---|" + "---:|" * (len(COLUMNS) - 1)


def report(results: list[RunResult], args: argparse.Namespace) -> None:
    print_setup(
        f"{args.rate:.0f} tx/s of bank sends for {args.seconds:.0f} s, a fresh network per run; "
        f"measured from {args.warmup_s:.0f} s to {args.seconds:.0f} s; victim node{args.victim}; "
        f"flood at up to {args.flood_rate:,.0f} messages/s from {args.warmup_s:.0f} s"
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
        cells += [f"{flood.published_before_cut:,}", f"{flood.rate_before_cut:,.0f}", banned, others]
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
        ratios = {name: get(result) / base[name] for name, get in FIGURES.items()}
        held = all(abs(ratios[name] - 1) <= 0.10 for name in ("WAL B/block", "RSS peak", "interval mean"))
        cells = [f"{ratio:.3f}" for ratio in ratios.values()]
        banned = "yes" if result.banned_at is not None and not result.connected_at_end else "no"
        print(f"| {result.mode} | " + " | ".join(cells) + f" | {'yes' if held else 'no'} | {banned} |")
    spread = []
    for name, get in FIGURES.items():
        values = [get(r) / base[name] for r in baselines]
        spread.append(f"{name} {min(values):.3f}..{max(values):.3f}")
    print(f"\nbaselines against their own mean: {'; '.join(spread)}")


def print_flooders(results: list[RunResult]) -> None:
    for result in results:
        flood = result.flood
        if flood is None:
            continue
        cut = "never" if flood.cut_at is None else f"{flood.cut_at - flood.go_at:.2f} s"
        print(
            f"\n{result.mode} flooder {flood.peer_id}: {flood.published:,} messages published in all "
            f"({flood.published_before_cut:,} before the victim left its mesh after {cut}); back in the "
            f"mesh {flood.rejoined} times; {flood.received:,} gossip messages received from the victim; "
            f"{flood.cpu_s:.1f} CPU s; connected to the victim at the end: "
            f"{'yes' if result.connected_at_end else 'no'}"
        )


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
    parser.add_argument("--flood-rate", type=float, default=10_000.0, help="flood messages/s (at most)")
    parser.add_argument("--warmup-s", type=float, default=5.0, help="the flood and the window start here")
    parser.add_argument("--repeat", type=int, default=1, help="times to run the baseline and each flood")
    parser.add_argument("--modes", nargs="+", choices=FLOODS, default=list(FLOODS))
    parser.add_argument("--victim", type=int, default=1, help="index of the flooded validator")
    parser.add_argument("--accounts", type=int, default=100, help="funded senders (a multiple of 4)")
    parser.add_argument("--batch", type=int, default=100, help="txs per JSON-RPC batch request")
    parser.add_argument("--keep", action="store_true", help="keep the homes and logs")
    return parser


def flooder_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench_flood.py flooder", description="the flooding peer")
    parser.add_argument("--peer", required=True, help="the victim: /ip4/.../tcp/.../p2p/<id>")
    parser.add_argument("--rpc", required=True, help="the victim's JSON-RPC URL")
    parser.add_argument("--mode", required=True, choices=FLOODS)
    parser.add_argument("--key-file", required=True, help="priv_validator_key.json of the named validator")
    parser.add_argument("--rate", type=float, required=True)
    return parser


def main() -> None:
    # SIGTERM unwinds like Ctrl-C, so the nodes and the flooder are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if sys.argv[1:2] == ["flooder"]:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        adopt_libp2p_logging()
        trio.run(run_flooder, flooder_parser().parse_args(sys.argv[2:]))
    else:
        measure(bench_parser().parse_args())


if __name__ == "__main__":
    main()
