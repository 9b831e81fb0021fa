"""node.rest.messages: request messages from path and query parameters (grpc-gateway's
conventions) and from proto3 JSON bodies; every bad parameter is an InvalidArgument
error that names it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cosmpy.aerial.tx import SigningCfg, Transaction, TxFee
from cosmpy.protos.cosmos.bank.v1beta1 import query_pb2 as bank_query
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2
from google.protobuf.json_format import MessageToDict

from node.rest import messages
from node.rest.messages import MAX_QUERY_ITEMS, from_body, from_query
from node.services import ServiceError, Status
from tests.node.rest.conftest import CHAIN_ID, WALLET
from vm.protowire import parse_tx_raw

KEY = b"\xfb\xff\x00next-key"


def invalid(call: Any, *args: Any) -> str:
    with pytest.raises(ServiceError) as caught:
        call(*args)
    assert caught.value.status is Status.InvalidArgument
    return caught.value.message


# -- query parameters ----------------------------------------------------------------------


def test_pagination_from_query_parameters() -> None:
    items = [
        ("pagination.key", base64.b64encode(KEY).decode()),
        ("pagination.limit", "25"),
        ("pagination.offset", "50"),
        ("pagination.count_total", "true"),
        ("pagination.reverse", "1"),
    ]
    request = from_query(bank_query.QueryAllBalancesRequest, {"address": "depin1x"}, items)
    assert request.address == "depin1x"
    page = request.pagination
    assert (page.key, page.limit, page.offset, page.count_total, page.reverse) == (KEY, 25, 50, True, True)


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode().rstrip("="),
    ],
    ids=["standard", "url-safe", "url-safe-unpadded"],
)
def test_bytes_take_any_base64(text: str) -> None:
    request = from_query(bank_query.QueryTotalSupplyRequest, {}, [("pagination.key", text)])
    assert request.pagination.key == KEY


def test_json_names_as_cosmpy_sends_them() -> None:
    """cosmpy encodes requests with MessageToDict, whose names are camelCase."""
    items = [("pagination.countTotal", "True"), ("orderBy", "ORDER_BY_DESC")]
    request = from_query(service_pb2.GetTxsEventRequest, {}, items)
    assert request.pagination.count_total and request.order_by == service_pb2.ORDER_BY_DESC


def test_repeated_events_and_query_for_get_txs_event() -> None:
    items = [("events", "message.sender='a'"), ("events", "tx.height=5"), ("query", "tx.height>1")]
    request = from_query(service_pb2.GetTxsEventRequest, {}, [*items, ("page", "2"), ("limit", "10")])
    assert list(request.events) == ["message.sender='a'", "tx.height=5"]
    assert (request.query, request.page, request.limit) == ("tx.height>1", 2, 10)


@pytest.mark.parametrize("order", ["ORDER_BY_ASC", "1"])
def test_enums_by_name_or_number(order: str) -> None:
    request = from_query(service_pb2.GetTxsEventRequest, {}, [("order_by", order)])
    assert request.order_by == service_pb2.ORDER_BY_ASC


def test_int64_path_parameter() -> None:
    from cosmpy.protos.cosmos.base.tendermint.v1beta1 import query_pb2

    assert from_query(query_pb2.GetBlockByHeightRequest, {"height": "42"}, []).height == 42


@pytest.mark.parametrize(
    ("items", "named"),
    [
        ([("nonsense", "1")], "nonsense"),
        ([("pagination.nonsense", "1")], "pagination.nonsense"),
        ([("pagination", "1")], "pagination"),
        ([("address.x", "1")], "address.x"),
        ([("pagination.limit", "ten")], "pagination.limit"),
        ([("pagination.limit", "-1")], "pagination.limit"),
        ([("pagination.limit", "18446744073709551616")], "pagination.limit"),
        ([("pagination.limit", "9" * 5000)], "pagination.limit"),
        ([("pagination.count_total", "yes")], "pagination.count_total"),
        ([("pagination.key", "!!")], "pagination.key"),
        ([("pagination.limit", "1"), ("pagination.limit", "2")], "pagination.limit"),
    ],
)
def test_invalid_query_parameter_is_named(items: list[tuple[str, str]], named: str) -> None:
    message = invalid(from_query, bank_query.QueryAllBalancesRequest, {"address": "depin1x"}, items)
    assert repr(named) in message


def test_invalid_enum_value() -> None:
    message = invalid(from_query, service_pb2.GetTxsEventRequest, {}, [("order_by", "SIDEWAYS")])
    assert "order_by" in message and "OrderBy" in message


def test_invalid_query_parameter_that_repeats_a_path_parameter() -> None:
    items = [("address", "depin1y")]
    assert "path" in invalid(from_query, bank_query.QueryAllBalancesRequest, {"address": "depin1x"}, items)


def test_invalid_too_many_query_parameters() -> None:
    items = [("events", "a.b='c'")] * (MAX_QUERY_ITEMS + 1)
    assert str(MAX_QUERY_ITEMS) in invalid(from_query, service_pb2.GetTxsEventRequest, {}, items)


# -- JSON bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"tx_bytes": "AQID", "mode": "BROADCAST_MODE_SYNC"}',
        b'{"txBytes": "AQID", "mode": 2}',
    ],
    ids=["proto-names", "json-names-and-number"],
)
def test_broadcast_body(body: bytes) -> None:
    request = from_body(service_pb2.BroadcastTxRequest, body)
    assert (request.tx_bytes, request.mode) == (b"\x01\x02\x03", service_pb2.BROADCAST_MODE_SYNC)


def test_empty_body_is_an_empty_request() -> None:
    assert from_body(service_pb2.BroadcastTxRequest, b"") == service_pb2.BroadcastTxRequest()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"tx_bytes": 5}', "tx_bytes"),
        (b'{"mode": "BROADCAST_MODE_SOMETIMES"}', "mode"),
        (b'{"unknown_field": 1}', "unknown_field"),
    ],
)
def test_invalid_body(body: bytes, says: str) -> None:
    assert says in invalid(from_body, service_pb2.BroadcastTxRequest, body)


# -- simulate ---------------------------------------------------------------------------------


def cosmpy_tx() -> Transaction:
    """A tx as cosmpy builds it to simulate: its own signature, an empty fee."""
    tx = Transaction()
    address = str(WALLET.address())
    tx.add_message(
        bank_tx.MsgSend(from_address=address, to_address=address, amount=[Coin(denom="udepin", amount="1")])
    )
    tx.seal(SigningCfg.direct(WALLET.public_key(), 0), fee=TxFee([], 0), memo="")
    tx.sign(WALLET.signer(), CHAIN_ID, 0)
    return tx.complete()


def test_simulate_tx_as_json_becomes_its_tx_bytes() -> None:
    tx = cosmpy_tx()
    body = MessageToDict(service_pb2.SimulateRequest(tx=tx.tx))  # what cosmpy posts
    request = from_body(service_pb2.SimulateRequest, json.dumps(body).encode())
    messages.simulate_tx_bytes(request)
    assert not request.HasField("tx")
    assert request.tx_bytes == tx.tx.SerializeToString()
    raw = parse_tx_raw(request.tx_bytes)
    assert raw.signatures == tuple(tx.tx.signatures)


def test_simulate_tx_bytes_are_left_as_sent() -> None:
    request = service_pb2.SimulateRequest(tx_bytes=b"\x0a\x01x", tx=cosmpy_tx().tx)
    messages.simulate_tx_bytes(request)
    assert request.tx_bytes == b"\x0a\x01x"
