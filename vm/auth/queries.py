"""auth queries: accounts as ``cosmos.auth.v1beta1.BaseAccount``."""

from __future__ import annotations

from typing import Any

from cosmpy.protos.cosmos.auth.v1beta1.auth_pb2 import BaseAccount
from cosmpy.protos.cosmos.auth.v1beta1.query_pb2 import QueryAccountRequest, QueryAccountResponse
from cosmpy.protos.cosmos.crypto.secp256k1.keys_pb2 import PubKey
from google.protobuf import json_format

from vm.auth.keeper import Account, AuthKeeper
from vm.codec import pack
from vm.errors import NotFound
from vm.query_args import text_arg
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address


def base_account(account: Account) -> BaseAccount:
    found = BaseAccount(
        address=format_address(Address(account.address)),
        account_number=account.account_number,
        sequence=account.sequence,
    )
    if account.pubkey:
        found.pub_key.CopyFrom(pack(PubKey(key=account.pubkey)))
    return found


def get_account(keeper: AuthKeeper, store: ReadStore, address: str) -> Account:
    found = keeper.get_account(store, parse_address(address))
    if found is None:
        raise NotFound(f"account {address} not found")
    return found


def query_account(keeper: AuthKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """The account in proto3 JSON, as Cosmos's REST answers it (``@type``, strings for
    64-bit integers, ``pub_key`` null until the account's first tx)."""
    account = base_account(get_account(keeper, store, text_arg(request, "address")))
    answer = json_format.MessageToDict(pack(account), preserving_proto_field_name=True)
    answer.setdefault("pub_key", None)
    answer.setdefault("account_number", "0")
    answer.setdefault("sequence", "0")
    return answer


def account_service(
    keeper: AuthKeeper, store: ReadStore, request: QueryAccountRequest
) -> QueryAccountResponse:
    account = get_account(keeper, store, request.address)
    return QueryAccountResponse(account=pack(base_account(account)))
