"""MsgDelegate, MsgUndelegate and MsgCancelUnbondingDelegation: shares, pools, unbonding
entries and their maturity, with Cosmos's rounding worked out by hand."""

from __future__ import annotations

import msgspec
import pytest
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
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
    undelegate,
    update,
)
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.staking.delegation import unbond
from vm.staking.errors import NotEnoughDelegationShares
from vm.staking.msgs import MsgCancelUnbondingDelegation
from vm.staking.types import BondStatus, UnbondingEntry
from vm.types import Coin


def cancel(
    delegator: PrivateKey, operator: PrivateKey, amount: int, height: int
) -> MsgCancelUnbondingDelegation:
    return MsgCancelUnbondingDelegation(delegator.address, valoper(operator), Coin(DENOM, amount), height)


def bonded_chain() -> Chain:
    """Alice's validator bonded with 10 power of her own."""
    chain = Chain()
    chain.run(create_validator(ALICE, 10 * POWER))
    chain.end_block()
    return chain


def test_delegate_to_a_bonded_validator() -> None:
    chain = bonded_chain()
    events = chain.run(delegate(BOB, ALICE, 3 * POWER))
    assert chain.balance(BOB) == FUNDS - 3 * POWER
    assert chain.bonded_pool() == 13 * POWER  # straight into the bonded pool
    delegation = chain.delegation(BOB, ALICE)
    assert delegation is not None and delegation.shares == dec.from_int(3 * POWER)  # 1 share per token
    assert events_of(events, "delegate") == [
        {
            "validator": valoper(ALICE),
            "delegator": BOB.address,
            "amount": "3000000udepin",
            "new_shares": "3000000.000000000000000000",
        }
    ]
    assert chain.end_block() == [update(ALICE, 13)]


def test_shares_after_a_slash_follow_the_exchange_rate() -> None:
    """100 tokens for 100 shares, slashed to 90: 10 tokens buy trunc(100e18 * 10 / 90) atomics
    = 11.111111111111111111 shares; undelegating them gives trunc(round_even(11.11..1 * 100 /
    111.11..1)) = trunc(9.99999999999999999909 rounded at 18 digits = 10.0) = 10 tokens."""
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, power_reduction=1)))
    chain.run(create_validator(ALICE, 100))
    chain.end_block()
    chain.keeper.slash(chain.ctx(), chain.validator(ALICE).cons_address, chain.height, 100, dec.parse("0.1"))
    assert chain.validator(ALICE).tokens == 90
    chain.run(delegate(BOB, ALICE, 10))
    delegation = chain.delegation(BOB, ALICE)
    assert delegation is not None and delegation.shares == 11_111_111_111_111_111_111
    assert chain.validator(ALICE).delegator_shares == 111_111_111_111_111_111_111
    before = chain.not_bonded_pool()
    events = chain.run(undelegate(BOB, ALICE, 10))
    assert events_of(events, "unbond")[0]["amount"] == "10udepin"
    assert chain.not_bonded_pool() == before + 10
    assert chain.delegation(BOB, ALICE) is None  # every share went: the delegation is removed
    assert chain.broken() == []


def test_invalid_delegations() -> None:
    chain = bonded_chain()
    assert chain.fails(delegate(BOB, CAROL, POWER)).code == 3  # no such validator
    wrong = msgspec.structs.replace(delegate(BOB, ALICE, 5), amount=Coin("uatom", 5))
    assert (chain.fails(wrong).codespace, chain.fails(wrong).code) == ("sdk", 18)
    too_much = chain.fails(delegate(BOB, ALICE, FUNDS + 1))
    assert (too_much.codespace, too_much.code) == ("sdk", 5)


def test_invalid_delegation_to_a_validator_slashed_to_nothing() -> None:
    chain = bonded_chain()
    chain.keeper.slash(chain.ctx(), chain.validator(ALICE).cons_address, chain.height, 10, dec.ONE)
    assert chain.validator(ALICE).tokens == 0
    refused = chain.fails(delegate(BOB, ALICE, POWER))
    assert (refused.code, refused.detail) == (34, valoper(ALICE))


