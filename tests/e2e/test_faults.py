"""Four validators under faults. Without more than 2/3 of the power connected no block is
committed: two of four stopped, or a partition two against two. Liveness returns once
three are connected again (one restarted, the partition healed), and a 3|1 partition
leaves the three committing and the one behind until it heals and catches up. After
each fault every node holds the same chain: no two blocks at one height.

The partitions run every p2p link through a ``TCPProxy`` (``ProxyMesh``), cut and healed
by the test."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import pytest

from tests.e2e.harness import POLL_S
from tests.e2e.network import Network, NetworkFactory, ValidatorNode, chain_view
from tests.e2e.partition import ProxyMesh

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUIET_S = 5.0  # how long a network short of +2/3 is watched for commits
IN_FLIGHT = 1  # the block being committed when the fault hit may still land
MORE_BLOCKS = 3
RESUME_TIMEOUT_S = 30.0
BACKOFF_MAX_S = 1.0  # links come back within about this long after a heal


@pytest.fixture
def proxied(network_factory: NetworkFactory) -> Iterator[tuple[Network, ProxyMesh]]:
    """Four validators, each p2p link through its own proxy, all past height 2."""
    network = network_factory(4, start=False)
    mesh = ProxyMesh(network, reconnect_backoff_max_s=BACKOFF_MAX_S)
    try:
        network.start_all(min_height=2)
        yield network, mesh
    finally:
        mesh.close()


def assert_no_new_blocks(network: Network, nodes: Sequence[ValidatorNode], since: int) -> int:
    """Watch ``nodes`` for QUIET_S: none may go past ``since`` (plus the block in flight);
    returns the highest height seen."""
    highest = since
    deadline = time.monotonic() + QUIET_S
    while time.monotonic() < deadline:
        heights = network.heights(nodes)
        highest = max(highest, *heights)
        assert highest <= since + IN_FLIGHT, f"committed without +2/3 connected: {heights}, from {since}"
        time.sleep(POLL_S)
    return highest


def assert_same_chain(nodes: Sequence[ValidatorNode], through: int) -> None:
    """Every node has the same block (and app hash) at each height 1 .. ``through``."""
    heights = range(1, through + 1)
    reference = chain_view(nodes[0], heights)
    for node in nodes[1:]:
        assert chain_view(node, heights) == reference, f"{node.name} differs from {nodes[0].name}"


def test_two_of_four_stopped_halt_the_chain_until_one_returns(network_factory: NetworkFactory) -> None:
    network = network_factory(4, min_height=2)
    left = network.nodes[:2]
    returning, stopped = network.nodes[2:]
    assert (returning.stop(), stopped.stop()) == (0, 0)

    halted_at = assert_no_new_blocks(network, left, since=max(network.heights(left)))

    returning.start()
    running = [*left, returning]
    resumed = network.wait_all_height(halted_at + MORE_BLOCKS, RESUME_TIMEOUT_S, nodes=running)
    assert_same_chain(running, min(resumed))


def test_two_two_partition_halts_the_chain_until_healed(proxied: tuple[Network, ProxyMesh]) -> None:
    network, mesh = proxied
    mesh.partition({0, 1}, {2, 3})
    halted_at = assert_no_new_blocks(network, network.nodes, since=max(network.heights()))

    mesh.heal()
    resumed = network.wait_all_height(halted_at + MORE_BLOCKS, RESUME_TIMEOUT_S)
    assert_same_chain(network.nodes, min(resumed))


def test_isolated_validator_falls_behind_then_catches_up(proxied: tuple[Network, ProxyMesh]) -> None:
    network, mesh = proxied
    *majority, isolated = network.nodes
    mesh.partition({0, 1, 2}, {3})
    cut_at = max(network.heights(majority))

    # The isolated node may lag behind the majority and still hold the messages that
    # commit their blocks, so it is bounded by the majority's height at the cut.
    assert_no_new_blocks(network, [isolated], since=cut_at)
    network.wait_all_height(cut_at + MORE_BLOCKS, RESUME_TIMEOUT_S, nodes=majority)

    mesh.heal()
    caught_up = network.wait_caught_up(isolated, RESUME_TIMEOUT_S)
    network.wait_all_height(caught_up)
    assert_same_chain(network.nodes, caught_up)
