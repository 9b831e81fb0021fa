"""Slashing for downtime on a running network of four validators (real ``depind start``
processes): a validator stopped for longer than the signed-blocks window is jailed and
slashed 1% while the other three go on committing; started again and past its jail time,
``depind tx slashing unjail`` brings it back into the set."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from genesis import doc as genesis_doc
from node.testnet import KEYRING_BACKEND, VALIDATOR_POWER, VALIDATOR_STAKE
from tests.e2e.harness import REPO_ROOT, DepindProcess, NodeFailure, eventually
from tests.e2e.network import Network, NetworkFactory, ValidatorNode
from vm.crypto import VALOPER_HRP, address_from_pubkey

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
WINDOW = 10  # signed-blocks window: missing more than half of it jails
JAIL_S = 3
CLI_TIMEOUT_S = 60.0
WAIT_S = 60.0


def test_downtime_jails_slashes_and_unjail_returns(network_factory: NetworkFactory) -> None:
    network = network_factory(VALIDATORS, start=False)
    shorten_slashing(network)
    network.start_all()
    node0, node3 = network.nodes[0], network.nodes[3]
    network.wait_all_height(2)

    node3.stop()
    stopped_at = node0.height()
    jailed = eventually(lambda: staking_validator(node0, node3)["jailed"], "node3 jailed", WAIT_S)
    assert jailed
    validator = staking_validator(node0, node3)
    assert int(validator["tokens"]) == VALIDATOR_STAKE * 99 // 100  # slashed 1%
    after = node0.height()  # jailed in a block at or before this height: out of the set 2 later
    network.wait_all_height(after + 3, nodes=network.nodes[:3])  # three of four go on
    assert node3.validator_address not in powers(node0, after + 2)
    assert after > stopped_at + WINDOW // 2

    node3.start(min_height=1)
    node3.wait_height(node0.height(), timeout=WAIT_S)
    time.sleep(JAIL_S)
    unjail(node3)
    back = eventually(lambda: node3.validator_address in powers(node0, node0.height()), "node3 back", WAIT_S)
    assert back
    assert powers(node0, node0.height())[node3.validator_address] == VALIDATOR_POWER * 99 // 100
    assert staking_validator(node0, node3)["jailed"] is False


def shorten_slashing(network: Network) -> None:
    """A short window and jail time in the shared genesis (every home has the same copy)."""
    for node in network.nodes:
        doc = genesis_doc.load(node.home.genesis_file)
        params = doc.app_state.setdefault("slashing", {}).setdefault("params", {})
        params["signed_blocks_window"] = WINDOW
        params["downtime_jail_duration_ns"] = JAIL_S * 10**9
        genesis_doc.save(doc, node.home.genesis_file)


def staking_validator(node: DepindProcess, validator: ValidatorNode) -> dict[str, Any]:
    found: dict[str, Any] = node.rpc("validator_staking", address=valoper(validator))
    return found


def valoper(node: ValidatorNode) -> str:
    return address_from_pubkey(node.account_key.public_key, VALOPER_HRP)


def powers(node: DepindProcess, height: int) -> dict[str, int]:
    found = node.rpc("validators", height=height, per_page=100)["validators"]
    return {v["address"]: int(v["voting_power"]) for v in found}


def unjail(node: ValidatorNode) -> None:
    """``depind tx slashing unjail`` with the node's own account key, through its RPC."""
    command = [
        *(sys.executable, "-m", "node.cli.main", "tx", "slashing", "unjail"),
        *("--from", node.name, "--home", str(node.home.root), "--keyring-backend", KEYRING_BACKEND),
        *("--node", node.url, "--yes"),
    ]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    if done.returncode != 0:
        raise NodeFailure(f"unjail exited with {done.returncode}: {done.stdout}{done.stderr}")
