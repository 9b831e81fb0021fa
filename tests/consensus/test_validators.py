"""consensus.validators: the set's hash, lookups, quorum, proposer rotation and updates."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter

import pytest

from consensus.codec import encode
from consensus.merkle import EMPTY_HASH, merkle_root
from consensus.validators import SimpleValidator, Validator, ValidatorSet, address_of, apply_updates


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
    updated = apply_updates(validators, [(pub(4), 5)])
    assert powers(updated) == {pub(1): 10, pub(2): 20, pub(3): 30, pub(4): 5}
    assert priorities(updated) == {**priorities(validators), pub(4): -(65 + 65 // 8)}
    assert updated.get(address_of(pub(4))) == (3, Validator(address_of(pub(4)), pub(4), 5, -73))
    assert updated.hash() == validator_set(10, 20, 30, 5).hash() != validators.hash()


def test_new_validator_does_not_propose_first() -> None:
    updated = apply_updates(validator_set(10, 10), [(pub(3), 40)])
    assert updated.proposer().pub_key != pub(3)


def test_newcomers_in_one_update_start_from_the_total_after_it() -> None:
    updated = apply_updates(validator_set(8), [(pub(2), 100), (pub(3), 1)])
    assert priorities(updated) == {pub(1): 0, pub(2): -(109 + 109 // 8), pub(3): -(109 + 109 // 8)}


def test_removed_validators_still_count_in_a_newcomers_priority() -> None:
    updated = apply_updates(validator_set(8, 16), [(pub(2), 0), (pub(3), 8)])
    assert priorities(updated) == {pub(1): 0, pub(3): -(32 + 32 // 8)}


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
    assert priorities(updated) == {k: p for k, p in priorities(validators).items() if k != pub(2)}
    assert updated.hash() == ValidatorSet.from_keys([(pub(1), 10), (pub(3), 30)]).hash()


def test_removing_an_unknown_validator_changes_nothing() -> None:
    validators = validator_set(10, 20).increment_priority()
    updated = apply_updates(validators, [(pub(9), 0)])
    assert updated.validators == validators.validators
    assert updated.hash() == validators.hash()


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
    with pytest.raises(ValueError, match="no validators"):
        apply_updates(validator_set(10, 20), [(pub(1), 0), (pub(2), 0)])


def test_removing_all_but_a_newcomer_keeps_a_set() -> None:
    updated = apply_updates(validator_set(10), [(pub(1), 0), (pub(2), 3)])
    assert powers(updated) == {pub(2): 3}
