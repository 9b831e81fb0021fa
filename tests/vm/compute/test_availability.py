"""Availability challenges: a member or the requester has the provider post sampled chunks of
its outputs; an answer pays the provider the challenger's bond and lets the verdict come, no
answer by the deadline makes the job invalid with the challenger as its prover."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from genesis.compute import AvailabilityChallengeJSON, ComputeGenesis
from genesis.schema import GenesisDoc
from gpu.header import layout, output_layout
from gpu.jobs import BatchedGemmSpec, job_header
from gpu.merkle import Opening
from gpu.proofs import encode_opening
from protos.depind.compute.v1 import query_pb2
from tests.vm.compute.helpers import (
    COLLATERAL,
    GEMM,
    PARAMS,
    PRICE,
    PROVIDER,
    REQUESTER,
    WATCHER,
    ComputeChain,
    Work,
    beacon_at,
    corrupted,
    fraud_msg,
    honest,
    result_msg,
)
from tests.vm.helpers import DENOM, GENESIS_TIME, committed_values, new_app, raw
from tests.vm.market.helpers import PARAMS as MARKET_PARAMS
from vm.compute.availability import compute_chunk_point, output_chunk_count, sample_chunks
from vm.compute.genesis import validate_genesis
from vm.compute.msgs import MsgChallengeAvailability, MsgPostChunks
from vm.compute.services import QUERY
from vm.compute.types import JobState
from vm.context import Context
from vm.errors import InvalidTx, OutOfGas
from vm.gas import GasMeter
from vm.market.types import CloseReason
from vm.store.cache import CacheStore
from vm.store.kv import prefix_end

BOND = 1_000_000  # the default availability_bond
SAMPLES = 4  # the default availability_samples
HALF = COLLATERAL // 2  # provider_slash_fraction 0.5
TO_REQUESTER, TO_CHALLENGER = HALF // 2, HALF // 5  # requester_share_bps 5,000, prover_share_bps 2,000
BATCH = BatchedGemmSpec(batch=3, m=32, k=16, n=48, bound=8, seed=9)  # 18 chunks: a sample is a subset


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def verifying_job(chain: ComputeChain, work: Work) -> int:
    """A job whose committee was just sampled, with ``work`` as its result."""
    job_id = chain.submit(work.spec)
    chain.commit(job_id, work)
    return job_id


def challenge(job_id: int, challenger: Any = REQUESTER) -> MsgChallengeAvailability:
    return MsgChallengeAvailability(challenger.address, job_id)


def openings(work: Work, chunks: Sequence[int]) -> list[bytes]:
    return [encode_opening(work.commitment.open_leaf(chunk)) for chunk in chunks]


def answer(chain: ComputeChain, job_id: int, work: Work) -> MsgPostChunks:
    """The provider's answer to the job's challenge: every sampled chunk, opened."""
    found = chain.job(job_id).availability
    assert found is not None
    return MsgPostChunks(PROVIDER.address, job_id, openings(work, found.chunks))


# -- sampling ------------------------------------------------------------------------------------


def test_chunks_are_sampled_from_the_beacon_and_the_job_id_without_replacement() -> None:
    beacon = bytes(range(32))
    chunks = sample_chunks(beacon, 7, 4, 1_000)
    assert chunks == sorted(set(chunks)) and len(chunks) == 4 and chunks[-1] < 1_000
    assert chunks == sample_chunks(beacon, 7, 4, 1_000)
    assert chunks != sample_chunks(beacon, 8, 4, 1_000)
    assert sample_chunks(beacon, 7, 4, 3) == [0, 1, 2]  # fewer chunks than samples: all of them
    for job_id in range(1, 200):  # the first draw is the hash's point itself
        assert compute_chunk_point(beacon, job_id, 0, 50) in sample_chunks(beacon, job_id, 3, 50)


def test_the_chunk_count_follows_the_output_shapes() -> None:
    assert output_chunk_count(job_header(GEMM)) == 4  # 32 x 32 int32: 4 KiB
    assert output_chunk_count(job_header(BATCH)) == output_layout(layout(job_header(BATCH))).size == 18


# -- the answered path ---------------------------------------------------------------------------


def test_an_answered_challenge_pays_the_bond_to_the_provider_and_the_verdict_comes() -> None:
    chain = ComputeChain()
    work = honest(BATCH)
    job_id = verifying_job(chain, work)
    committee = chain.job(job_id).committee
    assert committee is not None
    requester, provider = chain.balance(REQUESTER), chain.balance(PROVIDER)
    chain.block(challenge(job_id), *(chain.attest(job_id, work, m) for m in chain.members(job_id)))
    opened = chain.job(job_id).availability
    assert opened is not None and opened.answered_height == 0
    assert opened.chunks == sample_chunks(beacon_at(opened.opened_height), job_id, SAMPLES, 18)
    assert opened.deadline_height == opened.opened_height + 10
    assert chain.balance(REQUESTER) == requester - BOND and chain.broken() == []
    [event] = chain.event_list("availability_challenged")
    assert event["chunks"] == ",".join(map(str, opened.chunks)) and event["bond"] == str(BOND)
    chain.block(answer(chain, job_id, work))
    answered = chain.job(job_id).availability
    assert answered is not None and answered.answered_height == opened.opened_height + 1
    assert chain.balance(PROVIDER) == provider + BOND and chain.balance(REQUESTER) == requester - BOND
    [posted] = chain.event_list("chunks_posted")
    assert posted["chunks"] == event["chunks"]
    assert posted["data"].split(",") == [work.commitment.open_leaf(c).data.hex() for c in opened.chunks]
    assert chain.broken() == []
    chain.until(committee.window_end_height + 1)
    assert chain.job(job_id).state == JobState.VALID


def test_the_verdict_waits_for_an_open_challenge() -> None:
    """A challenge sent at the window's end holds the verdict until its answer."""
    chain = ComputeChain()
    work = honest()
    job_id = verifying_job(chain, work)
    committee = chain.job(job_id).committee
    assert committee is not None
    chain.block(*(chain.attest(job_id, work, m) for m in chain.members(job_id)))
    chain.until(committee.window_end_height)
    chain.block(challenge(job_id))
    chain.blocks(3)
    assert chain.job(job_id).state == JobState.VERIFYING and chain.broken() == []
    chain.block(answer(chain, job_id, work))  # past the window's end: the verdict in this block
    job = chain.job(job_id)
    assert job.state == JobState.VALID and job.verdict_height == chain.height - 1


