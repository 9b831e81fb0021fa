"""Helpers shared by the benchmarks that run real ``depind start`` processes.

Funded sender keys in a genesis file, pre-signed bank sends, a paced JSON-RPC
submitter, a NewBlock follower over WebSocket, and starting and stopping a
node process. Everything talks to 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
from websockets.sync.client import connect

from genesis import doc as genesis_doc
from genesis.funding import add_accounts
from genesis.schema import CoinJSON
from node.client import build_tx
from node.keys.hd import PrivateKey
from vm.bank.msgs import MsgSend
from vm.beacon.keeper import is_entry
from vm.types import Coin

REPO_ROOT = Path(__file__).resolve().parents[1]
DENOM = "udepin"
GAS = 60_000
FEE = 600  # min gas price 0.01
SENDER_FUNDS = 10**12
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sender_keys(count: int) -> list[PrivateKey]:
    return [PrivateKey(hashlib.sha256(f"bench-{i}".encode()).digest()) for i in range(count)]


def fund_senders(genesis_file: Path, keys: list[PrivateKey]) -> None:
    """Append an account and a balance for each key; account numbers follow the accounts
    already in the file, in order."""
    doc = genesis_doc.load(genesis_file)
    add_accounts(doc, [(key.address, [CoinJSON(denom=DENOM, amount=SENDER_FUNDS)]) for key in keys])
    genesis_doc.save(doc, genesis_file)


def sign_sends(keys: list[PrivateKey], total: int, chain_id: str, first_account_number: int) -> list[bytes]:
    """``total`` sends of 1 udepin, round-robin over ``keys`` (tx i from key i % len(keys)),
    each key's sequences counting up from 0."""
    recipient = PrivateKey(hashlib.sha256(b"recipient").digest()).address
    sequences = [0] * len(keys)
    txs = []
    for i in range(total):
        sender = i % len(keys)
        key = keys[sender]
        msg = MsgSend(key.address, recipient, [Coin(DENOM, 1)])
        number = first_account_number + sender
        txs.append(build_tx(key, chain_id, number, sequences[sender], [msg], [Coin(DENOM, FEE)], GAS))
        sequences[sender] += 1
    return txs


def rpc(url: str, method: str, timeout: float = 5.0, **params: object) -> dict[str, Any]:
    """The result of one JSON-RPC call."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    result: dict[str, Any] = httpx.post(url, json=body, timeout=timeout).json()["result"]
    return result


def latest_height(url: str) -> int | None:
    """The node's latest height, or None while it does not answer."""
    try:
        return int(rpc(url, "status", timeout=2)["sync_info"]["latest_block_height"])
    except (httpx.HTTPError, KeyError, ValueError):
        return None


def wait_height(url: str, height: int, deadline_s: float) -> int:
    """Poll until the node has a block at ``height``; returns its latest height."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        latest = latest_height(url)
        if latest is not None and latest >= height:
            return latest
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not reach height {height} in {deadline_s:.0f} s")


def wait_ready(url: str, deadline_s: float) -> None:
    wait_height(url, 1, deadline_s)


def rfc3339_seconds(text: str) -> float:
    """``2026-12-05T12:00:00.123456789Z`` in seconds since the epoch, to the nanosecond."""
    whole, fraction = text.rstrip("Z").split(".")
    seconds = datetime.strptime(whole + "+0000", "%Y-%m-%dT%H:%M:%S%z").timestamp()
    return seconds + int(fraction.ljust(9, "0")) / 1e9


class BlockWatcher(threading.Thread):
    """Records the commit time of every tx hash seen in NewBlock events, each block's
    height, tx count and arrival time, and how long after its header time it arrived."""

    def __init__(self, ws_url: str, expected: int, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.ws_url, self.expected, self.limit_s = ws_url, expected, limit_s
        self.committed: dict[str, float] = {}
        self.blocks: list[tuple[int, int, float]] = []
        self.lag_s: dict[int, float] = {}  # height -> arrival (wall clock) - header time
        self.ready = threading.Event()
        self.stopped = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.limit_s
        with connect(self.ws_url, max_size=2**26) as ws:
            query = {"query": "tm.event='NewBlock'"}
            ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": query}))
            ws.recv()
            self.ready.set()
            while (
                len(self.committed) < self.expected
                and time.monotonic() < deadline
                and not self.stopped.is_set()
            ):
                try:
                    message = json.loads(ws.recv(timeout=1.0))
                except TimeoutError:
                    continue
                now, wall = time.monotonic(), time.time()
                block = message["result"]["data"]["value"]["block"]
                txs = [raw for raw in map(base64.b64decode, block["data"]["txs"]) if not is_entry(raw)]
                height = int(block["header"]["height"])
                self.blocks.append((height, len(txs), now))
                self.lag_s[height] = wall - rfc3339_seconds(block["header"]["time"])
                for tx in txs:  # the proposer's beacon entry is not one of ours
                    self.committed[hashlib.sha256(tx).hexdigest()] = now


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


def launch_node(home: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """``depind start --home HOME`` in the background, its stderr into ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "start", "--home", str(home)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def stop_nodes(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGINT to all, then wait for each (SIGKILL past the timeout)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        try:
            process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
