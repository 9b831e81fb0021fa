"""The binary encodings of fraud proofs, attestations, C r openings and disputes (one-shot and
row-only): layout, round trips, and a clear rejection of every kind of malformed input."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu.errors import EncodingError
from gpu.merkle import ChunkLayout, Opening, commit_chunks, opened_leaf
from gpu.proofs import (
    MAX_ENCODED_BYTES,
    MAX_OPENING_BYTES,
    MAX_PROOF_HASHES,
    Attestation,
    AttestationDispute,
    CrOpening,
    FraudProof,
    RowDispute,
    decode_attestation,
    decode_cr_opening,
    decode_dispute,
    decode_fraud_proof,
    decode_opening,
    decode_row_dispute,
    encode_attestation,
    encode_cr_opening,
    encode_dispute,
    encode_fraud_proof,
    encode_opening,
    encode_row_dispute,
)

DIGEST = bytes(range(32))
OPENING = Opening(first=5, count=1, data=b"\x01\x02\x03\x04", proof=(b"\xaa" * 32,))
PROOF = FraudProof(tensor=1, row=2, col=3, claimed=-4, output_root=DIGEST, openings=(OPENING,))
ATTESTATION = Attestation("valid", 3, DIGEST, b"\xbb" * 32)
ENTRY = CrOpening(tensor=0, round=2, row=7, value=-(2**40), opening=OPENING)
DISPUTE = AttestationDispute(ENTRY, DIGEST, Opening(0, 2, b"\x00" * 8, ()))
ROW_DISPUTE = RowDispute(0, 2, 7, DIGEST, Opening(0, 2, b"\x00" * 8, ()))

digests = st.binary(min_size=32, max_size=32)
openings = st.builds(
    Opening,
    first=st.integers(0, 2**32 - 1),
    count=st.integers(1, 2**32 - 1),
    data=st.binary(max_size=3000),
    proof=st.lists(digests, max_size=MAX_PROOF_HASHES).map(tuple),
)
fraud_proofs = st.builds(
    FraudProof,
    tensor=st.integers(0, 2**16 - 1),
    row=st.integers(0, 2**32 - 1),
    col=st.integers(0, 2**32 - 1),
    claimed=st.integers(-(2**31), 2**31 - 1),
    output_root=digests,
    openings=st.lists(openings, min_size=1, max_size=3).map(tuple),
)
attestations = st.builds(
    Attestation,
    verdict=st.sampled_from(["valid", "fraud"]),
    rounds=st.integers(0, 255),
    result_root=digests,
    cr_root=digests,
)
cr_openings = st.builds(
    CrOpening,
    tensor=st.integers(0, 2**16 - 1),
    round=st.integers(0, 255),
    row=st.integers(0, 2**32 - 1),
    value=st.integers(-(2**63), 2**63 - 1),
    opening=openings,
)
disputes = st.builds(AttestationDispute, entry=cr_openings, output_root=digests, row_opening=openings)


def test_fraud_proof_layout() -> None:
    """The byte layout of docs/pouw.md, field by field."""
    encoded = encode_fraud_proof(PROOF)
    assert (
        encoded.hex()
        == (
            "01"  # kind: fraud proof
            "02"  # version
            "0100"  # tensor u16
            "02000000"  # row u32
            "03000000"  # col u32
            "fcffffff"  # claimed i32 = -4
            + DIGEST.hex()  # output root
            + "01"  # one opening:
            "05000000"  # first leaf u32
            "01000000"  # leaf count u32
            "04000000" + "01020304"  # data length u32, data
            "01" + "aa" * 32  # one proof hash
        )
    )
    assert len(encoded) == 49 + 13 + 4 + 32


def test_attestation_layout() -> None:
    assert encode_attestation(ATTESTATION).hex() == "02010103" + DIGEST.hex() + "bb" * 32
    assert len(encode_attestation(ATTESTATION)) == 68


def test_cr_opening_and_dispute_layout() -> None:
    opening = "050000000100000004000000" + "01020304" + "01" + "aa" * 32
    fields = "0000" + "02" + "07000000" + (-(2**40)).to_bytes(8, "little", signed=True).hex()
    assert encode_cr_opening(ENTRY).hex() == "0301" + fields + opening
    row = "000000000200000008000000" + "00" * 8 + "00"
    assert encode_dispute(DISPUTE).hex() == "0401" + fields + DIGEST.hex() + opening + row
    assert encode_row_dispute(ROW_DISPUTE).hex() == "0501" + "0000" + "02" + "07000000" + DIGEST.hex() + row


@settings(max_examples=60, deadline=None)
@given(fraud_proofs, attestations, cr_openings, disputes)
def test_round_trips(
    proof: FraudProof, attestation: Attestation, entry: CrOpening, dispute: AttestationDispute
) -> None:
    assert decode_fraud_proof(encode_fraud_proof(proof)) == proof
    assert decode_attestation(encode_attestation(attestation)) == attestation
    assert decode_cr_opening(encode_cr_opening(entry)) == entry
    assert decode_dispute(encode_dispute(dispute)) == dispute
    row_dispute = RowDispute(entry.tensor, entry.round, entry.row, dispute.output_root, dispute.row_opening)
    assert decode_row_dispute(encode_row_dispute(row_dispute)) == row_dispute
    size = 49 + sum(13 + len(o.data) + 32 * len(o.proof) for o in proof.openings)
    assert len(encode_fraud_proof(proof)) == size


DECODERS: list[tuple[Callable[[bytes], object], bytes, str]] = [
    (decode_fraud_proof, encode_fraud_proof(PROOF), "fraud proof"),
    (decode_attestation, encode_attestation(ATTESTATION), "attestation"),
    (decode_cr_opening, encode_cr_opening(ENTRY), "C r opening"),
    (decode_dispute, encode_dispute(DISPUTE), "attestation dispute"),
    (decode_row_dispute, encode_row_dispute(ROW_DISPUTE), "row dispute"),
]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(DECODERS))
def test_decoders_on_random_bytes_raise_only_encoding_errors(
    data: bytes, decoder: tuple[Callable[[bytes], object], bytes, str]
) -> None:
    decode, valid, _ = decoder
    for candidate in (data, valid[:2] + data, valid + data[:1]):
        with contextlib.suppress(EncodingError):
            decode(candidate)


@pytest.mark.parametrize(("decode", "valid", "what"), DECODERS)
def test_invalid_truncated_or_trailing(decode: Callable[[bytes], object], valid: bytes, what: str) -> None:
    for end in range(len(valid)):
        with pytest.raises(EncodingError, match=f"malformed {what}: truncated at byte|kind byte"):
            decode(valid[:end])
    with pytest.raises(EncodingError, match=f"malformed {what}: 1 bytes after the end"):
        decode(valid + b"\x00")
    with pytest.raises(EncodingError, match=f"unsupported {what} version 9"):
        decode(valid[:1] + b"\x09" + valid[2:])
    with pytest.raises(EncodingError, match="kind byte 0x07"):
        decode(b"\x07" + valid[1:])
    with pytest.raises(EncodingError, match=f"{what} of {MAX_ENCODED_BYTES + 1} bytes is over the"):
        decode(b"\x00" * (MAX_ENCODED_BYTES + 1))


def _opening_at(encoded: bytes, offset: int, first: int, count: int, size: int, hashes: int) -> bytes:
    head = first.to_bytes(4, "little") + count.to_bytes(4, "little") + size.to_bytes(4, "little")
    return encoded[:offset] + head + b"\x00" * size + bytes([hashes]) + b"\x11" * (32 * hashes)


@pytest.mark.parametrize(
    ("count", "size", "hashes", "message"),
    [
        (0, 4, 0, "an opening of no leaves"),
        (1, MAX_OPENING_BYTES + 1, 0, f"an opening of {MAX_OPENING_BYTES + 1} bytes, over the"),
        (1, 4, MAX_PROOF_HASHES + 1, f"{MAX_PROOF_HASHES + 1} proof hashes, over the limit"),
    ],
)
def test_invalid_openings(count: int, size: int, hashes: int, message: str) -> None:
    forged = _opening_at(encode_fraud_proof(PROOF), 49, 0, count, size, hashes)
    with pytest.raises(EncodingError, match=f"malformed fraud proof: {message}"):
        decode_fraud_proof(forged)


def test_invalid_counts_and_codes() -> None:
    encoded = encode_fraud_proof(PROOF)
    for count in (0, 4):
        with pytest.raises(EncodingError, match=f"{count} openings, a proof holds 1 to 3"):
            decode_fraud_proof(encoded[:48] + bytes([count]) + encoded[49:])
    attestation = encode_attestation(ATTESTATION)
    with pytest.raises(EncodingError, match="verdict code 3 is neither 1"):
        decode_attestation(attestation[:2] + b"\x03" + attestation[3:])


def test_invalid_values_cannot_be_encoded() -> None:
    with pytest.raises(OverflowError):
        encode_fraud_proof(FraudProof(2**16, 0, 0, 0, DIGEST, (OPENING,)))
    with pytest.raises(ValueError, match="a digest is 32 bytes, not 31"):
        encode_fraud_proof(FraudProof(0, 0, 0, 0, DIGEST[:31], (OPENING,)))
    with pytest.raises(ValueError, match="too long"):
        encode_fraud_proof(
            FraudProof(0, 0, 0, 0, DIGEST, (Opening(0, 1, b"\x00" * (MAX_OPENING_BYTES + 1), ()),))
        )


def test_a_bare_opening_round_trips_and_opens_a_leaf_of_any_tensor() -> None:
    layout = ChunkLayout(((3, 300), (2, 10)), 4)  # 4 + 1 leaves, the last two short
    tensors = [bytes(range(256)) * 14 + bytes(16), bytes(80)]
    commitment = commit_chunks(layout, tensors)
    for leaf in range(layout.size):
        opening = commitment.open_leaf(leaf)
        encoded = encode_opening(opening)
        assert decode_opening(encoded) == opening and encode_opening(decode_opening(encoded)) == encoded
        assert opened_leaf(opening, leaf, layout.size, commitment.root) == opening.data
    assert commitment.open_leaf(4).data == bytes(80)
    with pytest.raises(EncodingError, match="bytes after the end"):
        decode_opening(encode_opening(commitment.open_leaf(0)) + b"\x00")
    with pytest.raises(IndexError):
        commitment.open_leaf(5)
