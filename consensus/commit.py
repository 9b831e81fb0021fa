"""Checking a commit: +2/3 of a validator set's power precommitted the block.

Block sync and catch-up apply blocks decided by others on the strength of
their commit alone, so this is the check that stands between a peer's bytes
and the node's state. The rules are CometBFT's ``VerifyCommit``:

- one entry per validator, in set order;
- an ABSENT entry is empty: no address, timestamp 0, no signature;
- a COMMIT or NIL entry names the validator at its index and carries that
  validator's signature over its canonical precommit: for the commit's block
  id (COMMIT) or for nil (NIL), at the commit's height and round;
- only COMMIT entries count, and their power must exceed two thirds of the total.

Every entry that is not absent is checked, counted or not, so no byte of a
commit (and of the ``last_commit_hash`` over it) can change without the
commit becoming invalid, short of a validator signing again.
"""

from __future__ import annotations

from consensus.privval import verify
from consensus.types import (
    ZERO_BLOCK_ID,
    BlockID,
    BlockIDFlag,
    Commit,
    CommitSig,
    VoteType,
    vote_sign_bytes,
)
from consensus.validators import Validator, ValidatorSet


class InvalidCommit(Exception):
    """The commit does not prove its block; the message says why."""


def verify_commit(chain_id: str, validators: ValidatorSet, commit: Commit, block_id: BlockID) -> None:
    """Raise ``InvalidCommit`` unless more than 2/3 of ``validators`` precommitted ``block_id``
    and every entry of ``commit`` is well formed and, unless absent, validly signed."""
    if commit.block_id != block_id:
        raise InvalidCommit(f"commit at height {commit.height} is for another block")
    if len(commit.signatures) != len(validators.validators):
        raise InvalidCommit(
            f"commit has {len(commit.signatures)} signatures for {len(validators.validators)} validators"
        )
    signed = sum(
        _signed_power(chain_id, validator, commit, index, sig)
        for index, (validator, sig) in enumerate(zip(validators.validators, commit.signatures, strict=True))
    )
    total = validators.total_power()
    if 3 * signed <= 2 * total:
        raise InvalidCommit(f"commit at height {commit.height} has {signed} of {total} power; needs > 2/3")


def _signed_power(chain_id: str, validator: Validator, commit: Commit, index: int, sig: CommitSig) -> int:
    """The power entry ``index`` adds once it checks: the validator's for COMMIT, else 0."""
    if sig.block_id_flag == BlockIDFlag.ABSENT:
        _check_empty(index, sig)
        return 0
    if sig.block_id_flag not in (BlockIDFlag.COMMIT, BlockIDFlag.NIL):
        raise InvalidCommit(f"signature {index} has unknown flag {sig.block_id_flag}")
    if sig.validator_address != validator.address:
        raise InvalidCommit(f"signature {index} is not by validator {validator.address.hex()}")
    if not verify(validator.pub_key, _sign_bytes(chain_id, commit, sig), sig.signature):
        raise InvalidCommit(f"bad signature from validator {validator.address.hex()}")
    return validator.voting_power if sig.block_id_flag == BlockIDFlag.COMMIT else 0


def _check_empty(index: int, sig: CommitSig) -> None:
    """An absent entry says only that the validator's precommit is missing; anything more
    would be bytes that no signature covers."""
    if sig.validator_address or sig.timestamp_ns != 0 or sig.signature:
        raise InvalidCommit(f"absent signature {index} is not empty (address, timestamp or signature set)")


def _sign_bytes(chain_id: str, commit: Commit, sig: CommitSig) -> bytes:
    """The canonical precommit an entry's signature covers: for the block, or for nil."""
    voted = commit.block_id if sig.block_id_flag == BlockIDFlag.COMMIT else ZERO_BLOCK_ID
    return vote_sign_bytes(chain_id, VoteType.PRECOMMIT, commit.height, commit.round, voted, sig.timestamp_ns)
