"""Throughput, block interval and block sync of a 4-validator network on 127.0.0.1.

Writes the homes of a network with ``node.testnet.create_testnet`` (what
``depind testnet`` writes), funds ``--accounts`` senders in the shared genesis
before any node starts, and runs one ``depind start`` per validator. Every
node and the load generator share this machine's cores.

throughput  pre-signed bank sends at ``--rate`` tx/s, each sender's txs to one node
            and the senders spread over the 4 nodes' JSON-RPC (batches of
            ``broadcast_tx_sync``); committed tx/s over the steady window and commit
            latency (submit -> the block's NewBlock event on node0's WebSocket)
interval    the header times of ``--blocks`` consecutive blocks with no load, at the
            default consensus timeouts (timeout_commit_s 1.0)
sync        a chain of ``--sync-blocks`` blocks made as fast as the network goes
            (timeout_commit_s 0.01, short round timeouts) with ``--sync-txs`` sends in it;
            then the validators restart at the default timeouts and a fresh non-validator
            node (its own keys, the network's genesis, the 4 validators as persistent
            peers) starts: how long it takes to reach the network's height

    uv run python scripts/bench_network.py throughput --rate 1000 --txs 60000
    uv run python scripts/bench_network.py interval --blocks 30
    uv run python scripts/bench_network.py sync --sync-blocks 10000
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench_common import (
    BlockWatcher,
    free_port,
    fund_senders,
    latest_height,
    launch_node,
    percentile,
    rfc3339_seconds,
    rpc,
    sender_keys,
    sign_sends,
    stop_nodes,
    submit,
    wait_height,
)

from node import config as node_config
from node.config import ConsensusSettings
from node.home import Home, init_home
from node.keys.hd import PrivateKey
from node.testnet import PORT_STEP, NetworkNode, create_testnet

VALIDATORS = 4
CHAIN_ID = "bench-net-1"
MEMPOOL_SIZE = 50_000
START_TIMEOUT_S = 90.0
POLL_S = 0.25
# As fast as the network goes: the next height starts 10 ms after a commit, and a round
# that misses its proposal or votes moves on soon.
FAST = ConsensusSettings(
    timeout_propose_s=0.3,
    timeout_prevote_s=0.1,
    timeout_precommit_s=0.1,
    timeout_delta_s=0.05,
    timeout_commit_s=0.01,
)


# ---- the network ---------------------------------------------------------------------------


@dataclass
class Localnet:
    """The validators' homes and, while running, their processes and logs."""

    root: Path
    nodes: list[NetworkNode]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)

    def url(self, index: int) -> str:
        return f"http://{self.nodes[index].rpc_laddr}"

    def ws_url(self, index: int) -> str:
        return f"ws://{self.nodes[index].rpc_laddr}/websocket"

    def start(self) -> None:
        for node in self.nodes:
            log = (node.home.root / "node.log").open("ab")
            self.logs.append(log)
            self.processes.append(launch_node(node.home.root, log))
        for index in range(len(self.nodes)):
            wait_height(self.url(index), 1, START_TIMEOUT_S)

    def stop(self) -> None:
        stop_nodes(self.processes)
        for log in self.logs:
            log.close()
        self.processes, self.logs = [], []

    def configure(self, consensus: ConsensusSettings) -> None:
        for node in self.nodes:
            configure_home(node.home, consensus)

    def cpu_seconds(self) -> list[float]:
        return [process_cpu_seconds(process.pid) for process in self.processes]


def create_localnet(root: Path, keys: list[PrivateKey], consensus: ConsensusSettings) -> Localnet:
    """The network's homes, with ``keys`` funded in the genesis every node shares."""
    nodes = create_testnet(root, VALIDATORS, CHAIN_ID, pick_starting_port())
    fund_senders(nodes[0].home.genesis_file, keys)
    for node in nodes[1:]:
        shutil.copyfile(nodes[0].home.genesis_file, node.home.genesis_file)
    net = Localnet(root, nodes)
    net.configure(consensus)
    return net


def configure_home(home: Home, consensus: ConsensusSettings) -> None:
    """Set the consensus timeouts; a larger mempool and warnings-only logs for the benchmark."""
    config = node_config.load(home.config_file)
    config = dataclasses.replace(
        config,
        log_level="warning",
        consensus=consensus,
        mempool=dataclasses.replace(config.mempool, size=MEMPOOL_SIZE),
    )
    home.config_file.write_text(node_config.render(config))


