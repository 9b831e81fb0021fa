"""tests/runner/upgrade.py: signing beside a node that sends from the operator's account too,
and the deadline that new blocks move."""

from __future__ import annotations

from typing import Any, cast

import pytest

from tests.e2e.harness import DepindProcess, NodeFailure, Wallet
from tests.runner.upgrade import FEE, GAS, MIN_WAIT_S, SEQUENCE_TRIES, ChainDeadline, broadcast
from tests.vm.helpers import ALICE
from vm.gov.msgs import MsgVote
from vm.gov.tally import VoteOption

CHAIN = "runner-test"


class BusyNode:
    """CheckTx of an account whose committed sequence is 45 while the mempool holds a tx of
    the node's own: it takes only sequence ``mempool_next``."""

    def __init__(self, mempool_next: int) -> None:
        self.mempool_next = mempool_next
        self.admitted: list[bytes] = []
        self.refused = 0

    def account(self, address: str) -> dict[str, Any]:
        return {"account_number": "7", "sequence": "45"}

    def broadcast_tx(self, raw: bytes) -> None:
        wallet = Wallet(cast(DepindProcess, self), ALICE)
        if raw != wallet.sign([vote()], self.mempool_next, FEE, GAS, CHAIN):
            self.refused += 1
            raise NodeFailure(
                f"tx refused: account sequence mismatch, expected {self.mempool_next}, got 45: "
                "incorrect account sequence"
            )
        self.admitted.append(raw)


def vote() -> MsgVote:
    return MsgVote(1, ALICE.address, VoteOption.YES, "")


def test_a_vote_refused_for_its_sequence_is_signed_again_with_the_one_expected() -> None:
    node = BusyNode(mempool_next=46)
    wallet = Wallet(cast(DepindProcess, node), ALICE)
    raw = broadcast(cast(DepindProcess, node), CHAIN, wallet, vote())
    assert node.admitted == [raw] and node.refused == 1
    assert raw == wallet.sign([vote()], 46, FEE, GAS, CHAIN)
    assert wallet.sequence == 47


def test_other_refusals_are_not_retried() -> None:
    class Refusing(BusyNode):
        def broadcast_tx(self, raw: bytes) -> None:
            self.refused += 1
            raise NodeFailure("tx refused: insufficient fee")

    node = Refusing(mempool_next=45)
    with pytest.raises(NodeFailure, match="insufficient fee"):
        broadcast(cast(DepindProcess, node), CHAIN, Wallet(cast(DepindProcess, node), ALICE), vote())
    assert node.refused == 1


def test_a_sequence_that_keeps_moving_is_given_up_after_a_few_tries() -> None:
    class Racing(BusyNode):
        def broadcast_tx(self, raw: bytes) -> None:
            self.mempool_next += 1  # another tx of the node's got in first, every time
            super().broadcast_tx(raw)

    node = Racing(mempool_next=45)
    with pytest.raises(NodeFailure, match="sequence kept moving"):
        broadcast(cast(DepindProcess, node), CHAIN, Wallet(cast(DepindProcess, node), ALICE), vote())
    assert node.refused == SEQUENCE_TRIES


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_deadline_moves_with_each_new_block_only() -> None:
    clock = Clock()
    deadline = ChainDeadline(60, clock)
    clock.now += 50
    deadline.saw(10)
    clock.now += 50
    deadline.saw(10)  # the same block again: no time added
    deadline.saw(9)  # a node behind: no time added
    assert not deadline.passed() and deadline.remaining() == 10
    clock.now += 11
    assert deadline.passed() and deadline.remaining() == MIN_WAIT_S
    deadline.saw(11)
    assert not deadline.passed() and deadline.remaining() == 60


def test_with_no_block_seen_the_deadline_is_the_time_allowed() -> None:
    clock = Clock()
    deadline = ChainDeadline(60, clock)
    deadline.saw(0)
    clock.now += 60
    assert not deadline.passed()
    clock.now += 1
    assert deadline.passed()
