"""Keep py-libp2p's routine events out of the node's log as tracebacks.

libp2p's swarm logs every failed connection registration with the failure's whole traceback
as a message argument (not ``exc_info``). When the failure is only a cancellation — the node
is stopping, or the dial's deadline passed — that traceback says nothing an operator can act
on, and a traceback in a node's log means a bug. ``CancelledConnectionFilter`` keeps such a
record to its first line.
"""

from __future__ import annotations

import logging

import trio

from node.p2p.errors import leaf_exceptions

SWARM_LOGGER = "libp2p.network.swarm"
ADD_CONN_FAILED = "[ADDCONN_FAIL]"


class CancelledConnectionFilter(logging.Filter):
    """Drops the traceback argument of the swarm's ``[ADDCONN_FAIL]`` record when the failure
    was nothing but ``trio.Cancelled``; every other record passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if is_cancelled_add_conn(record):
            assert isinstance(record.args, tuple)
            record.msg = f"{ADD_CONN_FAILED} add_conn cancelled for peer %s: %r"
            record.args = record.args[:2]
        return True


def is_cancelled_add_conn(record: logging.LogRecord) -> bool:
    """Whether ``record`` is the swarm's failed-registration line (peer, exception, traceback)
    for a failure made only of cancellations."""
    if not isinstance(record.msg, str) or not record.msg.startswith(ADD_CONN_FAILED):
        return False
    args = record.args
    if not isinstance(args, tuple) or len(args) != 3 or not isinstance(args[1], BaseException):
        return False
    return all(isinstance(leaf, trio.Cancelled) for leaf in leaf_exceptions(args[1]))


def install_library_log_filters() -> None:
    """Install the filters on libp2p's loggers (once: installing twice adds nothing)."""
    swarm = logging.getLogger(SWARM_LOGGER)
    if not any(isinstance(f, CancelledConnectionFilter) for f in swarm.filters):
        swarm.addFilter(CancelledConnectionFilter())
