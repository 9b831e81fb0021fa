"""The reactor sends each peer what it lacks: our own messages at once, a received
one after ``relay_after_s`` unless the peer said it has it, and nothing twice."""

from __future__ import annotations

from collections import defaultdict

import trio

from consensus.tendermint.messages import Step, VoteMsg
from consensus.tendermint.network import PeerError
from consensus.tendermint.peer_state import PeerStates
from consensus.tendermint.reactor import Reactor, ReactorConfig
from consensus.tendermint.wire import (
    Has,
    RoundStep,
    decode_channel,
    received_digest,
)
from consensus.types import VoteType
from tests.consensus.tendermint.support import signed_vote, signers, validator_set

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [10] * 4)
CONFIG = ReactorConfig(relay_after_s=0.1, idle_s=0.1, retry_s=0.5)


def prevote(key: int, height: int = 5) -> VoteMsg:
    return signed_vote(KEYS[key], VALIDATORS, VoteType.PREVOTE, height, 0, None)


class Channel:
    def __init__(self, peers: list[str]) -> None:
        self.connected = peers
        self.frames: dict[str, list[object]] = defaultdict(list)
        self.broken: set[str] = set()
        self.lost: set[str] = set()  # links that dropped and came back: the next send fails once

    def peers(self) -> list[str]:
        return list(self.connected)

    async def send(self, peer: str, payload: bytes) -> None:
        await trio.sleep(0.001)
        if peer in self.broken:
            raise PeerError("broken")
        if peer in self.lost:
            self.lost.discard(peer)
            raise PeerError("the connection was lost")
        self.frames[peer].append(decode_channel(payload, 1 << 20))

    def votes_to(self, peer: str) -> list[VoteMsg]:
        return [f for f in self.frames[peer] if isinstance(f, VoteMsg)]


async def running(nursery: trio.Nursery, peers: list[str]) -> tuple[Reactor, Channel, PeerStates]:
    channel, states = Channel(peers), PeerStates()
    reactor = Reactor(channel, states, CONFIG)
    reactor.start_height(5)
    reactor.step(5, 0, Step.PREVOTE)
    for peer in peers:
        states.stepped(peer, 5, 0, Step.PREVOTE, 0.0)
    nursery.start_soon(reactor.run)
    await trio.sleep(0.05)
    return reactor, channel, states


