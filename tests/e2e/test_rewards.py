"""Rewards on a running node, to the unit: with no inflation, a delegator's withdrawal
pays exactly its F1 share of the fees of the blocks it was bonded for.

The one validator stakes SELF_STAKE with 10% commission and signs every block. A block's
fees are shared at the next block's start: the community pool takes 2%, the validator
10% of the rest, and the delegators the remainder by stake. Delegating SELF_STAKE makes
the delegator half the stake, so each fee F paid from the delegation's block up to the
block before the withdrawal gives it F * 0.98 * 0.9 / 2 (exact for these fees)."""

from __future__ import annotations

from typing import Any

import pytest

from genesis.schema import GenesisDoc, set_section
from node.validator_home import SELF_STAKE
from tests.e2e.harness import DENOM, KEYS, NodeFactory, Wallet, b64, e2e_key, tx_hash
from tests.vm.helpers import NO_INFLATION
from vm.distribution.msgs import MsgWithdrawDelegatorReward
from vm.msg import Msg
from vm.staking.msgs import MsgDelegate
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STAKING_GAS = 400_000
STAKING_FEE = 4_000
SEND_FEE = 2_000
SENDS = 3


def without_inflation(doc: GenesisDoc) -> None:
    set_section(doc, "mint", NO_INFLATION)


def delegator_share(fee: int) -> int:
    to_validator = fee * 98 // 100  # community tax 2%
    to_delegators = to_validator - to_validator * 10 // 100  # commission 10%
    return to_delegators // 2  # half the stake


def test_withdraw_pays_the_f1_share_to_the_unit(node_factory: NodeFactory) -> None:
    node = node_factory(edit_genesis=without_inflation)
    (validator,) = node.rpc("validators_staking")["validators"]
    operator = validator["operator_address"]
    delegator = Wallet(node, KEYS[0])

    def commit(messages: list[Msg], fee: int, gas: int) -> dict[str, Any]:
        raw = delegator.sign(messages, fee=fee, gas=gas)
        assert node.rpc("broadcast_tx_sync", tx=b64(raw))["code"] == 0
        result = node.wait_tx(tx_hash(raw))
        assert result["tx_result"]["code"] == 0, result["tx_result"]["log"]
        delegator.sequence += 1
        return result

    commit([MsgDelegate(delegator.address, operator, Coin(DENOM, SELF_STAKE))], STAKING_FEE, STAKING_GAS)
    paid = [STAKING_FEE]
    for index in range(SENDS):
        commit([delegator.send_msg(e2e_key(300 + index).address, 1)], SEND_FEE, 200_000)
        paid.append(SEND_FEE)
    # Each tx waited for its block, so this one comes after every fee above was shared out.
    withdrawn = commit([MsgWithdrawDelegatorReward(delegator.address, operator)], STAKING_FEE, STAKING_GAS)

    events = withdrawn["tx_result"]["events"]
    (withdraw,) = [e for e in events if e["type"] == "withdraw_rewards"]
    amount = {a["key"]: a["value"] for a in withdraw["attributes"]}["amount"]
    assert amount == f"{sum(delegator_share(fee) for fee in paid)}{DENOM}"
