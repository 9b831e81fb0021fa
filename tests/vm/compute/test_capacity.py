"""Capacity challenges: a provider's claim, the challenges the beacon issues, the measurement a
met challenge records (and what matching makes of it until it expires), and the failures.

Blocks are 5 s apart (tests/vm/compute/helpers.py). With a claim of 10^6 multiply-adds per
second and a 5 s target, a challenge is a 128 x 305 by 305 x 128 GEMM (4,997,120 work units)
due 1.5 x 4.997 s + 10 s = 17.5 s after the block that issues it: a result in any of the
three blocks after that one is in time, one in the fourth is late.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.compute import ComputeGenesis
from genesis.schema import GenesisDoc
from gpu.header import EXACT_LIMIT, MAX_INNER, GemmHeader, decode_header, work_units
from gpu.jobs import spec_from_header
from gpu.proof_sizes import max_dispute_bytes, max_fraud_proof_bytes
from protos.depind.compute.v1 import query_pb2 as query
from tests.vm.compute.helpers import (
    COLLATERAL,
    PARAMS,
    PROVIDER,
    REQUESTER,
    WATCHER,
    ComputeChain,
    Work,
    beacon_at,
    compute_genesis,
    corrupted,
    fraud_msg,
    honest,
    result_msg,
)
from tests.vm.helpers import DENOM, GENESIS_TIME, committed_values, new_app, raw
from tests.vm.market.helpers import order_msg
from vm.compute.capacity import (
    challenge_header,
    compute_deadline_ns,
    compute_measured,
    compute_seed,
    draw_index,
    is_issuing_block,
)
from vm.compute.msgs import MsgClaimCapacity
from vm.compute.params import check_params, parse_params
from vm.compute.services import QUERY
from vm.compute.store import DEPOSITS
from vm.compute.types import CapacityRecord, Job, JobState
from vm.errors import InvalidTx
from vm.market.types import OrderState
from vm.modules import default_registry
from vm.provider.msgs import MsgExitProvider
from vm.store.kv import prefix_end
from vm.types import format_address, module_address

CLAIM = 10**6  # multiply-adds per second
WORK = 128 * 305 * 128
SECOND = 10**9
CAPACITY = msgspec.structs.replace(
    PARAMS,
    capacity_rate_bps=10_000,  # every block issues one when a provider is due
    capacity_target_ms=5_000,
    capacity_slack_bps=15_000,
    capacity_latency_ms=10_000,
    capacity_result_blocks=6,
    capacity_expiry_blocks=40,
    capacity_renew_blocks=10,
    capacity_retry_blocks=5,
)
CAPACITY_PARAMS = parse_params(CAPACITY)
COMPUTE_ACCOUNT = module_address(DEPOSITS)


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def claim_msg(claim: int = CLAIM) -> MsgClaimCapacity:
    return MsgClaimCapacity(PROVIDER.address, claim)


def challenged() -> tuple[ComputeChain, Job]:
    """A chain whose provider claimed ``CLAIM`` and was challenged in the block after."""
    chain = ComputeChain(compute_genesis(CAPACITY))
    chain.block(claim_msg())
    chain.block()
    return chain, chain.job(chain.keeper.last_job_id(chain.store))


def answer(job: Job) -> Work:
    """The provider's honest result: the challenge's header is its spec."""
    return honest(spec_from_header(decode_header(job.header)))


def verify(chain: ComputeChain, job_id: int, work: Work) -> None:
    """The committee (sampled in the block after the result) attests valid; the window ends."""
    chain.block()
    chain.block(*(chain.attest(job_id, work, member) for member in chain.members(job_id)))
    committee = chain.job(job_id).committee
    assert committee is not None
    chain.until(committee.window_end_height + 1)


def record(chain: ComputeChain) -> CapacityRecord:
    found = chain.keeper.get_capacity(chain.store, raw(PROVIDER))
    assert found is not None
    return found


def measured(chain: ComputeChain) -> int:
    provider = chain.registry.keeper("provider").get_provider(chain.store, raw(PROVIDER))
    return int(provider.measured_capacity)


def met() -> tuple[ComputeChain, Job]:
    """A challenge answered in the block after it and verified."""
    chain, job = challenged()
    work = answer(job)
    chain.block(result_msg(job.id, work))
    verify(chain, job.id, work)
    return chain, chain.job(job.id)


# -- the claim -----------------------------------------------------------------------------------


def test_a_claim_makes_the_provider_due_at_once() -> None:
    chain = ComputeChain(compute_genesis(CAPACITY))
    height = chain.height
    chain.block(claim_msg())
    assert record(chain) == CapacityRecord(raw(PROVIDER), CLAIM, height, 0, 0, 0, 0, 0)
    assert chain.event_list("capacity_claimed") == [
        {"provider": PROVIDER.address, "claim": str(CLAIM), "due_height": str(height)}
    ]
    assert list(chain.keeper.capacity_due_queue.items(chain.store)) == [(height, raw(PROVIDER))]
    assert chain.broken() == []


def test_invalid_claim_capacity() -> None:
    chain = ComputeChain(compute_genesis(CAPACITY))
    assert code(chain.fails(MsgClaimCapacity(REQUESTER.address, CLAIM))) == ("compute", 30)  # no provider
    chain.block(MsgExitProvider(PROVIDER.address))
    assert code(chain.fails(claim_msg())) == ("compute", 30)  # exiting
    with pytest.raises(InvalidTx):
        MsgClaimCapacity("depin1nope", CLAIM).validate()


def test_a_withdrawn_claim_is_never_challenged() -> None:
    chain = ComputeChain(compute_genesis(CAPACITY))
    chain.block(claim_msg(), claim_msg(0))
    chain.blocks(3)
    assert chain.keeper.last_job_id(chain.store) == 0
    assert list(chain.keeper.capacity_due_queue.items(chain.store)) == []
    assert chain.broken() == []


# -- issuing -------------------------------------------------------------------------------------


def test_the_challenge_is_the_chains_job_sized_from_the_claim() -> None:
    chain, job = challenged()
    issued = chain.height - 1
    assert (job.state, job.lease_id, job.requester, job.price) == (JobState.PENDING, 0, COMPUTE_ACCOUNT, 0)
    assert (job.submitted_height, job.deadline_height) == (issued, issued + CAPACITY.capacity_result_blocks)
    header = decode_header(job.header)
    seed = compute_seed(beacon_at(issued), job.id)
    assert header == GemmHeader(m=128, k=305, n=128, bound=117, seed=seed)  # 117^2 x 305 <= 2^22
    assert job.work_units == WORK == work_units(header)
    terms = job.capacity
    assert terms is not None
    issued_ns = chain.time_ns - 5 * SECOND
    assert (terms.claim, terms.issued_time_ns, terms.result_time_ns) == (CLAIM, issued_ns, 0)
    assert terms.deadline_time_ns == issued_ns + WORK * 3 * SECOND // (2 * CLAIM) + 10 * SECOND
    assert record(chain).open_job == job.id
    assert list(chain.keeper.capacity_due_queue.items(chain.store)) == []
    [event] = chain.event_list("capacity_challenged")
    assert event == {
        "job_id": str(job.id),
        "provider": PROVIDER.address,
        "claim": str(CLAIM),
        "work_units": str(WORK),
        "deadline_time_ns": str(terms.deadline_time_ns),
        "deadline_height": str(job.deadline_height),
    }
    assert chain.keeper.open_jobs_of_lease(chain.store, 0) == 0  # on no lease
    assert chain.deposits() == 0
    assert chain.broken() == []


def test_challenges_come_in_the_blocks_the_beacon_picks() -> None:
    """With the provider due, a block issues a challenge exactly when its beacon value draws
    under the rate; an unanswered one ends at its deadline and the provider is due again."""
    half = msgspec.structs.replace(
        CAPACITY, capacity_rate_bps=5_000, capacity_result_blocks=1, capacity_retry_blocks=0
    )
    chain = ComputeChain(compute_genesis(half))
    chain.block(claim_msg())
    issued = 0
    for _ in range(24):
        height, before, last = chain.height, record(chain), chain.keeper.last_job_id(chain.store)
        due = before.is_due_queued and before.due_height <= height
        chain.block()
        challenged = chain.keeper.last_job_id(chain.store) != last
        assert challenged == (due and is_issuing_block(beacon_at(height), 5_000))
        issued += challenged
    assert 0 < issued < 24
    assert chain.broken() == []


def test_no_challenge_at_a_zero_rate() -> None:
    never = msgspec.structs.replace(CAPACITY, capacity_rate_bps=0)
    chain = ComputeChain(compute_genesis(never))
    chain.block(claim_msg())
    chain.blocks(5)
    assert chain.keeper.last_job_id(chain.store) == 0


def test_issuing_is_deterministic() -> None:
    """Two chains with the same state and beacons issue byte-identical challenges."""
    first, second = challenged()[1], challenged()[1]
    assert msgspec.msgpack.encode(first) == msgspec.msgpack.encode(second)


@settings(max_examples=60, deadline=None)
@given(
    claim=st.integers(1, 2**50),
    beacon=st.binary(min_size=32, max_size=32),
    job_id=st.integers(1, 2**40),
    max_side=st.sampled_from([16, 100, 2_048, 16_384]),
)
def test_a_challenge_is_a_function_of_the_claim_the_params_and_the_beacon(
    claim: int, beacon: bytes, job_id: int, max_side: int
) -> None:
    params = msgspec.structs.replace(CAPACITY_PARAMS, capacity_max_side=max_side)
    seed = compute_seed(beacon, job_id)
    header = challenge_header(claim, params, seed)
    assert header == challenge_header(claim, params, seed)
    assert 0 <= seed < 2**63 and seed == compute_seed(beacon, job_id)
    side, inner = header.m, header.k
    assert header.n == side and side & (side - 1) == 0 and 16 <= side <= max(16, max_side)
    target = max(1, claim * params.capacity_target_ms // 1_000)
    assert 1 <= inner <= MAX_INNER and header.bound**2 * inner <= EXACT_LIMIT and header.bound <= 127
    assert work_units(header) <= max(target, 16 * 16)  # never more than the target (but the least)
    if side > 16:
        assert side**3 <= target  # K >= side: a long K keeps the output small
    assert max(max_fraud_proof_bytes(header), max_dispute_bytes(header)) <= params.max_proof_bytes
    assert 0 <= draw_index(beacon, 7) < 7


def test_the_largest_side_is_bounded_by_the_param_and_the_proofs() -> None:
    big = challenge_header(10**15, CAPACITY_PARAMS, 1)
    assert (big.m, big.k) == (2_048, MAX_INNER)  # 2^40 multiply-adds: capped below the target
    wide = msgspec.structs.replace(CAPACITY_PARAMS, capacity_max_side=16_384)
    assert challenge_header(10**15, wide, 1).m == 8_192  # a 16,384-entry row's dispute is too large


def test_deadline_and_measurement_are_integer_block_time() -> None:
    assert compute_deadline_ns(100, 4_000, 1_000, CAPACITY_PARAMS) == 100 + 6 * SECOND + 10 * SECOND
    assert compute_measured(1_000, 4_000, 8 * SECOND) == 500
    assert compute_measured(1_000, 4_000, 2 * SECOND) == 1_000  # at most the claim
    assert compute_measured(1_000, 4_000, 0) == 1_000


# -- outcomes ------------------------------------------------------------------------------------


def test_a_met_challenge_records_the_measurement_and_pays_nothing() -> None:
    chain, job = challenged()
    work = answer(job)
    balance, pool, reputation = chain.balance(PROVIDER), chain.pool(), chain.reputation()
    chain.block(result_msg(job.id, work))  # 5 s after the challenge
    verify(chain, job.id, work)
    job = chain.job(job.id)
    terms = job.capacity
    assert terms is not None and job.state == JobState.VALID
    assert terms.result_time_ns - terms.issued_time_ns == 5 * SECOND
    expected = WORK * SECOND // (5 * SECOND)  # 999,424: below the claim
    assert measured(chain) == expected
    height = job.verdict_height
    expires = height + CAPACITY.capacity_expiry_blocks
    assert record(chain) == CapacityRecord(
        raw(PROVIDER), CLAIM, expires - CAPACITY.capacity_renew_blocks, 0, height, expires, 1, 0
    )
    [event] = chain.event_list("capacity_measured")
    assert event == {
        "job_id": str(job.id),
        "provider": PROVIDER.address,
        "measured": str(expected),
        "elapsed_ms": "5000",
        "expires_height": str(expires),
    }
    [verdict] = chain.event_list("job_verdict")
    assert (verdict["verdict"], verdict["paid"], verdict["reward"]) == ("valid", "0", "0")
    assert verdict["requester"] == format_address(COMPUTE_ACCOUNT)
    assert (chain.balance(PROVIDER), chain.pool(), chain.reputation()) == (balance, pool, reputation)
    assert chain.keeper.get_stats(chain.store, raw(PROVIDER)) is None  # not useful work
    assert chain.broken() == []


def test_a_late_result_fails_and_costs_reputation() -> None:
    chain, job = challenged()
    work = answer(job)
    chain.blocks(3)
    reputation = chain.reputation()
    chain.block(result_msg(job.id, work))  # 20 s after the challenge: past its 17.5 s
    verify(chain, job.id, work)
    job = chain.job(job.id)
    assert job.state == JobState.VALID
    assert measured(chain) == 0
    assert chain.reputation() == reputation - CAPACITY.fault_reputation_penalty
    due = job.verdict_height + CAPACITY.capacity_retry_blocks
    assert record(chain) == CapacityRecord(raw(PROVIDER), CLAIM, due, 0, 0, 0, 0, 1)
    assert chain.event_list("capacity_failed") == [
        {"job_id": str(job.id), "provider": PROVIDER.address, "reason": "late", "due_height": str(due)}
    ]
    assert chain.broken() == []


def test_a_wrong_result_fails_and_is_slashed_with_no_requester_share() -> None:
    chain, job = challenged()
    wrong = corrupted(answer(job), 0, 3, 4)
    chain.block(result_msg(job.id, wrong))
    watcher, supply = chain.balance(WATCHER), chain.bank.get_supply(chain.store, DENOM)
    chain.block(fraud_msg(job.id, wrong, 0, 3, 4))
    assert chain.job(job.id).state == JobState.INVALID
    [fraud] = chain.event_list("fraud_proven")
    slashed = COLLATERAL // 2  # provider_slash_fraction 0.5
    to_prover = slashed * PARAMS.prover_share_bps // 10_000
    assert (fraud["slashed"], fraud["to_requester"], fraud["to_prover"]) == (
        f"{slashed}{DENOM}",
        "0",
        str(to_prover),
    )
    assert fraud["burned"] == str(slashed - to_prover)  # the requester's share too: the chain asked
    assert chain.balance(WATCHER) == watcher + to_prover
    assert chain.bank.get_supply(chain.store, DENOM) == supply - (slashed - to_prover)
    assert [e["reason"] for e in chain.event_list("capacity_failed")] == ["invalid"]
    assert record(chain).failed == 1 and record(chain).open_job == 0
    assert chain.deposits() == 0
    assert chain.broken() == []


def test_no_result_fails_once() -> None:
    chain, job = challenged()
    reputation = chain.reputation()
    chain.until(job.deadline_height + 1)
    assert chain.job(job.id).state == JobState.PROVIDER_FAULT
    assert chain.reputation() == reputation - CAPACITY.fault_reputation_penalty  # the job's, not twice
    assert [e["reason"] for e in chain.event_list("capacity_failed")] == ["no_result"]
    assert chain.lease_reason() is None  # its provider's leases are not its business
    assert chain.broken() == []


def test_an_unverified_challenge_blames_nobody() -> None:
    chain, job = challenged()
    work = answer(job)
    chain.block(result_msg(job.id, work))
    chain.block()
    committee = chain.job(job.id).committee
    assert committee is not None
    reputation = chain.reputation()
    chain.until(committee.window_end_height + 1)  # nobody attests
    job = chain.job(job.id)
    assert job.state == JobState.UNVERIFIED
    due = job.verdict_height + CAPACITY.capacity_retry_blocks
    assert record(chain) == CapacityRecord(raw(PROVIDER), CLAIM, due, 0, 0, 0, 0, 0)
    assert (measured(chain), chain.reputation()) == (0, reputation)
    assert chain.event_list("capacity_failed") == []
    assert chain.broken() == []


def test_a_failure_clears_the_measurement() -> None:
    chain, job = met()
    assert measured(chain) > 0
    chain.until(record(chain).due_height)  # the renewal, unanswered
    chain.block()
    renewal = chain.job(chain.keeper.last_job_id(chain.store))
    assert renewal.id != job.id and renewal.capacity is not None
    chain.until(renewal.deadline_height + 1)
    assert measured(chain) == 0
    assert record(chain).expires_height == 0
    assert list(chain.keeper.capacity_expiry_queue.items(chain.store)) == []
    assert chain.broken() == []


# -- renewal and expiry --------------------------------------------------------------------------


def test_the_next_challenge_comes_before_the_measurement_expires() -> None:
    chain, job = met()
    due = record(chain).due_height
    assert due == job.verdict_height + CAPACITY.capacity_expiry_blocks - CAPACITY.capacity_renew_blocks
    chain.until(due)
    assert chain.keeper.last_job_id(chain.store) == job.id
    chain.block()  # its begin block is at the due height
    renewal = chain.job(chain.keeper.last_job_id(chain.store))
    assert (renewal.submitted_height, renewal.capacity is not None) == (due, True)
    assert measured(chain) > 0  # the measurement counts meanwhile


def test_a_changed_claim_is_measured_again_at_once() -> None:
    chain, job = met()
    chain.block(claim_msg(CLAIM // 2))
    chain.block()
    again = chain.job(chain.keeper.last_job_id(chain.store))
    assert again.id == job.id + 1 and again.capacity is not None and again.capacity.claim == CLAIM // 2


def test_matching_reads_an_unexpired_measurement_and_ignores_an_expired_one() -> None:
    chain, _ = met()
    value = measured(chain)
    chain.block(claim_msg(0))  # no renewal: the measurement counts until it expires
    chain.block(order_msg(WATCHER, 1, 3_600, min_capacity=value))
    assert [o.state for o in orders(chain)] == [OrderState.MATCHED]
    chain.until(record(chain).expires_height)
    chain.block(order_msg(WATCHER, 1, 3_600, min_capacity=1))  # matched in the expiry block
    chain.block()
    assert chain.event_list("capacity_expired") == [
        {
            "provider": PROVIDER.address,
            "measured_height": str(chain.height - 2 - CAPACITY.capacity_expiry_blocks),
        }
    ]
    assert measured(chain) == 0
    chain.block(order_msg(WATCHER, 1, 3_600, min_capacity=1))
    chain.block(order_msg(WATCHER, 1, 3_600))  # the same order without the minimum matches
    states = [o.state for o in orders(chain)]
    assert states == [OrderState.MATCHED, OrderState.MATCHED, OrderState.OPEN, OrderState.MATCHED]
    assert chain.broken() == []


def orders(chain: ComputeChain) -> list[Any]:
    """Watcher's orders (Carol's), in id order."""
    market = chain.registry.keeper("market")
    found = []
    for order_id in range(1, 20):
        order = market.get_order(chain.store, order_id)
        if order is not None and order.requester == raw(WATCHER):
            found.append(order)
    return found


def test_an_exiting_provider_loses_its_claim() -> None:
    chain = ComputeChain(compute_genesis(CAPACITY))
    chain.block(claim_msg(), MsgExitProvider(PROVIDER.address))
    chain.block()
    assert chain.keeper.last_job_id(chain.store) == 0
    assert record(chain).claim == 0
    assert chain.broken() == []


# -- genesis -------------------------------------------------------------------------------------


def test_genesis_round_trips_open_challenges_and_measurements() -> None:
    chain, job = met()
    chain.block(MsgClaimCapacity(PROVIDER.address, CLAIM // 2))  # due at once: a second challenge
    chain.block()
    _, app_state = chain.registry.export_genesis(chain.store)
    exported = msgspec.convert(app_state["compute"], ComputeGenesis)
    [entry] = exported.capacities
    assert (entry.provider, entry.claim, entry.passed) == (PROVIDER.address, CLAIM // 2, 1)
    assert entry.open_job == job.id + 1 and entry.expires_height > 0
    [challenge] = [j for j in exported.jobs if j.capacity is not None and j.state == "pending"]
    assert (challenge.lease_id, challenge.price) == (0, 0)
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME, chain_id="depin-test-1", initial_height=chain.height, app_state=app_state
    )
    imported = new_app(msgspec.json.decode(msgspec.json.encode(doc), type=GenesisDoc))
    values = {k: v for k, v in committed_values(imported).items() if k.startswith(b"compute/")}
    assert values == dict(chain.store.iterate(b"compute/", prefix_end(b"compute/")))
    assert imported.registry.broken_invariants(imported.state.values) == []


@pytest.fixture(scope="module")
def exported() -> ComputeGenesis:
    chain, _ = challenged()
    return chain.registry.module("compute").genesis.export(chain.store)  # type: ignore[no-any-return]


def invalid(genesis: ComputeGenesis, match: str) -> None:
    with pytest.raises(InvalidTx, match=match):
        default_registry().module("compute").genesis.validate(genesis)


def test_invalid_genesis_capacity(exported: ComputeGenesis) -> None:
    [challenge] = exported.jobs
    [entry] = exported.capacities
    terms = challenge.capacity
    assert terms is not None
    for fields, match in (
        ({"price": 1}, "a capacity challenge is on no lease, at no price"),
        ({"lease_id": 1}, "a capacity challenge is on no lease, at no price"),
        ({"requester": REQUESTER.address}, "a capacity challenge is on no lease, at no price"),
        ({"capacity": None}, "only a capacity challenge is on no lease"),
    ):
        jobs = [msgspec.structs.replace(challenge, **fields)]
        invalid(msgspec.structs.replace(exported, jobs=jobs), match)
    for capacities, match in (
        ([entry, entry], "duplicate capacity record"),
        ([], "open capacity challenges differ"),
        ([msgspec.structs.replace(entry, open_job=0)], "open capacity challenges differ"),
        ([msgspec.structs.replace(entry, measured_height=3)], "both its height and its expiry"),
    ):
        invalid(msgspec.structs.replace(exported, capacities=capacities), match)


# -- queries, params -----------------------------------------------------------------------------


def test_capacity_queries() -> None:
    chain, job = met()
    answer_json = chain.registry.query("/compute/capacity", chain.store, {"provider": PROVIDER.address})
    capacity = answer_json["capacity"]
    assert (capacity["claim"], capacity["measured"], capacity["passed"]) == (CLAIM, measured(chain), 1)
    assert capacity["expires_height"] == record(chain).expires_height
    data = chain.registry.service(
        QUERY + "Capacity",
        chain.store,
        query.QueryCapacityRequest(provider=PROVIDER.address).SerializeToString(),
    )
    reply = query.QueryCapacityResponse.FromString(data).capacity
    assert (reply.provider, reply.claim, reply.measured, reply.passed) == (
        PROVIDER.address,
        CLAIM,
        measured(chain),
        1,
    )
    nobody = chain.registry.query("/compute/capacity", chain.store, {"provider": REQUESTER.address})
    assert nobody["capacity"]["claim"] == nobody["capacity"]["measured"] == 0
    listed = chain.registry.query("/compute/job", chain.store, {"id": job.id})["job"]
    assert listed["lease_id"] == 0 and listed["capacity"]["claim"] == CLAIM
    data = chain.registry.service(
        QUERY + "Job", chain.store, query.QueryJobRequest(id=job.id).SerializeToString()
    )
    assert query.QueryJobResponse.FromString(data).job.capacity.claim == CLAIM


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"capacity_rate_bps": 10_001}, "capacity_rate_bps"),
        ({"capacity_slack_bps": 9_999}, "capacity_slack_bps"),
        ({"capacity_renew_blocks": 40}, "capacity_renew_blocks"),
        ({"capacity_max_side": 8}, "capacity_max_side"),
        ({"capacity_target_ms": 0}, "capacity_target_ms"),
    ],
)
def test_invalid_capacity_params(fields: dict[str, int], match: str) -> None:
    with pytest.raises(InvalidTx, match=match):
        check_params(msgspec.structs.replace(CAPACITY_PARAMS, **fields))
