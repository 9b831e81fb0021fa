"""consensus.tendermint.evidence: verifying, keeping and proposing double-sign evidence."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
import trio

from consensus.abci import Misbehavior
from consensus.merkle import merkle_root
from consensus.privval import verify
from consensus.tendermint.evidence import (
    DEFAULT_POOL_LIMITS,
    EvidenceParams,
    EvidencePool,
    EvidencePoolFull,
    InvalidEvidence,
    Offence,
    PoolLimits,
    decode_evidence,
    describe,
    encode_evidence,
    evidence_hash,
    evidence_id,
    misbehavior_of,
    offence_of,
)
from consensus.tendermint.messages import DuplicateVoteEvidence, duplicate_vote_evidence
from consensus.tendermint.votes import HeightVoteSet
from consensus.types import Block, Vote, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.memnet import Hub, memory_node
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
C = make_block(HEIGHT, b"", [b"c"])
PARAMS = EvidenceParams(max_age_num_blocks=100, max_bytes=1024 * 1024)
SECOND_NS = 10**9


def validators_at(height: int) -> ValidatorSet | None:
    return VALIDATORS if 1 <= height <= HEIGHT + 1 else None


def new_pool(
    height: int = HEIGHT, params: EvidenceParams = PARAMS, limits: PoolLimits = DEFAULT_POOL_LIMITS
) -> EvidencePool:
    return EvidencePool(CHAIN_ID, params, validators_at, verify, height, limits=limits)


def block_time(height: int) -> int | None:
    """A chain with one block a second: block h at h seconds."""
    return height * SECOND_NS if height >= 1 else None


def vote(
    key: KeySigner,
    block: Block | None,
    round_: int = 0,
    vote_type: VoteType = VoteType.PREVOTE,
    height: int = HEIGHT,
) -> Vote:
    return signed_vote(key, VALIDATORS, vote_type, height, round_, block).vote


def equivocation(key: KeySigner = KEYS[0], round_: int = 0) -> DuplicateVoteEvidence:
    return duplicate_vote_evidence(vote(key, A, round_), vote(key, B, round_), 10, 40)


def replace_votes(evidence: DuplicateVoteEvidence, **changes: Vote) -> DuplicateVoteEvidence:
    return msgspec.structs.replace(evidence, **changes)


def exactly(message: str) -> str:
    """A ``match`` pattern for this whole message and nothing else."""
    return f"^{re.escape(message)}$"


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


def test_pending_passes_over_evidence_of_the_height_being_decided() -> None:
    pool = new_pool(height=HEIGHT - 1)
    deciding, decided = pair(A, B), pair(A, B, height=HEIGHT - 1)
    assert pool.add(deciding)  # one height ahead of the chain: kept, not proposed yet
    assert pool.add(decided)
    assert pool.pending(PARAMS.max_bytes) == [decided]
    pool.update(HEIGHT, HEIGHT * SECOND_NS)
    assert pool.pending(PARAMS.max_bytes) == [deciding, decided]


def test_evidence_is_known_while_its_offence_is_pending_or_committed() -> None:
    pool = new_pool()
    pending, committed = pair(A, B), pair(A, B, key=KEYS[1])
    pool.add(pending)
    pool.mark_committed([committed])
    assert pool.is_known(pending)
    assert pool.is_known(pair(A, C))  # another pair for the pending offence
    assert pool.is_known(committed)
    assert not pool.is_known(pair(A, B, key=KEYS[2]))


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
    pool.update(HEIGHT + PARAMS.max_age_num_blocks, 0)
    assert pool.size() == 1
    pool.update(HEIGHT + PARAMS.max_age_num_blocks + 1, 0)  # no block times known: only blocks count
    assert pool.size() == 0
    with pytest.raises(InvalidEvidence, match="expired"):
        pool.add(committed)  # forgotten once expired: refused for its age


def test_check_block_decodes_valid_evidence() -> None:
    pool = new_pool()
    pooled, fresh = equivocation(KEYS[0]), equivocation(KEYS[1])
    pool.add(pooled)
    assert pool.check_block([encode_evidence(pooled), encode_evidence(fresh)]) == [pooled, fresh]


def test_a_block_pair_for_a_pooled_offence_is_checked_unless_it_is_the_pooled_bytes() -> None:
    """Only the very evidence the pool holds skips the check (it was checked when it came);
    a forged pair for the same offence is checked, and refused."""
    pool = new_pool()
    pool.add(pair(A, B))
    forged_vote = msgspec.structs.replace(vote(KEYS[0], C), signature=bytes(64))
    forged = duplicate_vote_evidence(vote(KEYS[0], A), forged_vote, 10, 40)
    with pytest.raises(InvalidEvidence, match="signature"):
        pool.check_block([encode_evidence(forged)])
    assert pool.check_block([encode_evidence(pair(A, B))]) == [pair(A, B)]


def test_pooled_evidence_in_a_block_is_not_verified_again() -> None:
    verified: list[bytes] = []

    def counting_verify(pub_key: bytes, message: bytes, signature: bytes) -> bool:
        verified.append(signature)
        return verify(pub_key, message, signature)

    pool = EvidencePool(CHAIN_ID, PARAMS, validators_at, counting_verify, HEIGHT)
    evidence = pair(A, B)
    pool.add(evidence)
    assert verified == [evidence.vote_a.signature, evidence.vote_b.signature]
    assert pool.check_block([encode_evidence(evidence)]) == [evidence]
    assert len(verified) == 2  # checked when it came


# ---- one item per offence -----------------------------------------------------------------------


def pair(
    first: Block | None, second: Block, key: KeySigner = KEYS[0], round_: int = 0, height: int = HEIGHT
) -> DuplicateVoteEvidence:
    first_vote, second_vote = (vote(key, block, round_, height=height) for block in (first, second))
    return duplicate_vote_evidence(first_vote, second_vote, 10, 40)


def test_one_offence_gives_one_item_however_many_conflicting_votes() -> None:
    pool = new_pool()
    assert pool.add(pair(A, B))
    for other in (pair(A, C), pair(B, C), pair(None, A)):  # the same prevote offence, other pairs
        assert not pool.add(other)
    assert pool.pending(PARAMS.max_bytes) == [pair(A, B)]


def test_other_rounds_and_types_are_other_offences() -> None:
    pool = new_pool()
    precommits = duplicate_vote_evidence(
        vote(KEYS[0], A, vote_type=VoteType.PRECOMMIT), vote(KEYS[0], B, vote_type=VoteType.PRECOMMIT), 10, 40
    )
    for evidence in (pair(A, B), pair(A, B, round_=1), precommits, pair(A, B, key=KEYS[1])):
        assert pool.add(evidence)
    assert pool.size() == 4


def test_a_committed_offence_is_not_taken_again_with_another_pair() -> None:
    pool = new_pool()
    pool.add(pair(A, C))
    pool.mark_committed([pair(A, B)])  # a block carried another pair of the same offence
    assert pool.size() == 0
    assert not pool.add(pair(B, C))
    assert pool.is_committed(pair(B, C))


def test_invalid_one_offence_twice_in_a_block() -> None:
    with pytest.raises(InvalidEvidence, match="same offence"):
        new_pool().check_block([encode_evidence(pair(A, B)), encode_evidence(pair(A, C))])


# ---- bounds -------------------------------------------------------------------------------------


def test_a_full_pool_refuses_more_evidence_of_the_validator_that_fills_it() -> None:
    pool = new_pool(limits=PoolLimits(max_count=2, max_bytes=1 << 20))
    first, second = pair(A, B, round_=0), pair(A, B, round_=1)
    assert pool.add(first)
    assert pool.add(second)
    with pytest.raises(EvidencePoolFull, match="evidence pool is full"):
        pool.add(pair(A, B, round_=2))
    assert pool.pending(PARAMS.max_bytes) == [first, second]


def test_a_full_pool_evicts_the_newest_item_of_the_validator_with_most(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = new_pool(limits=PoolLimits(max_count=2, max_bytes=1 << 20))
    first, second, other = pair(A, B, round_=0), pair(A, B, round_=1), pair(A, B, key=KEYS[1])
    pool.add(first)
    pool.add(second)
    with caplog.at_level(logging.WARNING, logger="depind.consensus"):
        assert pool.add(other)  # one validator's flood does not crowd out another's offence
    assert pool.pending(PARAMS.max_bytes) == [first, other]
    who = KEYS[0].address.hex().upper()
    assert caplog.messages == [
        f"evidence pool full: dropped validator {who} signed two prevotes at height {HEIGHT} round 1 "
        "to make room"
    ]
    with pytest.raises(EvidencePoolFull):
        pool.add(pair(A, B, key=KEYS[2]))  # one item each left: nothing to evict fairly


def test_the_pool_is_bounded_in_bytes() -> None:
    items = [pair(A, B, round_=r) for r in range(3)]
    room = sum(len(encode_evidence(item)) for item in items[:2])
    pool = new_pool(limits=PoolLimits(max_count=100, max_bytes=room))
    assert pool.add(items[0])
    assert pool.add(items[1])
    assert pool.pending_bytes() == room
    with pytest.raises(EvidencePoolFull, match="bytes"):
        pool.add(items[2])
    assert pool.size() == 2


def test_evidence_larger_than_the_pool_is_refused() -> None:
    evidence = pair(A, B)
    size = len(encode_evidence(evidence))
    pool = new_pool(limits=PoolLimits(max_count=100, max_bytes=size - 1))
    refusal = f"evidence of {size} bytes is larger than the pool's limit of {size - 1}"
    with pytest.raises(EvidencePoolFull, match=exactly(refusal)):
        pool.add(evidence)


def test_evidence_that_fills_the_pool_exactly_is_taken() -> None:
    evidence = pair(A, B)
    pool = new_pool(limits=PoolLimits(max_count=100, max_bytes=len(encode_evidence(evidence))))
    assert pool.add(evidence)


def test_committed_evidence_frees_its_room() -> None:
    pool = new_pool(limits=PoolLimits(max_count=1, max_bytes=1 << 20))
    pool.add(pair(A, B))
    pool.mark_committed([pair(A, B)])
    assert pool.pending_bytes() == 0
    assert pool.add(pair(A, B, key=KEYS[1]))


# ---- expiry: blocks and time --------------------------------------------------------------------

AGE = EvidenceParams(max_age_num_blocks=100, max_bytes=1 << 20, max_age_duration_ns=50 * SECOND_NS)


def timed_pool(height: int, params: EvidenceParams = AGE) -> EvidencePool:
    return EvidencePool(CHAIN_ID, params, validators_at, verify, height, time_at=block_time)


@pytest.mark.parametrize(
    ("age_blocks", "duration_s", "expired"),
    [
        (101, 50, True),  # past both limits
        (100, 50, False),  # past the duration only: a fast chain keeps it for the blocks
        (101, 101, False),  # past the blocks only: a slow chain keeps it for the duration
    ],
)
def test_evidence_expires_only_past_both_ages(age_blocks: int, duration_s: int, expired: bool) -> None:
    params = dataclasses.replace(AGE, max_age_duration_ns=duration_s * SECOND_NS)
    pool = timed_pool(HEIGHT, params)
    assert pool.add(pair(A, B))
    pool.update(HEIGHT + age_blocks, (HEIGHT + age_blocks) * SECOND_NS)
    assert pool.size() == (0 if expired else 1)
    assert pool.is_expired(HEIGHT) == expired


def test_invalid_expired_by_blocks_and_time() -> None:
    pool = timed_pool(HEIGHT + 101)
    with pytest.raises(InvalidEvidence, match="expired"):
        pool.add(pair(A, B))


def test_evidence_past_the_blocks_but_within_the_duration_is_kept() -> None:
    params = dataclasses.replace(AGE, max_age_duration_ns=1000 * SECOND_NS)
    assert timed_pool(HEIGHT + 101, params).add(pair(A, B))


def test_committed_offences_are_forgotten_once_expired() -> None:
    pool = timed_pool(HEIGHT)
    pool.mark_committed([pair(A, B)])
    pool.update(HEIGHT + 100, (HEIGHT + 100) * SECOND_NS)
    assert pool.is_committed(pair(A, C))
    pool.update(HEIGHT + 101, (HEIGHT + 101) * SECOND_NS)
    assert not pool.is_committed(pair(A, C))


def test_a_block_cannot_carry_committed_evidence_again_until_it_expires() -> None:
    pool = timed_pool(HEIGHT)
    encoded = encode_evidence(pair(A, B))
    pool.mark_committed([pair(A, B)])
    pool.update(HEIGHT + 100, (HEIGHT + 100) * SECOND_NS)
    with pytest.raises(InvalidEvidence, match=exactly(f"evidence {evidence_id(encoded).hex()} is committed")):
        pool.check_block([encoded])
    pool.update(HEIGHT + 101, (HEIGHT + 101) * SECOND_NS)
    with pytest.raises(InvalidEvidence, match="expired"):
        pool.check_block([encoded])


def test_a_pool_starts_at_the_last_stored_block_and_its_time() -> None:
    pool = timed_pool(HEIGHT)
    assert (pool.height, pool.time_ns) == (HEIGHT, HEIGHT * SECOND_NS)
    empty_store = EvidencePool(CHAIN_ID, PARAMS, validators_at, verify)
    assert (empty_store.height, empty_store.time_ns) == (0, 0)


def test_evidence_committed_before_a_restart_is_found_through_the_chain_s_index() -> None:
    evidence = pair(A, B)
    encoded = encode_evidence(evidence)
    stored = {evidence_id(encoded)}  # the block store's index of committed evidence ids
    pool = EvidencePool(CHAIN_ID, PARAMS, validators_at, verify, HEIGHT, is_committed=stored.__contains__)
    assert pool.is_committed(evidence)
    assert not pool.add(evidence)
    assert not pool.is_committed(pair(A, C))  # the index holds ids: another pair is not found there
    with pytest.raises(InvalidEvidence, match=exactly(f"evidence {evidence_id(encoded).hex()} is committed")):
        pool.check_block([encoded])


def test_offences_committed_before_a_restart_are_read_from_the_store_until_they_expire() -> None:
    stored: set[Offence] = {offence_of(pair(A, B))}  # the store's index, pruned a block late
    pool = EvidencePool(
        CHAIN_ID,
        AGE,
        validators_at,
        verify,
        HEIGHT + 100,
        offence_committed=stored.__contains__,
        time_at=block_time,
    )
    assert pool.is_committed(pair(A, C))
    assert not pool.add(pair(A, C))
    assert not pool.is_committed(pair(A, C, key=KEYS[1]))
    pool.update(HEIGHT + 101, (HEIGHT + 101) * SECOND_NS)
    assert not pool.is_committed(pair(A, C))


# ---- peers that send invalid evidence -----------------------------------------------------------


async def test_a_peer_that_sends_forged_evidence_is_penalised(tmp_path: Path) -> None:
    hub = Hub()
    node = memory_node(hub, "v0", tmp_path)
    genesis = validator_set(KEYS, [10, 10, 10, 10])
    engine = node.engine(KEYS[0], genesis)
    at_one = [signed_vote(KEYS[1], genesis, VoteType.PREVOTE, 1, 0, block).vote for block in (A, B)]
    evidence = duplicate_vote_evidence(at_one[0], at_one[1], 10, 40)
    forged = encode_evidence(unsigned(evidence))
    other = signed_vote(KEYS[2], genesis, VoteType.PREVOTE, 1, 0, B).vote
    two_validators = duplicate_vote_evidence(at_one[0], other, 10, 40)
    async with trio.open_nursery() as nursery:
        await nursery.start(engine.run)  # the owner keeps what passes the checks
        await engine.deliver_evidence("liar", forged)
        await engine.deliver_evidence("liar", encode_evidence(two_validators))
        await engine.deliver_evidence("honest", encode_evidence(evidence))
        await engine.deliver_evidence("honest", encode_evidence(evidence))  # a repeat costs nothing
        nursery.cancel_scope.cancel()
    assert [(peer, reason) for _, peer, reason in hub.reports] == [
        ("liar", "invalid evidence: bad signature on vote_b"),
        ("liar", "invalid evidence: the votes are by different validators"),
    ]
    assert engine.executor.evidence.size() == 1


async def test_stale_evidence_costs_its_sender_nothing(tmp_path: Path) -> None:
    hub = Hub()
    node = memory_node(hub, "v0", tmp_path)
    engine = node.engine(KEYS[0], validator_set(KEYS, [10, 10, 10, 10]))
    ahead = pair(A, B)  # height 10 while the chain is at 0: a peer further on may send it
    try:
        await engine.deliver_evidence("peer", encode_evidence(ahead))
    finally:
        engine.wal.close()
    assert hub.reports == []
    assert engine.executor.evidence.size() == 0


# ---- rejections ---------------------------------------------------------------------------------


Tamper = Callable[[DuplicateVoteEvidence], DuplicateVoteEvidence]


def unsigned(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return replace_votes(evidence, vote_b=msgspec.structs.replace(evidence.vote_b, signature=b""))


def first_unsigned(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return replace_votes(evidence, vote_a=msgspec.structs.replace(evidence.vote_a, signature=b""))


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


def unknown_type(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    votes = [msgspec.structs.replace(v, type=3) for v in (evidence.vote_a, evidence.vote_b)]
    return replace_votes(evidence, vote_a=votes[0], vote_b=votes[1])


def wrong_power(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    return msgspec.structs.replace(evidence, validator_power=40)


def wrong_index(evidence: DuplicateVoteEvidence) -> DuplicateVoteEvidence:
    votes = [msgspec.structs.replace(v, validator_index=3) for v in (evidence.vote_a, evidence.vote_b)]
    return replace_votes(evidence, vote_a=votes[0], vote_b=votes[1])


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (unsigned, "bad signature on vote_b"),
        (first_unsigned, "bad signature on vote_a"),
        (signed_by_other_key, "bad signature on vote_b"),
        (by_two_validators, "the votes are by different validators"),
        (by_outsider, f"{OUTSIDER.address.hex()} is not a validator at height {HEIGHT}"),
        (same_block, "both votes name the same block"),
        (other_round, "the votes are for different (height, round, type)"),
        (other_type, "the votes are for different (height, round, type)"),
        (unknown_type, "unknown vote type 3"),
        (swapped, "vote_a must name the block id that encodes first"),
        (wrong_power, "voting powers do not match the validator set"),
        (wrong_index, "validator index 3, expected 0"),
    ],
)
def test_invalid_evidence(tamper: Tamper, reason: str) -> None:
    evidence = tamper(equivocation())
    pool = new_pool()
    with pytest.raises(InvalidEvidence, match=exactly(reason)):
        pool.add(evidence)
    assert pool.size() == 0


def test_invalid_expired() -> None:
    pool = new_pool(height=HEIGHT + PARAMS.max_age_num_blocks + 1)
    refusal = (
        f"evidence from height {HEIGHT} expired at the chain's height {HEIGHT + 101} "
        "(max age 100 blocks and 172800 s)"  # 48 hours
    )
    with pytest.raises(InvalidEvidence, match=exactly(refusal)):
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
    size = len(encoded)
    pool = new_pool(params=EvidenceParams(PARAMS.max_age_num_blocks, max_bytes=size - 1))
    with pytest.raises(
        InvalidEvidence, match=exactly(f"{size} bytes of evidence exceed the limit of {size - 1}")
    ):
        pool.check_block([encoded])


def test_block_evidence_may_fill_max_bytes_exactly() -> None:
    evidence = equivocation()
    encoded = encode_evidence(evidence)
    pool = new_pool(params=EvidenceParams(PARAMS.max_age_num_blocks, max_bytes=len(encoded)))
    assert pool.check_block([encoded]) == [evidence]


def test_invalid_block_evidence_of_the_height_being_decided() -> None:
    with pytest.raises(InvalidEvidence, match=exactly(f"evidence from height {HEIGHT} is not committed yet")):
        new_pool(height=HEIGHT - 1).check_block([encode_evidence(equivocation())])


def test_invalid_undecodable_block_evidence() -> None:
    with pytest.raises(InvalidEvidence, match="undecodable"):
        new_pool().check_block([b"\x93garbage"])


def test_invalid_forged_evidence_in_a_block() -> None:
    with pytest.raises(InvalidEvidence, match="bad signature"):
        new_pool().check_block([encode_evidence(unsigned(equivocation()))])


def test_invalid_update_backwards() -> None:
    pool = new_pool()
    pool.update(HEIGHT, HEIGHT * SECOND_NS)  # the same height again is not going back
    with pytest.raises(
        ValueError, match=exactly(f"the pool is at height {HEIGHT}, cannot go back to {HEIGHT - 1}")
    ):
        pool.update(HEIGHT - 1, 0)


def test_evidence_is_described_and_handed_to_the_application_by_its_first_vote() -> None:
    key = KEYS[1]
    prevotes = equivocation(key, round_=2)
    who = key.address.hex().upper()
    assert describe(prevotes) == f"validator {who} signed two prevotes at height {HEIGHT} round 2"
    precommits = duplicate_vote_evidence(
        vote(key, A, 3, VoteType.PRECOMMIT), vote(key, None, 3, VoteType.PRECOMMIT), 10, 40
    )
    assert describe(precommits) == f"validator {who} signed two precommits at height {HEIGHT} round 3"
    assert misbehavior_of(prevotes, 7 * SECOND_NS) == Misbehavior(
        "duplicate_vote", key.address, HEIGHT, 7 * SECOND_NS, 40, 10
    )
