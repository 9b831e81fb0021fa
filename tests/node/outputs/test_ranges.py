"""Range headers: the three single-range forms, and what is unsatisfiable."""

from __future__ import annotations

import pytest

from node.outputs.ranges import ByteRange, UnsatisfiableRange, limit_range, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", (0, 1)),
        ("bytes=10-19", (10, 20)),
        ("bytes=10-", (10, 100)),
        ("bytes=90-1000", (90, 100)),
        ("bytes=-1", (99, 100)),
        ("bytes=-100", (0, 100)),
        ("bytes=-5000", (0, 100)),
        (" bytes=1-2 ", (1, 3)),
    ],
)
def test_parse_range(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, 100) == ByteRange(*expected, 100)


@pytest.mark.parametrize(
    "header",
    [
        "bytes=100-",
        "bytes=100-200",
        "bytes=-0",
        "bytes=5-4",
        "bytes=0-1,3-4",
        "bytes=",
        "bytes=-",
        "pages=0-1",
        "bytes=a-b",
        "bytes=1-" + "9" * 40,
        "bytes=0x1-2",
    ],
)
def test_invalid_range(header: str) -> None:
    with pytest.raises(UnsatisfiableRange):
        parse_range(header, 100)


def test_limit_range_and_content_range() -> None:
    cut = limit_range(ByteRange(10, 100, 100), 16)
    assert (cut.start, cut.stop, cut.length) == (10, 26, 16)
    assert cut.content_range() == "bytes 10-25/100"
    assert limit_range(ByteRange(10, 12, 100), 16) == ByteRange(10, 12, 100)
