"""mint genesis: validate, init, export (export then init round-trips)."""

from __future__ import annotations

from genesis.schema import MintGenesis
from vm import dec
from vm.context import Context
from vm.errors import InvalidRequest
from vm.mint.keeper import MintKeeper
from vm.mint.minter import format_minter, parse_minter
from vm.mint.params import format_params, parse_params, validate_params
from vm.store.cache import ReadStore


def validate_genesis(state: MintGenesis) -> None:
    """Cosmos's ``ValidateGenesis``: valid params and a minter whose inflation is not
    negative; depind also refuses negative annual provisions."""
    validate_params(state.params)
    minter = parse_minter(state.minter)
    if minter.inflation < 0:
        raise InvalidRequest(
            f"mint parameter Inflation should be positive, is {dec.format(minter.inflation)}"
        )
    if minter.annual_provisions < 0:
        raise InvalidRequest(f"annual provisions cannot be negative: {dec.format(minter.annual_provisions)}")


def init_genesis(keeper: MintKeeper, ctx: Context, state: MintGenesis) -> None:
    """Decimals are stored as Cosmos writes them, whatever digits genesis gave ("0.13")."""
    keeper.params.set(ctx.store, format_params(parse_params(state.params)))
    keeper.set_minter(ctx.store, parse_minter(state.minter))


def export_genesis(keeper: MintKeeper, store: ReadStore) -> MintGenesis:
    return MintGenesis(minter=format_minter(keeper.get_minter(store)), params=keeper.get_params(store))
