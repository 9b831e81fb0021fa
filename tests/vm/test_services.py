"""Cosmos gRPC queries over abci_query: protobuf in, protobuf out, Cosmos's error logs."""

from __future__ import annotations

from typing import Any

import pytest
from cosmpy.protos.cosmos.auth.v1beta1 import auth_pb2
from cosmpy.protos.cosmos.auth.v1beta1 import query_pb2 as auth_query
from cosmpy.protos.cosmos.bank.v1beta1 import query_pb2 as bank_query
from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest
from cosmpy.protos.cosmos.consensus.v1 import query_pb2 as consensus_query
from cosmpy.protos.cosmos.crypto.secp256k1.keys_pb2 import PubKey
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from google.protobuf.message import Message

from protos.depind.provider.v1 import query_pb2 as provider_query
from tests.vm.helpers import (
    ALICE,
    BOB,
    CHAIN_ID,
    DENOM,
    FUNDS,
    STRANGER,
    apply_block,
    assert_code,
    make_genesis,
    new_app,
    register_msg,
    send,
    sign_tx,
    signed,
)
from vm.app import App, QueryResult
from vm.modules import default_registry
from vm.protowire import parse_tx_raw
from vm.tx import decode_tx
from vm.types import Coin

DENOMS = ["uatom", "udepin", "uosmo", "ustars"]


def ask(app: App, path: str, request: Message) -> QueryResult:
    return app.query(path, request.SerializeToString())


def answer(app: App, path: str, request: Message, response: Any) -> Any:
    result = ask(app, path, request)
    assert_code(result, 0)
    return response.FromString(result.value)


def rich_app() -> App:
    """ALICE holds four denoms; one block is committed (answers carry height 1)."""
    holdings = [Coin(denom, FUNDS) for denom in DENOMS]
    app = new_app(make_genesis({ALICE: holdings, BOB: FUNDS}))
    apply_block(app, [])
    return app


# -- auth ------------------------------------------------------------------------------------


def test_account_is_a_base_account_with_its_key_once_it_signed() -> None:
    app = new_app()
    apply_block(app, [signed(app, ALICE, [send(ALICE, BOB, 1)])])
    path = "/cosmos.auth.v1beta1.Query/Account"
    found = answer(
        app, path, auth_query.QueryAccountRequest(address=ALICE.address), auth_query.QueryAccountResponse
    )
    assert found.account.type_url == "/cosmos.auth.v1beta1.BaseAccount"
    account = auth_pb2.BaseAccount.FromString(found.account.value)
    assert (account.address, account.account_number, account.sequence) == (ALICE.address, 0, 1)
    assert account.pub_key.type_url == "/cosmos.crypto.secp256k1.PubKey"
    assert PubKey.FromString(account.pub_key.value).key == ALICE.public_key
    bob = answer(
        app, path, auth_query.QueryAccountRequest(address=BOB.address), auth_query.QueryAccountResponse
    )
    assert not auth_pb2.BaseAccount.FromString(bob.account.value).HasField("pub_key")
    assert ask(app, path, auth_query.QueryAccountRequest(address=BOB.address)).height == 1


def test_missing_account_is_a_grpc_not_found() -> None:
    """cosmjs reads "rpc error: code = NotFound" as "no such account" (it returns null)."""
    app = new_app()
    result = ask(
        app, "/cosmos.auth.v1beta1.Query/Account", auth_query.QueryAccountRequest(address=STRANGER.address)
    )
    assert_code(result, 38)
    assert result.log.startswith("rpc error: code = NotFound desc = account ")


def test_invalid_address_is_invalid_argument() -> None:
    result = ask(
        new_app(), "/cosmos.auth.v1beta1.Query/Account", auth_query.QueryAccountRequest(address="nope")
    )
    assert_code(result, 7)
    assert result.log.startswith("rpc error: code = InvalidArgument desc = ")


def test_invalid_request_with_an_unknown_field() -> None:
    data = auth_query.QueryAccountRequest(address=ALICE.address).SerializeToString() + b"\xa8\x06\x01"
    result = new_app().query("/cosmos.auth.v1beta1.Query/Account", data)
    assert_code(result, 18)
    assert "unknown field 101" in result.log


def test_unknown_service_path() -> None:
    result = new_app().query("/cosmos.authz.v1beta1.Query/Grants", b"")
    assert_code(result, 6)
    assert result.log.startswith("rpc error: code = Unimplemented")


# -- bank ------------------------------------------------------------------------------------


def test_balance_of_one_denom_and_of_an_unheld_one() -> None:
    app = new_app()
    path = "/cosmos.bank.v1beta1.Query/Balance"
    held = answer(
        app,
        path,
        bank_query.QueryBalanceRequest(address=ALICE.address, denom=DENOM),
        bank_query.QueryBalanceResponse,
    )
    assert (held.balance.denom, held.balance.amount) == (DENOM, str(FUNDS))
    none = answer(
        app,
        path,
        bank_query.QueryBalanceRequest(address=ALICE.address, denom="uatom"),
        bank_query.QueryBalanceResponse,
    )
    assert (none.balance.denom, none.balance.amount) == ("uatom", "0")
    assert_code(ask(app, path, bank_query.QueryBalanceRequest(address=ALICE.address, denom="$")), 10)


