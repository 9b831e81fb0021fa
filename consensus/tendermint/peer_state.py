"""What each peer has of the height it decides, learnt from what it sends us.

A node publishes only its own proposals and votes, so a peer's signed gossip says
which (height, round, step) it has reached; its sync requests say the first height
it lacks and how many of that height's messages it holds (the requester's digests,
which the sync server also uses to send only what it lacks). CometBFT's PeerState
learns the same from NewRoundStep and HasVote messages; here no extra message is
needed. Shown by ``dump_consensus_state``; bounded to the peers seen last.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from consensus.tendermint.messages import Step, VoteMsg
from consensus.tendermint.wire import Received

TRACKED_PEERS = 1024


@dataclass(frozen=True)
class PeerRoundState:
    height: int  # the height it decides
    round: int  # -1 until it signs something at that height
    step: int  # the ``Step`` of its latest message there; 0 when none
    holds: int  # messages of that height it said it holds (its last sync request), -1 if unknown
    seen_at: float  # trio time of the last news


class PeerStates:
    def __init__(self, tracked: int = TRACKED_PEERS) -> None:
        self._tracked = tracked
        self._states: OrderedDict[str, PeerRoundState] = OrderedDict()

    def signed(self, peer: str, message: Received, now: float) -> None:
        """``peer`` sent its own (correctly signed) vote, or a part of its proposal."""
        if isinstance(message, VoteMsg):
            vote = message.vote
            height, round_, step = vote.height, vote.round, int(Step.PREVOTE) + vote.type - 1
        else:
            height, round_, step = message.proposal.height, message.proposal.round, int(Step.PROPOSE)
        known = self._states.get(peer)
        holds = -1
        if known is not None:
            if (height, round_, step) <= (known.height, known.round, known.step):
                self._touch(peer, known, now)
                return
            holds = known.holds if known.height == height else -1
        self._put(peer, PeerRoundState(height, round_, step, holds, now))

    def asked(self, peer: str, height: int, holds: int, now: float) -> None:
        """``peer`` asked for ``height`` holding ``holds`` of its messages."""
        known = self._states.get(peer)
        if known is not None and known.height == height:
            self._put(peer, PeerRoundState(height, known.round, known.step, holds, now))
        elif known is None or height > known.height:
            self._put(peer, PeerRoundState(height, -1, 0, holds, now))
        else:
            self._touch(peer, known, now)

    def get(self, peer: str) -> PeerRoundState | None:
        return self._states.get(peer)

    def _touch(self, peer: str, known: PeerRoundState, now: float) -> None:
        self._put(peer, PeerRoundState(known.height, known.round, known.step, known.holds, now))

    def _put(self, peer: str, state: PeerRoundState) -> None:
        self._states.pop(peer, None)
        self._states[peer] = state
        if len(self._states) > self._tracked:
            self._states.popitem(last=False)
