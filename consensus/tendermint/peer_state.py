"""What each peer has of the height it decides (CometBFT's PeerState).

A peer says where it is with ``RoundStep`` whenever that changes, and which votes
and parts it received with ``Has``; every message it sends us, and every one we
send it, it holds too. Its sync requests say the first height it lacks and how
many of that height's messages it holds. The reactor sends a peer only what it
lacks; ``dump_consensus_state`` shows the round states. Memory is bounded: the
peers seen last, and per peer the digests of one height, up to ``MAX_HAVE``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from consensus.tendermint.wire import MAX_HAVE

TRACKED_PEERS = 1024


@dataclass(frozen=True)
class PeerRoundState:
    height: int  # the height it decides
    round: int  # -1 until it says
    step: int  # a ``Step``, or ``wire.DECIDED_STEP``; 0 until it says
    holds: int  # messages of that height it said it holds (its last sync request), -1 if unknown
    seen_at: float  # trio time of the last news


@dataclass
class _Holdings:
    height: int = 0
    digests: set[bytes] = field(default_factory=set)


class PeerStates:
    def __init__(self, tracked: int = TRACKED_PEERS) -> None:
        self._tracked = tracked
        self._states: OrderedDict[str, PeerRoundState] = OrderedDict()
        self._holdings: dict[str, _Holdings] = {}

    def stepped(self, peer: str, height: int, round_: int, step: int, now: float) -> bool:
        """``peer`` says it is at (height, round, step); False if that is no news. A peer
        speaks for itself, so even a step back is believed (it restarted)."""
        known = self._states.get(peer)
        if known is not None and (known.height, known.round, known.step) == (height, round_, step):
            return False
        holds = known.holds if known is not None and known.height == height else -1
        self._put(peer, PeerRoundState(height, round_, step, holds, now))
        return True

    def asked(self, peer: str, height: int, holds: int, now: float) -> None:
        """``peer`` asked for ``height`` holding ``holds`` of its messages."""
        known = self._states.get(peer)
        if known is not None and known.height == height:
            self._put(peer, PeerRoundState(height, known.round, known.step, holds, now))
        elif known is None or height > known.height:
            self._put(peer, PeerRoundState(height, -1, 0, holds, now))
        else:
            self._put(peer, PeerRoundState(known.height, known.round, known.step, known.holds, now))

    def has(self, peer: str, height: int, digests: list[bytes]) -> int:
        """``peer`` holds these messages of ``height``; returns how many are news. Only its
        own height's are kept (it says which with ``RoundStep``)."""
        state = self._states.get(peer)
        if state is None or state.height != height:
            return 0
        held = self._holdings_of(peer, height)
        new = [d for d in digests if d not in held.digests]
        room = MAX_HAVE - len(held.digests)
        held.digests.update(new[: max(room, 0)])
        return len(new)

    def holds(self, peer: str, height: int, digest: bytes) -> bool:
        held = self._holdings.get(peer)
        return held is not None and held.height == height and digest in held.digests

    def get(self, peer: str) -> PeerRoundState | None:
        return self._states.get(peer)

    def _holdings_of(self, peer: str, height: int) -> _Holdings:
        held = self._holdings.get(peer)
        if held is None or held.height != height:
            held = self._holdings[peer] = _Holdings(height)
        return held

    def _put(self, peer: str, state: PeerRoundState) -> None:
        self._states.pop(peer, None)
        self._states[peer] = state
        if len(self._states) > self._tracked:
            gone, _ = self._states.popitem(last=False)
            self._holdings.pop(gone, None)
