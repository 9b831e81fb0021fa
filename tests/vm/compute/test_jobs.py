"""Submitting jobs and results; a missed deadline is the provider's fault."""

from __future__ import annotations

import msgspec

from gpu.header import GemmHeader, JobHeader, MlpHeader, work_units
from gpu.jobs import BatchedGemmSpec, MlpSpec, job_header
from gpu.proof_sizes import max_fraud_proof_bytes
from protos.depind.compute.v1 import tx_pb2
from tests.vm.compute.helpers import (
    COLLATERAL,
    GEMM,
    LEASE,
    PARAMS,
    PRICE,
    PROVIDER,
    REQUESTER,
    WATCHER,
    ComputeChain,
    compute_genesis,
    honest,
    result_msg,
    submit_msg,
)
from tests.vm.helpers import DENOM, FUNDS
from tests.vm.market.helpers import PARAMS as MARKET_PARAMS
from tests.vm.market.helpers import order_msg
from vm.compute.msgs import MsgSubmitJob
from vm.compute.types import JobState
from vm.errors import InvalidTx
from vm.market.msgs import MsgCloseLease
from vm.market.types import CloseReason
from vm.provider.msgs import MsgExitProvider
from vm.types import Coin

MLP = MlpSpec(rows=4, widths=[8, 6, 3], shifts=[3, 2], weight_bound=10, bias_bound=50, seed=3)


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def test_work_units_count_multiply_adds() -> None:
    assert work_units(job_header(GEMM)) == 32 * 24 * 32
    assert work_units(job_header(BatchedGemmSpec(batch=3, m=2, k=5, n=7, bound=4))) == 3 * 2 * 5 * 7
    assert work_units(job_header(MLP)) == 4 * (8 * 6 + 6 * 3)


# -- jobs ----------------------------------------------------------------------------------------


def test_submit_job_holds_its_price_and_waits_for_a_result() -> None:
    chain = ComputeChain()
    before = chain.balance(REQUESTER)
    job_id = chain.submit(deadline=7)
    job = chain.job(job_id)
    assert (job.state, job.lease_id, job.price, job.work_units) == (JobState.PENDING, LEASE, PRICE, 24_576)
    assert job.deadline_height == job.submitted_height + 7
    assert chain.balance(REQUESTER) == before - PRICE
    assert chain.deposits() == PRICE
    [event] = chain.event_list("job_submitted")
    assert event["kind"] == "gemm" and event["provider"] == PROVIDER.address
    assert chain.keeper.open_jobs_of_lease(chain.store, LEASE) == 1
    assert chain.broken() == []


def test_submit_job_answers_the_new_job_id() -> None:
    chain = ComputeChain()
    first = chain.answer(submit_msg())
    second = chain.answer(submit_msg())
    assert isinstance(first, tx_pb2.MsgSubmitJobResponse)
    assert isinstance(second, tx_pb2.MsgSubmitJobResponse)
    assert (first.job_id, second.job_id) == (1, 2) == (1, chain.keeper.last_job_id(chain.store))


def test_invalid_submit_job() -> None:
    params = msgspec.structs.replace(PARAMS, max_open_jobs_per_lease=2, max_header_bytes=60)
    chain = ComputeChain(compute_genesis(params), kinds=("gemm",))
    assert code(chain.fails(submit_msg(MLP))) == ("compute", 7)  # over max_header_bytes
    chain.block(chain.params_msg(max_header_bytes=4_096), order_msg(REQUESTER))  # lease 2: pending
    assert code(chain.fails(submit_msg(lease=2))) == ("compute", 3)  # not accepted yet
    assert code(chain.fails(submit_msg(lease=9))) == ("compute", 3)  # no such lease
    assert code(chain.fails(submit_msg(MLP))) == ("compute", 5)  # the offer serves gemm only
    assert code(chain.fails(submit_msg(deadline=51))) == ("compute", 8)
    wrong_denom = msgspec.structs.replace(submit_msg(), price=Coin("uatom", 5))
    assert code(chain.fails(wrong_denom)) == ("sdk", 10)
    assert code(chain.fails(submit_msg(price=FUNDS * 2))) == ("sdk", 5)
    stranger = msgspec.structs.replace(submit_msg(), requester=WATCHER.address)
    assert code(chain.fails(stranger)) == ("compute", 4)
    chain.block(submit_msg(), submit_msg())
    assert code(chain.fails(submit_msg())) == ("compute", 6)  # two open jobs on the lease
    chain.block(MsgCloseLease(REQUESTER.address, LEASE))
    assert code(chain.fails(submit_msg())) == ("compute", 3)  # closed
    assert chain.broken() == []


