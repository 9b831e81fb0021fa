"""auth genesis: accounts and params."""

from __future__ import annotations

import base64
import binascii

from genesis.schema import AuthGenesis, GenesisAccount
from vm import crypto
from vm.auth.keeper import Account, AuthKeeper
from vm.auth.params import validate_params
from vm.context import Context
from vm.errors import InvalidPubKey, InvalidRequest
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address


def validate_genesis(state: AuthGenesis) -> None:
    validate_params(state.params)
    seen: set[str] = set()
    numbers = [a.account_number for a in state.accounts if a.account_number is not None]
    if len(set(numbers)) != len(numbers):
        raise InvalidRequest("duplicate genesis account number")
    if numbers and len(numbers) != len(state.accounts):
        raise InvalidRequest("give account_number for every genesis account or for none")
    for account in state.accounts:
        parse_address(account.address, "genesis account")
        if account.address in seen:
            raise InvalidRequest(f"duplicate genesis account {account.address}")
        seen.add(account.address)
        if account.pub_key and crypto.address_from_pubkey(_pubkey(account.pub_key)) != account.address:
            raise InvalidPubKey(f"pub_key of {account.address} does not match its address")


def init_genesis(keeper: AuthKeeper, ctx: Context, state: AuthGenesis) -> None:
    keeper.params.set(ctx.store, state.params)
    for entry in state.accounts:
        address = parse_address(entry.address)
        number = entry.account_number
        if number is None:
            number = keeper.next_account_number(ctx.store)
        else:
            keeper.reserve_account_number(ctx.store, number)
        pubkey = _pubkey(entry.pub_key) if entry.pub_key else b""
        keeper.set_account(ctx.store, Account(address, number, entry.sequence, pubkey))


def export_genesis(keeper: AuthKeeper, store: ReadStore) -> AuthGenesis:
    accounts = [
        GenesisAccount(
            address=format_address(Address(account.address)),
            pub_key=base64.b64encode(account.pubkey).decode() if account.pubkey else "",
            account_number=account.account_number,
            sequence=account.sequence,
        )
        for account in keeper.iterate_accounts(store)
    ]
    return AuthGenesis(params=keeper.get_params(store), accounts=accounts)


def _pubkey(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPubKey(f"{text!r} is not base64") from None
    if not crypto.is_valid_pubkey(raw):
        raise InvalidPubKey("expected a 33-byte compressed secp256k1 key")
    return raw
