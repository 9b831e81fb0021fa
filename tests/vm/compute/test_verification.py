"""Committees attest; at the end of the window the verdict is valid with more than two thirds
of the committee's power attesting valid, else unverified; missed attestations cost stake."""

from __future__ import annotations

import msgspec

from gpu.proofs import Attestation, encode_attestation
from tests.vm.compute.helpers import (
    PARAMS,
    PRICE,
    PROVIDER,
    REQUESTER,
    VALIDATORS,
    ComputeChain,
    compute_genesis,
    corrupted,
    fraud_proof,
    honest,
    member_cr,
    result_msg,
)
from tests.vm.helpers import raw
from vm.compute.msgs import NO_CR_ROOT, MsgAttest
from vm.compute.types import JobState
from vm.errors import InvalidTx

EVERYONE = msgspec.structs.replace(PARAMS, committee_size=4)  # all four validators but Alice


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def test_valid_result_pays_the_provider_rewards_it_and_records_its_work() -> None:
    chain = ComputeChain()
    job_id, work = chain.submit(), honest()
    provider, pool, reputation = chain.balance(PROVIDER), chain.pool(), chain.reputation()
    chain.commit(job_id, work)
    members = chain.members(job_id)
    chain.block(*(chain.attest(job_id, work, m) for m in members))
    assert len(chain.event_list("attested")) == 3
    committee = chain.job(job_id).committee
    assert committee is not None
    chain.until(committee.window_end_height)
    assert chain.job(job_id).state == JobState.VERIFYING  # the window's last block is still open
    chain.block()
    job = chain.job(job_id)
    reward = job.work_units  # reward_per_gigaunit = 10^9: one udepin per multiply-add
    assert (job.state, job.verdict_height) == (JobState.VALID, committee.window_end_height)
    assert chain.balance(PROVIDER) == provider + PRICE + reward
    assert chain.pool() == pool - reward
    assert chain.deposits() == 0
    assert chain.reputation() == reputation + PARAMS.valid_reputation_reward
    stats = chain.keeper.get_stats(chain.store, raw(PROVIDER))
    assert stats is not None
    assert (stats.verified_jobs, stats.verified_work_units, stats.energy_mj, stats.energy_jobs) == (
        1,
        reward,
        1_500,
        1,
    )
    [verdict] = chain.event_list("job_verdict")
    assert verdict == {
        "job_id": "1",
        "provider": PROVIDER.address,
        "requester": REQUESTER.address,
        "verdict": "valid",
        "paid": str(PRICE),
        "reward": str(reward),
        "refunded": "0",
        "reason": "",
    }
    assert chain.lease_reason() is None  # the lease runs on
    assert chain.broken() == []


def test_the_reward_is_capped_by_the_pool() -> None:
    chain = ComputeChain(compute_genesis(pool=1_000))
    job_id, work = chain.submit(), honest()
    chain.commit(job_id, work)
    chain.block(*(chain.attest(job_id, work, m) for m in chain.members(job_id)))
    chain.blocks(PARAMS.challenge_window_blocks)
    assert chain.job(job_id).state == JobState.VALID
    assert chain.event_list("job_verdict")[0]["reward"] == "1000"
    assert chain.pool() == 0


def test_two_thirds_of_the_power_is_not_enough_more_is() -> None:
    """Powers 400, 300, 200 and 100: 600 of 1,000 is not more than two thirds, 700 is."""
    chain = ComputeChain(compute_genesis(EVERYONE))
    work = honest()
    first, second = chain.submit(), chain.submit()
    chain.block(result_msg(first, work), result_msg(second, work))
    chain.block()
    v400, v300, v200, _ = VALIDATORS
    chain.block(
        *(chain.attest(first, work, m) for m in (v400, v200)),
        *(chain.attest(second, work, m) for m in (v400, v300)),
    )
    chain.blocks(PARAMS.challenge_window_blocks)
    assert [chain.job(i).state for i in (first, second)] == [JobState.UNVERIFIED, JobState.VALID]
    verdicts = {e["job_id"]: e for e in chain.event_list("job_verdict")}
    assert verdicts["1"]["verdict"] == "unverified" and verdicts["1"]["refunded"] == str(PRICE)
    assert chain.broken() == []


def test_unverified_refunds_without_blame() -> None:
    chain = ComputeChain()
    job_id, work = chain.submit(), honest()
    requester, reputation = chain.balance(REQUESTER), chain.reputation()
    chain.commit(job_id, work)
    chain.block(chain.attest(job_id, work, chain.members(job_id)[0]))
    chain.blocks(PARAMS.challenge_window_blocks)
    assert chain.job(job_id).state == JobState.UNVERIFIED
    assert chain.balance(REQUESTER) == requester + PRICE
    assert chain.reputation() == reputation
    assert chain.keeper.get_stats(chain.store, raw(PROVIDER)) is None
    assert chain.lease_reason() is None
    assert chain.broken() == []


