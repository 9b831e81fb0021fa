"""consensus params: the bounds a block's size must keep so that every node can carry it."""

from __future__ import annotations

import pytest

from consensus.codec import encode
from consensus.tendermint.messages import block_id
from consensus.tendermint.wire import MAX_SYNC_RESPONSE_BYTES, CommittedBlock, SyncResponse, decode_response
from consensus.types import Block, BlockIDFlag, Commit, CommitSig, VoteType
from consensus.validators import ValidatorSet
from genesis.schema import BlockParams, ConsensusParams
from tests.consensus.tendermint.support import KeySigner, make_block, signed_vote, signers, validator_set
from vm.consensus_params.params import MAX_BLOCK_BYTES, validate_params
from vm.errors import InvalidRequest

COMETBFT_MAX_BLOCK_BYTES = 100 * 1024 * 1024  # CometBFT's MaxBlockSizeBytes


def with_max_bytes(max_bytes: int) -> ConsensusParams:
    return ConsensusParams(block=BlockParams(max_bytes=max_bytes))


def test_default_params_are_valid() -> None:
    validate_params(ConsensusParams())


def test_block_max_bytes_may_be_the_largest_block() -> None:
    validate_params(with_max_bytes(MAX_BLOCK_BYTES))


@pytest.mark.parametrize("max_bytes", [MAX_BLOCK_BYTES + 1, COMETBFT_MAX_BLOCK_BYTES])
def test_invalid_block_max_bytes_over_the_largest_block(max_bytes: int) -> None:
    with pytest.raises(InvalidRequest, match=f"block.max_bytes must not exceed {MAX_BLOCK_BYTES}"):
        validate_params(with_max_bytes(max_bytes))


def test_the_largest_block_with_its_commit_fits_one_sync_answer() -> None:
    """A block of exactly MAX_BLOCK_BYTES, committed by a full validator set, in one answer."""
    keys = signers(100)  # the staking module's default max_validators
    validators = validator_set(keys, [1] * len(keys))
    sample = 1 << 16  # from here on, a tx's length prefix has its largest size
    overhead = len(encode(make_block(2, keys[0].address, [bytes(sample)]))) - sample
    tx = bytes(MAX_BLOCK_BYTES - overhead)
    block = make_block(2, keys[0].address, [tx])
    assert len(encode(block)) == MAX_BLOCK_BYTES
    answer = SyncResponse(2, [CommittedBlock(block, full_commit(keys, validators, block))], [])
    assert decode_response(encode(answer), MAX_SYNC_RESPONSE_BYTES) == answer


def full_commit(keys: list[KeySigner], validators: ValidatorSet, block: Block) -> Commit:
    """Every validator's precommit for ``block``, in set order (its id computed once: the
    helpers would hash the whole block for every vote)."""
    value_id = block_id(block)
    by_address = {key.address: key for key in keys}
    votes = [
        signed_vote(by_address[v.address], validators, VoteType.PRECOMMIT, 2, 0, value_id).vote
        for v in validators.validators
    ]
    sigs = [CommitSig(BlockIDFlag.COMMIT, v.validator_address, v.timestamp_ns, v.signature) for v in votes]
    return Commit(2, 0, value_id, sigs)
