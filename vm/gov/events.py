"""gov events, with Cosmos SDK v0.50's types and attributes."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent


class SubmitProposal(TypedEvent, tag="submit_proposal", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"proposal_id", "proposal_proposer"})

    proposal_id: str
    proposal_proposer: str
    proposal_messages: str  # ",/type.url.One,/type.url.Two," as Cosmos writes it


class VotingPeriodStart(TypedEvent, tag="submit_proposal", frozen=True):
    """Cosmos's second ``submit_proposal`` shape: the deposits reached the minimum."""

    indexed: ClassVar[frozenset[str]] = frozenset({"voting_period_start"})

    voting_period_start: str


class ProposalDeposit(TypedEvent, tag="proposal_deposit", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"proposal_id", "depositor"})

    amount: str
    proposal_id: str
    depositor: str


class DepositStartsVoting(TypedEvent, tag="proposal_deposit", frozen=True):
    """Cosmos's second ``proposal_deposit`` shape: a ``MsgDeposit`` brought the deposits to
    the minimum (a submission that does says so with ``VotingPeriodStart``)."""

    indexed: ClassVar[frozenset[str]] = frozenset({"voting_period_start"})

    voting_period_start: str


class ProposalVote(TypedEvent, tag="proposal_vote", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"proposal_id", "voter"})

    voter: str
    option: str  # the weighted options as JSON, as Cosmos writes them
    proposal_id: str


class CancelProposal(TypedEvent, tag="cancel_proposal", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"proposal_id", "sender"})

    sender: str
    proposal_id: str


class InactiveProposal(TypedEvent, tag="inactive_proposal", frozen=True):
    """A deposit period ended without the minimum deposit: the proposal is dropped."""

    indexed: ClassVar[frozenset[str]] = frozenset({"proposal_id"})

    proposal_id: str
    proposal_result: str  # proposal_dropped


class ActiveProposal(TypedEvent, tag="active_proposal", frozen=True):
    """A voting period ended: the tally's outcome and, for a failed one, why."""

    indexed: ClassVar[frozenset[str]] = frozenset({"proposal_id", "proposal_result"})

    proposal_id: str
    proposal_result: str  # proposal_passed, proposal_rejected, proposal_failed, expedited_proposal_rejected
    proposal_log: str
