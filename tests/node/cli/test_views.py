"""The text views: compact, one fact a line, nothing lost that a user needs."""

from __future__ import annotations

from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from cosmpy.protos.cosmos.distribution.v1beta1 import tx_pb2 as distribution_tx
from google.protobuf.any_pb2 import Any as AnyPb

from node.cli import views
from protos.depind.market.v1 import tx_pb2 as market_tx
from vm.bank.msgs import MsgSend
from vm.codec import coin_pb, pack
from vm.types import Coin

ALICE = "depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w"
BOB = "depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue"


def test_message_view_names_fields_and_type() -> None:
    view = views.message_view(MsgSend(ALICE, BOB, [Coin("udepin", 5)]))
    assert view == {
        "@type": "/cosmos.bank.v1beta1.MsgSend",
        "from_address": ALICE,
        "to_address": BOB,
        "amount": [{"denom": "udepin", "amount": 5}],
    }


def test_balances_text() -> None:
    result = {"balances": [{"denom": "foo", "amount": "5"}, {"denom": "udepin", "amount": "10"}]}
    assert views.balances_text(result) == "5foo\n10udepin"
    assert views.balances_text({"balances": []}) == "no balances"


def test_providers_text_points_at_the_next_page() -> None:
    provider = {
        "owner": ALICE,
        "status": "active",
        "region": "eu-west",
        "endpoint": "gpu.example.com",
        "gpus": [{"count": 2}, {"count": 1}],
    }
    text = views.providers_text({"providers": [provider], "next_key": BOB})
    assert text.splitlines() == [
        f"{ALICE}  active   eu-west      3 GPUs  gpu.example.com",
        f"more: --next-key {BOB}",
    ]


def test_params_text_flattens_modules() -> None:
    result = {
        "bank": {"default_send_enabled": True},
        "provider": {"min_collateral": {"denom": "udepin", "amount": 1000000}},
        "height": "7",
    }
    assert (
        views.params_text(result)
        == "bank.default_send_enabled = true\nprovider.min_collateral = 1000000udepin"
    )


def test_messages_in_unreadable_tx_is_empty() -> None:
    assert views.messages_in("not base64!") == []
    assert views.messages_in("AAAA") == []


def test_response_lines_show_what_responses_say() -> None:
    """An offer's new id and coins withdrawn are shown; an empty response adds nothing."""
    data = abci_pb2.TxMsgData(
        msg_responses=[
            pack(bank_tx.MsgSendResponse()),
            pack(market_tx.MsgCreateOfferResponse(offer_id=7)),
            pack(distribution_tx.MsgWithdrawDelegatorRewardResponse(amount=[coin_pb(Coin("udepin", 5))])),
        ]
    ).SerializeToString()
    assert views.response_lines(data) == [
        '/depind.market.v1.MsgCreateOfferResponse {"offer_id":"7"}',
        "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorRewardResponse"
        ' {"amount":[{"denom":"udepin","amount":"5"}]}',
    ]


def test_response_lines_of_unknown_or_unreadable_data() -> None:
    unknown = AnyPb(type_url="/other.chain.v1.MsgDoResponse", value=b"\x08\x01")
    assert views.response_lines(abci_pb2.TxMsgData(msg_responses=[unknown]).SerializeToString()) == [
        '/other.chain.v1.MsgDoResponse {"value":"0801"}'
    ]
    assert views.response_lines(b"\xff") == []
    assert views.response_lines(b"") == []
