"""Block parts, as CometBFT's ``types/part_set.go``: a block's canonical encoding cut
into 64 KiB parts, named by a ``PartSetHeader`` (the number of parts and the RFC 6962
Merkle root over their bytes), each part carrying its Merkle proof so a receiver can
check it alone, from any peer, before holding the whole block.

``split`` is the sender's side; ``PartSetBuilder`` the receiver's: it takes parts in
any order, refuses any that cannot belong to the header it was made for, and never
holds more than the header's parts, which ``max_bytes`` (the chain's
``block.max_bytes``) bounds before the first part arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec

from consensus.codec import Canonical
from consensus.merkle import HASH_SIZE, Proof, merkle_proofs, merkle_root, verify_proof
from consensus.types import PartSetHeader, Uint64

PART_SIZE = 65536
"""CometBFT's BlockPartSizeBytes: every part but the last holds exactly this many bytes."""

PartBytes = Annotated[bytes, msgspec.Meta(min_length=1, max_length=PART_SIZE)]


class BadPart(ValueError):
    """A part, or a part set header, that cannot belong to a valid block; the message says why."""


class Part(Canonical, frozen=True):
    """Part ``index`` of a block's encoding, with the proof that it is leaf ``index`` of the
    part set header's hash."""

    index: Uint64
    bytes: PartBytes
    proof: Proof


@dataclass(frozen=True)
class PartSet:
    """A whole block's parts, in order."""

    header: PartSetHeader
    parts: tuple[Part, ...]


def split(data: bytes) -> PartSet:
    """``data`` (a block's canonical encoding) as parts with their proofs."""
    chunks = _chunks(data)
    root, proofs = merkle_proofs(chunks)
    parts = tuple(Part(proof.index, chunk, proof) for chunk, proof in zip(chunks, proofs, strict=True))
    return PartSet(PartSetHeader(len(chunks), root), parts)


def part_set_header(data: bytes) -> PartSetHeader:
    """``split(data).header``, without building the proofs."""
    chunks = _chunks(data)
    return PartSetHeader(len(chunks), merkle_root(chunks))


def _chunks(data: bytes) -> list[bytes]:
    if not data:
        raise ValueError("no bytes to cut into parts")
    return [data[start : start + PART_SIZE] for start in range(0, len(data), PART_SIZE)]


def max_parts(max_bytes: int) -> int:
    """The most parts a block of at most ``max_bytes`` bytes has."""
    return -(-max_bytes // PART_SIZE)


class PartBits(Canonical, frozen=True):
    """Which parts of a set of ``total`` someone holds: part ``i`` is bit ``i % 8`` of byte
    ``i // 8``, the bits past ``total`` clear (CometBFT's BitArray, in a form a message can carry)."""

    total: Uint64
    bits: bytes

    def __post_init__(self) -> None:
        if len(self.bits) != _bitmap_size(self.total):
            raise ValueError(f"{len(self.bits)} bytes of bits for {self.total} parts")
        if self.total % 8 and self.bits[-1] >> (self.total % 8):
            raise ValueError(f"bits set past part {self.total - 1}")

    @classmethod
    def none(cls, total: int) -> PartBits:
        return cls(total, bytes(_bitmap_size(total)))

    def has(self, index: int) -> bool:
        return 0 <= index < self.total and bool(self.bits[index // 8] >> (index % 8) & 1)

    def with_part(self, index: int) -> PartBits:
        if not 0 <= index < self.total:
            raise IndexError(f"no part {index} among {self.total}")
        bits = bytearray(self.bits)
        bits[index // 8] |= 1 << (index % 8)
        return PartBits(self.total, bytes(bits))

    def count(self) -> int:
        return sum(byte.bit_count() for byte in self.bits)


def _bitmap_size(total: int) -> int:
    return -(-total // 8)


class PartSetBuilder:
    """Collects the parts of the block that ``header`` names, checking each on arrival."""

    def __init__(self, header: PartSetHeader, max_bytes: int) -> None:
        """Refuses (``BadPart``) a header that names no parts, has no 32-byte hash, or has more
        parts than a block of ``max_bytes`` bytes can: memory is bounded before any part."""
        if header.total < 1:
            raise BadPart("a part set header names at least one part")
        if len(header.hash) != HASH_SIZE:
            raise BadPart(f"a part set hash has {HASH_SIZE} bytes, not {len(header.hash)}")
        if header.total > max_parts(max_bytes):
            raise BadPart(f"{header.total} parts cannot fit in block.max_bytes ({max_bytes} bytes)")
        self.header = header
        self.max_bytes = max_bytes
        self._parts: list[Part | None] = [None] * header.total
        self._bits = PartBits.none(header.total)

    @property
    def complete(self) -> bool:
        return self._bits.count() == self.header.total

    @property
    def bits(self) -> PartBits:
        """The parts held so far."""
        return self._bits

    def has(self, index: int) -> bool:
        return self._bits.has(index)

    def get(self, index: int) -> Part | None:
        """Part ``index`` if held, to pass on to a peer that lacks it."""
        return self._parts[index] if self.has(index) else None

    def add(self, part: Part) -> bool:
        """Hold ``part``: True if new, False if already held; ``BadPart`` if it is not part
        ``part.index`` of this set (index, size, proof) or would pass ``max_bytes``."""
        if self.has(part.index):
            return False
        self.check(part)
        self._parts[part.index] = part
        self._bits = self._bits.with_part(part.index)
        return True

    def check(self, part: Part) -> None:
        """Raise ``BadPart`` unless ``part`` is part ``part.index`` of this set; holds nothing."""
        total = self.header.total
        if part.index >= total:
            raise BadPart(f"part {part.index} of a set of {total}")
        self._check_size(part)
        if (part.proof.total, part.proof.index) != (total, part.index):
            proof = part.proof
            raise BadPart(f"part {part.index} of {total} has a proof for leaf {proof.index} of {proof.total}")
        if not verify_proof(self.header.hash, part.proof, part.bytes):
            raise BadPart(f"part {part.index}'s proof does not lead to the part set hash")

    def _check_size(self, part: Part) -> None:
        """Every part but the last is full; the last makes the block at most ``max_bytes``."""
        size, last = len(part.bytes), self.header.total - 1
        if part.index < last and size != PART_SIZE:
            raise BadPart(f"part {part.index} has {size} bytes; all but the last have {PART_SIZE}")
        if not 1 <= size <= PART_SIZE:
            raise BadPart(f"part {part.index} has {size} bytes; a part has 1 to {PART_SIZE}")
        if part.index == last and last * PART_SIZE + size > self.max_bytes:
            total = last * PART_SIZE + size
            raise BadPart(f"the parts make {total} bytes, over block.max_bytes ({self.max_bytes})")

    def data(self) -> bytes:
        """The block's encoding, once ``complete``."""
        if not self.complete:
            raise ValueError(f"{self._bits.count()} of {self.header.total} parts held")
        return b"".join(part.bytes for part in self._parts if part is not None)
