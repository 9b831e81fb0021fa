"""Funding accounts in a genesis document (``depind genesis add-account``, test and
benchmark set-ups): an auth account and a bank balance per address."""

from __future__ import annotations

from collections.abc import Iterable

from genesis.schema import (
    AuthGenesis,
    Balance,
    BankGenesis,
    CoinJSON,
    GenesisAccount,
    GenesisDoc,
    get_section,
    set_section,
)


def add_accounts(doc: GenesisDoc, funded: Iterable[tuple[str, list[CoinJSON]]]) -> None:
    """Give each address an account (if it has none) and add the coins to its balance;
    the bank supply is left empty, to be computed from the balances at init."""
    auth = get_section(doc, "auth", AuthGenesis)
    bank = get_section(doc, "bank", BankGenesis)
    known = {a.address for a in auth.accounts}
    balances = {b.address: b for b in bank.balances}
    for address, coins in funded:
        if address not in known:
            auth.accounts.append(GenesisAccount(address=address))
            known.add(address)
        balance = balances.get(address)
        if balance is None:
            balance = balances[address] = Balance(address=address, coins=[])
            bank.balances.append(balance)
        balance.coins = _merged(balance.coins, coins)
    bank.supply = []
    set_section(doc, "auth", auth)
    set_section(doc, "bank", bank)


def _merged(held: list[CoinJSON], added: list[CoinJSON]) -> list[CoinJSON]:
    total = {c.denom: c.amount for c in held}
    for coin in added:
        total[coin.denom] = total.get(coin.denom, 0) + coin.amount
    return [CoinJSON(denom=d, amount=a) for d, a in sorted(total.items())]
