"""Strict Cosmos wire decoding: the hand TxRaw parser, its encoder and unknown-field rejection."""

from __future__ import annotations

import pytest
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from cosmpy.protos.cosmos.tx.signing.v1beta1 import signing_pb2
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2
from google.protobuf import any_pb2, struct_pb2
from google.protobuf.message import DecodeError
from google.protobuf.unknown_fields import UnknownFieldSet
from hypothesis import given, settings
from hypothesis import strategies as st

from vm.protowire import (
    RawTx,
    WireError,
    encode_sign_doc,
    encode_tx_raw,
    parse_strict,
    parse_tx_raw,
    reject_unknown_fields,
)

UNKNOWN_99 = b"\x98\x06\x01"  # field 99, wire type 0 (varint), value 1

raw_txs = st.builds(
    RawTx,
    st.binary(max_size=300),
    st.binary(max_size=300),
    st.lists(st.binary(max_size=80), max_size=4).map(tuple),
)


def _varint(value: int, extra: int = 0) -> bytes:
    """A varint padded with ``extra`` redundant continuation bytes (extra=0 is minimal)."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    if extra:
        out[-1] |= 0x80
        out += b"\x80" * (extra - 1) + b"\x00"
    return bytes(out)


@st.composite
def _chunks(draw: st.DrawFn) -> bytes:
    """One TxRaw-ish field: mostly plausible tags and lengths, sometimes subtly wrong."""
    field = draw(st.sampled_from([1, 2, 3] * 4 + [0, 4, 16, 99]))
    wire_type = draw(st.sampled_from([2] * 12 + [0, 1, 5, 7]))
    payload = draw(st.binary(max_size=140))
    length = max(0, len(payload) + draw(st.sampled_from([0] * 12 + [-1, 1, 5])))
    tag = _varint(field << 3 | wire_type, draw(st.sampled_from([0] * 15 + [1])))
    size = _varint(length, draw(st.sampled_from([0] * 14 + [1, 2])))
    return tag + size + payload


txraw_like = st.lists(_chunks(), max_size=5).map(b"".join)


def _canonical_by_runtime(data: bytes) -> bool:
    """Whether the protobuf runtime parses ``data`` to a TxRaw whose canonical encoding is ``data``."""
    try:
        message = tx_pb2.TxRaw.FromString(data)
    except DecodeError:
        return False
    return len(UnknownFieldSet(message)) == 0 and message.SerializeToString(deterministic=True) == data


def _valid_raw() -> RawTx:
    return RawTx(b"body" * 40, b"auth" * 10, (b"s" * 64, b""))


def _rejects(data: bytes, match: str) -> None:
    with pytest.raises(WireError, match=match):
        parse_tx_raw(data)


@settings(max_examples=300, deadline=None)
@given(raw_txs)
def test_round_trip(raw: RawTx) -> None:
    encoded = encode_tx_raw(raw)
    assert parse_tx_raw(encoded) == raw
    assert encode_tx_raw(parse_tx_raw(encoded)) == encoded


@settings(max_examples=300, deadline=None)
@given(raw_txs)
def test_encoding_matches_protobuf_runtime(raw: RawTx) -> None:
    message = tx_pb2.TxRaw(
        body_bytes=raw.body_bytes, auth_info_bytes=raw.auth_info_bytes, signatures=list(raw.signatures)
    )
    assert encode_tx_raw(raw) == message.SerializeToString()
    assert encode_tx_raw(raw) == message.SerializeToString(deterministic=True)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300),
    st.binary(max_size=300),
    st.text(max_size=60),
    st.integers(min_value=0, max_value=2**64 - 1),
)
def test_sign_doc_matches_protobuf_runtime(body: bytes, auth_info: bytes, chain_id: str, number: int) -> None:
    doc = tx_pb2.SignDoc(body_bytes=body, auth_info_bytes=auth_info, chain_id=chain_id, account_number=number)
    assert encode_sign_doc(body, auth_info, chain_id, number) == doc.SerializeToString(deterministic=True)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=400), txraw_like))
def test_random_bytes_only_raise_wire_error(data: bytes) -> None:
    try:
        raw = parse_tx_raw(data)
    except WireError:
        return
    assert encode_tx_raw(raw) == data


@settings(max_examples=500, deadline=None)
@given(st.one_of(txraw_like, raw_txs.map(encode_tx_raw)))
def test_accepts_exactly_the_runtime_canonical_encodings(data: bytes) -> None:
    try:
        raw = parse_tx_raw(data)
    except WireError:
        assert not _canonical_by_runtime(data)
        return
    assert _canonical_by_runtime(data)
    message = tx_pb2.TxRaw.FromString(data)
    assert raw == RawTx(message.body_bytes, message.auth_info_bytes, tuple(message.signatures))


def test_empty_input_is_the_empty_tx() -> None:
    assert parse_tx_raw(b"") == RawTx(b"", b"", ())
    assert encode_tx_raw(RawTx(b"", b"", ())) == b""


def test_empty_signatures_are_kept() -> None:
    raw = RawTx(b"", b"", (b"", b"", b"x"))
    assert encode_tx_raw(raw) == b"\x1a\x00\x1a\x00\x1a\x01x"
    assert parse_tx_raw(encode_tx_raw(raw)) == raw


def test_accepts_bytes_like_input() -> None:
    encoded = encode_tx_raw(_valid_raw())
    raw = parse_tx_raw(memoryview(bytearray(encoded)))  # type: ignore[arg-type]
    assert raw == _valid_raw()
    assert type(raw.body_bytes) is bytes


@pytest.mark.parametrize("suffix", [b"\x00", b"\x1a", b"\xff", b"\x1a\x05ab", b"\x0a\x01x"])
def test_invalid_trailing_bytes(suffix: bytes) -> None:
    encoded = encode_tx_raw(_valid_raw())
    with pytest.raises(WireError, match=r"at byte (\d+)") as info:
        parse_tx_raw(encoded + suffix)
    assert int(info.value.args[0].rsplit(" ", 1)[1]) >= len(encoded)


def test_invalid_truncated_length() -> None:
    _rejects(b"\x0a\x05abcd", r"field 1 length 5 exceeds the 4 remaining bytes at byte 0")
    body, auth, signatures = _valid_raw()
    prefixes = [RawTx(body, b"", ()), RawTx(body, auth, ()), RawTx(body, auth, signatures[:1])]
    whole_fields = {len(encode_tx_raw(raw)) for raw in prefixes}
    encoded = encode_tx_raw(_valid_raw())
    for cut in set(range(1, len(encoded))) - whole_fields:
        with pytest.raises(WireError):
            parse_tx_raw(encoded[:cut])


def test_invalid_missing_length() -> None:
    _rejects(b"\x0a\x01x\x12", r"missing length of field 2 at byte 4")


def test_invalid_truncated_length_varint() -> None:
    _rejects(b"\x0a\x80", r"truncated length varint at byte 1")


def test_invalid_non_minimal_tag_varint() -> None:
    _rejects(b"\x8a\x00\x01x", r"non-minimal tag varint at byte 0")
    _rejects(b"\x0a\x01x\x92\x80\x00\x01y", r"non-minimal tag varint at byte 3")


def test_invalid_non_minimal_length_varint() -> None:
    _rejects(b"\x0a\x81\x00x", r"non-minimal length varint at byte 1")
    _rejects(b"\x0a\x01x\x1a\xc0\x80\x00" + b"s" * 64, r"non-minimal length varint at byte 4")


def test_invalid_overlong_varint() -> None:
    _rejects(b"\x0a" + b"\x81" * 10 + b"\x01", r"length varint longer than 10 bytes at byte 1")
    _rejects(b"\x0a" + b"\xff" * 9 + b"\x02", r"length varint exceeds 2\*\*64-1 at byte 1")


def test_invalid_huge_length() -> None:
    _rejects(b"\x0a" + b"\xff" * 9 + b"\x01x", r"field 1 length 18446744073709551615 exceeds")


def test_invalid_wrong_wire_type() -> None:
    _rejects(b"\x08\x01", r"field 1 has wire type 0, expected 2, at byte 0")
    _rejects(b"\x0a\x01x\x15\x00\x00\x00\x00", r"field 2 has wire type 5, expected 2, at byte 3")


def test_invalid_unknown_field_number() -> None:
    _rejects(b"\x0a\x01x\x22\x01y", r"unknown field 4 at byte 3")
    _rejects(b"\x9a\x06\x01y", r"unknown field 99 at byte 0")


def test_invalid_field_zero() -> None:
    _rejects(b"\x02\x01x", r"field number 0 at byte 0")
    _rejects(b"\x0a\x01x\x00", r"field number 0 at byte 3")


def test_invalid_duplicated_body_bytes() -> None:
    _rejects(b"\x0a\x01x\x0a\x01y", r"duplicate field 1 \(body_bytes\) at byte 3")


def test_invalid_duplicated_auth_info_bytes() -> None:
    _rejects(b"\x12\x01x\x12\x01y", r"duplicate field 2 \(auth_info_bytes\) at byte 3")


def test_invalid_field_2_before_1() -> None:
    _rejects(b"\x12\x01a\x0a\x01b", r"field 1 after field 2 at byte 3")


def test_invalid_field_1_after_3() -> None:
    _rejects(b"\x1a\x01s\x0a\x01b", r"field 1 after field 3 at byte 3")


def test_invalid_field_2_after_3() -> None:
    body = b"\x0a\x26" + b"b" * 38
    _rejects(body + b"\x1a\x00\x12\x01a", r"^TxRaw: field 2 after field 3 at byte 42$")


def test_invalid_empty_body_bytes() -> None:
    _rejects(b"\x0a\x00", r"field 1 \(body_bytes\) is explicitly empty at byte 0")
    _rejects(b"\x0a\x00\x12\x01a", r"field 1 \(body_bytes\) is explicitly empty at byte 0")


def test_invalid_empty_auth_info_bytes() -> None:
    _rejects(b"\x0a\x01b\x12\x00", r"field 2 \(auth_info_bytes\) is explicitly empty at byte 3")


def test_wire_error_is_a_value_error() -> None:
    assert issubclass(WireError, ValueError)


def _body() -> tx_pb2.TxBody:
    return tx_pb2.TxBody(
        messages=[any_pb2.Any(type_url="/cosmos.bank.v1beta1.MsgSend", value=b"\x0a\x03abc")],
        memo="hello",
        timeout_height=7,
    )


def test_valid_tx_body_passes() -> None:
    body = tx_pb2.TxBody.FromString(_body().SerializeToString())
    reject_unknown_fields(body)
    assert parse_strict(tx_pb2.TxBody, _body().SerializeToString()) == _body()


def test_unknown_field_in_tx_body() -> None:
    body = tx_pb2.TxBody.FromString(_body().SerializeToString() + UNKNOWN_99)
    with pytest.raises(WireError, match=r"^unknown field 99 in cosmos\.tx\.v1beta1\.TxBody$"):
        reject_unknown_fields(body)
    with pytest.raises(WireError, match=r"^unknown field 99 in cosmos\.tx\.v1beta1\.TxBody$"):
        parse_strict(tx_pb2.TxBody, _body().SerializeToString() + UNKNOWN_99)


def test_non_critical_unknown_field_is_rejected() -> None:
    extension = _varint(10_007 << 3) + b"\x01"  # non-critical (>= 1024): ADR-020 would let it pass
    with pytest.raises(WireError, match=r"unknown field 10007 in cosmos\.tx\.v1beta1\.TxBody"):
        parse_strict(tx_pb2.TxBody, _body().SerializeToString() + extension)


def test_unknown_field_in_nested_fee() -> None:
    fee = tx_pb2.Fee(amount=[coin_pb2.Coin(denom="stake", amount="1")], gas_limit=200_000)
    fee_bytes = fee.SerializeToString() + UNKNOWN_99
    auth = tx_pb2.AuthInfo.FromString(b"\x12" + bytes([len(fee_bytes)]) + fee_bytes)
    with pytest.raises(WireError, match=r"^unknown field 99 in cosmos\.tx\.v1beta1\.AuthInfo\.fee$"):
        reject_unknown_fields(auth)


def test_unknown_field_in_repeated_message_names_the_index() -> None:
    single = tx_pb2.ModeInfo(single=tx_pb2.ModeInfo.Single(mode=signing_pb2.SIGN_MODE_DIRECT))
    good = tx_pb2.SignerInfo(mode_info=single, sequence=1).SerializeToString()
    bad = tx_pb2.SignerInfo(sequence=2).SerializeToString() + UNKNOWN_99
    data = b"".join(b"\x0a" + bytes([len(item)]) + item for item in (good, bad))
    with pytest.raises(WireError, match=r"in cosmos\.tx\.v1beta1\.AuthInfo\.signer_infos\[1\]$"):
        parse_strict(tx_pb2.AuthInfo, data)


def test_unknown_field_in_deeply_nested_message() -> None:
    single = tx_pb2.ModeInfo.Single(mode=signing_pb2.SIGN_MODE_DIRECT).SerializeToString() + UNKNOWN_99
    mode_info = b"\x0a" + bytes([len(single)]) + single
    signer = b"\x12" + bytes([len(mode_info)]) + mode_info
    auth = b"\x0a" + bytes([len(signer)]) + signer
    with pytest.raises(WireError, match=r"AuthInfo\.signer_infos\[0\]\.mode_info\.single$"):
        parse_strict(tx_pb2.AuthInfo, auth)


def test_unknown_field_in_map_value() -> None:
    value = struct_pb2.Value(string_value="x").SerializeToString() + UNKNOWN_99
    entry = b"\x0a\x01k\x12" + bytes([len(value)]) + value
    data = b"\x0a" + bytes([len(entry)]) + entry
    with pytest.raises(WireError, match=r"^unknown field 99 in google\.protobuf\.Struct\.fields\['k'\]$"):
        parse_strict(struct_pb2.Struct, data)


def test_known_field_with_wrong_wire_type() -> None:
    # upb keeps memo (field 2, a string) sent as a varint among the unknown fields.
    with pytest.raises(WireError, match=r"^field 2 with wrong wire type 0 in cosmos\.tx\.v1beta1\.TxBody$"):
        parse_strict(tx_pb2.TxBody, b"\x10\x01")


def test_any_value_is_not_inspected_but_any_itself_is() -> None:
    opaque = any_pb2.Any(type_url="/x", value=b"\xff\xff" + UNKNOWN_99)
    body = tx_pb2.TxBody(messages=[opaque]).SerializeToString()
    parse_strict(tx_pb2.TxBody, body)
    any_bytes = opaque.SerializeToString() + UNKNOWN_99
    body = b"\x0a" + bytes([len(any_bytes)]) + any_bytes
    with pytest.raises(WireError, match=r"in cosmos\.tx\.v1beta1\.TxBody\.messages\[0\]$"):
        parse_strict(tx_pb2.TxBody, body)


def test_parse_strict_truncated_message() -> None:
    data = _body().SerializeToString()
    with pytest.raises(WireError, match=r"^cosmos\.tx\.v1beta1\.TxBody: "):
        parse_strict(tx_pb2.TxBody, data[:-1])


def test_parse_strict_invalid_utf8() -> None:
    with pytest.raises(WireError, match=r"^cosmos\.tx\.v1beta1\.TxBody: "):
        parse_strict(tx_pb2.TxBody, b"\x12\x02\xff\xfe")


def test_parse_strict_returns_the_requested_type() -> None:
    fee = tx_pb2.Fee(gas_limit=5, payer="p")
    parsed = parse_strict(tx_pb2.Fee, fee.SerializeToString())
    assert isinstance(parsed, tx_pb2.Fee)
    assert parsed == fee