def test_an_answer_before_the_window_ends_leaves_the_verdict_at_the_window_end() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying_job(chain, work)
    committee = chain.job(job_id).committee
    assert committee is not None
    chain.block(challenge(job_id, chain.members(job_id)[0]))
    chain.block(answer(chain, job_id, work), *(chain.attest(job_id, work, m) for m in chain.members(job_id)))
    chain.until(committee.window_end_height + 1)
    job = chain.job(job_id)
    assert job.state == JobState.VALID and job.verdict_height == committee.window_end_height


# -- the expired path ----------------------------------------------------------------------------


def test_an_unanswered_challenge_makes_the_job_invalid_with_the_challenger_as_prover() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying_job(chain, work)
    first, second, idle = chain.members(job_id)
    chain.block(chain.attest(job_id, work, first), chain.attest(job_id, work, second))
    stakes = {k: chain.validator(k).tokens for k in (first, second, idle)}
    requester, challenger = chain.balance(REQUESTER), chain.balance(idle)
    reputation = chain.reputation()
    chain.block(challenge(job_id, idle))
    assert chain.balance(idle) == challenger - BOND
    found = chain.job(job_id).availability
    assert found is not None
    chain.until(found.deadline_height)
    assert chain.job(job_id).state == JobState.VERIFYING  # the deadline's block still takes an answer
    chain.block()
    job = chain.job(job_id)
    assert job.state == JobState.INVALID and job.verdict_height == found.deadline_height
    assert job.fraud is not None and job.fraud.prover == raw(idle)
    # As for a fraud proof: half the collateral shared out and burnt, the deposit refunded, the
    # lease closed slashed, the members that attested valid slashed and jailed.
    assert chain.collateral() == COLLATERAL - HALF
    lease_refund = int(chain.event_list("lease_closed")[0]["refunded"])
    assert chain.balance(REQUESTER) == requester + PRICE + TO_REQUESTER + lease_refund
    assert chain.balance(idle) == challenger + TO_CHALLENGER  # and the bond back
    assert chain.lease_reason() == CloseReason.SLASHED
    assert (
        chain.reputation()
        == reputation - PARAMS.invalid_reputation_penalty - MARKET_PARAMS.reputation_slashed
    )
    for member in (first, second):
        assert chain.validator(member).jailed and chain.validator(member).tokens < stakes[member]
    assert not chain.validator(idle).jailed  # its missed attestation is excused: it challenged
    assert chain.validator(idle).tokens == stakes[idle]
    [failed] = chain.event_list("availability_failed")
    assert failed["challenger"] == idle.address and failed["slashed"] == f"{HALF}{DENOM}"
    assert failed["bond"] == str(BOND) and failed["chunks"] == "0,1,2,3"
    [verdict] = chain.event_list("job_verdict")
    assert (verdict["verdict"], verdict["reason"]) == ("invalid", "unavailable")
    assert chain.event_list("fraud_proven") == [] and chain.broken() == []


