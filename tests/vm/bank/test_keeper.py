"""BankKeeper called directly, as the other modules call it: mint and burn by module
accounts with the permission, transfers to and from module accounts, the 64-bit bound,
the paging reads and the supply invariant's report. The handler tests reach the keeper
only through txs from user accounts."""

from __future__ import annotations

import re

import pytest

from genesis.schema import BankParams
from tests.vm.helpers import ALICE, BOB, DENOM, FUNDS, new_app, raw
from vm.bank.keeper import MAX_AMOUNT, BankKeeper, supply_invariant
from vm.bank.msgs import MsgUpdateParams
from vm.errors import InsufficientFunds, InvalidAddress, InvalidCoins, Unauthorized
from vm.gov.store import MODULE_ACCOUNT as GOV
from vm.mint.keeper import MINT
from vm.store.cache import CacheStore
from vm.types import Coin, format_address, module_address

DISTRIBUTION = "distribution"  # a module account with no permission


def refused(error: type[Exception], message: str) -> pytest.RaisesExc[Exception]:
    return pytest.raises(error, match=f"^{re.escape(message)}$")


@pytest.fixture
def chain() -> tuple[BankKeeper, CacheStore]:
    app = new_app()
    return app.registry.keeper("bank"), CacheStore(app.state.values)


def test_mint_adds_to_the_minter_and_the_supply(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    supply = bank.get_supply(store, DENOM)
    bank.mint(store, MINT, [Coin(DENOM, 7), Coin("uatom", 3)])
    assert bank.get_all_balances(store, module_address(MINT)) == [Coin("uatom", 3), Coin(DENOM, 7)]
    assert bank.get_supply(store, DENOM) == supply + 7
    assert bank.get_supply(store, "uatom") == 3
    assert supply_invariant(bank, store) is None


def test_mint_and_burn_need_their_permission(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    with refused(Unauthorized, "module account distribution lacks the minter permission: unauthorized"):
        bank.mint(store, DISTRIBUTION, [Coin(DENOM, 1)])
    bank.mint(store, MINT, [Coin(DENOM, 5)])
    with refused(Unauthorized, "module account mint lacks the burner permission: unauthorized"):
        bank.burn(store, MINT, [Coin(DENOM, 5)])
    with refused(LookupError, "no module account 'nope' is registered"):
        bank.mint(store, "nope", [Coin(DENOM, 1)])
    assert bank.get_balance(store, module_address(MINT), DENOM) == 5


def test_burn_removes_from_the_burner_and_the_supply(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    supply = bank.get_supply(store, DENOM)
    bank.send_to_module(store, raw(ALICE), GOV, [Coin(DENOM, 10)])
    bank.burn(store, GOV, [Coin(DENOM, 4)])
    assert bank.get_balance(store, module_address(GOV), DENOM) == 6
    assert bank.get_supply(store, DENOM) == supply - 4
    with refused(InsufficientFunds, "spendable balance 6udepin is smaller than 7udepin: insufficient funds"):
        bank.burn(store, GOV, [Coin(DENOM, 7)])
    bank.burn(store, GOV, [Coin(DENOM, 6)])
    assert bank.get_all_balances(store, module_address(GOV)) == []
    assert bank.get_supply(store, DENOM) == supply - 10
    assert supply_invariant(bank, store) is None


def test_transfers_between_users_and_module_accounts(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    bank.send_to_module(store, raw(ALICE), GOV, [Coin(DENOM, 30)])
    bank.send_between_modules(store, GOV, DISTRIBUTION, [Coin(DENOM, 20)])
    bank.send_from_module(store, DISTRIBUTION, raw(BOB), [Coin(DENOM, 8)])
    assert bank.get_balance(store, raw(ALICE), DENOM) == FUNDS - 30
    assert bank.get_balance(store, module_address(GOV), DENOM) == 10
    assert bank.get_balance(store, module_address(DISTRIBUTION), DENOM) == 12
    assert bank.get_balance(store, raw(BOB), DENOM) == FUNDS + 8
    with refused(
        InsufficientFunds, "spendable balance 12udepin is smaller than 13udepin: insufficient funds"
    ):
        bank.send_from_module(store, DISTRIBUTION, raw(BOB), [Coin(DENOM, 13)])
    assert bank.module_address(DISTRIBUTION) == module_address(DISTRIBUTION)
    with refused(LookupError, "no module account 'nope' is registered"):
        bank.module_address("nope")
    assert bank.is_blocked(module_address(GOV)) and not bank.is_blocked(raw(BOB))
    assert supply_invariant(bank, store) is None


def test_supply_is_bounded_by_64_bits(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    bank.mint(store, MINT, [Coin("ubig", MAX_AMOUNT)])
    assert bank.get_balance(store, module_address(MINT), "ubig") == MAX_AMOUNT
    with refused(InvalidCoins, "supply of ubig would overflow 64 bits: invalid coins"):
        bank.mint(store, MINT, [Coin("ubig", 1)])
    assert bank.get_supply(store, "ubig") == MAX_AMOUNT


def test_amounts_are_8_byte_values_and_zero_is_absent(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    key = bank.balance_key(raw(ALICE), DENOM)
    assert key == b"bank/bal/" + raw(ALICE) + b"udepin"
    assert store.get(key) == FUNDS.to_bytes(8, "big")
    bank.send(store, raw(ALICE), raw(BOB), [Coin(DENOM, FUNDS)])
    assert store.get(key) is None
    assert bank.get_all_balances(store, raw(ALICE)) == []
    assert bank.get_balance(store, raw(ALICE), DENOM) == 0


def test_paging_reads_start_at_a_denom(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    bank.mint(store, MINT, [Coin("ua", 1), Coin("ub", 2), Coin("uc", 3)])
    holder = module_address(MINT)
    assert list(bank.balances_from(store, holder, b"ub")) == [(b"ub", Coin("ub", 2)), (b"uc", Coin("uc", 3))]
    assert list(bank.supply_from(store, b"uc")) == [
        (b"uc", Coin("uc", 3)),
        (b"udepin", Coin(DENOM, bank.get_supply(store, DENOM))),
    ]
    held = [(address, coin) for address, coin in bank.iterate_balances(store) if address == holder]
    assert held == [(holder, Coin("ua", 1)), (holder, Coin("ub", 2)), (holder, Coin("uc", 3))]


def test_the_invariant_names_both_sides(chain: tuple[BankKeeper, CacheStore]) -> None:
    bank, store = chain
    supply = bank.get_supply(store, DENOM)
    store.set(bank.balance_key(raw(BOB), DENOM), (FUNDS + 1).to_bytes(8, "big"))
    assert supply_invariant(bank, store) == (
        f"total supply {{'udepin': {supply}}} differs from the sum of balances {{'udepin': {supply + 1}}}"
    )


def test_params_update_needs_an_authority_address() -> None:
    MsgUpdateParams(format_address(module_address(GOV)), BankParams()).validate()
    with pytest.raises(InvalidAddress, match=r"^authority: "):
        MsgUpdateParams("depin1nope", BankParams()).validate()
