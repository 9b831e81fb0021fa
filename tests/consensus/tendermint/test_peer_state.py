"""Peers' round states, as their ``RoundStep`` messages and sync requests show them,
and what each holds of its height."""

from __future__ import annotations

from consensus.tendermint.messages import Step
from consensus.tendermint.peer_state import PeerRoundState, PeerStates
from consensus.tendermint.wire import DECIDED_STEP, MAX_HAVE

A, B = b"a" * 8, b"b" * 8


def test_a_peer_says_where_it_is() -> None:
    states = PeerStates()
    assert states.stepped("p", 5, 1, Step.PREVOTE, 1.0)
    assert states.get("p") == PeerRoundState(5, 1, Step.PREVOTE, -1, 1.0)
    assert not states.stepped("p", 5, 1, Step.PREVOTE, 2.0)  # no news
    assert states.stepped("p", 5, 1, DECIDED_STEP, 3.0)
    assert states.stepped("p", 3, 0, Step.PROPOSE, 4.0)  # it restarted from an older height
    assert states.get("p") == PeerRoundState(3, 0, Step.PROPOSE, -1, 4.0)


def test_sync_requests_say_the_height_and_how_much_it_holds() -> None:
    states = PeerStates()
    states.asked("p", 7, 12, 1.0)
    assert states.get("p") == PeerRoundState(7, -1, 0, 12, 1.0)
    states.stepped("p", 7, 0, Step.PREVOTE, 2.0)
    assert states.get("p") == PeerRoundState(7, 0, Step.PREVOTE, 12, 2.0)
    states.asked("p", 7, 15, 3.0)
    assert states.get("p") == PeerRoundState(7, 0, Step.PREVOTE, 15, 3.0)
    states.asked("p", 6, 0, 4.0)  # a request from before, answered late: no step back
    assert states.get("p") == PeerRoundState(7, 0, Step.PREVOTE, 15, 4.0)
    states.stepped("p", 8, 0, Step.PROPOSE, 5.0)
    assert states.get("p") == PeerRoundState(8, 0, Step.PROPOSE, -1, 5.0)


def test_holdings_are_of_the_peers_height_only() -> None:
    states = PeerStates()
    assert states.has("p", 5, [A]) == 0  # where it is is not known yet
    states.stepped("p", 5, 0, Step.PROPOSE, 1.0)
    assert states.has("p", 5, [A]) == 1
    assert states.has("p", 5, [A, B]) == 1
    assert states.has("p", 4, [B]) == 0
    assert states.holds("p", 5, A) and states.holds("p", 5, B)
    states.stepped("p", 6, 0, Step.PROPOSE, 2.0)
    states.has("p", 6, [B])
    assert not states.holds("p", 5, A) and not states.holds("p", 6, A) and states.holds("p", 6, B)


def test_holdings_are_bounded() -> None:
    states = PeerStates()
    states.stepped("p", 1, 0, Step.PROPOSE, 1.0)
    digests = [i.to_bytes(8, "big") for i in range(MAX_HAVE + 10)]
    states.has("p", 1, digests)
    assert states.holds("p", 1, digests[MAX_HAVE - 1])
    assert not states.holds("p", 1, digests[MAX_HAVE])


def test_only_the_peers_heard_from_last_are_kept() -> None:
    states = PeerStates(tracked=2)
    for peer in ("a", "b", "c"):
        states.stepped(peer, 1, 0, Step.PROPOSE, 0.0)
        states.has(peer, 1, [A])
    assert states.get("a") is None and not states.holds("a", 1, A)
    assert states.get("b") is not None and states.get("c") is not None
