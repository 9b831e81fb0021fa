"""The ``depind.compute.v1.Query`` gRPC services (abci_query paths
``/depind.compute.v1.Query/<Method>``): protobuf in, protobuf out, the same answers as the
JSON queries (queries.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from protos.depind.compute.v1 import compute_pb2 as pb
from protos.depind.compute.v1 import query_pb2 as query
from vm.compute.capacity import capacity_service, terms_pb
from vm.compute.handlers import job_kind, stored_header
from vm.compute.keeper import ComputeKeeper
from vm.compute.params import FRACTIONS
from vm.compute.queries import JobFilter, filtered_jobs, found_job
from vm.compute.store import id_bytes
from vm.compute.types import (
    AttestationRecord,
    AvailabilityChallenge,
    Committee,
    Job,
    JobState,
    PendingDispute,
    ProviderStats,
    Result,
    Verdict,
)
from vm.errors import InvalidRequest
from vm.module import Service
from vm.pagination import paginate
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address

QUERY = "/depind.compute.v1.Query/"
ID_BYTES = 8


# -- records as protobuf ----------------------------------------------------------------------


def _address(value: bytes) -> str:
    return format_address(Address(value))


def result_pb(result: Result) -> pb.Result:
    return pb.Result(
        output_root=result.output_root,
        result_root=result.result_root,
        energy_mj=result.energy_mj,
        energy_known=result.energy_known,
        compute_ms=result.compute_ms,
        height=result.height,
    )


def committee_pb(committee: Committee) -> pb.Committee:
    return pb.Committee(
        beacon=committee.beacon,
        rounds=committee.rounds,
        sampled_height=committee.sampled_height,
        attest_deadline_height=committee.attest_deadline_height,
        window_end_height=committee.window_end_height,
        members=[pb.CommitteeMember(operator=_address(m.operator), power=m.power) for m in committee.members],
        total_power=committee.total_power,
        attest_closed=committee.attest_closed,
    )


def job_pb(job: Job) -> pb.Job:
    return pb.Job(
        id=job.id,
        lease_id=job.lease_id,
        requester=_address(job.requester),
        provider=_address(job.provider),
        header=job.header,
        spec_digest=job.spec_digest,
        work_units=job.work_units,
        kind=job_kind(stored_header(job)),
        price=job.price,
        submitted_height=job.submitted_height,
        deadline_height=job.deadline_height,
        state=pb.JobState.Name(job.state),  # JobState and the enum share their numbers
        result=None if job.result is None else result_pb(job.result),
        committee=None if job.committee is None else committee_pb(job.committee),
        fraud=None
        if job.fraud is None
        else pb.Fraud(prover=_address(job.fraud.prover), height=job.fraud.height),
        verdict_height=job.verdict_height,
        availability=None if job.availability is None else challenge_pb(job.availability),
        disputes=[pending_dispute_pb(pending) for pending in job.disputes],
        capacity=None if job.capacity is None else terms_pb(job.capacity),
    )


def challenge_pb(challenge: AvailabilityChallenge) -> pb.AvailabilityChallenge:
    return pb.AvailabilityChallenge(
        challenger=_address(challenge.challenger),
        bond=challenge.bond,
        chunks=challenge.chunks,
        opened_height=challenge.opened_height,
        deadline_height=challenge.deadline_height,
        answered_height=challenge.answered_height,
    )


def pending_dispute_pb(pending: PendingDispute) -> pb.PendingDispute:
    return pb.PendingDispute(
        member=_address(pending.member),
        disputer=_address(pending.disputer),
        bond=pending.bond,
        tensor=pending.tensor,
        round=pending.round,
        row=pending.row,
        expected=pending.expected,
        opened_height=pending.opened_height,
        deadline_height=pending.deadline_height,
    )


def attestation_pb(record: AttestationRecord, pending: PendingDispute | None = None) -> pb.Attestation:
    dispute = record.dispute
    return pb.Attestation(
        job_id=record.job_id,
        member=_address(record.member),
        verdict=Verdict(record.verdict).name.lower(),
        cr_root=record.cr_root,
        height=record.height,
        punished=record.punished,
        dispute=None
        if dispute is None
        else pb.Dispute(disputer=_address(dispute.disputer), height=dispute.height),
        pending_dispute=None if pending is None else pending_dispute_pb(pending),
    )


def stats_pb(stats: ProviderStats) -> pb.ProviderStats:
    return pb.ProviderStats(
        provider=_address(stats.provider),
        verified_jobs=stats.verified_jobs,
        verified_work_units=stats.verified_work_units,
        energy_mj=stats.energy_mj,
        energy_jobs=stats.energy_jobs,
    )


# -- methods -----------------------------------------------------------------------------------


def job(keeper: ComputeKeeper, store: ReadStore, request: Any) -> query.QueryJobResponse:
    return query.QueryJobResponse(job=job_pb(found_job(keeper, store, request.id)))


def jobs(keeper: ComputeKeeper, store: ReadStore, request: Any) -> query.QueryJobsResponse:
    wanted = JobFilter(
        request.lease_id,
        parse_address(request.provider, "provider") if request.provider else None,
        parse_address(request.requester, "requester") if request.requester else None,
        request.state or None,
    )

    def entries(key: bytes) -> Iterator[tuple[bytes, Job]]:
        for found in filtered_jobs(keeper, store, wanted, _start(key)):
            if wanted.keep(found):
                yield id_bytes(found.id), found

    found, page = paginate(entries, request.pagination)
    return query.QueryJobsResponse(jobs=[job_pb(j) for j in found], pagination=page)


def attestations(keeper: ComputeKeeper, store: ReadStore, request: Any) -> query.QueryAttestationsResponse:
    found = found_job(keeper, store, request.job_id)
    records = keeper.attestations_of(store, found.id)
    return query.QueryAttestationsResponse(
        attestations=[attestation_pb(r, found.pending_dispute(r.member)) for r in records]
    )


def verdict(keeper: ComputeKeeper, store: ReadStore, request: Any) -> query.QueryVerdictResponse:
    found = found_job(keeper, store, request.job_id)
    fraud = found.fraud
    return query.QueryVerdictResponse(
        job_id=found.id,
        state=pb.JobState.Name(found.state),
        final=JobState(found.state).is_terminal,
        valid_power=keeper.valid_power(store, found),
        total_power=0 if found.committee is None else found.committee.total_power,
        fraud=None if fraud is None else pb.Fraud(prover=_address(fraud.prover), height=fraud.height),
        verdict_height=found.verdict_height,
    )


def provider_stats(keeper: ComputeKeeper, store: ReadStore, request: Any) -> query.QueryProviderStatsResponse:
    provider = parse_address(request.provider, "provider")
    stats = keeper.get_stats(store, provider) or ProviderStats(provider, 0, 0, 0, 0)
    return query.QueryProviderStatsResponse(stats=stats_pb(stats))


def posted_chunks(keeper: ComputeKeeper, store: ReadStore, request: Any) -> query.QueryPostedChunksResponse:
    found = found_job(keeper, store, request.job_id)
    posted = keeper.get_posted_chunks(store, found.id)
    if posted is None:
        return query.QueryPostedChunksResponse(job_id=found.id)
    chunks = [pb.PostedChunk(index=i, data=d) for i, d in zip(posted.chunks, posted.data, strict=True)]
    return query.QueryPostedChunksResponse(
        job_id=found.id, answered_height=posted.answered_height, chunks=chunks
    )


def params(keeper: ComputeKeeper, store: ReadStore, _: Any) -> query.QueryParamsResponse:
    """Fractions as Cosmos's protobuf carries a LegacyDec: the integer text of its atomics."""
    value = keeper.get_params(store)
    fields = {name: getattr(value, name) for name in value.__struct_fields__}
    for name in FRACTIONS:
        fields[name] = str(fields[name])
    return query.QueryParamsResponse(params=pb.Params(**fields))


def services(keeper: ComputeKeeper) -> dict[str, Service]:
    def service(request: Any, answer: Callable[[ComputeKeeper, ReadStore, Any], Any]) -> Service:
        return Service(request, partial(answer, keeper))

    return {
        QUERY + "Job": service(query.QueryJobRequest, job),
        QUERY + "Jobs": service(query.QueryJobsRequest, jobs),
        QUERY + "Attestations": service(query.QueryAttestationsRequest, attestations),
        QUERY + "Verdict": service(query.QueryVerdictRequest, verdict),
        QUERY + "ProviderStats": service(query.QueryProviderStatsRequest, provider_stats),
        QUERY + "Params": service(query.QueryParamsRequest, params),
        QUERY + "PostedChunks": service(query.QueryPostedChunksRequest, posted_chunks),
        QUERY + "Capacity": service(query.QueryCapacityRequest, capacity_service),
    }


def _start(key: bytes) -> int:
    """A page key is the 8-byte id of the record to start at."""
    if key and len(key) != ID_BYTES:
        raise InvalidRequest(f"pagination key must be an {ID_BYTES}-byte id, got {len(key)} bytes")
    return int.from_bytes(key, "big") if key else 0