def test_undelegate_unbonds_for_the_unbonding_period() -> None:
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, 4 * POWER))
    chain.end_block()
    events = chain.run(undelegate(BOB, ALICE, POWER))
    completion = chain.height + UNBONDING
    assert events_of(events, "unbond") == [
        {
            "validator": valoper(ALICE),
            "delegator": BOB.address,
            "amount": "1000000udepin",
            "completion_height": str(completion),
        }
    ]
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (13 * POWER, POWER)
    ubd = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    assert ubd is not None and ubd.entries == [UnbondingEntry(chain.height, completion, POWER, POWER, 1)]
    assert chain.end_block() == [update(ALICE, 13)]
    while chain.height < completion:
        chain.end_block()
        assert chain.balance(BOB) == FUNDS - 4 * POWER  # not yet
    chain.end_block()  # the completion height's end block pays out
    assert chain.balance(BOB) == FUNDS - 3 * POWER
    assert chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE)) is None
    assert events_of(chain.events, "complete_unbonding") == [
        {"amount": "1000000udepin", "validator": valoper(ALICE), "delegator": BOB.address}
    ]
    assert chain.broken() == []


def test_undelegate_answers_the_amount_and_a_zero_completion_time() -> None:
    """Cosmos v0.50's ``MsgUndelegateResponse``. The completion is a height (in the event),
    so ``completion_time`` is the zero timestamp the queries show too, present as gogoproto's
    non-nullable field always is."""
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, 4 * POWER))
    response = chain.answer(undelegate(BOB, ALICE, POWER))
    assert response == tx_pb2.MsgUndelegateResponse(
        completion_time=Timestamp(), amount=coin_pb2.Coin(denom=DENOM, amount=str(POWER))
    )
    assert response.HasField("completion_time")


def test_undelegate_answers_the_tokens_its_shares_were_worth() -> None:
    """Slashed to 90 tokens for 100 shares, then 9 of Bob's (10 shares): 99 tokens, 110 shares.
    7 tokens are trunc(7 * 110 / 99) = 7.777777777777777777 shares, worth 6.99...9 tokens, so
    6 come back, and the response says 6, as Cosmos's does, not the 7 asked for."""
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, power_reduction=1)))
    chain.run(create_validator(ALICE, 100))
    chain.end_block()
    chain.keeper.slash(chain.ctx(), chain.validator(ALICE).cons_address, chain.height, 100, dec.parse("0.1"))
    chain.run(delegate(BOB, ALICE, 9))
    assert chain.answer(undelegate(BOB, ALICE, 7)) == tx_pb2.MsgUndelegateResponse(
        completion_time=Timestamp(), amount=coin_pb2.Coin(denom=DENOM, amount="6")
    )


def test_undelegations_in_one_block_share_one_entry_up_to_max_entries() -> None:
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, unbonding_blocks=100)))
    chain.run(create_validator(ALICE, 10 * POWER))
    chain.run(delegate(BOB, ALICE, 20 * POWER))
    chain.run(undelegate(BOB, ALICE, POWER))
    chain.run(undelegate(BOB, ALICE, POWER))  # the same creation height: merged
    ubd = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    assert ubd is not None and [(e.initial_balance, e.balance) for e in ubd.entries] == [
        (2 * POWER, 2 * POWER)
    ]
    for _ in range(PARAMS.max_entries - 1):
        chain.end_block()
        chain.run(undelegate(BOB, ALICE, POWER))
    assert chain.fails(undelegate(BOB, ALICE, POWER)).code == 27


def test_invalid_undelegations() -> None:
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, POWER))
    assert chain.fails(undelegate(CAROL, ALICE, POWER)).code == 19  # no delegation
    assert chain.fails(undelegate(BOB, BOB, POWER)).code == 3  # no validator
    too_much = chain.fails(undelegate(BOB, ALICE, POWER + 1))
    assert (too_much.codespace, too_much.code, too_much.detail) == ("sdk", 18, "invalid shares amount")


