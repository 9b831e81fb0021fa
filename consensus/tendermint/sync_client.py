"""Catch-up: ask one peer at a time for what we lack at our height.

Gossip alone loses what was sent while a node was down or not yet connected;
this is how such a node catches up. A ``SyncClient`` asks the peers in turn
with the ``SyncRequest`` its owner builds (the height we decide and digests of
what we hold for it): a peer that has committed that height answers with blocks
and their commits (block sync, many per answer), a peer at the same height with
the votes and parts we have not seen. The client changes nothing itself: each
answer goes to the owner's inbox as a ``Synced`` event, and after an answer
with blocks the next request waits until the owner has applied them, so that
it starts from the new height. A peer whose answer is malformed is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import trio

from consensus.codec import encode
from consensus.tendermint.network import PeerError, SyncPeers
from consensus.tendermint.wire import (
    MAX_SYNC_RESPONSE_BYTES,
    BadMessage,
    SyncRequest,
    SyncResponse,
    decode_response,
)

log = logging.getLogger("depind.consensus")


@dataclass(frozen=True)
class Synced:
    """A peer's answer for the owner to handle; it sets ``done`` once it has."""

    peer: str
    response: SyncResponse
    done: trio.Event


class SyncClient:
    def __init__(
        self,
        network: SyncPeers,
        wanted: Callable[[], SyncRequest],
        inbox: trio.abc.SendChannel[Synced],
        interval_s: float,
        timeout_s: float,
    ) -> None:
        """``wanted`` reads the owner's state for what to ask; answers go to ``inbox``;
        ``interval_s`` between requests while nothing new comes back."""
        self._network = network
        self._wanted = wanted
        self._inbox = inbox
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self._peer = 0

    async def run(self) -> None:
        while True:
            synced = await self.sync_once()
            if synced is None or not synced.response.blocks:
                await trio.sleep(self._interval_s)
                continue
            await synced.done.wait()  # the next request starts from the blocks just applied

    async def sync_once(self) -> Synced | None:
        """Ask the next peer for what we lack; the answer goes to the owner's inbox."""
        peers = sorted(self._network.peers())
        if not peers:
            return None
        self._peer = (self._peer + 1) % len(peers)
        peer = peers[self._peer]
        request = self._wanted()
        try:
            with trio.fail_after(self._timeout_s):
                data = await self._network.request(peer, encode(request))
            response = decode_response(data, MAX_SYNC_RESPONSE_BYTES)
        except (PeerError, trio.TooSlowError) as exc:
            log.debug("sync request to %s failed: %s", peer, exc)
            return None
        except BadMessage as exc:
            self._network.report_invalid(peer, f"malformed sync response: {exc}")
            return None
        synced = Synced(peer, response, trio.Event())
        await self._inbox.send(synced)
        return synced