def test_members_of_a_challenged_job_are_not_slashed_for_liveness() -> None:
    """Outputs that could not be fetched cannot be attested: a job whose availability was
    challenged by its attest deadline takes no liveness penalty; one that was not, does."""
    chain = ComputeChain()
    work = honest()
    challenged = verifying_job(chain, work)
    chain.block(challenge(challenged))
    quiet = verifying_job(chain, work)
    for job_id in (challenged, quiet):
        committee = chain.job(job_id).committee
        assert committee is not None
        chain.until(committee.attest_deadline_height + 1)
    slashed = {(e["job_id"], e["reason"]) for e in chain.event_list("attester_slashed")}
    assert slashed == {(str(quiet), "missed_attestation")}


def test_a_fraud_proof_before_the_answer_refunds_the_bond() -> None:
    chain = ComputeChain()
    wrong = corrupted(honest(), 0, 2, 3)
    job_id = verifying_job(chain, wrong)
    requester = chain.balance(REQUESTER)
    chain.block(challenge(job_id))
    chain.block(fraud_msg(job_id, wrong, 0, 2, 3))
    lease_refund = int(chain.event_list("lease_closed")[0]["refunded"])
    assert chain.job(job_id).state == JobState.INVALID
    assert chain.balance(REQUESTER) == requester + PRICE + TO_REQUESTER + lease_refund
    [verdict] = chain.event_list("job_verdict")
    assert verdict["reason"] == "fraud_proof" and chain.broken() == []


# -- the bond ------------------------------------------------------------------------------------


def test_the_bond_follows_the_params() -> None:
    chain = ComputeChain()
    chain.block(chain.params_msg(availability_bond=0, availability_samples=2, availability_blocks=3))
    work = honest(BATCH)
    job_id = verifying_job(chain, work)
    requester, provider = chain.balance(REQUESTER), chain.balance(PROVIDER)
    chain.block(challenge(job_id))
    found = chain.job(job_id).availability
    assert found is not None and found.bond == 0 and len(found.chunks) == 2
    assert found.deadline_height == found.opened_height + 3
    chain.block(answer(chain, job_id, work))
    assert (chain.balance(REQUESTER), chain.balance(PROVIDER)) == (requester, provider)


def test_posting_costs_gas_per_byte() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying_job(chain, work)
    chain.block(challenge(job_id))
    msg = answer(chain, job_id, work)
    charged = PARAMS.availability_gas_per_byte * sum(map(len, msg.openings))
    assert charged > 0
    short = Context(CacheStore(chain.store), chain.env(), GasMeter(charged - 1))
    with pytest.raises(OutOfGas):
        chain.registry.route(short, msg)
    enough = Context(CacheStore(chain.store), chain.env(), GasMeter(10**12))
    chain.registry.route(enough, msg)
    assert enough.gas.consumed >= charged


