"""compute genesis: export then init round-trips with jobs in every state, and validation
refuses what the handlers could never have written."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.compute import ComputeGenesis
from genesis.schema import GenesisDoc
from gpu.proofs import Attestation, encode_attestation
from tests.vm.compute.helpers import (
    ComputeChain,
    compute_genesis,
    corrupted,
    dispute_msg,
    fraud_msg,
    fraud_proof,
    honest,
    member_cr,
    result_msg,
    submit_msg,
)
from tests.vm.helpers import GENESIS_TIME, committed_values, new_app, raw, with_app_state
from vm.compute.msgs import NO_CR_ROOT, MsgAttest
from vm.compute.types import JobState
from vm.errors import InvalidTx
from vm.modules import default_registry
from vm.store.kv import prefix_end

PREFIX = b"compute/"


def busy_chain() -> ComputeChain:
    """Jobs in every state: valid, unverified, provider_fault, invalid (with and without a
    committee), verifying (attestations open, and closed with a disputed attestation),
    committed and pending; attestations valid, disputed and fraud."""
    chain = ComputeChain()
    work, wrong = honest(), corrupted(honest(), 0, 1, 1)
    chain.block(*(submit_msg(deadline=1 if i == 3 else 40) for i in range(1, 10)))
    chain.block(result_msg(1, work), result_msg(2, work), result_msg(4, wrong), result_msg(5, wrong))
    chain.block(fraud_msg(5, wrong, 0, 1, 1))  # 5: invalid before its committee; 3: fault
    chain.block(
        *(chain.attest(1, work, m) for m in chain.members(1)),
        chain.attest(2, work, chain.members(2)[0]),
        chain.attest(4, wrong, chain.members(4)[0]),
    )
    fraud = encode_attestation(Attestation("fraud", 3, wrong.result_root, NO_CR_ROOT))
    chain.block(MsgAttest(chain.members(4)[1].address, 4, fraud, fraud_proof(wrong, 0, 1, 1)))
    chain.blocks(3)  # 1: valid, 2: unverified
    chain.block(result_msg(6, work))
    chain.block()
    member = chain.members(6)[0]
    committee = chain.job(6).committee
    assert committee is not None
    lazy = member_cr(work, raw(member), committee.beacon, wrong_at=(0, 0, 0))
    chain.block(result_msg(7, work), chain.attest(6, work, member, lazy))
    chain.block(dispute_msg(6, work, member, lazy, 0, 0, 0))
    chain.block(result_msg(8, work))  # 6: attestations closed; 7: verifying; 8: committed; 9: pending
    return chain


def compute_values(values: Any) -> dict[bytes, bytes]:
    return dict(values.iterate(PREFIX, prefix_end(PREFIX)))


def test_export_then_init_round_trips_with_jobs_in_every_state() -> None:
    chain = busy_chain()
    states = [chain.job(i).state for i in range(1, 10)]
    assert states == [
        JobState.VALID,
        JobState.UNVERIFIED,
        JobState.PROVIDER_FAULT,
        JobState.INVALID,
        JobState.INVALID,
        JobState.VERIFYING,
        JobState.VERIFYING,
        JobState.COMMITTED,
        JobState.PENDING,
    ]
    committee = chain.job(6).committee
    assert committee is not None and committee.attest_closed
    assert chain.broken() == []
    _, app_state = chain.registry.export_genesis(chain.store)
    exported = msgspec.convert(app_state["compute"], ComputeGenesis)
    assert {a.verdict for a in exported.attestations} == {"valid", "fraud"}
    assert any(a.dispute is not None for a in exported.attestations)
    assert sum(a.punished for a in exported.attestations) == 2
    assert len(exported.provider_stats) == 1
    # Through JSON, as a genesis.json file would carry it, into a new chain.
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME, chain_id="depin-test-1", initial_height=chain.height, app_state=app_state
    )
    imported = new_app(msgspec.json.decode(msgspec.json.encode(doc), type=GenesisDoc))
    imported_values = {k: v for k, v in committed_values(imported).items() if k.startswith(PREFIX)}
    assert imported_values == compute_values(chain.store)
    _, again = imported.registry.export_genesis(imported.state.values)
    assert again["compute"] == app_state["compute"]


@pytest.fixture(scope="module")
def exported() -> ComputeGenesis:
    chain = busy_chain()
    return chain.registry.module("compute").genesis.export(chain.store)  # type: ignore[no-any-return]


def invalid(genesis: ComputeGenesis, match: str) -> None:
    with pytest.raises(InvalidTx, match=match):
        default_registry().module("compute").genesis.validate(genesis)


def job_replaced(genesis: ComputeGenesis, index: int, **fields: Any) -> ComputeGenesis:
    jobs = list(genesis.jobs)
    jobs[index] = msgspec.structs.replace(jobs[index], **fields)
    return msgspec.structs.replace(genesis, jobs=jobs)


def test_invalid_genesis(exported: ComputeGenesis) -> None:
    jobs = exported.jobs
    invalid(msgspec.structs.replace(exported, jobs=[*jobs, jobs[0]]), "duplicate job id")
    invalid(msgspec.structs.replace(exported, last_job_id=3), "above last_job_id")
    invalid(job_replaced(exported, 0, state="done"), "job state must be one of")
    invalid(job_replaced(exported, 0, header="00"), "invalid job header")
    invalid(job_replaced(exported, 8, result=jobs[0].result), "wrong result")
    invalid(job_replaced(exported, 0, committee=None), "lacks its committee")
    invalid(job_replaced(exported, 7, committee=jobs[0].committee), "cannot have a committee")
    invalid(job_replaced(exported, 0, verdict_height=0), "verdict height")
    result = jobs[0].result
    assert result is not None
    unbound = msgspec.structs.replace(result, output_root="11" * 32)
    invalid(job_replaced(exported, 0, result=unbound), "does not bind")
    committee = jobs[0].committee
    assert committee is not None
    doubled = msgspec.structs.replace(committee, members=[*committee.members, committee.members[0]])
    invalid(job_replaced(exported, 0, committee=doubled), "repeat")
    invalid(
        job_replaced(exported, 0, committee=msgspec.structs.replace(committee, total_power=1)), "total_power"
    )
    attestations = exported.attestations
    invalid(
        msgspec.structs.replace(exported, attestations=[*attestations, attestations[0]]),
        "duplicate attestation",
    )
    stray = msgspec.structs.replace(attestations[0], job_id=9)
    invalid(msgspec.structs.replace(exported, attestations=[stray]), "no such job or committee member")
    stats = exported.provider_stats
    invalid(msgspec.structs.replace(exported, provider_stats=[*stats, stats[0]]), "duplicate provider stats")


def test_invalid_genesis_with_a_job_on_no_lease(exported: ComputeGenesis) -> None:
    """Init checks each job's lease through the market, which holds none here."""
    doc = with_app_state(compute_genesis(), compute=exported)
    with pytest.raises(InvalidTx, match="lease 1 does not exist"):
        new_app(doc)
