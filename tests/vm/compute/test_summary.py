"""The compute module's tallies and ``/compute/summary``: jobs by state and the verified work
units, kept by ``set_job`` and rebuilt from the jobs at genesis; fraud proofs, attestation
disputes by outcome, availability challenges and providers' collateral slashes by reason,
which genesis carries. A member slashed for its attestation is a validator slash, counted
once, by ``/slashing/summary`` alone. The ``jobs-tallied`` invariant recounts what the jobs
give."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.compute import ComputeGenesis, ComputeTotalsJSON, DisputeTotalsJSON, ProviderSlashesJSON
from genesis.schema import GenesisDoc
from gpu.header import work_units
from gpu.jobs import job_header
from tests.vm.compute.helpers import (
    GEMM,
    PARAMS,
    VALIDATORS,
    ComputeChain,
    Work,
    answer_msg,
    corrupted,
    dispute_msg,
    fraud_msg,
    honest,
    member_cr,
    result_msg,
    row_dispute_msg,
    submit_msg,
)
from tests.vm.helpers import GENESIS_TIME, committed_values, new_app, raw
from vm.compute.msgs import MsgChallengeAvailability
from vm.compute.types import JobState
from vm.store.kv import prefix_end

PREFIX = b"compute/"
WRONG_AT = (0, 1, 4)  # tensor, round, row of the lazy member's one wrong entry


def ask(chain: ComputeChain, module: str = "compute") -> Any:
    return chain.registry.query(f"/{module}/summary", chain.store, {})


def jobs(**states: int) -> dict[str, int]:
    return {state.name.lower(): states.get(state.name.lower(), 0) for state in JobState}


def summary(jobs_: dict[str, int], work: int = 0, totals: ComputeTotalsJSON | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"jobs": jobs_, "work_units_verified": str(work)}
    answer.update(msgspec.to_builtins(totals or ComputeTotalsJSON()))
    return answer


def verifying(chain: ComputeChain, work: Work) -> int:
    """A job whose committee was just sampled, with ``work`` as its result."""
    job_id = chain.submit(work.spec)
    chain.block(result_msg(job_id, work))
    chain.block()
    return job_id


def test_jobs_by_state_and_the_work_verified() -> None:
    chain = ComputeChain()
    work = honest()
    assert ask(chain) == summary(jobs())
    chain.block(submit_msg(), submit_msg(), submit_msg(deadline=1))
    assert ask(chain)["jobs"] == jobs(pending=3)
    chain.block(result_msg(1, work), result_msg(2, work))
    chain.block()
    assert ask(chain)["jobs"] == jobs(verifying=2, provider_fault=1)
    chain.block(*(chain.attest(1, work, member) for member in chain.members(1)))
    chain.blocks(PARAMS.challenge_window_blocks)
    missed = len(chain.members(2))  # job 2's members never attested: validator slashes only
    units = work_units(job_header(GEMM))
    assert ask(chain) == summary(jobs(valid=1, provider_fault=1, unverified=1), units)
    assert ask(chain, "slashing")["slashes"]["missed_attestation"] == missed
    assert chain.broken() == []


def disputed() -> ComputeChain:
    """A job whose three members attested valid, the second with one wrong entry: the first's
    row dispute refuted by its answer; the second's row dispute closed by a one-shot dispute
    that upholds; the third's row dispute upheld at its deadline, unanswered."""
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    first, second, third = chain.members(job_id)
    committee = chain.job(job_id).committee
    assert committee is not None
    right = member_cr(work, raw(first), committee.beacon)
    lazy = member_cr(work, raw(second), committee.beacon, wrong_at=WRONG_AT)
    chain.block(
        chain.attest(job_id, work, first, right),
        chain.attest(job_id, work, second, lazy),
        chain.attest(job_id, work, third),
    )
    chain.block(
        row_dispute_msg(job_id, work, first, *WRONG_AT),
        row_dispute_msg(job_id, work, second, 0, 0, 0, disputer=VALIDATORS[3]),
    )
    chain.block(
        answer_msg(job_id, first, right, *WRONG_AT), dispute_msg(job_id, work, second, lazy, *WRONG_AT)
    )
    chain.block(row_dispute_msg(job_id, work, third, 0, 0, 3))
    [pending] = chain.job(job_id).disputes
    chain.until(pending.deadline_height + 1)
    return chain


def test_disputes_count_by_outcome() -> None:
    chain = disputed()
    outcomes = [e["upheld"] for e in chain.event_list("dispute_answered")]
    assert outcomes == ["false"] and len(chain.event_list("dispute_closed")) == 1
    assert [e["proven_by"] for e in chain.event_list("attestation_disputed")] == ["entry_opened", "no_answer"]
    answer = ask(chain)
    assert answer["disputes"] == {"opened": 3, "upheld": 2, "refuted": 1, "closed": 1}
    assert answer["provider_slashes"] == msgspec.to_builtins(ProviderSlashesJSON())
    assert (answer["fraud_proofs"], answer["availability_challenges"]) == (0, 0)
    assert ask(chain, "slashing")["slashes"]["false_attestation"] == 2
    assert chain.broken() == []


