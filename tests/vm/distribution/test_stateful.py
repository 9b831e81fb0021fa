"""Random sequences of staking, slashing, withdrawals and blocks with fees and minting
(hypothesis stateful testing). After every step: every module invariant holds (bank's
supply against all balances, module accounts included; distribution's module account
against its records; staking's pools), and, checked here directly, total supply equals
the sum of balances, each validator's tokens are what its delegations are worth, the
bonded pool holds the bonded validators' tokens, and outstanding rewards are never
negative nor more than what was minted and collected."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from consensus.abci import VoteInfo
from genesis.schema import MintGenesis, MintParams
from node.keys.hd import PrivateKey
from tests.vm.distribution.chain import PAYER, RewardChain
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, FUNDS, events_of, key, raw, with_app_state
from tests.vm.staking.helpers import PARAMS, create_validator, delegate, staking_genesis, undelegate
from tests.vm.staking.test_redelegations import redelegate
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.block import COMMIT_FLAG
from vm.context import Context
from vm.distribution.deccoins import EMPTY
from vm.distribution.msgs import MsgWithdrawDelegatorReward, MsgWithdrawValidatorCommission
from vm.errors import InvalidTx
from vm.staking.store import BONDED_POOL
from vm.store.cache import CacheStore
from vm.types import module_address

OPERATORS = (ALICE, BOB, CAROL)
DELEGATORS = (ALICE, BOB, CAROL, DAVE, key(5))
ABSENT = 1
MACHINE_PARAMS = msgspec.structs.replace(
    PARAMS, unbonding_blocks=3, max_validators=2, max_completions_per_block=2, power_reduction=1_000
)
# Inflation well above zero, and every minted coin to the fee collector.
MINT = MintGenesis(params=MintParams(inflation_min="0.5", inflation_max="0.9", pouw_reward_share="0"))

operators = st.sampled_from(OPERATORS)
delegators = st.sampled_from(DELEGATORS)
amounts = st.integers(1, 40_000)
permilles = st.integers(1, 1000)


def machine_genesis() -> Any:
    doc = staking_genesis(MACHINE_PARAMS, funded={k: FUNDS for k in (*DELEGATORS, PAYER)})
    return with_app_state(doc, mint=MINT)


class DistributionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain = RewardChain(machine_genesis())
        self.minted = 0
        self.fees = 0
        for operator in (ALICE, BOB):
            self.chain.run(create_validator(operator, 20_000))
        self.chain.end_block()

    def _try(self, action: Callable[[Context], object]) -> None:
        tx = CacheStore(self.chain.store)
        try:
            action(self.chain.ctx(tx))
        except InvalidTx:
            return
        tx.write()

    def _run(self, msg: object) -> None:
        with contextlib.suppress(InvalidTx):
            self.chain.run(msg)  # type: ignore[arg-type]

    def _portion(self, delegator: PrivateKey, operator: PrivateKey, permille: int) -> int:
        worth = self.chain.keeper.delegation_tokens(self.chain.store, raw(delegator), raw(operator))
        return max(1, dec.truncate_int(worth) * permille // 1000)

    @rule(operator=operators, amount=amounts)
    def create(self, operator: PrivateKey, amount: int) -> None:
        self._run(create_validator(operator, amount))

    @rule(delegator=delegators, operator=operators, amount=amounts)
    def delegate(self, delegator: PrivateKey, operator: PrivateKey, amount: int) -> None:
        self._run(delegate(delegator, operator, amount))

    @rule(delegator=delegators, operator=operators, permille=permilles)
    def undelegate(self, delegator: PrivateKey, operator: PrivateKey, permille: int) -> None:
        self._run(undelegate(delegator, operator, self._portion(delegator, operator, permille)))

    @rule(delegator=delegators, source=operators, destination=operators, permille=permilles)
    def redelegate(
        self, delegator: PrivateKey, source: PrivateKey, destination: PrivateKey, permille: int
    ) -> None:
        self._run(redelegate(delegator, source, destination, self._portion(delegator, source, permille)))

    @rule(operator=operators, permille=st.integers(0, 500), back=st.integers(0, 4))
    def slash(self, operator: PrivateKey, permille: int, back: int) -> None:
        keeper, store = self.chain.keeper, self.chain.store
        validator = keeper.get_validator(store, raw(operator))
        if validator is None:
            return
        power = keeper.get_last_power(store, validator.operator) or keeper.tokens_to_power(
            store, validator.tokens
        )
        infraction = max(1, self.chain.height - back)
        fraction = dec.from_ratio(permille, 1000)
        self._try(lambda ctx: keeper.slash(ctx, validator.cons_address, infraction, power, fraction))

    @rule(delegator=delegators, operator=operators)
    def withdraw(self, delegator: PrivateKey, operator: PrivateKey) -> None:
        self._run(MsgWithdrawDelegatorReward(delegator.address, valoper(operator)))

    @rule(operator=operators)
    def withdraw_commission(self, operator: PrivateKey) -> None:
        self._run(MsgWithdrawValidatorCommission(valoper(operator)))

    @rule(count=st.integers(1, 3), fees=st.integers(0, 50_000), absent=st.integers(0, 7))
    def blocks(self, count: int, fees: int, absent: int) -> None:
        """Blocks signed by the last set, validator ``i`` absent where bit ``i`` of ``absent`` is set."""
        for _ in range(count):
            keeper, store = self.chain.keeper, self.chain.store
            votes = [
                VoteInfo(
                    keeper.validator(store, operator).cons_address,
                    power,
                    ABSENT if absent >> index & 1 else COMMIT_FLAG,
                )
                for index, (operator, power) in enumerate(keeper.iterate_last_powers(store))
            ]
            seen = len(self.chain.events)
            self.chain.begin_block(votes, fees)
            self.minted += sum(int(e["amount"]) for e in events_of(self.chain.events[seen:], "mint"))
            self.fees += fees
            self.chain.end_block()

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def module_invariants_hold(self) -> None:
        assert self.chain.broken() == []

    @invariant()
    def supply_is_every_balance(self) -> None:
        bank, store = self.chain.bank, self.chain.store
        held = sum(coin.amount for _, coin in bank.iterate_balances(store) if coin.denom == DENOM)
        assert bank.get_supply(store, DENOM) == held

    @invariant()
    def tokens_are_what_delegations_are_worth(self) -> None:
        keeper, store = self.chain.keeper, self.chain.store
        for validator in keeper.iterate_validators(store):
            delegations = list(keeper.validator_delegations(store, validator.operator))
            assert sum(d.shares for d in delegations) == validator.delegator_shares
            worth = sum(keeper.delegation_tokens(store, d.delegator, d.validator) for d in delegations)
            # each delegation's worth is rounded to the 18th digit: half an atomic at most
            assert abs(worth - dec.from_int(validator.tokens)) <= len(delegations)

    @invariant()
    def bonded_pool_holds_bonded_tokens(self) -> None:
        keeper, store = self.chain.keeper, self.chain.store
        bonded = sum(v.tokens for v in keeper.iterate_validators(store) if v.is_bonded())
        assert self.chain.balance(module_address(BONDED_POOL)) == bonded

    @invariant()
    def outstanding_is_bounded_by_what_came_in(self) -> None:
        distribution, store = self.chain.distribution, self.chain.store
        total = EMPTY
        for _, outstanding in distribution.iterate_outstanding(store):
            assert not outstanding.is_any_negative()
            total += outstanding
        assert total.amount_of(DENOM) <= dec.from_int(self.minted + self.fees)


DistributionMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_distribution_machine = DistributionMachine.TestCase
