"""consensus.validators: the set's hash, lookups, quorum, proposer rotation and updates."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter

import pytest

from consensus.codec import decode, encode
from consensus.merkle import EMPTY_HASH, merkle_root
from consensus.validators import (
    INT64_MAX,
    INT64_MIN,
    MAX_TOTAL_VOTING_POWER,
    InvalidValidatorUpdate,
    SimpleValidator,
    Validator,
    ValidatorSet,
    ValidatorSetRecord,
    address_of,
    apply_updates,
)


def pub(n: int) -> bytes:
    return bytes([n]) * 32


def validator_set(*powers: int) -> ValidatorSet:
    return ValidatorSet.from_keys([(pub(n), power) for n, power in enumerate(powers, start=1)])


def proposers(validators: ValidatorSet, rounds: int) -> list[bytes]:
    chosen = []
    for _ in range(rounds):
        chosen.append(validators.proposer().pub_key)
        validators = validators.increment_priority()
    return chosen


def test_address_is_first_20_bytes_of_sha256() -> None:
    assert address_of(pub(1)) == hashlib.sha256(pub(1)).digest()[:20]


def test_from_keys() -> None:
    validators = validator_set(10)
    (only,) = validators.validators
    assert only == Validator(address_of(pub(1)), pub(1), 10, 0)


def test_sorted_by_power_then_address() -> None:
    validators = ValidatorSet.from_keys([(pub(1), 5), (pub(2), 20), (pub(3), 5)])
    assert [v.voting_power for v in validators.validators] == [20, 5, 5]
    low = validators.validators[1:]
    assert low[0].address < low[1].address


def test_hash_is_merkle_root_over_pub_key_and_power() -> None:
    validators = ValidatorSet.from_keys([(pub(1), 5), (pub(2), 20)])
    expected = merkle_root([encode(SimpleValidator(pub(2), 20)), encode(SimpleValidator(pub(1), 5))])
    assert validators.hash() == expected


def test_hash_ignores_input_order_and_priority() -> None:
    one = ValidatorSet.from_keys([(pub(1), 5), (pub(2), 20)])
    two = ValidatorSet.from_keys([(pub(2), 20), (pub(1), 5)])
    assert one.hash() == two.hash() == one.increment_priority(3).hash()


def test_hash_changes_with_power_and_membership() -> None:
    base = validator_set(5, 20).hash()
    assert validator_set(5, 21).hash() != base
    assert validator_set(5, 20, 1).hash() != base


def test_empty_set_hash() -> None:
    assert ValidatorSet([]).hash() == EMPTY_HASH


def test_get() -> None:
    validators = ValidatorSet.from_keys([(pub(1), 5), (pub(2), 20)])
    found = validators.get(address_of(pub(1)))
    assert found is not None
    index, validator = found
    assert index == 1
    assert validator.pub_key == pub(1)
    assert validators.validators[index] == validator


def test_get_unknown_address() -> None:
    assert validator_set(5).get(address_of(pub(9))) is None


def test_total_power() -> None:
    assert validator_set(1, 2, 3).total_power() == 6


@pytest.mark.parametrize(
    ("powers", "quorum"),
    [((1,), 1), ((1, 1, 1), 3), ((10,), 7), ((25, 25, 25, 25), 67), ((3, 3, 3, 1), 7)],
)
def test_two_thirds_plus_one(powers: tuple[int, ...], quorum: int) -> None:
    validators = validator_set(*powers)
    assert validators.two_thirds_plus_one() == quorum
    assert 3 * validators.two_thirds_plus_one() > 2 * validators.total_power()


def test_single_validator_always_proposes() -> None:
    assert set(proposers(validator_set(7), 10)) == {pub(1)}


def test_equal_powers_rotate() -> None:
    chosen = proposers(validator_set(10, 10, 10), 9)
    assert chosen[:3] == chosen[3:6] == chosen[6:9]
    assert set(chosen[:3]) == {pub(1), pub(2), pub(3)}


def test_equal_powers_never_repeat_back_to_back() -> None:
    chosen = proposers(validator_set(4, 4, 4, 4), 40)
    assert all(a != b for a, b in itertools.pairwise(chosen))


@pytest.mark.parametrize("powers", [(3, 1), (1, 3), (5, 3, 2), (50, 30, 15, 5), (7, 7, 1)])
def test_proposes_in_proportion_to_power(powers: tuple[int, ...]) -> None:
    total = sum(powers)
    cycles = 20
    counts = Counter(proposers(validator_set(*powers), total * cycles))
    for n, power in enumerate(powers, start=1):
        assert counts[pub(n)] == power * cycles


def test_heaviest_validator_proposes_within_every_window() -> None:
    # Weighted round-robin, not batches: a 3:1 validator never waits more than 2 rounds.
    chosen = proposers(validator_set(3, 1), 40)
    gaps = [i for i, p in enumerate(chosen) if p == pub(1)]
    assert max(b - a for a, b in itertools.pairwise(gaps)) <= 2


def test_increment_preserves_total_priority() -> None:
    validators = validator_set(5, 3, 2)
    for _ in range(25):
        validators = validators.increment_priority()
        assert sum(v.proposer_priority for v in validators.validators) == 0
        assert all(abs(v.proposer_priority) <= validators.total_power() for v in validators.validators)


def test_increment_many_times_equals_repeated_increments() -> None:
    validators = validator_set(5, 3, 2)
    stepped = validators
    for _ in range(7):
        stepped = stepped.increment_priority()
    assert validators.increment_priority(7).validators == stepped.validators


def test_increment_returns_a_new_set() -> None:
    validators = validator_set(5, 3)
    before = list(validators.validators)
    validators.increment_priority()
    assert validators.validators == before


def test_proposer_ties_broken_by_lowest_address() -> None:
    validators = validator_set(1, 1, 1)
    assert validators.proposer().address == min(v.address for v in validators.validators)


def priorities(validators: ValidatorSet) -> dict[bytes, int]:
    return {v.pub_key: v.proposer_priority for v in validators.validators}


def powers(validators: ValidatorSet) -> dict[bytes, int]:
    return {v.pub_key: v.voting_power for v in validators.validators}


def test_update_adds_a_validator_behind_the_others() -> None:
    validators = validator_set(10, 20, 30).increment_priority(2)
    assert priorities(validators) == {pub(1): 30, pub(2): 0, pub(3): -30}
    updated = apply_updates(validators, [(pub(4), 5)])
    assert powers(updated) == {pub(1): 10, pub(2): 20, pub(3): 30, pub(4): 5}
    # The newcomer joins at -(65 + 65 // 8) = -73; the sum -73 centres by floor(-73 / 4) = -19.
    assert priorities(updated) == {pub(1): 49, pub(2): 19, pub(3): -11, pub(4): -54}
    assert updated.get(address_of(pub(4))) == (3, Validator(address_of(pub(4)), pub(4), 5, -54))
    assert updated.hash() == validator_set(10, 20, 30, 5).hash() != validators.hash()


def test_new_validator_does_not_propose_first() -> None:
    updated = apply_updates(validator_set(10, 10), [(pub(3), 40)])
    assert updated.proposer().pub_key != pub(3)


def test_newcomers_in_one_update_start_from_the_total_after_it() -> None:
    updated = apply_updates(validator_set(8), [(pub(2), 100), (pub(3), 1)])
    # Both join at -(109 + 109 // 8) = -122; centring subtracts floor(-244 / 3) = -82.
    assert priorities(updated) == {pub(1): 82, pub(2): -40, pub(3): -40}


def test_removed_validators_still_count_in_a_newcomers_priority() -> None:
    validators = validator_set(8, 16)
    assert priorities(validators) == {pub(1): 8, pub(2): -8}
    updated = apply_updates(validators, [(pub(2), 0), (pub(3), 8)])
    # pub(3) joins at -(32 + 32 // 8) = -36 (pub(2)'s 16 still counted); the spread 44 exceeds
    # the window 2 x 16, so both halve (8, -36 -> 4, -18), then centre on -7.
    assert priorities(updated) == {pub(1): 11, pub(3): -11}


def test_update_reweights_a_validator_keeping_its_priority() -> None:
    validators = validator_set(10, 20, 30).increment_priority()
    updated = apply_updates(validators, [(pub(1), 50)])
    assert powers(updated) == {pub(1): 50, pub(2): 20, pub(3): 30}
    assert priorities(updated) == priorities(validators)
    assert [v.pub_key for v in updated.validators] == [pub(1), pub(3), pub(2)]  # re-sorted by power
    assert updated.hash() == validator_set(50, 20, 30).hash() != validators.hash()


def test_update_with_power_zero_removes_a_validator() -> None:
    validators = validator_set(10, 20, 30).increment_priority()
    updated = apply_updates(validators, [(pub(2), 0)])
    assert powers(updated) == {pub(1): 10, pub(3): 30}
    assert updated.get(address_of(pub(2))) is None
    assert priorities(validators) == {pub(1): 20, pub(2): -20, pub(3): 0}
    assert priorities(updated) == {pub(1): 10, pub(3): -10}  # re-centred on the average 10
    assert updated.hash() == ValidatorSet.from_keys([(pub(1), 10), (pub(3), 30)]).hash()


def test_invalid_removal_of_an_unknown_validator() -> None:
    validators = validator_set(10, 20).increment_priority()
    with pytest.raises(InvalidValidatorUpdate, match=r"cannot remove validator .* not in the set"):
        apply_updates(validators, [(pub(9), 0)])


def test_no_updates_change_nothing() -> None:
    validators = validator_set(10, 20).increment_priority()
    assert apply_updates(validators, []).validators == validators.validators


def test_invalid_duplicate_key_in_one_batch() -> None:
    with pytest.raises(ValueError, match="more than once"):
        apply_updates(validator_set(10, 20), [(pub(3), 5), (pub(3), 0)])


def test_update_leaves_the_given_set_alone() -> None:
    validators = validator_set(10, 20)
    before = list(validators.validators)
    apply_updates(validators, [(pub(1), 0), (pub(2), 3), (pub(3), 4)])
    assert validators.validators == before


def test_invalid_negative_power() -> None:
    with pytest.raises(ValueError, match="negative power -1"):
        apply_updates(validator_set(10, 20), [(pub(3), -1)])


def test_invalid_negative_power_of_an_existing_validator() -> None:
    with pytest.raises(ValueError, match="negative power"):
        apply_updates(validator_set(10, 20), [(pub(1), -5)])


def test_invalid_update_removing_every_validator() -> None:
    with pytest.raises(InvalidValidatorUpdate, match=r"^the updates would leave no validators$"):
        apply_updates(validator_set(10, 20), [(pub(1), 0), (pub(2), 0)])


def test_removing_all_but_a_newcomer_keeps_a_set() -> None:
    updated = apply_updates(validator_set(10), [(pub(1), 0), (pub(2), 3)])
    assert powers(updated) == {pub(2): 3}


# ---- CometBFT's vectors (types/validator_set_test.go and the proposer-selection spec) --------
# Validators there have bare addresses, so these build sets from (address, power, priority);
# a fresh set of equal priorities, incremented once, is exactly NewValidatorSet's result.


def bare(address: bytes, power: int, priority: int = 0) -> Validator:
    return Validator(address, address, power, priority)


def new_set(*entries: tuple[bytes, int]) -> ValidatorSet:
    return ValidatorSet([bare(address, power) for address, power in entries]).increment_priority()


def proposer_sequence(validators: ValidatorSet, rounds: int) -> list[bytes]:
    chosen = []
    for _ in range(rounds):
        chosen.append(validators.proposer().address)
        validators = validators.increment_priority()
    return chosen


SELECTION_1 = (  # TestProposerSelection1: foo 1000, bar 300, baz 330, 99 rounds
    "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar "
    "foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar "
    "foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz "
    "foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo "
    "foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo"
)


def test_vector_proposer_selection_1000_300_330() -> None:
    validators = new_set((b"foo", 1000), (b"bar", 300), (b"baz", 330))
    assert b" ".join(proposer_sequence(validators, 99)).decode() == SELECTION_1


def addr(last: int) -> bytes:
    return bytes(19) + bytes([last])


def test_vector_equal_powers_go_in_address_order() -> None:
    validators = new_set((addr(0), 100), (addr(1), 100), (addr(2), 100))
    assert proposer_sequence(validators, 15) == [addr(0), addr(1), addr(2)] * 5


@pytest.mark.parametrize(
    ("heavy", "expected"),
    [
        (400, [addr(2), addr(0)]),  # more than the others, not enough to propose twice in a row
        (401, [addr(2), addr(2), addr(0)]),  # just enough to propose twice in a row
    ],
)
def test_vector_heavy_validator_proposes_first(heavy: int, expected: list[bytes]) -> None:
    validators = new_set((addr(0), 100), (addr(1), 100), (addr(2), heavy))
    assert proposer_sequence(validators, len(expected)) == expected


def test_vector_proposals_in_proportion_4_5_3() -> None:
    counts = Counter(proposer_sequence(new_set((addr(0), 4), (addr(1), 5), (addr(2), 3)), 120))
    assert counts == {addr(0): 40, addr(1): 50, addr(2): 30}


def test_vector_1_2_3_sequence_with_priorities() -> None:
    # Powers 1, 2, 3 worked by hand: each round adds the powers, the most prioritised (ties to
    # the lowest address) proposes and pays the total 6; priorities listed after paying, in
    # the set's order p3, p2, p1. After 6 rounds each proposed as often as its power.
    validators = new_set((b"p1", 1), (b"p2", 2), (b"p3", 3))
    rounds = []
    for _ in range(6):
        rounds.append((validators.proposer().address, [v.proposer_priority for v in validators.validators]))
        validators = validators.increment_priority()
    assert rounds == [
        (b"p3", [-3, 2, 1]),
        (b"p2", [0, -2, 2]),
        (b"p1", [3, 0, -3]),  # p1 and p3 tie at 3: the lower address proposes
        (b"p3", [0, 2, -2]),
        (b"p2", [3, -2, -1]),
        (b"p3", [0, 0, 0]),
    ]


def test_vector_increments_in_one_call_keep_the_order() -> None:
    # TestProposerSelection3, with the random counts replaced by a fixed cycle of 1 to 4.
    validators = new_set((b"a", 1), (b"b", 1), (b"c", 1), (b"d", 1))
    order = proposer_sequence(validators, 4)
    step = 0
    for times in itertools.islice(itertools.cycle([1, 3, 1, 4, 2, 1]), 200):
        assert validators.proposer().address == order[step % 4]
        stored = ValidatorSet.from_record(decode(encode(validators.record()), ValidatorSetRecord))
        assert stored.proposer() == validators.proposer()
        assert stored.validators == validators.validators
        validators = validators.increment_priority(times)
        step += times


WITH_VOTING_POWER = [  # TestAveragingInIncrementProposerPriorityWithVotingPower: powers 10, 1, 1
    (1, 0, [-2, 1, 1]),
    (2, 0, [-4, 2, 2]),
    (3, 0, [-6, 3, 3]),
    (4, 0, [-8, 4, 4]),
    (5, 1, [2, -7, 5]),
    (6, 0, [0, -6, 6]),
    (7, 0, [-2, -5, 7]),
    (8, 0, [-4, -4, 8]),
    (9, 2, [6, -3, -3]),
    (10, 0, [4, -2, -2]),
    (11, 0, [2, -1, -1]),
]


@pytest.mark.parametrize(("times", "proposer", "expected"), WITH_VOTING_POWER)
def test_vector_priorities_after_increments(times: int, proposer: int, expected: list[int]) -> None:
    validators = ValidatorSet([bare(bytes([0]), 10), bare(bytes([1]), 1), bare(bytes([2]), 1)])
    incremented = validators.increment_priority(times)
    assert incremented.proposer().address == bytes([proposer])
    assert [v.proposer_priority for v in incremented.validators] == expected


@pytest.mark.parametrize(
    ("before", "times", "average"),
    [
        ([1, 2, 3], 1, 2),  # TestAveragingInIncrementProposerPriority
        ([10, -10, 1], 11, 0),
        ([100, -10, 1], 1, 30),
        ([INT64_MAX, 0, 0], 1, INT64_MAX // 3),  # TestAvgProposerPriority
        ([INT64_MAX, 0], 1, INT64_MAX // 2),
        ([INT64_MAX, INT64_MAX], 1, INT64_MAX),
        ([INT64_MIN, INT64_MIN], 1, INT64_MIN),
        ([0, 0, -1], 1, -1),  # big.Int's Euclidean division: -1/3 is -1, not 0 as in Go's int64
        ([-10, 1, 1], 1, -3),
    ],
)
def test_vector_centring_subtracts_the_floored_average(before: list[int], times: int, average: int) -> None:
    # Validators without power: increments change nothing but the centring.
    validators = ValidatorSet([bare(bytes([n]), 0, p) for n, p in enumerate(before)])
    after = {v.address: v.proposer_priority for v in validators.increment_priority(times).validators}
    assert [after[bytes([n])] for n in range(len(before))] == [p - average for p in before]


def test_vector_rescaling_truncates_towards_zero() -> None:
    # Powers 1 and 1: the window is 2 x 2 = 4, the spread 10, so priorities are divided by
    # ceil(10 / 4) = 3 with Go's truncation (-7 -> -2, 3 -> 1), then centred on floor(-1 / 2)
    # = -1 (-1, 2), then b gains the most and pays 2.
    validators = ValidatorSet([bare(b"a", 1, -7), bare(b"b", 1, 3)])
    after = validators.increment_priority()
    assert after.proposer().address == b"b"
    assert [v.proposer_priority for v in after.validators] == [0, 1]


def test_vector_rescaling_keeps_priorities_within_the_window() -> None:
    validators = ValidatorSet([bare(b"a", 1, 1000), bare(b"b", 2, -1000), bare(b"c", 3, 0)])
    for _ in range(10):
        validators = validators.increment_priority()
        spread = max(v.proposer_priority for v in validators.validators) - min(
            v.proposer_priority for v in validators.validators
        )
        assert spread <= 2 * validators.total_power()


def test_update_rescales_to_twice_the_new_total() -> None:
    validators = ValidatorSet(
        [Validator(address_of(pub(1)), pub(1), 1, 100), Validator(address_of(pub(2)), pub(2), 1, -100)]
    )
    # total 3, window 6, spread 200: divide by ceil(200 / 6) = 34, truncating (100 -> 2, -100 -> -2)
    updated = apply_updates(validators, [(pub(2), 2)])
    assert priorities(updated) == {pub(1): 2, pub(2): -2}


@pytest.mark.parametrize(
    "updates",
    [
        [(pub(1), 11), (pub(2), 22), (pub(3), 33), (pub(4), 44)],
        [(pub(5), 50), (pub(6), 60), (pub(7), 70)],
        [(pub(1), 0), (pub(3), 0), (pub(4), 0)],
        [(pub(1), 0), (pub(3), 0), (pub(2), 22), (pub(5), 50), (pub(4), 44)],
    ],
)
def test_vector_update_order_does_not_matter(updates: list[tuple[bytes, int]]) -> None:
    # TestValSetUpdatesOrderTestsExecute: every order of one batch gives the same set.
    validators = validator_set(10, 20, 30, 40)
    expected = apply_updates(validators, updates)
    for order in itertools.islice(itertools.permutations(updates), 20):
        assert apply_updates(validators, list(order)).validators == expected.validators


@pytest.mark.parametrize(
    ("start", "updates"),
    [  # TestValSetUpdatesOverflows
        ((10, 10), [(pub(1), INT64_MAX)]),
        ((10, 10), [(pub(2), INT64_MAX)]),
        ((MAX_TOTAL_VOTING_POWER - 1,), [(pub(2), 5)]),
        ((MAX_TOTAL_VOTING_POWER // 3, MAX_TOTAL_VOTING_POWER // 3), [(pub(3), MAX_TOTAL_VOTING_POWER // 2)]),
    ],
)
def test_invalid_update_over_the_total_power_cap(
    start: tuple[int, ...], updates: list[tuple[bytes, int]]
) -> None:
    validators = validator_set(*start)
    with pytest.raises(InvalidValidatorUpdate, match=f"exceed.* maximum of {MAX_TOTAL_VOTING_POWER}"):
        apply_updates(validators, updates)


def test_total_power_may_reach_the_cap() -> None:
    validators = validator_set(MAX_TOTAL_VOTING_POWER - 5)
    assert apply_updates(validators, [(pub(2), 5)]).total_power() == MAX_TOTAL_VOTING_POWER == INT64_MAX // 8


def test_invalid_new_set_over_the_cap() -> None:
    # TestValidatorSetTotalVotingPowerPanicsOnOverflow
    with pytest.raises(InvalidValidatorUpdate, match="exceed"):
        ValidatorSet.from_keys([(pub(1), INT64_MAX), (pub(2), INT64_MAX), (pub(3), INT64_MAX)])


@pytest.mark.parametrize("power", [0, -20])
def test_invalid_new_set_without_positive_power(power: int) -> None:
    # TestUpdatesForNewValidatorSet
    with pytest.raises(InvalidValidatorUpdate, match="positive powers"):
        ValidatorSet.from_keys([(pub(1), 10), (pub(2), power), (pub(3), 30)])


def test_invalid_new_set_with_a_duplicate_key() -> None:
    with pytest.raises(InvalidValidatorUpdate, match="more than once"):
        ValidatorSet.from_keys([(pub(1), 100), (pub(1), 123)])


def test_new_set_chooses_its_first_proposer() -> None:
    # NewValidatorSet increments once: the heaviest proposes at the first height.
    validators = validator_set(1, 10)
    assert validators.proposer().pub_key == pub(2)
    assert priorities(validators) == {pub(1): 1, pub(2): -1}


def test_updates_through_blocks_rotate_as_cometbft() -> None:
    # What the chain does after each block: the updates, then one increment.
    validators = validator_set(10, 10)
    joined = apply_updates(validators, [(pub(3), 10)]).increment_priority()
    # pub(3) joins at -(30 + 3) = -33 and centres to -22 (others 11 and 11), so it waits.
    assert priorities(joined)[pub(3)] == -22 + 10
    assert address_of(pub(3)) not in proposer_sequence(joined, 2)


def test_one_validator_may_hold_the_whole_cap() -> None:
    # The per-validator bound is inclusive, as CometBFT's MaxTotalVotingPower.
    assert validator_set(MAX_TOTAL_VOTING_POWER).total_power() == MAX_TOTAL_VOTING_POWER
    with pytest.raises(InvalidValidatorUpdate, match=f"^power {MAX_TOTAL_VOTING_POWER + 1} for validator "):
        validator_set(MAX_TOTAL_VOTING_POWER + 1)


def test_empty_new_set() -> None:
    validators = ValidatorSet.from_keys([])
    assert validators.validators == [] and validators.total_power() == 0
    with pytest.raises(ValueError, match=r"^an empty validator set has no proposer$"):
        validators.increment_priority()


def test_increment_zero_times_is_the_set_itself() -> None:
    validators = validator_set(1, 2)
    assert validators.increment_priority(0) is validators
    with pytest.raises(ValueError, match=r"^cannot increment priorities -1 times$"):
        validators.increment_priority(-1)


def test_invalid_proposer_outside_the_set() -> None:
    with pytest.raises(ValueError, match=f"^proposer {(b'z' * 20).hex()} is not in the set$"):
        ValidatorSet([bare(b"a", 1)], proposer=b"z" * 20)


def test_record_of_a_set_without_proposer_round_trips() -> None:
    # A set no increment has made records an empty proposer, which reads back as none.
    validators = ValidatorSet([bare(b"a", 1, 5), bare(b"b", 1, -5)])
    assert validators.record().proposer == b""
    stored = ValidatorSet.from_record(decode(encode(validators.record()), ValidatorSetRecord))
    assert stored.validators == validators.validators and stored.proposer() == validators.proposer()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Powers 1 and 1, window 4. Spread 5: divide by ceil(5 / 4) = 2 (5 -> 2), centre on
        # floor(2 / 2) = 1 (1, -1), both gain 1 (2, 0), a proposes and pays 2.
        ([5, 0], [0, 0]),
        # Spread 7: divide by ceil(7 / 4) = 2 (7 -> 3), centre on 1 (2, -1), gain (3, 0), pay.
        ([7, 0], [1, 0]),
        # Spread 4, the window itself: not rescaled; centre on 2 (2, -2), gain (3, -1), pay.
        ([4, 0], [1, -1]),
    ],
)
def test_vector_rescaling_divides_by_the_ceiling_of_spread_over_window(
    before: list[int], after: list[int]
) -> None:
    validators = ValidatorSet([bare(b"a", 1, before[0]), bare(b"b", 1, before[1])])
    incremented = validators.increment_priority()
    assert incremented.proposer().address == b"a"
    assert [v.proposer_priority for v in incremented.validators] == after
