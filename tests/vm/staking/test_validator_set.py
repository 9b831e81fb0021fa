"""The validator set consensus receives at the end of a block (Cosmos's
ApplyAndReturnValidatorSetUpdates): the top ``max_validators`` by power, ties broken by
operator address, jailed ones out, and only the changes against the last set. CometBFT
applies them two heights later; that is the consensus engine's part, not checked here."""

from __future__ import annotations

import msgspec
import pytest

from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, apply_block, make_genesis, new_app, raw, signed
from tests.vm.staking.helpers import (
    OPERATORS,
    PARAMS,
    POWER,
    UNBONDING,
    Chain,
    create_validator,
    delegate,
    staking_genesis,
    undelegate,
    update,
)
from tests.vm.staking.vectors import valoper
from vm.block import ValidatorUpdate
from vm.context import Context
from vm.module import Module, ModuleDef, ModuleGenesis, Wiring
from vm.modules import AUTHORITY, MODULES
from vm.registry import InvariantBroken, Registry
from vm.staking.errors import BadRemoveValidator
from vm.staking.types import BondStatus
from vm.staking.validator_set import begin_unbonding_validator, remove_validator
from vm.store.cache import ReadStore


def test_no_staking_validators_no_updates() -> None:
    chain = Chain()
    assert chain.blocks(3) == [[], [], []]
    app = new_app(make_genesis())
    assert apply_block(app, []).validator_updates == []  # genesis validators stay as they were


def test_the_application_hands_the_updates_to_consensus() -> None:
    app = new_app(staking_genesis())
    result = apply_block(app, [signed(app, ALICE, [create_validator(ALICE, 5 * POWER)])])
    assert result.tx_results[0].code == 0
    assert result.validator_updates == [update(ALICE, 5)]
    assert apply_block(app, []).validator_updates == []


def test_top_validators_by_power_then_operator_address() -> None:
    chain = Chain()  # max_validators = 3
    for operator, power in zip(OPERATORS, (4, 7, 4, 4), strict=True):
        chain.run(create_validator(operator, power * POWER))
    updates = chain.end_block()
    # Bob first (7); Alice, Carol and Dave tie at 4: the two lowest operator addresses win.
    tied = sorted((ALICE, CAROL, DAVE), key=raw)
    assert updates == [update(BOB, 7), update(tied[0], 4), update(tied[1], 4)]
    assert chain.validator(tied[2]).status == BondStatus.UNBONDED
    assert chain.keeper.get_last_total_power(chain.store) == 15
    assert chain.bonded_pool() == 15 * POWER and chain.not_bonded_pool() == 4 * POWER
    assert chain.broken() == []


def test_a_power_change_and_a_newcomer_that_pushes_the_last_one_out() -> None:
    assert raw(ALICE) < raw(BOB)  # so at equal power Alice ranks first
    chain = Chain()
    for operator, power in ((ALICE, 5), (BOB, 6), (CAROL, 7)):
        chain.run(create_validator(operator, power * POWER))
    chain.end_block()
    chain.run(delegate(BOB, ALICE, POWER))  # Alice 6, level with Bob
    chain.run(create_validator(DAVE, 8 * POWER))
    # In power order: Dave new, Carol unchanged (no update), Alice changed; then Bob leaves.
    assert chain.end_block() == [update(DAVE, 8), update(ALICE, 6), update(BOB, 0)]
    assert chain.validator(BOB).status == BondStatus.UNBONDING
    assert chain.bonded_pool() == 21 * POWER and chain.not_bonded_pool() == 6 * POWER
    assert chain.end_block() == []  # nothing changed since


def test_jailed_validators_leave_and_unjailed_ones_return() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, 5 * POWER))
    chain.run(create_validator(BOB, 3 * POWER))
    chain.end_block()
    cons = chain.validator(ALICE).cons_address
    chain.keeper.jail(chain.ctx(), cons)
    assert chain.end_block() == [update(ALICE, 0)]
    assert chain.keeper.get_last_total_power(chain.store) == 3
    with pytest.raises(Exception, match="jailed"):
        chain.keeper.jail(chain.ctx(), cons)
    chain.keeper.unjail(chain.ctx(), cons)
    assert chain.end_block() == [update(ALICE, 5)]
    assert chain.validator(ALICE).status == BondStatus.BONDED
    assert list(chain.keeper.validator_queue.items(chain.store)) == []  # its unbonding is off
    chain.blocks(UNBONDING)
    assert chain.validator(ALICE).status == BondStatus.BONDED
    assert chain.broken() == []


def test_a_validator_leaving_as_another_joins_moves_only_the_difference() -> None:
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, max_validators=1)))
    chain.run(create_validator(ALICE, 5 * POWER))
    chain.run(create_validator(BOB, 3 * POWER))  # outside the set of one
    chain.end_block()
    chain.keeper.jail(chain.ctx(), chain.validator(ALICE).cons_address)
    assert chain.end_block() == [update(BOB, 3), update(ALICE, 0)]
    assert chain.bonded_pool() == 3 * POWER and chain.not_bonded_pool() == 5 * POWER
    assert chain.broken() == []


