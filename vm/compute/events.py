"""compute events. Providers' workers watch ``job_submitted`` (indexed by provider);
validators' verifier services watch ``committee_assigned`` (its ``members`` list names
them); requesters watch ``job_verdict``."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent

JOB = frozenset({"job_id", "provider", "requester"})


class JobSubmitted(TypedEvent, tag="job_submitted", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "lease_id", "provider", "requester"})

    job_id: str
    lease_id: str
    provider: str
    requester: str
    kind: str
    spec_digest: str  # hex
    work_units: str
    price: str
    deadline_height: str


class ResultSubmitted(TypedEvent, tag="result_submitted", frozen=True):
    indexed: ClassVar[frozenset[str]] = JOB

    job_id: str
    provider: str
    requester: str
    result_root: str  # hex
    output_root: str  # hex
    energy_mj: str  # empty when unknown
    compute_ms: str


class CommitteeAssigned(TypedEvent, tag="committee_assigned", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider"})

    job_id: str
    provider: str
    beacon: str  # hex: with the result root and a member's address, its challenge seed
    rounds: str
    members: str  # operator account addresses, comma-separated, in draw order
    powers: str  # their powers, in the same order
    attest_deadline_height: str
    window_end_height: str


class Attested(TypedEvent, tag="attested", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "member"})

    job_id: str
    member: str
    verdict: str  # valid or fraud
    cr_root: str  # hex


class FraudProven(TypedEvent, tag="fraud_proven", frozen=True):
    """A fraud proof held: the result is wrong, and the provider's collateral is slashed."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider", "prover"})

    job_id: str
    provider: str
    prover: str
    tensor: str
    row: str
    col: str
    slashed: str  # collateral taken, as a coin ("" when there was none)
    to_requester: str
    to_prover: str
    burned: str


class AttestationDisputed(TypedEvent, tag="attestation_disputed", frozen=True):
    """A dispute held: the member's attested C r entry is wrong."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "member", "disputer"})

    job_id: str
    member: str
    disputer: str
    reward: str  # paid to the disputer from the PoUW pool
    # entry_opened (the dispute opened the entry), wrong_answer or no_answer (to a row dispute)
    proven_by: str


class AttesterSlashed(TypedEvent, tag="attester_slashed", frozen=True):
    """A committee member punished for its attestation: ``false_attestation`` (a disputed
    attestation, or a valid verdict on a result proven wrong; jailed) or
    ``missed_attestation`` (none by the attest deadline)."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "member", "reason"})

    job_id: str
    member: str
    reason: str
    burned: str
    jailed: str  # "true" or "false"


class AvailabilityChallenged(TypedEvent, tag="availability_challenged", frozen=True):
    """The provider must post these chunks of the job's output tree by ``deadline_height``."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider", "challenger"})

    job_id: str
    provider: str
    challenger: str
    chunks: str  # leaf indices, comma-separated, ascending
    bond: str
    deadline_height: str


class ChunksPosted(TypedEvent, tag="chunks_posted", frozen=True):
    """The provider answered: the sampled chunks, checked against the output root. The
    challenger's bond went to the provider."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider"})

    job_id: str
    provider: str
    chunks: str  # leaf indices, comma-separated, in the challenge's order
    data: str  # the chunks' bytes, hex, comma-separated in the same order
    bond: str  # paid to the provider


class AvailabilityFailed(TypedEvent, tag="availability_failed", frozen=True):
    """No answer by the deadline: the result counts as wrong, the challenger as its prover."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider", "challenger"})

    job_id: str
    provider: str
    challenger: str
    chunks: str
    slashed: str  # collateral taken, as a coin ("" when there was none)
    to_requester: str
    to_challenger: str
    burned: str
    bond: str  # refunded to the challenger


class JobVerdict(TypedEvent, tag="job_verdict", frozen=True):
    """A job's end: ``valid`` (``paid`` to the provider, ``reward`` from the PoUW pool),
    ``invalid``, ``provider_fault`` or ``unverified`` (``refunded`` to the requester).
    ``reason`` says why an invalid job is invalid: ``fraud_proof`` or ``unavailable``
    (empty for the other verdicts)."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider", "requester", "verdict"})

    job_id: str
    provider: str
    requester: str
    verdict: str
    paid: str
    reward: str
    refunded: str
    reason: str


class DisputeOpened(TypedEvent, tag="dispute_opened", frozen=True):
    """A dispute carrying only a row of C: the member must answer by ``deadline_height`` with
    its entry (``round``, ``row``) of output ``tensor``, which must equal ``expected``."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "member", "disputer"})

    job_id: str
    member: str
    disputer: str
    tensor: str
    round: str
    row: str
    expected: str
    bond: str
    deadline_height: str


class DisputeAnswered(TypedEvent, tag="dispute_answered", frozen=True):
    """The member opened its disputed entry: ``upheld`` "false" when it is right (the bond went
    to the member), "true" when it is wrong (the member is slashed: ``attestation_disputed``)."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "member", "disputer"})

    job_id: str
    member: str
    disputer: str
    value: str  # the entry the member opened
    expected: str
    upheld: str  # "true" or "false"


class DisputeClosed(TypedEvent, tag="dispute_closed", frozen=True):
    """A dispute awaiting its answer ended without one: its job settled (a fraud proof, an
    unanswered availability challenge), or the member was punished for the job otherwise. The
    bond went back to the disputer."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "member", "disputer"})

    job_id: str
    member: str
    disputer: str
    bond: str


class CapacityClaimed(TypedEvent, tag="capacity_claimed", frozen=True):
    """A provider stated (or withdrew, with 0) its capacity claim."""

    indexed: ClassVar[frozenset[str]] = frozenset({"provider"})

    provider: str
    claim: str  # multiply-adds per second
    due_height: str  # its next challenge comes at or after this height


class CapacityChallenged(TypedEvent, tag="capacity_challenged", frozen=True):
    """The chain issued a capacity challenge: job ``job_id``, a seeded GEMM of ``work_units``
    multiply-adds, its result due in a block no later than ``deadline_time_ns`` (header time)."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider"})

    job_id: str
    provider: str
    claim: str
    work_units: str
    deadline_time_ns: str
    deadline_height: str  # the last height for the result at all


class CapacityMeasured(TypedEvent, tag="capacity_measured", frozen=True):
    """A challenge met: ``measured`` (multiply-adds per second, at most the claim) is what
    matching reads until ``expires_height``."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider"})

    job_id: str
    provider: str
    measured: str
    elapsed_ms: str  # block time from the challenge to the result
    expires_height: str


class CapacityFailed(TypedEvent, tag="capacity_failed", frozen=True):
    """A challenge failed: ``reason`` is ``late`` (a valid result after the deadline),
    ``invalid`` (a wrong result) or ``no_result``. The measurement is cleared."""

    indexed: ClassVar[frozenset[str]] = frozenset({"job_id", "provider", "reason"})

    job_id: str
    provider: str
    reason: str
    due_height: str  # the next challenge


class CapacityExpired(TypedEvent, tag="capacity_expired", frozen=True):
    """A measurement reached its expiry: matching reads 0 for the provider from now on."""

    indexed: ClassVar[frozenset[str]] = frozenset({"provider"})

    provider: str
    measured_height: str
