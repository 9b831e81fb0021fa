"""End-to-end harness: real ``depind start`` processes on 127.0.0.1, driven over JSON-RPC.

``DepindProcess`` owns one node process on an existing home: the child process,
its log and an HTTP client. ``NodeProcess`` is one made on a home of its own with
``node.home`` (funded test keys in genesis, free RPC, REST and metrics ports, a short commit
timeout); tests/e2e/network.py makes one per node of a ``depind testnet``.
Every wait is bounded in time; the fixture finalizers stop whatever is still
running (SIGTERM, then SIGKILL) and close every handle, so no process, socket
or file outlives a test.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect as ws_connect

from consensus import privval
from genesis import doc as genesis_doc
from genesis.schema import CoinJSON, GenesisDoc
from node import config as node_config
from node.client import build_tx
from node.home import Home, add_genesis_account
from node.keys.hd import PrivateKey
from node.storage.chain import ChainStore
from node.storage.leveldb import open_leveldb
from node.validator_home import SELF_STAKE, init_solo_home
from vm.bank.msgs import MsgSend
from vm.msg import Msg
from vm.types import Coin

REPO_ROOT = Path(__file__).resolve().parents[2]
COSMJS_DIR = REPO_ROOT / "tests" / "cosmjs"  # cosmjs clients and their locked npm packages
CHAIN_ID = "depind-e2e-1"
DENOM = "udepin"
FUNDS = 10**12
GAS = 200_000
FEE = 2_000  # the minimum for GAS at the default gas price of 1/100 udepin
TIMEOUT_COMMIT_S = 0.3
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
POLL_S = 0.1
EVENTUALLY_TIMEOUT_S = 60.0
LOG_TAIL_CHARS = 6_000
# Text that would betray a leaked Python traceback in a response body.
LOAD_JOIN_TIMEOUT_S = 15.0

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', '.py", line ')


def e2e_key(index: int) -> PrivateKey:
    """Deterministic key number ``index``: secret = SHA-256(b"e2e-<index>")."""
    return PrivateKey(hashlib.sha256(f"e2e-{index}".encode()).digest())


KEYS = [e2e_key(i) for i in range(6)]


class RPCFailure(Exception):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error}")
        self.error = error
        self.code = int(error.get("code", 0))


class NodeFailure(Exception):
    """The node process did not start, died, or did not reach a height in time."""


def free_port(other_than: int | None = None) -> int:
    """A port nothing listens on now; not ``other_than``, which the OS may hand out again."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port != other_than:
            return port


