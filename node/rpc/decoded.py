"""Committed txs decoded, for readers that do not parse protobuf (the explorer): Cosmos's
``GetTx`` and ``GetTxsEvent`` answers in proto3 JSON, exactly as the REST server writes them
(``/cosmos/tx/v1beta1/txs``), served over JSON-RPC.

Messages appear with their ``@type`` and fields, the fee and signer infos decoded, and the
``tx_response`` with the tx's events and result. Entries of a block that are not Cosmos txs
(the proposer's beacon entry) show as an empty tx, as REST shows them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any

from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2
from google.protobuf.message import Message

from node import services
from node.rest.gateway import to_json
from node.rpc.errors import INVALID_PARAMS, NOT_FOUND, RESPONSE_TOO_LARGE, RPCError
from node.rpc.methods import MAX_PER_PAGE, Call

ORDERS = {"asc": service_pb2.ORDER_BY_ASC, "desc": service_pb2.ORDER_BY_DESC}
CODES = {services.Status.NotFound: NOT_FOUND, services.Status.ResourceExhausted: RESPONSE_TOO_LARGE}


async def decoded_tx(ctx: Call, hash: str) -> Any:
    """The committed tx with this hash (hex) and its result: ``{"tx": …, "tx_response": …}``."""
    return await _answer(services.get_tx(ctx.node, service_pb2.GetTxRequest(hash=hash)))


async def decoded_txs(ctx: Call, query: str, page: int = 1, per_page: int = 30, order_by: str = "asc") -> Any:
    """The committed txs whose events match ``query`` (``tx_search``'s language), a page at a
    time: ``{"txs": […], "tx_responses": […], "total": "N"}``."""
    if order_by not in ORDERS:
        raise RPCError(INVALID_PARAMS, "order_by must be 'asc' or 'desc'")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise RPCError(INVALID_PARAMS, f"per_page must be 1 to {MAX_PER_PAGE}")
    if page < 1:
        raise RPCError(INVALID_PARAMS, "page must be 1 or more")
    request = service_pb2.GetTxsEventRequest(
        query=query, page=page, limit=per_page, order_by=ORDERS[order_by]
    )
    return await _answer(services.get_txs_event(ctx.node, request))


async def _answer(pending: Awaitable[Message]) -> Any:
    try:
        response = await pending
    except services.ServiceError as error:
        raise RPCError(CODES.get(error.status, INVALID_PARAMS), error.message) from None
    return json.loads(to_json(response))
