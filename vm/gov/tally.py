"""The tally of a proposal's votes, as Cosmos SDK v0.50's ``x/gov/keeper/tally.go``.

Voting power is stake: every bonded validator votes with its bonded tokens, and a
delegator who votes takes its own part of each bonded validator it delegates to away
from that validator's vote ("overrides" it). A validator that does not vote casts
nothing, nor do its delegators who do not vote.

All amounts are Cosmos ``LegacyDec`` atomics (vm/dec.py) and every step rounds where
Cosmos rounds, so a tally here equals the one a Cosmos node computes to the last
unit: a delegation's power is ``shares.MulInt(tokens).Quo(delegatorShares)`` (rounded
half to even), each option's part ``power.Mul(weight)`` (rounded half to even), and
the result's option totals are truncated to integers only at the end.

The tally is a pure function of its inputs: the bonded validators, the votes, and a
way to read a voter's delegations. Votes are read in sorted voter order, so nothing
depends on mapping order (the sums are exact, so the order changes no value either).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from vm import dec
from vm.dec import ONE, ZERO, Dec


class InvalidVoteOptions(ValueError):
    """Weighted vote options that ``MsgVoteWeighted.ValidateBasic`` refuses."""


class VoteOption(IntEnum):
    """Cosmos's ``VoteOption`` numbers (0, ``VOTE_OPTION_UNSPECIFIED``, is no vote)."""

    YES = 1
    ABSTAIN = 2
    NO = 3
    NO_WITH_VETO = 4


@dataclass(frozen=True)
class WeightedOption:
    option: VoteOption
    weight: Dec


@dataclass(frozen=True)
class ValidatorPower:
    """A bonded validator as the tally sees it: ``account`` is the address its
    operator votes from."""

    operator: bytes
    account: bytes
    tokens: int
    delegator_shares: Dec


@dataclass(frozen=True)
class Delegation:
    delegator: bytes
    validator: bytes  # the validator's operator address
    shares: Dec


DEFAULT_QUORUM: Dec = 334 * ONE // 1000
DEFAULT_THRESHOLD: Dec = ONE // 2
DEFAULT_VETO_THRESHOLD: Dec = 334 * ONE // 1000


@dataclass(frozen=True)
class TallyParams:
    """The fractions as ``LegacyDec`` atomics; Cosmos's defaults."""

    quorum: Dec = DEFAULT_QUORUM
    threshold: Dec = DEFAULT_THRESHOLD
    veto_threshold: Dec = DEFAULT_VETO_THRESHOLD
    burn_vote_quorum: bool = False
    burn_vote_veto: bool = True


@dataclass(frozen=True)
class TallyResult:
    yes: int
    abstain: int
    no: int
    no_with_veto: int


@dataclass(frozen=True)
class Outcome:
    passes: bool
    burn_deposits: bool
    result: TallyResult


# -- vote options ------------------------------------------------------------------------

_OPTIONS = frozenset(VoteOption)


def validate_weighted_options(options: Sequence[WeightedOption]) -> None:
    """Refuse what ``MsgVoteWeighted.ValidateBasic`` refuses: no options, an unknown or
    repeated option, a weight outside (0, 1], or weights that do not sum to exactly 1."""
    if not options:
        raise InvalidVoteOptions("no vote options")
    seen: set[int] = set()
    for weighted in options:
        if weighted.option not in _OPTIONS:
            raise InvalidVoteOptions(f"unknown vote option {weighted.option!r}")
        if weighted.option in seen:
            raise InvalidVoteOptions(f"duplicate vote option {VoteOption(weighted.option).name}")
        seen.add(weighted.option)
        if not ZERO < weighted.weight <= ONE:
            raise InvalidVoteOptions(f"vote weight {dec.format(weighted.weight)} is not in (0, 1]")
    total = sum(weighted.weight for weighted in options)
    if total != ONE:
        raise InvalidVoteOptions(f"vote weights sum to {dec.format(total)}, not 1")


# -- the tally -----------------------------------------------------------------------------


@dataclass
class Count:
    """A tally in progress (``LegacyDec`` atomics): the sums so far, the shares of each
    bonded validator whose delegators voted themselves, and the validators' own votes. Votes
    may be counted over several blocks; the bonded set is the one the count started with."""

    bonded: dict[bytes, ValidatorPower]
    accounts: dict[bytes, bytes]  # a bonded validator's account -> its operator
    results: dict[VoteOption, Dec] = field(default_factory=lambda: dict.fromkeys(VoteOption, ZERO))
    total_power: Dec = ZERO
    deductions: dict[bytes, Dec] = field(default_factory=dict)
    validator_votes: dict[bytes, Sequence[WeightedOption]] = field(default_factory=dict)

    def add_power(self, power: Dec, options: Sequence[WeightedOption]) -> None:
        for weighted in options:
            self.results[weighted.option] += dec.mul(power, weighted.weight)
        self.total_power += power


