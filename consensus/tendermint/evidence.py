"""The evidence pool: proof that a validator double-signed, waiting to go into a block.

Duplicate-vote evidence comes from the round state machine (``Evidence``
outputs) and from peers. The pool verifies it against the validator set of its
height and keeps one item per offence, (validator, height, round, vote type),
however many conflicting votes the validator signed. It hands a proposer the
oldest that fit in a block's ``max_bytes`` and drops an item once its offence
is committed or expired: older than both ``max_age_num_blocks`` blocks and
``max_age_duration_ns`` before the last block (genesis
``consensus_params.evidence``, as CometBFT). Committed offences are remembered
until they expire, so none is proposed twice: in memory, and in the block
store's offence index (``OffenceCommitted``), written with each block and pruned
as its offences expire, so that a restarted node still refuses another pair of
votes for an offence committed before (CometBFT keeps committed evidence in its
database; here the key is the offence).

The pool is bounded in items and bytes (``PoolLimits``, node configuration).
When it is full, a new item displaces the newest item of the validator with
the most items, so one validator's flood of offences cannot crowd out
another's; otherwise it is refused (``EvidencePoolFull``).

In a block, ``Block.evidence`` holds each item's canonical encoding
(``encode_evidence``) and ``Header.evidence_hash`` is their Merkle root
(``evidence_hash``), as in CometBFT.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from consensus.abci import Misbehavior
from consensus.codec import CodecError, decode, encode
from consensus.merkle import merkle_root
from consensus.tendermint.messages import DuplicateVoteEvidence, Verify
from consensus.types import Vote, VoteType
from consensus.validators import Validator, ValidatorSet

log = logging.getLogger("depind.consensus")

ValidatorsAt = Callable[[int], ValidatorSet | None]
"""The validator set that decided a height; None where the node does not know it."""

IsCommitted = Callable[[bytes], bool]
"""Whether the evidence with this id (``evidence_id``) is in a committed block: the block
store's index, so that a restarted node still refuses evidence committed before."""

Offence = tuple[bytes, int, int, int]
"""What one piece of evidence proves: (validator address, height, round, vote type)."""

OffenceCommitted = Callable[[Offence], bool]
"""Whether a committed block holds evidence of this offence: the block store's offence
index, which may still hold an offence that has expired (it is pruned a block later)."""

TimeAt = Callable[[int], int | None]
"""The time (ns) of the committed block at a height; None where no block is stored."""

DEFAULT_MAX_AGE_DURATION_NS = 48 * 3600 * 10**9
"""CometBFT's default ``evidence.max_age_duration``: 48 hours."""


class InvalidEvidence(Exception):
    """Evidence that must not be kept or committed: the message says why."""


class BadEvidence(InvalidEvidence):
    """Evidence that proves nothing: a bad signature, votes that do not conflict, powers
    that differ from the validator set. An honest node never sends it (it checks what
    it relays against the same validator sets), so a peer that does is penalised; stale
    evidence (expired, ahead of our chain, committed) is only refused."""


class UndecodableEvidence(BadEvidence):
    """Bytes that are not evidence at all."""


class EvidencePoolFull(InvalidEvidence):
    """The pool is at its item or byte limit and nothing may make room."""


@dataclass(frozen=True)
class EvidenceParams:
    """``consensus_params.evidence`` of genesis."""

    max_age_num_blocks: int
    max_bytes: int
    max_age_duration_ns: int = DEFAULT_MAX_AGE_DURATION_NS


@dataclass(frozen=True)
class PoolLimits:
    """Local bounds on pending evidence (``[consensus]`` evidence_pool_* settings)."""

    max_count: int = 4096
    max_bytes: int = 4 * 1024 * 1024


DEFAULT_POOL_LIMITS = PoolLimits()


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


def offence_of(evidence: DuplicateVoteEvidence) -> Offence:
    vote = evidence.vote_a
    return (vote.validator_address, vote.height, vote.round, int(vote.type))


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
    """Raise ``BadEvidence`` unless a validator of ``validators`` signed both votes, which
    differ only in the block they name."""
    check_vote_pair(evidence.vote_a, evidence.vote_b)
    address = evidence.vote_a.validator_address
    found = validators.get(address)
    if found is None:
        raise BadEvidence(f"{address.hex()} is not a validator at height {evidence_height(evidence)}")
    index, validator = found
    if evidence.vote_a.validator_index != index:
        raise BadEvidence(f"validator index {evidence.vote_a.validator_index}, expected {index}")
    if (evidence.validator_power, evidence.total_voting_power) != (
        validator.voting_power,
        validators.total_power(),
    ):
        raise BadEvidence("voting powers do not match the validator set")
    check_signatures(chain_id, validator, evidence, verify)


