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
