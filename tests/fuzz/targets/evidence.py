"""Duplicate-vote evidence from a peer, a block or ``broadcast_evidence``: ``decode_evidence``,
then ``verify_duplicate_vote`` against the validator set of its height, and what the pool
and the application read of it.

Rejection: ``BadEvidence`` (``UndecodableEvidence`` among them)."""

from __future__ import annotations

from consensus.privval import verify
from consensus.tendermint.evidence import (
    BadEvidence,
    decode_evidence,
    describe,
    encode_evidence,
    evidence_id,
    misbehavior_of,
    offence_of,
    verify_duplicate_vote,
)
from consensus.tendermint.messages import duplicate_vote_evidence
from consensus.types import VoteType
from tests.consensus.tendermint.support import CHAIN_ID, make_block, signed_vote
from tests.fuzz.validators import KEYS, PROPOSER, VALIDATORS

HEIGHT = 4


def fuzz_one(data: bytes) -> None:
    try:
        evidence = decode_evidence(data)
        verify_duplicate_vote(evidence, CHAIN_ID, VALIDATORS, verify)
    except BadEvidence:
        return
    evidence_id(data)
    offence_of(evidence)
    describe(evidence)
    misbehavior_of(evidence, 1_000_000_000)


def seeds() -> dict[str, bytes]:
    first = make_block(HEIGHT, PROPOSER.address, [b"first"])
    second = make_block(HEIGHT, PROPOSER.address, [b"second"])
    seeds = {}
    for name, vote_type in (("prevotes", VoteType.PREVOTE), ("precommits", VoteType.PRECOMMIT)):
        a = signed_vote(KEYS[1], VALIDATORS, vote_type, HEIGHT, 0, first).vote
        b = signed_vote(KEYS[1], VALIDATORS, vote_type, HEIGHT, 0, second).vote
        seeds[f"two-{name}"] = encode_evidence(duplicate_vote_evidence(a, b, 10, 40))
    a = signed_vote(KEYS[2], VALIDATORS, VoteType.PREVOTE, HEIGHT, 1, first).vote
    nil = signed_vote(KEYS[2], VALIDATORS, VoteType.PREVOTE, HEIGHT, 1, None).vote
    seeds["block-and-nil"] = encode_evidence(duplicate_vote_evidence(a, nil, 10, 40))
    return seeds
