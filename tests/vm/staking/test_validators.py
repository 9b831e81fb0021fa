"""MsgCreateValidator and MsgEditValidator (vm.staking.handlers), and the hooks they call."""

from __future__ import annotations

from typing import Any

import msgspec

from genesis.schema import StakingParams
from tests.vm.helpers import ALICE, BOB, CAROL, DENOM, FUNDS, events_of, raw
from tests.vm.staking.helpers import (
    PARAMS,
    POWER,
    Chain,
    create_validator,
    delegate,
    fresh_registry,
    staking_genesis,
    update,
)
from tests.vm.staking.vectors import cons_key, valoper
from vm import dec
from vm.context import Context
from vm.dec import Dec
from vm.staking.hooks import NoHooks
from vm.staking.msgs import MsgEditValidator, MsgUndelegate, Secp256k1PubKey
from vm.staking.types import BondStatus, CommissionRates, Description
from vm.types import Address, Coin

DAY_NS = 24 * 3600 * 10**9


def edit(operator: Any = ALICE, **changes: Any) -> MsgEditValidator:
    base = MsgEditValidator(Description("renamed", *["[do-not-modify]"] * 4), valoper(operator), None, None)
    return msgspec.structs.replace(base, **changes)


def test_create_validator_self_delegates_and_bonds_at_the_end_of_the_block() -> None:
    chain = Chain()
    events = chain.run(create_validator(ALICE, 5 * POWER))
    validator = chain.validator(ALICE)
    assert (validator.status, validator.tokens, validator.delegator_shares) == (
        BondStatus.UNBONDED,
        5 * POWER,
        dec.from_int(5 * POWER),
    )
    assert validator.pubkey == cons_key(1) and validator.commission.update_height == 1
    delegation = chain.delegation(ALICE, ALICE)
    assert delegation is not None and delegation.shares == dec.from_int(5 * POWER)
    assert events_of(events, "create_validator") == [{"validator": valoper(ALICE), "amount": "5000000udepin"}]
    assert chain.balance(ALICE) == FUNDS - 5 * POWER
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (0, 5 * POWER)  # not bonded yet
    assert chain.end_block() == [update(ALICE, 5)]
    assert chain.validator(ALICE).status == BondStatus.BONDED
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (5 * POWER, 0)
    assert chain.keeper.get_last_total_power(chain.store) == 5
    assert chain.broken() == []


def test_invalid_create_validator_twice() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, POWER))
    assert chain.fails(create_validator(ALICE, POWER, key=9)).code == 4  # the operator has one
    assert chain.fails(create_validator(BOB, POWER, key=1)).code == 5  # the key is taken


def test_invalid_create_validator_against_state() -> None:
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, min_commission_rate="0.05")))
    low = CommissionRates(dec.parse("0.04"), dec.parse("0.2"), 0)
    assert chain.fails(create_validator(ALICE, POWER, rates=low)).code == 40
    secp = msgspec.structs.replace(create_validator(ALICE, POWER), pubkey=Secp256k1PubKey(ALICE.public_key))
    assert chain.fails(secp).code == 6
    atom = msgspec.structs.replace(create_validator(ALICE, POWER), value=Coin("uatom", POWER))
    assert (chain.fails(atom).codespace, chain.fails(atom).code) == ("sdk", 18)
    assert chain.keeper.get_validator(chain.store, raw(ALICE)) is None  # nothing of them remains
    poor = Chain(staking_genesis(funded={ALICE: 10}))
    error = poor.fails(create_validator(ALICE, POWER))
    assert (error.codespace, error.code) == ("sdk", 5)
    assert poor.keeper.get_validator(poor.store, raw(ALICE)) is None


def test_edit_validator_description_keeps_do_not_modify_fields() -> None:
    chain = Chain()
    chain.run(
        msgspec.structs.replace(
            create_validator(ALICE, POWER), description=Description("a", "b", "c", "d", "e")
        )
    )
    events = chain.run(edit(description=Description("z", "[do-not-modify]", "", "[do-not-modify]", "x")))
    assert chain.validator(ALICE).description == Description("z", "b", "", "d", "x")
    assert events_of(events, "edit_validator") == [
        {"commission_rate": "0.100000000000000000", "min_self_delegation": "1"}
    ]


