"""Keys, signers, blocks and signed messages for the Tendermint tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consensus.bfttime import vote_time
from consensus.merkle import merkle_root
from consensus.privval import verify
from consensus.tendermint.messages import (
    NO_ROUND,
    Output,
    Proposal,
    ProposalMsg,
    ScheduleTimeout,
    Step,
    VoteMsg,
    block_id,
)
from consensus.types import (
    APP_VERSION,
    BLOCK_PROTOCOL,
    ZERO_BLOCK_ID,
    Block,
    BlockID,
    BlockIDFlag,
    Commit,
    CommitSig,
    Data,
    Header,
    Version,
    Vote,
    VoteType,
)
from consensus.validators import ValidatorSet, address_of

CHAIN_ID = "tendermint-test"
INVALID_TX = b"invalid"  # a block carrying it fails ``is_valid``


class KeySigner:
    """An in-memory ed25519 key that signs anything (no double-sign guard): honest
    nodes never ask it to equivocate, Byzantine ones do."""

    def __init__(self, secret: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(secret)
        self.pub_key = self._key.public_key().public_bytes_raw()
        self.address = address_of(self.pub_key)

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote:
        return msgspec.structs.replace(vote, signature=self._key.sign(vote.sign_bytes(chain_id)))

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        return msgspec.structs.replace(proposal, signature=self._key.sign(proposal.sign_bytes(chain_id)))


def signers(count: int, seed: int = 0) -> list[KeySigner]:
    return [KeySigner(hashlib.sha256(f"validator {seed} {n}".encode()).digest()) for n in range(count)]


def validator_set(keys: Sequence[KeySigner], powers: Sequence[int]) -> ValidatorSet:
    return ValidatorSet.from_keys([(key.pub_key, power) for key, power in zip(keys, powers, strict=True)])


def make_block(
    height: int,
    proposer: bytes,
    txs: Sequence[bytes] = (),
    parent: BlockID = ZERO_BLOCK_ID,
    time_ns: int = 1_000_000_000,
) -> Block:
    data = Data(list(txs))
    empty = merkle_root([])
    header = Header(
        version=Version(BLOCK_PROTOCOL, APP_VERSION),
        chain_id=CHAIN_ID,
        height=height,
        time_ns=time_ns,
        last_block_id=parent,
        last_commit_hash=empty,
        data_hash=data.hash(),
        validators_hash=empty,
        next_validators_hash=empty,
        consensus_hash=empty,
        app_hash=empty,
        last_results_hash=empty,
        evidence_hash=empty,
        proposer_address=proposer,
    )
    return Block(header, data, [], None)


def is_valid_block(block: Block) -> bool:
    return INVALID_TX not in block.data.txs


def signed_proposal(
    signer: KeySigner, height: int, round_: int, block: Block, pol_round: int = NO_ROUND
) -> ProposalMsg:
    unsigned = Proposal(height, round_, pol_round, block_id(block), block.header.time_ns, signer.address, b"")
    return ProposalMsg(signer.sign_proposal(CHAIN_ID, unsigned), block)


def signed_vote(
    signer: KeySigner,
    validators: ValidatorSet,
    vote_type: VoteType,
    height: int,
    round_: int,
    block: Block | BlockID | None,
    time_ns: int | None = None,
) -> VoteMsg:
    """``block`` None votes nil. The timestamp is ``time_ns``, else the earliest an honest
    validator gives a vote for ``block`` (its time + 1 ms; 0 for nil or a bare id)."""
    found = validators.get(signer.address)
    index = 0 if found is None else found[0]
    if isinstance(block, Block):
        value_id, earliest = block_id(block), vote_time(0, block.header.time_ns)
    else:
        value_id, earliest = (block or ZERO_BLOCK_ID), 0
    timestamp = earliest if time_ns is None else time_ns
    unsigned = Vote(vote_type, height, round_, value_id, timestamp, signer.address, index, b"")
    return VoteMsg(signer.sign_vote(CHAIN_ID, unsigned))


ABSENT_SIG = CommitSig(BlockIDFlag.ABSENT, b"", 0, b"")


def commit_sig(
    signer: KeySigner,
    validators: ValidatorSet,
    height: int,
    round_: int,
    block: Block | None,
    time_ns: int | None = None,
) -> CommitSig:
    """``signer``'s precommit for ``block`` as a commit entry; ``block`` None precommits nil."""
    vote = signed_vote(signer, validators, VoteType.PRECOMMIT, height, round_, block, time_ns).vote
    flag = BlockIDFlag.NIL if block is None else BlockIDFlag.COMMIT
    return CommitSig(flag, vote.validator_address, vote.timestamp_ns, vote.signature)


def signed_commit(
    keys: Sequence[KeySigner],
    validators: ValidatorSet,
    height: int,
    round_: int,
    block: Block,
    times: Sequence[int] | None = None,
) -> Commit:
    """A commit of ``block`` in set order: a precommit by each validator among ``keys`` (at
    the time of the same index in ``times``, if given), absent for the others."""
    time_of = dict(zip((key.address for key in keys), times, strict=True)) if times is not None else {}
    by_address = {key.address: key for key in keys}
    signatures = [
        commit_sig(by_address[v.address], validators, height, round_, block, time_of.get(v.address))
        if v.address in by_address
        else ABSENT_SIG
        for v in validators.validators
    ]
    return Commit(height, round_, block_id(block), signatures)


def verify_commit(validators: ValidatorSet, commit: Commit) -> bool:
    """More than 2/3 of the power signed precommits for the commit's block."""
    power = 0
    for index, sig in enumerate(commit.signatures):
        if sig.block_id_flag != BlockIDFlag.COMMIT:
            continue
        validator = validators.validators[index]
        vote = Vote(
            VoteType.PRECOMMIT,
            commit.height,
            commit.round,
            commit.block_id,
            sig.timestamp_ns,
            sig.validator_address,
            index,
            sig.signature,
        )
        if sig.validator_address != validator.address:
            return False
        if not verify(validator.pub_key, vote.sign_bytes(CHAIN_ID), vote.signature):
            return False
        power += validator.voting_power
    return 3 * power > 2 * validators.total_power()


def timeouts_of(outputs: Sequence[Output]) -> list[tuple[Step, int, int]]:
    return [(o.step, o.height, o.round) for o in outputs if isinstance(o, ScheduleTimeout)]