@pytest.mark.parametrize("method", ["AllBalances", "SpendableBalances"])
def test_all_balances_page_by_key_and_by_offset(method: str) -> None:
    app = rich_app()
    path = f"/cosmos.bank.v1beta1.Query/{method}"
    request_type = getattr(bank_query, f"Query{method}Request")
    response_type = getattr(bank_query, f"Query{method}Response")

    def page(**kwargs: Any) -> Any:
        return answer(
            app, path, request_type(address=ALICE.address, pagination=PageRequest(**kwargs)), response_type
        )

    everything = page()
    assert [c.denom for c in everything.balances] == DENOMS
    assert everything.pagination.next_key == b""
    first = page(limit=3, count_total=True)
    assert [c.denom for c in first.balances] == DENOMS[:3]
    assert (first.pagination.next_key, first.pagination.total) == (b"ustars", 4)
    rest = page(key=first.pagination.next_key, limit=3)
    assert [c.denom for c in rest.balances] == DENOMS[3:]
    assert rest.pagination.next_key == b""
    assert [c.denom for c in page(offset=1, limit=2).balances] == DENOMS[1:3]


def test_invalid_pagination_key_and_offset_together() -> None:
    request = bank_query.QueryAllBalancesRequest(
        address=ALICE.address, pagination=PageRequest(key=b"u", offset=1)
    )
    result = ask(new_app(), "/cosmos.bank.v1beta1.Query/AllBalances", request)
    assert_code(result, 18)
    assert "either offset or key" in result.log


def test_total_supply_and_supply_of() -> None:
    app = rich_app()
    supply = answer(
        app,
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        bank_query.QueryTotalSupplyRequest(),
        bank_query.QueryTotalSupplyResponse,
    )
    assert [c.denom for c in supply.supply] == DENOMS
    one = answer(
        app,
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        bank_query.QuerySupplyOfRequest(denom=DENOM),
        bank_query.QuerySupplyOfResponse,
    )
    assert int(one.amount.amount) == sum(int(c.amount) for c in supply.supply if c.denom == DENOM)


def test_bank_params_are_cosmos_params() -> None:
    found = answer(
        new_app(),
        "/cosmos.bank.v1beta1.Query/Params",
        bank_query.QueryParamsRequest(),
        bank_query.QueryParamsResponse,
    )
    assert found.params.default_send_enabled is True
    assert list(found.params.send_enabled) == []


# -- provider and consensus -----------------------------------------------------------------


def test_provider_and_providers() -> None:
    app = new_app()
    apply_block(app, [signed(app, ALICE, [register_msg(ALICE)]), signed(app, BOB, [register_msg(BOB)])])
    found = answer(
        app,
        "/depind.provider.v1.Query/Provider",
        provider_query.QueryProviderRequest(owner=ALICE.address),
        provider_query.QueryProviderResponse,
    )
    assert found.provider.owner == ALICE.address
    assert found.provider.status == 1  # PROVIDER_STATUS_ACTIVE
    assert found.provider.gpus[0].count >= 1
    listed = answer(
        app,
        "/depind.provider.v1.Query/Providers",
        provider_query.QueryProvidersRequest(pagination=PageRequest(limit=1)),
        provider_query.QueryProvidersResponse,
    )
    assert len(listed.providers) == 1 and listed.pagination.next_key
    missing = ask(
        app, "/depind.provider.v1.Query/Provider", provider_query.QueryProviderRequest(owner=STRANGER.address)
    )
    assert_code(missing, 38)
    assert missing.log.startswith("rpc error: code = NotFound")


def test_consensus_params_as_cometbft_params() -> None:
    found = answer(
        new_app(),
        "/cosmos.consensus.v1.Query/Params",
        consensus_query.QueryParamsRequest(),
        consensus_query.QueryParamsResponse,
    )
    assert found.params.block.max_bytes == 4 * 1024 * 1024
    assert list(found.params.validator.pub_key_types) == ["ed25519"]


# -- simulate --------------------------------------------------------------------------------


def test_simulate_service_with_tx_bytes_and_with_a_tx() -> None:
    app = new_app()
    tx_bytes = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)])
    path = "/cosmos.tx.v1beta1.Service/Simulate"
    by_bytes = answer(app, path, service_pb2.SimulateRequest(tx_bytes=tx_bytes), service_pb2.SimulateResponse)
    assert by_bytes.gas_info.gas_used > 0
    assert [a.type_url for a in by_bytes.result.msg_responses] == ["/cosmos.bank.v1beta1.MsgSendResponse"]
    assert "transfer" in [e.type for e in by_bytes.result.events]
    raw = parse_tx_raw(tx_bytes)
    tx = tx_pb2.Tx(
        body=tx_pb2.TxBody.FromString(raw.body_bytes),
        auth_info=tx_pb2.AuthInfo.FromString(raw.auth_info_bytes),
        signatures=list(raw.signatures),
    )
    by_tx = answer(app, path, service_pb2.SimulateRequest(tx=tx), service_pb2.SimulateResponse)
    assert by_tx.gas_info.gas_used == by_bytes.gas_info.gas_used
    assert decode_tx(tx_bytes, default_registry()).body.memo == ""


def test_simulate_service_reports_a_failing_tx() -> None:
    tx_bytes = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 10 * FUNDS)])
    result = ask(
        new_app(), "/cosmos.tx.v1beta1.Service/Simulate", service_pb2.SimulateRequest(tx_bytes=tx_bytes)
    )
    assert_code(result, 5)
    assert result.log.startswith("rpc error: code = Unknown desc = ")


def test_json_account_path_is_proto3_json() -> None:
    app = new_app()
    found = app.query("/auth/account", f'{{"address": "{ALICE.address}"}}'.encode())
    assert_code(found, 0)
    assert b'"@type":"/cosmos.auth.v1beta1.BaseAccount"' in found.value
