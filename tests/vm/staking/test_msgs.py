"""staking messages: their stateless checks (Cosmos's ValidateBasic), their protobuf
form (vm/codec.py, Cosmos's cosmos.staking.v1beta1 types) and their Amino JSON sign
bytes, byte for byte as cosmjs 0.39 writes them."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin as CoinPb
from cosmpy.protos.cosmos.crypto.ed25519 import keys_pb2 as ed25519_keys
from cosmpy.protos.cosmos.staking.v1beta1 import staking_pb2, tx_pb2
from google.protobuf.any_pb2 import Any as AnyPb

from tests.vm.helpers import ALICE, DENOM
from tests.vm.staking.vectors import DESCRIPTION, RATES, STAKING_MESSAGES, cons_key, valoper
from vm import dec
from vm.amino import message_json, sign_doc
from vm.codec import ConversionError, codec_for
from vm.crypto import verify_signature
from vm.errors import InvalidTx
from vm.msg import Msg
from vm.protowire import parse_strict
from vm.staking.msgs import (
    Duration,
    Ed25519PubKey,
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgCreateValidator,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
    MsgUpdateParams,
    ParamsUpdate,
    Secp256k1PubKey,
)
from vm.staking.types import CommissionRates, Description
from vm.types import Coin

VALOPER = valoper(ALICE)


def create(**changes: Any) -> MsgCreateValidator:
    base = MsgCreateValidator(DESCRIPTION, RATES, 1, "", VALOPER, Ed25519PubKey(cons_key(1)), Coin(DENOM, 10))
    return msgspec.structs.replace(base, **changes)


def rejected(msg: Msg) -> tuple[str, int]:
    with pytest.raises(InvalidTx) as caught:
        msg.validate()
    return caught.value.codespace, caught.value.code


# -- stateless checks --------------------------------------------------------------------


def test_valid_messages_pass_their_checks() -> None:
    for msg in STAKING_MESSAGES:
        msg.validate()


def test_create_validator_is_signed_by_the_operator_account() -> None:
    assert create().signer() == ALICE.address
    assert create(validator_address=ALICE.address).signer() == ""  # not a valoper: no signer


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"validator_address": ALICE.address}, ("sdk", 7)),  # an account address, not an operator's
        ({"pubkey": None}, ("staking", 39)),
        ({"pubkey": Ed25519PubKey(b"\x01" * 31)}, ("sdk", 8)),
        ({"value": Coin(DENOM, 0)}, ("sdk", 18)),
        ({"value": Coin("x", 5)}, ("sdk", 18)),
        ({"description": Description("", "", "", "", "")}, ("sdk", 18)),
        ({"description": Description("m" * 71, "", "", "", "")}, ("sdk", 18)),
        ({"description": Description("m", "", "", "", "é" * 141)}, ("sdk", 18)),  # 282 bytes
        ({"commission": CommissionRates(0, 0, 0)}, ("sdk", 18)),
        ({"commission": CommissionRates(0, -1, 0)}, ("staking", 9)),
        ({"commission": CommissionRates(0, dec.ONE + 1, 0)}, ("staking", 10)),
        ({"commission": CommissionRates(-1, 10, 0)}, ("staking", 9)),
        ({"commission": CommissionRates(11, 10, 0)}, ("staking", 11)),
        ({"commission": CommissionRates(1, 10, -1)}, ("staking", 13)),
        ({"commission": CommissionRates(1, 10, 11)}, ("staking", 14)),
        ({"min_self_delegation": 0}, ("sdk", 18)),
        ({"min_self_delegation": 11}, ("staking", 16)),  # the self-delegation is only 10
    ],
)
def test_invalid_create_validator(changes: dict[str, Any], code: tuple[str, int]) -> None:
    assert rejected(create(**changes)) == code


def test_invalid_edit_validator() -> None:
    edit = MsgEditValidator(Description("m", "", "", "", ""), VALOPER, None, None)
    edit.validate()
    assert rejected(msgspec.structs.replace(edit, description=Description("", "", "", "", ""))) == ("sdk", 18)
    assert rejected(msgspec.structs.replace(edit, min_self_delegation=0)) == ("sdk", 18)
    assert rejected(msgspec.structs.replace(edit, commission_rate=dec.ONE + 1)) == ("sdk", 18)
    assert rejected(msgspec.structs.replace(edit, commission_rate=-1)) == ("sdk", 18)
    assert rejected(msgspec.structs.replace(edit, validator_address="depinvaloper1xyz")) == ("sdk", 7)


@pytest.mark.parametrize("kind", [MsgDelegate, MsgUndelegate])
def test_invalid_delegate_and_undelegate(kind: type[MsgDelegate] | type[MsgUndelegate]) -> None:
    assert rejected(kind(ALICE.address, VALOPER, Coin(DENOM, 0))) == ("sdk", 18)
    assert rejected(kind(VALOPER, VALOPER, Coin(DENOM, 1))) == ("sdk", 7)
    assert rejected(kind(ALICE.address, ALICE.address, Coin(DENOM, 1))) == ("sdk", 7)


def test_invalid_redelegate_and_cancel() -> None:
    assert rejected(MsgBeginRedelegate(ALICE.address, VALOPER, "", Coin(DENOM, 1))) == ("sdk", 7)
    assert rejected(MsgBeginRedelegate(ALICE.address, VALOPER, VALOPER, Coin(DENOM, 0))) == ("sdk", 18)
    assert rejected(MsgCancelUnbondingDelegation(ALICE.address, VALOPER, Coin(DENOM, 0), 3)) == ("sdk", 18)
    assert rejected(MsgCancelUnbondingDelegation(ALICE.address, VALOPER, Coin(DENOM, 1), 0)) == ("sdk", 18)


def test_invalid_update_params() -> None:
    good = ParamsUpdate(None, 10, 7, DENOM, 0)
    MsgUpdateParams(ALICE.address, good).validate()
    for bad in [
        msgspec.structs.replace(good, unbonding_time=Duration(60, 0)),
        msgspec.structs.replace(good, max_validators=0),
        msgspec.structs.replace(good, max_entries=0),
        msgspec.structs.replace(good, bond_denom="?"),
        msgspec.structs.replace(good, min_commission_rate=dec.ONE + 1),
    ]:
        assert rejected(MsgUpdateParams(ALICE.address, bad)) == ("sdk", 18)


# -- protobuf ----------------------------------------------------------------------------


@pytest.mark.parametrize("msg", STAKING_MESSAGES, ids=lambda m: type(m).__name__)
def test_message_round_trips_through_protobuf_bytes(msg: Msg) -> None:
    codec = codec_for(type(msg))
    wire = codec.write(msg).SerializeToString(deterministic=True)
    assert codec.read(parse_strict(codec.proto, wire)) == msg


def test_decimals_travel_as_their_atomics() -> None:
    wire: Any = codec_for(MsgCreateValidator).write(create())
    assert (wire.commission.rate, wire.commission.max_rate) == ("100000000000000000", "200000000000000000")
    assert wire.pubkey.type_url == "/cosmos.crypto.ed25519.PubKey"
    assert ed25519_keys.PubKey.FromString(wire.pubkey.value).key == cons_key(1)
    edit: Any = codec_for(MsgEditValidator).write(MsgEditValidator(DESCRIPTION, VALOPER, None, None))
    assert (edit.commission_rate, edit.min_self_delegation) == ("", "")  # unset: "do not change"


def test_a_secp256k1_consensus_key_decodes_for_the_handler_to_refuse() -> None:
    msg = create(pubkey=Secp256k1PubKey(ALICE.public_key))
    codec = codec_for(MsgCreateValidator)
    assert codec.read(codec.write(msg)) == msg


def _cosmos_create(**fields: Any) -> tx_pb2.MsgCreateValidator:
    values: dict[str, Any] = {
        "description": staking_pb2.Description(moniker="m"),
        "commission": staking_pb2.CommissionRates(rate="1", max_rate="1", max_change_rate="0"),
        "min_self_delegation": "1",
        "validator_address": VALOPER,
        "pubkey": AnyPb(type_url="/cosmos.crypto.ed25519.PubKey", value=b"\x0a\x20" + cons_key(1)),
        "value": CoinPb(denom=DENOM, amount="5"),
    }
    values.update(fields)
    return tx_pb2.MsgCreateValidator(**values)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {"commission": staking_pb2.CommissionRates(rate="0.1", max_rate="1", max_change_rate="0")},
            "decimal",
        ),
        (
            {"commission": staking_pb2.CommissionRates(rate="01", max_rate="1", max_change_rate="0")},
            "decimal",
        ),
        ({"pubkey": AnyPb(type_url="/cosmos.crypto.sr25519.PubKey", value=b"")}, "expected"),
        ({"pubkey": AnyPb(type_url="/cosmos.crypto.ed25519.PubKey", value=b"\x0a\x01")}, "truncated|Error"),
        # the key field twice: parses (the last wins) but is not the canonical encoding
        (
            {
                "pubkey": AnyPb(
                    type_url="/cosmos.crypto.ed25519.PubKey", value=b"\x0a\x00\x0a\x20" + bytes(32)
                )
            },
            "canonical",
        ),
        ({"pubkey": AnyPb(type_url="/cosmos.crypto.ed25519.PubKey", value=b"\x12\x00")}, "unknown|field"),
    ],
)
def test_invalid_wire_forms_are_refused(fields: dict[str, Any], problem: str) -> None:
    codec = codec_for(MsgCreateValidator)
    with pytest.raises(ConversionError, match=problem):
        codec.read(parse_strict(codec.proto, _cosmos_create(**fields).SerializeToString()))


def test_unset_pubkey_reads_as_none() -> None:
    message = _cosmos_create()
    message.ClearField("pubkey")
    assert codec_for(MsgCreateValidator).read(message).pubkey is None


# -- Amino JSON (cosmjs) -------------------------------------------------------------------
# @cosmjs/stargate 0.39 AminoTypes(createStakingAminoConverters()).toAmino of each message, in
# @cosmjs/amino serializeSignDoc(makeSignDoc([msg], fee 2000udepin/200000, "depind-1", "", 7, 3))
# and signed by Secp256k1HdWallet (mnemonic "abandon" x11 + "about", account 0, prefix "depin").

ADDR0 = "depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w"
VALOPER0 = "depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"
PUBKEY0 = bytes.fromhex("024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62")
ED25519 = bytes(range(1, 33))
PREFIX = (
    '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"2000","denom":"udepin"}],'
    '"gas":"200000"},"memo":"","msgs":['
)
SUFFIX = '],"sequence":"3"}'

COSMJS_MSGS = {
    "delegate": (
        MsgDelegate(ADDR0, VALOPER0, Coin(DENOM, 1_000_000)),
        '{"type":"cosmos-sdk/MsgDelegate","value":{"amount":{"amount":"1000000","denom":"udepin"},'
        '"delegator_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w",'
        '"validator_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}',
    ),
    "create_validator": (
        MsgCreateValidator(
            Description("node0", "", "https://node0.example", "", "GPUs & <validators>"),
            CommissionRates(10**17, 2 * 10**17, 10**16),
            1,
            "",
            VALOPER0,
            Ed25519PubKey(ED25519),
            Coin(DENOM, 5_000_000),
        ),
        '{"type":"cosmos-sdk/MsgCreateValidator","value":{"commission":{"max_change_rate":"0.010000000000000000",'
        '"max_rate":"0.200000000000000000","rate":"0.100000000000000000"},"delegator_address":"",'
        '"description":{"details":"GPUs \\u0026 \\u003cvalidators\\u003e","identity":"","moniker":"node0",'
        '"security_contact":"","website":"https://node0.example"},"min_self_delegation":"1",'
        '"pubkey":{"type":"tendermint/PubKeyEd25519","value":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="},'
        '"validator_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn",'
        '"value":{"amount":"5000000","denom":"udepin"}}}',
    ),
    "edit_validator": (
        MsgEditValidator(Description("node0b", *["[do-not-modify]"] * 4), VALOPER0, 15 * 10**16, None),
        '{"type":"cosmos-sdk/MsgEditValidator","value":{"commission_rate":"0.150000000000000000",'
        '"description":{"details":"[do-not-modify]","identity":"[do-not-modify]","moniker":"node0b",'
        '"security_contact":"[do-not-modify]","website":"[do-not-modify]"},'
        '"validator_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}',
    ),
    "edit_validator_plain": (
        MsgEditValidator(Description("", "", "", "", "new details"), VALOPER0, None, 2),
        '{"type":"cosmos-sdk/MsgEditValidator","value":{"description":{"details":"new details","identity":"",'
        '"moniker":"","security_contact":"","website":""},"min_self_delegation":"2",'
        '"validator_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}',
    ),
    "undelegate": (
        MsgUndelegate(ADDR0, VALOPER0, Coin(DENOM, 250)),
        '{"type":"cosmos-sdk/MsgUndelegate","value":{"amount":{"amount":"250","denom":"udepin"},'
        '"delegator_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w",'
        '"validator_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}',
    ),
    "redelegate": (
        MsgBeginRedelegate(ADDR0, VALOPER0, VALOPER0, Coin(DENOM, 250)),
        '{"type":"cosmos-sdk/MsgBeginRedelegate","value":{"amount":{"amount":"250","denom":"udepin"},'
        '"delegator_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w",'
        '"validator_dst_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn",'
        '"validator_src_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}',
    ),
    "cancel": (
        MsgCancelUnbondingDelegation(ADDR0, VALOPER0, Coin(DENOM, 250), 12345),
        '{"type":"cosmos-sdk/MsgCancelUnbondingDelegation","value":{"amount":{"amount":"250","denom":"udepin"},'
        '"creation_height":"12345","delegator_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w",'
        '"validator_address":"depinvaloper19rl4cm2hmr8afy4kldpxz3fka4jguq0agsv7dn"}}',
    ),
}

# Secp256k1HdWallet.signAmino's signatures (r||s) over the two documents above.
COSMJS_SIGNATURES = {
    "delegate": bytes.fromhex(
        "96c7026fd640642d39382d460b8c230fac05d011c15782da46ee8e98159e7e71"
        "2f1e33db37567bf3341f34cc9a2de3e9e16e0c67824627227896facb61579a59"
    ),
    "create_validator": bytes.fromhex(
        "5606478d97e97f31fb0025226bc2848d3b2f32f53495af23b5c241a15ebf723b"
        "677906bb5023966736b6e15ca3e230d68232c82d87d4347a8e94e9af3e4f7c6b"
    ),
}


def _sign_doc(msg: Msg) -> bytes:
    return sign_doc(
        chain_id="depind-1",
        account_number=7,
        sequence=3,
        timeout_height=0,
        memo="",
        fee_amount=[CoinPb(denom=DENOM, amount="2000")],
        gas_limit=200_000,
        payer="",
        granter="",
        msgs=[codec_for(type(msg)).write(msg)],
    )


@pytest.mark.parametrize("name", sorted(COSMJS_MSGS))
def test_amino_sign_doc_matches_cosmjs_byte_for_byte(name: str) -> None:
    msg, expected = COSMJS_MSGS[name]
    assert _sign_doc(msg) == (PREFIX + expected + SUFFIX).encode()


@pytest.mark.parametrize("name", sorted(COSMJS_SIGNATURES))
def test_cosmjs_signature_verifies_over_the_sign_doc(name: str) -> None:
    doc = _sign_doc(COSMJS_MSGS[name][0])
    assert verify_signature(PUBKEY0, doc, COSMJS_SIGNATURES[name])


def test_amino_writes_legacy_decimals_and_the_ed25519_key() -> None:
    value = message_json(codec_for(MsgCreateValidator).write(create()))["value"]
    assert value["commission"] == {
        "rate": "0.100000000000000000",
        "max_rate": "0.200000000000000000",
        "max_change_rate": "0.010000000000000000",
    }
    assert value["pubkey"] == {
        "type": "tendermint/PubKeyEd25519",
        "value": base64.b64encode(cons_key(1)).decode(),
    }
    edit = codec_for(MsgEditValidator).write(MsgEditValidator(DESCRIPTION, VALOPER, 0, None))
    assert message_json(edit)["value"]["commission_rate"] == "0.000000000000000000"
