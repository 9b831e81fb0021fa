"""node.rest.routes: the route table resolves to gRPC methods, path parameters name
request fields, literal segments win, and unknown paths or methods are refused."""

from __future__ import annotations

import pytest

from node import services
from node.rest import routes
from node.rest.errors import HTTPError
from node.rest.routes import ROUTES, Route
from node.services import Status

NODE_SERVED = {
    "/cosmos.tx.v1beta1.Service/GetTx",
    "/cosmos.tx.v1beta1.Service/GetTxsEvent",
    "/cosmos.tx.v1beta1.Service/BroadcastTx",
    "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
    "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
    "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.http_method} {r.template}")
def test_every_route_names_a_known_grpc_method(route: Route) -> None:
    method = route.method
    assert route.grpc_path == f"/{method.containing_service.full_name}/{method.name}"
    assert route.request_class.DESCRIPTOR is method.input_type
    assert route.response_class.DESCRIPTOR is method.output_type


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.http_method} {r.template}")
def test_every_path_parameter_is_a_request_field(route: Route) -> None:
    fields = route.request_class.DESCRIPTOR.fields_by_name
    for segment in route.segments:
        if segment.startswith("{"):
            assert segment.strip("{}") in fields


def test_node_serves_the_tx_and_block_services_and_the_app_the_rest() -> None:
    assert set(services.SERVICES) == NODE_SERVED
    served = {route.grpc_path for route in ROUTES if services.serves(route.grpc_path)}
    assert served == NODE_SERVED


def test_each_method_and_template_once() -> None:
    keys = [(route.http_method, route.template) for route in ROUTES]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("method", "path", "grpc", "params"),
    [
        ("GET", "/cosmos/auth/v1beta1/accounts/depin1x", "Account", {"address": "depin1x"}),
        ("GET", "/cosmos/bank/v1beta1/balances/depin1x", "AllBalances", {"address": "depin1x"}),
        ("GET", "/cosmos/bank/v1beta1/balances/depin1x/by_denom", "Balance", {"address": "depin1x"}),
        ("GET", "/cosmos/base/tendermint/v1beta1/blocks/latest", "GetLatestBlock", {}),
        ("GET", "/cosmos/base/tendermint/v1beta1/blocks/12", "GetBlockByHeight", {"height": "12"}),
        ("GET", "/cosmos/tx/v1beta1/txs", "GetTxsEvent", {}),
        ("GET", "/cosmos/tx/v1beta1/txs/ABCD", "GetTx", {"hash": "ABCD"}),
        ("POST", "/cosmos/tx/v1beta1/txs", "BroadcastTx", {}),
        ("POST", "/cosmos/tx/v1beta1/simulate/", "Simulate", {}),  # a trailing slash is the same path
        ("GET", "/depind/provider/v1/providers/depin1x", "Provider", {"owner": "depin1x"}),
    ],
)
def test_find(method: str, path: str, grpc: str, params: dict[str, str]) -> None:
    route, found = routes.find(method, path)
    assert route.grpc_method.endswith(f".{grpc}")
    assert found == params


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/cosmos",
        "/cosmos/tx/v1beta1",
        "/cosmos/bank/v1beta1/balances",
        "/cosmos/auth/v1beta1/accounts/a/b",
    ],
)
def test_invalid_unknown_path_is_not_found(path: str) -> None:
    with pytest.raises(HTTPError) as caught:
        routes.find("GET", path)
    assert (caught.value.status, caught.value.http_status) == (Status.NotFound, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/cosmos/bank/v1beta1/supply"),
        ("GET", "/cosmos/tx/v1beta1/simulate"),
        ("DELETE", "/cosmos/tx/v1beta1/txs"),
        ("PUT", "/cosmos/base/tendermint/v1beta1/blocks/latest"),
    ],
)
def test_invalid_method_on_a_known_path(method: str, path: str) -> None:
    with pytest.raises(HTTPError) as caught:
        routes.find(method, path)
    assert (caught.value.status, caught.value.http_status) == (Status.Unimplemented, 405)


def test_invalid_empty_path_parameter() -> None:
    with pytest.raises(HTTPError):
        routes.find("GET", "/cosmos/auth/v1beta1/accounts//")
