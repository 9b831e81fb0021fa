"""Fraud proofs, attestations, C r openings and attestation disputes (one-shot, or a row of C the
member must answer), and their binary encoding.

No NumPy: the chain decodes these from transactions. Every encoding is canonical (one value has
one encoding, and decoding then encoding gives the same bytes), little-endian, fixed-width except
for length-prefixed byte strings, and starts with a kind byte and a version byte:

    Opening      first u32 | count u32 | data_len u32 | data | hashes u8 | hashes x 32 bytes
                 (also on its own, with no kind or version byte: encode_opening)
    FraudProof   0x01 | version 2 | tensor u16 | row u32 | col u32 | claimed i32 | output_root 32
                 | openings u8 (1 to 3) | openings
    Attestation  0x02 | version 1 | verdict u8 (1 valid, 2 fraud) | rounds u8 | result_root 32
                 | cr_root 32
    CrOpening    0x03 | version 1 | tensor u16 | round u8 | row u32 | value i64 | opening
    Dispute      0x04 | version 1 | tensor u16 | round u8 | row u32 | value i64 | output_root 32
                 | entry opening (C r tree) | row opening (output tree)
    RowDispute   0x05 | version 1 | tensor u16 | round u8 | row u32 | output_root 32
                 | row opening (output tree)

Decoding checks the size limit before anything else, then rejects a wrong kind, an unknown
version, a count or length over its limit, truncated input and trailing bytes, each with an
`EncodingError` that says which and where. Whether a decoded proof proves anything is for
gpu/onchain.py to judge.
"""

from dataclasses import dataclass
from typing import Literal

from gpu.errors import EncodingError
from gpu.merkle import DIGEST_BYTES, Digest, Opening

FRAUD_PROOF_KIND = 0x01
ATTESTATION_KIND = 0x02
CR_OPENING_KIND = 0x03
DISPUTE_KIND = 0x04
ROW_DISPUTE_KIND = 0x05
FRAUD_PROOF_VERSION = 2
ATTESTATION_VERSION = 1
CR_OPENING_VERSION = 1
DISPUTE_VERSION = 1
ROW_DISPUTE_VERSION = 1
MAX_ENCODED_BYTES = 1 << 20
# The longest opened data: a supplied int8 row or column (K <= 2^18); an output row (N <= 2^14
# int32 entries) spans at most 65 KiB of chunks.
MAX_OPENING_BYTES = 1 << 18
MAX_PROOF_HASHES = 64  # two per level of a tree of fewer than 2^32 leaves
MAX_FRAUD_OPENINGS = 3  # the entry, and at most two rows, columns or chunks it is computed from
# Encoded sizes of the fixed parts of the layouts above.
OPENING_FIXED_BYTES = 4 + 4 + 4 + 1  # first, count, data_len, hashes
FRAUD_PROOF_FIXED_BYTES = 2 + 2 + 4 + 4 + 4 + DIGEST_BYTES + 1  # kind .. output_root, openings
DISPUTE_FIXED_BYTES = 2 + 2 + 1 + 4 + 8 + DIGEST_BYTES  # kind .. output_root
AttestedVerdict = Literal["valid", "fraud"]
VERDICT_CODES: dict[AttestedVerdict, int] = {"valid": 1, "fraud": 2}


@dataclass(frozen=True)
class FraudProof:
    """Entry (row, col) of output `tensor` is `claimed`, and that is wrong.

    openings[0] is the chunk of the output tree holding the entry; the others are what the entry
    is computed from, in order (gpu/onchain.py `fraud_reads`): for a GEMM entry, row `row` of a
    supplied left operand or of the earlier output it reads, then column `col` of a supplied right
    operand; for an activation entry, the accumulator's chunk, then a supplied bias's chunk.
    """

    tensor: int
    row: int
    col: int
    claimed: int
    output_root: Digest
    openings: tuple[Opening, ...]
    version: int = FRAUD_PROOF_VERSION


@dataclass(frozen=True)
class Attestation:
    """A committee member's verdict on a result, with the root of its C r vectors (zero bytes when
    the verdict is fraud: a fraud proof, not C r, backs that verdict)."""

    verdict: AttestedVerdict
    rounds: int
    result_root: Digest
    cr_root: Digest
    version: int = ATTESTATION_VERSION


@dataclass(frozen=True)
class CrOpening:
    """Entry `row` of vector C r_round of GEMM output `tensor`, opened in the member's C r tree."""

    tensor: int
    round: int
    row: int
    value: int
    opening: Opening
    version: int = CR_OPENING_VERSION