def test_invalid_unbond_of_more_shares_than_the_delegation_holds() -> None:
    """Cosmos's ``Unbond`` names the shares the delegation holds (no message gets this far:
    the amount is capped at the delegation first)."""
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, 3 * POWER))
    with pytest.raises(NotEnoughDelegationShares) as refused:
        unbond(chain.keeper, chain.ctx(), raw(BOB), raw(ALICE), dec.from_int(3 * POWER) + 1)
    assert refused.value.detail == "3000000.000000000000000000"


def test_self_undelegation_down_to_the_minimum_keeps_the_operator() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, 10 * POWER, min_self_delegation=5 * POWER))
    chain.end_block()
    chain.run(undelegate(ALICE, ALICE, 5 * POWER))  # exactly the minimum left
    assert not chain.validator(ALICE).jailed
    assert chain.end_block() == [update(ALICE, 5)]


def test_self_undelegation_below_the_minimum_jails_the_operator() -> None:
    chain = Chain()
    chain.run(create_validator(ALICE, 10 * POWER, min_self_delegation=5 * POWER))
    assert chain.end_block() == [update(ALICE, 10)]
    chain.run(undelegate(ALICE, ALICE, 5 * POWER + 1))
    assert chain.validator(ALICE).jailed
    assert chain.end_block() == [update(ALICE, 0)]
    assert chain.validator(ALICE).status == BondStatus.UNBONDING


def test_cancel_unbonding_delegates_back() -> None:
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, 5 * POWER))
    started = chain.height
    chain.run(undelegate(BOB, ALICE, 3 * POWER))
    chain.end_block()
    events = chain.run(cancel(BOB, ALICE, POWER, started))  # part of it
    ubd = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    assert ubd is not None and [(e.initial_balance, e.balance) for e in ubd.entries] == [
        (2 * POWER, 2 * POWER)
    ]
    delegation = chain.delegation(BOB, ALICE)
    assert delegation is not None and delegation.shares == dec.from_int(3 * POWER)
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (13 * POWER, 2 * POWER)
    assert events_of(events, "cancel_unbonding_delegation") == [
        {
            "amount": "1000000udepin",
            "validator": valoper(ALICE),
            "delegator": BOB.address,
            "creation_height": str(started),
        }
    ]
    response = chain.answer(cancel(BOB, ALICE, 2 * POWER, started))  # the rest: the entry goes
    assert response == tx_pb2.MsgCancelUnbondingDelegationResponse()
    assert chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE)) is None
    assert list(chain.keeper.ubd_queue.items(chain.store)) == []
    chain.blocks(UNBONDING + 1)
    assert chain.balance(BOB) == FUNDS - 5 * POWER  # nothing paid out: it was all delegated back
    assert chain.broken() == []


def test_invalid_cancellations() -> None:
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, 5 * POWER))
    started = chain.height
    assert chain.fails(cancel(BOB, ALICE, POWER, started)).code == 26  # nothing unbonding
    chain.run(undelegate(BOB, ALICE, POWER))
    assert chain.fails(cancel(BOB, ALICE, POWER, started + 1)).code == 38  # no entry at that height
    assert chain.fails(cancel(BOB, ALICE, POWER + 1, started)).code == 18  # more than the entry
    chain.blocks(UNBONDING + 1)
    chain.run(undelegate(BOB, ALICE, POWER))
    chain.keeper.jail(chain.ctx(), chain.validator(ALICE).cons_address)
    assert chain.fails(cancel(BOB, ALICE, POWER, chain.height)).code == 7  # the validator is jailed


