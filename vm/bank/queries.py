"""bank queries."""

from __future__ import annotations

from typing import Any

from vm.bank.keeper import BankKeeper
from vm.query_args import text_arg
from vm.store.cache import ReadStore
from vm.types import Coin, parse_address


def query_balances(keeper: BankKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    address = parse_address(text_arg(request, "address"))
    denom = request.get("denom")
    if isinstance(denom, str):
        return {"balances": _coins([Coin(denom, keeper.get_balance(store, address, denom))])}
    return {"balances": _coins(keeper.get_all_balances(store, address))}


def query_supply(keeper: BankKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    return {"supply": _coins(keeper.get_total_supply(store))}


def _coins(coins: list[Coin]) -> list[dict[str, str]]:
    return [{"denom": c.denom, "amount": str(c.amount)} for c in coins]
