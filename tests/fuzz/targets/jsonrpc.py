"""A JSON-RPC 2.0 body (POST /, or a WebSocket message) or a CometBFT URI request
(``/<method>?<param>=<value>``, when the input starts with "/"), answered by an in-process
node with three blocks: the framing, the batch limits, each method's parameter checks,
and the handler itself.

Rejections are JSON-RPC error objects. Findings: an "internal error" answer (the server
logs the exception it caught; that exception is raised here) and anything escaping the
server. Each input runs under trio's mock clock, so a method that waits (broadcast_tx_commit)
times out at once."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import parse_qsl, unquote

import trio
import trio.testing
from cosmpy.protos.cosmos.bank.v1beta1 import query_pb2 as bank_query

from node.rpc import server
from node.rpc.methods import Call
from tests.fuzz.solo import solo
from tests.fuzz.support import Finding

MAX_LEN = 4096


class Caught(logging.Handler):
    """The errors the server logs: each is an exception that reached its catch-all."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def fuzz_one(data: bytes) -> None:
    caught = Caught()
    logger = logging.getLogger("depind.rpc")
    logger.addHandler(caught)
    try:
        answer(data)
    finally:
        logger.removeHandler(caught)
    for record in caught.records:
        error = record.exc_info[1] if record.exc_info else None
        raise Finding(f"the server answered an internal error: {record.getMessage()}") from error


def answer(data: bytes) -> None:
    """The server's answer to ``data``, computed and dropped: only what it logs matters."""
    node = solo().node
    clock = trio.testing.MockClock(autojump_threshold=0)
    if data.startswith(b"/"):
        path, _, query = data.decode("latin-1").partition("?")  # the request target, as HTTP sends it
        items = parse_qsl(query, keep_blank_values=True)
        limit = node.config.rpc.max_response_bytes
        trio.run(server.answer_uri, Call(node), unquote(path[1:]), items, limit, clock=clock)
    else:
        trio.run(server.handle_payload, Call(node), data, node.config.rpc, clock=clock)


def _request(method: str, params: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()


def seeds() -> dict[str, bytes]:
    names = solo().names()
    transfer = base64.b64encode(solo().transfer).decode()
    balances_json = json.dumps({"address": names["account"]}).encode().hex()
    balances_request = bank_query.QueryAllBalancesRequest(address=names["account"]).SerializeToString().hex()
    calls: dict[str, dict[str, Any]] = {
        "status": {},
        "block": {"height": "2"},
        "block_by_hash": {"hash": names["block_hash"]},
        "block_results": {"height": 2},
        "blockchain": {"minHeight": "1", "maxHeight": "3"},
        "validators": {"height": 1, "page": 1, "per_page": 10},
        "tx": {"hash": names["tx_hash"], "prove": True},
        "tx_search": {"query": "tx.height=2", "page": "1", "order_by": "desc"},
        "decoded_txs": {"query": f"message.sender='{names['account']}'"},
        "check_tx": {"tx": transfer},
        "broadcast_tx_sync": {"tx": transfer},
        "abci_query": {"path": "/cosmos.bank.v1beta1.Query/AllBalances", "data": balances_request},
        "abci_query_json": {"path": "/bank/balances", "data": balances_json},
        "balances": {"address": names["account"]},
        "delegations": {"delegator": names["account"], "limit": 5},
        "signing_info": {"cons_address": names["valcons"]},
        "validator_staking": {"address": names["valoper"]},
        "params": {"module": "staking"},
        "jobs": {"state": "pending", "limit": 2},
        "gov_proposals": {"status": "PROPOSAL_STATUS_VOTING_PERIOD", "limit": 3},
        "broadcast_evidence": {"evidence": "kgE="},
    }
    seeds = {name: _request(name.removesuffix("_json"), params) for name, params in calls.items()}
    seeds["batch"] = b"[" + seeds["status"] + b"," + seeds["balances"] + b"]"
    seeds["notification"] = b'{"jsonrpc":"2.0","method":"health"}'
    seeds["uri-block"] = b"/block?height=2"
    seeds["uri-tx"] = f"/tx?hash=0x{names['tx_hash']}&prove=true".encode()
    seeds["uri-abci-query"] = b'/abci_query?path="/store"&data=0x00'
    return seeds


TOKENS = tuple(
    word.encode()
    for word in [
        '"jsonrpc":"2.0"',
        '"id":',
        '"method":',
        '"params":',
        *(f'"{name}"' for name in server.REGISTRY.methods),
        *sorted({f'"{p.name}":' for method in server.REGISTRY.methods.values() for p in method.params}),
    ]
)