def test_invalid_submit_job_too_large_to_prove() -> None:
    """A job is refused when some fraud proof or dispute of it could exceed max_proof_bytes
    (64,512 by default): supplied K = 32,768 (two K-byte lines in a fraud proof), rows of 16,384
    entries (a dispute carries one), an mlp layer reading 16,384-entry rows of the layer before."""
    chain = ComputeChain()
    root = bytes(32)

    def submit(header: JobHeader) -> MsgSubmitJob:
        return MsgSubmitJob(REQUESTER.address, LEASE, msgspec.msgpack.encode(header), 10, Coin(DENOM, PRICE))

    supplied = GemmHeader(m=64, k=32_768, n=64, bound=1, a_root=root, b_root=root)
    error = chain.fails(submit(supplied))
    assert code(error) == ("compute", 25)
    assert f"a fraud proof could take {max_fraud_proof_bytes(supplied)} bytes" in str(error)
    assert "more than max_proof_bytes 64512" in str(error)
    wide = GemmHeader(m=4, k=64, n=16_384, bound=8)
    error = chain.fails(submit(wide))
    assert code(error) == ("compute", 25) and "a dispute could take" in str(error)
    deep = MlpHeader(rows=4, widths=[8, 16_384, 8], shifts=[4, 4], weight_bound=2, bias_bound=0)
    assert code(chain.fails(submit(deep))) == ("compute", 25)
    # Seeded operands are regenerated by the checker: K = 262,144 takes a proof of about 1 KiB.
    chain.block(submit(GemmHeader(m=64, k=262_144, n=64, bound=4)))
    # 1 x K x 1 with both operands supplied: 49 + (13 + 4) + 2 (13 + K) = 2K + 92 bytes.
    chain.block(submit(GemmHeader(m=1, k=32_210, n=1, bound=1, a_root=root, b_root=root)))
    over = GemmHeader(m=1, k=32_211, n=1, bound=1, a_root=root, b_root=root)
    assert code(chain.fails(submit(over))) == ("compute", 25)
    chain.block(chain.params_msg(max_proof_bytes=2 * 32_211 + 92))
    chain.block(submit(over))
    assert chain.keeper.last_job_id(chain.store) == 3
    assert chain.broken() == []


def test_a_provider_with_open_jobs_cannot_exit() -> None:
    chain = ComputeChain()
    chain.submit(deadline=2)
    assert code(chain.fails(MsgExitProvider(PROVIDER.address))) == ("compute", 20)
    chain.blocks(2)  # the deadline passes: provider_fault settles the job
    chain.block(MsgExitProvider(PROVIDER.address))


# -- results -------------------------------------------------------------------------------------


def test_submit_result_commits_and_a_committee_follows_in_the_next_block() -> None:
    chain = ComputeChain()
    job_id = chain.submit()
    work = honest()
    chain.block(result_msg(job_id, work))
    job = chain.job(job_id)
    assert job.state == JobState.COMMITTED and job.result is not None
    assert (job.result.result_root, job.result.energy_mj, job.result.energy_known) == (
        work.result_root,
        1_500,
        True,
    )
    assert job.committee is None
    chain.block()
    job = chain.job(job_id)
    assert job.state == JobState.VERIFYING and job.committee is not None and job.result is not None
    assert job.committee.sampled_height == job.result.height + 1
    [event] = chain.event_list("committee_assigned")
    assert event["beacon"] == job.committee.beacon.hex() and len(event["members"].split(",")) == 3
    assert chain.broken() == []


def test_invalid_submit_result() -> None:
    params = msgspec.structs.replace(PARAMS, max_jobs_per_block=1)
    chain = ComputeChain(compute_genesis(params))
    work = honest()
    assert code(chain.fails(result_msg(1, work))) == ("compute", 2)
    chain.block(submit_msg(deadline=2), submit_msg(deadline=2), submit_msg(deadline=2))
    stranger = msgspec.structs.replace(result_msg(1, work), provider=REQUESTER.address)
    assert code(chain.fails(stranger)) == ("compute", 9)
    chain.block(result_msg(1, work))
    assert code(chain.fails(result_msg(1, work))) == ("compute", 10)  # committed already
    chain.block()  # the deadline: one fault per block, so job 3 waits, still pending
    assert [chain.job(i).state for i in (2, 3)] == [JobState.PROVIDER_FAULT, JobState.PENDING]
    assert code(chain.fails(result_msg(3, work))) == ("compute", 11)
    chain.block()
    assert chain.job(3).state == JobState.PROVIDER_FAULT
    assert code(chain.fails(result_msg(3, work))) == ("compute", 10)
    assert chain.broken() == []


def test_a_missed_deadline_refunds_the_requester_and_closes_the_lease() -> None:
    chain = ComputeChain()
    reputation = chain.reputation()
    requester = chain.balance(REQUESTER)
    job_id = chain.submit(deadline=3)
    deadline = chain.job(job_id).deadline_height
    chain.until(deadline)
    chain.block(result_msg(job_id, honest()))  # at the deadline height: still in time
    assert chain.job(job_id).state == JobState.COMMITTED
    late = chain.submit(deadline=1)
    chain.block()
    job = chain.job(late)
    assert job.state == JobState.PROVIDER_FAULT and job.verdict_height == job.deadline_height
    [verdict] = chain.event_list("job_verdict")
    assert verdict["verdict"] == "provider_fault" and verdict["refunded"] == str(PRICE)
    assert chain.lease_reason() == CloseReason.PROVIDER_FAULT
    # Compute's penalty and the market's, for the lease it closed.
    assert chain.reputation() == reputation - PARAMS.fault_reputation_penalty - MARKET_PARAMS.reputation_fault
    assert chain.collateral() == COLLATERAL - MARKET_PARAMS.fault_penalty
    lease_refund = chain.event_list("lease_closed")[0]["refunded"]
    penalty = MARKET_PARAMS.fault_penalty
    assert chain.balance(REQUESTER) == requester - PRICE + int(lease_refund) + penalty  # job 1 still held
    assert chain.deposits() == PRICE
    assert chain.broken() == []


def test_a_missed_deadline_may_leave_the_lease_open() -> None:
    chain = ComputeChain(compute_genesis(msgspec.structs.replace(PARAMS, fault_closes_lease=False)))
    chain.submit(deadline=1)
    chain.block()
    assert chain.job(1).state == JobState.PROVIDER_FAULT
    assert chain.lease_reason() is None
    assert chain.broken() == []
