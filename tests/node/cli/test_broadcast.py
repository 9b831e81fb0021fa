"""What a tx command reports once its tx is in a block: Cosmos's fields, with the result
data in hex, and in text each response that says something (a new offer's id)."""

from __future__ import annotations

import base64
from dataclasses import asdict

from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2

from node.cli.broadcast import outcome_of_committed, outcome_text
from protos.depind.market.v1 import tx_pb2 as market_tx
from vm.codec import pack

TX_HASH = "AB" * 32
DATA = abci_pb2.TxMsgData(
    msg_responses=[pack(market_tx.MsgCreateOfferResponse(offer_id=3)), pack(bank_tx.MsgSendResponse())]
).SerializeToString()


def committed(data: bytes) -> dict[str, object]:
    """``tx``'s answer for a tx that succeeded in block 5."""
    result = {"code": 0, "codespace": "", "log": "", "data": base64.b64encode(data).decode()}
    return {"hash": TX_HASH, "height": "5", "tx_result": result | {"gas_wanted": "1000", "gas_used": "900"}}


def test_committed_outcome_has_the_data_in_hex() -> None:
    outcome = outcome_of_committed(committed(DATA))
    assert (outcome.txhash, outcome.height, outcome.code) == (TX_HASH, 5, 0)
    assert bytes.fromhex(outcome.data) == DATA and outcome.data == outcome.data.upper()


def test_outcome_text_shows_what_the_messages_answered() -> None:
    lines = outcome_text(asdict(outcome_of_committed(committed(DATA)))).splitlines()
    assert lines[-1] == 'response: /depind.market.v1.MsgCreateOfferResponse {"offer_id":"3"}'
    assert not any("MsgSendResponse" in line for line in lines)  # an empty response says nothing