def test_unbondings_beyond_the_budget_complete_in_the_next_blocks() -> None:
    """Four unbondings mature at one height; two complete per block (the budget), in queue order."""
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, max_completions_per_block=2)))
    chain.run(create_validator(ALICE, 10 * POWER))
    for delegator in (BOB, CAROL, DAVE):
        chain.run(delegate(delegator, ALICE, POWER))
    chain.end_block()
    for delegator in (ALICE, BOB, CAROL, DAVE):
        chain.run(undelegate(delegator, ALICE, POWER // 2))
    due = chain.height + UNBONDING
    chain.blocks(UNBONDING)
    assert chain.height == due
    paid = []
    for _ in range(3):
        chain.end_block()
        paid.append(len(events_of(chain.events, "complete_unbonding")))
    assert paid == [2, 4, 4]
    assert [chain.balance(k) for k in (BOB, CAROL, DAVE)] == [FUNDS - POWER // 2] * 3
    assert list(chain.keeper.ubd_queue.items(chain.store)) == []
    assert chain.broken() == []


def test_entries_mature_one_at_a_time() -> None:
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, 4 * POWER))
    chain.end_block()
    chain.run(undelegate(BOB, ALICE, POWER))
    first = chain.height + UNBONDING
    chain.end_block()
    chain.run(undelegate(BOB, ALICE, 2 * POWER))
    second = chain.height + UNBONDING
    chain.end_block()
    chain.run(undelegate(BOB, ALICE, POWER // 2))
    third = chain.height + UNBONDING
    while chain.height <= first:
        chain.end_block()
    assert chain.balance(BOB) == FUNDS - 3 * POWER  # the first entry paid, the others kept
    ubd = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    assert ubd is not None and [(e.completion_height, e.balance) for e in ubd.entries] == [
        (second, 2 * POWER),
        (third, POWER // 2),
    ]
    while chain.height <= third:
        chain.end_block()
    assert chain.balance(BOB) == FUNDS - POWER // 2
    assert chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE)) is None
    assert chain.broken() == []


def test_an_entry_delayed_by_the_budget_completes_with_the_next_one() -> None:
    """Bob's first entry is due with Carol's, but the budget of one takes the lower queue key
    first; a block later Bob's second entry is due too, and both are paid in one completion."""
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, max_completions_per_block=1)))
    chain.run(create_validator(ALICE, 10 * POWER))
    early, late = sorted((BOB, CAROL), key=raw)  # queue items sort by delegator
    for delegator in (early, late):
        chain.run(delegate(delegator, ALICE, 4 * POWER))
    chain.end_block()
    chain.run(undelegate(early, ALICE, POWER))
    chain.run(undelegate(late, ALICE, POWER))
    chain.end_block()
    chain.run(undelegate(late, ALICE, 2 * POWER))
    chain.blocks(UNBONDING)
    assert chain.balance(early) == FUNDS - 3 * POWER and chain.balance(late) == FUNDS - 4 * POWER
    chain.end_block()
    assert chain.balance(late) == FUNDS - POWER
    assert events_of(chain.events, "complete_unbonding")[-1] == {
        "amount": "3000000udepin",
        "validator": valoper(ALICE),
        "delegator": late.address,
    }
    assert list(chain.keeper.ubd_queue.items(chain.store)) == []
    assert chain.broken() == []


def test_entries_begun_at_different_heights_stay_apart_even_when_due_together() -> None:
    """After the unbonding period shrinks by a block, an undelegation a block later is due
    with the one before it; Cosmos merges entries only when both heights match."""
    chain = bonded_chain()
    chain.run(delegate(BOB, ALICE, 4 * POWER))
    first = chain.height
    chain.run(undelegate(BOB, ALICE, POWER))
    chain.end_block()
    shorter = msgspec.structs.replace(PARAMS, unbonding_blocks=UNBONDING - 1)
    chain.keeper.params.set(chain.store, shorter)
    chain.run(undelegate(BOB, ALICE, 2 * POWER))
    ubd = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    due = first + UNBONDING
    assert ubd is not None and [(e.creation_height, e.completion_height) for e in ubd.entries] == [
        (first, due),
        (first + 1, due),
    ]


def test_an_unbonded_validator_goes_with_its_last_delegation() -> None:
    chain = Chain(staking_genesis(msgspec.structs.replace(PARAMS, max_validators=1)))
    chain.run(create_validator(ALICE, 10 * POWER))
    chain.run(create_validator(BOB, POWER))  # outside the set of one: unbonded
    chain.end_block()
    assert chain.validator(BOB).status == BondStatus.UNBONDED
    chain.run(undelegate(BOB, BOB, POWER))
    assert chain.keeper.get_validator(chain.store, raw(BOB)) is None
    assert chain.broken() == []
