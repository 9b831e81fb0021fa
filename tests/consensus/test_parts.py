"""consensus.parts: a block's encoding in 64 KiB parts with Merkle proofs, and the
receiver's checks on each part."""

from __future__ import annotations

import random

import msgspec
import pytest

from consensus.codec import CodecError, decode, encode
from consensus.merkle import leaf_hash, merkle_proof, merkle_root
from consensus.parts import (
    PART_SIZE,
    BadPart,
    Part,
    PartBits,
    PartSetBuilder,
    max_parts,
    part_set_header,
    split,
)
from consensus.tendermint.messages import block_id
from consensus.types import Block, PartSetHeader
from tests.consensus.tendermint.support import make_block, signers

DATA = bytes(range(256)) * (2 * PART_SIZE // 256) + b"tail" * 25
"""Two full parts and a last one of 100 bytes."""
MAX_BYTES = 4 * 1024 * 1024


def builder(data: bytes = DATA, max_bytes: int = MAX_BYTES) -> PartSetBuilder:
    return PartSetBuilder(split(data).header, max_bytes)


# ---- splitting ------------------------------------------------------------------------------------


def test_split_cuts_64_kib_parts_with_the_rest_last() -> None:
    parts = split(DATA).parts
    assert [len(part.bytes) for part in parts] == [PART_SIZE, PART_SIZE, 100]
    assert [part.index for part in parts] == [0, 1, 2]
    assert b"".join(part.bytes for part in parts) == DATA


def test_header_is_the_count_and_merkle_root_of_the_parts() -> None:
    chunks = [DATA[:PART_SIZE], DATA[PART_SIZE : 2 * PART_SIZE], DATA[2 * PART_SIZE :]]
    expected = PartSetHeader(3, merkle_root(chunks))
    assert split(DATA).header == expected
    assert part_set_header(DATA) == expected


def test_each_part_carries_its_merkle_proof() -> None:
    chunks = [part.bytes for part in split(DATA).parts]
    for part in split(DATA).parts:
        assert part.proof == merkle_proof(chunks, part.index)


def test_data_of_exactly_whole_parts_has_no_empty_part() -> None:
    data = b"x" * (2 * PART_SIZE)
    assert [len(part.bytes) for part in split(data).parts] == [PART_SIZE, PART_SIZE]
    assert split(data).header.total == 2


def test_small_data_is_one_part_under_its_leaf_hash() -> None:
    assert split(b"block").header == PartSetHeader(1, leaf_hash(b"block"))
    assert split(b"block").parts[0].proof.aunts == []


def test_no_parts_of_nothing() -> None:
    with pytest.raises(ValueError, match="no bytes"):
        split(b"")


def test_a_block_reassembles_from_its_parts_under_its_block_id() -> None:
    block = make_block(2, signers(1)[0].address, [bytes([n]) * 40_000 for n in range(5)])
    parts = split(encode(block))
    assert parts.header == block_id(block).part_set_header
    collecting = PartSetBuilder(parts.header, MAX_BYTES)
    for part in reversed(parts.parts):
        assert collecting.add(part)
    assert decode(collecting.data(), Block) == block


def test_max_parts() -> None:
    assert [max_parts(n) for n in (1, PART_SIZE, PART_SIZE + 1, 4 * 1024 * 1024)] == [1, 1, 2, 64]


# ---- collecting -----------------------------------------------------------------------------------


def test_parts_in_any_order_complete_the_set() -> None:
    parts = list(split(DATA).parts)
    random.Random(7).shuffle(parts)
    collecting = builder()
    for count, part in enumerate(parts, start=1):
        assert not collecting.complete
        assert not collecting.has(part.index)
        assert collecting.add(part)
        assert collecting.has(part.index)
        assert collecting.get(part.index) == part
        assert collecting.bits.count() == count
    assert collecting.complete
    assert collecting.data() == DATA


def test_a_part_held_already_is_not_new() -> None:
    collecting = builder()
    part = split(DATA).parts[1]
    assert collecting.add(part)
    assert not collecting.add(part)
    assert collecting.bits.count() == 1


def test_bits_say_which_parts_are_held() -> None:
    collecting = builder()
    collecting.add(split(DATA).parts[2])
    assert collecting.bits == PartBits(3, b"\x04")
    assert [collecting.has(index) for index in range(4)] == [False, False, True, False]
    assert collecting.get(0) is None


def test_data_before_every_part_is_held() -> None:
    collecting = builder()
    collecting.add(split(DATA).parts[0])
    with pytest.raises(ValueError, match="1 of 3 parts"):
        collecting.data()


# ---- refusing ---------------------------------------------------------------------------------------


def assert_bad(part: Part, problem: str, collecting: PartSetBuilder | None = None) -> None:
    collecting = collecting or builder()
    with pytest.raises(BadPart, match=problem):
        collecting.add(part)
    assert collecting.bits.count() == 0


def test_invalid_index_past_the_set() -> None:
    part = split(DATA).parts[2]
    assert_bad(msgspec.structs.replace(part, index=3), "part 3 of a set of 3")


def test_invalid_short_part_before_the_last() -> None:
    part = split(DATA).parts[0]
    assert_bad(msgspec.structs.replace(part, bytes=part.bytes[:-1]), "all but the last have 65536")


def test_invalid_last_part_over_part_size() -> None:
    part = split(DATA).parts[2]
    assert_bad(msgspec.structs.replace(part, bytes=b"x" * (PART_SIZE + 1)), "a part has 1 to 65536")


def test_invalid_empty_last_part() -> None:
    part = split(DATA).parts[2]
    assert_bad(msgspec.structs.replace(part, bytes=b""), "a part has 1 to 65536")


def test_invalid_bytes_under_a_good_proof() -> None:
    part = split(DATA).parts[1]
    changed = bytes([part.bytes[0] ^ 1]) + part.bytes[1:]
    assert_bad(msgspec.structs.replace(part, bytes=changed), "proof does not lead to the part set hash")


def test_invalid_proof_of_another_part() -> None:
    first, second, _ = split(DATA).parts
    assert_bad(msgspec.structs.replace(first, proof=second.proof), "has a proof for leaf 1 of 3")


def test_invalid_proof_for_another_total() -> None:
    """Leaf 0 of 3 and of 4 share a path, so only the header's total catches this proof."""
    part = split(DATA).parts[0]
    assert_bad(
        msgspec.structs.replace(part, proof=msgspec.structs.replace(part.proof, total=4)),
        "has a proof for leaf 0 of 4",
    )


def test_invalid_part_of_another_block_of_the_same_size() -> None:
    other = split(DATA[:-1] + b"!").parts[2]
    assert_bad(other, "proof does not lead to the part set hash")


def test_invalid_last_part_that_takes_the_block_past_max_bytes() -> None:
    collecting = builder(max_bytes=len(DATA) - 1)
    assert_bad(
        split(DATA).parts[2], rf"{len(DATA)} bytes, over block.max_bytes \({len(DATA) - 1}\)", collecting
    )
    assert builder(max_bytes=len(DATA)).add(split(DATA).parts[2])


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (PartSetHeader(0, bytes(32)), "at least one part"),
        (PartSetHeader(1, bytes(31)), "32 bytes, not 31"),
        (PartSetHeader(max_parts(MAX_BYTES) + 1, bytes(32)), "65 parts cannot fit"),
        (PartSetHeader(2**62, bytes(32)), "cannot fit"),
    ],
    ids=["no parts", "short hash", "one part too many", "huge total"],
)
def test_invalid_header_refused_before_any_part(header: PartSetHeader, problem: str) -> None:
    with pytest.raises(BadPart, match=problem):
        PartSetBuilder(header, MAX_BYTES)


