"""Checking a commit: +2/3 of a validator set's power precommitted the block.

Block sync and catch-up apply blocks decided by others on the strength of
their commit alone, so this is the check that stands between a peer's bytes
and the node's state. The rules are CometBFT's ``VerifyCommit``: one entry
per validator in set order, each COMMIT entry signed by that validator over
the canonical precommit, and the signed power above two thirds of the total.
"""

from __future__ import annotations

from consensus.privval import verify
from consensus.types import BlockID, BlockIDFlag, Commit, CommitSig, VoteType, vote_sign_bytes
from consensus.validators import ValidatorSet


class InvalidCommit(Exception):
    """The commit does not prove its block; the message says why."""


def verify_commit(chain_id: str, validators: ValidatorSet, commit: Commit, block_id: BlockID) -> None:
    """Raise ``InvalidCommit`` unless more than 2/3 of ``validators`` precommitted ``block_id``."""
    if commit.block_id != block_id:
        raise InvalidCommit(f"commit at height {commit.height} is for another block")
    if len(commit.signatures) != len(validators.validators):
        raise InvalidCommit(
            f"commit has {len(commit.signatures)} signatures for {len(validators.validators)} validators"
        )
    signed = sum(
        _signed_power(chain_id, validators, commit, index, sig) for index, sig in enumerate(commit.signatures)
    )
    total = validators.total_power()
    if 3 * signed <= 2 * total:
        raise InvalidCommit(f"commit at height {commit.height} has {signed} of {total} power; needs > 2/3")


def _signed_power(chain_id: str, validators: ValidatorSet, commit: Commit, index: int, sig: CommitSig) -> int:
    """The power a COMMIT entry adds once its signature checks; 0 for NIL and ABSENT entries."""
    if sig.block_id_flag == BlockIDFlag.ABSENT:
        return 0
    if sig.block_id_flag not in (BlockIDFlag.COMMIT, BlockIDFlag.NIL):
        raise InvalidCommit(f"signature {index} has unknown flag {sig.block_id_flag}")
    validator = validators.validators[index]
    if sig.validator_address != validator.address:
        raise InvalidCommit(f"signature {index} is not by validator {validator.address.hex()}")
    if sig.block_id_flag == BlockIDFlag.NIL:
        return 0  # a nil precommit signs another message; it counts for nothing here
    message = vote_sign_bytes(
        chain_id, VoteType.PRECOMMIT, commit.height, commit.round, commit.block_id, sig.timestamp_ns
    )
    if not verify(validator.pub_key, message, sig.signature):
        raise InvalidCommit(f"bad signature from validator {validator.address.hex()}")
    return validator.voting_power
