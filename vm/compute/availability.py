"""Data availability: which chunks of a job's output tree a challenge samples, and whether
the provider's openings of them hold.

The output tree (docs/pouw.md section 3) has one leaf per 1 KiB chunk of the canonical
output bytes; its chunk count follows from the header's output shapes
(``gpu.header.output_layout``). A challenge opened in a block with beacon value ``beacon``
samples ``min(samples, chunk_count)`` distinct chunks without replacement. Draw ``d = 0,
1, ...``:

    point_d = int(SHA-256("depind/compute/availability/v1" || beacon || job id (8 bytes BE)
                          || d (4 bytes BE)), big-endian) mod (chunk_count - d)
    chunk_d = the point_d-th chunk (from 0, ascending) not drawn before

Each draw is uniform over the chunks left, within (chunk_count - d) / 2^256 (the modulo
bias). The chunks are recorded in ascending order; the answer opens them in that order.
Pure integers and hashes (gpu/merkle.py): no NumPy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from gpu.errors import InvalidOpening
from gpu.header import JobHeader, layout, output_layout
from gpu.merkle import Digest, Opening, opened_leaf
from vm.compute.errors import InvalidChunks

AVAILABILITY_TAG = b"depind/compute/availability/v1"


def output_chunk_count(header: JobHeader) -> int:
    """Leaves of the job's output tree: 1 KiB chunks of its int32 outputs."""
    return output_layout(layout(header)).size


def compute_chunk_point(beacon: bytes, job_id: int, draw: int, remaining: int) -> int:
    """Where draw ``draw`` lands among the ``remaining`` chunks not drawn before."""
    message = AVAILABILITY_TAG + beacon + job_id.to_bytes(8, "big") + draw.to_bytes(4, "big")
    return int.from_bytes(hashlib.sha256(message).digest(), "big") % remaining


def sample_chunks(beacon: bytes, job_id: int, samples: int, chunk_count: int) -> list[int]:
    """``min(samples, chunk_count)`` distinct chunk indices, ascending."""
    drawn: list[int] = []
    for draw in range(min(samples, chunk_count)):
        chunk = compute_chunk_point(beacon, job_id, draw, chunk_count - draw)
        for taken in sorted(drawn):  # skip over the chunks drawn before
            if taken <= chunk:
                chunk += 1
        drawn.append(chunk)
    return sorted(drawn)


def opened_chunks(
    chunks: Sequence[int], chunk_count: int, root: Digest, openings: Sequence[Opening]
) -> list[bytes]:
    """The bytes of each sampled chunk, from one opening per chunk in the challenge's order,
    each checked against the output root."""
    if len(openings) != len(chunks):
        raise InvalidChunks(f"{len(openings)} openings for {len(chunks)} sampled chunks")
    data = []
    for chunk, opening in zip(chunks, openings, strict=True):
        try:
            data.append(opened_leaf(opening, chunk, chunk_count, root))
        except InvalidOpening as error:
            raise InvalidChunks(str(error)) from None
    return data