def test_edit_commission_once_a_day_within_the_max_change() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, POWER))  # rate 0.1, max 0.2, max change 0.01
    assert chain.fails(edit(commission_rate=dec.parse("0.105"))).code == 12  # the same day
    chain.time_ns += DAY_NS
    assert chain.fails(edit(commission_rate=dec.parse("0.111"))).code == 15  # up by more than 0.01
    assert chain.fails(edit(commission_rate=dec.parse("0.21"))).code == 11  # over the max rate
    chain.run(edit(commission_rate=dec.parse("0.11")))
    assert chain.validator(ALICE).commission.rates.rate == dec.parse("0.11")
    assert chain.validator(ALICE).commission.update_time_ns == chain.time_ns
    chain.time_ns += DAY_NS
    chain.run(edit(commission_rate=dec.parse("0.01")))  # down by any amount
    assert chain.validator(ALICE).commission.rates.rate == dec.parse("0.01")


def test_invalid_edit_commission_below_the_minimum() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, POWER))
    chain.keeper.params.set(chain.store, msgspec.structs.replace(PARAMS, min_commission_rate="0.05"))
    chain.time_ns += DAY_NS
    assert chain.fails(edit(commission_rate=dec.parse("0.04"))).code == 18


def test_edit_min_self_delegation_only_upward_and_within_the_tokens() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, POWER, min_self_delegation=10))
    assert chain.fails(edit(min_self_delegation=10)).code == 17
    assert chain.fails(edit(min_self_delegation=POWER + 1)).code == 16
    chain.run(edit(min_self_delegation=POWER))
    assert chain.validator(ALICE).min_self_delegation == POWER


def test_invalid_edit_of_no_validator() -> None:
    assert Chain().fails(edit(CAROL)).code == 3


class Recorder(NoHooks):
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def _note(self, name: str, *args: Any) -> None:
        self.calls.append((name, *(a.hex()[:8] if isinstance(a, bytes) else str(a) for a in args)))

    def after_validator_created(self, ctx: Context, operator: Address) -> None:
        self._note("after_validator_created", operator)

    def before_delegation_created(self, ctx: Context, delegator: Address, operator: Address) -> None:
        self._note("before_delegation_created", delegator, operator)

    def before_delegation_shares_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        self._note("before_delegation_shares_modified", delegator, operator)

    def after_delegation_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        self._note("after_delegation_modified", delegator, operator)

    def before_delegation_removed(self, ctx: Context, delegator: Address, operator: Address) -> None:
        self._note("before_delegation_removed", delegator, operator)

    def after_validator_bonded(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        self._note("after_validator_bonded", operator)

    def after_unbonding_initiated(self, ctx: Context, unbonding_id: int) -> None:
        self._note("after_unbonding_initiated", unbonding_id)

    def before_validator_slashed(self, ctx: Context, operator: Address, fraction: Dec) -> None:
        self._note("before_validator_slashed", operator, dec.format(fraction))


def test_hooks_are_called_where_cosmos_calls_them() -> None:
    chain = Chain(registry=fresh_registry())
    recorder = Recorder()
    chain.keeper.set_hooks(recorder)
    chain.run(create_validator(ALICE, POWER))
    chain.end_block()
    chain.run(delegate(BOB, ALICE, POWER))
    chain.run(delegate(BOB, ALICE, POWER))
    chain.run(MsgUndelegate(BOB.address, valoper(ALICE), Coin(DENOM, 2 * POWER)))
    a, b = raw(ALICE).hex()[:8], raw(BOB).hex()[:8]
    assert recorder.calls == [
        ("after_validator_created", a),
        ("before_delegation_created", a, a),
        ("after_delegation_modified", a, a),
        ("after_validator_bonded", a),
        ("before_delegation_created", b, a),
        ("after_delegation_modified", b, a),
        ("before_delegation_shares_modified", b, a),
        ("after_delegation_modified", b, a),
        ("before_delegation_shares_modified", b, a),
        ("before_delegation_removed", b, a),
        ("after_unbonding_initiated", "1"),
    ]


def test_default_params_follow_cosmos() -> None:
    params = StakingParams()
    assert (params.max_validators, params.max_entries, params.bond_denom) == (100, 7, "udepin")
    assert (params.min_commission_rate, params.power_reduction) == ("0.000000000000000000", 1_000_000)
