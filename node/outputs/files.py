"""A result folder (gpu/results.py) read as its canonical output bytes, by byte range.

The canonical bytes (int32 little-endian, row-major, tensors in order) are what the folder's
files hold already, at known offsets: all of ``output.bin`` (format "raw"), or the data part of
each ``out{t}.npy`` after its header (format "npy", dtype ``<i4`` in C order). So a range is read
from the files directly, never by loading an output. Opening a folder checks that every file
has exactly the size its record's shapes say, so a range never reads past what was committed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from gpu.commit import OUTPUT_DTYPE
from gpu.errors import ResultFileError
from gpu.header import MAX_OUTPUT_ENTRIES, result_root
from gpu.results import RAW_FILE, ResultRecord, npy_name, read_record
from node.outputs.layout import Shape, output_size


@dataclass(frozen=True)
class Segment:
    """`size` bytes of the canonical outputs, at `offset` in the file `path`."""

    path: Path
    offset: int
    size: int


@dataclass(frozen=True)
class ResultFiles:
    """A checked result folder: its record and where each part of its outputs lies on disk."""

    record: ResultRecord
    segments: tuple[Segment, ...]

    @property
    def size(self) -> int:
        return sum(segment.size for segment in self.segments)

    @property
    def result_root(self) -> bytes:
        return bytes.fromhex(self.record.result_root)

    def read(self, start: int, stop: int) -> bytes:
        """Bytes start .. stop - 1 of the canonical outputs."""
        if not 0 <= start <= stop <= self.size:
            raise ValueError(f"bytes {start}..{stop} are outside outputs of {self.size} bytes")
        parts, base = [], 0
        for segment in self.segments:
            low, high = max(start, base), min(stop, base + segment.size)
            if low < high:
                parts.append(_read_exactly(segment.path, segment.offset + low - base, high - low))
            base += segment.size
        return b"".join(parts)


def open_result_files(folder: Path) -> ResultFiles:
    """The folder's record and output segments; ResultFileError if anything disagrees."""
    record = read_record(folder)
    shapes = _checked_shapes(folder, record)
    _check_binding(folder, record)
    if record.format == "raw":
        return ResultFiles(record, (_sized(folder / RAW_FILE, 0, output_size(shapes)),))
    segments = tuple(_npy_segment(folder / npy_name(t), shape) for t, shape in enumerate(shapes))
    return ResultFiles(record, segments)


def _check_binding(folder: Path, record: ResultRecord) -> None:
    """The record's result root is the one its spec digest and output root make, so the root a
    folder is published under is the result its record describes. (The outputs are not hashed
    here: that is the verifier's check, and the provider hashed them when it committed.)"""
    spec, outputs = bytes.fromhex(record.spec_digest), bytes.fromhex(record.output_root)
    if result_root(spec, outputs).hex() != record.result_root.lower():
        raise ResultFileError(f"{folder}: the record's result root does not bind its spec and output roots")


def _checked_shapes(folder: Path, record: ResultRecord) -> tuple[Shape, ...]:
    shapes = tuple((int(rows), int(cols)) for rows, cols in record.shapes)
    entries = sum(rows * cols for rows, cols in shapes)
    if not shapes or any(rows < 1 or cols < 1 for rows, cols in shapes) or entries > MAX_OUTPUT_ENTRIES:
        raise ResultFileError(f"{folder}: the record's shapes {record.shapes} are not a job's outputs")
    return shapes


def _npy_segment(path: Path, shape: Shape) -> Segment:
    """The data part of an .npy file holding exactly one C-order `<i4` array of `shape`."""
    try:
        with path.open("rb") as npy:
            header_shape, fortran, dtype = _npy_header(npy)
            offset = npy.tell()
    except (OSError, ValueError) as err:
        raise ResultFileError(f"{path} is not a readable .npy file: {err}") from None
    if dtype != OUTPUT_DTYPE or fortran or header_shape != shape:
        order = "Fortran" if fortran else "C"
        raise ResultFileError(
            f"{path} holds {dtype} {header_shape} in {order} order; outputs are <i4 {shape} in C order"
        )
    return _sized(path, offset, output_size([shape]))


def _npy_header(npy: BinaryIO) -> tuple[Sequence[int], bool, np.dtype[np.generic]]:
    major, _minor = npy_format.read_magic(npy)
    if major == 1:
        return npy_format.read_array_header_1_0(npy)
    if major == 2:
        return npy_format.read_array_header_2_0(npy)
    raise ValueError(f".npy format version {major} is not one numpy writes for int32 arrays")


def _sized(path: Path, offset: int, size: int) -> Segment:
    """A segment ending exactly at the end of its file: a longer or shorter file is refused."""
    try:
        found = path.stat().st_size
    except OSError:
        raise ResultFileError(f"{path} is missing") from None
    if found != offset + size:
        raise ResultFileError(f"{path} is {found} bytes; its outputs take {size} after {offset}")
    return Segment(path, offset, size)


def _read_exactly(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as file:
        file.seek(offset)
        data = file.read(size)
    if len(data) != size:
        raise ResultFileError(f"{path} ended at byte {offset + len(data)}; it was {offset + size} or more")
    return data
