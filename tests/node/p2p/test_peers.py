"""Reconnect back-off bounds and the peer score book."""

from __future__ import annotations

import pytest

from node.p2p.config import PeerId
from node.p2p.peers import PeerBook, backoff_delay

PEER = PeerId("peer-a")


def test_backoff_doubles_from_base_up_to_max() -> None:
    delays = [backoff_delay(n, base=0.5, maximum=30.0) for n in range(1, 10)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_backoff_is_bounded_for_huge_failure_counts() -> None:
    assert backoff_delay(10_000, base=0.1, maximum=5.0) == 5.0


def test_invalid_backoff_failure_count() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        backoff_delay(0, base=1.0, maximum=2.0)


def test_reports_lower_the_score_and_ban_at_the_threshold() -> None:
    book = PeerBook(penalty=10, threshold=-30, ban_duration=60.0)
    assert [book.report_invalid(PEER, now=0.0) for _ in range(3)] == [False, False, True]
    assert book.score(PEER, now=1.0) == -30
    assert book.is_banned(PEER, now=59.0)
    assert book.banned(now=1.0) == [PEER]
    assert book.ban_remaining(PEER, now=20.0) == 40.0


def test_reports_while_banned_do_not_extend_the_ban() -> None:
    book = PeerBook(penalty=10, threshold=-10, ban_duration=60.0)
    assert book.report_invalid(PEER, now=0.0)
    assert not book.report_invalid(PEER, now=30.0)
    assert not book.is_banned(PEER, now=60.0)


def test_expired_ban_is_lifted_and_the_score_starts_again() -> None:
    book = PeerBook(penalty=10, threshold=-20, ban_duration=5.0)
    book.report_invalid(PEER, now=0.0)
    book.report_invalid(PEER, now=0.0)
    assert book.score(PEER, now=5.0) == 0  # already, before expire() runs
    assert book.expire(now=4.0) == []
    assert book.expire(now=5.0) == [PEER]
    assert book.score(PEER, now=5.0) == 0
    assert not book.is_banned(PEER, now=5.0)
    assert book.banned(now=5.0) == []


def test_a_report_after_an_ended_ban_counts_from_zero() -> None:
    book = PeerBook(penalty=10, threshold=-20, ban_duration=5.0)
    book.report_invalid(PEER, now=0.0)
    book.report_invalid(PEER, now=0.0)
    assert not book.report_invalid(PEER, now=6.0)  # expire() has not run yet
    assert book.score(PEER, now=6.0) == -10
    assert not book.is_banned(PEER, now=6.0)
