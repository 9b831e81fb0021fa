"""What staking tells the modules that hook into it (distribution, slashing): each hook gets
the block's context and the addresses, consensus address and unbonding id it is about."""

from __future__ import annotations

from typing import Any

from tests.vm.helpers import ALICE, BOB, DAVE, raw
from tests.vm.staking.helpers import (
    Chain,
    create_validator,
    delegate,
    fresh_registry,
    staking_genesis,
    undelegate,
)
from tests.vm.staking.test_redelegations import redelegate
from tests.vm.staking.test_slash import TENTH, UNIT, cons
from vm.context import Context
from vm.staking.hooks import NoHooks


class HookLog(NoHooks):
    """Every call of the hooks under test, with its arguments after the context."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def record(self, name: str, ctx: Context, *args: Any) -> None:
        assert isinstance(ctx, Context), f"{name} got {ctx!r} for its context"
        self.calls.append((name, *args))

    def before_validator_modified(self, ctx: Context, operator: bytes) -> None:
        self.record("modified", ctx, operator)

    def after_validator_bonded(self, ctx: Context, cons_address: bytes, operator: bytes) -> None:
        self.record("bonded", ctx, cons_address, operator)

    def after_validator_begin_unbonding(self, ctx: Context, cons_address: bytes, operator: bytes) -> None:
        self.record("begin_unbonding", ctx, cons_address, operator)

    def before_delegation_removed(self, ctx: Context, delegator: bytes, operator: bytes) -> None:
        self.record("delegation_removed", ctx, delegator, operator)

    def after_unbonding_initiated(self, ctx: Context, unbonding_id: int) -> None:
        self.record("unbonding", ctx, unbonding_id)

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [call[1:] for call in self.calls if call[0] == name]


def test_hooks_are_told_who_and_which_unbonding() -> None:
    chain = Chain(staking_genesis(UNIT), registry=fresh_registry())
    log = HookLog()
    chain.keeper.set_hooks(log)
    chain.run(create_validator(ALICE, 100))
    chain.run(create_validator(DAVE, 100))
    chain.run(delegate(BOB, ALICE, 30))
    chain.end_block()
    alice, dave = raw(ALICE), raw(DAVE)
    assert sorted(log.named("bonded")) == sorted([(cons(chain), alice), (cons(chain, DAVE), dave)])
    chain.run(undelegate(BOB, ALICE, 10))
    chain.run(redelegate(BOB, ALICE, DAVE, 20))  # Bob's last shares at Alice: the delegation goes
    assert log.named("delegation_removed") == [(raw(BOB), alice)]
    chain.keeper.jail(chain.ctx(), cons(chain))
    chain.end_block()
    assert log.named("begin_unbonding") == [(cons(chain), alice)]
    assert log.named("unbonding") == [(1,), (2,), (3,)]  # the undelegation, redelegation, validator
    chain.keeper.slash(chain.ctx(), cons(chain, DAVE), chain.height, 120, TENTH)
    assert log.named("modified")[-1] == (dave,)
