"""Sustained throughput of signed bank sends on one validator.

Starts a real ``depind start`` process on 127.0.0.1 with a genesis funding
``--accounts`` senders, pre-signs ``--txs`` bank sends, submits them over
JSON-RPC (batches of ``broadcast_tx_async``/``sync``) at a bounded rate, and
follows NewBlock events over WebSocket to measure when each tx commits.
Prints committed tx/s and commit latency p50/p99 (submit -> committed block).

    uv run python scripts/bench_throughput.py --txs 20000 --accounts 100
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_common import (
    BlockWatcher,
    free_port,
    fund_senders,
    launch_node,
    percentile,
    sender_keys,
    sign_sends,
    stop_nodes,
    submit,
    wait_ready,
)

from node.home import Home
from node.keys.hd import PrivateKey
from node.validator_home import init_solo_home

CHAIN_ID = "bench-1"
FIRST_SENDER_NUMBER = 1  # account 0 is the validator's operator (its gentx comes first)


def make_home(root: Path, keys: list[PrivateKey], port: int, timeout_commit: float) -> Home:
    home = Home(root)
    init_solo_home(home, "bench", CHAIN_ID)
    fund_senders(home.genesis_file, keys)
    text = home.config_file.read_text()
    text = text.replace('laddr = "127.0.0.1:26657"', f'laddr = "127.0.0.1:{port}"')
    text = text.replace("prometheus = true", "prometheus = false")  # 26660 may be a dev node's
    text = text.replace("timeout_commit_s = 1.0", f"timeout_commit_s = {timeout_commit}")
    text = text.replace('log_level = "info"', 'log_level = "warning"')
    text = text.replace("size = 10000", "size = 50000")
    home.config_file.write_text(text)
    return home


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--txs", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--rate", type=float, default=3000.0, help="offered load, tx/s")
    parser.add_argument("--batch", type=int, default=200, help="txs per JSON-RPC batch request")
    parser.add_argument("--timeout-commit", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the node's home folder")
    args = parser.parse_args()

    keys = sender_keys(args.accounts)
    t0 = time.monotonic()
    txs = sign_sends(keys, args.txs, CHAIN_ID, first_account_number=FIRST_SENDER_NUMBER)
    print(f"signed {len(txs)} txs in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    root = Path(tempfile.mkdtemp(prefix="depind-bench-"))
    port = free_port()
    home = make_home(root / "home", keys, port, args.timeout_commit)
    url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/websocket"
    log = (root / "node.log").open("wb")
    process = launch_node(home.root, log)
    try:
        wait_ready(url, 60)
        watcher = BlockWatcher(ws_url, len(txs), limit_s=args.txs / 200 + 120)
        watcher.start()
        watcher.ready.wait(10)
        begin = time.monotonic()
        submitted, rejected = submit(url, txs, args.batch, args.rate)
        watcher.join()
        report(args, submitted, watcher, rejected, begin)
    finally:
        stop_nodes([process])
        log.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def report(
    args: argparse.Namespace, submitted: dict[str, float], watcher: BlockWatcher, rejected: int, begin: float
) -> None:
    latencies = [watcher.committed[h] - t for h, t in submitted.items() if h in watcher.committed]
    committed = len(latencies)
    end = max(watcher.committed.values()) if watcher.committed else begin
    busy_blocks = [n for _, n, _ in watcher.blocks if n]
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"offered load {args.rate:.0f} tx/s in batches of {args.batch}, {args.accounts} senders, "
        f"timeout_commit {args.timeout_commit} s"
    )
    columns = ["txs sent", "rejected", "committed", "duration s", "committed tx/s"]
    columns += ["p50 latency s", "p99 latency s", "max txs/block"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|")
    if committed:
        rate = committed / (end - begin)
        print(
            f"| {len(submitted)} | {rejected} | {committed} | {end - begin:.1f} | {rate:.0f} | "
            f"{statistics.median(latencies):.2f} | {percentile(latencies, 0.99):.2f} | {max(busy_blocks)} |"
        )
    else:
        print(f"| {len(submitted)} | {rejected} | 0 | - | 0 | - | - | - |")


if __name__ == "__main__":
    main()
