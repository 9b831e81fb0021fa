"""What distribution does as staking changes validators and delegations (Cosmos's
x/distribution keeper/hooks.go): every change to a delegation ends its validator's
period, pays the delegation's rewards so far and starts it again from there.

``DistributionHooks`` has every method of staking's ``StakingHooks`` (it satisfies that
protocol structurally: a module does not import another's folder); those Cosmos leaves
empty are empty here too."""

from __future__ import annotations

from vm.context import Context
from vm.dec import Dec
from vm.distribution.expected import DelegationI, ValidatorI
from vm.distribution.periods import increment_validator_period, initialize_validator, record_slash
from vm.distribution.rewards import initialize_delegation, withdraw_delegation_rewards
from vm.distribution.store import MODULE_ACCOUNT, DistributionStore
from vm.distribution.types import format_valoper
from vm.registry import InvariantBroken
from vm.types import Address, format_address


class DistributionHooks:
    def __init__(self, keeper: DistributionStore) -> None:
        self.keeper = keeper

    def after_validator_created(self, ctx: Context, operator: Address) -> None:
        initialize_validator(self.keeper, ctx.store, operator)

    def before_delegation_created(self, ctx: Context, delegator: Address, operator: Address) -> None:
        increment_validator_period(self.keeper, ctx.store, self._validator(ctx, operator))

    def before_delegation_shares_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        validator = self._validator(ctx, operator)
        withdraw_delegation_rewards(self.keeper, ctx, validator, self._delegation(ctx, delegator, operator))

    def after_delegation_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        validator = self._validator(ctx, operator)
        delegation = self._delegation(ctx, delegator, operator)
        initialize_delegation(self.keeper, ctx.store, ctx.env.height, validator, delegation)

    def before_validator_slashed(self, ctx: Context, operator: Address, fraction: Dec) -> None:
        record_slash(self.keeper, ctx.store, self._validator(ctx, operator), ctx.env.height, fraction)

    def after_validator_removed(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        """Its commission to its operator, every fraction left to the community pool: with no
        delegation left, what is outstanding is rounding dust."""
        keeper, store = self.keeper, ctx.store
        outstanding = keeper.get_outstanding(store, operator)
        commission = keeper.get_commission(store, operator)
        if not commission.is_zero():
            outstanding -= commission
            coins, remainder = commission.truncate()
            keeper.add_to_community_pool(store, remainder)
            if coins:
                recipient = keeper.get_withdraw_address(store, operator)
                keeper.bank.send_from_module(store, MODULE_ACCOUNT, recipient, coins)
        keeper.add_to_community_pool(store, outstanding)
        keeper.delete_validator_records(store, operator)

    # -- the hooks Cosmos's distribution leaves empty ------------------------------------------

    def before_validator_modified(self, ctx: Context, operator: Address) -> None:
        pass

    def after_validator_bonded(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        pass

    def after_validator_begin_unbonding(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        pass

    def before_delegation_removed(self, ctx: Context, delegator: Address, operator: Address) -> None:
        pass

    def after_unbonding_initiated(self, ctx: Context, unbonding_id: int) -> None:
        pass

    # -- reads -----------------------------------------------------------------------------------

    def _validator(self, ctx: Context, operator: Address) -> ValidatorI:
        validator = self.keeper.staking.get_validator(ctx.store, operator)
        if validator is None:
            raise InvariantBroken(f"staking hook for unknown validator {format_valoper(operator)}")
        return validator

    def _delegation(self, ctx: Context, delegator: Address, operator: Address) -> DelegationI:
        delegation = self.keeper.staking.get_delegation(ctx.store, delegator, operator)
        if delegation is None:
            raise InvariantBroken(
                f"staking hook for unknown delegation of {format_address(delegator)} "
                f"to {format_valoper(operator)}"
            )
        return delegation
