"""Compute state under ``compute/``: the records, their indexes and the queues, each read and
written here only.

Keys (inside the module's prefix; ids are 8 bytes big-endian, addresses 20 raw bytes):

    params                              ComputeParams
    seq/job                             the last job id given (8 bytes)
    j/<id>                              Job
    jl/<lease><id>                      index: a lease's jobs (capacity challenges are on none)
    jp/<provider><id>                   index: a provider's jobs
    jr/<requester><id>                  index: a requester's jobs
    open/<lease>                        the lease's jobs not yet settled (8 bytes)
    openp/<provider><id>                index: a provider's jobs not yet settled
    a/<id><member>                      AttestationRecord
    stats/<provider>                    ProviderStats
    chunks/<id>                         PostedChunks: the answer to the job's availability challenge
    cap/<provider>                      CapacityRecord: a provider's capacity claim and measurement
    q/assign/<height><id>               committed results, by the block that samples their committee
    q/deadline/<height><id>             pending jobs, by their deadline
    q/attest/<height><id>               verifying jobs, by their attest deadline
    q/window/<height><id>               verifying jobs, by the height their verdict is due
    q/avail/<height><id>                open availability challenges, by their deadline
    q/dispute/<height><id>              jobs with disputes awaiting an answer, by each deadline
    q/capdue/<height><provider>         providers due a capacity challenge, by the height they are due
    q/capexp/<height><provider>         capacity measurements, by the last height they count
    tally/job/<state>                   how many jobs are in the state (its number, 1 byte)
    tally/work                          work units of the valid jobs on leases (big-endian,
                                          as long as the sum needs)
    tally/fraud                         fraud proofs that held
    tally/avail                         availability challenges opened
    tally/dispute/<outcome>             attestation disputes by outcome (``DisputeOutcome``)
    tally/slash/<reason>                providers' collateral slashes, by their verdict's reason

Every index and queue is derived from the jobs (genesis rebuilds them that way), the two
capacity queues from the capacity records, and so are the job and work-unit tallies, kept by
``set_job``; the other tallies count events no record keeps, and genesis carries them.
Counts are 8 bytes big-endian, deleted at zero; index values are a single ``0x01``: state
never holds empty values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, get_args

from genesis.compute import ComputeParams
from vm.compute.errors import JobNotFound
from vm.compute.expected import BankKeeper, MarketKeeper, ProviderKeeper, SlashingKeeper, StakingKeeper
from vm.compute.params import Params, parse_params
from vm.compute.types import AttestationRecord, CapacityRecord, Job, JobState, PostedChunks, ProviderStats
from vm.encoding import decode, encode
from vm.module import ModuleParams
from vm.queue import DueQueue
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView

DEPOSITS = "compute"  # the module account holding job deposits (and slashed collateral, in passing)
REWARD_POOL = "pouw_rewards"  # vm/mint's PoUW reward pool, which pays verified work and disputes

SEQ_JOB = b"seq/job"
JOB = b"j/"
JOB_BY_LEASE = b"jl/"
JOB_BY_PROVIDER = b"jp/"
JOB_BY_REQUESTER = b"jr/"
OPEN_BY_LEASE = b"open/"
OPEN_BY_PROVIDER = b"openp/"
ATTESTATION = b"a/"
STATS = b"stats/"
POSTED_CHUNKS = b"chunks/"
CAPACITY = b"cap/"
TALLY = b"tally/"
JOB_TALLY = TALLY + b"job/"
WORK_TALLY = TALLY + b"work"
FRAUD_PROOFS = b"fraud"  # the names of the tallies kept by ``add_tally``
AVAILABILITY_CHALLENGES = b"avail"

# How an attestation dispute went: a row dispute opened (it waits for the member's answer); a
# dispute upheld (one-shot, a wrong answer or none); a row dispute refuted by the member's
# answer; a row dispute closed unanswered, its bond back, when the job settled otherwise.
DisputeOutcome = Literal["opened", "upheld", "refuted", "closed"]
DISPUTE_OUTCOMES: tuple[DisputeOutcome, ...] = get_args(DisputeOutcome)

PRESENT = b"\x01"
ID_SIZE = 8
ADDRESS_SIZE = 20


def id_bytes(value: int) -> bytes:
    return value.to_bytes(ID_SIZE, "big")


def dispute_tally(outcome: DisputeOutcome) -> bytes:
    return b"dispute/" + outcome.encode()


def slash_tally(reason: str) -> bytes:
    return b"slash/" + reason.encode()


class ComputeStore:
    def __init__(
        self,
        prefix: bytes,
        params: ModuleParams[ComputeParams],
        bank: BankKeeper,
        market: MarketKeeper,
        providers: ProviderKeeper,
        staking: StakingKeeper,
        slashing: SlashingKeeper,
    ) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.bank = bank
        self.market = market
        self.providers = providers
        self.staking = staking
        self.slashing = slashing
        self.assign_queue = DueQueue(prefix + b"q/assign/")  # due: height; items: job ids
        self.deadline_queue = DueQueue(prefix + b"q/deadline/")
        self.attest_queue = DueQueue(prefix + b"q/attest/")
        self.window_queue = DueQueue(prefix + b"q/window/")
        self.availability_queue = DueQueue(prefix + b"q/avail/")
        self.dispute_queue = DueQueue(prefix + b"q/dispute/")
        self.capacity_due_queue = DueQueue(prefix + b"q/capdue/")  # items: provider addresses
        self.capacity_expiry_queue = DueQueue(prefix + b"q/capexp/")

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def get_params(self, store: ReadStore) -> Params:
        """The params with their fractions as ``Dec`` atomics."""
        return parse_params(self.params.get(store))

    # -- ids -----------------------------------------------------------------------------------

    def last_job_id(self, store: ReadStore) -> int:
        raw = self._kv(store).get(SEQ_JOB)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_last_job_id(self, store: Store, value: int) -> None:
        if value:
            self._kv(store).set(SEQ_JOB, id_bytes(value))

    def next_job_id(self, store: Store) -> int:
        value = self.last_job_id(store) + 1
        self.set_last_job_id(store, value)
        return value

    # -- jobs ------------------------------------------------------------------------------------

    def get_job(self, store: ReadStore, job_id: int) -> Job | None:
        raw = self._kv(store).get(JOB + id_bytes(job_id))
        return None if raw is None else decode(raw, Job)

    def job(self, store: ReadStore, job_id: int) -> Job:
        found = self.get_job(store, job_id)
        if found is None:
            raise JobNotFound(f"job {job_id}")
        return found

    def set_job(self, store: Store, job: Job) -> None:
        """Write a job and keep its indexes: the party indexes, the open-job count of its
        lease and index of its provider while it is not settled, and the tallies of jobs by
        state and of verified work."""
        kv = self._kv(store)
        item = id_bytes(job.id)
        old = self.get_job(store, job.id)
        kv.set(JOB + item, encode(job))
        if old is None:
            if job.lease_id:
                kv.set(JOB_BY_LEASE + id_bytes(job.lease_id) + item, PRESENT)
            kv.set(JOB_BY_PROVIDER + job.provider + item, PRESENT)
            kv.set(JOB_BY_REQUESTER + job.requester + item, PRESENT)
        was_open = old is not None and not JobState(old.state).is_terminal
        is_open = not JobState(job.state).is_terminal
        if is_open != was_open:
            self._add_open(kv, job, 1 if is_open else -1)
        if old is None or old.state != job.state:
            self._retally(kv, old, job)

    def _retally(self, kv: PrefixStore, old: Job | None, new: Job) -> None:
        """A job enters its state (from ``old``'s); a valid job on a lease adds its work units
        (a capacity challenge counts no work, as in its provider's totals)."""
        if old is not None:
            _add_count(kv, JOB_TALLY + bytes([old.state]), -1)
        _add_count(kv, JOB_TALLY + bytes([new.state]), 1)
        if new.state == JobState.VALID and new.capacity is None and new.work_units:
            total = _count(kv, WORK_TALLY) + new.work_units
            kv.set(WORK_TALLY, total.to_bytes((total.bit_length() + 7) // 8, "big"))

    def _add_open(self, kv: PrefixStore, job: Job, delta: int) -> None:
        if job.lease_id:  # a capacity challenge counts against no lease
            _add_count(kv, OPEN_BY_LEASE + id_bytes(job.lease_id), delta)
        if delta > 0:
            kv.set(OPEN_BY_PROVIDER + job.provider + id_bytes(job.id), PRESENT)
        else:
            kv.delete(OPEN_BY_PROVIDER + job.provider + id_bytes(job.id))

    def open_jobs_of_lease(self, store: ReadStore, lease_id: int) -> int:
        """How many of a lease's jobs are not settled yet."""
        return _count(self._kv(store), OPEN_BY_LEASE + id_bytes(lease_id))

    def has_open_jobs(self, store: ReadStore, provider: bytes) -> bool:
        first = OPEN_BY_PROVIDER + provider
        return next(self._kv(store).iterate(first, prefix_end(first)), None) is not None

    def iterate_jobs(self, store: ReadStore, start: int = 0) -> Iterator[Job]:
        """Every job in id order, from id ``start`` on."""
        for _, raw in self._kv(store).iterate(JOB + id_bytes(start), prefix_end(JOB)):
            yield decode(raw, Job)

    def job_ids_of_lease(self, store: ReadStore, lease_id: int, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, JOB_BY_LEASE + id_bytes(lease_id), start)

    def job_ids_of_provider(self, store: ReadStore, provider: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, JOB_BY_PROVIDER + provider, start)

    def job_ids_of_requester(self, store: ReadStore, requester: bytes, start: int = 0) -> Iterator[int]:
        yield from self._ids(store, JOB_BY_REQUESTER + requester, start)

    def iterate_open_counts(self, store: ReadStore) -> Iterator[tuple[int, int]]:
        """(lease id, open jobs) of every lease with jobs not settled (for invariants)."""
        for key, raw in self._kv(store).iterate(OPEN_BY_LEASE, prefix_end(OPEN_BY_LEASE)):
            yield int.from_bytes(key[len(OPEN_BY_LEASE) :], "big"), int.from_bytes(raw, "big")

    def iterate_open_by_provider(self, store: ReadStore) -> Iterator[tuple[bytes, int]]:
        """(provider, job id) of every job not settled (for invariants)."""
        for key, _ in self._kv(store).iterate(OPEN_BY_PROVIDER, prefix_end(OPEN_BY_PROVIDER)):
            rest = key[len(OPEN_BY_PROVIDER) :]
            yield rest[:ADDRESS_SIZE], int.from_bytes(rest[ADDRESS_SIZE:], "big")

    # -- attestations --------------------------------------------------------------------------

    def get_attestation(self, store: ReadStore, job_id: int, member: bytes) -> AttestationRecord | None:
        raw = self._kv(store).get(ATTESTATION + id_bytes(job_id) + member)
        return None if raw is None else decode(raw, AttestationRecord)

    def set_attestation(self, store: Store, record: AttestationRecord) -> None:
        self._kv(store).set(ATTESTATION + id_bytes(record.job_id) + record.member, encode(record))

    def attestations_of(self, store: ReadStore, job_id: int) -> Iterator[AttestationRecord]:
        """A job's attestations in member address order (at most its committee's size)."""
        first = ATTESTATION + id_bytes(job_id)
        for _, raw in self._kv(store).iterate(first, prefix_end(first)):
            yield decode(raw, AttestationRecord)

    def iterate_attestations(self, store: ReadStore) -> Iterator[AttestationRecord]:
        for _, raw in self._kv(store).iterate(ATTESTATION, prefix_end(ATTESTATION)):
            yield decode(raw, AttestationRecord)

    # -- provider totals -------------------------------------------------------------------------

    def get_stats(self, store: ReadStore, provider: bytes) -> ProviderStats | None:
        raw = self._kv(store).get(STATS + provider)
        return None if raw is None else decode(raw, ProviderStats)

    def set_stats(self, store: Store, stats: ProviderStats) -> None:
        self._kv(store).set(STATS + stats.provider, encode(stats))

    def iterate_stats(self, store: ReadStore) -> Iterator[ProviderStats]:
        for _, raw in self._kv(store).iterate(STATS, prefix_end(STATS)):
            yield decode(raw, ProviderStats)

    # -- posted chunks ---------------------------------------------------------------------------

    def get_posted_chunks(self, store: ReadStore, job_id: int) -> PostedChunks | None:
        raw = self._kv(store).get(POSTED_CHUNKS + id_bytes(job_id))
        return None if raw is None else decode(raw, PostedChunks)

    def set_posted_chunks(self, store: Store, posted: PostedChunks) -> None:
        self._kv(store).set(POSTED_CHUNKS + id_bytes(posted.job_id), encode(posted))

    def iterate_posted_chunks(self, store: ReadStore) -> Iterator[PostedChunks]:
        for _, raw in self._kv(store).iterate(POSTED_CHUNKS, prefix_end(POSTED_CHUNKS)):
            yield decode(raw, PostedChunks)

    # -- capacity records ------------------------------------------------------------------------

    def get_capacity(self, store: ReadStore, provider: bytes) -> CapacityRecord | None:
        raw = self._kv(store).get(CAPACITY + provider)
        return None if raw is None else decode(raw, CapacityRecord)

    def set_capacity(self, store: Store, record: CapacityRecord) -> None:
        self._kv(store).set(CAPACITY + record.provider, encode(record))

    def iterate_capacities(self, store: ReadStore) -> Iterator[CapacityRecord]:
        for _, raw in self._kv(store).iterate(CAPACITY, prefix_end(CAPACITY)):
            yield decode(raw, CapacityRecord)

    # -- tallies ---------------------------------------------------------------------------------

    def job_counts(self, store: ReadStore) -> dict[int, int]:
        """How many jobs are in each state; a state none is in is left out."""
        found = self._kv(store).iterate(JOB_TALLY, prefix_end(JOB_TALLY))
        return {key[len(JOB_TALLY)]: int.from_bytes(raw, "big") for key, raw in found}

    def work_units_verified(self, store: ReadStore) -> int:
        return _count(self._kv(store), WORK_TALLY)

    def get_tally(self, store: ReadStore, name: bytes) -> int:
        return _count(self._kv(store), TALLY + name)

    def add_tally(self, store: Store, name: bytes) -> None:
        """Count one more of ``name``: ``FRAUD_PROOFS``, ``AVAILABILITY_CHALLENGES``, a
        ``dispute_tally`` or a ``slash_tally``."""
        kv = self._kv(store)
        kv.set(TALLY + name, id_bytes(_count(kv, TALLY + name) + 1))

    def set_tally(self, store: Store, name: bytes, value: int) -> None:
        """A tally as genesis carries it (none at zero)."""
        if value:
            self._kv(store).set(TALLY + name, id_bytes(value))

    # -- helpers ---------------------------------------------------------------------------------

    def _ids(self, store: ReadStore, first: bytes, start: int) -> Iterator[int]:
        for key, _ in self._kv(store).iterate(first + id_bytes(start), prefix_end(first)):
            yield int.from_bytes(key[len(first) :], "big")


def _count(kv: PrefixStore, key: bytes) -> int:
    raw = kv.get(key)
    return 0 if raw is None else int.from_bytes(raw, "big")


def _add_count(kv: PrefixStore, key: bytes, delta: int) -> None:
    """Add ``delta`` to an 8-byte count; a count at zero is deleted."""
    count = _count(kv, key) + delta
    if count < 0:
        raise ValueError(f"count {key!r} would go below zero")
    if count:
        kv.set(key, id_bytes(count))
    else:
        kv.delete(key)
