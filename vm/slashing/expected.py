"""What the slashing module needs from the staking module (Cosmos's ``StakingKeeper`` and
``ValidatorI`` of x/slashing and x/evidence). The registry fills it in with staking's
keeper; slashing registers its hooks with it when the module is built (module.py)."""

from __future__ import annotations

from typing import Protocol

from genesis.schema import StakingParams
from vm.context import Context
from vm.dec import Dec
from vm.store.cache import ReadStore


class ValidatorI(Protocol):
    @property
    def jailed(self) -> bool: ...
    @property
    def min_self_delegation(self) -> int: ...
    @property
    def cons_address(self) -> bytes: ...

    def is_unbonded(self) -> bool: ...


class StakingKeeper(Protocol):
    def get_validator(self, store: ReadStore, operator: bytes) -> ValidatorI | None: ...

    def get_validator_by_cons_addr(self, store: ReadStore, cons_address: bytes) -> ValidatorI | None: ...

    def get_delegation(self, store: ReadStore, delegator: bytes, operator: bytes) -> object | None: ...

    def delegation_tokens(self, store: ReadStore, delegator: bytes, operator: bytes) -> Dec:
        """What a delegation's shares are worth now (zero without one)."""
        ...

    def get_params(self, store: ReadStore) -> StakingParams: ...

    def slash(
        self, ctx: Context, cons_address: bytes, infraction_height: int, power: int, fraction: Dec
    ) -> int:
        """Burn ``fraction`` of the stake behind ``power`` at the infraction; returns the
        tokens burnt from the validator itself."""
        ...

    def jail(self, ctx: Context, cons_address: bytes) -> None: ...

    def unjail(self, ctx: Context, cons_address: bytes) -> None: ...
