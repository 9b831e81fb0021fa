"""``depind explorer`` as a real process on 127.0.0.1, against a node's URL."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.harness import REPO_ROOT, STOP_TIMEOUT_S, eventually, free_port

START_TIMEOUT_S = 30.0


class ExplorerProcess:
    """``depind explorer --node NODE --listen 127.0.0.1:<port>`` (a free one unless given),
    logging to ``log_path``."""

    def __init__(self, node: str, log_path: Path, port: int | None = None) -> None:
        self.port = free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        self.explorer_url = f"{self.url}/explorer/"
        self.websocket_url = f"ws://127.0.0.1:{self.port}/websocket"
        self.log_path = log_path
        command = [sys.executable, "-m", "node.cli.main", "explorer", "--node", node]
        command += ["--listen", f"127.0.0.1:{self.port}"]
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            eventually(self.is_serving, f"depind explorer on port {self.port}", timeout=START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise

    def is_serving(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"depind explorer exited with {self.process.returncode}:\n{self.log()}")
        try:
            return httpx.get(f"{self.url}/explorer/config.json", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it does not exit; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)
            raise AssertionError(f"depind explorer ignored SIGTERM:\n{self.log()}") from None
