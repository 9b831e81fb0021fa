"""Staking test helpers: a staking genesis, message builders, and ``Chain``, which drives
the chain's modules straight through the registry (no signatures or fees) so that keeper
and end-block behaviour can be tested block by block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genesis.schema import StakingGenesis, StakingParams
from node.keys.hd import PrivateKey
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_BLOCK_NS,
    DAVE,
    DENOM,
    FUNDS,
    ModuleChain,
    make_genesis,
    raw,
    with_app_state,
)
from tests.vm.staking.vectors import RATES, cons_key, valoper
from vm.block import ValidatorUpdate
from vm.modules import AUTHORITY, MODULES
from vm.registry import Registry
from vm.staking.keeper import StakingKeeper
from vm.staking.msgs import Ed25519PubKey, MsgCreateValidator, MsgDelegate, MsgUndelegate
from vm.staking.store import BONDED_POOL, NOT_BONDED_POOL
from vm.staking.types import CommissionRates, Delegation, Description, Validator
from vm.types import Coin, module_address

UNBONDING = 3  # blocks
POWER = 1_000_000  # tokens per unit of power (the default power reduction)
PARAMS = StakingParams(unbonding_blocks=UNBONDING, max_validators=3, max_completions_per_block=10)
BLOCK_NS = CHAIN_BLOCK_NS
OPERATORS = (ALICE, BOB, CAROL, DAVE)


def staking_genesis(params: StakingParams = PARAMS, funded: Mapping[Any, int] | None = None) -> Any:
    """A genesis with funded accounts and these staking params."""
    doc = make_genesis(funded if funded is not None else {k: FUNDS for k in OPERATORS})
    return with_app_state(doc, staking=StakingGenesis(params=params))


def create_validator(
    operator: PrivateKey,
    amount: int,
    key: int | None = None,
    rates: CommissionRates = RATES,
    min_self_delegation: int = 1,
    moniker: str = "node",
) -> MsgCreateValidator:
    return MsgCreateValidator(
        Description(moniker, "", "", "", ""),
        rates,
        min_self_delegation,
        "",
        valoper(operator),
        Ed25519PubKey(cons_key(key if key is not None else OPERATORS.index(operator) + 1)),
        Coin(DENOM, amount),
    )


def delegate(delegator: PrivateKey, operator: PrivateKey, amount: int) -> MsgDelegate:
    return MsgDelegate(delegator.address, valoper(operator), Coin(DENOM, amount))


def undelegate(delegator: PrivateKey, operator: PrivateKey, amount: int) -> MsgUndelegate:
    return MsgUndelegate(delegator.address, valoper(operator), Coin(DENOM, amount))


def fresh_registry() -> Registry:
    """The chain's modules with keepers of their own (hooks registered on them stay here)."""
    return Registry(MODULES, AUTHORITY)


class Chain(ModuleChain):
    """Blocks of staking work on a cache over a genesis: ``run`` routes a message as a tx
    would (its writes kept only if it succeeds), ``end_block`` runs every module's end
    block and moves to the next height."""

    def __init__(self, doc: Any = None, registry: Registry | None = None) -> None:
        super().__init__(doc if doc is not None else staking_genesis(), registry)

    @property
    def keeper(self) -> StakingKeeper:
        keeper: StakingKeeper = self.registry.keeper("staking")
        return keeper

    def end_block(self) -> list[ValidatorUpdate]:
        ctx = self.ctx()
        updates = self.registry.end_block(ctx)
        self.events.extend(ctx.events)
        self.height += 1
        self.time_ns += BLOCK_NS
        return updates

    def blocks(self, count: int) -> list[list[ValidatorUpdate]]:
        return [self.end_block() for _ in range(count)]

    # -- reads ---------------------------------------------------------------------------

    def validator(self, operator: PrivateKey) -> Validator:
        return self.keeper.validator(self.store, raw(operator))

    def delegation(self, delegator: PrivateKey, operator: PrivateKey) -> Delegation | None:
        return self.keeper.get_delegation(self.store, raw(delegator), raw(operator))

    def balance(self, holder: PrivateKey | bytes) -> int:
        address = holder if isinstance(holder, bytes) else raw(holder)
        return self.bank.get_balance(self.store, address, DENOM)  # type: ignore[arg-type]

    def bonded_pool(self) -> int:
        return self.balance(module_address(BONDED_POOL))

    def not_bonded_pool(self) -> int:
        return self.balance(module_address(NOT_BONDED_POOL))

    def supply(self) -> int:
        return self.bank.get_supply(self.store, DENOM)

    def broken(self) -> list[str]:
        return self.registry.broken_invariants(self.store)


def update(operator: PrivateKey, power: int) -> ValidatorUpdate:
    return ValidatorUpdate(cons_key(OPERATORS.index(operator) + 1), power)