def test_an_unbonding_validator_becomes_unbonded_after_the_unbonding_period() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, 5 * POWER))
    chain.end_block()
    chain.keeper.jail(chain.ctx(), chain.validator(ALICE).cons_address)
    began = chain.height
    chain.end_block()
    validator = chain.validator(ALICE)
    assert (validator.status, validator.unbonding_height, validator.unbonding_completion) == (
        BondStatus.UNBONDING,
        began,
        began + UNBONDING,
    )
    assert chain.not_bonded_pool() == 5 * POWER
    chain.blocks(UNBONDING - 1)
    assert chain.validator(ALICE).status == BondStatus.UNBONDING
    chain.end_block()
    assert chain.validator(ALICE).status == BondStatus.UNBONDED
    assert list(chain.keeper.validator_queue.items(chain.store)) == []


def test_a_validator_with_no_stake_left_is_removed_once_unbonded() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, 5 * POWER))
    chain.end_block()
    chain.run(undelegate(ALICE, ALICE, 5 * POWER))
    assert chain.end_block() == [update(ALICE, 0)]
    chain.blocks(UNBONDING)
    assert chain.keeper.get_validator(chain.store, raw(ALICE)) is None
    assert chain.keeper.get_validator_by_cons_addr(chain.store, update(ALICE, 0).pub_key) is None
    assert chain.broken() == []


def test_a_validator_below_one_unit_of_power_is_not_bonded() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, POWER - 1))
    assert chain.end_block() == []
    assert chain.validator(ALICE).status == BondStatus.UNBONDED


def test_max_validators_param_shrinks_the_set() -> None:
    chain = Chain()
    for operator, power in ((ALICE, 5), (BOB, 6), (CAROL, 7)):
        chain.run(create_validator(operator, power * POWER))
    chain.end_block()
    chain.keeper.params.set(chain.store, msgspec.structs.replace(PARAMS, max_validators=1))
    # Carol (7) stays; the others leave, in operator-address order.
    assert chain.end_block() == [update(ALICE, 0), update(BOB, 0)]
    assert chain.keeper.get_last_total_power(chain.store) == 7
    # Both leavers' tokens go to the not-bonded pool.
    assert chain.bonded_pool() == 7 * POWER and chain.not_bonded_pool() == 11 * POWER


def test_init_validator_set_after_genesis() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, 5 * POWER))  # as a gentx would, before the first block
    assert chain.keeper.init_validator_set(chain.ctx()) == [update(ALICE, 5)]
    assert chain.keeper.init_validator_set(chain.ctx()) == [update(ALICE, 5)]  # now from the last set
    assert chain.end_block() == []


def test_invalid_removals_of_a_validator() -> None:
    """Cosmos's RemoveValidator refusals: only an unbonded validator left without a token goes."""
    chain = Chain()
    chain.run(create_validator(ALICE, 5 * POWER))
    chain.run(create_validator(BOB, 1))  # below one unit of power: unbonded, with 1 token
    chain.end_block()
    with pytest.raises(BadRemoveValidator) as bonded:
        remove_validator(chain.keeper, chain.ctx(), raw(ALICE))
    assert bonded.value.detail == "cannot call RemoveValidator on bonded or unbonding validators"
    with pytest.raises(BadRemoveValidator) as holding:
        remove_validator(chain.keeper, chain.ctx(), raw(BOB))
    assert holding.value.detail == "attempting to remove a validator which still contains tokens"


def test_broken_validator_records_stop_the_block_naming_the_validator() -> None:
    """Records no message can produce (a bug's) stop the block rather than go on from them."""
    chain = Chain()
    chain.run(create_validator(ALICE, 5 * POWER))
    chain.run(create_validator(BOB, 1))  # unbonded
    chain.end_block()
    keeper, ctx = chain.keeper, chain.ctx()
    with pytest.raises(InvariantBroken) as unbonded:
        begin_unbonding_validator(keeper, ctx, chain.validator(BOB))
    assert str(unbonded.value) == f"validator {valoper(BOB)} leaves the set unbonded"
    alice = chain.validator(ALICE)
    keeper.set_validator(chain.store, msgspec.structs.replace(alice, jailed=True))  # still ranked
    with pytest.raises(InvariantBroken) as jailed:
        chain.end_block()
    assert str(jailed.value) == f"jailed validator {valoper(ALICE)} is in the power index"
    keeper.set_validator(chain.store, alice)
    keeper.validator_queue.push(chain.store, chain.height, raw(ALICE))  # bonded, yet due to unbond
    with pytest.raises(InvariantBroken) as queued:
        chain.end_block()
    assert str(queued.value) == f"validator {valoper(ALICE)} is queued but not unbonding"


# -- the registry's rule: one module gives validator updates ----------------------------------


class RivalGenesis(msgspec.Struct):
    pass


def _rival(wiring: Wiring) -> Module:
    def export(store: ReadStore) -> RivalGenesis:
        return RivalGenesis()

    def end_block(ctx: Context) -> list[ValidatorUpdate]:
        return [ValidatorUpdate(b"\x07" * 32, 1)]

    genesis = ModuleGenesis(RivalGenesis, lambda state: None, lambda ctx, state: None, export)
    return Module(name="rival", keeper=None, genesis=genesis, end_block=end_block)


def test_invalid_validator_updates_from_two_modules() -> None:
    registry = Registry((*MODULES, ModuleDef("rival", _rival)), AUTHORITY)
    chain = Chain(registry=registry)
    assert chain.end_block() == [ValidatorUpdate(b"\x07" * 32, 1)]  # one module: fine
    chain.run(create_validator(ALICE, 5 * POWER))
    with pytest.raises(InvariantBroken, match="two modules: staking and rival"):
        chain.end_block()
