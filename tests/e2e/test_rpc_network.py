"""The network and consensus RPC methods on a running network of four validators:
``net_info``, ``status``, ``consensus_state``, ``dump_consensus_state`` and
``validators`` at the first and the latest height."""

from __future__ import annotations

import pytest

from node.testnet import VALIDATOR_POWER
from tests.e2e.harness import eventually
from tests.e2e.network import Network, NetworkFactory, ValidatorNode

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4


def height_round_step(node: ValidatorNode) -> tuple[int, int, int]:
    text = node.rpc("consensus_state")["round_state"]["height/round/step"]
    height, round_, step = (int(part) for part in text.split("/"))
    return height, round_, step


def test_network_rpc(network_factory: NetworkFactory) -> None:
    network = network_factory(VALIDATORS)
    network.wait_all_height(3)
    for node in network.nodes:
        check_net_info(network, node)
        check_status(node)
    check_consensus_state_advances(network.nodes[0])
    check_dump_consensus_state(network, network.nodes[1])
    check_validators(network, network.nodes[2])


def check_net_info(network: Network, node: ValidatorNode) -> None:
    others = {other.node_id for other in network.nodes if other is not node}
    info = eventually(
        lambda: (found := node.rpc("net_info"))["n_peers"] == str(len(others)) and found,
        f"{node.name} connected to {len(others)} peers",
    )
    assert info["listening"] is True
    assert info["listeners"], info
    assert all(addr.endswith(f"/p2p/{node.node_id}") for addr in info["listeners"])
    assert {peer["node_info"]["id"] for peer in info["peers"]} == others
    for peer in info["peers"]:
        # Every testnet node names the others as persistent peers, so their addresses are known.
        assert peer["remote_ip"] == "127.0.0.1"
        assert peer["connection_status"]["persistent"] is True


def check_status(node: ValidatorNode) -> None:
    status = node.rpc("status")
    assert status["node_info"]["other"]["peer_id"] == node.node_id  # "id" is its hex, as cosmjs reads it
    assert status["node_info"]["listen_addr"] == node.p2p_laddr
    assert status["validator_info"]["voting_power"] == str(VALIDATOR_POWER)
    eventually(lambda: node.rpc("status")["sync_info"]["catching_up"] is False, f"{node.name} caught up")


def check_consensus_state_advances(node: ValidatorNode) -> None:
    height, round_, step = height_round_step(node)
    assert height >= 3 and round_ >= 0 and step in (1, 3, 4, 6, 8)
    state = node.rpc("consensus_state")["round_state"]
    assert state["height_vote_set"], state
    for votes in state["height_vote_set"]:
        assert len(votes["prevotes"]) == len(votes["precommits"]) == VALIDATORS
        assert votes["prevotes_bit_array"].startswith(f"BA{{{VALIDATORS}:")
    validators = {v["address"] for v in node.rpc("validators")["validators"]}
    assert state["proposer"]["address"] in validators
    eventually(lambda: height_round_step(node)[0] > height, f"{node.name} past height {height}")


def check_dump_consensus_state(network: Network, node: ValidatorNode) -> None:
    dump = node.rpc("dump_consensus_state")
    others = {other.node_id for other in network.nodes if other is not node}
    assert {peer["node_address"].split("@")[0] for peer in dump["peers"]} == others
    for peer in dump["peers"]:
        assert peer["node_address"].split("@")[1].startswith("127.0.0.1:"), peer
        # every peer votes and asks for what it lacks: both show how far it has got
        assert int(peer["peer_state"]["round_state"]["height"]) >= 3, peer
        assert peer["peer_state"]["round_state"]["step"] in (1, 3, 4, 6, 8), peer  # 8: decided
    state = dump["round_state"]
    assert int(state["height"]) >= 3
    assert len(state["validators"]["validators"]) == VALIDATORS


def check_validators(network: Network, node: ValidatorNode) -> None:
    expected = {other.validator_address for other in network.nodes}
    latest = node.height()
    for height in (1, latest):
        result = node.rpc("validators", height=height)
        assert result["block_height"] == str(height)
        assert (result["count"], result["total"]) == (str(VALIDATORS), str(VALIDATORS))
        assert {v["address"] for v in result["validators"]} == expected
        assert {v["voting_power"] for v in result["validators"]} == {str(VALIDATOR_POWER)}