def pick_starting_port(attempts: int = 100) -> int:
    """A starting port whose whole range (p2p, RPC, REST and metrics of every node) is free."""
    for _ in range(attempts):
        start = random.randrange(20_000, 60_000)
        if all(port_is_free(start + offset) for offset in range(PORT_STEP * VALIDATORS)):
            return start
    raise RuntimeError("no free port range found")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def running_localnet(
    args: argparse.Namespace, keys: list[PrivateKey], consensus: ConsensusSettings
) -> Iterator[Localnet]:
    root = Path(tempfile.mkdtemp(prefix="depind-bench-net-"))
    net = create_localnet(root / "net", keys, consensus)
    try:
        net.start()
        yield net
    finally:
        net.stop()
        if args.keep:
            print(f"homes and logs kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def check_first_account_number(net: Localnet, key: PrivateKey, expected: int) -> None:
    number = int(rpc(net.url(0), "account", address=key.address)["account_number"])
    if number != expected:
        raise RuntimeError(f"sender 0 has account number {number}, the txs were signed for {expected}")


# ---- load ----------------------------------------------------------------------------------


def split_by_node(txs: list[bytes], senders: int, nodes: int) -> list[list[bytes]]:
    """Each sender's txs go to one node (sender % nodes), so each node sees its senders'
    sequences in order."""
    shares: list[list[bytes]] = [[] for _ in range(nodes)]
    for i, tx in enumerate(txs):
        shares[(i % senders) % nodes].append(tx)
    return shares


def submit_spread(
    net: Localnet, shares: list[list[bytes]], batch: int, rate: float
) -> tuple[dict[str, float], int]:
    """Submit each share to its node in its own thread, all together at ``rate`` tx/s."""
    total = sum(len(share) for share in shares)
    with ThreadPoolExecutor(len(shares)) as pool:
        futures = [
            pool.submit(submit, net.url(i), share, batch, rate * len(share) / total)
            for i, share in enumerate(shares)
            if share
        ]
        results = [future.result() for future in futures]
    submitted: dict[str, float] = {}
    for times, _ in results:
        submitted.update(times)
    return submitted, sum(rejected for _, rejected in results)


# ---- (a) throughput ------------------------------------------------------------------------


@dataclass
class LoadRun:
    offered: float
    submitted: dict[str, float]  # tx hash -> when its batch was sent
    rejected: int
    sent_s: float  # how long submitting took: txs / offered rate if the nodes kept up
    warmup_s: float  # blocks published this long after the first submission count as steady
    committed: dict[str, float]  # tx hash -> when node0 published its block
    blocks: list[tuple[int, int, float]]  # height, txs, when node0 published it
    rounds: dict[int, int]  # height -> the round that decided it
    lag_s: dict[int, float]  # height -> from its header time until node0 published it


def measure_throughput(args: argparse.Namespace) -> None:
    if args.accounts % VALIDATORS:
        raise SystemExit(f"--accounts must be a multiple of {VALIDATORS}")
    keys = sender_keys(args.accounts)
    t0 = time.monotonic()
    txs = sign_sends(keys, args.txs, CHAIN_ID, first_account_number=VALIDATORS)
    print(f"signed {len(txs)} txs in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    shares = split_by_node(txs, len(keys), VALIDATORS)
    with running_localnet(args, keys, ConsensusSettings()) as net:
        check_first_account_number(net, keys[0], VALIDATORS)
        watcher = BlockWatcher(net.ws_url(0), len(txs), limit_s=args.txs / min(args.rate, 500) + 120)
        watcher.start()
        watcher.ready.wait(10)
        cpu_before, own_before = net.cpu_seconds(), own_cpu_seconds()
        begin = time.monotonic()
        submitted, rejected = submit_spread(net, shares, args.batch, args.rate)
        sent_s = time.monotonic() - begin
        watcher.join()
        elapsed = time.monotonic() - begin
        cpu = [after - before for after, before in zip(net.cpu_seconds(), cpu_before, strict=True)]
        own = own_cpu_seconds() - own_before
        rounds = {height: commit_round(net.url(0), height) for height, count, _ in watcher.blocks if count}
    print_setup(
        f"offered {args.rate:.0f} tx/s, {args.txs} txs in batches of {args.batch}, {args.accounts} senders, "
        f"default timeouts (timeout_commit_s {ConsensusSettings.timeout_commit_s})"
    )
    run = LoadRun(
        args.rate,
        submitted,
        rejected,
        sent_s,
        args.warmup_s,
        watcher.committed,
        watcher.blocks,
        rounds,
        watcher.lag_s,
    )
    report_throughput(run, begin)
    report_cpu(cpu, own, elapsed)


def report_throughput(run: LoadRun, begin: float) -> None:
    latencies = [run.committed[h] - t for h, t in run.submitted.items() if h in run.committed]
    busy = [(height, count, at) for height, count, at in run.blocks if count]
    columns = ["offered tx/s", "txs", "sent in s", "rejected", "committed", "steady tx/s", "overall tx/s"]
    columns += ["p50 latency s", "p99 latency s", "max latency s", "blocks with txs", "s between them"]
    columns += ["header -> node0 s", "decided after round 0", "max txs/block"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---:|" * len(columns))
    if len(busy) < 2:
        print(
            f"| {run.offered:,.0f} | {len(run.submitted):,} | {run.sent_s:.1f} | {run.rejected} | "
            f"{len(latencies):,} |" + " - |" * (len(columns) - 5)
        )
        return
    end = max(run.committed.values())
    steady = steady_rate(busy, begin + run.warmup_s, begin + run.sent_s)
    print(
        f"| {run.offered:,.0f} | {len(run.submitted):,} | {run.sent_s:.1f} | {run.rejected} | "
        f"{len(latencies):,} | {steady:,.0f} | {len(latencies) / (end - begin):,.0f} | "
        f"{statistics.median(latencies):.2f} | {percentile(latencies, 0.99):.2f} | {max(latencies):.2f} | "
        f"{len(busy)} | {(busy[-1][2] - busy[0][2]) / (len(busy) - 1):.2f} | "
        f"{statistics.fmean(run.lag_s[height] for height, _, _ in busy):.2f} | "
        f"{sum(1 for r in run.rounds.values() if r > 0)} | {max(count for _, count, _ in busy):,} |"
    )


def steady_rate(busy: list[tuple[int, int, float]], start: float, stop: float) -> float:
    """Txs committed per second while the load was steady: the blocks published between
    ``start`` and ``stop``, the txs of each after the first over the time between the first and
    the last. Excludes the ramp-up before ``start`` and the drain after the last submission."""
    inside = [(count, at) for _, count, at in busy if start <= at <= stop]
    if len(inside) < 2:
        return float("nan")
    return sum(count for count, _ in inside[1:]) / (inside[-1][1] - inside[0][1])


def report_cpu(cpu: list[float], own: float, elapsed: float) -> None:
    nodes = ", ".join(f"node{i} {seconds:.1f}" for i, seconds in enumerate(cpu))
    available = (os.cpu_count() or 1) * elapsed
    used = sum(cpu) + own
    print(
        f"\nCPU seconds over the {elapsed:.1f} s run: {nodes}, load generator {own:.1f}; "
        f"{used:.1f} of {available:.1f} available ({100 * used / available:.0f}%)"
    )


# ---- (b) block interval --------------------------------------------------------------------


def measure_interval(args: argparse.Namespace) -> None:
    with running_localnet(args, [], ConsensusSettings()) as net:
        first = wait_height(net.url(0), 3, START_TIMEOUT_S)  # past the start, when peers connect
        last = first + args.blocks
        wait_height(net.url(0), last, args.blocks * 10 + 60)
        times = [header_time_s(net.url(0), height) for height in range(first, last + 1)]
        rounds = [commit_round(net.url(0), height) for height in range(first, last + 1)]
    intervals = [b - a for a, b in itertools.pairwise(times)]
    print_setup(f"no load, default timeouts (timeout_commit_s {ConsensusSettings.timeout_commit_s})")
    mean = statistics.fmean(intervals)
    print("| heights | intervals | mean s | p50 s | p99 s | min s | max s | decided after round 0 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {first}..{last} | {len(intervals)} | {mean:.3f} | {statistics.median(intervals):.3f} | "
        f"{percentile(intervals, 0.99):.3f} | {min(intervals):.3f} | {max(intervals):.3f} | "
        f"{sum(1 for r in rounds if r > 0)} |"
    )
    target = ConsensusSettings.timeout_commit_s
    print(f"\nmean interval / timeout_commit_s = {mean / target:.3f} (target: within 10%, <= 1.100)")


def header_time_s(url: str, height: int) -> float:
    """A block's header time in seconds since the epoch."""
    return rfc3339_seconds(rpc(url, "header", height=height)["header"]["time"])


def commit_round(url: str, height: int) -> int:
    return int(rpc(url, "commit", height=height)["signed_header"]["commit"]["round"])


# ---- (c) block sync ------------------------------------------------------------------------


@dataclass
class Production:
    height: int
    txs: int
    wall_s: float  # from the first submission until node0 had the height
    span_s: float  # between the header times of blocks 2 and ``height``

    @property
    def blocks_per_s(self) -> float:
        return (self.height - 2) / self.span_s


def measure_sync(args: argparse.Namespace) -> None:
    keys = sender_keys(args.accounts)
    txs = sign_sends(keys, args.sync_txs, CHAIN_ID, first_account_number=VALIDATORS)
    with running_localnet(args, keys, FAST) as net:
        check_first_account_number(net, keys[0], VALIDATORS)
        production = produce_chain(net, args, split_by_node(txs, len(keys), VALIDATORS))
        print(
            f"made {production.height} blocks with {production.txs} txs in {production.wall_s:.0f} s "
            f"({production.blocks_per_s:.1f} blocks/s by header times)",
            file=sys.stderr,
        )
        net.stop()
        net.configure(ConsensusSettings())
        net.start()
        wait_height(net.url(0), production.height + 2, START_TIMEOUT_S)
        follower = make_follower(net)
        sync = time_sync(net, follower, args.sync_limit_s)
    print_setup(
        f"chain made at timeout_commit_s {FAST.timeout_commit_s}, propose/prevote/precommit/delta "
        f"{FAST.timeout_propose_s}/{FAST.timeout_prevote_s}/{FAST.timeout_precommit_s}/"
        f"{FAST.timeout_delta_s} s; synced while the validators run at the default timeouts"
    )
    report_sync(production, sync)


def produce_chain(net: Localnet, args: argparse.Namespace, shares: list[list[bytes]]) -> Production:
    """Run until node0 has ``--sync-blocks`` blocks, submitting the txs at the start."""
    watcher = BlockWatcher(
        net.ws_url(0), expected=sum(len(share) for share in shares), limit_s=args.sync_limit_s
    )
    watcher.start()
    watcher.ready.wait(10)
    begin = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        load = pool.submit(submit_spread, net, shares, args.batch, args.sync_rate)
        deadline = begin + args.sync_limit_s
        height = latest_height(net.url(0)) or 0
        while height < args.sync_blocks and time.monotonic() < deadline:
            time.sleep(1.0)
            height = latest_height(net.url(0)) or height
            print(f"\rheight {height}", end="", file=sys.stderr)
        print(file=sys.stderr)
        load.result()
    wall = time.monotonic() - begin
    watcher.stopped.set()
    watcher.join()
    if height < args.sync_blocks:
        raise RuntimeError(f"only {height} blocks in {args.sync_limit_s} s")
    span = header_time_s(net.url(0), height) - header_time_s(net.url(0), 2)
    txs = sum(count for h, count, _ in watcher.blocks if h <= height)
    return Production(height, txs, wall, span)


@dataclass
class Follower:
    """The node that joins late: its home and RPC address."""

    home: Home
    rpc_laddr: str

    @property
    def url(self) -> str:
        return f"http://{self.rpc_laddr}"


def make_follower(net: Localnet) -> Follower:
    """A fresh non-validator node: its own validator and node keys, the network's genesis,
    the 4 validators as persistent peers."""
    home = Home(net.root.parent / "follower")
    init_home(home, "follower", CHAIN_ID)
    shutil.copyfile(net.nodes[0].home.genesis_file, home.genesis_file)
    configure_home(home, ConsensusSettings())
    config = node_config.load(home.config_file)
    rpc_laddr = f"127.0.0.1:{free_port()}"
    p2p = dataclasses.replace(
        config.p2p,
        listen_addr=f"/ip4/127.0.0.1/tcp/{free_port()}",
        persistent_peers=tuple(node.peer_addr for node in net.nodes),
    )
    config = dataclasses.replace(
        config,
        log_level="info",  # for the block sync lines, which name the longest event-loop stall
        rpc=dataclasses.replace(config.rpc, laddr=rpc_laddr),
        api=dataclasses.replace(config.api, address=f"127.0.0.1:{free_port()}"),
        instrumentation=dataclasses.replace(
            config.instrumentation, prometheus_listen_addr=f"127.0.0.1:{free_port()}"
        ),
        p2p=p2p,
    )
    home.config_file.write_text(node_config.render(config))
    return Follower(home, rpc_laddr)


@dataclass
class Sync:
    target: int  # node0's height when the follower was started
    target_s: float  # from the follower's start until it had that height
    answered: tuple[float, int]  # when (after its start) its RPC first answered, and its height then
    level: tuple[float, int]  # when it was level with node0, and the height
    cpu_s: float  # the follower's CPU time until then
    stall: str = ""  # the longest event-loop stall during the sync, as the follower logged it


def time_sync(net: Localnet, follower: Follower, limit_s: float) -> Sync:
    """Start the follower and poll its height and node0's until it is level with node0."""
    target = latest_height(net.url(0)) or 0
    with (follower.home.root / "node.log").open("ab") as log:
        process = launch_node(follower.home.root, log)
        try:
            sync = poll_sync(net, follower.url, process.pid, target, limit_s)
        finally:
            stop_nodes([process])
    return dataclasses.replace(sync, stall=longest_stall(follower.home.root / "node.log"))


def longest_stall(log_file: Path) -> str:
    """What the follower logged of its longest event-loop stall during block sync."""
    lines = [line for line in log_file.read_text(errors="replace").splitlines() if "event-loop stall" in line]
    if not lines:
        return "not logged"
    return lines[-1].split("(longest event-loop stall ", 1)[-1].rstrip(")")


def poll_sync(net: Localnet, url: str, pid: int, target: int, limit_s: float) -> Sync:
    launched = time.monotonic()
    answered: tuple[float, int] | None = None
    reached: float | None = None
    while time.monotonic() < launched + limit_s:
        height = latest_height(url) or 0
        now = time.monotonic() - launched
        if height > 0:
            answered = answered or (now, height)
            reached = reached or (now if height >= target else None)
            if reached is not None and height >= (latest_height(net.url(0)) or 0):
                return Sync(target, reached, answered, (now, height), process_cpu_seconds(pid))
        time.sleep(POLL_S)
    raise RuntimeError(f"the follower did not catch up with node0 (at {target} when it started) in time")


def report_sync(production: Production, sync: Sync) -> None:
    rate = sync.target / sync.target_s
    default_rate = 1 / ConsensusSettings.timeout_commit_s
    print("| | blocks | txs | s | blocks/s | tx/s | blocks/s vs production | vs 1 block/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| production | {production.height:,} | {production.txs:,} | {production.span_s:.0f} | "
        f"{production.blocks_per_s:.1f} | {production.txs / production.span_s:.0f} | | |"
    )
    print(
        f"| sync | {sync.target:,} | {production.txs:,} | {sync.target_s:.1f} | {rate:.0f} | "
        f"{production.txs / sync.target_s:,.0f} | {rate / production.blocks_per_s:.1f}x | "
        f"{rate / default_rate:.0f}x |"
    )
    after_answer = (sync.target - sync.answered[1]) / (sync.target_s - sync.answered[0])
    print(
        f"\nsync time counts from the follower's start; its RPC first answered after "
        f"{sync.answered[0]:.1f} s, at height {sync.answered[1]}, and from then it synced "
        f"{after_answer:.0f} blocks/s. It was level with node0 (height {sync.level[1]}) after "
        f"{sync.level[0]:.1f} s and used {sync.cpu_s:.1f} CPU s. "
        f"Production took {production.wall_s:.0f} s wall; its blocks/s is by header times. "
        f"Longest event-loop stall during the sync: {sync.stall}."
    )


# ---- main ----------------------------------------------------------------------------------


def print_setup(what: str) -> None:
    load = os.getloadavg()
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{VALIDATORS} validators and the load generator share these cores "
        f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})"
    )
    print(what)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", action="store_true", help="keep the homes and node logs")
    parser.add_argument("--accounts", type=int, default=100, help="funded senders (a multiple of 4)")
    parser.add_argument("--batch", type=int, default=100, help="txs per JSON-RPC batch request")
    measures = parser.add_subparsers(dest="measure", required=True)
    throughput = measures.add_parser("throughput", help="(a) sustained tx throughput and commit latency")
    throughput.add_argument("--rate", type=float, default=1000.0, help="offered load, tx/s")
    throughput.add_argument("--txs", type=int, default=60_000)
    throughput.add_argument(
        "--warmup-s", type=float, default=5.0, help="left out of the steady window at the start"
    )
    interval = measures.add_parser("interval", help="(b) block interval with no load")
    interval.add_argument("--blocks", type=int, default=30)
    sync = measures.add_parser("sync", help="(c) block sync of a fresh node")
    sync.add_argument("--sync-blocks", type=int, default=10_000)
    sync.add_argument("--sync-txs", type=int, default=20_000, help="sends submitted as the chain starts")
    sync.add_argument("--sync-rate", type=float, default=500.0, help="rate of those sends, tx/s")
    sync.add_argument("--sync-limit-s", type=float, default=3600.0, help="bound on production and on sync")
    args = parser.parse_args()
    {"throughput": measure_throughput, "interval": measure_interval, "sync": measure_sync}[args.measure](args)


if __name__ == "__main__":
    main()