def test_members_that_do_not_attest_lose_the_liveness_fraction() -> None:
    chain = ComputeChain(compute_genesis(EVERYONE))
    job_id, work = chain.submit(), honest()
    chain.commit(job_id, work)
    v400, v300, v200, v100 = VALIDATORS
    chain.block(*(chain.attest(job_id, work, m) for m in (v400, v300)))
    job = chain.job(job_id)
    assert job.committee is not None
    chain.until(job.committee.attest_deadline_height)
    late = chain.attest(job_id, work, v200)
    chain.block()  # the attest deadline's block: missed attestations are settled at its end
    assert code(chain.fails(late)) == ("compute", 11)
    slashed = {e["member"]: e for e in chain.event_list("attester_slashed")}
    assert set(slashed) == {v200.address, v100.address}
    assert all(e["reason"] == "missed_attestation" and e["jailed"] == "false" for e in slashed.values())
    assert (chain.validator(v200).tokens, chain.validator(v100).tokens) == (198, 99)  # 1% of each
    assert chain.validator(v400).tokens == 400 and not chain.validator(v200).jailed
    committee = chain.job(job_id).committee
    assert committee is not None and committee.attest_closed
    chain.blocks(PARAMS.challenge_window_blocks)
    assert chain.job(job_id).state == JobState.VALID  # 700 of 1,000 attested valid
    assert len(chain.event_list("attester_slashed")) == 2  # once per job
    assert chain.broken() == []


def test_committee_rounds_are_fixed_when_it_is_sampled() -> None:
    chain = ComputeChain()
    job_id, work = chain.submit(), honest()
    chain.commit(job_id, work)
    chain.block(chain.params_msg(freivalds_rounds=4))
    member = chain.members(job_id)[0]
    chain.block(chain.attest(job_id, work, member))  # 3 rounds, as the committee was sampled with
    later = chain.submit()
    chain.commit(later, work)
    committee = chain.job(later).committee
    assert committee is not None and committee.rounds == 4


def test_invalid_attest() -> None:
    chain = ComputeChain()
    work = honest()
    pending = chain.submit()
    job_id = chain.submit()
    chain.commit(job_id, work)
    members = chain.members(job_id)
    outsider = next(v for v in VALIDATORS if v not in members)
    committee = chain.job(job_id).committee
    assert committee is not None
    cr = member_cr(work, raw(members[0]), committee.beacon)

    def attestation(root: bytes = work.result_root, rounds: int = 3) -> bytes:
        return encode_attestation(Attestation("valid", rounds, root, cr.root))

    assert code(chain.fails(MsgAttest(members[0].address, 99, attestation(), b""))) == ("compute", 2)
    assert code(chain.fails(MsgAttest(members[0].address, pending, attestation(), b""))) == ("compute", 10)
    assert code(chain.fails(chain.attest(job_id, work, outsider))) == ("compute", 12)
    assert code(chain.fails(chain.attest(job_id, work, PROVIDER))) == ("compute", 12)
    other_root = MsgAttest(members[0].address, job_id, attestation(root=bytes(32)), b"")
    assert code(chain.fails(other_root)) == ("compute", 14)
    four_rounds = MsgAttest(members[0].address, job_id, attestation(rounds=4), b"")
    assert code(chain.fails(four_rounds)) == ("compute", 14)
    # A fraud verdict against a correct result: its proof does not hold.
    fraud = encode_attestation(Attestation("fraud", 3, work.result_root, NO_CR_ROOT))
    wrong = corrupted(work, 0, 1, 1)
    unproven = MsgAttest(members[0].address, job_id, fraud, fraud_proof(wrong, 0, 1, 1))
    assert code(chain.fails(unproven)) == ("compute", 15)
    chain.block(chain.attest(job_id, work, members[0]))
    assert code(chain.fails(chain.attest(job_id, work, members[0]))) == ("compute", 13)
    chain.until(committee.attest_deadline_height + 1)
    assert code(chain.fails(chain.attest(job_id, work, members[1]))) == ("compute", 11)
    chain.until(committee.window_end_height + 1)
    assert code(chain.fails(chain.attest(job_id, work, members[1]))) == ("compute", 10)
    assert chain.broken() == []


def test_a_result_with_no_eligible_validator_is_unverified() -> None:
    chain = ComputeChain()
    job_id, work = chain.submit(), honest()
    for validator in VALIDATORS:
        chain.staking.jail(chain.ctx(), chain.validator(validator).cons_address)
    chain.commit(job_id, work)
    committee = chain.job(job_id).committee
    assert committee is not None and committee.members == [] and committee.total_power == 0
    chain.blocks(PARAMS.challenge_window_blocks)
    assert chain.job(job_id).state == JobState.UNVERIFIED