def eventually(check: Callable[[], Any], what: str, timeout: float = EVENTUALLY_TIMEOUT_S) -> Any:
    """``check()`` once it returns something other than None or False, polled every
    ``POLL_S`` for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    found = None
    for _ in range(int(timeout / POLL_S) + 1):
        found = check()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    raise NodeFailure(f"{what}: not seen within {timeout}s (last: {found!r})")


def assert_no_traceback(text: str) -> None:
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"traceback text in a response: {text[:500]}"


class DepindProcess:
    """One ``depind start`` process on a home that already exists: the child process,
    its log and an HTTP client for its JSON-RPC on 127.0.0.1:``port``.

    ``validator_pub_key`` is this node's own validator key: ``start`` checks that the
    node answering on ``port`` serves it, so a stray process on the port is caught."""

    def __init__(self, home: Home, log_path: Path, port: int, validator_pub_key: bytes) -> None:
        self.home = home
        self.log_path = log_path
        self.port = port
        self.validator_pub_key = validator_pub_key
        self.locate("127.0.0.1")
        self.process: subprocess.Popen[bytes] | None = None
        # What ``launch`` runs; a fault test may swap in another node (tests/e2e/maverick.py).
        self.command = [sys.executable, "-m", "node.cli.main", "start", "--home", str(home.root)]
        # Set in its environment over ours; a fault test may skew its clock (test_clock_skew.py).
        self.env: dict[str, str] = {}
        self.starts = 0
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=20.0)

    def locate(self, host: str) -> None:
        """Reach the node's RPC at ``host`` on its port; REST and metrics where the home's
        config says. A node on a host of its own (tests/runner/hosts.py) serves on its address."""
        self.url = f"http://{host}:{self.port}"
        self.ws_url = f"ws://{host}:{self.port}/websocket"
        config = node_config.load(self.home.config_file)
        rest_host, rest_port = node_config.parse_laddr(config.api.address)
        self.rest_url = f"http://{rest_host}:{rest_port}"  # REST (Cosmos LCD paths)
        metrics_host, metrics_port = node_config.parse_laddr(config.instrumentation.prometheus_listen_addr)
        self.metrics_url = f"http://{metrics_host}:{metrics_port}/metrics"  # Prometheus exposition

    # -- process -------------------------------------------------------------------

    def start(self, min_height: int = 1) -> None:
        """Start ``depind start`` and wait until it serves a block at ``min_height``."""
        self.launch()
        self.wait_started(min_height)

    def launch(self) -> None:
        """Start ``command`` (``depind start``) without waiting for it (see ``wait_started``)."""
        if self.is_running():
            raise NodeFailure("node is already running")
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )

    def wait_started(self, min_height: int = 1, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the launched node serves a block at ``min_height`` with its own key."""
        self.wait_height(min_height, timeout)
        # The port was free when chosen; make sure it is this node that answers on it.
        served_key = self.rpc("status")["validator_info"]["pub_key"]["value"]
        if base64.b64decode(served_key) != self.validator_pub_key:
            raise NodeFailure(f"another node answers on port {self.port}\n{self.log_tail()}")

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int:
        """SIGTERM and wait for a clean exit; returns the exit code."""
        process = self._require_process()
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
            raise NodeFailure(f"node ignored SIGTERM for {STOP_TIMEOUT_S}s\n{self.log_tail()}") from None

    def wait_exit(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """Wait for the process to exit on its own; returns its exit code."""
        process = self._require_process()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise NodeFailure(f"node still running after {timeout}s\n{self.log_tail()}") from None

    def stored_height(self) -> int:
        """The last block in the node's block store, read from its database while the
        node is stopped (LevelDB admits one process at a time)."""
        if self.is_running():
            raise NodeFailure("the node is running: its database is locked")
        db = open_leveldb(self.home.db_path)
        try:
            return ChainStore(db).height()
        finally:
            db.close()

    def kill9(self) -> None:
        process = self._require_process()
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)

    def restart(self, min_height: int = 1) -> None:
        if self.is_running():
            self.stop()
        self.start(min_height)

    def close(self) -> None:
        """Stop the process if it still runs (SIGTERM, then SIGKILL) and release every
        handle; idempotent."""
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=STOP_TIMEOUT_S)
        finally:
            self._http.close()

    def logged_tracebacks(self) -> list[str]:
        """Log lines around each Python traceback the node wrote (internal errors)."""
        lines = self.log_tail(10**8).splitlines()
        return [
            "\n".join(lines[max(i - 2, 0) : i + 30])
            for i, line in enumerate(lines)
            if "Traceback (most recent call last)" in line
        ]

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise NodeFailure("node was never started")
        return self.process

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text[-chars:]

    # -- JSON-RPC --------------------------------------------------------------------

    def session(self) -> httpx.Client:
        """A separate HTTP client, for requests the JSON helpers cannot make."""
        return httpx.Client(timeout=20.0)

    def post(self, payload: Any = None, content: bytes | None = None) -> httpx.Response:
        """POST a JSON payload (or raw bytes) to ``/``; the body never holds a traceback."""
        if content is None:
            response = self._http.post(self.url, json=payload)
        else:
            response = self._http.post(
                self.url, content=content, headers={"content-type": "application/json"}
            )
        assert_no_traceback(response.text)
        return response

    def rpc_response(self, method: str, **params: Any) -> dict[str, Any]:
        """The whole JSON-RPC response object of one call."""
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        response = self.post(payload)
        body: dict[str, Any] = response.json()
        assert body.get("id") == request_id, body
        return body

    def rpc(self, method: str, **params: Any) -> Any:
        """The result of a call; an error object raises RPCFailure."""
        body = self.rpc_response(method, **params)
        if "error" in body:
            raise RPCFailure(method, body["error"])
        return body["result"]

    def height(self) -> int:
        return int(self.rpc("status")["sync_info"]["latest_block_height"])

    def wait_height(self, height: int, timeout: float = 30.0) -> int:
        """Wait until the latest block is at least ``height``; returns the latest height."""
        deadline = time.monotonic() + timeout
        last_error = ""
        for _ in range(int(timeout / POLL_S) + 1):
            if self.process is not None and self.process.poll() is not None:
                raise NodeFailure(f"node exited with code {self.process.returncode}\n{self.log_tail()}")
            try:
                latest = self.height()
            except (httpx.HTTPError, RPCFailure) as exc:
                last_error = repr(exc)
            else:
                if latest >= height:
                    return latest
            if time.monotonic() > deadline:
                break
            time.sleep(POLL_S)
        raise NodeFailure(f"height {height} not reached in {timeout}s ({last_error})\n{self.log_tail()}")

    def wait_tx(self, tx_hash: str, timeout: float = 20.0) -> dict[str, Any]:
        """Wait until ``tx`` finds the hash; returns its result. A connection the busy node
        dropped is asked again, as a client polling would."""
        deadline = time.monotonic() + timeout
        last_error = ""
        for _ in range(int(timeout / POLL_S) + 1):
            try:
                result: dict[str, Any] = self.rpc("tx", hash=tx_hash)
                return result
            except RPCFailure as exc:
                if exc.code != -32001:
                    raise
            except httpx.TransportError as exc:
                last_error = f" (last: {exc!r})"
            if time.monotonic() > deadline:
                break
            time.sleep(POLL_S)
        raise NodeFailure(f"tx {tx_hash} not committed in {timeout}s{last_error}\n{self.log_tail()}")

    def commit_tx(self, raw: bytes, timeout: float = 20.0) -> dict[str, Any]:
        """Broadcast ``raw`` and wait for its block; its ``tx`` answer. Raises NodeFailure if
        CheckTx refuses it or it fails in its block."""
        self.broadcast_tx(raw)
        return self.wait_tx_ok(tx_hash(raw), timeout)

    def broadcast_tx(self, raw: bytes) -> None:
        """Hand ``raw`` to CheckTx; NodeFailure if it refuses it."""
        checked = self.rpc("broadcast_tx_sync", tx=b64(raw))
        if checked["code"] != 0:
            raise NodeFailure(f"tx refused: {checked['log']}")

    def wait_tx_ok(self, tx_hash: str, timeout: float = 20.0) -> dict[str, Any]:
        """Wait for the tx's block; its ``tx`` answer, or NodeFailure if it failed there."""
        result = self.wait_tx(tx_hash, timeout)
        if result["tx_result"]["code"] != 0:
            raise NodeFailure(f"tx failed: {result['tx_result']['log']}")
        return result

    # -- accounts and txs -------------------------------------------------------------

    def balance(self, address: str, denom: str = DENOM) -> int:
        return int(self.rpc("balances", address=address, denom=denom)["balances"][0]["amount"])

    def account(self, address: str) -> dict[str, Any]:
        result: dict[str, Any] = self.rpc("account", address=address)
        return result

    def supply(self, denom: str = DENOM) -> int:
        for coin in self.rpc("supply")["supply"]:
            if coin["denom"] == denom:
                return int(coin["amount"])
        return 0


