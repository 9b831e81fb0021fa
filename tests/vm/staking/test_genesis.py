"""staking genesis: defaults, validation, and export then init giving the same state."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest

from genesis.schema import (
    Balance,
    CoinJSON,
    CommissionJSON,
    CommissionRatesJSON,
    DelegationJSON,
    StakingGenesis,
    StakingParams,
    ValidatorJSON,
)
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DENOM,
    GENESIS_TIME_NS,
    apply_block,
    committed_values,
    new_app,
    section,
    signed,
    with_app_state,
)
from tests.vm.staking.helpers import (
    PARAMS,
    POWER,
    Chain,
    create_validator,
    delegate,
    staking_genesis,
    undelegate,
    update,
)
from tests.vm.staking.test_redelegations import redelegate
from tests.vm.staking.vectors import cons_key, valoper
from vm.app import App, validate_genesis
from vm.errors import InvalidTx
from vm.modules import default_registry
from vm.staking.store import NOT_BONDED_POOL
from vm.store.kv import MemoryKV
from vm.types import format_address, module_address

RATES = CommissionRatesJSON(
    rate="0.100000000000000000", max_rate="0.200000000000000000", max_change_rate="0.010000000000000000"
)


def genesis_validator(operator: Any, tokens: int, key: int, **fields: Any) -> ValidatorJSON:
    values: dict[str, Any] = {
        "operator_address": valoper(operator),
        "consensus_pubkey": base64.b64encode(cons_key(key)).decode(),
        "commission": CommissionJSON(commission_rates=RATES),
        "tokens": tokens,
        "delegator_shares": f"{tokens}.000000000000000000",
    }
    values.update(fields)
    return ValidatorJSON(**values)


def with_validators(
    *validators: ValidatorJSON,
    delegations: list[DelegationJSON] | None = None,
    params: StakingParams = PARAMS,
) -> Any:
    """A genesis whose unbonded validators' tokens sit in the not-bonded pool."""
    doc = staking_genesis(params)
    held = sum(v.tokens for v in validators)
    bank = section(doc, "bank")
    pool = Balance(
        address=format_address(module_address(NOT_BONDED_POOL)), coins=[CoinJSON(denom=DENOM, amount=held)]
    )
    bank = msgspec.structs.replace(bank, balances=[*bank.balances, pool] if held else bank.balances)
    staking = StakingGenesis(params=params, validators=list(validators), delegations=delegations or [])
    return with_app_state(doc, bank=bank, staking=staking)


def self_delegation(operator: Any, tokens: int) -> DelegationJSON:
    return DelegationJSON(
        delegator_address=operator.address, validator_address=valoper(operator), shares=f"{tokens}.0"
    )


def test_default_genesis_is_valid() -> None:
    validate_genesis(staking_genesis())
    assert StakingGenesis().params.unbonding_blocks == 100


def test_genesis_validators_bond_at_init_chain() -> None:
    """A genesis made of unbonded validators: InitChain bonds them (``init_validator_set``)
    and gives their set to consensus, so the first block changes nothing."""
    doc = with_validators(
        genesis_validator(ALICE, 3 * POWER, 1), delegations=[self_delegation(ALICE, 3 * POWER)]
    )
    app = App(MemoryKV(), default_registry())
    assert app.init_chain(doc, GENESIS_TIME_NS).validators == [update(ALICE, 3)]
    assert apply_block(app, []).validator_updates == []
    chain = Chain(doc)
    assert chain.keeper.init_validator_set(chain.ctx()) == [update(ALICE, 3)]


def test_export_then_init_round_trips() -> None:
    app = new_app(staking_genesis())
    apply_block(
        app,
        [
            signed(app, ALICE, [create_validator(ALICE, 10 * POWER)]),
            signed(app, BOB, [create_validator(BOB, 6 * POWER)]),
            signed(app, DAVE, [create_validator(DAVE, 2 * POWER, min_self_delegation=1)]),
        ],
    )
    apply_block(
        app,
        [
            signed(app, CAROL, [delegate(CAROL, ALICE, 4 * POWER)]),
            signed(app, DAVE, [undelegate(DAVE, DAVE, 2 * POWER)]),  # Dave leaves: unbonding, no shares
        ],
    )
    apply_block(
        app,
        [
            signed(  # three delegation changes, each paying out rewards: more than the default gas
                app,
                CAROL,
                [undelegate(CAROL, ALICE, POWER), redelegate(CAROL, ALICE, BOB, POWER)],
                gas=400_000,
                fee=4_000,
            ),
        ],
    )
    doc = staking_genesis()
    exported = app.export_genesis(doc)
    state = msgspec.convert(exported.app_state["staking"], StakingGenesis)
    # ids: Dave's unbonding, his validator's, Carol's unbonding, Carol's redelegation
    assert state.exported and state.last_unbonding_id == 4
    statuses = {v.operator_address: v.status for v in state.validators}
    assert statuses == {
        valoper(ALICE): "BOND_STATUS_BONDED",
        valoper(BOB): "BOND_STATUS_BONDED",
        valoper(DAVE): "BOND_STATUS_UNBONDING",
    }
    assert len(state.unbonding_delegations) == 2 and len(state.redelegations) == 1
    imported = App(MemoryKV())
    imported.init_chain(msgspec.structs.replace(exported, initial_height=app.state.height() + 1), 0)
    assert imported.info()[1] == app.info()[1]
    assert committed_values(imported) == committed_values(app)


def test_invalid_genesis_validators() -> None:
    alice = genesis_validator(ALICE, POWER, 1)
    cases: list[tuple[list[ValidatorJSON], str]] = [
        ([alice, genesis_validator(ALICE, POWER, 2)], "duplicate validator operator"),
        ([alice, genesis_validator(BOB, POWER, 1)], "duplicate validator consensus key"),
        ([genesis_validator(ALICE, POWER, 1, jailed=True, status="BOND_STATUS_BONDED")], "bonded and jailed"),
        ([genesis_validator(ALICE, 0, 1, delegator_shares="0")], "zero delegator shares"),
        ([genesis_validator(ALICE, POWER, 1, status="BONDED")], "status must be one of"),
        ([genesis_validator(ALICE, POWER, 1, consensus_pubkey="AAAA")], "32-byte"),
        ([genesis_validator(ALICE, POWER, 1, operator_address=ALICE.address)], "validator operator address"),
    ]
    for validators, problem in cases:
        with pytest.raises(InvalidTx, match=problem):
            validate_genesis(with_validators(*validators))


def test_invalid_genesis_delegations_and_pools() -> None:
    alice = genesis_validator(ALICE, POWER, 1)
    stray = DelegationJSON(delegator_address=BOB.address, validator_address=valoper(CAROL), shares="1.0")
    with pytest.raises(InvalidTx, match="to no validator"):
        validate_genesis(with_validators(alice, delegations=[stray]))
    twice = [self_delegation(ALICE, POWER), self_delegation(ALICE, POWER)]
    with pytest.raises(InvalidTx, match="duplicate delegation"):
        validate_genesis(with_validators(alice, delegations=twice))
    # shares that do not add up to the validator's
    with pytest.raises(InvalidTx, match="delegator-shares"):
        validate_genesis(with_validators(alice, delegations=[self_delegation(ALICE, POWER - 1)]))
    # tokens the not-bonded pool does not hold
    unfunded = with_app_state(
        staking_genesis(),
        staking=StakingGenesis(
            params=PARAMS, validators=[alice], delegations=[self_delegation(ALICE, POWER)]
        ),
    )
    with pytest.raises(InvalidTx, match="module-accounts"):
        validate_genesis(unfunded)
