"""consensus.codec: one canonical MessagePack form per value, strictly decoded."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consensus.codec import CodecError, decode, encode
from consensus.types import (
    Block,
    BlockID,
    CanonicalVote,
    Commit,
    CommitSig,
    Data,
    Header,
    PartSetHeader,
    Version,
    Vote,
)
from consensus.validators import SimpleValidator, Validator
from tests.consensus import vectors

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALUES: list[Any] = [
    PartSetHeader(1, b"parts"),
    vectors.block_id(),
    Version(11, 1),
    vectors.header(),
    vectors.commit_sig(),
    vectors.commit(),
    Data([b"a", b"bc"]),
    vectors.block(),
    Block(vectors.header(1), Data([]), [], None),
    vectors.vote(),
    CanonicalVote(2, 5, 0, vectors.block_id(), 7, vectors.CHAIN_ID),
    Validator(b"\x01" * 20, b"\x02" * 32, 10, -5),
    SimpleValidator(b"\x02" * 32, 10),
]


def plain(value: Any) -> Any:
    """The value as untyped MessagePack data, to corrupt one part at a time."""
    return msgspec.msgpack.decode(encode(value))


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_round_trip(value: Any) -> None:
    data = encode(value)
    assert decode(data, type(value)) == value
    assert encode(decode(data, type(value))) == data


def test_encoding_is_an_array_in_field_order() -> None:
    assert msgspec.msgpack.decode(encode(PartSetHeader(3, b"h"))) == [3, b"h"]


def test_equal_values_encode_identically() -> None:
    assert encode(vectors.block()) == encode(vectors.block())


def test_invalid_trailing_bytes() -> None:
    with pytest.raises(CodecError):
        decode(encode(vectors.header()) + b"\x00", Header)


def test_invalid_extra_field() -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode([*plain(PartSetHeader(1, b"h")), 7]), PartSetHeader)


def test_invalid_extra_field_nested() -> None:
    fields = plain(vectors.block_id())
    fields[1].append(b"extra")
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode(fields), BlockID)


def test_invalid_missing_field() -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode([1]), PartSetHeader)


def test_invalid_map_instead_of_array() -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode({"total": 1, "hash": b"h"}), PartSetHeader)


def test_invalid_wide_integer() -> None:
    # 1 as uint16 (0xcd 0x0001) instead of the one-byte positive fixint.
    data = b"\x92\xcd\x00\x01\xc4\x01h"
    assert msgspec.msgpack.decode(data) == [1, b"h"]
    with pytest.raises(CodecError, match="non-canonical"):
        decode(data, PartSetHeader)


def test_invalid_wide_bytes_length() -> None:
    # b"h" as bin16 (0xc5 0x0001) instead of bin8.
    with pytest.raises(CodecError, match="non-canonical"):
        decode(b"\x92\x01\xc5\x00\x01h", PartSetHeader)


def test_invalid_wide_array_header() -> None:
    # A two-element array as array16 (0xdc 0x0002) instead of fixarray.
    with pytest.raises(CodecError, match="non-canonical"):
        decode(b"\xdc\x00\x02\x01\xc4\x01h", PartSetHeader)


def test_invalid_string_for_bytes() -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode([1, "h"]), PartSetHeader)


def test_invalid_wrong_type() -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode(["1", b"h"]), PartSetHeader)


def test_invalid_negative_unsigned() -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode([-1, b"h"]), PartSetHeader)


def test_invalid_unsigned_above_int64() -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode([2**63, b"h"]), PartSetHeader)


def test_invalid_empty_input() -> None:
    with pytest.raises(CodecError):
        decode(b"", Block)


def test_invalid_truncated() -> None:
    data = encode(vectors.block())
    with pytest.raises(CodecError):
        decode(data[:-1], Block)


# -- properties ------------------------------------------------------------------------

hashes = st.binary(min_size=0, max_size=40)
uint64 = st.integers(min_value=0, max_value=2**63 - 1)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
block_ids = st.builds(BlockID, hashes, st.builds(PartSetHeader, uint64, hashes))
headers = st.builds(
    Header,
    st.builds(Version, uint64, uint64),
    st.text(max_size=50),
    uint64,
    int64,
    block_ids,
    hashes,
    hashes,
    hashes,
    hashes,
    hashes,
    hashes,
    hashes,
    hashes,
    hashes,
)
commit_sigs = st.builds(CommitSig, st.integers(1, 3), hashes, int64, hashes)
commits = st.builds(Commit, uint64, uint64, block_ids, st.lists(commit_sigs, max_size=4))
blocks = st.builds(
    Block,
    headers,
    st.builds(Data, st.lists(st.binary(max_size=64), max_size=5)),
    st.lists(st.binary(max_size=16), max_size=2),
    st.none() | commits,
)


@PROPERTY
@given(blocks)
def test_round_trip_random_blocks(value: Block) -> None:
    assert decode(encode(value), Block) == value


@PROPERTY
@given(st.binary(max_size=300), st.sampled_from([Block, Header, Commit, Vote, BlockID, Validator]))
def test_decode_random_bytes_raises_only_codec_error(data: bytes, type_: type) -> None:
    try:
        value: object = decode(data, type_)
    except CodecError:
        return
    assert encode(value) == data


@PROPERTY
@given(blocks, st.data())
def test_decode_mutated_block_raises_only_codec_error(value: Block, data: st.DataObject) -> None:
    raw = bytearray(encode(value))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] = data.draw(st.integers(0, 255))
    try:
        decoded = decode(bytes(raw), Block)
    except CodecError:
        return
    assert encode(decoded) == bytes(raw)


def test_invalid_utf8_string() -> None:
    fields = plain(vectors.header())
    fields[1] = "\x00"  # chain_id, patched below into a lone continuation byte
    data = msgspec.msgpack.encode(fields).replace(b"\xa1\x00", b"\xa1\x80", 1)
    assert b"\xa1\x80" in data
    with pytest.raises(CodecError):
        decode(data, Header)