class NodeProcess(DepindProcess):
    """One single-validator depind node in its own home under ``root``."""

    def __init__(
        self,
        root: Path,
        funded: Mapping[str, int] | None = None,
        timeout_commit_s: float = TIMEOUT_COMMIT_S,
        edit_genesis: Callable[[GenesisDoc], None] | None = None,
    ) -> None:
        self.root = root
        home = Home(root / "home")
        port = free_port()
        if funded is None:
            funded = {key.address: FUNDS for key in KEYS}
        self.genesis = init_single_home(home, port, funded, timeout_commit_s, edit_genesis)
        pub_key = privval.public_key(privval.read_key_file(home.key_file))
        super().__init__(home, root / "node.log", port, pub_key)  # last: nothing to close if the home fails


def init_single_home(
    home: Home,
    port: int,
    funded: Mapping[str, int],
    timeout_commit_s: float,
    edit_genesis: Callable[[GenesisDoc], None] | None,
) -> GenesisDoc:
    """A single-validator home: ``funded`` accounts, RPC on ``port``, REST and metrics on other
    free ports (not 1317 and 26660: tests run many nodes at once), a short commit timeout."""
    genesis = init_solo_home(home, "e2e", CHAIN_ID, funds=SELF_STAKE)  # the operator holds its stake only
    for address, amount in funded.items():
        genesis = add_genesis_account(home, address, [CoinJSON(denom=DENOM, amount=amount)])
    if edit_genesis is not None:
        edit_genesis(genesis)
        genesis_doc.save(genesis, home.genesis_file)
    config = node_config.load(home.config_file)
    config = dataclasses.replace(
        config,
        rpc=dataclasses.replace(config.rpc, laddr=f"127.0.0.1:{port}"),
        api=dataclasses.replace(config.api, address=f"127.0.0.1:{free_port(other_than=port)}"),
        consensus=dataclasses.replace(config.consensus, timeout_commit_s=timeout_commit_s),
        instrumentation=dataclasses.replace(
            config.instrumentation, prometheus_listen_addr=f"127.0.0.1:{free_port(other_than=port)}"
        ),
    )
    home.config_file.write_text(node_config.render(config))
    return genesis


