"""End-to-end fixtures: real ``depind start`` processes on 127.0.0.1 (see harness.py
and network.py).

``node_factory`` makes single nodes and ``network_factory`` networks of validators;
both guarantee that every process is killed and its handles closed when the test
ends; on failure the tail of every node's log is printed (``report_node_logs``, which a
module's own shared network uses too). ``cosmjs`` is the ``node`` binary with
tests/cosmjs's locked npm packages installed.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from genesis.schema import GenesisDoc
from tests.e2e.harness import COSMJS_DIR, TIMEOUT_COMMIT_S, DepindProcess, NodeFactory, NodeProcess
from tests.e2e.network import Network, NetworkFactory

__all__ = ["NodeProcess"]

INSTALL_TIMEOUT_S = 600  # apt or npm installing cosmjs's runtime and packages


def check_node_logs(request: pytest.FixtureRequest, nodes: Sequence[DepindProcess]) -> None:
    """After a test: print each node's log tail if it failed; fail on a traceback in a log."""
    report = getattr(request.node, "rep_call", None)
    report_node_logs(nodes, failed=report is not None and report.failed)


def report_node_logs(nodes: Sequence[DepindProcess], failed: bool) -> None:
    """Print each node's log tail if ``failed``; fail on a traceback in a log."""
    if failed:
        for node in nodes:
            print(f"\n----- {node.log_path} (tail) -----\n{node.log_tail()}")
    for node in nodes:
        tracebacks = node.logged_tracebacks()
        assert not tracebacks, f"{node.log_path} holds tracebacks:\n" + "\n".join(tracebacks)


@pytest.fixture
def node_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[NodeFactory]:
    """Make (and start) nodes; all are stopped and closed when the test ends.

    On failure each node's log tail is printed, so the report shows what the node said;
    a traceback in any node's log (an internal error) fails the test at teardown."""
    nodes: list[NodeProcess] = []

    def make(
        funded: Mapping[str, int] | None = None,
        start: bool = True,
        timeout_commit_s: float = TIMEOUT_COMMIT_S,
        edit_genesis: Callable[[GenesisDoc], None] | None = None,
    ) -> NodeProcess:
        created = NodeProcess(tmp_path / f"node{len(nodes)}", funded, timeout_commit_s, edit_genesis)
        nodes.append(created)
        if start:
            created.start()
        return created

    with contextlib.ExitStack() as cleanup:
        yield make
        for created in nodes:
            cleanup.callback(created.close)  # each runs even if another raises
    check_node_logs(request, nodes)


@pytest.fixture
def network_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[NetworkFactory]:
    """Make networks of ``validators`` nodes (started unless ``start=False``, each at
    ``min_height`` or more); every process is stopped when the test ends, every log
    checked as ``node_factory`` does."""
    networks: list[Network] = []

    def make(
        validators: int,
        start: bool = True,
        min_height: int = 1,
        timeout_commit_s: float = TIMEOUT_COMMIT_S,
        consensus: Mapping[str, Any] | None = None,
    ) -> Network:
        created = Network(tmp_path / f"net{len(networks)}", validators, timeout_commit_s, consensus)
        networks.append(created)
        if start:
            created.start_all(min_height)
        return created

    with contextlib.ExitStack() as cleanup:
        yield make
        for created in networks:
            cleanup.callback(created.close)
    check_node_logs(request, [node for created in networks for node in [*created.nodes, *created.extra]])


@pytest.fixture(scope="session")
def cosmjs() -> str:
    """``node``, with tests/cosmjs's locked packages installed (``npm ci``) once."""
    node = ensure_node()
    lock = COSMJS_DIR / "package-lock.json"
    installed = COSMJS_DIR / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        npm = shutil.which("npm")
        assert npm is not None, "npm is missing"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=COSMJS_DIR, check=True, timeout=INSTALL_TIMEOUT_S
        )
    return node


def ensure_node() -> str:
    """The ``node`` binary, installed with apt when the machine has none."""
    found = shutil.which("node")
    if found is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=INSTALL_TIMEOUT_S)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nodejs", "npm"], check=True, timeout=INSTALL_TIMEOUT_S
        )
        found = shutil.which("node")
    assert found is not None, "node is not installed and apt could not install it"
    return found


@pytest.fixture
def node(node_factory: NodeFactory) -> NodeProcess:
    """A running node whose genesis funds every key in KEYS with FUNDS udepin."""
    return node_factory()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
