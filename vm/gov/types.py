"""The records governance keeps, as stored (vm/gov/store.py).

A proposal's periods are in blocks: it is submitted at ``submit_height``, its deposit
period ends at ``deposit_end_height`` and, once its deposits reach the minimum, its voting
period runs from ``voting_start_height`` to ``voting_end_height``. Header times are kept
where Cosmos shows a time and the chain knows it (submission, the start of voting, the
block that tallied it); Cosmos's other times are heights here.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated

import msgspec

from vm.encoding import Canonical
from vm.gov.tally import TallyResult, VoteOption, WeightedOption
from vm.types import Coin

Uint64 = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
DecText = Annotated[str, msgspec.Meta(pattern=r"^(0|[1-9][0-9]{0,95})$")]
"""A non-negative ``LegacyDec``'s atomics as canonical decimal text (they outgrow 64 bits)."""
Weight = Annotated[int, msgspec.Meta(ge=1, le=10**18)]  # LegacyDec atomics in (0, 1]


class ProposalStatus(IntEnum):
    """Cosmos's ``ProposalStatus`` numbers."""

    DEPOSIT_PERIOD = 1
    VOTING_PERIOD = 2
    PASSED = 3
    REJECTED = 4
    FAILED = 5

    @property
    def cosmos_name(self) -> str:
        return f"PROPOSAL_STATUS_{self.name}"


class ProposalMessage(Canonical, frozen=True):
    """A message a proposal carries, kept as the ``Any`` it came in: it is decoded again
    when the proposal executes, by the chain's message set then."""

    type_url: str
    value: bytes


class Tally(Canonical, frozen=True):
    yes: Uint64
    abstain: Uint64
    no: Uint64
    no_with_veto: Uint64

    @classmethod
    def of(cls, result: TallyResult) -> Tally:
        return cls(result.yes, result.abstain, result.no, result.no_with_veto)


EMPTY_TALLY = Tally(0, 0, 0, 0)


class Proposal(Canonical, frozen=True):
    id: Uint64
    messages: list[ProposalMessage]
    status: ProposalStatus
    final_tally: Tally | None
    submit_height: Uint64
    submit_time_ns: Uint64
    deposit_end_height: Uint64
    total_deposit: list[Coin]
    voting_start_height: Uint64  # 0 while in the deposit period
    voting_start_time_ns: Uint64
    voting_end_height: Uint64
    voting_end_time_ns: Uint64  # the header time of the block that tallied it; 0 before
    metadata: str
    title: str
    summary: str
    proposer: bytes
    expedited: bool
    failed_reason: str

    def is_active(self) -> bool:
        """Deposits are taken in both periods, votes in the voting period only."""
        return self.status in (ProposalStatus.DEPOSIT_PERIOD, ProposalStatus.VOTING_PERIOD)


class StoredOption(Canonical, frozen=True):
    option: VoteOption
    weight: Weight


class Vote(Canonical, frozen=True):
    options: list[StoredOption]
    metadata: str

    def weighted(self) -> list[WeightedOption]:
        return [WeightedOption(o.option, o.weight) for o in self.options]


class CountedValidator(Canonical, frozen=True):
    """A bonded validator as a tally in progress took it when it started."""

    operator: bytes
    tokens: Uint64
    delegator_shares: DecText


class Deduction(Canonical, frozen=True):
    operator: bytes
    shares: DecText


class ValidatorVote(Canonical, frozen=True):
    operator: bytes
    options: list[StoredOption]


class TallyProgress(Canonical, frozen=True):
    """A tally counted over several blocks (vm/gov/counting.py): the voters up to ``cursor``
    are counted, with the bonded set the tally started with."""

    cursor: bytes
    validators: list[CountedValidator]
    results: list[DecText]  # by VoteOption: yes, abstain, no, no_with_veto
    total_power: DecText
    deductions: list[Deduction]
    validator_votes: list[ValidatorVote]