async def test_our_messages_go_at_once_and_once(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as nursery:
        reactor, channel, _ = await running(nursery, ["p", "q"])
        assert channel.frames["p"] == [RoundStep(5, 0, Step.PREVOTE)]
        ours = prevote(0)
        reactor.hold(ours, own=True)
        reactor.hold(ours, own=True)
        await trio.sleep(0.01)
        assert channel.votes_to("p") == [ours] and channel.votes_to("q") == [ours]
        await trio.sleep(2.0)
        assert channel.votes_to("p") == [ours]  # and no Has for it: it is ours
        assert not [f for f in channel.frames["p"] if isinstance(f, Has)]
        nursery.cancel_scope.cancel()


async def test_a_received_message_is_relayed_late_and_only_to_who_lacks_it(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with trio.open_nursery() as nursery:
        reactor, channel, states = await running(nursery, ["p", "q", "r"])
        vote = prevote(1)
        digest = received_digest(vote)
        states.has("p", 5, [digest])  # p sent it to us
        reactor.hold(vote, own=False)
        await trio.sleep(0.05)
        # q and r hear that we have it; none gets it before relay_after_s
        assert Has(5, [digest]) in channel.frames["q"] and Has(5, [digest]) in channel.frames["r"]
        assert Has(5, [digest]) not in channel.frames["p"]
        assert not any(channel.votes_to(peer) for peer in ("p", "q", "r"))
        states.has("q", 5, [digest])  # q's Has came: it got the vote from its signer
        reactor.peer_news()
        await trio.sleep(1.0)
        assert channel.votes_to("r") == [vote]
        assert channel.votes_to("p") == [] and channel.votes_to("q") == []
        nursery.cancel_scope.cancel()


async def test_peers_at_other_heights_get_our_step_but_no_messages(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as nursery:
        reactor, channel, states = await running(nursery, ["behind"])
        states.stepped("behind", 4, 2, Step.PRECOMMIT, 0.1)
        reactor.hold(prevote(0), own=True)
        reactor.hold(prevote(1), own=False)
        reactor.step(5, 0, Step.PRECOMMIT)
        await trio.sleep(1.0)
        assert channel.votes_to("behind") == []
        assert not [f for f in channel.frames["behind"] if isinstance(f, Has)]  # junk at its height
        assert channel.frames["behind"][-1] == RoundStep(5, 0, Step.PRECOMMIT)
        states.stepped("behind", 5, 0, Step.PROPOSE, 1.0)  # it caught up
        reactor.peer_news()
        await trio.sleep(0.2)
        assert channel.votes_to("behind") == [prevote(0), prevote(1)]
        nursery.cancel_scope.cancel()


async def test_a_new_height_forgets_the_last(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as nursery:
        reactor, channel, states = await running(nursery, ["p"])
        reactor.hold(prevote(0), own=True)
        await trio.sleep(0.1)
        reactor.start_height(6)
        reactor.step(6, 0, Step.PROPOSE)
        states.stepped("p", 6, 0, Step.PROPOSE, 1.0)
        reactor.peer_news()
        ours = prevote(0, height=6)
        reactor.hold(ours, own=True)
        await trio.sleep(1.0)
        assert channel.votes_to("p") == [prevote(0), ours]
        nursery.cancel_scope.cancel()


async def test_a_failed_send_restarts_the_routine(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as nursery:
        reactor, channel, _ = await running(nursery, ["p"])
        channel.broken.add("p")
        reactor.hold(prevote(0), own=True)
        await trio.sleep(0.2)
        assert reactor.failed >= 1 and channel.votes_to("p") == []
        channel.broken.clear()
        await trio.sleep(2.0)
        assert channel.votes_to("p") == [prevote(0)]
        assert channel.frames["p"].count(RoundStep(5, 0, Step.PREVOTE)) == 2  # told again on the new start
        nursery.cancel_scope.cancel()


async def test_a_disconnected_peers_routine_ends(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as nursery:
        reactor, channel, _ = await running(nursery, ["p"])
        channel.connected = []
        await trio.sleep(0.5)
        reactor.hold(prevote(0), own=True)
        await trio.sleep(0.5)
        assert channel.votes_to("p") == []
        nursery.cancel_scope.cancel()


async def test_a_peer_gets_rounds_up_to_its_round_plus_one(autojump_clock: trio.abc.Clock) -> None:
    """Votes of later rounds wait until the peer gets there, as CometBFT sends a peer its
    round's votes: a lagging peer would take them for a far-round flood."""
    async with trio.open_nursery() as nursery:
        reactor, channel, states = await running(nursery, ["lagging"])
        votes = [signed_vote(KEYS[0], VALIDATORS, VoteType.PREVOTE, 5, r, None) for r in range(4)]
        for vote in votes:
            reactor.hold(vote, own=True)
        await trio.sleep(1.0)
        assert channel.votes_to("lagging") == votes[:2]  # it is at round 0
        states.stepped("lagging", 5, 2, Step.PROPOSE, 1.0)
        reactor.peer_news()
        await trio.sleep(0.1)
        assert channel.votes_to("lagging") == votes
        nursery.cancel_scope.cancel()


async def test_a_quiet_routine_sends_its_step_again_and_so_learns_of_a_lost_link(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with trio.open_nursery() as nursery:
        reactor, channel, _ = await running(nursery, ["p"])
        ours = prevote(0)
        reactor.hold(ours, own=True)
        await trio.sleep(9.0)
        steps = [f for f in channel.frames["p"] if isinstance(f, RoundStep)]
        assert len(steps) == 1 + 4  # the first, then one after each keepalive_s without a frame
        assert channel.votes_to("p") == [ours]
        channel.lost.add("p")  # the frames sent may never have arrived; nothing new to send
        await trio.sleep(CONFIG.keepalive_s + CONFIG.retry_s + 0.5)
        assert channel.votes_to("p") == [ours, ours]  # the routine started afresh and sent it again
        assert reactor.failed == 1
        nursery.cancel_scope.cancel()
