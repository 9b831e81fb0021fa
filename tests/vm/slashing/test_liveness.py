"""Downtime (Cosmos's ``HandleValidatorSignature``): with a window of 10 blocks of which 5
must be signed, a validator bonded at height 1 is jailed at the first block past height
11 at which it has missed 6 of the last 10, slashed 1% of the power that signed at the
distribution height (two blocks back), and its window starts afresh."""

from __future__ import annotations

from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, events_of, raw
from tests.vm.slashing.helpers import JAIL_NS, NIL_FLAG, SlashingChain, Vote
from tests.vm.staking.helpers import create_validator, delegate, undelegate
from vm.block import ABSENT_FLAG
from vm.slashing.types import UNIX_EPOCH, Timestamp, format_cons_address


def bonded(*operators: object) -> SlashingChain:
    """Validators of 1000 tokens each, bonded at height 1."""
    chain = SlashingChain()
    for operator in operators or (ALICE,):
        chain.run(create_validator(operator, 1000))  # type: ignore[arg-type]
    chain.end_block()
    return chain


def test_signing_info_starts_when_the_validator_bonds() -> None:
    chain = bonded()
    info = chain.info(ALICE)
    assert (info.start_height, info.index_offset, info.missed_blocks_counter) == (1, 0, 0)
    assert (info.jailed_until, info.tombstoned) == (UNIX_EPOCH, False)


def test_downtime_jails_at_exactly_the_threshold_and_not_a_block_before() -> None:
    chain = bonded(ALICE, BOB)
    for _ in range(10):  # heights 2 to 11: the whole first window signed
        chain.block()
    for _ in range(5):  # heights 12 to 16: 5 missed, the most a window allows
        chain.block(absent=[ALICE])
    assert not chain.jailed(ALICE)
    assert chain.info(ALICE).missed_blocks_counter == 5
    supply = chain.supply()
    jailing = chain.height  # 17: the 6th missed block
    events = chain.block(absent=[ALICE])
    assert chain.jailed(ALICE) and not chain.jailed(BOB)
    assert chain.validator(ALICE).tokens == 990  # 1% of the power of 1000
    assert chain.supply() == supply - 10
    info = chain.info(ALICE)
    assert info.jailed_until == Timestamp.from_ns(chain.time_ns - 5 * 10**9 + JAIL_NS)
    assert (info.missed_blocks_counter, info.index_offset, info.start_height) == (0, 16, 1)
    assert list(chain.slashing.missed_blocks(chain.store, chain.cons(ALICE))) == []
    address = format_cons_address(chain.cons(ALICE))
    assert events_of(events, "slash") == [
        {
            "address": address,
            "power": "1000",
            "reason": "missing_signature",
            "jailed": address,
            "burned_coins": "10",
        }
    ]
    assert events_of(events, "liveness") == [
        {"address": address, "missed_blocks": "6", "height": str(jailing)}
    ]
    assert chain.broken() == []


def test_no_downtime_before_a_whole_window_has_passed() -> None:
    chain = bonded()
    for _ in range(9):  # heights 2 to 10
        chain.block(absent=[ALICE])
    chain.block(absent=[ALICE])  # height 11 = start height + window: not past it yet
    assert not chain.jailed(ALICE)
    assert chain.info(ALICE).missed_blocks_counter == 10
    chain.block(absent=[ALICE])  # height 12
    assert chain.jailed(ALICE)


def test_signed_blocks_age_missed_ones_out_of_the_window() -> None:
    chain = bonded()
    for _ in range(30):  # 5 of every 10 missed, for three windows: never more than allowed
        chain.block(absent=[ALICE] if chain.height % 2 else [])
    assert not chain.jailed(ALICE)
    assert chain.info(ALICE).missed_blocks_counter == 5
    assert len(list(chain.slashing.missed_blocks(chain.store, chain.cons(ALICE)))) == 5
    assert chain.broken() == []


def test_a_nil_precommit_is_not_a_missed_block() -> None:
    chain = bonded()
    cons = chain.cons(ALICE)
    for _ in range(15):
        chain.begin_block([Vote(cons, 1000, NIL_FLAG)])
        chain.end_block()
    assert not chain.jailed(ALICE)
    assert chain.info(ALICE).missed_blocks_counter == 0


def test_downtime_slashes_unbondings_begun_at_or_after_the_distribution_height() -> None:
    chain = bonded()
    chain.run(delegate(BOB, ALICE, 500))
    chain.run(delegate(CAROL, ALICE, 300))
    chain.end_block()  # height 2
    for _ in range(9):  # heights 3 to 11
        chain.block()
    chain.run(undelegate(CAROL, ALICE, 300))  # height 12: before the distribution height
    for _ in range(4):  # heights 12 to 15
        chain.block(absent=[ALICE])
    chain.run(undelegate(BOB, ALICE, 500))  # height 16: after it
    chain.block(absent=[ALICE])
    supply = chain.supply()
    # Height 17, the 6th missed block: the infraction is at 15, when Alice's power was 1500.
    chain.begin_block([Vote(chain.cons(ALICE), 1500, ABSENT_FLAG)])
    chain.end_block()
    assert chain.jailed(ALICE)
    # 1% of 1500 = 15: Bob's unbonding owes 1% of its 500, Alice's tokens the other 10.
    bob = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    carol = chain.keeper.get_unbonding_delegation(chain.store, raw(CAROL), raw(ALICE))
    assert bob is not None and [(e.initial_balance, e.balance) for e in bob.entries] == [(500, 495)]
    assert carol is not None and [(e.initial_balance, e.balance) for e in carol.entries] == [(300, 300)]
    assert chain.validator(ALICE).tokens == 1000 - 10
    assert chain.supply() == supply - 15
    assert chain.broken() == []


def test_jailed_validators_are_not_counted() -> None:
    chain = bonded()
    chain.keeper.jail(chain.ctx(), chain.cons(ALICE))
    before = chain.info(ALICE)
    events = chain.begin_block([Vote(chain.cons(ALICE), 1000, ABSENT_FLAG)])
    assert chain.info(ALICE) == before
    assert events_of(events, "liveness") == []


def test_votes_of_validators_staking_does_not_know_are_ignored() -> None:
    chain = bonded()
    stranger = b"\x07" * 20
    chain.begin_block([Vote(stranger, 5, ABSENT_FLAG)])
    assert chain.slashing.get_signing_info(chain.store, stranger) is None


def test_a_validator_bonded_again_starts_a_new_window() -> None:
    chain = bonded(ALICE, DAVE)
    for _ in range(11):  # heights 2 to 12: missed from the start, jailed at 12
        chain.block(absent=[ALICE])
    assert chain.jailed(ALICE)
    jailed_until = chain.info(ALICE).jailed_until
    while chain.time_ns < jailed_until.ns():
        chain.block()
    chain.keeper.unjail(chain.ctx(), chain.cons(ALICE))
    bonded_at = chain.height
    chain.end_block()
    info = chain.info(ALICE)
    assert (info.start_height, info.jailed_until, info.missed_blocks_counter) == (bonded_at, jailed_until, 0)
