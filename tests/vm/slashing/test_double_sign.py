"""Double signing (Cosmos x/evidence's ``handleEquivocationEvidence``): committed evidence
costs the validator 5% of the stake behind the evidence's power at the distribution
height (the evidence's height less one), jails it for ever and tombstones it, so that
any later evidence, duplicate or not, is a no-op. Evidence older than both the
consensus params' max age and the unbonding period is ignored."""

from __future__ import annotations

from cosmpy.protos.cosmos.slashing.v1beta1 import query_pb2

from consensus.abci import Misbehavior, VoteInfo
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    apply_block,
    events_of,
    new_app,
    raw,
    signed,
)
from tests.vm.slashing.app_chain import ALICE_CONS, finalize, time_at
from tests.vm.slashing.helpers import UNBONDING, Evidence, SlashingChain, slashing_genesis
from tests.vm.staking.helpers import create_validator, delegate, undelegate, update
from tests.vm.staking.test_redelegations import redelegate
from tests.vm.staking.vectors import cons_key
from vm.block import COMMIT_FLAG
from vm.slashing.types import DOUBLE_SIGN_JAIL_END, format_cons_address


def staked() -> SlashingChain:
    """Alice (1000 of hers, 1000 of Bob's: power 2000) and Dave (1000) bonded at height 1,
    and two more blocks."""
    chain = SlashingChain()
    chain.run(create_validator(ALICE, 1000))
    chain.run(delegate(BOB, ALICE, 1000))
    chain.run(create_validator(DAVE, 1000))
    chain.end_block()
    chain.blocks(2)
    return chain


def test_double_sign_slashes_jails_and_tombstones() -> None:
    chain = staked()
    cons = chain.cons(ALICE)
    supply = chain.supply()
    events = chain.begin_block(evidence=[Evidence(cons, 2, 2000)])
    assert chain.validator(ALICE).tokens == 1900  # 5% of 2000
    assert chain.supply() == supply - 100
    assert chain.jailed(ALICE)
    info = chain.info(ALICE)
    assert info.tombstoned and info.jailed_until == DOUBLE_SIGN_JAIL_END
    address = format_cons_address(cons)
    assert events_of(events, "misbehavior") == [
        {"kind": "duplicate_vote", "validator": cons.hex().upper(), "height": "2"}
    ]
    assert events_of(events, "slash") == [
        {"address": address, "power": "2000", "reason": "double_sign", "burned_coins": "100"},
        {"jailed": address},
    ]
    assert chain.end_block() == [update(ALICE, 0)]
    assert chain.broken() == []


def test_one_offence_is_punished_once_with_duplicates_in_one_block() -> None:
    chain = staked()
    evidence = Evidence(chain.cons(ALICE), 2, 2000)
    events = chain.block(evidence=[evidence, evidence])
    assert chain.validator(ALICE).tokens == 1900
    assert len(events_of(events, "misbehavior")) == 2  # each item is reported
    assert [e["reason"] for e in events_of(events, "slash") if "reason" in e] == ["double_sign"]


def test_later_evidence_against_a_tombstoned_validator_is_ignored() -> None:
    chain = staked()
    cons = chain.cons(ALICE)
    chain.block(evidence=[Evidence(cons, 2, 2000)])
    supply = chain.supply()
    for evidence in (Evidence(cons, 2, 2000), Evidence(cons, 3, 1900)):  # again, and another offence
        events = chain.block(evidence=[evidence])
        assert events_of(events, "slash") == []
    assert chain.validator(ALICE).tokens == 1900 and chain.supply() == supply
    assert chain.broken() == []


def test_unbondings_and_redelegations_after_the_infraction_are_slashed() -> None:
    chain = SlashingChain()
    chain.run(create_validator(ALICE, 1000))
    chain.run(delegate(BOB, ALICE, 1000))
    chain.run(delegate(CAROL, ALICE, 600))
    chain.run(create_validator(DAVE, 1000))
    chain.blocks(2)  # heights 1 and 2
    chain.run(undelegate(CAROL, ALICE, 100))  # height 3: before the distribution height
    chain.end_block()
    chain.run(undelegate(BOB, ALICE, 400))  # height 4: the distribution height of an offence at 5
    chain.blocks(2)  # heights 4 and 5
    chain.run(redelegate(CAROL, ALICE, DAVE, 500))  # height 6
    chain.end_block()
    supply = chain.supply()
    chain.block(evidence=[Evidence(chain.cons(ALICE), 5, 2500)])  # height 7
    # 5% of 2500 = 125: Bob's unbonding owes 20, Carol's redelegation 25, Alice's tokens 80.
    bob = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    carol = chain.keeper.get_unbonding_delegation(chain.store, raw(CAROL), raw(ALICE))
    assert bob is not None and [(e.initial_balance, e.balance) for e in bob.entries] == [(400, 380)]
    assert carol is not None and [(e.initial_balance, e.balance) for e in carol.entries] == [(100, 100)]
    assert chain.validator(DAVE).tokens == 1500 - 25
    assert chain.validator(ALICE).tokens == 1600 - 80
    assert chain.supply() == supply - 125
    assert chain.broken() == []


