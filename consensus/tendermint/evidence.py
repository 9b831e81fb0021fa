"""The evidence pool: proof that a validator double-signed, waiting to go into a block.

Duplicate-vote evidence comes from the round state machine (``Evidence``
outputs) and from peers. The pool verifies it against the validator set of its
height, keeps one copy, hands a proposer the oldest that fit in a block's
``max_bytes``, and drops it once it is committed or older than
``max_age_num_blocks`` (genesis ``consensus_params.evidence``). Committed
evidence is remembered until it expires, so it is never proposed twice.

In a block, ``Block.evidence`` holds each item's canonical encoding
(``encode_evidence``) and ``Header.evidence_hash`` is their Merkle root
(``evidence_hash``), as in CometBFT.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from consensus.abci import Misbehavior
from consensus.codec import CodecError, decode, encode
from consensus.merkle import merkle_root
from consensus.tendermint.messages import DuplicateVoteEvidence, Verify
from consensus.types import Vote, VoteType
from consensus.validators import Validator, ValidatorSet

ValidatorsAt = Callable[[int], ValidatorSet | None]
"""The validator set that decided a height; None where the node does not know it."""

IsCommitted = Callable[[bytes], bool]
"""Whether the evidence with this id (``evidence_id``) is in a committed block: the block
store's index, so that a restarted node still refuses evidence committed before."""


class InvalidEvidence(Exception):
    """Evidence that must not be kept or committed: the message says why."""


class UndecodableEvidence(InvalidEvidence):
    """Bytes that are not evidence at all (as opposed to evidence that is stale or unknown)."""


@dataclass(frozen=True)
class EvidenceParams:
    """``consensus_params.evidence`` of genesis."""

    max_age_num_blocks: int
    max_bytes: int


def encode_evidence(evidence: DuplicateVoteEvidence) -> bytes:
    return encode(evidence)


def decode_evidence(data: bytes) -> DuplicateVoteEvidence:
    try:
        return decode(data, DuplicateVoteEvidence)
    except CodecError as exc:
        raise UndecodableEvidence(f"undecodable evidence: {exc}") from None


def evidence_hash(encoded: Sequence[bytes]) -> bytes:
    """``Header.evidence_hash`` of a block whose ``evidence`` is ``encoded``."""
    return merkle_root(list(encoded))


def evidence_height(evidence: DuplicateVoteEvidence) -> int:
    return evidence.vote_a.height


def describe(evidence: DuplicateVoteEvidence) -> str:
    vote = evidence.vote_a
    kind = "prevotes" if vote.type == VoteType.PREVOTE else "precommits"
    return (
        f"validator {vote.validator_address.hex().upper()} signed two {kind} "
        f"at height {vote.height} round {vote.round}"
    )


def evidence_id(encoded: bytes) -> bytes:
    """The id of evidence by its canonical encoding: SHA-256, as a tx hash."""
    return hashlib.sha256(encoded).digest()


def misbehavior_of(evidence: DuplicateVoteEvidence, block_time_ns: int) -> Misbehavior:
    """What the application is told about committed evidence; ``block_time_ns`` is the
    time of the block at the evidence's height."""
    vote = evidence.vote_a
    return Misbehavior(
        "duplicate_vote",
        vote.validator_address,
        vote.height,
        block_time_ns,
        evidence.total_voting_power,
        evidence.validator_power,
    )


def verify_duplicate_vote(
    evidence: DuplicateVoteEvidence, chain_id: str, validators: ValidatorSet, verify: Verify
) -> None:
    """Raise ``InvalidEvidence`` unless a validator of ``validators`` signed both votes, which
    differ only in the block they name."""
    check_vote_pair(evidence.vote_a, evidence.vote_b)
    address = evidence.vote_a.validator_address
    found = validators.get(address)
    if found is None:
        raise InvalidEvidence(f"{address.hex()} is not a validator at height {evidence_height(evidence)}")
    index, validator = found
    if evidence.vote_a.validator_index != index:
        raise InvalidEvidence(f"validator index {evidence.vote_a.validator_index}, expected {index}")
    if (evidence.validator_power, evidence.total_voting_power) != (
        validator.voting_power,
        validators.total_power(),
    ):
        raise InvalidEvidence("voting powers do not match the validator set")
    check_signatures(chain_id, validator, evidence, verify)


def check_vote_pair(vote_a: Vote, vote_b: Vote) -> None:
    """Two votes of one validator at one (height, round, type) for different blocks, in canonical order."""
    if (vote_a.height, vote_a.round, vote_a.type) != (vote_b.height, vote_b.round, vote_b.type):
        raise InvalidEvidence("the votes are for different (height, round, type)")
    if vote_a.type not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
        raise InvalidEvidence(f"unknown vote type {vote_a.type}")
    if (vote_a.validator_address, vote_a.validator_index) != (
        vote_b.validator_address,
        vote_b.validator_index,
    ):
        raise InvalidEvidence("the votes are by different validators")
    if vote_a.block_id == vote_b.block_id:
        raise InvalidEvidence("both votes name the same block")
    if encode(vote_a.block_id) > encode(vote_b.block_id):
        raise InvalidEvidence("vote_a must name the block id that encodes first")


