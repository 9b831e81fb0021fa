"""HTTP byte ranges (RFC 9110 section 14), the subset the output server answers.

One range per request, in one of the three forms ``bytes=a-b``, ``bytes=a-`` and ``bytes=-n``.
A range that ends past the end of the outputs is cut at the end, as the RFC says; one that
starts past it, a suffix of zero bytes, several ranges, another unit, or a malformed header is
unsatisfiable (416). Several ranges are refused rather than served as multipart/byteranges: the
fetcher never asks for them, and one range per request keeps every answer's size bounded.
"""

import re
from dataclasses import dataclass

RANGE_PATTERN = re.compile(r"bytes=(?:(\d+)-(\d*)|-(\d+))")
MAX_DIGITS = 19  # past 2^63: no output is that large, and int() of a huge header costs time


class UnsatisfiableRange(Exception):
    """The Range header names no bytes the server will send (416)."""


@dataclass(frozen=True)
class ByteRange:
    """Bytes start .. stop - 1 of a representation of `size` bytes."""

    start: int
    stop: int
    size: int

    @property
    def length(self) -> int:
        return self.stop - self.start

    def content_range(self) -> str:
        return f"bytes {self.start}-{self.stop - 1}/{self.size}"


def parse_range(header: str, size: int) -> ByteRange:
    """The one range `header` asks for within `size` bytes; UnsatisfiableRange otherwise."""
    match = RANGE_PATTERN.fullmatch(header.strip())
    if match is None:
        raise UnsatisfiableRange(f"unsupported Range {header[:80]!r}: ask for one range, bytes=a-b")
    first, last, suffix = match.groups()
    if max(len(first or ""), len(last or ""), len(suffix or "")) > MAX_DIGITS:
        raise UnsatisfiableRange("Range positions are too large")
    if suffix is not None:
        return _suffix(int(suffix), size)
    start = int(first)
    stop = size if not last else min(int(last) + 1, size)
    if last and int(last) < start:
        raise UnsatisfiableRange(f"Range {header[:80]!r} ends before it starts")
    if start >= size:
        raise UnsatisfiableRange(f"Range starts at byte {start}; the outputs are {size} bytes")
    return ByteRange(start, stop, size)


def limit_range(byte_range: ByteRange, max_bytes: int) -> ByteRange:
    """The first `max_bytes` of the range: one answer carries at most that many bytes."""
    return ByteRange(byte_range.start, min(byte_range.stop, byte_range.start + max_bytes), byte_range.size)


def unsatisfiable_content_range(size: int) -> str:
    return f"bytes */{size}"


def _suffix(length: int, size: int) -> ByteRange:
    if length == 0:
        raise UnsatisfiableRange("a suffix Range of zero bytes selects nothing")
    return ByteRange(max(0, size - length), size, size)
