"""Staking on a running network of four validators (real ``depind start`` processes): a
delegation changes a validator's voting power two heights after its block, a fifth node
joins the running chain with ``MsgCreateValidator``, enters the set and signs blocks, and
leaves it two heights after unbonding its stake."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from consensus.validators import address_of
from node.gentx import ValidatorTerms, create_validator_msg
from node.keys.hd import PrivateKey
from node.testnet import VALIDATOR_POWER
from tests.e2e.harness import DENOM, DepindProcess, Wallet, eventually
from tests.e2e.network import Network, NetworkFactory, add_node, commit_signers
from vm.crypto import VALOPER_HRP, address_from_pubkey
from vm.msg import Msg
from vm.staking.msgs import MsgDelegate, MsgUndelegate
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
POWER_REDUCTION = 1_000_000  # udepin per unit of consensus power (the default)
STAKING_GAS = 400_000
STAKING_FEE = 4_000
SYNC_TIMEOUT_S = 60.0


def test_staking_changes_the_validator_set(network_factory: NetworkFactory, tmp_path: Path) -> None:
    network = network_factory(VALIDATORS)
    network.wait_all_height(2)
    check_delegation_moves_power(network)
    check_a_new_validator_joins_and_leaves(network, tmp_path)


def check_delegation_moves_power(network: Network) -> None:
    node0, node1 = network.nodes[0], network.nodes[1]
    delegator = Wallet(node0, node0.account_key)
    operator = valoper(node1.account_key)
    delegation = MsgDelegate(delegator.address, operator, Coin(DENOM, 5 * POWER_REDUCTION))
    height = commit(node0, delegator, [delegation], network.chain_id)
    node0.wait_height(height + 2)
    assert powers(node0, height + 1)[node1.validator_address] == VALIDATOR_POWER
    assert powers(node0, height + 2)[node1.validator_address] == VALIDATOR_POWER + 5


def check_a_new_validator_joins_and_leaves(network: Network, tmp_path: Path) -> None:
    node0 = network.nodes[0]
    joiner = add_node(network, tmp_path / "node4")
    joiner.launch()
    joiner.wait_started(node0.height(), timeout=SYNC_TIMEOUT_S)
    operator_key = PrivateKey(bytes([77]) * 32)
    funder = Wallet(node0, node0.account_key)
    funding = funder.send_msg(operator_key.address, 50 * POWER_REDUCTION)
    commit(node0, funder, [funding], network.chain_id)

    operator = Wallet(node0, operator_key)
    stake = Coin(DENOM, 20 * POWER_REDUCTION)
    create = create_validator_msg(operator_key, joiner.validator_pub_key, stake, ValidatorTerms("node4"))
    joined = commit(node0, operator, [create], network.chain_id)
    address = address_of(joiner.validator_pub_key).hex().upper()
    node0.wait_height(joined + 2)
    assert address not in powers(node0, joined + 1)
    assert powers(node0, joined + 2)[address] == 20
    assert len(powers(node0, joined + 2)) == VALIDATORS + 1
    eventually(
        lambda: any(address in commit_signers(node0, h) for h in range(joined + 2, node0.height())),
        "the new validator's precommits in a commit",
    )

    unbond = MsgUndelegate(operator_key.address, create.validator_address, stake)
    left = commit(node0, operator, [unbond], network.chain_id)
    node0.wait_height(left + 2)
    assert powers(node0, left + 1)[address] == 20
    assert address not in powers(node0, left + 2)
    assert len(powers(node0, left + 2)) == VALIDATORS
    network.wait_all_height(left + 3)  # the four go on without it


def valoper(key: PrivateKey) -> str:
    return address_from_pubkey(key.public_key, VALOPER_HRP)


def commit(node: DepindProcess, wallet: Wallet, messages: Sequence[Msg], chain_id: str) -> int:
    """Broadcast a tx of ``messages`` signed by ``wallet``; the height of the block it is in."""
    raw = wallet.sign(messages, fee=STAKING_FEE, gas=STAKING_GAS, chain_id=chain_id)
    result = node.commit_tx(raw)
    wallet.sequence += 1
    return int(result["height"])


def powers(node: DepindProcess, height: int) -> dict[str, int]:
    """Each validator's voting power at ``height`` (the ``validators`` RPC), by address."""
    found = node.rpc("validators", height=height, per_page=100)["validators"]
    return {v["address"]: int(v["voting_power"]) for v in found}
