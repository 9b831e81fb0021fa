"""The route table: (HTTP method, path template) to the gRPC method that answers it.

A template's ``{name}`` segments fill the request field of that name; the gRPC
method's request and response types come from the protobuf descriptor pool, so
a route is one line. Literal segments win over parameters (``blocks/latest``
before ``blocks/{height}``): the table is matched in order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from cosmpy.protos.cosmos.auth.v1beta1 import query_pb2 as _auth  # noqa: F401  (registers the types)
from cosmpy.protos.cosmos.bank.v1beta1 import query_pb2 as _bank  # noqa: F401
from cosmpy.protos.cosmos.base.tendermint.v1beta1 import query_pb2 as _tendermint  # noqa: F401
from cosmpy.protos.cosmos.consensus.v1 import query_pb2 as _consensus  # noqa: F401
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2 as _tx  # noqa: F401
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from node.rest import messages
from node.rest.errors import method_not_allowed, not_found
from protos.depind.provider.v1 import query_pb2 as _provider  # noqa: F401
from vm import modules as _modules  # noqa: F401  (every message type a tx or an answer may hold)

Prepare = Callable[[Message], None]


@dataclass(frozen=True)
class Route:
    http_method: str
    template: str
    grpc_method: str  # full name, as the descriptor pool knows it: "cosmos.bank.v1beta1.Query.Balance"
    prepare: Prepare | None = field(default=None, compare=False)  # adjusts a request before it is sent

    @property
    def segments(self) -> list[str]:
        return self.template.strip("/").split("/")

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters, if ``segments`` fit the template."""
        if len(segments) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for expected, given in zip(self.segments, segments, strict=True):
            if expected.startswith("{"):
                if not given:
                    return None
                found[expected.strip("{}")] = given
            elif expected != given:
                return None
        return found

    @property
    def method(self) -> MethodDescriptor:
        return _method(self.grpc_method)

    @property
    def grpc_path(self) -> str:
        """The ``abci_query`` path: ``/cosmos.bank.v1beta1.Query/Balance``."""
        method = self.method
        return f"/{method.containing_service.full_name}/{method.name}"

    @property
    def request_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.input_type)

    @property
    def response_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.output_type)


@functools.cache
def _method(full_name: str) -> MethodDescriptor:
    return descriptor_pool.Default().FindMethodByName(full_name)


TENDERMINT = "/cosmos/base/tendermint/v1beta1"
TM_SERVICE = "cosmos.base.tendermint.v1beta1.Service"
TX_SERVICE = "cosmos.tx.v1beta1.Service"
ROUTES = [
    Route("GET", "/cosmos/auth/v1beta1/accounts/{address}", "cosmos.auth.v1beta1.Query.Account"),
    Route("GET", "/cosmos/bank/v1beta1/balances/{address}", "cosmos.bank.v1beta1.Query.AllBalances"),
    Route("GET", "/cosmos/bank/v1beta1/balances/{address}/by_denom", "cosmos.bank.v1beta1.Query.Balance"),
    Route(
        "GET",
        "/cosmos/bank/v1beta1/spendable_balances/{address}",
        "cosmos.bank.v1beta1.Query.SpendableBalances",
    ),
    Route("GET", "/cosmos/bank/v1beta1/supply", "cosmos.bank.v1beta1.Query.TotalSupply"),
    Route("POST", "/cosmos/tx/v1beta1/simulate", f"{TX_SERVICE}.Simulate", messages.simulate_tx_bytes),
    Route("POST", "/cosmos/tx/v1beta1/txs", f"{TX_SERVICE}.BroadcastTx"),
    Route("GET", "/cosmos/tx/v1beta1/txs/{hash}", f"{TX_SERVICE}.GetTx"),
    Route("GET", "/cosmos/tx/v1beta1/txs", f"{TX_SERVICE}.GetTxsEvent"),
    Route("GET", f"{TENDERMINT}/node_info", f"{TM_SERVICE}.GetNodeInfo"),
    Route("GET", f"{TENDERMINT}/blocks/latest", f"{TM_SERVICE}.GetLatestBlock"),
    Route("GET", f"{TENDERMINT}/blocks/{{height}}", f"{TM_SERVICE}.GetBlockByHeight"),
    Route("GET", "/cosmos/consensus/v1/params", "cosmos.consensus.v1.Query.Params"),
    Route("GET", "/depind/provider/v1/providers", "depind.provider.v1.Query.Providers"),
    Route("GET", "/depind/provider/v1/providers/{owner}", "depind.provider.v1.Query.Provider"),
    Route("GET", "/depind/provider/v1/params", "depind.provider.v1.Query.Params"),
]


def find(http_method: str, path: str, routes: list[Route] = ROUTES) -> tuple[Route, dict[str, str]]:
    """The route for a request and its path parameters; a NotFound (404) or, for a path
    served under another method, an Unimplemented (405) error otherwise."""
    segments = path.strip("/").split("/")
    path_known = False
    for route in routes:
        found = route.match(segments)
        if found is None:
            continue
        if route.http_method == http_method:
            return route, found
        path_known = True
    raise method_not_allowed() if path_known else not_found()
