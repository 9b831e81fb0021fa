"""A result folder: the outputs and a small JSON record of what they commit to.

    result.json   kind, spec digest, output and result roots, shapes, format, backend, time, energy
    out0.npy ...  one int32 .npy per output tensor (format "npy"), or
    output.bin    all outputs' canonical bytes, concatenated in order (format "raw")

Reading checks every file against the spec (count, dtype, shape, size) and says which file is
wrong; it does not check the roots, which is the verifier's job.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
from numpy.typing import NDArray

from gpu.commit import OUTPUT_DTYPE, canonical_bytes
from gpu.errors import ResultFileError
from gpu.jobs import JobSpec, output_shapes, spec_digest
from gpu.run import JobResult

RESULT_FILE = "result.json"
RAW_FILE = "output.bin"
RESULT_VERSION = 1
MAX_RESULT_JSON_BYTES = 1 << 20
OutputFormat = Literal["npy", "raw"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("npy", "raw")


class ResultRecord(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    version: int = RESULT_VERSION
    kind: str
    spec_digest: str  # hex
    output_root: str  # hex
    result_root: str  # hex
    shapes: list[tuple[int, int]]
    format: OutputFormat
    backend: str
    compute_s: float  # informational; not committed
    energy_mj: int | None


@dataclass(frozen=True)
class StoredResult:
    record: ResultRecord
    outputs: tuple[NDArray[np.int32], ...] = field(repr=False)

    @property
    def result_root(self) -> bytes:
        return bytes.fromhex(self.record.result_root)


def npy_name(tensor: int) -> str:
    return f"out{tensor}.npy"


def write_result(directory: Path, spec: JobSpec, result: JobResult, fmt: OutputFormat = "npy") -> Path:
    """Write the outputs and result.json into `directory` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    if fmt == "npy":
        for tensor, output in enumerate(result.outputs):
            np.save(directory / npy_name(tensor), output.astype(OUTPUT_DTYPE), allow_pickle=False)
    else:
        with (directory / RAW_FILE).open("wb") as raw:
            for output in result.outputs:
                raw.write(canonical_bytes(output))
    record = ResultRecord(
        kind=_kind(spec),
        spec_digest=result.spec_digest.hex(),
        output_root=result.output_root.hex(),
        result_root=result.result_root.hex(),
        shapes=[(int(o.shape[0]), int(o.shape[1])) for o in result.outputs],
        format=fmt,
        backend=result.backend,
        compute_s=round(result.compute_s, 6),
        energy_mj=result.energy_mj,
    )
    path = directory / RESULT_FILE
    path.write_text(json.dumps(msgspec.to_builtins(record), indent=2) + "\n", encoding="utf-8")
    return path


def read_result(directory: Path, spec: JobSpec) -> StoredResult:
    """The outputs in `directory`, checked to be the right files for `spec`."""
    record = read_record(directory)
    digest = spec_digest(spec).hex()
    if record.spec_digest != digest:
        raise ResultFileError(
            f"{directory / RESULT_FILE} is a result for spec {record.spec_digest[:16]}…, "
            f"not for this spec ({digest[:16]}…)"
        )
    shapes = output_shapes(spec)
    if [tuple(shape) for shape in record.shapes] != list(shapes):
        raise ResultFileError(
            f"{directory / RESULT_FILE} lists shapes {record.shapes}, the spec defines {list(shapes)}"
        )
    reader = _read_npy if record.format == "npy" else _read_raw
    return StoredResult(record, reader(directory, shapes))


def read_record(directory: Path) -> ResultRecord:
    path = directory / RESULT_FILE
    if not path.is_file():
        raise ResultFileError(f"{path} is missing: is {directory} a result folder?")
    data = path.read_bytes()
    if len(data) > MAX_RESULT_JSON_BYTES:
        raise ResultFileError(f"{path} is {len(data)} bytes, over the {MAX_RESULT_JSON_BYTES}-byte limit")
    try:
        record = msgspec.json.decode(data, type=ResultRecord)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as err:  # bad UTF-8 in a str
        raise ResultFileError(f"{path} is not a valid result record: {err}") from None
    if record.version != RESULT_VERSION:
        raise ResultFileError(f"{path} has version {record.version}; this build reads {RESULT_VERSION}")
    for name in ("spec_digest", "output_root", "result_root"):
        _check_hex(path, name, getattr(record, name))
    return record


def _read_npy(directory: Path, shapes: Sequence[tuple[int, int]]) -> tuple[NDArray[np.int32], ...]:
    return tuple(_load_npy(directory / npy_name(tensor), shape) for tensor, shape in enumerate(shapes))


def _load_npy(path: Path, shape: tuple[int, int]) -> NDArray[np.int32]:
    if not path.is_file():
        raise ResultFileError(f"{path} is missing")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ResultFileError(f"{path} is not a readable .npy file: {err}") from None
    if array.dtype != OUTPUT_DTYPE and array.dtype != np.dtype(np.int32):
        raise ResultFileError(f"{path} holds {array.dtype}, outputs are int32")
    if array.shape != shape:
        raise ResultFileError(f"{path} has shape {array.shape}, the spec defines {shape}")
    return np.ascontiguousarray(array, dtype=np.int32)


def _read_raw(directory: Path, shapes: Sequence[tuple[int, int]]) -> tuple[NDArray[np.int32], ...]:
    path = directory / RAW_FILE
    if not path.is_file():
        raise ResultFileError(f"{path} is missing")
    expected = sum(4 * rows * cols for rows, cols in shapes)
    size = path.stat().st_size
    if size != expected:
        raise ResultFileError(f"{path} is {size} bytes, the spec's outputs take {expected}")
    flat = np.fromfile(path, dtype=OUTPUT_DTYPE)
    outputs, start = [], 0
    for rows, cols in shapes:
        outputs.append(flat[start : start + rows * cols].reshape(rows, cols).astype(np.int32))
        start += rows * cols
    return tuple(outputs)


def _check_hex(path: Path, name: str, value: str) -> None:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ResultFileError(f"{path}: {name} must be 64 hex digits")


def _kind(spec: JobSpec) -> str:
    return str(spec.__struct_config__.tag)