def check_vote_pair(vote_a: Vote, vote_b: Vote) -> None:
    """Two votes of one validator at one (height, round, type) for different blocks, in canonical order."""
    if (vote_a.height, vote_a.round, vote_a.type) != (vote_b.height, vote_b.round, vote_b.type):
        raise BadEvidence("the votes are for different (height, round, type)")
    if vote_a.type not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
        raise BadEvidence(f"unknown vote type {vote_a.type}")
    if (vote_a.validator_address, vote_a.validator_index) != (
        vote_b.validator_address,
        vote_b.validator_index,
    ):
        raise BadEvidence("the votes are by different validators")
    if vote_a.block_id == vote_b.block_id:
        raise BadEvidence("both votes name the same block")
    if encode(vote_a.block_id) > encode(vote_b.block_id):
        raise BadEvidence("vote_a must name the block id that encodes first")


def check_signatures(
    chain_id: str, validator: Validator, evidence: DuplicateVoteEvidence, verify: Verify
) -> None:
    for name, vote in (("vote_a", evidence.vote_a), ("vote_b", evidence.vote_b)):
        if not verify(validator.pub_key, vote.sign_bytes(chain_id), vote.signature):
            raise BadEvidence(f"bad signature on {name}")


@dataclass(frozen=True)
class _Pending:
    evidence: DuplicateVoteEvidence
    encoded: bytes


