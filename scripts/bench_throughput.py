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
import base64
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from genesis import doc as genesis_doc
from genesis.schema import Balance, CoinJSON, GenesisAccount
from node.client import build_tx
from node.home import Home, init_home
from node.keys.hd import PrivateKey
from vm.bank.msgs import MsgSend
from vm.types import Coin

CHAIN_ID = "bench-1"
GAS = 60_000
FEE = 600  # min gas price 0.01


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_home(root: Path, keys: list[PrivateKey], port: int, timeout_commit: float) -> Home:
    home = Home(root)
    init_home(home, "bench", CHAIN_ID)
    doc = genesis_doc.load(home.genesis_file)
    for number, key in enumerate(keys):
        doc.app_state.auth.accounts.append(GenesisAccount(address=key.address, account_number=number))
        doc.app_state.bank.balances.append(
            Balance(address=key.address, coins=[CoinJSON(denom="udepin", amount=10**12)])
        )
    genesis_doc.save(doc, home.genesis_file)
    text = home.config_file.read_text()
    text = text.replace('laddr = "127.0.0.1:26657"', f'laddr = "127.0.0.1:{port}"')
    text = text.replace("timeout_commit_s = 1.0", f"timeout_commit_s = {timeout_commit}")
    text = text.replace('log_level = "info"', 'log_level = "warning"')
    text = text.replace("size = 10000", "size = 50000")
    home.config_file.write_text(text)
    return home


def sign_all(keys: list[PrivateKey], total: int) -> list[bytes]:
    recipient = PrivateKey(hashlib.sha256(b"recipient").digest()).address
    sequences = [0] * len(keys)
    txs = []
    for i in range(total):
        sender = i % len(keys)
        key = keys[sender]
        msg = MsgSend(key.address, recipient, [Coin("udepin", 1)])
        txs.append(build_tx(key, CHAIN_ID, sender, sequences[sender], [msg], [Coin("udepin", FEE)], GAS))
        sequences[sender] += 1
    return txs


def wait_ready(url: str, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            status = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "status"}, timeout=2).json()
            if int(status["result"]["sync_info"]["latest_block_height"]) >= 1:
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError("node did not start in time")


class BlockWatcher(threading.Thread):
    """Records the commit time of every tx hash seen in NewBlock events."""

    def __init__(self, ws_url: str, expected: int, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.ws_url, self.expected, self.limit_s = ws_url, expected, limit_s
        self.committed: dict[str, float] = {}
        self.blocks: list[tuple[int, int]] = []
        self.ready = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.limit_s
        with connect(self.ws_url, max_size=2**26) as ws:
            query = {"query": "tm.event='NewBlock'"}
            ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": query}))
            ws.recv()
            self.ready.set()
            while len(self.committed) < self.expected and time.monotonic() < deadline:
                try:
                    message = json.loads(ws.recv(timeout=1.0))
                except TimeoutError:
                    continue
                now = time.monotonic()
                block = message["result"]["data"]["value"]["block"]
                txs = block["data"]["txs"]
                self.blocks.append((int(block["header"]["height"]), len(txs)))
                for tx in txs:
                    self.committed[hashlib.sha256(base64.b64decode(tx)).hexdigest()] = now


def submit(url: str, txs: list[bytes], batch: int, rate: float) -> tuple[dict[str, float], int]:
    """Send txs in JSON-RPC batches, paced to ``rate`` tx/s; returns submit times and rejections."""
    submitted: dict[str, float] = {}
    rejected = 0
    start = time.monotonic()
    with httpx.Client(timeout=60) as http:
        for offset in range(0, len(txs), batch):
            chunk = txs[offset : offset + batch]
            due = start + offset / rate
            if (delay := due - time.monotonic()) > 0:
                time.sleep(delay)
            payload = [
                {
                    "jsonrpc": "2.0",
                    "id": offset + i,
                    "method": "broadcast_tx_sync",
                    "params": {"tx": base64.b64encode(tx).decode()},
                }
                for i, tx in enumerate(chunk)
            ]
            sent_at = time.monotonic()
            for response in http.post(url, json=payload).json():
                if response.get("result", {}).get("code", 1) != 0:
                    rejected += 1
            for tx in chunk:
                submitted[hashlib.sha256(tx).hexdigest()] = sent_at
    return submitted, rejected


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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

    keys = [PrivateKey(hashlib.sha256(f"bench-{i}".encode()).digest()) for i in range(args.accounts)]
    t0 = time.monotonic()
    txs = sign_all(keys, args.txs)
    print(f"signed {len(txs)} txs in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    root = Path(tempfile.mkdtemp(prefix="depind-bench-"))
    port = free_port()
    home = make_home(root / "home", keys, port, args.timeout_commit)
    url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/websocket"
    log = (root / "node.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "start", "--home", str(home.root)],
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
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
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def report(
    args: argparse.Namespace, submitted: dict[str, float], watcher: BlockWatcher, rejected: int, begin: float
) -> None:
    latencies = [watcher.committed[h] - t for h, t in submitted.items() if h in watcher.committed]
    committed = len(latencies)
    end = max(watcher.committed.values()) if watcher.committed else begin
    busy_blocks = [n for _, n in watcher.blocks if n]
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
