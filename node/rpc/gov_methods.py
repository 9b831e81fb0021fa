"""Governance over JSON-RPC: the ``gov_*`` methods, over the gov module's JSON paths
(vm/gov/queries.py).

A proposal's messages are written as REST writes an ``Any``: ``{"@type": <type URL>, ...its
fields}`` in proto3 JSON, LegacyDec values as decimals, so a reader sees what the proposal
would do without parsing protobuf. A message this node has no type for (or whose bytes do
not parse as it) stays as the module answers it, ``{type_url, value}`` with the value in
base64.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.message import DecodeError

from node.rest.gateway import to_json
from node.rpc.app_methods import run_query
from node.rpc.methods import Call


async def gov_proposals(
    ctx: Call, status: str = "", voter: str = "", depositor: str = "", limit: int = 100, next_key: str = ""
) -> Any:
    """Governance proposals in id order, filtered by ``status`` (``PROPOSAL_STATUS_*``) and by
    a ``voter`` or ``depositor`` on them, ``limit`` per page; ``next_key`` to continue."""
    request = {"status": status, "voter": voter, "depositor": depositor, "limit": limit, "next_key": next_key}
    answer = run_query(ctx, "/gov/proposals", request)
    for proposal in answer["proposals"]:
        decode_messages(proposal)
    return answer


async def gov_proposal(ctx: Call, proposal_id: int) -> Any:
    """A governance proposal, its messages decoded, with its periods' heights and times."""
    answer = run_query(ctx, "/gov/proposal", {"proposal_id": proposal_id})
    decode_messages(answer["proposal"])
    return answer


async def gov_votes(ctx: Call, proposal_id: int, limit: int = 100, next_key: str = "") -> Any:
    """The votes on a proposal in its voting period (votes are deleted once counted), in voter
    order, ``limit`` per page; ``next_key`` to continue."""
    return run_query(ctx, "/gov/votes", {"proposal_id": proposal_id, "limit": limit, "next_key": next_key})


async def gov_vote(ctx: Call, proposal_id: int, voter: str) -> Any:
    """One voter's vote on a proposal in its voting period."""
    return run_query(ctx, "/gov/vote", {"proposal_id": proposal_id, "voter": voter})


async def gov_deposits(ctx: Call, proposal_id: int, limit: int = 100, next_key: str = "") -> Any:
    """The deposits on an active proposal (refunded or burned once it ends), in depositor
    order, ``limit`` per page; ``next_key`` to continue."""
    return run_query(ctx, "/gov/deposits", {"proposal_id": proposal_id, "limit": limit, "next_key": next_key})


async def gov_deposit(ctx: Call, proposal_id: int, depositor: str) -> Any:
    """One depositor's deposit on an active proposal."""
    return run_query(ctx, "/gov/deposit", {"proposal_id": proposal_id, "depositor": depositor})


async def gov_tally(ctx: Call, proposal_id: int) -> Any:
    """A proposal's tally: zeros in its deposit period, the votes counted with the bonded stake
    now in its voting period, the final tally once it ended."""
    return run_query(ctx, "/gov/tally", {"proposal_id": proposal_id})


async def gov_params(ctx: Call) -> Any:
    """The governance params, their periods in blocks."""
    answer = run_query(ctx, "/params", {"module": "gov"})
    return {"params": answer["gov"], "height": answer["height"]}


def decode_messages(proposal: dict[str, Any]) -> None:
    proposal["messages"] = [decoded(message) for message in proposal["messages"]]


def decoded(message: dict[str, str]) -> Any:
    packed = AnyPb(type_url=message["type_url"], value=base64.b64decode(message["value"]))
    try:
        return json.loads(to_json(packed))
    except (TypeError, DecodeError, json_format.Error):  # TypeError: no type for its URL
        return message
