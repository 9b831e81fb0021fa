"""The staking keeper: the state of vm/staking/store.py and what other modules may ask
of it. Slashing calls ``slash``, ``jail`` and ``unjail``; distribution registers its
hooks with ``set_hooks``; InitChain takes ``init_validator_set``; queries read through
the getters and iterators of ``StakingStore``."""

from __future__ import annotations

from itertools import islice

from vm import dec
from vm.block import ValidatorUpdate
from vm.context import Context
from vm.dec import Dec
from vm.staking import slash as slashing
from vm.staking.store import BONDED_POOL, StakingStore
from vm.staking.types import Validator, tokens_to_power
from vm.staking.validator_set import apply_and_return_validator_set_updates
from vm.store.cache import ReadStore


class StakingKeeper(StakingStore):
    # -- the validator set -------------------------------------------------------------------

    def apply_and_return_validator_set_updates(self, ctx: Context) -> list[ValidatorUpdate]:
        return apply_and_return_validator_set_updates(self, ctx)

    def init_validator_set(self, ctx: Context) -> list[ValidatorUpdate]:
        """The set InitChain gives consensus once genesis is written (Cosmos's InitGenesis):
        an exported genesis carries its last set, which is returned as it is; a new one
        has none, and the set is computed from the validators (the gentxs') and stored."""
        last = list(self.iterate_last_powers(ctx.store))
        if not last:
            return self.apply_and_return_validator_set_updates(ctx)
        return [
            ValidatorUpdate(self.validator(ctx.store, operator).pubkey, power) for operator, power in last
        ]

    def bonded_validators(self, store: ReadStore) -> list[tuple[Validator, int]]:
        """The last set consensus was given, with each validator's power, in operator order."""
        return [
            (self.validator(store, operator), power) for operator, power in self.iterate_last_powers(store)
        ]

    # -- slashing ------------------------------------------------------------------------------

    def slash(
        self, ctx: Context, cons_address: bytes, infraction_height: int, power: int, fraction: Dec
    ) -> int:
        """Burn ``fraction`` (LegacyDec atomics) of the stake behind ``power`` at the
        infraction; returns the tokens burnt from the validator (vm/staking/slash.py)."""
        return slashing.slash(self, ctx, cons_address, infraction_height, power, fraction)

    def jail(self, ctx: Context, cons_address: bytes) -> None:
        slashing.jail(self, ctx, cons_address)

    def unjail(self, ctx: Context, cons_address: bytes) -> None:
        slashing.unjail(self, ctx, cons_address)

    # -- reads ---------------------------------------------------------------------------------

    def power_reduction(self, store: ReadStore) -> int:
        return self.get_params(store).power_reduction

    def tokens_to_power(self, store: ReadStore, tokens: int) -> int:
        return tokens_to_power(tokens, self.power_reduction(store))

    def tokens_from_power(self, store: ReadStore, power: int) -> int:
        return power * self.power_reduction(store)

    def total_bonded_tokens(self, store: ReadStore) -> int:
        return self.pool_balance(store, BONDED_POOL)

    def bond_denom(self, store: ReadStore) -> str:
        return self.get_params(store).bond_denom

    def staking_token_supply(self, store: ReadStore) -> int:
        """The total supply of the bond denom (Cosmos's ``StakingTokenSupply``, for x/mint)."""
        return self.bank.get_supply(store, self.bond_denom(store))

    def bonded_ratio(self, store: ReadStore) -> Dec:
        """Bonded tokens over the staking token supply, truncated (Cosmos's ``BondedRatio``:
        ``QuoInt``); zero when nothing of the bond denom exists."""
        supply = self.staking_token_supply(store)
        if supply <= 0:
            return dec.ZERO
        return dec.quo_int(dec.from_int(self.total_bonded_tokens(store)), supply)

    def delegated_tokens(self, store: ReadStore, delegator: bytes, max_entries: int) -> int:
        """What the delegator's first ``max_entries`` delegations (by validator address) are
        worth now, each truncated to whole tokens: a bounded read for the market's premium tier."""
        delegations = islice(self.delegations_of(store, delegator), max_entries)
        return sum(
            dec.truncate_int(self.delegation_tokens(store, delegator, d.validator)) for d in delegations
        )

    def delegation_tokens(self, store: ReadStore, delegator: bytes, operator: bytes) -> Dec:
        """What a delegation's shares are worth now (LegacyDec atomics; zero without one)."""
        delegation = self.get_delegation(store, delegator, operator)
        validator = self.get_validator(store, operator)
        if delegation is None or validator is None or validator.delegator_shares == 0:
            return dec.ZERO
        return dec.quo(dec.mul_int(delegation.shares, validator.tokens), validator.delegator_shares)
