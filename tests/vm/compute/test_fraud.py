"""A fraud proof shows a result wrong: the provider's collateral is slashed (shares to the
requester and the prover, the rest burnt), the requester refunded, the lease closed, and every
member that attested the result valid slashed and jailed."""

from __future__ import annotations

import msgspec
import numpy as np

from gpu.jobs import GemmSpec
from gpu.proofs import Attestation, encode_attestation
from tests.vm.compute.helpers import (
    COLLATERAL,
    GEMM,
    JAIL_NS,
    PARAMS,
    PRICE,
    REQUESTER,
    WATCHER,
    ComputeChain,
    compute_genesis,
    corrupted,
    fraud_msg,
    fraud_proof,
    honest,
    result_msg,
)
from tests.vm.helpers import DENOM, raw
from tests.vm.market.helpers import PARAMS as MARKET_PARAMS
from tests.vm.staking.vectors import valoper
from vm.compute.msgs import NO_CR_ROOT, MsgAttest, MsgSubmitFraudProof
from vm.compute.types import JobState
from vm.context import Context
from vm.errors import InvalidTx
from vm.gas import GasMeter
from vm.market.types import CloseReason
from vm.slashing.msgs import MsgUnjail
from vm.store.cache import CacheStore

HALF = COLLATERAL // 2  # provider_slash_fraction 0.5
TO_REQUESTER, TO_PROVER = HALF // 2, HALF // 5  # 50% and 20% of what is taken
BURNT = HALF - TO_REQUESTER - TO_PROVER


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def test_a_proven_wrong_result_slashes_the_provider_and_the_members_that_called_it_valid() -> None:
    chain = ComputeChain()
    job_id, wrong = chain.submit(), corrupted(honest(), 0, 7, 9)
    chain.commit(job_id, wrong)
    first, second, idle = chain.members(job_id)
    chain.block(chain.attest(job_id, wrong, first), chain.attest(job_id, wrong, second))
    stakes = {k: chain.validator(k).tokens for k in (first, second, idle)}
    requester, prover, supply = (
        chain.balance(REQUESTER),
        chain.balance(WATCHER),
        chain.bank.get_supply(chain.store, DENOM),
    )
    reputation = chain.reputation()
    chain.block(fraud_msg(job_id, wrong, 0, 7, 9))
    job = chain.job(job_id)
    assert job.state == JobState.INVALID and job.fraud is not None
    assert (job.fraud.prover, job.fraud.height) == (raw(WATCHER), job.verdict_height)
    # The provider: half its collateral, shared out and burnt; reputation down twice (compute's
    # penalty, and the market's for the lease it closed as slashed).
    assert chain.collateral() == COLLATERAL - HALF
    lease_refund = int(chain.event_list("lease_closed")[0]["refunded"])
    assert chain.balance(REQUESTER) == requester + PRICE + TO_REQUESTER + lease_refund
    assert chain.balance(WATCHER) == prover + TO_PROVER
    assert chain.lease_reason() == CloseReason.SLASHED
    assert (
        chain.reputation()
        == reputation - PARAMS.invalid_reputation_penalty - MARKET_PARAMS.reputation_slashed
    )
    [proven] = chain.event_list("fraud_proven")
    assert proven["slashed"] == f"{HALF}{DENOM}" and proven["burned"] == str(BURNT)
    assert (proven["tensor"], proven["row"], proven["col"]) == ("0", "7", "9")
    # The members: both that attested valid lose 10% and are jailed; the idle one nothing.
    for member in (first, second):
        validator = chain.validator(member)
        assert validator.jailed and validator.tokens == stakes[member] - stakes[member] // 10
    assert chain.validator(idle).tokens == stakes[idle] and not chain.validator(idle).jailed
    slashed = chain.event_list("attester_slashed")
    assert {e["member"] for e in slashed} == {first.address, second.address}
    assert all(e["reason"] == "false_attestation" and e["jailed"] == "true" for e in slashed)
    burnt_stake = sum(int(e["burned"]) for e in slashed)
    assert burnt_stake == stakes[first] // 10 + stakes[second] // 10
    assert chain.bank.get_supply(chain.store, DENOM) == supply - BURNT - burnt_stake
    [verdict] = chain.event_list("job_verdict")
    assert verdict["verdict"] == "invalid" and verdict["refunded"] == str(PRICE)
    assert chain.deposits() == 0
    assert chain.broken() == []
    # The window passes without a second verdict or any liveness penalty.
    chain.blocks(PARAMS.challenge_window_blocks)
    assert len(chain.event_list("job_verdict")) == 1 and len(chain.event_list("attester_slashed")) == 2


def test_a_member_jailed_for_a_false_attestation_unjails_after_the_jail_time() -> None:
    chain = ComputeChain()
    job_id, wrong = chain.submit(), corrupted(honest(), 0, 0, 0)
    chain.commit(job_id, wrong)
    member = chain.members(job_id)[0]
    chain.block(chain.attest(job_id, wrong, member))
    jailed_at = chain.time_ns
    chain.block(fraud_msg(job_id, wrong, 0, 0, 0))
    info = chain.registry.keeper("slashing").get_signing_info(
        chain.store, chain.validator(member).cons_address
    )
    assert info.jailed_until.ns() == jailed_at + JAIL_NS and not info.tombstoned
    assert code(chain.fails(MsgUnjail(valoper(member)))) == ("slashing", 4)
    while chain.time_ns < jailed_at + JAIL_NS:
        chain.block()
    chain.block(MsgUnjail(valoper(member)))
    assert not chain.validator(member).jailed