def test_old_evidence_is_ignored() -> None:
    """Stale once older than both limits: here the unbonding period (10) is the longer."""
    chain = staked()
    chain.max_evidence_age_blocks = 5
    chain.blocks(UNBONDING + 1)
    height = chain.height
    old = Evidence(chain.cons(ALICE), height - UNBONDING - 1, 2000)
    oldest_punished = Evidence(chain.cons(DAVE), height - UNBONDING, 1000)
    chain.block(evidence=[old, oldest_punished])
    assert not chain.jailed(ALICE) and not chain.info(ALICE).tombstoned
    assert chain.jailed(DAVE) and chain.info(DAVE).tombstoned


def test_evidence_within_the_max_age_is_punished_past_the_unbonding_period() -> None:
    chain = staked()
    chain.max_evidence_age_blocks = 2 * UNBONDING
    chain.blocks(2 * UNBONDING + 1)
    height = chain.height
    old = Evidence(chain.cons(ALICE), height - 2 * UNBONDING - 1, 2000)
    oldest_punished = Evidence(chain.cons(DAVE), height - 2 * UNBONDING, 1000)
    chain.block(evidence=[old, oldest_punished])
    assert not chain.jailed(ALICE)
    assert chain.jailed(DAVE)


def test_evidence_naming_no_validator_with_stake_is_ignored() -> None:
    chain = staked()
    chain.run(create_validator(CAROL, 10))
    chain.run(create_validator(BOB, 5))  # fourth of at most three: never bonded
    chain.end_block()
    supply = chain.supply()
    events = chain.block(evidence=[Evidence(b"\x07" * 20, 2, 10), Evidence(chain.cons(BOB), 3, 5)])
    assert events_of(events, "slash") == [] and len(events_of(events, "misbehavior")) == 2
    assert chain.validator(BOB).tokens == 5 and chain.supply() == supply


def test_light_client_attacks_count_and_unknown_kinds_do_not() -> None:
    chain = staked()
    unknown = Evidence(chain.cons(DAVE), 2, 1000, kind="unknown")
    attack = Evidence(chain.cons(ALICE), 2, 2000, kind="light_client_attack")
    chain.block(evidence=[unknown, attack])
    assert chain.jailed(ALICE) and not chain.jailed(DAVE)


def test_the_app_hands_committed_evidence_to_slashing() -> None:
    app = new_app(slashing_genesis())
    apply_block(app, [signed(app, ALICE, [create_validator(ALICE, 1000)])])  # bonded at height 1
    apply_block(app, [])
    evidence = Misbehavior("duplicate_vote", ALICE_CONS, 2, time_at(2), 1000, 1000)
    result = finalize(app, [VoteInfo(ALICE_CONS, 1000, COMMIT_FLAG)], [evidence])
    assert events_of(result.events, "misbehavior") == [
        {"kind": "duplicate_vote", "validator": ALICE_CONS.hex().upper(), "height": "2"}
    ]
    assert [e["reason"] for e in events_of(result.events, "slash") if "reason" in e] == ["double_sign"]
    assert [(u.pub_key, u.power) for u in result.validator_updates] == [(cons_key(1), 0)]
    request = query_pb2.QuerySigningInfoRequest(cons_address=format_cons_address(ALICE_CONS))
    answer = app.query("/cosmos.slashing.v1beta1.Query/SigningInfo", request.SerializeToString())
    info = query_pb2.QuerySigningInfoResponse.FromString(answer.value).val_signing_info
    assert info.tombstoned and info.jailed_until.seconds == 253_402_300_799
    assert (info.start_height, info.index_offset) == (1, 1)
