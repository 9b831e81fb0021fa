"""A real ``depind start`` process on a free 127.0.0.1 port, and the CLI run as users run it."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from node import config as node_config
from node.client import Client, ClientError
from node.home import Home
from node.validator_home import init_dev_home

REPO = Path(__file__).resolve().parents[3]
BLOCK_INTERVAL_S = 0.2  # short blocks keep the tests quick; the rules do not depend on it
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 60.0
POLL_S = 0.1


def free_port() -> int:
    """A port nothing listens on right now (the OS picked it, then we let it go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPIND_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``depind ARGS`` in a fresh interpreter: exit code, stdout and stderr as a user sees them."""
    return subprocess.run(
        [sys.executable, "-m", "node.cli.main", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        cwd=REPO,
        env=cli_env(),
        check=False,
    )


def run_json(*args: str) -> Any:
    result = run_cli(*args, "--output", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass
class LocalNode:
    """A single-validator dev chain with the funded ``dev`` key in its test keyring."""

    home: Path
    url: str
    dev_address: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @classmethod
    def start(cls, home: Path, prepare: Callable[[Home], None] | None = None) -> LocalNode:
        """Start a new dev chain; ``prepare`` may change its home (its genesis) first."""
        dev_address, _ = init_dev_home(Home(home))
        if prepare is not None:
            prepare(Home(home))
        url = configure(Home(home), f"127.0.0.1:{free_port()}")
        log = (home.parent / "node.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "start", "--home", str(home)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=cli_env(),
        )
        node = cls(home, url, dev_address, process, log)
        try:
            node.wait_for_height(1, START_TIMEOUT_S)
        except BaseException:
            node.stop()
            raise
        return node

    def wait_for_height(self, height: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with Client(self.url, timeout=2.0) as client:
            for _ in range(int(timeout / POLL_S) + 1):
                if self.process.poll() is not None:
                    raise RuntimeError(f"depind exited with {self.process.returncode}: {self.log_tail()}")
                try:
                    if client.height() >= height:
                        return
                except ClientError:
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    break
                time.sleep(POLL_S)
        raise TimeoutError(f"no block {height} within {timeout}s: {self.log_tail()}")

    def stop(self) -> None:
        """Ctrl-C first, so the node closes its database; kill if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)
        self.log.close()

    def log_tail(self) -> str:
        self.log.flush()
        return (self.home.parent / "node.log").read_text(errors="replace")[-2000:]


def configure(home: Home, laddr: str) -> str:
    config = node_config.load(home.config_file)
    config = dataclasses.replace(
        config,
        rpc=dataclasses.replace(config.rpc, laddr=laddr),
        api=dataclasses.replace(config.api, address=f"127.0.0.1:{free_port()}"),
        consensus=dataclasses.replace(config.consensus, timeout_commit_s=BLOCK_INTERVAL_S),
        instrumentation=dataclasses.replace(
            config.instrumentation, prometheus_listen_addr=f"127.0.0.1:{free_port()}"
        ),
    )
    home.config_file.write_text(node_config.render(config))
    return f"http://{laddr}"
