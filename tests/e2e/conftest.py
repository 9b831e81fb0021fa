"""End-to-end fixtures: real ``depind start`` processes on 127.0.0.1 (see harness.py).

``node_factory`` makes nodes and guarantees that each is killed and its handles
closed when the test ends; on failure the tail of every node's log is printed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path

import pytest

from genesis.schema import GenesisDoc
from tests.e2e.harness import TIMEOUT_COMMIT_S, NodeFactory, NodeProcess

__all__ = ["NodeProcess"]


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
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for created in nodes:
            print(f"\n----- {created.log_path} (tail) -----\n{created.log_tail()}")
    for created in nodes:
        tracebacks = created.logged_tracebacks()
        assert not tracebacks, f"{created.log_path} holds tracebacks:\n" + "\n".join(tracebacks)


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
