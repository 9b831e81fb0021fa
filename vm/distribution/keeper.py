"""The distribution keeper: the state of vm/distribution/store.py and what other modules
and queries may ask of it. Staking reaches it only through the hooks it registers
(vm/distribution/hooks.py); the chain's begin block through ``allocation``."""

from __future__ import annotations

from vm.context import Context
from vm.distribution import events
from vm.distribution.deccoins import DecCoins, NegativeDecCoins
from vm.distribution.errors import BadDistribution
from vm.distribution.expected import DelegationI, ValidatorI
from vm.distribution.periods import increment_validator_period
from vm.distribution.rewards import calculate_delegation_rewards
from vm.distribution.store import MODULE_ACCOUNT, DistributionStore
from vm.store.cache import CacheStore, ReadStore
from vm.types import Address, Coin, format_address, format_coins


class DistributionKeeper(DistributionStore):
    def delegation_rewards(
        self, store: ReadStore, validator: ValidatorI, delegation: DelegationI
    ) -> DecCoins:
        """What withdrawing would pay now, before truncation (Cosmos's queries end the
        period on a scratch copy of the state: so does this)."""
        scratch = CacheStore(store)
        ending_period = increment_validator_period(self, scratch, validator)
        return calculate_delegation_rewards(self, scratch, validator, delegation, ending_period)

    def fund_community_pool(self, ctx: Context, depositor: Address, coins: list[Coin]) -> None:
        self.bank.send_to_module(ctx.store, depositor, MODULE_ACCOUNT, coins)
        self.add_to_community_pool(ctx.store, DecCoins.from_coins(coins))

    def distribute_from_community_pool(self, ctx: Context, coins: list[Coin], recipient: Address) -> None:
        """Pay ``coins`` out of the community pool (Cosmos's ``DistributeFromFeePool``). The pool
        is a record, not an account: its coins sit in the module account with the outstanding
        rewards, so the record shrinks here and the coins leave that account."""
        pool = self.get_community_pool(ctx.store)
        try:
            left = pool - DecCoins.from_coins(coins)
        except NegativeDecCoins:
            held = str(pool) or "nothing"
            raise BadDistribution(f"spending {format_coins(coins)}, the pool holds {held}") from None
        self.set_community_pool(ctx.store, left)
        self.bank.send_from_module(ctx.store, MODULE_ACCOUNT, recipient, coins)
        sender, paid = format_address(self.bank.module_address(MODULE_ACCOUNT)), format_coins(coins)
        ctx.emit(events.Transfer(recipient=format_address(recipient), sender=sender, amount=paid))

    def module_holdings(self, store: ReadStore) -> DecCoins:
        """What the module account must hold: every outstanding reward and the community pool."""
        total = self.get_community_pool(store)
        for _, outstanding in self.iterate_outstanding(store):
            total += outstanding
        return total
