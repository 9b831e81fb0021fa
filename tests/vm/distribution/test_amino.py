"""Amino JSON sign bytes of the distribution messages, against cosmjs.

COSMJS_VECTORS were produced by @cosmjs/amino 0.39 serializeSignDoc(makeSignDoc(...)) of the
messages converted by @cosmjs/stargate 0.39's createDistributionAminoConverters (account 7,
sequence 3, 500udepin for 200000 gas, chain depind-1).

Three of the four are byte for byte what vm/amino.py writes from the protobuf's ``amino.name``.
MsgWithdrawValidatorCommission is not: Cosmos SDK v0.50 names it
"cosmos-sdk/MsgWithdrawValCommission" (its ``amino.name``, which x/tx signs and verifies),
cosmjs 0.39 "cosmos-sdk/MsgWithdrawValidatorCommission". depind follows Cosmos, as every
v0.50 chain does: a cosmjs Amino signer's commission withdrawal fails there and here, and
the same message signed in SIGN_MODE_DIRECT is accepted.
"""

from __future__ import annotations

import pytest
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin
from cosmpy.protos.cosmos.distribution.v1beta1 import tx_pb2
from google.protobuf.message import Message

from vm.amino import amino_name, sign_doc

ADDR0 = "depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w"
ADDR1 = "depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue"
VALOPER0 = "depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"

# @cosmjs/amino 0.39 serializeSignDoc, decoded as UTF-8.
COSMJS_VECTORS: dict[str, str] = {
    "withdraw_reward": (
        '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"500","denom":"udepin"}'
        '],"gas":"200000"},"memo":"","msgs":[{"type":"cosmos-sdk/MsgWithdrawDelegationReward","value":{'
        '"delegator_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w","validator_address":"depinv'
        'aloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}],"sequence":"3"}'
    ),
    "set_withdraw": (
        '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"500","denom":"udepin"}'
        '],"gas":"200000"},"memo":"","msgs":[{"type":"cosmos-sdk/MsgModifyWithdrawAddress","value":{"de'
        'legator_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w","withdraw_address":"depin1jrkm'
        'dcwgq94uaamx6zax2luewlhf7u4kjh7kue"}}],"sequence":"3"}'
    ),
    "fund_pool": (
        '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"500","denom":"udepin"}'
        '],"gas":"200000"},"memo":"","msgs":[{"type":"cosmos-sdk/MsgFundCommunityPool","value":{"amount'
        '":[{"amount":"7","denom":"uatom"},{"amount":"1000","denom":"udepin"}],"depositor":"depin19rl4c'
        'm2hmr8afy4kldpxz3fka4jguq0aj0464w"}}],"sequence":"3"}'
    ),
    "withdraw_commission": (
        '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"500","denom":"udepin"}'
        '],"gas":"200000"},"memo":"","msgs":[{"type":"cosmos-sdk/MsgWithdrawValidatorCommission","value'
        '":{"validator_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}],"sequence":"3"'
        "}"
    ),
}

MESSAGES: dict[str, Message] = {
    "withdraw_reward": tx_pb2.MsgWithdrawDelegatorReward(delegator_address=ADDR0, validator_address=VALOPER0),
    "set_withdraw": tx_pb2.MsgSetWithdrawAddress(delegator_address=ADDR0, withdraw_address=ADDR1),
    "fund_pool": tx_pb2.MsgFundCommunityPool(
        amount=[Coin(denom="uatom", amount="7"), Coin(denom="udepin", amount="1000")], depositor=ADDR0
    ),
    "withdraw_commission": tx_pb2.MsgWithdrawValidatorCommission(validator_address=VALOPER0),
}


def doc(message: Message) -> bytes:
    return sign_doc(
        chain_id="depind-1",
        account_number=7,
        sequence=3,
        timeout_height=0,
        memo="",
        fee_amount=[Coin(denom="udepin", amount="500")],
        gas_limit=200000,
        payer="",
        granter="",
        msgs=[message],
    )


@pytest.mark.parametrize("name", ["withdraw_reward", "set_withdraw", "fund_pool"])
def test_sign_doc_matches_cosmjs_byte_for_byte(name: str) -> None:
    assert doc(MESSAGES[name]) == COSMJS_VECTORS[name].encode()


def test_commission_withdrawal_is_named_as_cosmos_names_it() -> None:
    message = MESSAGES["withdraw_commission"]
    assert amino_name(message) == "cosmos-sdk/MsgWithdrawValCommission"
    cosmjs = COSMJS_VECTORS["withdraw_commission"]
    assert doc(message).decode() == cosmjs.replace(
        "cosmos-sdk/MsgWithdrawValidatorCommission", "cosmos-sdk/MsgWithdrawValCommission"
    )


def test_amino_names_are_cosmos_legacy_names() -> None:
    assert amino_name(MESSAGES["withdraw_reward"]) == "cosmos-sdk/MsgWithdrawDelegationReward"
    assert amino_name(MESSAGES["set_withdraw"]) == "cosmos-sdk/MsgModifyWithdrawAddress"
    assert amino_name(MESSAGES["fund_pool"]) == "cosmos-sdk/MsgFundCommunityPool"


def test_community_pool_spend_is_written_as_x_tx_writes_it() -> None:
    """cosmjs 0.39 has no converter for it; the shape is the fund_pool vector's (the same
    legacy_coins amount) under Cosmos's name for the message."""
    amount = [Coin(denom="uatom", amount="7"), Coin(denom="udepin", amount="1000")]
    message = tx_pb2.MsgCommunityPoolSpend(authority=ADDR0, recipient=ADDR1, amount=amount)
    assert doc(message).decode() == (
        '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"500","denom":"udepin"}'
        '],"gas":"200000"},"memo":"","msgs":[{"type":"cosmos-sdk/distr/MsgCommunityPoolSpend","value":{'
        '"amount":[{"amount":"7","denom":"uatom"},{"amount":"1000","denom":"udepin"}],"authority":"depin'
        '19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w","recipient":"depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7'
        'kue"}}],"sequence":"3"}'
    )
