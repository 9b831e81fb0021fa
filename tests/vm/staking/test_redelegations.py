"""MsgBeginRedelegate: tokens move at once, the record matures an unbonding period later
(or when an unbonding source validator finishes unbonding, or never for an unbonded one)."""

from __future__ import annotations

import msgspec
import pytest
from cosmpy.protos.cosmos.staking.v1beta1 import tx_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, FUNDS, events_of, raw
from tests.vm.staking.helpers import (
    PARAMS,
    POWER,
    UNBONDING,
    Chain,
    create_validator,
    delegate,
    staking_genesis,
    update,
)
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.staking.delegation import begin_redelegation
from vm.staking.errors import BadRedelegationDst
from vm.staking.msgs import MsgBeginRedelegate
from vm.staking.types import BondStatus
from vm.types import Coin


def redelegate(
    delegator: PrivateKey, source: PrivateKey, destination: PrivateKey, amount: int
) -> MsgBeginRedelegate:
    return MsgBeginRedelegate(delegator.address, valoper(source), valoper(destination), Coin(DENOM, amount))


def two_validators(params: object = PARAMS) -> Chain:
    """Alice's (10 power) and Bob's (8 power) validators, bonded; Carol delegates 4 to Alice."""
    chain = Chain(staking_genesis(params))  # type: ignore[arg-type]
    chain.run(create_validator(ALICE, 10 * POWER))
    chain.run(create_validator(BOB, 8 * POWER))
    chain.run(delegate(CAROL, ALICE, 4 * POWER))
    chain.end_block()
    return chain


def test_redelegate_between_bonded_validators() -> None:
    chain = two_validators()
    events = chain.run(redelegate(CAROL, ALICE, BOB, 3 * POWER))
    completion = chain.height + UNBONDING
    assert chain.bonded_pool() == 22 * POWER and chain.not_bonded_pool() == 0  # bonded to bonded
    assert (chain.validator(ALICE).tokens, chain.validator(BOB).tokens) == (11 * POWER, 11 * POWER)
    red = chain.keeper.get_redelegation(chain.store, raw(CAROL), raw(ALICE), raw(BOB))
    assert red is not None and [(e.creation_height, e.completion_height) for e in red.entries] == [
        (chain.height, completion)
    ]
    assert red.entries[0].shares_dst == dec.from_int(3 * POWER)
    assert events_of(events, "redelegate")[0]["completion_height"] == str(completion)
    assert chain.end_block() == [update(ALICE, 11), update(BOB, 11)]
    chain.blocks(UNBONDING)
    assert chain.keeper.get_redelegation(chain.store, raw(CAROL), raw(ALICE), raw(BOB)) is None
    assert events_of(chain.events, "complete_redelegation") == [
        {
            "amount": "3000000udepin",
            "delegator": CAROL.address,
            "source_validator": valoper(ALICE),
            "destination_validator": valoper(BOB),
        }
    ]
    assert chain.broken() == []


def test_redelegate_answers_a_zero_completion_time() -> None:
    """As ``MsgUndelegateResponse``: the completion is a height, in the event."""
    chain = two_validators()
    response = chain.answer(redelegate(CAROL, ALICE, BOB, POWER))
    assert response == tx_pb2.MsgBeginRedelegateResponse(completion_time=Timestamp())
    assert response.HasField("completion_time")


def test_redelegate_to_an_unbonded_validator_moves_pools() -> None:
    chain = two_validators(msgspec.structs.replace(PARAMS, max_validators=2))
    chain.run(create_validator(DAVE, POWER))  # third: stays unbonded
    chain.end_block()
    assert chain.validator(DAVE).status == BondStatus.UNBONDED
    chain.run(redelegate(CAROL, ALICE, DAVE, 2 * POWER))
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (20 * POWER, 3 * POWER)
    assert chain.broken() == []


def test_redelegation_from_an_unbonded_validator_completes_at_once() -> None:
    chain = two_validators(msgspec.structs.replace(PARAMS, max_validators=2))
    chain.run(create_validator(DAVE, POWER))
    chain.run(delegate(CAROL, DAVE, POWER))
    chain.end_block()
    events = chain.run(redelegate(CAROL, DAVE, ALICE, POWER))
    assert events_of(events, "redelegate")[0]["completion_height"] == "0"
    assert chain.keeper.get_redelegation(chain.store, raw(CAROL), raw(DAVE), raw(ALICE)) is None
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (23 * POWER, POWER)  # not bonded to bonded


