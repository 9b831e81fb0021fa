"""Committee sampling: deterministic from the beacon, by power without replacement, among
bonded validators that are not jailed, never the provider."""

from __future__ import annotations

import hashlib
from collections import Counter

import msgspec

from tests.vm.compute.helpers import (
    PARAMS,
    PROVIDER,
    VALIDATORS,
    ComputeChain,
    beacon_at,
    compute_genesis,
    honest,
    result_msg,
)
from tests.vm.helpers import raw
from vm.compute.committee import COMMITTEE_TAG, compute_draw_point, sample_committee
from vm.compute.types import Member

BEACON = bytes(range(32))
POWERS = [Member(bytes([n]) * 20, n) for n in (1, 2, 3, 4)]


def test_the_draw_point_is_the_documented_hash() -> None:
    digest = hashlib.sha256(
        b"depind/compute/committee/v1" + BEACON + (7).to_bytes(8, "big") + bytes(4)
    ).digest()
    assert COMMITTEE_TAG == b"depind/compute/committee/v1"
    assert compute_draw_point(BEACON, 7, 0, 10) == int.from_bytes(digest, "big") % 10
    assert compute_draw_point(BEACON, 7, 1, 10**18) != compute_draw_point(BEACON, 7, 0, 10**18)


def test_the_sample_is_deterministic_and_without_replacement() -> None:
    drawn = sample_committee(POWERS, 3, BEACON, 1)
    assert drawn == sample_committee(list(reversed(POWERS)), 3, BEACON, 1)  # input order is irrelevant
    assert len({m.operator for m in drawn}) == 3
    assert sample_committee(POWERS, 10, BEACON, 1) != []
    assert len(sample_committee(POWERS, 10, BEACON, 1)) == 4
    assert sample_committee([], 3, BEACON, 1) == []
    others = {
        tuple(m.operator for m in sample_committee(POWERS, 3, hashlib.sha256(b"%d" % i).digest(), 1))
        for i in range(20)
    }
    assert len(others) > 1  # another beacon, another committee


def test_the_first_draw_follows_the_power() -> None:
    firsts = Counter(sample_committee(POWERS, 1, BEACON, job_id)[0].power for job_id in range(4_000))
    for power in (1, 2, 3, 4):
        assert abs(firsts[power] / 4_000 - power / 10) < 0.03


def test_committees_are_drawn_from_bonded_validators_other_than_the_provider() -> None:
    """Alice, the provider, has the most power and is never drawn; with room for everyone the
    committee is the four other validators."""
    chain = ComputeChain(compute_genesis(msgspec.structs.replace(PARAMS, committee_size=10)))
    job_id, work = chain.submit(), honest()
    chain.commit(job_id, work)
    committee = chain.job(job_id).committee
    assert committee is not None
    assert sorted(m.operator for m in committee.members) == sorted(raw(v) for v in VALIDATORS)
    assert raw(PROVIDER) not in {m.operator for m in committee.members}
    assert committee.total_power == 1_000
    assert committee.beacon == beacon_at(committee.sampled_height)  # the sampling block's beacon


def test_jailed_validators_are_not_drawn() -> None:
    chain = ComputeChain(compute_genesis(msgspec.structs.replace(PARAMS, committee_size=10)))
    job_id, work = chain.submit(), honest()
    jailed = VALIDATORS[0]
    chain.staking.jail(chain.ctx(), chain.validator(jailed).cons_address)  # still in the last set
    chain.block(result_msg(job_id, work))  # staking's end block drops it from the set
    chain.block()
    committee = chain.job(job_id).committee
    assert committee is not None
    assert raw(jailed) not in {m.operator for m in committee.members} and len(committee.members) == 3


def test_the_same_chain_samples_the_same_committee() -> None:
    committees = []
    for _ in range(2):
        chain = ComputeChain()
        job_id = chain.submit()
        chain.commit(job_id, honest())
        committees.append(chain.job(job_id).committee)
    assert committees[0] == committees[1]
