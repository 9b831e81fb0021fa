"""bank queries: Cosmos's ``cosmos.bank.v1beta1.Query`` services and JSON paths."""

from __future__ import annotations

from functools import partial
from typing import Any

from cosmpy.protos.cosmos.bank.v1beta1 import bank_pb2
from cosmpy.protos.cosmos.bank.v1beta1 import query_pb2 as bank_query

from vm.bank.keeper import BankKeeper
from vm.codec import coin_pb
from vm.errors import InvalidCoins
from vm.module import ModuleParams, Service
from vm.pagination import paginate
from vm.query_args import text_arg
from vm.store.cache import ReadStore
from vm.types import Coin, is_valid_denom, parse_address


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


def balance(keeper: BankKeeper, store: ReadStore, request: Any) -> bank_query.QueryBalanceResponse:
    address = parse_address(request.address)
    if not is_valid_denom(request.denom):
        raise InvalidCoins(f"invalid denom {request.denom!r}")
    amount = keeper.get_balance(store, address, request.denom)
    return bank_query.QueryBalanceResponse(balance=coin_pb(Coin(request.denom, amount)))


def all_balances(keeper: BankKeeper, store: ReadStore, request: Any) -> bank_query.QueryAllBalancesResponse:
    address = parse_address(request.address)
    coins, page = paginate(partial(keeper.balances_from, store, address), request.pagination)
    return bank_query.QueryAllBalancesResponse(balances=[coin_pb(c) for c in coins], pagination=page)


def spendable_balances(
    keeper: BankKeeper, store: ReadStore, request: Any
) -> bank_query.QuerySpendableBalancesResponse:
    """All of a balance is spendable: depind has no vesting or locked coins."""
    address = parse_address(request.address)
    coins, page = paginate(partial(keeper.balances_from, store, address), request.pagination)
    return bank_query.QuerySpendableBalancesResponse(balances=[coin_pb(c) for c in coins], pagination=page)


def total_supply(keeper: BankKeeper, store: ReadStore, request: Any) -> bank_query.QueryTotalSupplyResponse:
    coins, page = paginate(partial(keeper.supply_from, store), request.pagination)
    return bank_query.QueryTotalSupplyResponse(supply=[coin_pb(c) for c in coins], pagination=page)


def supply_of(keeper: BankKeeper, store: ReadStore, request: Any) -> bank_query.QuerySupplyOfResponse:
    if not is_valid_denom(request.denom):
        raise InvalidCoins(f"invalid denom {request.denom!r}")
    return bank_query.QuerySupplyOfResponse(
        amount=coin_pb(Coin(request.denom, keeper.get_supply(store, request.denom)))
    )


def params(
    module_params: ModuleParams[Any], store: ReadStore, request: Any
) -> bank_query.QueryParamsResponse:
    value = module_params.get(store)
    return bank_query.QueryParamsResponse(
        params=bank_pb2.Params(default_send_enabled=value.default_send_enabled)
    )


def services(keeper: BankKeeper, module_params: ModuleParams[Any]) -> dict[str, Service]:
    query = "/cosmos.bank.v1beta1.Query/"
    return {
        query + "Balance": Service(bank_query.QueryBalanceRequest, partial(balance, keeper)),
        query + "AllBalances": Service(bank_query.QueryAllBalancesRequest, partial(all_balances, keeper)),
        query + "SpendableBalances": Service(
            bank_query.QuerySpendableBalancesRequest, partial(spendable_balances, keeper)
        ),
        query + "TotalSupply": Service(bank_query.QueryTotalSupplyRequest, partial(total_supply, keeper)),
        query + "SupplyOf": Service(bank_query.QuerySupplyOfRequest, partial(supply_of, keeper)),
        query + "Params": Service(bank_query.QueryParamsRequest, partial(params, module_params)),
    }