@dataclass(frozen=True)
class AttestationDispute:
    """A claim that the attested entry is not row `entry.row` of C times r: the entry, opened in the
    member's C r tree, and that row of C, opened in the output tree under `output_root`."""

    entry: CrOpening
    output_root: Digest
    row_opening: Opening
    version: int = DISPUTE_VERSION


@dataclass(frozen=True)
class RowDispute:
    """A claim on entry `row` of C r_round of GEMM output `tensor` that carries only row `row` of C,
    opened in the output tree under `output_root`: the member, who alone holds its C r vectors,
    must answer by opening that entry in its tree (an interactive dispute)."""

    tensor: int
    round: int
    row: int
    output_root: Digest
    row_opening: Opening
    version: int = ROW_DISPUTE_VERSION


# -- encoding ------------------------------------------------------------------------------------


def encode_fraud_proof(proof: FraudProof) -> bytes:
    out = _Writer(FRAUD_PROOF_KIND, proof.version)
    out.uint(proof.tensor, 2).uint(proof.row, 4).uint(proof.col, 4).sint(proof.claimed, 4)
    out.digest(proof.output_root).uint(len(proof.openings), 1)
    for opening in proof.openings:
        out.opening(opening)
    return out.bytes()


def encode_attestation(attestation: Attestation) -> bytes:
    out = _Writer(ATTESTATION_KIND, attestation.version)
    out.uint(VERDICT_CODES[attestation.verdict], 1).uint(attestation.rounds, 1)
    return out.digest(attestation.result_root).digest(attestation.cr_root).bytes()


def encode_cr_opening(entry: CrOpening) -> bytes:
    out = _Writer(CR_OPENING_KIND, entry.version)
    _write_entry_fields(out, entry)
    return out.opening(entry.opening).bytes()


def encode_dispute(dispute: AttestationDispute) -> bytes:
    out = _Writer(DISPUTE_KIND, dispute.version)
    _write_entry_fields(out, dispute.entry)
    out.digest(dispute.output_root).opening(dispute.entry.opening).opening(dispute.row_opening)
    return out.bytes()


def encode_row_dispute(dispute: RowDispute) -> bytes:
    out = _Writer(ROW_DISPUTE_KIND, dispute.version)
    out.uint(dispute.tensor, 2).uint(dispute.round, 1).uint(dispute.row, 4)
    return out.digest(dispute.output_root).opening(dispute.row_opening).bytes()


def opening_bytes(data_bytes: int, hashes: int) -> int:
    """The encoded size of an opening of `data_bytes` bytes with `hashes` proof hashes."""
    return OPENING_FIXED_BYTES + data_bytes + DIGEST_BYTES * hashes


def encode_opening(opening: Opening) -> bytes:
    """An opening on its own, as section 7's Opening layout (no kind or version byte): what
    an availability answer carries for each sampled chunk."""
    return _Writer(None, 0).opening(opening).bytes()


def decode_opening(data: bytes) -> Opening:
    src = _Reader(data, "opening", None, 0)
    opening = src.opening()
    src.end()
    return opening


def decode_fraud_proof(data: bytes) -> FraudProof:
    src = _Reader(data, "fraud proof", FRAUD_PROOF_KIND, FRAUD_PROOF_VERSION)
    tensor, row, col, claimed = src.uint(2), src.uint(4), src.uint(4), src.sint(4)
    output_root = src.digest()
    count = src.uint(1)
    if not 1 <= count <= MAX_FRAUD_OPENINGS:
        raise EncodingError(
            f"malformed fraud proof: {count} openings, a proof holds 1 to {MAX_FRAUD_OPENINGS}"
        )
    openings = tuple(src.opening() for _ in range(count))
    src.end()
    return FraudProof(tensor, row, col, claimed, output_root, openings)


def decode_attestation(data: bytes) -> Attestation:
    src = _Reader(data, "attestation", ATTESTATION_KIND, ATTESTATION_VERSION)
    code, rounds = src.uint(1), src.uint(1)
    verdicts: dict[int, AttestedVerdict] = {code: verdict for verdict, code in VERDICT_CODES.items()}
    if code not in verdicts:
        raise EncodingError(f"malformed attestation: verdict code {code} is neither 1 (valid) nor 2 (fraud)")
    result_root, cr_root = src.digest(), src.digest()
    src.end()
    return Attestation(verdicts[code], rounds, result_root, cr_root)


def decode_cr_opening(data: bytes) -> CrOpening:
    src = _Reader(data, "C r opening", CR_OPENING_KIND, CR_OPENING_VERSION)
    tensor, round_index, row, value = src.uint(2), src.uint(1), src.uint(4), src.sint(8)
    opening = src.opening()
    src.end()
    return CrOpening(tensor, round_index, row, value, opening)