def test_redelegation_from_an_unbonding_validator_ends_with_its_unbonding() -> None:
    """Cosmos's ``getBeginInfo``: the record dates from the validator's unbonding and
    matures when that does, not an unbonding period from now."""
    chain = two_validators()
    chain.keeper.jail(chain.ctx(), chain.validator(ALICE).cons_address)
    began = chain.height
    chain.end_block()
    chain.end_block()
    events = chain.run(redelegate(CAROL, ALICE, BOB, 2 * POWER))
    assert events_of(events, "redelegate")[0]["completion_height"] == str(began + UNBONDING)
    red = chain.keeper.get_redelegation(chain.store, raw(CAROL), raw(ALICE), raw(BOB))
    assert red is not None and [(e.creation_height, e.completion_height) for e in red.entries] == [
        (began, began + UNBONDING)
    ]
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (10 * POWER, 12 * POWER)  # to bonded
    while chain.height <= began + UNBONDING:
        chain.end_block()
    assert chain.validator(ALICE).status == BondStatus.UNBONDED
    assert chain.keeper.get_redelegation(chain.store, raw(CAROL), raw(ALICE), raw(BOB)) is None
    assert chain.broken() == []


def test_redelegation_entries_mature_one_at_a_time() -> None:
    chain = two_validators()
    chain.run(redelegate(CAROL, ALICE, BOB, POWER))
    first = chain.height + UNBONDING
    chain.end_block()
    chain.run(redelegate(CAROL, ALICE, BOB, 2 * POWER))
    second = chain.height + UNBONDING
    while chain.height <= first:
        chain.end_block()
    red = chain.keeper.get_redelegation(chain.store, raw(CAROL), raw(ALICE), raw(BOB))
    assert red is not None and [(e.completion_height, e.initial_balance) for e in red.entries] == [
        (second, 2 * POWER)
    ]
    while chain.height <= second:
        chain.end_block()
    assert chain.keeper.get_redelegation(chain.store, raw(CAROL), raw(ALICE), raw(BOB)) is None
    assert list(chain.keeper.red_queue.items(chain.store)) == []


def test_invalid_redelegations() -> None:
    chain = two_validators()
    assert chain.fails(redelegate(CAROL, ALICE, ALICE, POWER)).code == 29
    assert chain.fails(redelegate(CAROL, ALICE, DAVE, POWER)).code == 31
    assert chain.fails(redelegate(CAROL, DAVE, ALICE, POWER)).code == 3  # the source is checked first
    assert chain.fails(redelegate(DAVE, ALICE, BOB, POWER)).code == 19  # no delegation to move
    chain.run(redelegate(CAROL, ALICE, BOB, POWER))
    assert chain.fails(redelegate(CAROL, BOB, ALICE, POWER)).code == 32  # transitive
    for _ in range(PARAMS.max_entries - 1):
        chain.run(redelegate(CAROL, ALICE, BOB, 1))
    assert chain.fails(redelegate(CAROL, ALICE, BOB, 1)).code == 33


def test_invalid_redelegation_of_too_little() -> None:
    """7 shares backed by 6 tokens after a slash: 1 token is trunc(7e18 / 6) atomics =
    1.166666666666666666 shares, worth round_even(1.166666666666666666 * 6 / 7) =
    0.999999999999999999 tokens, which truncates to nothing to move."""
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, power_reduction=1)))
    chain.run(create_validator(ALICE, 7))
    chain.run(create_validator(BOB, 8))
    chain.end_block()
    chain.keeper.slash(chain.ctx(), chain.validator(ALICE).cons_address, chain.height, 7, dec.parse("0.15"))
    assert chain.validator(ALICE).tokens == 6
    assert chain.fails(redelegate(ALICE, ALICE, BOB, 1)).code == 30


def test_completions_beyond_the_budget_wait_for_the_next_block() -> None:
    chain = two_validators(msgspec.structs.replace(PARAMS, max_completions_per_block=2))
    chain.run(delegate(DAVE, BOB, POWER))
    chain.run(redelegate(CAROL, ALICE, BOB, POWER))
    chain.run(redelegate(BOB, BOB, ALICE, POWER))
    chain.run(redelegate(DAVE, BOB, ALICE, POWER))
    due = chain.height + UNBONDING
    chain.blocks(UNBONDING)
    assert chain.height == due
    chain.end_block()  # due now: two of the three complete
    assert len(events_of(chain.events, "complete_redelegation")) == 2
    chain.end_block()
    assert len(events_of(chain.events, "complete_redelegation")) == 3
    assert list(chain.keeper.red_queue.items(chain.store)) == []
    assert chain.balance(CAROL) == FUNDS - 4 * POWER  # redelegation pays nothing out


def test_the_keeper_refuses_a_redelegation_from_a_missing_validator_as_cosmos_does() -> None:
    """MsgBeginRedelegate's handler refuses a missing source first (code 3); the keeper's own
    check answers with ErrBadRedelegationDst (31), as Cosmos SDK v0.50's BeginRedelegation."""
    chain = two_validators()
    with pytest.raises(BadRedelegationDst) as missing:
        begin_redelegation(chain.keeper, chain.ctx(), raw(CAROL), raw(DAVE), raw(BOB), dec.from_int(1))
    assert (missing.value.code, str(missing.value)) == (31, "redelegation destination validator not found")
