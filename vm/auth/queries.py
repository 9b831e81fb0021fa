"""auth queries."""

from __future__ import annotations

import base64
from typing import Any

from vm.auth.keeper import AuthKeeper
from vm.errors import NotFound
from vm.query_args import text_arg
from vm.store.cache import ReadStore
from vm.types import parse_address


def query_account(keeper: AuthKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    address = text_arg(request, "address")
    found = keeper.get_account(store, parse_address(address))
    if found is None:
        raise NotFound(f"account {address} not found")
    return {
        "address": address,
        "account_number": found.account_number,
        "sequence": found.sequence,
        "pub_key": base64.b64encode(found.pubkey).decode() if found.pubkey else None,
    }
