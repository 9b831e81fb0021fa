"""The staking JSON-RPC methods (``validators_staking``, ``validator_staking``,
``delegations``, ``unbonding_delegations``, ``redelegations``, ``staking_pool``) over the
chain of tests/vm/staking/query_chain.py: depind's JSON, pages, and error codes."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import pytest
import trio

from node.node import Node
from node.rpc.errors import NOT_FOUND, QUERY_FAILED
from tests.node.rpc.support import rpc, rpc_error
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, raw
from tests.vm.staking.query_chain import (
    ERIN,
    FRANK,
    QUERY_HEIGHT,
    REDELEGATED,
    UNBONDING_BLOCKS,
    UNDELEGATED,
    staked_app,
)
from tests.vm.staking.vectors import cons_key, valoper
from vm.app import App
from vm.staking.types import consensus_address


@dataclass
class AppNode:
    """What the application-query RPC methods read of a node: its app."""

    app: App


@pytest.fixture(scope="module")
def node() -> Node:
    return cast(Node, AppNode(staked_app()))


def call(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc, node, method, **params))


def error(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc_error, node, method, **params))


def test_validators_staking_pages_and_filters(node: Node) -> None:
    keys = sorted((ALICE, BOB, CAROL, DAVE, ERIN), key=raw)
    everyone = [valoper(k) for k in keys]
    first = call(node, "validators_staking", limit=3)
    assert [v["operator_address"] for v in first["validators"]] == everyone[:3]
    assert first["height"] == str(QUERY_HEIGHT) and first["next_key"] == raw(keys[3]).hex()
    rest = call(node, "validators_staking", limit="3", next_key=first["next_key"])
    assert [v["operator_address"] for v in rest["validators"]] == everyone[3:]
    assert rest["next_key"] == ""
    [unbonding] = call(node, "validators_staking", status="BOND_STATUS_UNBONDING")["validators"]
    assert unbonding["operator_address"] == valoper(ALICE)
    assert unbonding["unbonding_completion_height"] == str(2 + UNBONDING_BLOCKS)


def test_validator_staking_by_operator_or_consensus_address(node: Node) -> None:
    by_operator = call(node, "validator_staking", address=valoper(DAVE))
    by_key = call(node, "validator_staking", cons_address=consensus_address(cons_key(4)).hex().upper())
    assert by_operator == by_key
    assert (by_key["status"], by_key["power"], by_key["description"]["moniker"]) == (
        "BOND_STATUS_BONDED",
        "8",
        "node",
    )


def test_delegations_of_a_delegator_a_validator_or_both(node: Node) -> None:
    mine = call(node, "delegations", delegator=FRANK.address, limit=2)
    assert len(mine["delegation_responses"]) == 2 and mine["next_key"]
    more = call(node, "delegations", delegator=FRANK.address, limit=2, next_key=mine["next_key"])
    assert len(more["delegation_responses"]) == 1 and more["next_key"] == ""
    [one] = call(node, "delegations", delegator=FRANK.address, validator=valoper(CAROL))[
        "delegation_responses"
    ]
    assert one["delegation"]["shares"] == "300000.000000000000000000"
    assert one["balance"]["amount"] == "300000"
    to_bob = call(node, "delegations", validator=valoper(BOB))["delegation_responses"]
    assert {d["delegation"]["delegator_address"] for d in to_bob} == {BOB.address, FRANK.address}


def test_unbonding_delegations_and_redelegations(node: Node) -> None:
    [ubd] = call(node, "unbonding_delegations", delegator=FRANK.address)["unbonding_responses"]
    assert ubd["validator_address"] == valoper(BOB)
    assert ubd["entries"][0]["balance"] == str(UNDELEGATED)
    assert ubd["entries"][0]["completion_height"] == str(QUERY_HEIGHT + UNBONDING_BLOCKS)
    assert call(node, "unbonding_delegations", validator=valoper(BOB))["unbonding_responses"] == [ubd]
    [red] = call(node, "redelegations", delegator=FRANK.address)["redelegation_responses"]
    assert red["entries"][0]["balance"] == str(REDELEGATED)
    from_carol = call(node, "redelegations", src_validator=valoper(CAROL), dst_validator=valoper(DAVE))
    assert from_carol["redelegation_responses"] == [red]


def test_staking_pool(node: Node) -> None:
    pool = call(node, "staking_pool")
    assert set(pool) == {"bonded_tokens", "not_bonded_tokens", "height"}


def test_invalid_staking_requests(node: Node) -> None:
    missing = error(node, "validator_staking", address=valoper(FRANK))
    assert missing.code == NOT_FOUND and missing.data == f"validator {valoper(FRANK)} not found"
    assert error(node, "delegations", delegator=FRANK.address, validator=valoper(ALICE)).code == NOT_FOUND
    assert (
        error(node, "unbonding_delegations", delegator=FRANK.address, validator=valoper(DAVE)).code
        == NOT_FOUND
    )
    bad_status = error(node, "validators_staking", status="bonded")
    assert bad_status.code == QUERY_FAILED and "invalid validator status bonded" in bad_status.data
    assert error(node, "delegations").code == QUERY_FAILED  # neither a delegator nor a validator
    assert error(node, "redelegations").code == QUERY_FAILED
    assert error(node, "validators_staking", next_key="zz").code == QUERY_FAILED
    assert error(node, "validators_staking", limit=0).code == QUERY_FAILED
