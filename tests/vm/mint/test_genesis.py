"""mint genesis: Cosmos's defaults, validation, and export then init round-trips."""

from __future__ import annotations

import msgspec
import pytest

from genesis.schema import DEFAULT_DENOM, MinterJSON, MintGenesis, MintParams
from tests.vm.helpers import apply_block, new_app
from tests.vm.mint.chain import KEEPER, REGISTRY, mint_app, mint_genesis
from vm.app import validate_genesis
from vm.errors import InvalidTx
from vm.mint.genesis import validate_genesis as validate_mint_genesis


def test_default_genesis_is_cosmos_default() -> None:
    assert msgspec.to_builtins(REGISTRY.module("mint").genesis.default()) == {
        "minter": {"inflation": "0.130000000000000000", "annual_provisions": "0.000000000000000000"},
        "params": {
            "mint_denom": DEFAULT_DENOM,
            "inflation_rate_change": "0.130000000000000000",
            "inflation_max": "0.200000000000000000",
            "inflation_min": "0.070000000000000000",
            "goal_bonded": "0.670000000000000000",
            "blocks_per_year": 6_311_520,
            "pouw_reward_share": "0.100000000000000000",
        },
    }
    validate_mint_genesis(MintGenesis())


def test_export_then_init_round_trips() -> None:
    app = mint_app(123 * 10**12)
    for _ in range(3):
        apply_block(app, [])
    exported = app.export_genesis(mint_genesis(123 * 10**12))
    again = new_app(exported, registry=REGISTRY)
    assert again.export_genesis(exported).app_state == exported.app_state
    assert KEEPER.get_minter(again.state.values) == KEEPER.get_minter(app.state.values)
    assert exported.app_state["mint"]["minter"]["inflation"] != "0.130000000000000000"  # it moved


def test_init_writes_decimals_as_cosmos_does() -> None:
    params = MintParams(inflation_max="0.25", pouw_reward_share="0.5")
    app = mint_app(
        mint=MintGenesis(minter=MinterJSON(inflation="0.2", annual_provisions="1.5"), params=params)
    )
    exported = KEEPER.get_params(app.state.values)
    assert (exported.inflation_max, exported.pouw_reward_share) == (
        "0.250000000000000000",
        "0.500000000000000000",
    )
    assert REGISTRY.module("mint").genesis.export(app.state.values).minter == MinterJSON(
        inflation="0.200000000000000000", annual_provisions="1.500000000000000000"
    )


@pytest.mark.parametrize(
    ("minter", "message"),
    [
        (MinterJSON(inflation="-0.01"), "mint parameter Inflation should be positive"),
        (MinterJSON(annual_provisions="-1"), "annual provisions cannot be negative"),
        (MinterJSON(inflation="thirteen"), "inflation: 'thirteen' is not a decimal"),
        (MinterJSON(inflation="0.1234567890123456789"), "is not a decimal"),  # 19 digits
    ],
)
def test_invalid_genesis_minter(minter: MinterJSON, message: str) -> None:
    with pytest.raises(InvalidTx, match=message):
        validate_genesis(mint_genesis(mint=MintGenesis(minter=minter)), REGISTRY)


def test_invalid_genesis_params() -> None:
    doc = mint_genesis(mint=MintGenesis(params=MintParams(goal_bonded="0")))
    with pytest.raises(InvalidTx, match="goal bonded must be positive"):
        validate_genesis(doc, REGISTRY)


def test_invalid_genesis_unknown_field() -> None:
    doc = mint_genesis()
    doc.app_state["mint"]["params"]["inflation_rate"] = "0.1"  # Fetch.ai's field, not Cosmos's
    with pytest.raises(InvalidTx, match="unknown field"):
        validate_genesis(doc, REGISTRY)
