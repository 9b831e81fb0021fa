"""The validator's ``Signer`` for the round state machine, over ``privval.FilePV``.

Each message is signed at its (height, round, step): a proposal at
STEP_PROPOSE, a prevote at STEP_PREVOTE, a precommit at STEP_PRECOMMIT. The
guard's last-sign state therefore refuses anything that goes backwards or
names another block at a step already signed, even after a restart, and
signing identical bytes again returns the same signature, so a restarted node
that rebuilds the same vote can still send it.
"""

from __future__ import annotations

import msgspec

from consensus.privval import STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE, FilePV
from consensus.tendermint.messages import Proposal
from consensus.types import Vote, VoteType

VOTE_STEPS: dict[int, int] = {VoteType.PREVOTE: STEP_PREVOTE, VoteType.PRECOMMIT: STEP_PRECOMMIT}


class PVSigner:
    """Signs proposals and votes with the validator key; may raise ``privval.DoubleSignError``."""

    def __init__(self, pv: FilePV) -> None:
        self._pv = pv

    @property
    def address(self) -> bytes:
        return self._pv.address

    @property
    def pub_key(self) -> bytes:
        return self._pv.pub_key

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote:
        step = VOTE_STEPS.get(vote.type)
        if step is None:
            raise ValueError(f"cannot sign a vote of type {vote.type}")
        signature = self._pv.sign(vote.height, vote.round, step, vote.sign_bytes(chain_id))
        return msgspec.structs.replace(vote, signature=signature)

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        sign_bytes = proposal.sign_bytes(chain_id)
        signature = self._pv.sign(proposal.height, proposal.round, STEP_PROPOSE, sign_bytes)
        return msgspec.structs.replace(proposal, signature=signature)
