"""Block intervals of one validator while JSON-RPC clients hammer it with heavy queries.

Starts a real ``depind start`` process on 127.0.0.1, fills the chain with ``--txs``
bank sends (all to one recipient, so a search on it is as broad as the chain), then
measures two windows of ``--duration`` seconds each: one without RPC load, one with
``--clients`` connections each sending heavy queries back to back (``tx_search`` over
the broad recipient query and over every height, with and without proofs; a
``blockchain`` of 20 metas; ``block`` and ``block_results`` of the fullest block; and
batches of all of those). The RPC handlers share the consensus task's thread, so what
matters is how much later blocks come under that load: the table gives the intervals
between consecutive block header times in each window against ``timeout_commit``.

    uv run python scripts/bench_rpc_load.py --txs 5000 --clients 8 --duration 20
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import itertools
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
from bench_common import (
    free_port,
    launch_node,
    percentile,
    rfc3339_seconds,
    rpc,
    sender_keys,
    sign_sends,
    stop_nodes,
    submit,
    wait_height,
    wait_ready,
)
from bench_throughput import CHAIN_ID, FIRST_SENDER_NUMBER, make_home

from node.keys.hd import PrivateKey

FILL_LIMIT_S = 300.0
BLOCKCHAIN_RANGE = 20  # metas per ``blockchain`` answer
REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Chain:
    """What the heavy queries ask about: the broad query and the fullest block."""

    url: str
    broad_query: str
    sender_query: str
    matches: int
    fullest_height: int
    fullest_txs: int


@dataclass
class ClientStats:
    latencies_s: list[float] = field(default_factory=list)
    answer_bytes: int = 0
    errors: collections.Counter[int] = field(default_factory=collections.Counter)
    dropped: int = 0  # requests the server closed or did not answer in time


def heavy_requests(chain: Chain, rng: random.Random) -> list[dict[str, Any]]:
    """One of each heavy query, its page and order chosen at random."""
    pages = max((min(chain.matches, 10_000) + 99) // 100, 1)
    search = {"per_page": 100, "page": rng.randint(1, pages), "order_by": rng.choice(["asc", "desc"])}
    return [
        {
            "method": "tx_search",
            "params": {"query": chain.broad_query, **search, "prove": rng.random() < 0.5},
        },
        {"method": "tx_search", "params": {"query": "tx.height>=1", **search}},
        {"method": "tx_search", "params": {"query": chain.sender_query, "per_page": 100}},
        {"method": "blockchain", "params": {}},
        {"method": "block", "params": {"height": chain.fullest_height}},
        {"method": "block_results", "params": {"height": chain.fullest_height}},
    ]


def hammer(chain: Chain, seed: int, stop: threading.Event, stats: ClientStats) -> None:
    """Send heavy queries one after the other on one connection until ``stop``; every
    seventh is a batch of all of them."""
    rng = random.Random(seed)
    ids = itertools.count()
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as http:
        for turn in itertools.count():
            if stop.is_set():
                return
            requests = heavy_requests(chain, rng)
            batch = [{"jsonrpc": "2.0", "id": next(ids), **r} for r in requests]
            payload: Any = batch if turn % 7 == 6 else batch[turn % len(batch)]
            started = time.monotonic()
            try:
                response = http.post(chain.url, content=msgspec.json.encode(payload))
            except httpx.TransportError:
                stats.dropped += 1
                continue
            stats.latencies_s.append(time.monotonic() - started)
            stats.answer_bytes += len(response.content)
            answers = msgspec.json.decode(response.content)
            for answer in answers if isinstance(answers, list) else [answers]:
                if "error" in answer:
                    stats.errors[answer["error"]["code"]] += 1


def block_metas(url: str, low: int, high: int) -> dict[int, dict[str, Any]]:
    """The metas of blocks ``low`` to ``high`` by height."""
    metas: dict[int, dict[str, Any]] = {}
    for top in range(high, low - 1, -BLOCKCHAIN_RANGE):
        bottom = max(low, top - BLOCKCHAIN_RANGE + 1)
        answer = rpc(url, "blockchain", timeout=REQUEST_TIMEOUT_S, minHeight=bottom, maxHeight=top)
        metas.update((int(m["header"]["height"]), m) for m in answer["block_metas"])
    return metas


def measure_intervals(url: str, duration_s: float) -> list[float]:
    """Intervals between consecutive blocks committed during the next ``duration_s``."""
    first = int(rpc(url, "status", timeout=REQUEST_TIMEOUT_S)["sync_info"]["latest_block_height"]) + 1
    time.sleep(duration_s)
    last = int(rpc(url, "status", timeout=REQUEST_TIMEOUT_S)["sync_info"]["latest_block_height"])
    metas = block_metas(url, first, last)
    times = [rfc3339_seconds(metas[h]["header"]["time"]) for h in range(first, last + 1)]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def measure_under_load(
    chain: Chain, clients: int, duration_s: float
) -> tuple[list[float], list[ClientStats]]:
    stop = threading.Event()
    stats = [ClientStats() for _ in range(clients)]
    threads = [
        threading.Thread(target=hammer, args=(chain, seed, stop, stats[seed]), daemon=True)
        for seed in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        intervals = measure_intervals(chain.url, duration_s)
    finally:
        stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S)
    return intervals, stats


def fill_chain(url: str, keys: list[PrivateKey], txs: int, rate: float) -> Chain:
    """Submit ``txs`` sends and wait until they are all committed."""
    signed = sign_sends(keys, txs, CHAIN_ID, first_account_number=FIRST_SENDER_NUMBER)
    submitted, rejected = submit(url, signed, batch=200, rate=rate)
    if rejected:
        raise RuntimeError(f"{rejected} of {len(submitted)} txs were rejected")
    recipient = PrivateKey(hashlib.sha256(b"recipient").digest()).address
    broad_query = f"transfer.recipient='{recipient}'"
    deadline = time.monotonic() + FILL_LIMIT_S
    while (total := int(rpc(url, "tx_search", query=broad_query, per_page=1)["total_count"])) < min(
        txs, 10_000
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {total} of {txs} txs committed in {FILL_LIMIT_S:.0f} s")
        time.sleep(0.5)
    latest = int(rpc(url, "status")["sync_info"]["latest_block_height"])
    counts = {h: int(m["num_txs"]) for h, m in block_metas(url, 1, latest).items()}
    fullest = max(counts, key=lambda h: counts[h])
    sender_query = f"message.sender='{keys[0].address}' AND {broad_query}"
    return Chain(url, broad_query, sender_query, total, fullest, counts[fullest])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--txs", type=int, default=5_000, help="sends committed before measuring")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5_000.0, help="rate of the filling sends, tx/s")
    parser.add_argument("--clients", type=int, default=8, help="concurrent RPC connections")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each window")
    parser.add_argument("--timeout-commit", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the node's home folder")
    args = parser.parse_args()

    keys = sender_keys(args.accounts)
    root = Path(tempfile.mkdtemp(prefix="depind-bench-rpc-"))
    port = free_port()
    home = make_home(root / "home", keys, port, args.timeout_commit)
    url = f"http://127.0.0.1:{port}"
    log = (root / "node.log").open("wb")
    process = launch_node(home.root, log)
    try:
        wait_ready(url, 60)
        t0 = time.monotonic()
        chain = fill_chain(url, keys, args.txs, args.rate)
        print(f"filled the chain in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        wait_height(url, int(rpc(url, "status")["sync_info"]["latest_block_height"]) + 2, 30)
        idle = measure_intervals(url, args.duration)
        loaded, stats = measure_under_load(chain, args.clients, args.duration)
        report(args, chain, idle, loaded, stats)
    finally:
        stop_nodes([process])
        log.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def report(
    args: argparse.Namespace, chain: Chain, idle: list[float], loaded: list[float], stats: list[ClientStats]
) -> None:
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"chain: {chain.matches} txs to one recipient, fullest block {chain.fullest_height} "
        f"with {chain.fullest_txs} txs; timeout_commit {args.timeout_commit} s; "
        f"{args.duration:.0f} s per window\n"
    )
    print("| window | blocks | mean interval s | p50 s | p95 s | max s | mean over timeout_commit |")
    print("|---|---|---|---|---|---|---|")
    for name, intervals in (("no RPC load", idle), (f"{args.clients} clients hammering", loaded)):
        if not intervals:
            print(f"| {name} | 0 | - | - | - | - | - |")
            continue
        mean = statistics.fmean(intervals)
        print(
            f"| {name} | {len(intervals)} | {mean:.3f} | {statistics.median(intervals):.3f} | "
            f"{percentile(intervals, 0.95):.3f} | {max(intervals):.3f} | "
            f"{(mean / args.timeout_commit - 1) * 100:+.1f}% |"
        )
    latencies = [s for client in stats for s in client.latencies_s]
    errors: collections.Counter[int] = sum((client.errors for client in stats), collections.Counter())
    served = sum(client.answer_bytes for client in stats)
    dropped = sum(client.dropped for client in stats)
    columns = ["bodies answered", "bodies/s", "MB/s served", "p50 latency s", "p99 latency s"]
    print("\n| " + " | ".join([*columns, "errors by code", "dropped"]) + " |")
    print("|---|---|---|---|---|---|---|")
    if latencies:
        print(
            f"| {len(latencies)} | {len(latencies) / args.duration:.1f} | "
            f"{served / args.duration / 1e6:.1f} | "
            f"{statistics.median(latencies):.3f} | {percentile(latencies, 0.99):.3f} | "
            f"{dict(sorted(errors.items())) or '-'} | {dropped} |"
        )


if __name__ == "__main__":
    main()
