"""The ``gov_*`` JSON-RPC methods over the chain of tests/vm/gov/query_chain.py: the gov
module's JSON with each proposal's messages decoded, and the error codes of bad params and
missing records."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import pytest
import trio

from node.node import Node
from node.rpc.errors import INVALID_PARAMS, NOT_FOUND, QUERY_FAILED
from node.rpc.gov_methods import decoded
from tests.node.rpc.support import rpc, rpc_error
from tests.vm.gov.query_chain import QUERY_HEIGHT, gov_app
from tests.vm.gov.vectors import GOV
from tests.vm.helpers import ALICE, BOB, CAROL
from vm.app import App

KEEP_SENDING = {
    "@type": "/cosmos.bank.v1beta1.MsgUpdateParams",
    "authority": GOV,
    "params": {"default_send_enabled": True, "send_enabled": []},
}


@dataclass
class AppNode:
    """What the application-query RPC methods read of a node: its app."""

    app: App


@pytest.fixture(scope="module")
def node() -> Node:
    return cast(Node, AppNode(gov_app()))


def call(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc, node, method, **params))


def error(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc_error, node, method, **params))


def test_proposal_with_its_messages_decoded(node: Node) -> None:
    found = call(node, "gov_proposal", proposal_id=1)
    assert found["height"] == str(QUERY_HEIGHT)
    proposal = found["proposal"]
    assert proposal["messages"] == [KEEP_SENDING]
    assert (proposal["status"], proposal["voting_end_height"]) == ("PROPOSAL_STATUS_PASSED", "5")
    assert call(node, "gov_proposal", proposal_id="3")["proposal"]["messages"] == [KEEP_SENDING] * 2


def test_proposals_filtered_and_paged(node: Node) -> None:
    every = call(node, "gov_proposals")
    assert [p["id"] for p in every["proposals"]] == ["1", "2", "3"] and every["next_key"] == ""
    assert every["proposals"][0]["messages"] == [KEEP_SENDING]
    voting = call(node, "gov_proposals", status="PROPOSAL_STATUS_VOTING_PERIOD")
    assert [p["id"] for p in voting["proposals"]] == ["3"]
    first = call(node, "gov_proposals", depositor=CAROL.address, limit=1)
    assert [p["id"] for p in first["proposals"]] == ["2"]
    rest = call(node, "gov_proposals", depositor=CAROL.address, limit=1, next_key=first["next_key"])
    assert [p["id"] for p in rest["proposals"]] == ["3"] and rest["next_key"] == ""
    assert call(node, "gov_proposals", voter=BOB.address)["proposals"] == []


def test_votes_deposits_and_tally(node: Node) -> None:
    votes = call(node, "gov_votes", proposal_id=3)["votes"]
    assert [v["voter"] for v in votes] == [CAROL.address, ALICE.address]
    assert call(node, "gov_vote", proposal_id=3, voter=ALICE.address)["vote"] == votes[1]
    deposits = call(node, "gov_deposits", proposal_id=2)["deposits"]
    assert [d["amount"] for d in deposits] == [[{"denom": "udepin", "amount": a}] for a in ("100", "400")]
    assert call(node, "gov_deposit", proposal_id=2, depositor=BOB.address)["deposit"] == deposits[1]
    assert call(node, "gov_tally", proposal_id=3)["tally"]["yes_count"] == "6000000"


def test_params_in_blocks(node: Node) -> None:
    answer = call(node, "gov_params")
    assert answer["height"] == str(QUERY_HEIGHT)
    params = answer["params"]
    assert (params["max_deposit_blocks"], params["voting_blocks"], params["expedited_voting_blocks"]) == (
        10,
        3,
        2,
    )
    assert params["min_deposit"] == [{"denom": "udepin", "amount": 1000}]


def test_missing_records_are_not_found(node: Node) -> None:
    assert error(node, "gov_proposal", proposal_id=9).code == NOT_FOUND
    assert error(node, "gov_tally", proposal_id=9).code == NOT_FOUND
    assert error(node, "gov_vote", proposal_id=3, voter=BOB.address).code == NOT_FOUND
    assert error(node, "gov_deposit", proposal_id=1, depositor=ALICE.address).code == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("gov_proposal", {}),
        ("gov_proposal", {"proposal_id": "one"}),
        ("gov_proposal", {"proposal_id": 1, "id": 1}),
        ("gov_proposals", {"limit": "many"}),
        ("gov_votes", {"proposal_id": 3, "next_key": 5}),
        ("gov_vote", {"proposal_id": 3}),
    ],
)
def test_invalid_params(node: Node, method: str, params: dict[str, Any]) -> None:
    assert error(node, method, **params).code == INVALID_PARAMS


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("gov_proposal", {"proposal_id": 0}),
        ("gov_proposals", {"status": "passed"}),
        ("gov_proposals", {"voter": "depin1nope"}),
        ("gov_proposals", {"limit": 1000}),
        ("gov_proposals", {"next_key": "not hex"}),
        ("gov_votes", {"proposal_id": -1}),
        ("gov_deposits", {"proposal_id": 2, "next_key": "00"}),
    ],
)
def test_invalid_requests_the_module_refuses(node: Node, method: str, params: dict[str, Any]) -> None:
    assert error(node, method, **params).code == QUERY_FAILED


def test_a_message_of_a_type_this_node_lacks_is_shown_as_stored() -> None:
    unknown = {"type_url": "/example.v1.MsgUnknown", "value": "CgEx"}
    assert decoded(unknown) == unknown
    garbled = {"type_url": "/cosmos.bank.v1beta1.MsgUpdateParams", "value": "/w=="}  # a truncated varint
    assert decoded(garbled) == garbled
