"""The compute module's records as the state holds them, and the names of their states.

Addresses are 20 raw bytes; a committee member is named by its validator's operator
address (the same bytes as the operator's account). Heights are block heights; amounts
are in the params' denom.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated

import msgspec

from vm.encoding import Canonical
from vm.types import Amount, Uint64

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class JobState(IntEnum):
    PENDING = 1  # waiting for the provider's result, until its deadline
    COMMITTED = 2  # result on chain; its committee is sampled in the next block
    VERIFYING = 3  # the committee attests; disputes and fraud proofs are open
    VALID = 4  # enough of the committee attested valid and no fraud proof landed
    INVALID = 5  # a fraud proof showed the result wrong
    PROVIDER_FAULT = 6  # no result by the deadline
    UNVERIFIED = 7  # the window ended without enough valid attestations: refunded, no blame

    @property
    def is_terminal(self) -> bool:
        return self >= JobState.VALID


class Verdict(IntEnum):
    """A member's attested verdict, numbered as gpu/proofs.py encodes it."""

    VALID = 1
    FRAUD = 2


class Result(Canonical, frozen=True):
    output_root: bytes  # 32 bytes: the root of the provider's output tree
    result_root: bytes  # 32 bytes: gpu.header.result_root(spec_digest, output_root)
    energy_mj: Uint64
    energy_known: bool  # NVML measured it (unknown on CPUs)
    compute_ms: Uint64
    height: Uint64


class Member(Canonical, frozen=True):
    operator: bytes
    power: Uint64  # consensus power when sampled: its weight in the two-thirds


class Committee(Canonical, frozen=True):
    beacon: bytes  # the beacon value when sampled: part of every member's challenge seed
    rounds: Uint64  # Freivalds rounds fixed at sampling; later param changes do not apply
    sampled_height: Uint64
    attest_deadline_height: Uint64  # the last height at which members may attest
    window_end_height: Uint64  # the last height for disputes; the verdict is taken at its end
    members: list[Member]  # in draw order
    total_power: Uint64
    attest_closed: bool  # missed attestations were settled at the attest deadline

    def member(self, operator: bytes) -> Member | None:
        return next((m for m in self.members if m.operator == operator), None)


class Fraud(Canonical, frozen=True):
    """The fraud proof that made a job invalid."""

    prover: bytes
    height: Uint64


class AvailabilityChallenge(Canonical, frozen=True):
    """A challenge to post sampled chunks of a job's outputs (at most one per job)."""

    challenger: bytes  # a committee member's operator account, or the requester
    bond: Amount  # held in the deposits account: to the provider on an answer, else back
    chunks: list[Uint64]  # sampled leaves of the output tree, ascending
    opened_height: Uint64
    deadline_height: Uint64  # the last height at which the provider may post them
    answered_height: Uint64  # 0 while open

    @property
    def is_open(self) -> bool:
        return self.answered_height == 0


class PendingDispute(Canonical, frozen=True):
    """A dispute of a member's valid attestation that carried only row ``row`` of C: the member
    must open entry (round, row) of output ``tensor`` of its C r by ``deadline_height``."""

    member: bytes
    disputer: bytes
    bond: Amount  # held in the deposits account: to the member if its answer holds, else back
    tensor: Uint64
    round: Uint64
    row: Uint64
    expected: Int64  # the row of C times the member's vector: what its entry must be
    opened_height: Uint64
    deadline_height: Uint64  # the last height at which the member may answer


class CapacityTerms(Canonical, frozen=True):
    """What makes a job a capacity challenge (vm/compute/capacity.py): the claim it tests and
    its deadline in block time. Times are header times, nanoseconds since the Unix epoch."""

    claim: Uint64  # multiply-adds per second, as claimed when the challenge was issued
    issued_time_ns: Uint64  # the issuing block's: the measurement starts here
    deadline_time_ns: Uint64  # a result in a block after this time is late
    result_time_ns: Uint64  # the result's block's: the measurement ends here; 0 before


class Job(Canonical, frozen=True):
    id: Uint64
    lease_id: Uint64  # 0 for a capacity challenge: the chain's job, on no lease
    requester: bytes
    provider: bytes
    header: bytes  # canonical MessagePack of the gpu/header.py JobHeader
    spec_digest: bytes  # gpu.header.header_digest of it
    work_units: Uint64  # multiply-adds: what the PoUW pool rewards
    price: Amount  # the deposit the module holds until the verdict
    submitted_height: Uint64
    deadline_height: Uint64  # the last height at which its result may be submitted
    state: int  # JobState
    result: Result | None
    committee: Committee | None
    fraud: Fraud | None
    verdict_height: Uint64  # when it reached its terminal state; 0 before
    availability: AvailabilityChallenge | None = None
    disputes: list[PendingDispute] = msgspec.field(default_factory=list)  # by member, one each
    capacity: CapacityTerms | None = None  # set on a capacity challenge: no lease, no price

    def open_challenge(self) -> AvailabilityChallenge | None:
        """Its availability challenge while it waits for an answer."""
        challenge = self.availability
        return challenge if challenge is not None and challenge.is_open else None

    def pending_dispute(self, member: bytes) -> PendingDispute | None:
        return next((d for d in self.disputes if d.member == member), None)


class Dispute(Canonical, frozen=True):
    """An upheld dispute of a member's attestation."""

    disputer: bytes
    height: Uint64


class AttestationRecord(Canonical, frozen=True):
    """A member's attestation of a job's result (its rounds and result root are the job's,
    checked when it was accepted)."""

    job_id: Uint64
    member: bytes
    verdict: int  # Verdict
    cr_root: bytes  # 32 bytes: the root of its C r vectors (zeros with a fraud verdict)
    height: Uint64
    punished: bool  # slashed for it: disputed, or valid on a result proven wrong
    dispute: Dispute | None

    def counts(self) -> bool:
        """Whether it counts toward the two-thirds: a valid verdict no dispute overturned."""
        return self.verdict == Verdict.VALID and self.dispute is None


class PostedChunks(Canonical, frozen=True):
    """The chunks a provider posted to answer its job's availability challenge."""

    job_id: Uint64
    answered_height: Uint64
    chunks: list[Uint64]  # the challenge's leaves, in its order
    data: list[bytes]  # each chunk's bytes, in the same order


class ProviderStats(Canonical, frozen=True):
    provider: bytes
    verified_jobs: Uint64
    verified_work_units: Uint64  # saturates at 2^63 - 1
    energy_mj: Uint64  # of the verified jobs whose energy was known; saturates
    energy_jobs: Uint64  # verified jobs whose energy was known


class CapacityRecord(Canonical, frozen=True):
    """A provider's capacity claim and where its challenges stand. The measurement itself is
    the provider module's ``measured_capacity``, which matching reads."""

    provider: bytes
    claim: Uint64  # multiply-adds per second; 0: withdrawn, no further challenges
    due_height: Uint64  # its next challenge comes at or after this height
    open_job: Uint64  # the challenge awaiting its verdict; 0 if none
    measured_height: Uint64  # when the measurement in force was recorded; 0 if none
    expires_height: Uint64  # the last height the measurement counts; 0 if none
    passed: Uint64  # challenges met
    failed: Uint64  # challenges failed: late, wrong, or no result

    @property
    def is_due_queued(self) -> bool:
        """Whether it waits in the due queue: a claim, and no challenge open."""
        return self.claim > 0 and self.open_job == 0