def decode_dispute(data: bytes) -> AttestationDispute:
    src = _Reader(data, "attestation dispute", DISPUTE_KIND, DISPUTE_VERSION)
    tensor, round_index, row, value = src.uint(2), src.uint(1), src.uint(4), src.sint(8)
    output_root = src.digest()
    entry, row_opening = src.opening(), src.opening()
    src.end()
    return AttestationDispute(CrOpening(tensor, round_index, row, value, entry), output_root, row_opening)


def decode_row_dispute(data: bytes) -> RowDispute:
    src = _Reader(data, "row dispute", ROW_DISPUTE_KIND, ROW_DISPUTE_VERSION)
    tensor, round_index, row = src.uint(2), src.uint(1), src.uint(4)
    output_root = src.digest()
    row_opening = src.opening()
    src.end()
    return RowDispute(tensor, round_index, row, output_root, row_opening)


def _write_entry_fields(out: "_Writer", entry: CrOpening) -> None:
    out.uint(entry.tensor, 2).uint(entry.round, 1).uint(entry.row, 4).sint(entry.value, 8)


class _Writer:
    def __init__(self, kind: int | None, version: int) -> None:
        """Starts with the kind and version bytes (none for a bare opening: ``kind`` None)."""
        self._parts = [] if kind is None else [bytes([kind]), version.to_bytes(1, "little")]

    def uint(self, value: int, width: int) -> "_Writer":
        self._parts.append(value.to_bytes(width, "little"))  # OverflowError for a value too wide
        return self

    def sint(self, value: int, width: int) -> "_Writer":
        self._parts.append(value.to_bytes(width, "little", signed=True))
        return self

    def digest(self, value: Digest) -> "_Writer":
        if len(value) != DIGEST_BYTES:
            raise ValueError(f"a digest is {DIGEST_BYTES} bytes, not {len(value)}")
        self._parts.append(value)
        return self

    def opening(self, opening: Opening) -> "_Writer":
        if len(opening.data) > MAX_OPENING_BYTES or len(opening.proof) > MAX_PROOF_HASHES:
            raise ValueError(
                f"an opening of {len(opening.data)} bytes and {len(opening.proof)} hashes is too long"
            )
        self.uint(opening.first, 4).uint(opening.count, 4).uint(len(opening.data), 4)
        self._parts.append(opening.data)
        self.uint(len(opening.proof), 1)
        for node in opening.proof:
            self.digest(node)
        return self

    def bytes(self) -> bytes:
        return b"".join(self._parts)


class _Reader:
    def __init__(self, data: bytes, what: str, kind: int | None, version: int) -> None:
        if len(data) > MAX_ENCODED_BYTES:
            raise EncodingError(f"{what} of {len(data)} bytes is over the {MAX_ENCODED_BYTES}-byte limit")
        self._data, self._what, self._at = bytes(data), what, 0
        if kind is None:
            return
        found = self.uint(1)
        if found != kind:
            raise EncodingError(f"malformed {what}: kind byte {found:#04x}, expected {kind:#04x}")
        found = self.uint(1)
        if found != version:
            raise EncodingError(f"unsupported {what} version {found} (this build reads {version})")

    def take(self, size: int) -> bytes:
        if self._at + size > len(self._data):
            left = len(self._data) - self._at
            raise EncodingError(
                f"malformed {self._what}: truncated at byte {self._at} ({size} needed, {left} left)"
            )
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def uint(self, width: int) -> int:
        return int.from_bytes(self.take(width), "little")

    def sint(self, width: int) -> int:
        return int.from_bytes(self.take(width), "little", signed=True)

    def digest(self) -> Digest:
        return self.take(DIGEST_BYTES)

    def opening(self) -> Opening:
        first, count, size = self.uint(4), self.uint(4), self.uint(4)
        if count < 1:
            raise EncodingError(f"malformed {self._what}: an opening of no leaves")
        if size > MAX_OPENING_BYTES:
            raise EncodingError(
                f"malformed {self._what}: an opening of {size} bytes, over the {MAX_OPENING_BYTES}-byte limit"
            )
        data = self.take(size)
        hashes = self.uint(1)
        if hashes > MAX_PROOF_HASHES:
            raise EncodingError(
                f"malformed {self._what}: {hashes} proof hashes, over the limit of {MAX_PROOF_HASHES}"
            )
        return Opening(first, count, data, tuple(self.digest() for _ in range(hashes)))

    def end(self) -> None:
        if self._at != len(self._data):
            raise EncodingError(f"malformed {self._what}: {len(self._data) - self._at} bytes after the end")
