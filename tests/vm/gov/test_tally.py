"""vm.gov.tally: Cosmos SDK v0.50's tally, checked by hand on small cases and against an
exact-rational reference on random ones.

The reference counts differently from ``tally``: every holder of shares votes with its
own part of its validator's tokens, and a holder that did not vote follows its
validator's vote, if any. It uses ``fractions.Fraction``, so it differs from Cosmos
only by Cosmos's rounding at the 18th digit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm import dec
from vm.dec import ONE, Dec
from vm.gov.tally import (
    Delegation,
    InvalidVoteOptions,
    Outcome,
    TallyParams,
    TallyResult,
    ValidatorPower,
    VoteOption,
    WeightedOption,
    tally,
    validate_weighted_options,
)

YES, ABSTAIN, NO, VETO = VoteOption.YES, VoteOption.ABSTAIN, VoteOption.NO, VoteOption.NO_WITH_VETO
DEFAULTS = TallyParams()


def operator(index: int) -> bytes:
    return bytes([0x10 + index]) * 20


def account(index: int) -> bytes:
    return bytes([0x20 + index]) * 20


def delegator(index: int) -> bytes:
    return bytes([0x30 + index]) * 20


def validator(index: int, tokens: int, shares: Dec | None = None) -> ValidatorPower:
    return ValidatorPower(
        operator=operator(index),
        account=account(index),
        tokens=tokens,
        delegator_shares=dec.from_int(tokens) if shares is None else shares,
    )


def only(option: VoteOption) -> list[WeightedOption]:
    return [WeightedOption(option, ONE)]


def split(*parts: tuple[VoteOption, str]) -> list[WeightedOption]:
    return [WeightedOption(option, dec.parse(weight)) for option, weight in parts]


def book(*delegations: Delegation) -> dict[bytes, list[Delegation]]:
    by_delegator: dict[bytes, list[Delegation]] = {}
    for delegation in delegations:
        by_delegator.setdefault(delegation.delegator, []).append(delegation)
    return by_delegator


def run(
    validators: Sequence[ValidatorPower],
    votes: dict[bytes, list[WeightedOption]],
    delegations: Iterable[Delegation] = (),
    params: TallyParams = DEFAULTS,
) -> Outcome:
    by_delegator = book(*delegations)
    return tally(validators, votes, lambda voter: by_delegator.get(voter, []), params)


# -- hand-computed cases -------------------------------------------------------------------


def test_delegator_overrides_its_validator() -> None:
    # 30 of the validator's 100 shares vote NO; the validator's YES keeps the other 70.
    outcome = run(
        [validator(0, 100)],
        {account(0): only(YES), delegator(0): only(NO)},
        [Delegation(delegator(0), operator(0), dec.from_int(30))],
    )
    assert outcome == Outcome(passes=True, burn_deposits=False, result=TallyResult(70, 0, 30, 0))


def test_power_follows_tokens_not_shares() -> None:
    # A slashed validator: 90 tokens for 100 shares, so a share is worth 0.9 tokens.
    outcome = run(
        [validator(0, 90, dec.from_int(100))],
        {account(0): only(YES), delegator(0): only(NO)},
        [Delegation(delegator(0), operator(0), dec.from_int(30))],
    )
    assert outcome.result == TallyResult(yes=63, abstain=0, no=27, no_with_veto=0)
    assert outcome.passes


def test_delegator_of_a_silent_validator_votes_alone() -> None:
    # The validator does not vote: only the delegator's 40 of 100 count (0.4 >= quorum).
    outcome = run(
        [validator(0, 100)],
        {delegator(0): only(YES)},
        [Delegation(delegator(0), operator(0), dec.from_int(40))],
    )
    assert outcome == Outcome(passes=True, burn_deposits=False, result=TallyResult(40, 0, 0, 0))


def test_delegation_to_an_unbonded_validator_counts_nothing() -> None:
    outcome = run(
        [validator(0, 100)],
        {account(0): only(NO), delegator(0): only(YES)},
        [Delegation(delegator(0), operator(9), dec.from_int(500))],
    )
    assert outcome == Outcome(passes=False, burn_deposits=False, result=TallyResult(0, 0, 100, 0))


@pytest.mark.parametrize("burn", [False, True])
def test_quorum_missed(burn: bool) -> None:
    # 100 of 400 bonded tokens vote: 0.25 < 0.334.
    params = TallyParams(burn_vote_quorum=burn)
    outcome = run([validator(0, 100), validator(1, 300)], {account(0): only(YES)}, params=params)
    assert outcome == Outcome(passes=False, burn_deposits=burn, result=TallyResult(100, 0, 0, 0))


@pytest.mark.parametrize("burn", [False, True])
def test_veto(burn: bool) -> None:
    # 60 of 160 vote NO_WITH_VETO: 0.375 > 0.334, though YES holds 0.625.
    params = TallyParams(burn_vote_veto=burn)
    outcome = run(
        [validator(0, 100), validator(1, 60)], {account(0): only(YES), account(1): only(VETO)}, params=params
    )
    assert outcome == Outcome(passes=False, burn_deposits=burn, result=TallyResult(100, 0, 0, 60))


def test_threshold_exactly_half_does_not_pass() -> None:
    outcome = run([validator(0, 100), validator(1, 100)], {account(0): only(YES), account(1): only(NO)})
    assert outcome == Outcome(passes=False, burn_deposits=False, result=TallyResult(100, 0, 100, 0))


def test_abstain_does_not_count_against_yes() -> None:
    # YES 100 of the 150 non-abstaining; the 300 abstaining count toward quorum only.
    outcome = run(
        [validator(0, 100), validator(1, 50), validator(2, 300)],
        {account(0): only(YES), account(1): only(NO), account(2): only(ABSTAIN)},
    )
    assert outcome == Outcome(passes=True, burn_deposits=False, result=TallyResult(100, 300, 50, 0))


def test_all_abstain_fails_without_burn() -> None:
    params = TallyParams(burn_vote_quorum=True, burn_vote_veto=True)
    outcome = run([validator(0, 100)], {account(0): only(ABSTAIN)}, params=params)
    assert outcome == Outcome(passes=False, burn_deposits=False, result=TallyResult(0, 100, 0, 0))


def test_weighted_split_votes() -> None:
    # The validator's 90 remaining tokens split 0.6/0.4; the delegator's 10 split 0.5/0.5.
    outcome = run(
        [validator(0, 100)],
        {account(0): split((YES, "0.6"), (NO, "0.4")), delegator(0): split((ABSTAIN, "0.5"), (YES, "0.5"))},
        [Delegation(delegator(0), operator(0), dec.from_int(10))],
    )
    assert outcome == Outcome(passes=True, burn_deposits=False, result=TallyResult(59, 5, 36, 0))


def test_option_totals_truncate() -> None:
    # 10 tokens in thirds: 3.333333333333333330 and 3.33333333333333334 all truncate to 3.
    third = "0.333333333333333333"
    options = split((YES, third), (NO, third), (VETO, "0.333333333333333334"))
    outcome = run([validator(0, 10)], {account(0): options})
    assert outcome == Outcome(passes=False, burn_deposits=False, result=TallyResult(3, 0, 3, 3))


@pytest.mark.parametrize("validators", [[], [validator(0, 0)]])
def test_zero_bonded_fails_without_burn(validators: list[ValidatorPower]) -> None:
    params = TallyParams(quorum=0, burn_vote_quorum=True)
    outcome = run(validators, {account(0): only(YES), delegator(0): only(YES)}, params=params)
    assert outcome == Outcome(passes=False, burn_deposits=False, result=TallyResult(0, 0, 0, 0))


# -- vote options ----------------------------------------------------------------------------


def test_valid_weighted_options() -> None:
    validate_weighted_options(only(YES))
    validate_weighted_options(split((YES, "0.1"), (ABSTAIN, "0.2"), (NO, "0.3"), (VETO, "0.4")))


def test_invalid_empty_options() -> None:
    with pytest.raises(InvalidVoteOptions, match="no vote options"):
        validate_weighted_options([])


@pytest.mark.parametrize("option", [0, 5])
def test_invalid_unknown_option(option: int) -> None:
    with pytest.raises(InvalidVoteOptions, match="unknown vote option"):
        validate_weighted_options([WeightedOption(option, ONE)])  # type: ignore[arg-type]


def test_invalid_duplicate_option() -> None:
    with pytest.raises(InvalidVoteOptions, match="duplicate vote option YES"):
        validate_weighted_options(split((YES, "0.5"), (YES, "0.5")))


@pytest.mark.parametrize("weight", ["0", "-0.5", "1.000000000000000001"])
def test_invalid_weight_out_of_range(weight: str) -> None:
    with pytest.raises(InvalidVoteOptions, match=r"is not in \(0, 1\]"):
        validate_weighted_options(split((YES, weight), (NO, "0.5")))


@pytest.mark.parametrize("weights", [("0.5", "0.499999999999999999"), ("0.5", "0.500000000000000001")])
def test_invalid_weights_not_summing_to_one(weights: tuple[str, str]) -> None:
    with pytest.raises(InvalidVoteOptions, match="sum to"):
        validate_weighted_options(split((YES, weights[0]), (NO, weights[1])))


# -- against an exact reference ----------------------------------------------------------------

EPSILON = Fraction(1, 10**15)
OPTIONS = list(VoteOption)


@dataclass(frozen=True)
class Case:
    validators: list[ValidatorPower]
    delegations: list[Delegation]
    votes: dict[bytes, list[WeightedOption]]
    params: TallyParams
    whole: bool  # tokens == shares and every delegation a whole number of shares


@st.composite
def weighted_options(draw: st.DrawFn) -> list[WeightedOption]:
    chosen = draw(st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=4, unique=True))
    parts = draw(st.lists(st.integers(1, 10), min_size=len(chosen), max_size=len(chosen)))
    weights = [ONE * part // sum(parts) for part in parts]
    weights[-1] += ONE - sum(weights)
    return [WeightedOption(option, weight) for option, weight in zip(chosen, weights, strict=True)]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    whole = draw(st.booleans())
    validators: list[ValidatorPower] = []
    delegations: list[Delegation] = []
    delegators = [delegator(index) for index in range(draw(st.integers(0, 3)))]
    for index in range(draw(st.integers(1, 4))):
        tokens = draw(st.integers(0, 10**6))
        shares = dec.from_int(tokens)
        if not whole:
            shares = max(shares * draw(st.integers(100, 300)) // 100 + draw(st.integers(0, ONE)), 1)
        validators.append(validator(index, tokens, shares))
        parts = [draw(st.integers(0, 5)) for _ in delegators]
        total = sum(parts) + draw(st.integers(1, 5))  # the operator's own part takes the rest
        given_out = 0
        for holder, part in zip(delegators, parts, strict=True):
            held = dec.from_int(tokens * part // total) if whole else shares * part // total
            if held > 0:
                delegations.append(Delegation(holder, operator(index), held))
                given_out += held
        if shares > given_out:
            delegations.append(Delegation(account(index), operator(index), shares - given_out))
    for holder in delegators:  # stake with a validator outside the bonded set counts nothing
        if draw(st.booleans()):
            delegations.append(Delegation(holder, operator(9), dec.from_int(draw(st.integers(1, 10**6)))))
    voters = [holder for holder in [*delegators, *(v.account for v in validators)] if draw(st.booleans())]
    votes = {voter: draw(weighted_options()) for voter in voters}
    params = TallyParams(
        quorum=dec.parse(draw(st.sampled_from(["0", "0.334", "0.5"]))),
        threshold=dec.parse(draw(st.sampled_from(["0.5", "0.667"]))),
        veto_threshold=dec.parse(draw(st.sampled_from(["0.334", "0.1"]))),
        burn_vote_quorum=draw(st.booleans()),
        burn_vote_veto=draw(st.booleans()),
    )
    return Case(validators, delegations, votes, params, whole)


def as_fraction(value: Dec) -> Fraction:
    return Fraction(value, ONE)


def reference_results(case: Case) -> dict[VoteOption, Fraction]:
    """Each holder's tokens go to its own vote, else to its validator's vote, if any."""
    results = dict.fromkeys(VoteOption, Fraction(0))
    bonded = {v.operator: v for v in case.validators}
    for delegation in case.delegations:
        val = bonded.get(delegation.validator)
        if val is None or val.delegator_shares == 0:
            continue
        options = case.votes.get(delegation.delegator) or case.votes.get(val.account, [])
        power = as_fraction(delegation.shares) * val.tokens / as_fraction(val.delegator_shares)
        for weighted in options:
            results[weighted.option] += power * as_fraction(weighted.weight)
    return results


def reference_voting_power(case: Case) -> Fraction:
    bonded = {v.operator: v for v in case.validators}
    power = Fraction(0)
    for delegation in case.delegations:
        val = bonded.get(delegation.validator)
        if val is not None and (delegation.delegator in case.votes or val.account in case.votes):
            power += as_fraction(delegation.shares) * val.tokens / as_fraction(val.delegator_shares)
    return power


def reference_decision(case: Case, results: dict[VoteOption, Fraction]) -> tuple[bool, bool] | None:
    """(passes, burn_deposits), or None where a ratio lies within EPSILON of its threshold
    and Cosmos's rounding may decide either way."""
    params = case.params
    bonded = sum(v.tokens for v in case.validators)
    if bonded == 0:
        return (False, False)
    total = reference_voting_power(case)
    percent = total / bonded
    if abs(percent - as_fraction(params.quorum)) < EPSILON:
        return None
    if percent < as_fraction(params.quorum):
        return (False, params.burn_vote_quorum)
    non_abstaining = total - results[ABSTAIN]
    if abs(non_abstaining) < EPSILON:
        return (False, False) if non_abstaining == 0 else None  # exactly 0: no power but abstaining
    veto = results[VETO] / total
    if abs(veto - as_fraction(params.veto_threshold)) < EPSILON:
        return None
    if veto > as_fraction(params.veto_threshold):
        return (False, params.burn_vote_veto)
    yes = results[YES] / non_abstaining
    if abs(yes - as_fraction(params.threshold)) < EPSILON:
        return None
    return (yes > as_fraction(params.threshold), False)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_tally_matches_exact_reference(case: Case) -> None:
    for options in case.votes.values():
        validate_weighted_options(options)
    by_delegator = book(*case.delegations)
    outcome = tally(case.validators, case.votes, lambda voter: by_delegator.get(voter, []), case.params)
    expected = reference_results(case)
    counted = {
        YES: outcome.result.yes,
        ABSTAIN: outcome.result.abstain,
        NO: outcome.result.no,
        VETO: outcome.result.no_with_veto,
    }
    for option in VoteOption:
        exact = int(expected[option])  # floor: the totals are never negative
        if case.whole:
            assert counted[option] == exact
        else:
            # Each vote rounds at the 18th digit, so the truncated total can only fall
            # on the other side of an integer that the exact total lies within atomics of.
            assert abs(counted[option] - exact) <= 1
    decision = reference_decision(case, expected)
    if decision is not None:
        assert (outcome.passes, outcome.burn_deposits) == decision
