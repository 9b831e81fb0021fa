"""A REST (Cosmos LCD) request, as the gateway gets it from the HTTP server: the first line
is ``<METHOD> <path>[?<query>]``, the rest is the body. The route table, the request
message built from the path, query string (grpc-gateway's rules) or proto3 JSON body, the
node's service or the application's query, and the answer in proto3 JSON.

Rejection: ``ServiceError`` (grpc-gateway's error answers). Promise checked: an answer is
a JSON object."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qsl, unquote

import trio
import trio.testing

from node.rest import gateway
from node.rest.routes import ROUTES
from node.services import ServiceError
from tests.fuzz.solo import solo
from tests.fuzz.support import check

MAX_LEN = 4096
_PARAMETER = re.compile(r"{(\w+)}")


def fuzz_one(data: bytes) -> None:
    line, _, body = data.partition(b"\n")
    method, _, target = line.decode("latin-1").partition(" ")
    path, _, query = target.partition("?")
    node = solo().node
    clock = trio.testing.MockClock(autojump_threshold=0)
    limit = node.config.api.max_response_bytes
    try:
        items = parse_qsl(query, keep_blank_values=True)
        answer = trio.run(gateway.handle, node, method, unquote(path), items, body, limit, clock=clock)
    except ServiceError:
        return
    check(isinstance(json.loads(answer.body), dict), "a REST answer is a JSON object")


def _path(template: str, names: dict[str, str]) -> str:
    """``template`` with each ``{parameter}`` named by its meaning on the fuzzing chain."""
    by_parameter = {
        "address": names["account"],
        "owner": names["account"],
        "provider": names["account"],
        "delegator_addr": names["account"],
        "delegator_address": names["account"],
        "depositor": names["account"],
        "voter": names["account"],
        "validator_addr": names["valoper"],
        "validator_address": names["valoper"],
        "cons_address": names["valcons"],
        "hash": names["tx_hash"],
        "height": "2",
        "params_type": "voting",
        "name": "v2",
    }
    return _PARAMETER.sub(lambda m: by_parameter.get(m.group(1), "1"), template)


def seeds() -> dict[str, bytes]:
    names = solo().names()
    seeds = {}
    for route in ROUTES:
        if route.http_method != "GET":
            continue
        name = "get" + route.template.replace("/", "-").replace("{", "").replace("}", "")
        seeds[name] = f"GET {_path(route.template, names)}".encode()
    seeds["get-balances-paged"] = (
        f"GET /cosmos/bank/v1beta1/balances/{names['account']}?pagination.limit=1&pagination.count_total=true"
    ).encode()
    seeds["get-txs-by-event"] = b"GET /cosmos/tx/v1beta1/txs?query=tx.height%3D2&order_by=ORDER_BY_DESC"
    transfer = base64.b64encode(solo().transfer).decode()
    seeds["post-simulate"] = f'POST /cosmos/tx/v1beta1/simulate\n{{"tx_bytes": "{transfer}"}}'.encode()
    seeds["post-broadcast"] = (
        b'POST /cosmos/tx/v1beta1/txs\n{"tx_bytes": "CgA=", "mode": "BROADCAST_MODE_SYNC"}'
    )
    return seeds


TOKENS = (
    b"GET ",
    b"POST ",
    b"pagination.",
    b"key=",
    b"offset=",
    b"limit=",
    b"count_total=true",
    b"reverse=",
    *sorted({segment.encode() for route in ROUTES for segment in route.segments if "{" not in segment}),
)