class EvidencePool:
    """Verified, uncommitted evidence, one item per offence, oldest first. ``height`` is the
    last committed block and ``time_ns`` its time."""

    def __init__(
        self,
        chain_id: str,
        params: EvidenceParams,
        validators_at: ValidatorsAt,
        verify: Verify,
        height: int = 0,
        is_committed: IsCommitted = lambda _: False,
        offence_committed: OffenceCommitted = lambda _: False,
        time_at: TimeAt = lambda _: None,
        limits: PoolLimits = DEFAULT_POOL_LIMITS,
    ) -> None:
        self.chain_id = chain_id
        self.params = params
        self.limits = limits
        self.height = height
        self.time_ns = time_at(height) or 0
        self._is_committed = is_committed
        self._offence_committed = offence_committed
        self._time_at = time_at
        self._validators_at = validators_at
        self._verify = verify
        self._pending: dict[Offence, _Pending] = {}
        self._pending_bytes = 0
        # Committed offences and evidence ids -> their heights, kept until they expire.
        self._committed: dict[Offence, int] = {}
        self._committed_ids: dict[bytes, int] = {}

    def add(self, evidence: DuplicateVoteEvidence) -> bool:
        """Keep ``evidence``; False if its offence is already pending or committed. Raises
        ``InvalidEvidence`` (``BadEvidence`` for a false proof, ``EvidencePoolFull``)."""
        offence = offence_of(evidence)
        encoded = encode_evidence(evidence)
        if offence in self._pending or self._was_committed(offence, encoded):
            return False
        self.check(evidence)
        self._make_room(offence, len(encoded))
        self._pending[offence] = _Pending(evidence, encoded)
        self._pending_bytes += len(encoded)
        return True

    def is_known(self, evidence: DuplicateVoteEvidence) -> bool:
        """Whether ``evidence``'s offence is pending here or committed."""
        return offence_of(evidence) in self._pending or self.is_committed(evidence)

    def is_committed(self, evidence: DuplicateVoteEvidence) -> bool:
        """Whether ``evidence``, or other evidence of its offence, is in a committed block."""
        return self._was_committed(offence_of(evidence), encode_evidence(evidence))

    def check(self, evidence: DuplicateVoteEvidence) -> None:
        """Raise ``InvalidEvidence`` unless ``evidence`` is valid at the pool's height."""
        height = evidence_height(evidence)
        if height > self.height + 1:
            raise InvalidEvidence(f"evidence from height {height}, ahead of the chain at {self.height}")
        if self.is_expired(height):
            raise InvalidEvidence(
                f"evidence from height {height} expired at the chain's height {self.height} "
                f"(max age {self.params.max_age_num_blocks} blocks and "
                f"{self.params.max_age_duration_ns // 10**9} s)"
            )
        validators = self._validators_at(height)
        if validators is None:
            raise InvalidEvidence(f"no validator set known for height {height}")
        verify_duplicate_vote(evidence, self.chain_id, validators, self._verify)

    def is_expired(self, height: int) -> bool:
        """Older than both limits, as CometBFT: more than ``max_age_num_blocks`` blocks and
        more than ``max_age_duration_ns`` before the last block. A height whose block is not
        stored (pruned) counts as past the duration."""
        if self.height - height <= self.params.max_age_num_blocks:
            return False
        then = self._time_at(height)
        return then is None or self.time_ns - then > self.params.max_age_duration_ns

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
        invalid, repeats an offence or is already committed, or all of it exceeds ``max_bytes``.

        A block may carry another pair of votes for an offence committed before: validity
        reads only what the chain indexes (evidence ids), so that a restarted node judges a
        block as the others do; the application punishes an offence once."""
        total = sum(len(data) for data in encoded)
        if total > self.params.max_bytes:
            raise InvalidEvidence(f"{total} bytes of evidence exceed the limit of {self.params.max_bytes}")
        seen: set[Offence] = set()
        decoded: list[DuplicateVoteEvidence] = []
        for data in encoded:
            key = evidence_id(data)
            if key in self._committed_ids or self._is_committed(key):
                raise InvalidEvidence(f"evidence {key.hex()} is committed")
            evidence = decode_evidence(data)
            offence = offence_of(evidence)
            if offence in seen:
                raise InvalidEvidence(f"evidence for the same offence is repeated: {describe(evidence)}")
            if evidence_height(evidence) > self.height:
                raise InvalidEvidence(
                    f"evidence from height {evidence_height(evidence)} is not committed yet"
                )
            pooled = self._pending.get(offence)
            if pooled is None or pooled.encoded != data:  # pending evidence was checked when it came
                self.check(evidence)
            seen.add(offence)
            decoded.append(evidence)
        return decoded

    def mark_committed(self, evidence: Iterable[DuplicateVoteEvidence]) -> None:
        """``evidence`` is in a committed block: never propose or accept its offences again."""
        for item in evidence:
            offence = offence_of(item)
            self._drop(offence)
            self._committed[offence] = evidence_height(item)
            self._committed_ids[evidence_id(encode_evidence(item))] = evidence_height(item)

    def update(self, height: int, time_ns: int) -> None:
        """The chain has committed ``height`` at ``time_ns``: forget what has expired."""
        if height < self.height:
            raise ValueError(f"the pool is at height {self.height}, cannot go back to {height}")
        self.height, self.time_ns = height, time_ns
        for offence in [o for o, item in self._pending.items() if self._item_expired(item)]:
            self._drop(offence)
        self._committed = {o: h for o, h in self._committed.items() if not self.is_expired(h)}
        self._committed_ids = {k: h for k, h in self._committed_ids.items() if not self.is_expired(h)}

    def size(self) -> int:
        """How many pieces of evidence are pending."""
        return len(self._pending)

    def pending_bytes(self) -> int:
        """The encoded size of all pending evidence."""
        return self._pending_bytes

    # ---- bounds ------------------------------------------------------------------------------

    def _make_room(self, offence: Offence, size: int) -> None:
        """Evict until an item of ``size`` bytes fits; raise ``EvidencePoolFull`` if it cannot."""
        limits = self.limits
        if size > limits.max_bytes:
            raise EvidencePoolFull(
                f"evidence of {size} bytes is larger than the pool's limit of {limits.max_bytes}"
            )
        while len(self._pending) + 1 > limits.max_count or self._pending_bytes + size > limits.max_bytes:
            victim = self._eviction_candidate(offence[0])
            if victim is None:
                raise EvidencePoolFull(
                    f"the evidence pool is full: {len(self._pending)} items, {self._pending_bytes} bytes "
                    f"(limits {limits.max_count} items, {limits.max_bytes} bytes)"
                )
            log.warning(
                "evidence pool full: dropped %s to make room", describe(self._pending[victim].evidence)
            )
            self._drop(victim)

    def _eviction_candidate(self, newcomer: bytes) -> Offence | None:
        """The newest offence of the validator with the most pending items, if it has at
        least two more than the validator ``newcomer`` (so eviction only evens things out)."""
        counts = Counter(offence[0] for offence in self._pending)
        if not counts:
            return None
        validator, most = counts.most_common(1)[0]
        if most <= counts[newcomer] + 1:
            return None
        return next(offence for offence in reversed(self._pending) if offence[0] == validator)

    def _drop(self, offence: Offence) -> None:
        item = self._pending.pop(offence, None)
        if item is not None:
            self._pending_bytes -= len(item.encoded)

    def _item_expired(self, item: _Pending) -> bool:
        return self.is_expired(evidence_height(item.evidence))

    def _was_committed(self, offence: Offence, encoded: bytes) -> bool:
        """Memory first; the store's indexes know what was committed before a restart."""
        if offence in self._committed:
            return True
        key = evidence_id(encoded)
        if key in self._committed_ids or self._is_committed(key):
            return True
        return self._offence_committed(offence) and not self.is_expired(offence[1])