class Wallet:
    """A test key with the account number and next sequence the chain expects."""

    def __init__(self, node: DepindProcess, key: PrivateKey) -> None:
        self.node = node
        self.key = key
        account = node.account(key.address)
        self.account_number = int(account["account_number"])
        self.sequence = int(account["sequence"])

    @property
    def address(self) -> str:
        return self.key.address

    def sign(
        self,
        messages: Sequence[Msg],
        sequence: int | None = None,
        fee: int = FEE,
        gas: int = GAS,
        chain_id: str = CHAIN_ID,
    ) -> bytes:
        """Signed tx bytes; the tracked sequence is used (not advanced) unless one is given."""
        return build_tx(
            self.key,
            chain_id,
            self.account_number,
            self.sequence if sequence is None else sequence,
            messages,
            [Coin(DENOM, fee)] if fee else [],
            gas,
        )

    def send_msg(self, to: str, amount: int) -> MsgSend:
        return MsgSend(self.address, to, [Coin(DENOM, amount)])


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def tx_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest().upper()


NodeFactory = Callable[..., "NodeProcess"]


class WSClient:
    """A JSON-RPC client on ``/websocket``: calls wait for their response (bounded),
    and subscription events that arrive meanwhile are kept, in order, for ``next_event``."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._stack = contextlib.ExitStack()  # websockets >= 17 wants connect() as a context
        self.connection = self._stack.enter_context(
            ws_connect(url, open_timeout=timeout, close_timeout=5, max_size=2**24)
        )
        self.pending_events: deque[dict[str, Any]] = deque()
        self._ids = itertools.count(1)

    def __enter__(self) -> WSClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    def receive(self, timeout: float) -> Any:
        text = self.connection.recv(timeout=timeout)
        assert isinstance(text, str)
        assert_no_traceback(text)
        return json.loads(text)

    def send_text(self, text: str) -> None:
        self.connection.send(text)

    def call_response(self, method: str, **params: Any) -> dict[str, Any]:
        request_id = next(self._ids)
        self.send_text(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        return self.wait_response(request_id)

    def wait_response(self, request_id: int | None) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            message: dict[str, Any] = self.receive(left)
            if is_event(message):
                self.pending_events.append(message)
            elif message.get("id") == request_id:
                return message
            else:
                raise AssertionError(f"unexpected message {message}")
        raise TimeoutError(f"no response to request {request_id} in {self.timeout}s")

    def call(self, method: str, **params: Any) -> Any:
        response = self.call_response(method, **params)
        if "error" in response:
            raise RPCFailure(method, response["error"])
        return response["result"]

    def next_event(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next subscription message (``{"id": "<client>#event", "result"|"error": ...}``)."""
        if self.pending_events:
            return self.pending_events.popleft()
        message: dict[str, Any] = self.receive(timeout)
        if not is_event(message):
            raise AssertionError(f"expected an event, got {message}")
        return message

    def drain_events(self, quiet_s: float = 0.5) -> list[dict[str, Any]]:
        """Every event already received or arriving until ``quiet_s`` passes without one."""
        events = list(self.pending_events)
        self.pending_events.clear()
        for _ in range(10_000):
            try:
                events.append(self.next_event(quiet_s))
            except TimeoutError:
                return events
        raise AssertionError("events kept arriving while draining")


def is_event(message: dict[str, Any]) -> bool:
    return isinstance(message.get("id"), str) and message["id"].endswith("#event")


class PacedLoad(threading.Thread):
    """Calls ``send(index)`` ``rate`` times a second, at most ``limit`` times, until stopped;
    an error is kept for ``stop`` to raise in the test thread. Subclasses say how to send
    one tx (``send``), or wrap the whole run (``send_all``)."""

    def __init__(self, name: str, rate: float, limit: int) -> None:
        super().__init__(name=name, daemon=True)
        self.rate = rate
        self.limit = limit
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.send_all()
        except BaseException as exc:  # re-raised by stop() in the test thread
            self.error = exc

    def send_all(self) -> None:
        self.pace(self.send)

    def pace(self, send: Callable[[int], None]) -> None:
        started = time.monotonic()
        for index in range(self.limit):
            if self.halt.wait(max(started + index / self.rate - time.monotonic(), 0)):
                return
            send(index)

    def send(self, index: int) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.halt.set()
        self.join(LOAD_JOIN_TIMEOUT_S)
        if self.is_alive():
            raise AssertionError(f"load thread did not stop in {LOAD_JOIN_TIMEOUT_S}s")
        if self.error is not None:
            raise self.error
