"""consensus.tendermint.evidence: verifying, keeping and proposing double-sign evidence."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from consensus.merkle import merkle_root
from consensus.privval import verify
from consensus.tendermint.evidence import (
    EvidenceParams,
    EvidencePool,
    InvalidEvidence,
    decode_evidence,
    encode_evidence,
    evidence_hash,
)
from consensus.tendermint.messages import DuplicateVoteEvidence, duplicate_vote_evidence
from consensus.tendermint.votes import HeightVoteSet
from consensus.types import Block, Vote, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    KeySigner,
    make_block,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(4)
OUTSIDER = signers(1, seed=99)[0]
VALIDATORS = validator_set(KEYS, [10, 10, 10, 10])
HEIGHT = 10
A = make_block(HEIGHT, b"", [b"a"])
B = make_block(HEIGHT, b"", [b"b"])
PARAMS = EvidenceParams(max_age_num_blocks=100, max_bytes=1024 * 1024)


def validators_at(height: int) -> ValidatorSet | None:
    return VALIDATORS if 1 <= height <= HEIGHT + 1 else None


def new_pool(height: int = HEIGHT, params: EvidenceParams = PARAMS) -> EvidencePool:
    return EvidencePool(CHAIN_ID, params, validators_at, verify, height)


def vote(
    key: KeySigner, block: Block | None, round_: int = 0, vote_type: VoteType = VoteType.PREVOTE
) -> Vote:
    return signed_vote(key, VALIDATORS, vote_type, HEIGHT, round_, block).vote


def equivocation(key: KeySigner = KEYS[0], round_: int = 0) -> DuplicateVoteEvidence:
    return duplicate_vote_evidence(vote(key, A, round_), vote(key, B, round_), 10, 40)


def replace_votes(evidence: DuplicateVoteEvidence, **changes: Vote) -> DuplicateVoteEvidence:
    return msgspec.structs.replace(evidence, **changes)


def test_add_valid_evidence() -> None:
    pool = new_pool()
    evidence = equivocation()
    assert pool.add(evidence)
    assert pool.pending(PARAMS.max_bytes) == [evidence]


def test_evidence_found_by_the_vote_sets_is_valid() -> None:
    votes = HeightVoteSet(CHAIN_ID, HEIGHT, VALIDATORS, verify)
    votes.add(vote(KEYS[1], A, vote_type=VoteType.PRECOMMIT))
    found = votes.add(vote(KEYS[1], B, vote_type=VoteType.PRECOMMIT)).evidence
    assert found is not None
    assert new_pool().add(found)


def test_nil_and_block_vote_is_equivocation() -> None:
    evidence = duplicate_vote_evidence(vote(KEYS[2], None), vote(KEYS[2], A), 10, 40)
    assert new_pool().add(evidence)


def test_duplicate_is_kept_once() -> None:
    pool = new_pool()
    assert pool.add(equivocation())
    assert not pool.add(equivocation())
    assert pool.size() == 1


def test_encoding_round_trip_and_hash() -> None:
    evidence = equivocation()
    encoded = encode_evidence(evidence)
    assert decode_evidence(encoded) == evidence
    assert evidence_hash([encoded]) == merkle_root([encoded])
    assert evidence_hash([]) == merkle_root([])


def test_pending_fits_max_bytes_oldest_first() -> None:
    pool = new_pool()
    items = [equivocation(KEYS[0], round_) for round_ in range(3)]
    for item in items:
        pool.add(item)
    two = sum(len(encode_evidence(item)) for item in items[:2])
    assert pool.pending(two) == items[:2]
    assert pool.pending(two - 1) == items[:1]
    assert pool.pending(0) == []


def test_committed_evidence_leaves_the_pool_and_is_not_taken_again() -> None:
    pool = new_pool()
    evidence = equivocation()
    pool.add(evidence)
    pool.mark_committed([evidence])
    assert pool.pending(PARAMS.max_bytes) == []
    assert not pool.add(evidence)


def test_update_drops_expired_evidence() -> None:
    pool = new_pool()
    pending, committed = equivocation(KEYS[0]), equivocation(KEYS[1])
    pool.add(pending)
    pool.add(committed)
    pool.mark_committed([committed])
    pool.update(HEIGHT + PARAMS.max_age_num_blocks)
    assert pool.size() == 1
    pool.update(HEIGHT + PARAMS.max_age_num_blocks + 1)
    assert pool.size() == 0
    with pytest.raises(InvalidEvidence, match="expired"):
        pool.add(committed)  # forgotten once expired: refused for its age


def test_check_block_decodes_valid_evidence() -> None:
    pool = new_pool()
    pooled, fresh = equivocation(KEYS[0]), equivocation(KEYS[1])
    pool.add(pooled)
    assert pool.check_block([encode_evidence(pooled), encode_evidence(fresh)]) == [pooled, fresh]


# ---- rejections ---------------------------------------------------------------------------------


Tamper = Callable[[DuplicateVoteEvidence], DuplicateVoteEvidence]


def unsigned(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return replace_votes(evidence, vote_b=msgspec.structs.replace(evidence.vote_b, signature=b""))


def signed_by_other_key(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    forged = KEYS[1].sign_vote(CHAIN_ID, evidence.vote_b)  # keeps KEYS[0]'s address and index
    return replace_votes(evidence, vote_b=forged)


def by_two_validators(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    other = vote(KEYS[1], B)
    return duplicate_vote_evidence(evidence.vote_a, other, 10, 40)


def by_outsider(_: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return duplicate_vote_evidence(vote(OUTSIDER, A), vote(OUTSIDER, B), 10, 40)


def same_block(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return replace_votes(evidence, vote_b=evidence.vote_a)


def other_round(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return duplicate_vote_evidence(evidence.vote_a, vote(KEYS[0], B, round_=1), 10, 40)


def other_type(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    precommit = vote(KEYS[0], B, vote_type=VoteType.PRECOMMIT)
    return duplicate_vote_evidence(evidence.vote_a, precommit, 10, 40)


def swapped(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return replace_votes(evidence, vote_a=evidence.vote_b, vote_b=evidence.vote_a)


def wrong_power(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return msgspec.structs.replace(evidence, validator_power=40)


def wrong_index(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    votes = [msgspec.structs.replace(v, validator_index=3) for v in (evidence.vote_a, evidence.vote_b)]
    return replace_votes(evidence, vote_a=votes[0], vote_b=votes[1])


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (unsigned, "bad signature on vote_b"),
        (signed_by_other_key, "bad signature on vote_b"),
        (by_two_validators, "different validators"),
        (by_outsider, "is not a validator"),
        (same_block, "same block"),
        (other_round, "different"),
        (other_type, "different"),
        (swapped, "encodes first"),
        (wrong_power, "voting powers"),
        (wrong_index, "validator index 3"),
    ],
)
def test_invalid_evidence(tamper: Tamper, reason: str) -> None:
    evidence = tamper(equivocation())
    pool = new_pool()
    with pytest.raises(InvalidEvidence, match=reason):
        pool.add(evidence)
    assert pool.size() == 0


def test_invalid_expired() -> None:
    pool = new_pool(height=HEIGHT + PARAMS.max_age_num_blocks + 1)
    with pytest.raises(InvalidEvidence, match="expired"):
        pool.add(equivocation())


def test_invalid_from_a_future_height() -> None:
    with pytest.raises(InvalidEvidence, match="ahead of the chain"):
        new_pool(height=HEIGHT - 2).add(equivocation())


def test_invalid_without_a_known_validator_set() -> None:
    pool = EvidencePool(CHAIN_ID, PARAMS, lambda height: None, verify, HEIGHT)
    with pytest.raises(InvalidEvidence, match="no validator set"):
        pool.add(equivocation())


def test_invalid_duplicate_in_a_block() -> None:
    encoded = encode_evidence(equivocation())
    with pytest.raises(InvalidEvidence, match="repeated"):
        new_pool().check_block([encoded, encoded])


def test_invalid_committed_evidence_in_a_block() -> None:
    pool = new_pool()
    evidence = equivocation()
    pool.add(evidence)
    pool.mark_committed([evidence])
    with pytest.raises(InvalidEvidence, match="committed"):
        pool.check_block([encode_evidence(evidence)])


def test_invalid_block_evidence_over_max_bytes() -> None:
    encoded = encode_evidence(equivocation())
    pool = new_pool(params=EvidenceParams(PARAMS.max_age_num_blocks, max_bytes=len(encoded) - 1))
    with pytest.raises(InvalidEvidence, match="exceed the limit"):
        pool.check_block([encoded])


def test_invalid_undecodable_block_evidence() -> None:
    with pytest.raises(InvalidEvidence, match="undecodable"):
        new_pool().check_block([b"\x93garbage"])


def test_invalid_forged_evidence_in_a_block() -> None:
    with pytest.raises(InvalidEvidence, match="bad signature"):
        new_pool().check_block([encode_evidence(unsigned(equivocation()))])


def test_invalid_update_backwards() -> None:
    with pytest.raises(ValueError, match="cannot go back"):
        new_pool().update(HEIGHT - 1)