def compute_voting_power(shares: Dec, validator: ValidatorPower) -> Dec:
    """``shares.MulInt(tokens).Quo(delegatorShares)``: the tokens those shares stand for.
    A validator without shares has no power (Cosmos would divide by zero; staking never
    keeps such a validator bonded)."""
    if validator.delegator_shares == ZERO:
        return ZERO
    return dec.quo(dec.mul_int(shares, validator.tokens), validator.delegator_shares)


def start_count(validators: Iterable[ValidatorPower]) -> Count:
    bonded = {validator.operator: validator for validator in validators}
    return Count(bonded, {validator.account: validator.operator for validator in bonded.values()})


def count_vote(
    count: Count, voter: bytes, options: Sequence[WeightedOption], delegations: Iterable[Delegation]
) -> None:
    """One voter's vote (Cosmos's ``Votes.Walk`` body): if it is a bonded validator's
    account, that is the validator's own vote; each of its delegations to a bonded validator
    votes with its power, and its shares are deducted from that validator's vote."""
    operator = count.accounts.get(voter)
    if operator is not None:
        count.validator_votes[operator] = options
    for delegation in delegations:
        validator = count.bonded.get(delegation.validator)
        if validator is None:
            continue
        count.deductions[validator.operator] = (
            count.deductions.get(validator.operator, ZERO) + delegation.shares
        )
        count.add_power(compute_voting_power(delegation.shares, validator), options)


def finish_count(count: Count, params: TallyParams) -> Outcome:
    """Each bonded validator that voted votes with its shares left after its delegators'
    deductions; then ``decide``."""
    for operator in sorted(count.bonded):
        options = count.validator_votes.get(operator)
        if options:
            validator = count.bonded[operator]
            remaining = validator.delegator_shares - count.deductions.get(operator, ZERO)
            count.add_power(compute_voting_power(remaining, validator), options)
    total_bonded = sum(validator.tokens for validator in count.bonded.values())
    return decide(count.results, count.total_power, total_bonded, params)


def tally(
    validators: Iterable[ValidatorPower],
    votes: Mapping[bytes, Sequence[WeightedOption]],
    delegations_of: Callable[[bytes], Iterable[Delegation]],
    params: TallyParams,
) -> Outcome:
    """Count ``votes`` (voter account -> its weighted options) with the bonded
    ``validators``' stake and decide the proposal, as Cosmos's ``Keeper.Tally``:

    1. Each voter's delegations to a bonded validator vote with their power
       ``shares * tokens / delegator_shares``, split over the voter's options by weight;
       those shares are deducted from the validator's own vote.
    2. Each bonded validator whose operator account voted votes with the power of its
       shares left after those deductions.
    3. Each option's total is truncated to an integer for the result.
    4. The decision (``decide``) compares the counts with the params' fractions.
    """
    count = start_count(validators)
    for voter in sorted(votes):
        count_vote(count, voter, votes[voter], delegations_of(voter))
    return finish_count(count, params)


def decide(
    results: Mapping[VoteOption, Dec], total_power: Dec, total_bonded: int, params: TallyParams
) -> Outcome:
    """Whether the proposal passes and whether its deposits burn, in Cosmos's order:
    no stake, no quorum, everyone abstained, vetoed, then the yes threshold."""
    result = TallyResult(
        yes=dec.truncate_int(results[VoteOption.YES]),
        abstain=dec.truncate_int(results[VoteOption.ABSTAIN]),
        no=dec.truncate_int(results[VoteOption.NO]),
        no_with_veto=dec.truncate_int(results[VoteOption.NO_WITH_VETO]),
    )
    if total_bonded == 0:
        return Outcome(passes=False, burn_deposits=False, result=result)
    if dec.quo(total_power, dec.from_int(total_bonded)) < params.quorum:
        return Outcome(passes=False, burn_deposits=params.burn_vote_quorum, result=result)
    non_abstaining = total_power - results[VoteOption.ABSTAIN]
    if non_abstaining == ZERO:
        return Outcome(passes=False, burn_deposits=False, result=result)
    if dec.quo(results[VoteOption.NO_WITH_VETO], total_power) > params.veto_threshold:
        return Outcome(passes=False, burn_deposits=params.burn_vote_veto, result=result)
    passes = dec.quo(results[VoteOption.YES], non_abstaining) > params.threshold
    return Outcome(passes=passes, burn_deposits=False, result=result)
