"""Disputes of attestations: a member whose attested C r entry is shown wrong (one entry, its
row of C opened against the result, recomputed on chain in O(N)) is slashed and jailed, its
attestation stops counting, and the disputer is paid from the PoUW pool."""

from __future__ import annotations

import msgspec

from gpu.attestation import CrCommitment
from node.keys.hd import PrivateKey
from tests.vm.compute.helpers import (
    PARAMS,
    VALIDATORS,
    WATCHER,
    ComputeChain,
    Work,
    compute_genesis,
    corrupted,
    dispute_msg,
    fraud_msg,
    honest,
    member_cr,
    result_msg,
)
from tests.vm.helpers import raw
from vm.compute.types import JobState
from vm.context import Context
from vm.errors import InvalidTx
from vm.gas import GasMeter
from vm.store.cache import CacheStore

EVERYONE = msgspec.structs.replace(PARAMS, committee_size=4)
WRONG_AT = (0, 1, 4)  # tensor, round, row


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def verifying(chain: ComputeChain, work: Work) -> int:
    job_id = chain.submit()
    chain.commit(job_id, work)
    return job_id


def cr_of(
    chain: ComputeChain, job_id: int, work: Work, member: PrivateKey, wrong: bool = False
) -> CrCommitment:
    committee = chain.job(job_id).committee
    assert committee is not None
    return member_cr(work, raw(member), committee.beacon, wrong_at=WRONG_AT if wrong else None)


def test_a_wrong_c_r_entry_is_disputed_and_the_member_punished() -> None:
    chain = ComputeChain(compute_genesis(EVERYONE))
    work = honest()
    job_id = verifying(chain, work)
    v400, v300, v200, _ = VALIDATORS
    lazy = cr_of(chain, job_id, work, v300, wrong=True)
    chain.block(
        *(chain.attest(job_id, work, m) for m in (v400, v200)), chain.attest(job_id, work, v300, lazy)
    )
    assert chain.keeper.valid_power(chain.store, chain.job(job_id)) == 900
    pool, disputer = chain.pool(), chain.balance(WATCHER)
    chain.block(dispute_msg(job_id, work, v300, lazy, *WRONG_AT))
    validator = chain.validator(v300)
    assert validator.jailed and validator.tokens == 270
    record = chain.keeper.get_attestation(chain.store, job_id, raw(v300))
    assert record is not None and record.punished and record.dispute is not None
    assert record.dispute.disputer == raw(WATCHER) and not record.counts()
    assert chain.balance(WATCHER) == disputer + PARAMS.dispute_reward
    assert chain.pool() == pool - PARAMS.dispute_reward
    [disputed] = chain.event_list("attestation_disputed")
    assert disputed["member"] == v300.address and disputed["reward"] == str(PARAMS.dispute_reward)
    [slashed] = chain.event_list("attester_slashed")
    assert slashed["reason"] == "false_attestation" and slashed["jailed"] == "true"
    # 600 of 1,000 still count: not more than two thirds.
    assert chain.keeper.valid_power(chain.store, chain.job(job_id)) == 600
    chain.blocks(PARAMS.challenge_window_blocks)
    assert chain.job(job_id).state == JobState.UNVERIFIED
    assert chain.broken() == []


def test_an_honest_attestation_survives_a_dispute() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    member = chain.members(job_id)[0]
    cr = cr_of(chain, job_id, work, member)
    chain.block(chain.attest(job_id, work, member, cr))
    for tensor, round_index, row in ((0, 0, 0), (0, 2, 31), WRONG_AT):
        error = chain.fails(dispute_msg(job_id, work, member, cr, tensor, round_index, row))
        assert code(error) == ("compute", 16) and "is correct" in error.log
    assert not chain.validator(member).jailed


def test_only_the_wrong_entry_of_a_lazy_commitment_is_disputable() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    member = chain.members(job_id)[0]
    lazy = cr_of(chain, job_id, work, member, wrong=True)
    chain.block(chain.attest(job_id, work, member, lazy))
    assert code(chain.fails(dispute_msg(job_id, work, member, lazy, 0, 1, 3))) == ("compute", 16)
    chain.block(dispute_msg(job_id, work, member, lazy, *WRONG_AT))
    assert chain.validator(member).jailed


def test_a_copied_attestation_is_disputed() -> None:
    """Another member's C r is for its own vectors: any entry shows the copy wrong."""
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    honest_member, copier, _ = chain.members(job_id)
    cr = cr_of(chain, job_id, work, honest_member)
    chain.block(chain.attest(job_id, work, honest_member, cr), chain.attest(job_id, work, copier, cr))
    assert code(chain.fails(dispute_msg(job_id, work, honest_member, cr, 0, 0, 0))) == ("compute", 16)
    chain.block(dispute_msg(job_id, work, copier, cr, 0, 0, 0))
    assert chain.validator(copier).jailed and not chain.validator(honest_member).jailed