# -- rejections ----------------------------------------------------------------------------------


def test_invalid_challenge_availability() -> None:
    assert code(rejected(MsgChallengeAvailability("depin1nope", 1))) == ("sdk", 7)
    assert code(rejected(MsgChallengeAvailability(REQUESTER.address, 0))) == ("sdk", 18)
    chain = ComputeChain()
    work = honest()
    assert code(chain.fails(challenge(9))) == ("compute", 2)
    pending = chain.submit()
    assert code(chain.fails(challenge(pending))) == ("compute", 10)
    job_id = verifying_job(chain, work)
    assert code(chain.fails(challenge(job_id, WATCHER))) == ("compute", 21)
    assert code(chain.fails(challenge(job_id, PROVIDER))) == ("compute", 21)
    chain.block(challenge(job_id))
    assert code(chain.fails(challenge(job_id, chain.members(job_id)[0]))) == ("compute", 22)
    late = verifying_job(chain, work)
    committee = chain.job(late).committee
    assert committee is not None
    chain.until(committee.window_end_height + 1)
    # settled at its window's end: no longer verifying
    assert code(chain.fails(challenge(late))) == ("compute", 10)


def rejected(msg: Any) -> InvalidTx:
    with pytest.raises(InvalidTx) as caught:
        msg.validate()
    return caught.value


def test_invalid_post_chunks() -> None:
    work = honest()
    good = openings(work, [0])
    two_leaves = encode_opening(work.commitment.open_entries(0, 0, 300))
    too_long = encode_opening(Opening(0, 1, bytes(1025), ()))
    assert code(rejected(MsgPostChunks("depin1nope", 1, good))) == ("sdk", 7)
    assert code(rejected(MsgPostChunks(PROVIDER.address, 0, good))) == ("sdk", 18)
    assert code(rejected(MsgPostChunks(PROVIDER.address, 1, []))) == ("compute", 24)
    assert code(rejected(MsgPostChunks(PROVIDER.address, 1, good * 65))) == ("compute", 24)
    assert code(rejected(MsgPostChunks(PROVIDER.address, 1, [b"\x00"]))) == ("compute", 24)
    assert code(rejected(MsgPostChunks(PROVIDER.address, 1, [good[0] + b"\x00"]))) == ("compute", 24)
    assert code(rejected(MsgPostChunks(PROVIDER.address, 1, [two_leaves]))) == ("compute", 24)
    assert code(rejected(MsgPostChunks(PROVIDER.address, 1, [too_long]))) == ("compute", 24)
    chain = ComputeChain()
    assert code(chain.fails(MsgPostChunks(PROVIDER.address, 9, good))) == ("compute", 2)
    pending = chain.submit()
    assert code(chain.fails(MsgPostChunks(PROVIDER.address, pending, good))) == ("compute", 10)
    job_id = verifying_job(chain, work)
    assert code(chain.fails(MsgPostChunks(PROVIDER.address, job_id, good))) == ("compute", 23)
    chain.block(challenge(job_id))
    found = chain.job(job_id).availability
    assert found is not None and found.chunks == [0, 1, 2, 3]
    full = answer(chain, job_id, work)
    assert code(chain.fails(msgspec.structs.replace(full, provider=WATCHER.address))) == ("compute", 9)
    assert code(chain.fails(MsgPostChunks(PROVIDER.address, job_id, full.openings[:3]))) == ("compute", 24)
    swapped = [full.openings[1], full.openings[0], *full.openings[2:]]
    assert code(chain.fails(MsgPostChunks(PROVIDER.address, job_id, swapped))) == ("compute", 24)
    other = openings(honest(msgspec.structs.replace(GEMM, seed=6)), [0, 1, 2, 3])
    assert code(chain.fails(MsgPostChunks(PROVIDER.address, job_id, other))) == ("compute", 24)
    chain.block(full)
    assert code(chain.fails(full)) == ("compute", 23)  # answered once


