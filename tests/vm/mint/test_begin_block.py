"""Each block's minting on a chain: the minter moves, the block provision is minted into
the ``mint`` account and split between the PoUW reward pool and the fee collector, and
the supply grows by exactly what was minted. Expected numbers as in test_minter.py,
with a supply of 10**15 udepin."""

from __future__ import annotations

import pytest

from genesis.schema import MinterJSON, MintGenesis, MintParams
from tests.vm.helpers import DENOM, apply_block, balance, events_of, supply
from tests.vm.mint.chain import FAKE_STAKING, KEEPER, SUPPLY, mint_app
from vm import dec
from vm.auth.ante import FEE_COLLECTOR
from vm.auth.module import MODULE as AUTH
from vm.bank.module import MODULE as BANK
from vm.mint.keeper import MINT, POUW_REWARDS
from vm.mint.minter import Minter
from vm.mint.module import MODULE as MINT_MODULE
from vm.modules import AUTHORITY
from vm.registry import Registry
from vm.types import module_address

POOL = module_address(POUW_REWARDS)
MINT_ACCOUNT = module_address(MINT)


@pytest.mark.parametrize(
    ("bonded", "inflation", "annual_provisions", "minted"),
    [
        (0, "0.130000020597257079", "130000020597257.079000000000000000", 20_597_260),
        (670 * 10**12, "0.130000000000000000", "130000000000000.000000000000000000", 20_597_257),
        (SUPPLY, "0.129999989855082334", "129999989855082.334000000000000000", 20_597_255),
    ],
    ids=["below-goal", "at-goal", "above-goal"],
)
def test_first_block_mints_as_cosmos(
    bonded: int, inflation: str, annual_provisions: str, minted: int
) -> None:
    app = mint_app(bonded)
    result = apply_block(app, [])
    assert events_of(result.events, "mint") == [
        {
            "bonded_ratio": dec.format(dec.from_ratio(bonded, SUPPLY)),
            "inflation": inflation,
            "annual_provisions": annual_provisions,
            "amount": str(minted),
        }
    ]
    assert KEEPER.get_minter(app.state.values) == Minter(dec.parse(inflation), dec.parse(annual_provisions))
    assert supply(app) == SUPPLY + minted


def test_minted_coins_are_split_between_the_pouw_pool_and_the_fee_collector() -> None:
    app = mint_app(670 * 10**12)
    apply_block(app, [])  # 20597257 minted; 10% is 2059725.7
    assert balance(app, POOL) == 2_059_725
    assert balance(app, FEE_COLLECTOR) == 20_597_257 - 2_059_725
    assert balance(app, MINT_ACCOUNT) == 0


def test_pouw_share_follows_the_param() -> None:
    app = mint_app(670 * 10**12, mint=MintGenesis(params=MintParams(pouw_reward_share="0.25")))
    apply_block(app, [])  # 20597257 / 4 = 5149314.25
    assert balance(app, POOL) == 5_149_314
    assert balance(app, FEE_COLLECTOR) == 20_597_257 - 5_149_314


def test_whole_provision_to_the_fee_collector_with_no_pouw_share() -> None:
    app = mint_app(670 * 10**12, mint=MintGenesis(params=MintParams(pouw_reward_share="0")))
    apply_block(app, [])
    assert balance(app, POOL) == 0
    assert balance(app, FEE_COLLECTOR) == 20_597_257


def test_supply_grows_by_exactly_what_is_minted() -> None:
    app = mint_app(300 * 10**12)
    before = supply(app)
    minted = 0
    for _ in range(5):
        [event] = events_of(apply_block(app, []).events, "mint")
        minted += int(event["amount"])
    assert minted > 0
    assert supply(app) == before + minted
    assert balance(app, POOL) + balance(app, FEE_COLLECTOR) == minted
    assert app.registry.broken_invariants(app.state.values) == []


def test_inflation_keeps_moving_each_block() -> None:
    app = mint_app(0)
    apply_block(app, [])
    apply_block(app, [])  # the ratio stays 0: the same change again
    assert KEEPER.get_minter(app.state.values).inflation == dec.parse("0.130000041194514158")


def test_minting_zero_moves_no_coins() -> None:
    # 0.13 * 10**6 a year is 0.0206 a block: truncated to nothing.
    app = mint_app(0, supply=10**6)
    accounts_before = {a.address for a in app.registry.keeper("auth").iterate_accounts(app.state.values)}
    result = apply_block(app, [])
    assert [e["amount"] for e in events_of(result.events, "mint")] == ["0"]  # Cosmos emits it still
    assert supply(app) == 10**6
    assert balance(app, POOL) == balance(app, FEE_COLLECTOR) == balance(app, MINT_ACCOUNT) == 0
    accounts_after = {a.address for a in app.registry.keeper("auth").iterate_accounts(app.state.values)}
    assert accounts_after == accounts_before  # no module account was created
    assert KEEPER.get_minter(app.state.values).inflation == dec.parse("0.130000020597257079")


def test_minting_starts_from_the_genesis_minter() -> None:
    genesis = MintGenesis(minter=MinterJSON(inflation="0.2"))
    app = mint_app(0, mint=genesis)
    apply_block(app, [])
    assert KEEPER.get_minter(app.state.values).inflation == dec.parse("0.2")  # held at the maximum


def test_minted_in_the_mint_denom() -> None:
    params = MintParams(mint_denom="ustake")
    app = mint_app(0, mint=MintGenesis(params=params))
    apply_block(app, [])
    assert supply(app, "ustake") == 20_597_260  # the staking supply is udepin's
    assert supply(app, DENOM) == SUPPLY


def test_invalid_module_order_mint_before_staking() -> None:
    with pytest.raises(LookupError, match="'staking' must be listed before"):
        Registry((AUTH, BANK, MINT_MODULE, FAKE_STAKING), AUTHORITY)


def test_mint_account_may_mint_and_the_pool_is_blocked() -> None:
    registry = mint_app().registry
    assert MINT in registry.accounts and POUW_REWARDS in registry.accounts
    assert POOL in registry.blocked_addresses()
