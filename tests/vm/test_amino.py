"""Legacy Amino JSON sign bytes (vm.amino) against cosmjs and Cosmos SDK vectors.

The COSMJS_VECTORS and signatures were produced by @cosmjs/amino 0.39 serializeSignDoc(makeSignDoc(...))
and Secp256k1HdWallet.signAmino, for the messages built in _cosmjs_docs (the msgs converted by
@cosmjs/stargate 0.39's bank AminoTypes). The SDK vectors are cosmos-sdk v0.50 x/authz/msgs_test.go
TestAminoJSON.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import coincurve
import coincurve.ecdsa
import pytest
from cosmpy.protos.cosmos.authz.v1beta1 import authz_pb2
from cosmpy.protos.cosmos.authz.v1beta1 import tx_pb2 as authz_tx
from cosmpy.protos.cosmos.bank.v1beta1 import authz_pb2 as bank_authz
from cosmpy.protos.cosmos.bank.v1beta1 import bank_pb2
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin
from cosmpy.protos.cosmos.crypto.secp256k1 import keys_pb2
from cosmpy.protos.cosmos.feegrant.v1beta1 import feegrant_pb2
from cosmpy.protos.cosmos.feegrant.v1beta1 import tx_pb2 as feegrant_tx
from cosmpy.protos.cosmos.staking.v1beta1 import authz_pb2 as staking_authz
from google.protobuf import any_pb2, duration_pb2, timestamp_pb2
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from protos.depind.provider.v1 import provider_pb2
from protos.depind.provider.v1 import tx_pb2 as provider_tx
from vm.amino import AminoError, amino_name, canonical_json, message_json, sign_doc
from vm.crypto import verify_signature

# mnemonic "abandon" x11 + "about", m/44'/118'/0'/0/{0,1,2}, prefix "depin".
ADDR0 = "depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w"
ADDR1 = "depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue"
ADDR2 = "depin1kng7tv83qesgvv2ze7hxlw4urfrjk8vqwue88s"
PUBKEY0 = bytes.fromhex("024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62")
MEMO = 'pay <rent> & tip: café 🚀\u2028tab\there\u0001"q"\\'

# @cosmjs/amino 0.39 serializeSignDoc, decoded as UTF-8.
COSMJS_VECTORS: dict[str, str] = {
    "send_memo": (
        '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"500","denom":"udepin"}'
        '],"gas":"200000"},"memo":"pay \\u003crent\\u003e \\u0026 tip: café 🚀\u2028tab\\there\\u0001\\"'
        'q\\"\\\\","msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"1000","denom":"ud'
        'epin"}],"from_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w","to_address":"depin1jrkm'
        'dcwgq94uaamx6zax2luewlhf7u4kjh7kue"}}],"sequence":"3"}'
    ),
    "multi_send": (
        '{"account_number":"9223372036854775813","chain_id":"depind-1","fee":{"amount":[{"amount":"2500'
        '","denom":"udepin"}],"gas":"250000","granter":"depin1kng7tv83qesgvv2ze7hxlw4urfrjk8vqwue88s","'
        'payer":"depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue"},"memo":"","msgs":[{"type":"cosmos-sdk/M'
        'sgMultiSend","value":{"inputs":[{"address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w","coi'
        'ns":[{"amount":"300","denom":"udepin"},{"amount":"7","denom":"uatom"}]}],"outputs":[{"address"'
        ':"depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue","coins":[{"amount":"100","denom":"udepin"}]},{'
        '"address":"depin1kng7tv83qesgvv2ze7hxlw4urfrjk8vqwue88s","coins":[{"amount":"200","denom":"ude'
        'pin"},{"amount":"7","denom":"uatom"}]}]}}],"sequence":"0"}'
    ),
    "empty_fee": (
        '{"account_number":"0","chain_id":"depind-1","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[{"'
        'type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"1000","denom":"udepin"}],"from_addres'
        's":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w","to_address":"depin1jrkmdcwgq94uaamx6zax2lue'
        'wlhf7u4kjh7kue"}}],"sequence":"0"}'
    ),
    "timeout": (
        '{"account_number":"7","chain_id":"depind-1","fee":{"amount":[{"amount":"500","denom":"udepin"}'
        '],"gas":"200000"},"memo":"with timeout","msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount"'
        ':[{"amount":"1000","denom":"udepin"}],"from_address":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0'
        '464w","to_address":"depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue"}}],"sequence":"4","timeout_h'
        'eight":"123456"}'
    ),
}

# @cosmjs/amino 0.39 Secp256k1HdWallet.signAmino (account 0), r||s.
COSMJS_SIGNATURES = {
    "send_memo": bytes.fromhex(
        "184382d2de63278911046958e97528f1e92dd0934b8c29c9b191e3e9b1ba2ea0"
        "506401bce5067f09a1a888501ce015a38e479a15ddb38cd137d18b117b3b4470"
    ),
    "timeout": bytes.fromhex(
        "708eaee7b190b70411c9bad6592ecfa951d9d4e36d728c1932104d62ba48159f"
        "3c09254ff32377b2186544741cde389a9e472f5a05e85aa6ae0c54c958030400"
    ),
}


def _coin(amount: str, denom: str = "udepin") -> Coin:
    return Coin(denom=denom, amount=amount)


def _send() -> bank_tx.MsgSend:
    return bank_tx.MsgSend(from_address=ADDR0, to_address=ADDR1, amount=[_coin("1000")])


def _doc(**overrides: Any) -> bytes:
    args: dict[str, Any] = {
        "chain_id": "depind-1",
        "account_number": 7,
        "sequence": 3,
        "timeout_height": 0,
        "memo": "",
        "fee_amount": [_coin("500")],
        "gas_limit": 200000,
        "payer": "",
        "granter": "",
        "msgs": [_send()],
    }
    args.update(overrides)
    return sign_doc(**args)


def _cosmjs_docs() -> dict[str, bytes]:
    multi = bank_tx.MsgMultiSend(
        inputs=[bank_pb2.Input(address=ADDR0, coins=[_coin("300"), _coin("7", "uatom")])],
        outputs=[
            bank_pb2.Output(address=ADDR1, coins=[_coin("100")]),
            bank_pb2.Output(address=ADDR2, coins=[_coin("200"), _coin("7", "uatom")]),
        ],
    )
    return {
        "send_memo": _doc(memo=MEMO),
        "multi_send": _doc(
            account_number=9223372036854775813,
            sequence=0,
            fee_amount=[_coin("2500")],
            gas_limit=250000,
            payer=ADDR1,
            granter=ADDR2,
            msgs=[multi],
        ),
        "empty_fee": _doc(account_number=0, sequence=0, fee_amount=[], gas_limit=0),
        "timeout": _doc(sequence=4, memo="with timeout", timeout_height=123456),
    }


@pytest.mark.parametrize("name", sorted(COSMJS_VECTORS))
def test_sign_doc_matches_cosmjs_byte_for_byte(name: str) -> None:
    assert _cosmjs_docs()[name] == COSMJS_VECTORS[name].encode("utf-8")


@pytest.mark.parametrize("name", sorted(COSMJS_SIGNATURES))
def test_cosmjs_signature_verifies_over_sign_doc(name: str) -> None:
    doc = _cosmjs_docs()[name]
    signature = COSMJS_SIGNATURES[name]
    der = coincurve.ecdsa.cdata_to_der(coincurve.ecdsa.deserialize_compact(signature))
    assert coincurve.PublicKey(PUBKEY0).verify(der, hashlib.sha256(doc).digest(), hasher=None)
    assert verify_signature(PUBKEY0, doc, signature)  # hashes with SHA-256 itself
    assert not verify_signature(PUBKEY0, doc.replace(b'"7"', b'"8"', 1), signature)


def test_sign_bytes_are_canonical() -> None:
    doc = _cosmjs_docs()["multi_send"]
    parsed = json.loads(doc)
    assert canonical_json(parsed) == doc
    assert json.dumps(parsed, sort_keys=True, ensure_ascii=False).encode() != doc  # spaces
    reordered = json.dumps(dict(reversed(parsed.items())), separators=(",", ":"), ensure_ascii=False)
    assert reordered.encode() != doc  # key order
    assert canonical_json(json.loads(reordered)) == doc
    assert b" " not in doc and list(parsed) == sorted(parsed) and list(parsed["fee"]) == sorted(parsed["fee"])


def test_sign_doc_escapes_html_characters_and_keeps_unicode_raw() -> None:
    doc = _doc(memo="<a>&é🚀\u2028")
    assert b'"memo":"\\u003ca\\u003e\\u0026\xc3\xa9\xf0\x9f\x9a\x80\xe2\x80\xa8"' in doc
    assert json.loads(doc)["memo"] == "<a>&é🚀\u2028"


def test_sign_doc_rejects_a_lone_surrogate() -> None:
    with pytest.raises(AminoError, match="Unicode"):
        _doc(memo="\ud800")


def test_sign_doc_fee_and_timeout_fields() -> None:
    fee = json.loads(_doc(payer=ADDR1))["fee"]
    assert fee == {"amount": [{"amount": "500", "denom": "udepin"}], "gas": "200000", "payer": ADDR1}
    assert "timeout_height" not in json.loads(_doc(timeout_height=0))
    assert json.loads(_doc(timeout_height=2**64 - 1))["timeout_height"] == "18446744073709551615"
    assert json.loads(_doc(msgs=[]))["msgs"] is None  # x/tx writes an empty list as null


@pytest.mark.parametrize("field", ["account_number", "sequence", "gas_limit", "timeout_height"])
@pytest.mark.parametrize("value", [-1, 2**64, True])
def test_sign_doc_rejects_non_uint64_numbers(field: str, value: int) -> None:
    with pytest.raises(AminoError):
        _doc(**{field: value})


def test_amino_name() -> None:
    assert amino_name(_send()) == "cosmos-sdk/MsgSend"
    assert amino_name(provider_tx.MsgRegisterProvider()) == "depind/MsgRegisterProvider"
    with pytest.raises(AminoError, match=r"amino\.name"):
        amino_name(_coin("1"))


def test_message_without_amino_name_is_named_by_type_url() -> None:
    # x/tx v0.12+ (SDK v0.50) falls back to the type URL for an Any-packed message without a name.
    assert message_json(_coin("5")) == {
        "type": "/cosmos.base.v1beta1.Coin",
        "value": {"amount": "5", "denom": "udepin"},
    }


def test_empty_fields_are_omitted_unless_dont_omitempty() -> None:
    # amount: dont_omitempty + legacy_coins -> []; the addresses are plain strings -> omitted.
    assert message_json(bank_tx.MsgSend()) == {"type": "cosmos-sdk/MsgSend", "value": {"amount": []}}
    # inputs/outputs: dont_omitempty without legacy_coins -> null, as x/tx writes an empty list.
    assert message_json(bank_tx.MsgMultiSend())["value"] == {"inputs": None, "outputs": None}
    # Coin.amount is dont_omitempty and a cosmos.Int: empty is "0"; denom is omitted when empty.
    assert message_json(bank_tx.MsgSend(amount=[Coin()]))["value"] == {"amount": [{"amount": "0"}]}
    # Output.coins is dont_omitempty + legacy_coins.
    multi = bank_tx.MsgMultiSend(outputs=[bank_pb2.Output(address=ADDR1)])
    assert message_json(multi)["value"]["outputs"] == [{"address": ADDR1, "coins": []}]


def test_dont_omitempty_on_an_unset_message_field_is_refused() -> None:
    # x/tx: "not supported: dont_omit_empty=true on invalid (nil?) message field".
    with pytest.raises(AminoError, match="unset message"):
        message_json(authz_tx.MsgGrant(granter=ADDR0, grantee=ADDR1))


def test_depind_register_provider() -> None:
    msg = provider_tx.MsgRegisterProvider(
        owner=ADDR0,
        gpus=[
            provider_pb2.GpuSpec(
                model="NVIDIA H100 80GB HBM3",
                memory_mib=81559,
                compute_capability="9.0",
                count=2,
                uuid_hashes=[b"\x01" * 32, bytes(range(32))],
            ),
            provider_pb2.GpuSpec(model="NVIDIA L4"),
        ],
        endpoint="https://gpu.example:8443/?a=1&b=<2>",
        price_hint=Coin(denom="udepin"),
    )
    value = {
        "endpoint": "https://gpu.example:8443/?a=1&b=<2>",
        "gpus": [
            {
                "compute_capability": "9.0",
                "count": "2",
                "memory_mib": "81559",
                "model": "NVIDIA H100 80GB HBM3",
                "uuid_hashes": [
                    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
                    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                ],
            },
            {"model": "NVIDIA L4"},
        ],
        "owner": ADDR0,
        "price_hint": {"amount": "0", "denom": "udepin"},
    }
    assert message_json(msg) == {"type": "depind/MsgRegisterProvider", "value": value}
    doc = _doc(msgs=[msg], fee_amount=[])
    assert (
        b'"msgs":[{"type":"depind/MsgRegisterProvider","value":{"endpoint":'
        b'"https://gpu.example:8443/?a=1\\u0026b=\\u003c2\\u003e","gpus":[{"compute_capability":"9.0",'
        b'"count":"2","memory_mib":"81559","model":"NVIDIA H100 80GB HBM3","uuid_hashes":'
        b'["AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=","AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="]},'
        b'{"model":"NVIDIA L4"}],"owner":"depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w",'
        b'"price_hint":{"amount":"0","denom":"udepin"}}}]' in doc
    )


def _pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message, type_url_prefix="/")
    return packed


# 0001-01-01T02:01:01.000000001Z, the expiration in the SDK's TestAminoJSON.
SDK_EXPIRATION = timestamp_pb2.Timestamp(seconds=-62135589539, nanos=1)


def _sdk_doc(msg: Message) -> bytes:
    # legacytx.StdSignBytes("foo", 1, 1, 1, legacytx.StdFee{}, msgs, "memo", nil)
    return sign_doc(
        chain_id="foo",
        account_number=1,
        sequence=1,
        timeout_height=1,
        memo="memo",
        fee_amount=[],
        gas_limit=0,
        payer="",
        granter="",
        msgs=[msg],
    )


def _sdk_expected(msg_json: str) -> bytes:
    return (
        '{"account_number":"1","chain_id":"foo","fee":{"amount":[],"gas":"0"},"memo":"memo","msgs":['
        + msg_json
        + '],"sequence":"1","timeout_height":"1"}'
    ).encode()


def test_sdk_vector_grant_generic_authorization() -> None:
    authorization = authz_pb2.GenericAuthorization(msg="/cosmos.bank.v1beta1.MsgSend")
    grant = authz_pb2.Grant(authorization=_pack(authorization), expiration=SDK_EXPIRATION)
    msg = authz_tx.MsgGrant(granter="cosmos1abc", grantee="cosmos1def", grant=grant)
    assert _sdk_doc(msg) == _sdk_expected(
        '{"type":"cosmos-sdk/MsgGrant","value":{"grant":{"authorization":{"type":'
        '"cosmos-sdk/GenericAuthorization","value":{"msg":"/cosmos.bank.v1beta1.MsgSend"}},'
        '"expiration":"0001-01-01T02:01:01.000000001Z"},"grantee":"cosmos1def","granter":"cosmos1abc"}}'
    )


def test_sdk_vector_grant_send_authorization() -> None:
    authorization = bank_authz.SendAuthorization(spend_limit=[_coin("1000", "stake")])
    grant = authz_pb2.Grant(authorization=_pack(authorization), expiration=SDK_EXPIRATION)
    msg = authz_tx.MsgGrant(granter="cosmos1abc", grantee="cosmos1def", grant=grant)
    assert _sdk_doc(msg) == _sdk_expected(
        '{"type":"cosmos-sdk/MsgGrant","value":{"grant":{"authorization":{"type":'
        '"cosmos-sdk/SendAuthorization","value":{"spend_limit":[{"amount":"1000","denom":"stake"}]}},'
        '"expiration":"0001-01-01T02:01:01.000000001Z"},"grantee":"cosmos1def","granter":"cosmos1abc"}}'
    )


def test_sdk_vector_revoke_and_exec() -> None:
    revoke = authz_tx.MsgRevoke(
        granter="cosmos1abc", grantee="cosmos1def", msg_type_url="/cosmos.bank.v1beta1.MsgSend"
    )
    assert _sdk_doc(revoke) == _sdk_expected(
        '{"type":"cosmos-sdk/MsgRevoke","value":{"grantee":"cosmos1def","granter":"cosmos1abc",'
        '"msg_type_url":"/cosmos.bank.v1beta1.MsgSend"}}'
    )
    inner = bank_tx.MsgSend(from_address="cosmos1ghi", to_address="cosmos1jkl")
    exec_msg = authz_tx.MsgExec(grantee="cosmos1def", msgs=[_pack(inner)])
    assert _sdk_doc(exec_msg) == _sdk_expected(
        '{"type":"cosmos-sdk/MsgExec","value":{"grantee":"cosmos1def","msgs":[{"type":"cosmos-sdk/MsgSend",'
        '"value":{"amount":[],"from_address":"cosmos1ghi","to_address":"cosmos1jkl"}}]}}'
    )


def test_packed_any_message_is_unpacked() -> None:
    assert message_json(_pack(_send())) == message_json(_send())
    assert _doc(msgs=[_pack(_send())]) == _doc()


def test_any_errors() -> None:
    unknown = any_pb2.Any(type_url="/depind.nope.v1.MsgNope", value=b"")
    with pytest.raises(AminoError, match="unknown type"):
        message_json(unknown)
    malformed = any_pb2.Any(type_url="/cosmos.bank.v1beta1.MsgSend", value=b"\xff")
    with pytest.raises(AminoError, match="malformed"):
        message_json(malformed)


def test_timestamp_and_duration() -> None:
    basic = feegrant_pb2.BasicAllowance(
        expiration=timestamp_pb2.Timestamp(seconds=1136214245, nanos=500_000_000)
    )
    periodic = feegrant_pb2.PeriodicAllowance(
        basic=basic,
        period=duration_pb2.Duration(seconds=3600, nanos=5),
        period_reset=timestamp_pb2.Timestamp(seconds=1136214245),
    )
    msg = feegrant_tx.MsgGrantAllowance(granter=ADDR0, grantee=ADDR1, allowance=_pack(periodic))
    assert message_json(msg)["value"] == {
        "allowance": {
            "type": "cosmos-sdk/PeriodicAllowance",
            "value": {
                "basic": {"expiration": "2006-01-02T15:04:05.5Z", "spend_limit": []},
                "period": "3600000000005",
                "period_can_spend": [],
                "period_reset": "2006-01-02T15:04:05Z",
                "period_spend_limit": [],
            },
        },
        "grantee": ADDR1,
        "granter": ADDR0,
    }


@pytest.mark.parametrize(
    ("seconds", "nanos", "text"),
    [
        (0, 0, "1970-01-01T00:00:00Z"),
        (0, 120_000_000, "1970-01-01T00:00:00.12Z"),
        (0, 1_000_000_000, "1970-01-01T00:00:01Z"),  # Go's time.Unix normalises nanos
        (-1, 999_999_999, "1969-12-31T23:59:59.999999999Z"),
        (253402300799, 0, "9999-12-31T23:59:59Z"),
        (-62135596800, 0, "0001-01-01T00:00:00Z"),
    ],
)
def test_timestamp_format(seconds: int, nanos: int, text: str) -> None:
    allowance = feegrant_pb2.BasicAllowance(expiration=timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos))
    assert message_json(allowance)["value"]["expiration"] == text


@given(
    st.integers(min_value=-62135596800, max_value=253402300799),
    st.integers(min_value=0, max_value=999_999_999),
)
def test_timestamp_format_agrees_with_datetime(seconds: int, nanos: int) -> None:
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds, microseconds=nanos // 1000)
    allowance = feegrant_pb2.BasicAllowance(expiration=timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos))
    text = message_json(allowance)["value"]["expiration"]
    assert text.startswith(f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}")
    fraction = text[len("2006-01-02T15:04:05") : -1]
    assert fraction == (f".{nanos:09d}".rstrip("0") if nanos else "")


@pytest.mark.parametrize(("seconds", "nanos"), [(0, -1), (253402300800, 0), (-62135596801, 0)])
def test_timestamp_out_of_range(seconds: int, nanos: int) -> None:
    allowance = feegrant_pb2.BasicAllowance(expiration=timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos))
    with pytest.raises(AminoError):
        message_json(allowance)


def test_duration_overflow() -> None:
    periodic = feegrant_pb2.PeriodicAllowance(
        basic=feegrant_pb2.BasicAllowance(), period=duration_pb2.Duration(seconds=9223372036)
    )
    with pytest.raises(AminoError, match="overflows"):
        message_json(periodic)


def test_key_field_pubkey_matches_cosmjs() -> None:
    # Secp256k1HdWallet.signAmino's pub_key for account 0, as @cosmjs/amino 0.39 wrote it.
    assert message_json(keys_pb2.PubKey(key=PUBKEY0)) == {
        "type": "tendermint/PubKeySecp256k1",
        "value": "Ak9OKtmcNNYLm6YoPJQxqEGK+GcyEpYfl6d7Y3f80Fti",
    }
    assert message_json(keys_pb2.PubKey())["value"] is None


def test_oneof_is_refused() -> None:
    # StakeAuthorization's validators oneof: x/tx writes it with (amino.oneof_name); not implemented.
    with pytest.raises(AminoError, match="oneof"):
        message_json(staking_authz.StakeAuthorization())
