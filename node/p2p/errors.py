"""Errors raised by the p2p layer, and unwrapping of libp2p's nested exception groups."""

from __future__ import annotations

import logging

import trio


class P2PError(Exception):
    """A p2p operation could not be done; the message says why."""


class NotRunningError(P2PError):
    """The node is not running (``run`` not started yet, or already stopped)."""


class MessageTooLargeError(P2PError):
    """A payload is larger than ``max_message_bytes``."""


class PeerBannedError(P2PError):
    """The peer is banned; no traffic is exchanged with it until the ban ends."""


class DirectRequestError(P2PError):
    """A direct request failed: dial, stream, timeout, framing, or the peer rejected it."""


class ChannelError(P2PError):
    """A frame could not be sent on a channel: peer not connected or banned, frame too large,
    stream broken or write timed out. The next send opens a new stream."""


class ChannelStalledError(ChannelError):
    """A frame waited too long for the peer to read it: the peer, or the connection under
    it, is stalled. The node disconnects such a peer."""


class InvalidRequestError(Exception):
    """Raised by a direct handler to reject a request; the requester sees the message.

    The requesting peer is reported invalid (see ``P2PNode.report_invalid``).
    """


def leaf_exceptions(exc: BaseException) -> list[BaseException]:
    """Every non-group exception inside ``exc``, depth first."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaf_exceptions(inner)]
    return [exc]


def root_cause(exc: BaseException) -> BaseException:
    """Follow ``__cause__`` / ``__context__`` to the first exception in the chain."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            return exc
        exc = inner
    return exc


def unwrap_group(group: BaseExceptionGroup, logger: logging.Logger) -> BaseException:
    """The exception to re-raise for ``group``: its first real (non-Cancelled) leaf.

    libp2p nests nurseries several levels deep, so one failure surfaces as
    groups within groups. Each real leaf is logged with its root cause; a group
    of nothing but ``trio.Cancelled`` is returned unchanged so trio can absorb it.
    """
    leaves = [leaf for leaf in leaf_exceptions(group) if not isinstance(leaf, trio.Cancelled)]
    if not leaves:
        return group
    for leaf in leaves:
        cause = root_cause(leaf)
        # Our own P2PErrors (a port in use, ...) say all there is; anything else is a bug.
        trace = None if isinstance(leaf, P2PError) else leaf
        logger.error("p2p node failed: %r (root cause: %r)", leaf, cause, exc_info=trace)
    return leaves[0]
