"""Checks at start that signing cannot repeat what this validator's key already signed.

``priv_validator_state.json`` (consensus/privval.py) is what stops a validator from signing
twice: a node that starts without it would sign the height in progress as if it never had.
So a missing state file is accepted only while the block store shows no signature of this
key in its last ``MISSING_STATE_LOOKBACK`` heights; otherwise the node refuses to start and
says how to recover.

``double_sign_check_height`` ([consensus] in config.toml, as CometBFT's option of that name):
when positive, the node refuses to start if any of the last that many heights holds a
signature of its key: it guards against the same key running on another machine. As in
CometBFT, an operator who restarts a validator with it set waits that many blocks first.
"""

from __future__ import annotations

from consensus.types import BlockIDFlag, Commit
from node.storage.chain import ChainStore

MISSING_STATE_LOOKBACK = 10


class SigningRiskError(Exception):
    """Starting now could make this validator sign something twice."""


def check_signing_risk(chain: ChainStore, address: bytes, state_exists: bool, lookback: int) -> None:
    """Refuse to start (SigningRiskError) as the module docstring says."""
    if not state_exists:
        height = last_signed_height(chain, address, MISSING_STATE_LOOKBACK)
        if height is not None:
            raise SigningRiskError(
                f"priv_validator_state.json is missing, but this validator's key signed the commit "
                f"of block {height}: restore the file from a backup (or write one whose height is past "
                f"the chain's, {chain.height() + 1}), else the node could sign twice"
            )
    if lookback > 0:
        height = last_signed_height(chain, address, lookback)
        if height is not None:
            raise SigningRiskError(
                f"double_sign_check_height = {lookback}: this validator's key signed the commit of "
                f"block {height}; is it running elsewhere? Wait {lookback} blocks after stopping it"
            )


def last_signed_height(chain: ChainStore, address: bytes, lookback: int) -> int | None:
    """The highest of the last ``lookback`` stored heights whose commit holds a signature of
    ``address``: the commit seen at the decision, or the one the next block carries."""
    top = chain.height()
    for height in range(top, max(top - lookback, chain.base() - 1, 0), -1):
        following = chain.load_block(height + 1) if height < top else None
        commits = [chain.load_commit(height), following.last_commit if following is not None else None]
        if any(commit is not None and signed_by(commit, address) for commit in commits):
            return height
    return None


def signed_by(commit: Commit, address: bytes) -> bool:
    signers = (sig.validator_address for sig in commit.signatures if sig.block_id_flag != BlockIDFlag.ABSENT)
    return address in signers