# -- genesis -------------------------------------------------------------------------------------

PREFIX = b"compute/"


def challenged_chain() -> ComputeChain:
    """Job 1 with an open challenge, job 2 with an answered one, job 3 invalid for want of an
    answer."""
    chain = ComputeChain()
    work = honest()
    chain.block(chain.params_msg(availability_blocks=2))
    first, second, third = (chain.submit(deadline=40) for _ in range(3))
    chain.block(result_msg(first, work), result_msg(second, work), result_msg(third, work))
    chain.block()
    chain.block(challenge(third), challenge(second))
    chain.block(answer(chain, second, work), challenge(first))
    chain.block()
    return chain


def test_genesis_round_trips_with_an_open_challenge() -> None:
    chain = challenged_chain()
    states = [chain.job(i).state for i in (1, 2, 3)]
    assert states == [JobState.VERIFYING, JobState.VERIFYING, JobState.INVALID]
    open_, answered = chain.job(1).availability, chain.job(2).availability
    assert open_ is not None and open_.answered_height == 0
    assert answered is not None and answered.answered_height > 0
    assert chain.broken() == []
    _, app_state = chain.registry.export_genesis(chain.store)
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME, chain_id="depin-test-1", initial_height=chain.height, app_state=app_state
    )
    imported = new_app(msgspec.json.decode(msgspec.json.encode(doc), type=GenesisDoc))
    imported_values = {k: v for k, v in committed_values(imported).items() if k.startswith(PREFIX)}
    assert imported_values == dict(chain.store.iterate(PREFIX, prefix_end(PREFIX)))
    _, again = imported.registry.export_genesis(imported.state.values)
    assert again["compute"] == app_state["compute"]


def test_invalid_genesis_challenge() -> None:
    chain = challenged_chain()
    exported: ComputeGenesis = chain.registry.module("compute").genesis.export(chain.store)
    challenged = exported.jobs[0].availability
    assert challenged is not None

    def invalid(match: str, **fields: Any) -> None:
        jobs = list(exported.jobs)
        jobs[0] = msgspec.structs.replace(jobs[0], availability=msgspec.structs.replace(challenged, **fields))
        with pytest.raises(InvalidTx, match=match):
            validate_genesis(msgspec.structs.replace(exported, jobs=jobs))

    invalid("distinct leaves", chunks=[1, 0])
    invalid("distinct leaves", chunks=[0, 0])
    invalid("distinct leaves", chunks=[4])
    invalid("distinct leaves", chunks=[])
    invalid("deadline comes after", deadline_height=challenged.opened_height)
    invalid("answered by its deadline", answered_height=challenged.deadline_height + 1)
    invalid("challenger", challenger="depin1nope")


def test_genesis_refuses_a_challenge_on_a_job_without_a_committee() -> None:
    chain = ComputeChain()
    chain.submit()
    exported: ComputeGenesis = chain.registry.module("compute").genesis.export(chain.store)
    stray = AvailabilityChallengeJSON(REQUESTER.address, 0, [0], 1, 2)
    jobs = [msgspec.structs.replace(exported.jobs[0], availability=stray)]
    with pytest.raises(InvalidTx, match="needs a committee"):
        validate_genesis(msgspec.structs.replace(exported, jobs=jobs))


def test_the_job_answer_includes_its_challenge() -> None:
    chain = challenged_chain()
    found = chain.job(1).availability
    assert found is not None
    answer_json = chain.registry.query("/compute/job", chain.store, {"id": 1})["job"]["availability"]
    assert answer_json == {
        "challenger": REQUESTER.address,
        "bond": BOND,
        "chunks": found.chunks,
        "opened_height": found.opened_height,
        "deadline_height": found.deadline_height,
        "answered_height": 0,
    }
    request = query_pb2.QueryJobRequest(id=1).SerializeToString()
    data = chain.registry.service(QUERY + "Job", chain.store, request)
    answered = query_pb2.QueryJobResponse.FromString(data).job.availability
    assert (answered.challenger, list(answered.chunks)) == (REQUESTER.address, found.chunks)