def test_a_fraud_proof_before_the_committee_is_sampled() -> None:
    chain = ComputeChain()
    job_id, wrong = chain.submit(), corrupted(honest(), 0, 31, 31)
    chain.block(result_msg(job_id, wrong), fraud_msg(job_id, wrong, 0, 31, 31))
    job = chain.job(job_id)
    assert job.state == JobState.INVALID and job.committee is None
    chain.block()  # the committee it was queued for is not sampled
    assert chain.job(job_id).committee is None and chain.event_list("committee_assigned") == []
    assert chain.broken() == []


def test_a_member_that_attests_fraud_proves_it_and_takes_the_provers_share() -> None:
    chain = ComputeChain()
    job_id, wrong = chain.submit(), corrupted(honest(), 0, 2, 3, delta=-5)
    chain.commit(job_id, wrong)
    member = chain.members(job_id)[1]
    before = chain.balance(member)
    fraud = encode_attestation(Attestation("fraud", 3, wrong.result_root, NO_CR_ROOT))
    chain.block(MsgAttest(member.address, job_id, fraud, fraud_proof(wrong, 0, 2, 3)))
    job = chain.job(job_id)
    assert job.state == JobState.INVALID and job.fraud is not None and job.fraud.prover == raw(member)
    assert chain.balance(member) == before + TO_PROVER
    assert not chain.validator(member).jailed
    record = chain.keeper.get_attestation(chain.store, job_id, raw(member))
    assert record is not None and not record.counts() and not record.punished
    assert chain.broken() == []


def test_a_wrong_result_on_supplied_data() -> None:
    """Supplied operands are opened line by line against the header's input roots."""
    rng = np.random.default_rng(7)
    a = rng.integers(-3, 4, (16, 40), dtype=np.int8)
    b = rng.integers(-3, 4, (40, 8), dtype=np.int8)
    spec = GemmSpec(m=16, k=40, n=8, bound=3, a=a.tobytes(), b=b.tobytes())
    chain = ComputeChain()
    job_id, wrong = chain.submit(spec), corrupted(honest(spec), 0, 5, 6)
    chain.commit(job_id, wrong)
    assert code(chain.fails(fraud_msg(job_id, wrong, 0, 5, 5))) == ("compute", 15)  # a correct entry
    chain.block(fraud_msg(job_id, wrong, 0, 5, 6))
    assert chain.job(job_id).state == JobState.INVALID


def test_a_proven_wrong_result_may_leave_the_lease_open() -> None:
    chain = ComputeChain(compute_genesis(msgspec.structs.replace(PARAMS, slash_closes_lease=False)))
    job_id, wrong = chain.submit(), corrupted(honest(), 0, 1, 2)
    chain.commit(job_id, wrong)
    chain.block(fraud_msg(job_id, wrong, 0, 1, 2))
    assert chain.job(job_id).state == JobState.INVALID and chain.lease_reason() is None


def test_a_fraud_proof_pays_for_its_check() -> None:
    """Gas: the base and a charge per entry of the K-long row and column it recomputes."""
    chain = ComputeChain()
    job_id, wrong = chain.submit(), corrupted(honest(), 0, 4, 4)
    chain.commit(job_id, wrong)
    msg = fraud_msg(job_id, wrong, 0, 4, 4)
    needed = PARAMS.fraud_proof_gas_base + PARAMS.fraud_proof_gas_per_entry * GEMM.k
    short = Context(CacheStore(chain.store), chain.env(), GasMeter(needed - 1))
    try:
        chain.registry.route(short, msg)
    except InvalidTx as error:
        assert code(error) == ("sdk", 11)
    else:
        raise AssertionError("the check ran without its gas")
    enough = Context(CacheStore(chain.store), chain.env(), GasMeter(needed + 10**6))
    chain.registry.route(enough, msg)
    assert enough.gas.consumed >= needed


def test_invalid_submit_fraud_proof() -> None:
    chain = ComputeChain()
    work = honest()
    wrong = corrupted(work, 0, 3, 3)
    proof = fraud_proof(wrong, 0, 3, 3)
    assert code(chain.fails(MsgSubmitFraudProof(WATCHER.address, 9, proof))) == ("compute", 2)
    pending = chain.submit()
    assert code(chain.fails(MsgSubmitFraudProof(WATCHER.address, pending, proof))) == ("compute", 10)
    honest_job = chain.submit()
    chain.commit(honest_job, work)
    # Against a correct result no proof holds: an entry that is right, or another result's.
    assert code(chain.fails(MsgSubmitFraudProof(WATCHER.address, honest_job, proof))) == ("compute", 15)
    own_entry = fraud_proof(work, 0, 3, 3)
    assert code(chain.fails(MsgSubmitFraudProof(WATCHER.address, honest_job, own_entry))) == ("compute", 15)
    wrong_job = chain.submit()
    chain.commit(wrong_job, wrong)
    chain.block(MsgSubmitFraudProof(WATCHER.address, wrong_job, proof))
    again = MsgSubmitFraudProof(WATCHER.address, wrong_job, proof)
    assert code(chain.fails(again)) == ("compute", 10)  # settled: invalid once
    assert chain.broken() == []
