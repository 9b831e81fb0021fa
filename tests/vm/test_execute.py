"""A tx's result data, as Cosmos SDK v0.50 fills ``ExecTxResult.data``: the marshalled
``TxMsgData`` with each message's response, in message order, for a tx whose messages all
succeeded; nothing for a failed one. Simulate answers the same responses."""

from __future__ import annotations

import base64

from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from cosmpy.protos.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from node.keys.hd import PrivateKey
from protos.depind.market.v1 import tx_pb2 as market_tx
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DENOM,
    FUNDS,
    apply_block,
    assert_code,
    deliver,
    msg_responses,
    new_app,
    register_msg,
    send,
    signed,
)
from tests.vm.market.helpers import H100, gpu_spec, market_genesis, offer_msg, order_msg
from tests.vm.staking.helpers import create_validator, delegate, staking_genesis, undelegate
from tests.vm.staking.vectors import valoper
from vm.app import App
from vm.execute import TxResult
from vm.msg import Msg
from vm.queries import SIMULATE
from vm.staking.msgs import MsgBeginRedelegate
from vm.types import Coin

GAS = 2_000_000
FEE = GAS // 100

SEND_DATA = base64.b64decode("EiYKJC9jb3Ntb3MuYmFuay52MWJldGExLk1zZ1NlbmRSZXNwb25zZQ==")
"""A MsgSend tx's data on a Cosmos SDK v0.50 chain: ``TxMsgData`` field 2 holding
``Any{type_url: "/cosmos.bank.v1beta1.MsgSendResponse"}`` with no value."""


def run(app: App, signer: PrivateKey, *msgs: Msg) -> TxResult:
    """The result of one tx of ``msgs`` alone in the next block."""
    return deliver(app, signed(app, signer, list(msgs), fee=FEE, gas=GAS))


def committed(app: App, signer: PrivateKey, *msgs: Msg) -> TxResult:
    result = run(app, signer, *msgs)
    assert_code(result, 0)
    return result


def market_app() -> App:
    """Alice registered 8 H100s as a provider."""
    app = new_app(market_genesis())
    committed(app, ALICE, register_msg(ALICE, [gpu_spec(H100, 8)], collateral=10_000_000))
    return app


def test_send_data_is_cosmos_bytes_for_bytes() -> None:
    result = committed(new_app(), ALICE, send(ALICE, BOB, 5))
    assert result.data == SEND_DATA
    assert msg_responses(result.data) == [bank_tx.MsgSendResponse()]


def test_responses_follow_message_order() -> None:
    app = market_app()
    offers = committed(app, ALICE, offer_msg(ALICE, 1), offer_msg(ALICE, 2))
    assert msg_responses(offers.data) == [
        market_tx.MsgCreateOfferResponse(offer_id=1),
        market_tx.MsgCreateOfferResponse(offer_id=2),
    ]
    mixed = committed(app, BOB, send(BOB, CAROL, 5), order_msg(BOB), order_msg(BOB))
    assert msg_responses(mixed.data) == [
        bank_tx.MsgSendResponse(),
        market_tx.MsgCreateOrderResponse(order_id=1),
        market_tx.MsgCreateOrderResponse(order_id=2),
    ]


def test_failed_tx_has_empty_data() -> None:
    app = new_app()
    failed_message = run(app, ALICE, send(ALICE, BOB, 5), send(ALICE, BOB, FUNDS))  # 2nd: too much
    assert_code(failed_message, 5)
    assert failed_message.data == b""
    stale = deliver(app, signed(app, ALICE, [send(ALICE, BOB, 5)], sequence=0, fee=FEE, gas=GAS))
    assert_code(stale, 32)  # the ante handler refuses it: no message ran
    assert stale.data == b""


def test_staking_responses_in_committed_data() -> None:
    """MsgUndelegate answers the amount undelegated; both answer the zero completion time
    (a completion is a height, docs/staking.md), present as in Cosmos's encoding."""
    app = new_app(staking_genesis(funded={ALICE: FUNDS, BOB: FUNDS, CAROL: FUNDS}))
    apply_block(
        app,
        [
            signed(app, ALICE, [create_validator(ALICE, 2_000_000)], fee=FEE, gas=GAS),
            signed(app, BOB, [create_validator(BOB, 2_000_000)], fee=FEE, gas=GAS),
        ],
    )
    committed(app, CAROL, delegate(CAROL, ALICE, 1_000_000))
    redelegate = MsgBeginRedelegate(CAROL.address, valoper(ALICE), valoper(BOB), Coin(DENOM, 200_000))
    result = committed(app, CAROL, undelegate(CAROL, ALICE, 300_000), redelegate)
    undelegated = staking_tx.MsgUndelegateResponse(
        completion_time=Timestamp(), amount=coin_pb2.Coin(denom=DENOM, amount="300000")
    )
    assert msg_responses(result.data) == [
        undelegated,
        staking_tx.MsgBeginRedelegateResponse(completion_time=Timestamp()),
    ]
    assert all(response.HasField("completion_time") for response in msg_responses(result.data))


def test_simulate_answers_the_responses_a_commit_would_give() -> None:
    app = market_app()
    tx = signed(app, ALICE, [offer_msg(ALICE)], fee=FEE, gas=GAS)
    query = app.query(SIMULATE, service_pb2.SimulateRequest(tx_bytes=tx).SerializeToString())
    assert_code(query, 0)
    simulated = service_pb2.SimulateResponse.FromString(query.value).result
    assert list(simulated.msg_responses) == list(abci_pb2.TxMsgData.FromString(simulated.data).msg_responses)
    assert msg_responses(simulated.data) == [market_tx.MsgCreateOfferResponse(offer_id=1)]
    assert deliver(app, tx).data == simulated.data