def test_a_member_is_punished_once_per_job() -> None:
    """Disputed, then the result proven wrong: the disputed member is not slashed again."""
    chain = ComputeChain()
    wrong = corrupted(honest(), 0, 9, 9)
    job_id = verifying(chain, wrong)
    lazy_member, other, _ = chain.members(job_id)
    lazy = cr_of(chain, job_id, wrong, lazy_member, wrong=True)
    chain.block(chain.attest(job_id, wrong, lazy_member, lazy), chain.attest(job_id, wrong, other))
    chain.block(dispute_msg(job_id, wrong, lazy_member, lazy, *WRONG_AT))
    assert code(chain.fails(dispute_msg(job_id, wrong, lazy_member, lazy, *WRONG_AT))) == ("compute", 18)
    chain.block(fraud_msg(job_id, wrong, 0, 9, 9))
    slashed = [e["member"] for e in chain.event_list("attester_slashed")]
    assert sorted(slashed) == sorted([lazy_member.address, other.address])
    assert chain.broken() == []


def test_the_dispute_reward_is_capped_by_the_pool() -> None:
    chain = ComputeChain(compute_genesis(pool=0))
    work = honest()
    job_id = verifying(chain, work)
    member = chain.members(job_id)[0]
    lazy = cr_of(chain, job_id, work, member, wrong=True)
    chain.block(chain.attest(job_id, work, member, lazy))
    chain.block(dispute_msg(job_id, work, member, lazy, *WRONG_AT))
    assert chain.event_list("attestation_disputed")[0]["reward"] == "0"
    assert chain.validator(member).jailed


def test_a_dispute_pays_for_its_check() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    member = chain.members(job_id)[0]
    lazy = cr_of(chain, job_id, work, member, wrong=True)
    chain.block(chain.attest(job_id, work, member, lazy))
    msg = dispute_msg(job_id, work, member, lazy, *WRONG_AT)
    needed = PARAMS.dispute_gas_base + PARAMS.dispute_gas_per_entry * work.outputs[0].shape[1]
    short = Context(CacheStore(chain.store), chain.env(), GasMeter(needed - 1))
    try:
        chain.registry.route(short, msg)
    except InvalidTx as error:
        assert code(error) == ("sdk", 11)
    else:
        raise AssertionError("the check ran without its gas")


def test_invalid_dispute_attestation() -> None:
    chain = ComputeChain()
    work = honest()
    pending = chain.submit()
    job_id = verifying(chain, work)
    honest_member, lazy_member, _ = chain.members(job_id)
    honest_cr = cr_of(chain, job_id, work, honest_member)
    lazy = cr_of(chain, job_id, work, lazy_member, wrong=True)
    assert code(chain.fails(dispute_msg(99, work, lazy_member, lazy, *WRONG_AT))) == ("compute", 2)
    assert code(chain.fails(dispute_msg(pending, work, lazy_member, lazy, *WRONG_AT))) == ("compute", 10)
    assert code(chain.fails(dispute_msg(job_id, work, lazy_member, lazy, *WRONG_AT))) == ("compute", 17)
    honest_attestation = chain.attest(job_id, work, honest_member, honest_cr)
    chain.block(honest_attestation, chain.attest(job_id, work, lazy_member, lazy))
    # An opening of another member's tree does not lead to this member's root.
    mixed = dispute_msg(job_id, work, honest_member, lazy, *WRONG_AT)
    assert code(chain.fails(mixed)) == ("compute", 16)
    committee = chain.job(job_id).committee
    assert committee is not None
    chain.until(committee.window_end_height + 1)
    assert code(chain.fails(dispute_msg(job_id, work, lazy_member, lazy, *WRONG_AT))) == ("compute", 10)


def test_disputes_close_at_the_end_of_the_window_even_before_the_verdict() -> None:
    """A verdict left for the next block by the per-block budget takes no more disputes."""
    chain = ComputeChain()
    work = honest()
    first, second = chain.submit(), chain.submit()
    chain.block(result_msg(first, work), result_msg(second, work))
    chain.block()  # both committees, one window
    member = chain.members(second)[0]
    lazy = cr_of(chain, second, work, member, wrong=True)
    chain.block(chain.attest(second, work, member, lazy), chain.params_msg(max_jobs_per_block=1))
    committee = chain.job(second).committee
    assert committee is not None
    chain.until(committee.window_end_height + 1)
    assert [chain.job(i).state for i in (first, second)] == [JobState.UNVERIFIED, JobState.VERIFYING]
    assert code(chain.fails(dispute_msg(second, work, member, lazy, *WRONG_AT))) == ("compute", 11)
    chain.block()
    assert chain.job(second).state == JobState.UNVERIFIED
    assert chain.broken() == []