def test_a_fraud_proof_counts_and_its_slashes() -> None:
    chain = ComputeChain()
    wrong = corrupted(honest(), 0, 1, 1)
    job_id = verifying(chain, wrong)
    chain.block(chain.attest(job_id, wrong, chain.members(job_id)[0]))
    chain.block(fraud_msg(job_id, wrong, 0, 1, 1))
    totals = ComputeTotalsJSON(fraud_proofs=1, provider_slashes=ProviderSlashesJSON(fraud_proof=1))
    assert ask(chain) == summary(jobs(invalid=1), 0, totals)
    assert ask(chain, "slashing")["slashes"]["false_attestation"] == 1
    assert chain.broken() == []


def test_an_attestation_slash_counts_once_as_a_validator_slash() -> None:
    """A wrong result proven: the provider's collateral and the member that called it valid are
    each slashed once, and the two summaries together count each slash once."""
    chain = ComputeChain()
    wrong = corrupted(honest(), 0, 1, 1)
    job_id = verifying(chain, wrong)
    chain.block(chain.attest(job_id, wrong, chain.members(job_id)[0]))
    chain.block(fraud_msg(job_id, wrong, 0, 1, 1))
    [member] = chain.event_list("attester_slashed")
    [validator] = [event for event in chain.event_list("slash") if event.get("reason") == member["reason"]]
    assert member["reason"] == "false_attestation" and validator["burned_coins"] == member["burned"]
    provider_slashes, validator_slashes = ask(chain)["provider_slashes"], ask(chain, "slashing")["slashes"]
    assert "false_attestation" not in provider_slashes and validator_slashes["false_attestation"] == 1
    assert sum(provider_slashes.values()) + sum(validator_slashes.values()) == 2
    assert chain.broken() == []


def test_an_unanswered_availability_challenge_counts_and_its_slashes() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    first, second, idle = chain.members(job_id)
    chain.block(chain.attest(job_id, work, first), chain.attest(job_id, work, second))
    chain.block(MsgChallengeAvailability(idle.address, job_id))
    challenge = chain.job(job_id).availability
    assert challenge is not None
    chain.until(challenge.deadline_height + 1)
    assert chain.job(job_id).state == JobState.INVALID
    slashes = ProviderSlashesJSON(unavailable=1)
    totals = ComputeTotalsJSON(availability_challenges=1, provider_slashes=slashes)
    assert ask(chain) == summary(jobs(invalid=1), 0, totals)
    assert ask(chain, "slashing")["slashes"]["false_attestation"] == 2  # idle is excused: it challenged
    assert chain.broken() == []


def test_genesis_carries_the_totals_and_rebuilds_the_tallies() -> None:
    chain = disputed()
    chain.block()  # staking's end block takes the jailed members out of the set: exportable
    _, app_state = chain.registry.export_genesis(chain.store)
    exported = msgspec.convert(app_state["compute"], ComputeGenesis)
    disputes = DisputeTotalsJSON(opened=3, upheld=2, refuted=1, closed=1)
    assert exported.totals == ComputeTotalsJSON(disputes=disputes)
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME, chain_id="depin-test-1", initial_height=chain.height, app_state=app_state
    )
    imported = new_app(msgspec.json.decode(msgspec.json.encode(doc), type=GenesisDoc))
    values = {k: v for k, v in committed_values(imported).items() if k.startswith(PREFIX)}
    assert values == dict(chain.store.iterate(PREFIX, prefix_end(PREFIX)))
    assert imported.registry.query("/compute/summary", imported.state.values, {}) == ask(chain)


def test_a_genesis_without_totals_counts_none() -> None:
    section = msgspec.json.decode(b'{"jobs": [], "last_job_id": 0}', type=ComputeGenesis)
    assert section.totals == ComputeTotalsJSON()
    doc = b'{"totals": {"provider_slashes": {"unavailable": 2}}}'
    partial = msgspec.json.decode(doc, type=ComputeGenesis)
    assert partial.totals == ComputeTotalsJSON(provider_slashes=ProviderSlashesJSON(unavailable=2))


def test_invalid_totals_with_an_attestation_reason() -> None:
    """Members' attestation slashes belong to the slashing section: unknown keys here, as in
    every genesis object."""
    doc = b'{"totals": {"provider_slashes": {"false_attestation": 1}}}'
    with pytest.raises(msgspec.ValidationError, match="unknown field `false_attestation`"):
        msgspec.json.decode(doc, type=ComputeGenesis)


def test_invalid_tally_breaks_the_invariant() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    chain.block(*(chain.attest(job_id, work, member) for member in chain.members(job_id)))
    chain.blocks(PARAMS.challenge_window_blocks)
    assert ask(chain)["jobs"] == jobs(valid=1) and chain.broken() == []
    for key in (b"tally/job/" + bytes([JobState.VALID]), b"tally/work"):
        original = chain.store.get(PREFIX + key)
        assert original is not None
        chain.store.set(PREFIX + key, (int.from_bytes(original, "big") + 1).to_bytes(8, "big"))
        assert [problem for problem in chain.broken() if problem.startswith("compute/jobs-tallied")]
        chain.store.set(PREFIX + key, original)
    assert chain.broken() == []