def check_signatures(
    chain_id: str, validator: Validator, evidence: DuplicateVoteEvidence, verify: Verify
) -> None:
    for name, vote in (("vote_a", evidence.vote_a), ("vote_b", evidence.vote_b)):
        if not verify(validator.pub_key, vote.sign_bytes(chain_id), vote.signature):
            raise InvalidEvidence(f"bad signature on {name}")


@dataclass(frozen=True)
class _Pending:
    evidence: DuplicateVoteEvidence
    encoded: bytes


class EvidencePool:
    """Verified, uncommitted evidence, oldest first. ``height`` is the last committed block."""

    def __init__(
        self,
        chain_id: str,
        params: EvidenceParams,
        validators_at: ValidatorsAt,
        verify: Verify,
        height: int = 0,
        is_committed: IsCommitted = lambda _: False,
    ) -> None:
        self.chain_id = chain_id
        self._is_committed = is_committed
        self.params = params
        self.height = height
        self._validators_at = validators_at
        self._verify = verify
        self._pending: dict[bytes, _Pending] = {}
        self._committed: dict[bytes, int] = {}  # evidence id -> its height, kept until it expires

    def add(self, evidence: DuplicateVoteEvidence) -> bool:
        """Keep ``evidence``; False if it is already pending or committed. Raises ``InvalidEvidence``."""
        encoded = encode_evidence(evidence)
        key = evidence_id(encoded)
        if key in self._pending or self._was_committed(key):
            return False
        self.check(evidence)
        self._pending[key] = _Pending(evidence, encoded)
        return True

    def is_committed(self, evidence: DuplicateVoteEvidence) -> bool:
        return self._was_committed(evidence_id(encode_evidence(evidence)))

    def check(self, evidence: DuplicateVoteEvidence) -> None:
        """Raise ``InvalidEvidence`` unless ``evidence`` is valid at the pool's height."""
        height = evidence_height(evidence)
        if height > self.height + 1:
            raise InvalidEvidence(f"evidence from height {height}, ahead of the chain at {self.height}")
        if self.is_expired(height):
            raise InvalidEvidence(
                f"evidence from height {height} expired at the chain's height {self.height} "
                f"(max age {self.params.max_age_num_blocks} blocks)"
            )
        validators = self._validators_at(height)
        if validators is None:
            raise InvalidEvidence(f"no validator set known for height {height}")
        verify_duplicate_vote(evidence, self.chain_id, validators, self._verify)

    def is_expired(self, height: int) -> bool:
        return self.height - height > self.params.max_age_num_blocks

    def pending(self, max_bytes: int) -> list[DuplicateVoteEvidence]:
        """The oldest pending evidence of committed heights whose encodings fit in
        ``max_bytes`` together (evidence of the height being decided waits for its block,
        as in CometBFT, so the application gets that block's time with it)."""
        chosen: list[DuplicateVoteEvidence] = []
        size = 0
        for item in self._pending.values():
            if evidence_height(item.evidence) > self.height:
                continue
            size += len(item.encoded)
            if size > max_bytes:
                break
            chosen.append(item.evidence)
        return chosen

    def check_block(self, encoded: Sequence[bytes]) -> list[DuplicateVoteEvidence]:
        """The evidence of a proposed block, decoded; raises ``InvalidEvidence`` if any item is
        invalid, repeated or already committed, or all of it exceeds ``max_bytes``."""
        total = sum(len(data) for data in encoded)
        if total > self.params.max_bytes:
            raise InvalidEvidence(f"{total} bytes of evidence exceed the limit of {self.params.max_bytes}")
        seen: set[bytes] = set()
        decoded: list[DuplicateVoteEvidence] = []
        for data in encoded:
            key = evidence_id(data)
            if key in seen or self._was_committed(key):
                raise InvalidEvidence(f"evidence {key.hex()} is {'repeated' if key in seen else 'committed'}")
            evidence = decode_evidence(data)
            if evidence_height(evidence) > self.height:
                raise InvalidEvidence(
                    f"evidence from height {evidence_height(evidence)} is not committed yet"
                )
            if key not in self._pending:  # pending evidence was checked when it came
                self.check(evidence)
            seen.add(key)
            decoded.append(evidence)
        return decoded

    def mark_committed(self, evidence: Iterable[DuplicateVoteEvidence]) -> None:
        """``evidence`` is in a committed block: never propose or accept it again."""
        for item in evidence:
            key = evidence_id(encode_evidence(item))
            self._pending.pop(key, None)
            self._committed[key] = evidence_height(item)

    def update(self, height: int) -> None:
        """The chain has committed ``height``: forget what has expired."""
        if height < self.height:
            raise ValueError(f"the pool is at height {self.height}, cannot go back to {height}")
        self.height = height
        self._pending = {
            key: item
            for key, item in self._pending.items()
            if not self.is_expired(evidence_height(item.evidence))
        }
        self._committed = {key: h for key, h in self._committed.items() if not self.is_expired(h)}

    def size(self) -> int:
        """How many pieces of evidence are pending."""
        return len(self._pending)

    def _was_committed(self, key: bytes) -> bool:
        return key in self._committed or self._is_committed(key)
