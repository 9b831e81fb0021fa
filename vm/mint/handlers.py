"""mint's message handler and begin-block hook."""

from __future__ import annotations

from vm import dec
from vm.context import Context
from vm.errors import Unauthorized
from vm.mint.events import Mint
from vm.mint.keeper import MintKeeper
from vm.mint.minter import (
    Minter,
    compute_annual_provisions,
    compute_block_provision,
    compute_next_inflation,
)
from vm.mint.msgs import MsgUpdateParams
from vm.mint.params import format_params
from vm.types import Address, format_address


def handle_update_params(keeper: MintKeeper, authority: Address, ctx: Context, msg: MsgUpdateParams) -> None:
    if msg.authority != format_address(authority):
        raise Unauthorized(f"expected {format_address(authority)} as authority, got {msg.authority}")
    keeper.params.set(ctx.store, format_params(msg.params))


def begin_block(keeper: MintKeeper, ctx: Context) -> None:
    """Cosmos's x/mint BeginBlocker: a new inflation rate from the bonded ratio, the annual
    provisions at that rate, and this block's share of them minted and handed out."""
    params = keeper.get_parsed_params(ctx.store)
    staking_token_supply = keeper.staking.staking_token_supply(ctx.store)
    bonded_ratio = keeper.staking.bonded_ratio(ctx.store)
    inflation = compute_next_inflation(keeper.get_minter(ctx.store).inflation, params, bonded_ratio)
    minter = Minter(inflation, compute_annual_provisions(inflation, staking_token_supply))
    keeper.set_minter(ctx.store, minter)
    minted = compute_block_provision(minter.annual_provisions, params.blocks_per_year)
    keeper.mint_block_provision(ctx.store, params, minted)
    ctx.emit(
        Mint(
            bonded_ratio=dec.format(bonded_ratio),
            inflation=dec.format(minter.inflation),
            annual_provisions=dec.format(minter.annual_provisions),
            amount=str(minted),
        )
    )
