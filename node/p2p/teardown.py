"""Closing a libp2p connection within a bound, even one whose writes never finish.

A graceful close says goodbye first: yamux writes a GO_AWAY frame, and libp2p
then resets each stream, each a write. On a stalled connection (the peer reads
nothing, or both peers wait to write to each other; see ``channel.py``) those
writes wait behind writes that never finish. So a stalled connection first loses
its transport: closing the secured connection under the muxer fails every
pending and later write at once, the muxer's read loop ends, and libp2p's close
then runs to its end and tells the swarm's notifees (our ``_on_disconnected``),
as it does for any dropped connection.
"""

from __future__ import annotations

import logging

import trio
from libp2p.abc import INetConn

from node.p2p.direct import NETWORK_ERRORS

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 5.0  # a graceful close takes one write per stream
_DROP_TIMEOUT_S = 1.0  # closing a socket does not wait for the peer


async def close_connection(conn: INetConn, *, abort: bool) -> None:
    """Close ``conn`` within ``CLOSE_TIMEOUT_S`` (``abort``: drop its transport first)."""
    if abort:
        await drop_transport(conn)
    with trio.move_on_after(CLOSE_TIMEOUT_S) as waited:
        try:
            await conn.close()
        except NETWORK_ERRORS as exc:
            logger.debug("closing a connection to %s failed: %r", conn.muxed_conn.peer_id, exc)
    if waited.cancelled_caught:
        logger.info("closing the connection to %s took over %s s", conn.muxed_conn.peer_id, CLOSE_TIMEOUT_S)


async def drop_transport(conn: INetConn) -> None:
    """Close the secured connection under ``conn``'s muxer (yamux's ``secured_conn``)."""
    secured = getattr(conn.muxed_conn, "secured_conn", None)
    if secured is None:
        return
    with trio.move_on_after(_DROP_TIMEOUT_S):
        try:
            await secured.close()
        except NETWORK_ERRORS as exc:
            logger.debug("dropping the transport to %s failed: %r", conn.muxed_conn.peer_id, exc)
