"""bank messages' stateless checks: each refusal names the field and the rule, as the tx's
log shows it to the sender."""

from __future__ import annotations

import re

import pytest

from tests.vm.helpers import ALICE, BOB, CAROL, DENOM, coins
from vm.bank.msgs import MAX_MULTI_SEND_OUTPUTS, Input, MsgMultiSend, MsgSend, Output
from vm.errors import InvalidAddress, InvalidCoins, InvalidRequest
from vm.msg import Msg
from vm.types import Coin

BAD = "depin1nope"
NOT_BECH32 = f"invalid address {BAD!r}: not bech32 or bad checksum"
UNSORTED = [Coin(DENOM, 1), Coin("uatom", 1)]


def one_to_many(input_coins: list[Coin], *outputs: Output, source: str = ALICE.address) -> MsgMultiSend:
    return MsgMultiSend([Input(source, input_coins)], list(outputs))


REFUSED: list[tuple[Msg, type[Exception], str]] = [
    (MsgSend(BAD, BOB.address, coins(1)), InvalidAddress, f"from_address: {NOT_BECH32}"),
    (MsgSend(ALICE.address, BAD, coins(1)), InvalidAddress, f"to_address: {NOT_BECH32}"),
    (MsgSend(ALICE.address, BOB.address, []), InvalidCoins, "amount must not be empty"),
    (MsgSend(ALICE.address, BOB.address, coins(0)), InvalidCoins, "amount must be positive, got 0udepin"),
    (MsgMultiSend([], [Output(BOB.address, coins(1))]), InvalidRequest, "multi-send takes exactly one input"),
    (
        MsgMultiSend([Input(ALICE.address, coins(1))] * 2, [Output(BOB.address, coins(2))]),
        InvalidRequest,
        "multi-send takes exactly one input",
    ),
    (one_to_many(coins(1)), InvalidRequest, f"multi-send takes 1 to {MAX_MULTI_SEND_OUTPUTS} outputs"),
    (
        one_to_many(coins(MAX_MULTI_SEND_OUTPUTS + 1), *[Output(BOB.address, coins(1))] * 257),
        InvalidRequest,
        "multi-send takes 1 to 256 outputs",
    ),
    (
        one_to_many(coins(1), Output(BOB.address, coins(1)), source=BAD),
        InvalidAddress,
        f"input address: {NOT_BECH32}",
    ),
    (
        one_to_many(UNSORTED, Output(BOB.address, UNSORTED)),
        InvalidCoins,
        "input coins must be sorted by denom without duplicates",
    ),
    (one_to_many(coins(1), Output(BAD, coins(1))), InvalidAddress, f"output address: {NOT_BECH32}"),
    (
        one_to_many(coins(1), Output(BOB.address, [Coin("u", 1)])),
        InvalidCoins,
        "output coins has invalid denom 'u'",
    ),
    (
        one_to_many(coins(3), Output(BOB.address, coins(1)), Output(CAROL.address, coins(1))),
        InvalidRequest,
        "sum of outputs does not equal the input",
    ),
]


@pytest.mark.parametrize(("msg", "error", "message"), REFUSED)
def test_refusals_name_the_field_and_rule(msg: Msg, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}: "):
        msg.validate()


def test_multi_send_limits_are_inclusive() -> None:
    one_to_many(coins(1), Output(BOB.address, coins(1))).validate()
    many = [Output(BOB.address, coins(1))] * MAX_MULTI_SEND_OUTPUTS
    one_to_many(coins(MAX_MULTI_SEND_OUTPUTS), *many).validate()


def test_multi_send_outputs_are_summed_per_denom() -> None:
    both = [Coin("uatom", 2), Coin(DENOM, 3)]
    one_to_many(
        both, Output(BOB.address, [Coin("uatom", 2), Coin(DENOM, 1)]), Output(CAROL.address, coins(2))
    ).validate()


def test_multi_send_signer_is_its_input() -> None:
    assert one_to_many(coins(1), Output(BOB.address, coins(1))).signer() == ALICE.address
    assert MsgMultiSend([], []).signer() == ""
