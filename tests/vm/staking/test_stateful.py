"""Random sequences of staking operations (hypothesis stateful testing): after every step
the module's invariants hold, total supply moves only by what slashes burn, the queues
hold exactly the open entries, and the validator set consensus has been told of (the
updates applied one after another) is the staking module's last set."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, FUNDS, key, raw
from tests.vm.staking.helpers import PARAMS, Chain, create_validator, delegate, staking_genesis, undelegate
from tests.vm.staking.test_redelegations import redelegate
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.context import Context
from vm.errors import InvalidTx
from vm.staking.msgs import MsgCancelUnbondingDelegation
from vm.store.cache import CacheStore
from vm.types import Coin

OPERATORS = (ALICE, BOB, CAROL)
DELEGATORS = (ALICE, BOB, CAROL, DAVE, key(5))
MACHINE_PARAMS = msgspec.structs.replace(
    PARAMS, unbonding_blocks=3, max_validators=2, max_completions_per_block=2, power_reduction=1_000
)

operators = st.sampled_from(OPERATORS)
delegators = st.sampled_from(DELEGATORS)
amounts = st.integers(1, 40_000)
permilles = st.integers(1, 1000)


class StakingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain = Chain(staking_genesis(MACHINE_PARAMS, funded={k: FUNDS for k in DELEGATORS}))
        self.supply = self.chain.supply()
        self.consensus: dict[bytes, int] = {}  # the set consensus would hold: key -> power
        for operator in (ALICE, BOB):  # two validators to start with; Carol's comes by a rule
            self.chain.run(create_validator(operator, 20_000))
        self.end_blocks(1)

    def _try(self, action: Callable[[Context], object]) -> None:
        """Run ``action`` as a tx runs: all of it, or (on a rejection) nothing of it."""
        tx = CacheStore(self.chain.store)
        try:
            action(self.chain.ctx(tx))
        except InvalidTx:
            return
        tx.write()

    def _run(self, msg: object) -> None:
        with contextlib.suppress(InvalidTx):  # a rejected message leaves nothing behind
            self.chain.run(msg)  # type: ignore[arg-type]

    @rule(operator=operators, amount=amounts)
    def create(self, operator: PrivateKey, amount: int) -> None:
        self._run(create_validator(operator, amount, min_self_delegation=1))

    @rule(delegator=delegators, operator=operators, amount=amounts)
    def delegate(self, delegator: PrivateKey, operator: PrivateKey, amount: int) -> None:
        self._run(delegate(delegator, operator, amount))

    def _portion(self, delegator: PrivateKey, operator: PrivateKey, permille: int) -> int:
        """``permille`` thousandths of what a delegation is worth (at least 1 token)."""
        worth = self.chain.keeper.delegation_tokens(self.chain.store, raw(delegator), raw(operator))
        return max(1, dec.truncate_int(worth) * permille // 1000)

    @rule(delegator=delegators, operator=operators, permille=permilles)
    def undelegate(self, delegator: PrivateKey, operator: PrivateKey, permille: int) -> None:
        self._run(undelegate(delegator, operator, self._portion(delegator, operator, permille)))

    @rule(delegator=delegators, source=operators, destination=operators, permille=permilles)
    def redelegate(
        self, delegator: PrivateKey, source: PrivateKey, destination: PrivateKey, permille: int
    ) -> None:
        self._run(redelegate(delegator, source, destination, self._portion(delegator, source, permille)))

    @rule(delegator=delegators, operator=operators, permille=permilles, pick=st.integers(0, 7))
    def cancel(self, delegator: PrivateKey, operator: PrivateKey, permille: int, pick: int) -> None:
        ubd = self.chain.keeper.get_unbonding_delegation(self.chain.store, raw(delegator), raw(operator))
        if ubd is None:
            return
        entry = ubd.entries[pick % len(ubd.entries)]
        amount = max(1, entry.balance * permille // 1000)
        coin = Coin(DENOM, amount)
        self._run(
            MsgCancelUnbondingDelegation(delegator.address, valoper(operator), coin, entry.creation_height)
        )

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
        before = self.chain.supply()
        fraction = dec.from_ratio(permille, 1000)
        self._try(lambda ctx: keeper.slash(ctx, validator.cons_address, infraction, power, fraction))
        self.supply -= before - self.chain.supply()

    @rule(operator=operators)
    def jail(self, operator: PrivateKey) -> None:
        validator = self.chain.keeper.get_validator(self.chain.store, raw(operator))
        if validator is not None:
            self._try(lambda ctx: self.chain.keeper.jail(ctx, validator.cons_address))

    @rule(operator=operators)
    def unjail(self, operator: PrivateKey) -> None:
        validator = self.chain.keeper.get_validator(self.chain.store, raw(operator))
        if validator is not None:
            self._try(lambda ctx: self.chain.keeper.unjail(ctx, validator.cons_address))

    @rule(count=st.integers(1, 3))
    def end_blocks(self, count: int) -> None:
        for _ in range(count):
            for update in self.chain.end_block():
                if update.power:
                    self.consensus[update.pub_key] = update.power
                else:
                    self.consensus.pop(update.pub_key, None)

    @invariant()
    def module_invariants_hold(self) -> None:
        assert self.chain.broken() == []

    @invariant()
    def supply_moves_only_by_slashes(self) -> None:
        assert self.chain.supply() == self.supply

    @invariant()
    def queues_hold_exactly_the_open_entries(self) -> None:
        keeper, store = self.chain.keeper, self.chain.store
        ubds = {
            (e.completion_height, u.delegator + u.validator)
            for u in keeper.iterate_unbonding_delegations(store)
            for e in u.entries
        }
        reds = {
            (e.completion_height, r.delegator + r.validator_src + r.validator_dst)
            for r in keeper.iterate_redelegations(store)
            for e in r.entries
        }
        validators = {
            (v.unbonding_completion, v.operator) for v in keeper.iterate_validators(store) if v.is_unbonding()
        }
        assert set(keeper.ubd_queue.items(store)) == ubds
        assert set(keeper.red_queue.items(store)) == reds
        assert set(keeper.validator_queue.items(store)) == validators

    @invariant()
    def consensus_holds_the_last_set(self) -> None:
        keeper, store = self.chain.keeper, self.chain.store
        last = {keeper.validator(store, op).pubkey: power for op, power in keeper.iterate_last_powers(store)}
        assert self.consensus == last
        assert keeper.get_last_total_power(store) == sum(last.values())


StakingMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_staking_machine = StakingMachine.TestCase
