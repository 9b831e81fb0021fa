"""bank MsgMultiSend: one input split over many outputs, all or nothing."""

from __future__ import annotations

import pytest

from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DENOM,
    FEE,
    FUNDS,
    POOL,
    apply_block,
    assert_code,
    balance,
    events_of,
    make_genesis,
    new_app,
    sequence,
    signed,
    supply,
)
from vm.app import App
from vm.auth.ante import FEE_COLLECTOR
from vm.bank.msgs import MAX_MULTI_SEND_OUTPUTS, Input, MsgMultiSend, Output
from vm.errors import InvalidTx
from vm.execute import TxResult
from vm.types import Address, Coin, format_address

ATOM = "uatom"


def multi_send(source: str, amount: int, *outputs: tuple[str, int], denom: str = DENOM) -> MsgMultiSend:
    return MsgMultiSend(
        [Input(source, [Coin(denom, amount)])], [Output(a, [Coin(denom, n)]) for a, n in outputs]
    )


def deliver(app: App, msg: MsgMultiSend) -> TxResult:
    return apply_block(app, [signed(app, ALICE, [msg])]).tx_results[0]


def test_multi_send_splits_the_input() -> None:
    # pre-state: Alice, Bob, Carol hold FUNDS; Dave has no account
    app = new_app()
    # operation: Alice pays 600 to Bob, Carol and Dave
    result = deliver(
        app, multi_send(ALICE.address, 600, (BOB.address, 100), (CAROL.address, 200), (DAVE.address, 300))
    )
    # post-state
    assert_code(result, 0)
    assert balance(app, ALICE) == FUNDS - 600 - FEE
    assert (balance(app, BOB), balance(app, CAROL), balance(app, DAVE)) == (FUNDS + 100, FUNDS + 200, 300)
    assert supply(app) == 3 * FUNDS


def test_multi_send_emits_a_transfer_per_output() -> None:
    app = new_app()
    result = deliver(app, multi_send(ALICE.address, 30, (BOB.address, 10), (CAROL.address, 20)))
    assert events_of(result.events, "transfer") == [
        {"recipient": BOB.address, "sender": ALICE.address, "amount": f"10{DENOM}"},
        {"recipient": CAROL.address, "sender": ALICE.address, "amount": f"20{DENOM}"},
    ]
    assert events_of(result.events, "message") == [
        {"action": "/cosmos.bank.v1beta1.MsgMultiSend", "sender": ALICE.address, "module": "bank"}
    ]


def test_multi_send_several_denoms_and_repeated_recipient() -> None:
    app = new_app(make_genesis({ALICE: [Coin(ATOM, 100), Coin(DENOM, FUNDS)], BOB: FUNDS}))
    msg = MsgMultiSend(
        [Input(ALICE.address, [Coin(ATOM, 30), Coin(DENOM, 70)])],
        [
            Output(BOB.address, [Coin(ATOM, 10), Coin(DENOM, 70)]),
            Output(BOB.address, [Coin(ATOM, 20)]),
        ],
    )
    assert_code(deliver(app, msg), 0)
    assert (balance(app, BOB, ATOM), balance(app, BOB)) == (30, FUNDS + 70)
    assert balance(app, ALICE, ATOM) == 70


def validate_code(msg: MsgMultiSend) -> int:
    with pytest.raises(InvalidTx) as caught:
        msg.validate()
    return caught.value.code


def test_invalid_multi_send_sum_too_small() -> None:
    assert validate_code(multi_send(ALICE.address, 10, (BOB.address, 6), (CAROL.address, 5))) == 18


def test_invalid_multi_send_sum_too_large() -> None:
    assert validate_code(multi_send(ALICE.address, 12, (BOB.address, 6), (CAROL.address, 5))) == 18


def test_invalid_multi_send_denoms_differ() -> None:
    msg = MsgMultiSend([Input(ALICE.address, [Coin(DENOM, 5)])], [Output(BOB.address, [Coin(ATOM, 5)])])
    assert validate_code(msg) == 18


def test_invalid_multi_send_two_inputs() -> None:
    msg = multi_send(ALICE.address, 5, (BOB.address, 5))
    msg = MsgMultiSend([*msg.inputs, Input(BOB.address, [Coin(DENOM, 5)])], msg.outputs)
    assert validate_code(msg) == 18


def test_invalid_multi_send_no_input() -> None:
    assert validate_code(MsgMultiSend([], [Output(BOB.address, [Coin(DENOM, 5)])])) == 18


def test_invalid_multi_send_no_outputs() -> None:
    assert validate_code(multi_send(ALICE.address, 5)) == 18


def test_invalid_multi_send_too_many_outputs() -> None:
    outputs = [(BOB.address, 1)] * (MAX_MULTI_SEND_OUTPUTS + 1)
    assert validate_code(multi_send(ALICE.address, len(outputs), *outputs)) == 18
    multi_send(ALICE.address, len(outputs) - 1, *outputs[1:]).validate()  # 256 outputs are fine


def test_invalid_multi_send_output_coins() -> None:
    assert validate_code(multi_send(ALICE.address, 0, (BOB.address, 0))) == 10


def test_invalid_multi_send_output_address() -> None:
    assert validate_code(multi_send(ALICE.address, 5, ("depin1notanaddress", 5))) == 7


def test_invalid_multi_send_through_the_app_costs_no_fee() -> None:
    app = new_app()
    result = app.check_tx(signed(app, ALICE, [multi_send(ALICE.address, 10, (BOB.address, 6))]))
    assert_code(result, 18)
    assert_code(
        apply_block(app, [signed(app, ALICE, [multi_send(ALICE.address, 10, (BOB.address, 6))])]).tx_results[
            0
        ],
        18,
    )
    assert balance(app, ALICE) == FUNDS
    assert sequence(app, ALICE) == 0


def test_invalid_multi_send_signer_mismatch() -> None:
    app = new_app()
    result = deliver(app, multi_send(BOB.address, 5, (CAROL.address, 5)))
    assert_code(result, 8)  # the key is not the signer's, as Cosmos's SetPubKeyDecorator
    assert balance(app, BOB) == FUNDS


def test_invalid_multi_send_insufficient_funds() -> None:
    app = new_app()
    result = deliver(
        app, multi_send(ALICE.address, FUNDS, (BOB.address, FUNDS // 2), (CAROL.address, FUNDS // 2))
    )
    assert_code(result, 5)
    assert (balance(app, BOB), balance(app, CAROL)) == (FUNDS, FUNDS)
    assert balance(app, ALICE) == FUNDS - FEE


@pytest.mark.parametrize("module", [FEE_COLLECTOR, POOL], ids=["fees", "pool"])
def test_invalid_multi_send_to_module_account_reverts_every_output(module: Address) -> None:
    app = new_app()
    msg = multi_send(ALICE.address, 15, (BOB.address, 10), (format_address(module), 5))
    result = deliver(app, msg)
    assert_code(result, 4)
    assert balance(app, BOB) == FUNDS  # the output before the blocked one was undone too
    assert balance(app, ALICE) == FUNDS - FEE
    assert balance(app, module) in (0, FEE)
