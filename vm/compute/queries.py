"""compute queries: the module paths ``/compute/<name>`` (JSON in, JSON out), which JSON-RPC's
app queries serve.

Lists are in id order, ``limit`` (default and most 100) per page; ``next_key`` (an id, as
text) resumes where a page stopped. A filtered list reads at most ``MAX_SCAN`` records per
page, so a page may come back short with a ``next_key``.

The summary reads the tallies the store keeps, never the jobs. Counts are JSON integers, as
every other number here; the verified work units, a sum with no bound, are decimal text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import msgspec

from gpu.header import JobHeader
from vm.compute.genesis import (
    JOB_STATES,
    export_totals,
    to_attestation_json,
    to_job_json,
    to_pending_json,
    to_stats_json,
)
from vm.compute.handlers import job_kind, stored_header
from vm.compute.keeper import ComputeKeeper
from vm.compute.types import AttestationRecord, Job, JobState, ProviderStats
from vm.errors import InvalidRequest, NotFound
from vm.query_args import limit_arg, text_arg
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address

MAX_SCAN = 10_000
T = TypeVar("T")


# -- arguments ------------------------------------------------------------------------------------


def id_arg(request: dict[str, Any], name: str) -> int:
    value = request.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 2**63:
        raise InvalidRequest(f"query needs a positive integer {name!r}")
    return value


def optional_id_arg(request: dict[str, Any], name: str) -> int:
    return id_arg(request, name) if request.get(name) is not None else 0


def start_arg(request: dict[str, Any]) -> int:
    text = text_arg(request, "next_key", "")
    if text and not (text.isascii() and text.isdigit()):
        raise InvalidRequest("next_key must be an id as a decimal string")
    return int(text) if text else 0


def state_arg(request: dict[str, Any]) -> JobState | None:
    name = text_arg(request, "state", "")
    if not name:
        return None
    if name not in JOB_STATES:
        raise InvalidRequest(f"state must be one of {sorted(JOB_STATES)}")
    return JOB_STATES[name]


# -- answers --------------------------------------------------------------------------------------


def job_json(job: Job) -> Any:
    """A job as genesis writes it, with what its header gives: kind, spec (the header's fields),
    spec digest, work units."""
    answer: dict[str, Any] = msgspec.to_builtins(to_job_json(job))
    header = stored_header(job)
    answer.update(
        kind=job_kind(header),
        spec=spec_json(header),
        spec_digest=job.spec_digest.hex(),
        work_units=job.work_units,
    )
    return answer


def spec_json(header: JobHeader) -> dict[str, Any]:
    """A header's fields with its kind, the roots of supplied tensors in hex (null: seeded)."""
    fields: dict[str, Any] = msgspec.to_builtins(header, builtin_types=(bytes,))
    return {name: _hex(value) for name, value in fields.items()}


def _hex(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_hex(item) for item in value]
    return value


def query_job(keeper: ComputeKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    return {"job": job_json(found_job(keeper, store, id_arg(request, "id")))}


def query_jobs(keeper: ComputeKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Jobs, filtered by ``lease_id``, ``provider``, ``requester`` and ``state``."""
    start, limit = start_arg(request), limit_arg(request)
    lease_id = optional_id_arg(request, "lease_id")
    provider = text_arg(request, "provider", "")
    requester = text_arg(request, "requester", "")
    state = state_arg(request)
    wanted = JobFilter(
        lease_id,
        parse_address(provider, "provider") if provider else None,
        parse_address(requester, "requester") if requester else None,
        state,
    )
    found, next_key = _page(filtered_jobs(keeper, store, wanted, start), wanted.keep, limit)
    return {"jobs": [job_json(job) for job in found], "next_key": next_key}


def query_attestations(keeper: ComputeKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A job's attestations, each with the dispute of it awaiting the member's answer (or null)."""
    job = found_job(keeper, store, id_arg(request, "job_id"))
    records = keeper.attestations_of(store, job.id)
    return {"attestations": [attestation_json(job, record) for record in records]}


def attestation_json(job: Job, record: AttestationRecord) -> Any:
    answer: dict[str, Any] = msgspec.to_builtins(to_attestation_json(record))
    pending = job.pending_dispute(record.member)
    answer["pending_dispute"] = None if pending is None else msgspec.to_builtins(to_pending_json(pending))
    return answer


def query_verdict(keeper: ComputeKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Where a job's verification stands: its state, whether that is final, the power of the
    valid attestations that count against the committee's, and any fraud proof."""
    job = found_job(keeper, store, id_arg(request, "job_id"))
    state = JobState(job.state)
    fraud = job.fraud
    return {
        "job_id": job.id,
        "state": state.name.lower(),
        "final": state.is_terminal,
        "valid_power": keeper.valid_power(store, job),
        "total_power": 0 if job.committee is None else job.committee.total_power,
        "fraud": None
        if fraud is None
        else {"prover": format_address(Address(fraud.prover)), "height": fraud.height},
        "verdict_height": job.verdict_height,
    }


def query_provider_stats(keeper: ComputeKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A provider's verified jobs, work units and known energy (zeros before any)."""
    provider = parse_address(text_arg(request, "provider"), "provider")
    stats = keeper.get_stats(store, provider) or ProviderStats(provider, 0, 0, 0, 0)
    return {"stats": msgspec.to_builtins(to_stats_json(stats))}


def query_posted_chunks(keeper: ComputeKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """The chunks the job's provider posted to answer its availability challenge, in the
    challenge's order (none, answered at height 0, while no answer was posted)."""
    job = found_job(keeper, store, id_arg(request, "job_id"))
    posted = keeper.get_posted_chunks(store, job.id)
    if posted is None:
        return {"job_id": job.id, "answered_height": 0, "chunks": []}
    pairs = zip(posted.chunks, posted.data, strict=True)
    chunks = [{"index": index, "data": data.hex()} for index, data in pairs]
    return {"job_id": job.id, "answered_height": posted.answered_height, "chunks": chunks}


def query_summary(keeper: ComputeKeeper, store: ReadStore, _: dict[str, Any]) -> Any:
    """Jobs by state, the work units of the valid jobs on leases, and the totals genesis
    carries: fraud proofs, disputes by outcome, availability challenges, providers' collateral
    slashes by reason (``/slashing/summary`` counts the validators', members' included)."""
    counts = keeper.job_counts(store)
    answer: dict[str, Any] = {
        "jobs": {name: counts.get(int(state), 0) for name, state in JOB_STATES.items()},
        "work_units_verified": str(keeper.work_units_verified(store)),
    }
    answer.update(msgspec.to_builtins(export_totals(keeper, store)))
    return answer


# -- lists ----------------------------------------------------------------------------------------


class JobFilter(msgspec.Struct, frozen=True):
    lease_id: int  # 0: any
    provider: bytes | None
    requester: bytes | None
    state: int | None

    def keep(self, job: Job) -> bool:
        return (
            (not self.lease_id or job.lease_id == self.lease_id)
            and (self.provider is None or job.provider == self.provider)
            and (self.requester is None or job.requester == self.requester)
            and (self.state is None or job.state == self.state)
        )


def filtered_jobs(keeper: ComputeKeeper, store: ReadStore, wanted: JobFilter, start: int) -> Iterator[Job]:
    """Jobs from id ``start`` on, read through the narrowest index the filter allows."""
    if wanted.lease_id:
        ids = keeper.job_ids_of_lease(store, wanted.lease_id, start)
    elif wanted.provider is not None:
        ids = keeper.job_ids_of_provider(store, wanted.provider, start)
    elif wanted.requester is not None:
        ids = keeper.job_ids_of_requester(store, wanted.requester, start)
    else:
        return keeper.iterate_jobs(store, start)
    return (job for job in (keeper.get_job(store, i) for i in ids) if job is not None)


def found_job(keeper: ComputeKeeper, store: ReadStore, job_id: int) -> Job:
    job = keeper.get_job(store, job_id)
    if job is None:
        raise NotFound("job not found")
    return job


def _page(jobs: Iterator[Job], keep: Callable[[Job], bool], limit: int) -> tuple[list[Job], str | None]:
    """Up to ``limit`` kept jobs, reading at most ``MAX_SCAN``; the id to resume from."""
    found: list[Job] = []
    for scanned, job in enumerate(jobs):
        if len(found) == limit or scanned == MAX_SCAN:
            return found, str(job.id)
        if keep(job):
            found.append(job)
    return found, None
