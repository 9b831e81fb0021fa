"""The swarm's failed-registration record loses its traceback only for a cancellation."""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Iterator

import pytest
import trio
from libp2p.network.swarm import Swarm

from node.p2p.library_logs import (
    SWARM_LOGGER,
    CancelledConnectionFilter,
    install_library_log_filters,
)

# The call in libp2p's Swarm.add_conn this filter is written for.
LIBRARY_MESSAGE = "[ADDCONN_FAIL] add_conn failed for peer %s: %r\\n%s"


@pytest.fixture
def swarm_log(caplog: pytest.LogCaptureFixture) -> Iterator[logging.Logger]:
    logger = logging.getLogger(SWARM_LOGGER)
    install_library_log_filters()
    caplog.set_level(logging.WARNING, logger=SWARM_LOGGER)
    yield logger
    for installed in [f for f in logger.filters if isinstance(f, CancelledConnectionFilter)]:
        logger.removeFilter(installed)


def a_real_cancellation() -> trio.Cancelled:
    caught: list[trio.Cancelled] = []

    async def cancelled_sleep() -> None:
        with trio.CancelScope() as scope:
            scope.cancel()
            try:
                await trio.sleep(1)
            except trio.Cancelled as exc:
                caught.append(exc)
                raise

    trio.run(cancelled_sleep)
    return caught[0]


def log_failed_add_conn(logger: logging.Logger, exc: BaseException) -> None:
    """What Swarm.add_conn logs: the traceback text as the third argument."""
    tb_str = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    logger.warning("[ADDCONN_FAIL] add_conn failed for peer %s: %r\n%s", "QmPeer", exc, tb_str[-2000:])


def test_the_library_still_logs_the_failure_this_filter_reads() -> None:
    assert LIBRARY_MESSAGE in inspect.getsource(Swarm.add_conn)


def test_a_cancelled_registration_is_one_line_without_traceback(
    swarm_log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    log_failed_add_conn(swarm_log, a_real_cancellation())

    (record,) = caplog.records
    line = record.getMessage()
    assert line.startswith("[ADDCONN_FAIL] add_conn cancelled for peer QmPeer: Cancelled(")
    assert "Traceback" not in line and "\n" not in line
    assert record.levelno == logging.WARNING


def test_a_group_of_cancellations_is_one_line(
    swarm_log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    cancelled = a_real_cancellation()
    log_failed_add_conn(swarm_log, BaseExceptionGroup("nursery", [cancelled, cancelled]))

    assert "Traceback" not in caplog.records[0].getMessage()


def test_any_other_failure_keeps_its_traceback(
    swarm_log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        raise ValueError("bad muxer")
    except ValueError as exc:
        log_failed_add_conn(swarm_log, BaseExceptionGroup("nursery", [a_real_cancellation(), exc]))

    line = caplog.records[0].getMessage()
    assert line.startswith("[ADDCONN_FAIL] add_conn failed for peer QmPeer")
    assert "Traceback" in line and "ValueError: bad muxer" in line


def test_other_records_pass_unchanged(swarm_log: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    swarm_log.warning("[ADDCONN_FAIL] %s", "no exception here")
    cancelled = a_real_cancellation()
    swarm_log.warning("dial to %s failed: %r", "QmPeer", cancelled)

    assert [r.getMessage() for r in caplog.records] == [
        "[ADDCONN_FAIL] no exception here",
        f"dial to QmPeer failed: {cancelled!r}",
    ]


def test_installing_twice_adds_one_filter(swarm_log: logging.Logger) -> None:
    install_library_log_filters()

    assert sum(isinstance(f, CancelledConnectionFilter) for f in swarm_log.filters) == 1
