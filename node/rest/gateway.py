"""One REST request end to end: its route, its request message, the node's service or
the application's query for it, and the answer in proto3 JSON (proto field names,
64-bit integers as strings, every field shown, ``Any`` with ``@type``, and LegacyDec
values as decimals, as Cosmos's gateway writes them: node/rest/decimals.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio
from google.protobuf import json_format
from google.protobuf.message import Message

from node import services
from node.rest import messages, routes
from node.rest.decimals import write_decimals
from node.rest.routes import Route
from node.services import ServiceError, Status

if TYPE_CHECKING:
    from node.node import Node
    from vm.app import QueryResult

_GRPC_LOG = re.compile(r"rpc error: code = (\w+) desc = ")
# What an application error means as a gRPC status, when its log does not say.
_SDK_STATUS = {
    2: Status.InvalidArgument,  # tx parse error
    4: Status.Unauthenticated,  # unauthorized
    6: Status.Unimplemented,  # unknown request: a path the application does not serve
    7: Status.InvalidArgument,  # invalid address
    9: Status.NotFound,  # unknown address
    10: Status.InvalidArgument,  # invalid coins
    18: Status.InvalidArgument,  # invalid request
    22: Status.NotFound,  # key not found
    26: Status.InvalidArgument,  # invalid height
    38: Status.NotFound,  # not found
}


@dataclass(frozen=True)
class Answer:
    body: bytes  # proto3 JSON
    height: int  # the height the answer was read at


async def handle(
    node: Node,
    http_method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    body: bytes,
    max_response_bytes: int,
) -> Answer:
    route, path_params = routes.find(http_method, path)
    request_class = route.request_class
    if http_method == "POST":
        request = messages.from_body(request_class, body)
    else:
        request = messages.from_query(request_class, path_params, query)
    if route.prepare is not None:
        route.prepare(request)
    response, height = await call(node, route, request)
    size = response.ByteSize()
    if size > max_response_bytes:
        raise ServiceError(
            Status.ResourceExhausted,
            f"the answer takes {size} bytes, over max_response_bytes ({max_response_bytes}); ask for less",
        )
    await trio.lowlevel.checkpoint()  # JSON for a large answer takes a while: let consensus run first
    return Answer(to_json(response), height)


async def call(node: Node, route: Route, request: Message) -> tuple[Message, int]:
    """The node's own service for the route if it has one, else the application's query."""
    path = route.grpc_path
    if services.serves(path):
        return await services.answer(node, path, request), node.chain.height()
    result = node.app.query(path, request.SerializeToString(), 0, False)
    if result.code != 0:
        raise app_error(result)
    response = route.answer_class()
    response.ParseFromString(result.value)  # the application's own answer: a failure here is a bug
    return response, result.height


def app_error(result: QueryResult) -> ServiceError:
    """The gRPC status the application's log names ("rpc error: code = NotFound desc = ..."),
    else the one its sdk code stands for; the message is the log as the app wrote it."""
    named = _GRPC_LOG.match(result.log)
    if named is not None and named.group(1) in Status.__members__:
        status = Status[named.group(1)]
    elif result.codespace == services.SDK_CODESPACE:
        status = _SDK_STATUS.get(result.code, Status.Unknown)
    else:
        status = Status.Unknown
    return ServiceError(status, result.log or f"{result.codespace} error {result.code}")


def to_json(message: Message) -> bytes:
    """Proto3 JSON, with LegacyDec values as decimals, as Cosmos's gateway writes them."""
    data = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    write_decimals(message, data)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