def test_header_of_the_most_parts_that_fit() -> None:
    """Three parts fit in two parts' bytes and one more: the last part may hold just one byte."""
    PartSetBuilder(PartSetHeader(3, bytes(32)), 2 * PART_SIZE + 1)
    with pytest.raises(BadPart, match="3 parts cannot fit"):
        PartSetBuilder(PartSetHeader(3, bytes(32)), 2 * PART_SIZE)


# ---- encodings ----------------------------------------------------------------------------------------


def test_part_round_trips_through_the_canonical_encoding() -> None:
    part = split(DATA).parts[1]
    assert decode(encode(part), Part) == part
    assert msgspec.msgpack.decode(encode(part))[:2] == [1, part.bytes]


@pytest.mark.parametrize("size", [0, PART_SIZE + 1])
def test_invalid_part_encoding_of_a_wrong_size(size: int) -> None:
    part = split(DATA).parts[2]
    with pytest.raises(CodecError):
        decode(encode(msgspec.structs.replace(part, bytes=b"x" * size)), Part)


def test_part_bits() -> None:
    bits = PartBits.none(10).with_part(0).with_part(9)
    assert bits == PartBits(10, b"\x01\x02")
    assert [index for index in range(12) if bits.has(index)] == [0, 9]
    assert bits.count() == 2
    assert decode(encode(bits), PartBits) == bits
    with pytest.raises(IndexError):
        bits.with_part(10)


@pytest.mark.parametrize(
    "fields",
    [[10, b"\x01"], [10, b"\x01\x00\x00"], [10, b"\x00\x04"]],
    ids=["short", "long", "bit past total"],
)
def test_invalid_part_bits_encoding(fields: list[object]) -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode(fields), PartBits)
