"""SilenceWatch names the connected peers that sent nothing for longer than the limit."""

from __future__ import annotations

from node.p2p.config import PeerId
from node.p2p.silence import SilenceWatch

A, B = PeerId("a"), PeerId("b")


def test_no_limit_names_no_one() -> None:
    watch = SilenceWatch()
    assert watch.silent([A], 0.0) == [] and watch.silent([A], 1e9) == []


def test_a_peer_is_named_once_per_limit_of_silence() -> None:
    watch = SilenceWatch()
    watch.expect_every(10.0)
    watch.heard(A, 0.0)
    assert watch.silent([A, B], 5.0) == []  # B's clock starts when first seen connected
    watch.heard(A, 9.0)
    assert watch.silent([A, B], 15.5) == [B]
    assert watch.silent([A, B], 19.5) == [A]  # 10.5 s since its frame; B's clock started again
    assert watch.silent([A, B], 20.0) == []
    assert watch.silent([A, B], 25.6) == [B]


def test_a_new_limit_starts_every_clock_and_the_shortest_holds() -> None:
    watch = SilenceWatch()
    watch.heard(A, 0.0)
    watch.expect_every(30.0)
    watch.expect_every(5.0)
    assert watch.limit_s == 5.0
    assert watch.silent([A], 100.0) == []  # its clock starts now, not at its old frame
    assert watch.silent([A], 105.5) == [A]


def test_a_forgotten_peer_starts_afresh() -> None:
    watch = SilenceWatch()
    watch.expect_every(5.0)
    watch.heard(A, 0.0)
    watch.forget(A)
    assert watch.silent([A], 50.0) == []
    assert watch.silent([A], 55.5) == [A]


def test_a_peer_whose_frame_our_receiver_holds_is_not_silent() -> None:
    watch = SilenceWatch()
    watch.expect_every(5.0)
    watch.receiving(A, 0.0)
    watch.receiving(A, 0.1)  # a second stream of the same peer
    assert watch.silent([A], 30.0) == []
    watch.received(A, 30.0)
    assert watch.silent([A], 40.0) == []  # one frame is still with the receiver
    watch.received(A, 40.0)
    assert watch.silent([A], 44.0) == []  # its clock started when the receiver was done
    assert watch.silent([A], 45.5) == [A]


def test_a_restart_forgives_everyone_and_a_gone_peer_stays_forgotten() -> None:
    watch = SilenceWatch()
    watch.expect_every(5.0)
    watch.heard(A, 0.0)
    watch.heard(B, 0.0)
    watch.restart(20.0)  # our loop was late: nobody is to blame for it
    assert watch.silent([A, B], 24.0) == []
    watch.receiving(A, 24.0)
    watch.forget(A)  # disconnected while its frame was with the receiver
    watch.received(A, 30.0)
    assert watch.silent([], 30.0) == []
    assert watch.silent([A], 100.0) == []  # it is back: its clock starts when first seen
