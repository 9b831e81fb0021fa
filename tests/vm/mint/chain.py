"""A chain with the mint module and a fake staking module, so that the bonded ratio can be
set directly: auth, bank, the fake staking module, consensus params, beacon, then mint.

The fake staking keeper answers as Cosmos's x/staking does: the staking token supply
is the bank supply of the bond denom, the bonded ratio the bonded pool's balance over
it (``QuoInt``: truncated). Genesis puts coins in the bonded pool to set the ratio.
"""

from __future__ import annotations

from typing import Any

import msgspec

from genesis.schema import (
    AuthGenesis,
    Balance,
    BankGenesis,
    CoinJSON,
    GenesisAccount,
    GenesisDoc,
    MintGenesis,
    app_state,
)
from tests.vm.helpers import ALICE, CHAIN_ID, DENOM, GENESIS_TIME, new_app
from vm import dec
from vm.app import App
from vm.auth.module import MODULE as AUTH
from vm.bank.keeper import BankKeeper
from vm.bank.module import MODULE as BANK
from vm.beacon.module import MODULE as BEACON
from vm.block import ValidatorUpdate
from vm.consensus_params.module import MODULE as CONSENSUS
from vm.context import Context
from vm.dec import Dec
from vm.mint.keeper import MintKeeper
from vm.mint.module import MODULE as MINT
from vm.module import Module, ModuleAccount, ModuleDef, ModuleGenesis, Permission, Wiring
from vm.modules import AUTHORITY
from vm.registry import Registry
from vm.store.cache import ReadStore
from vm.types import format_address, module_address

BONDED_POOL = "bonded_tokens_pool"
SUPPLY = 10**15


class FakeStakingKeeper:
    def __init__(self, bank: BankKeeper) -> None:
        self.bank = bank

    def init_validator_set(self, ctx: Context) -> list[ValidatorUpdate]:
        """No validators: InitChain asks the staking module for its set."""
        return []

    def staking_token_supply(self, store: ReadStore) -> int:
        return self.bank.get_supply(store, DENOM)

    def bonded_ratio(self, store: ReadStore) -> Dec:
        supply = self.staking_token_supply(store)
        if supply == 0:
            return dec.ZERO
        bonded = self.bank.get_balance(store, self.bank.module_address(BONDED_POOL), DENOM)
        return dec.quo_int(dec.from_int(bonded), supply)


class NoGenesis(msgspec.Struct, forbid_unknown_fields=True):
    pass


def _build_fake_staking(wiring: Wiring) -> Module:
    keeper = FakeStakingKeeper(wiring.keeper("bank"))

    def init(ctx: Context, state: NoGenesis) -> None:
        pass

    def export(store: ReadStore) -> NoGenesis:
        return NoGenesis()

    return Module("staking", keeper, ModuleGenesis(NoGenesis, lambda state: None, init, export))


FAKE_STAKING = ModuleDef(
    "staking", _build_fake_staking, accounts=(ModuleAccount(BONDED_POOL, frozenset({Permission.STAKING})),)
)
MODULES = (AUTH, BANK, FAKE_STAKING, CONSENSUS, BEACON, MINT)
REGISTRY = Registry(MODULES, AUTHORITY)
KEEPER: MintKeeper = REGISTRY.keeper("mint")
BANK_KEEPER: BankKeeper = REGISTRY.keeper("bank")
BONDED_POOL_ADDRESS = module_address(BONDED_POOL)


def mint_genesis(bonded: int = 0, supply: int = SUPPLY, mint: MintGenesis | None = None) -> GenesisDoc:
    """``supply`` udepin in all, ``bonded`` of them in the bonded pool, the rest Alice's."""
    balances = []
    if supply > bonded:
        balances.append(Balance(address=ALICE.address, coins=[CoinJSON(denom=DENOM, amount=supply - bonded)]))
    if bonded:
        pool = format_address(BONDED_POOL_ADDRESS)
        balances.append(Balance(address=pool, coins=[CoinJSON(denom=DENOM, amount=bonded)]))
    sections: dict[str, Any] = {
        "auth": AuthGenesis(accounts=[GenesisAccount(address=ALICE.address)]),
        "bank": BankGenesis(balances=balances),
        "mint": mint or MintGenesis(),
    }
    return GenesisDoc(genesis_time=GENESIS_TIME, chain_id=CHAIN_ID, app_state=app_state(**sections))


def mint_app(bonded: int = 0, supply: int = SUPPLY, mint: MintGenesis | None = None) -> App:
    return new_app(mint_genesis(bonded, supply, mint), registry=REGISTRY)
