"""The validator's ``Signer`` for the round state machine, over ``privval.FilePV``.

Each message is signed at its (height, round, step): a proposal at
STEP_PROPOSE, a prevote at STEP_PREVOTE, a precommit at STEP_PRECOMMIT. The
guard's last-sign state therefore refuses anything that goes backwards or
names another block at a step already signed, even after a restart, and
signing identical bytes again returns the same signature, so a restarted node
that rebuilds the same vote can still send it. A vote carries its signer's
clock (BFT time), so a rebuilt vote that differs from the signed one only in
its timestamp gets the signed one's, as CometBFT's FilePV does.
"""

from __future__ import annotations

import msgspec

from consensus.codec import CodecError, decode
from consensus.privval import STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE, FilePV
from consensus.tendermint.messages import Proposal
from consensus.types import CanonicalVote, Vote, VoteType

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
        vote = self._as_signed_before(chain_id, vote, step)
        signature = self._pv.sign(vote.height, vote.round, step, vote.sign_bytes(chain_id))
        return msgspec.structs.replace(vote, signature=signature)

    def _as_signed_before(self, chain_id: str, vote: Vote, step: int) -> Vote:
        """``vote`` at the time of the vote last signed, if that one differs only in time."""
        last = self._pv.last
        if (last.height, last.round, last.step) != (vote.height, vote.round, step):
            return vote
        signed = bytes.fromhex(last.sign_bytes_hex)
        try:
            earlier = msgspec.structs.replace(vote, timestamp_ns=decode(signed, CanonicalVote).timestamp_ns)
        except CodecError:
            return vote
        return earlier if earlier.sign_bytes(chain_id) == signed else vote

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        sign_bytes = proposal.sign_bytes(chain_id)
        signature = self._pv.sign(proposal.height, proposal.round, STEP_PROPOSE, sign_bytes)
        return msgspec.structs.replace(proposal, signature=signature)
