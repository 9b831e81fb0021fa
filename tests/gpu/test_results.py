"""Result folders: round trips in both formats, and one clear error per kind of bad file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gpu.backend import NumpyBackend
from gpu.errors import ResultFileError
from gpu.results import RAW_FILE, RESULT_FILE, read_record, read_result, write_result
from gpu.run import JobResult, run_job
from tests.gpu.jobs_helpers import GEMM, MLP


@pytest.fixture(scope="module")
def mlp_result() -> JobResult:
    return run_job(MLP, NumpyBackend())


@pytest.mark.parametrize("fmt", ["npy", "raw"])
def test_round_trip(tmp_path: Path, mlp_result: JobResult, fmt: str) -> None:
    write_result(tmp_path, MLP, mlp_result, "raw" if fmt == "raw" else "npy")
    stored = read_result(tmp_path, MLP)
    assert stored.result_root == mlp_result.result_root
    assert stored.record.kind == "mlp" and stored.record.format == fmt
    assert all(np.array_equal(a, b) for a, b in zip(stored.outputs, mlp_result.outputs, strict=True))


def test_raw_file_is_the_canonical_bytes(tmp_path: Path, mlp_result: JobResult) -> None:
    write_result(tmp_path, MLP, mlp_result, "raw")
    expected = b"".join(out.astype("<i4").tobytes() for out in mlp_result.outputs)
    assert (tmp_path / RAW_FILE).read_bytes() == expected


def _written(tmp_path: Path, result: JobResult, fmt: str = "npy") -> Path:
    write_result(tmp_path, MLP, result, "raw" if fmt == "raw" else "npy")
    return tmp_path


def _edit_record(folder: Path, **changes: object) -> None:
    record = json.loads((folder / RESULT_FILE).read_text())
    record.update(changes)
    (folder / RESULT_FILE).write_text(json.dumps(record))


def test_invalid_missing_record(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError, match=r"result\.json is missing: is .* a result folder"):
        read_result(tmp_path, MLP)


def test_invalid_record_json(tmp_path: Path, mlp_result: JobResult) -> None:
    folder = _written(tmp_path, mlp_result)
    (folder / RESULT_FILE).write_text("{not json")
    with pytest.raises(ResultFileError, match="is not a valid result record"):
        read_record(folder)


def test_invalid_record_that_is_not_utf8(tmp_path: Path, mlp_result: JobResult) -> None:
    """Found by fuzzing (tests/fuzz, target result_record): msgspec raises UnicodeDecodeError for it."""
    folder = _written(tmp_path, mlp_result)
    (folder / RESULT_FILE).write_bytes(b'{"kind": "\xb4"}')
    with pytest.raises(ResultFileError, match="is not a valid result record"):
        read_record(folder)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 2}, "has version 2"),
        ({"result_root": "zz"}, "result_root must be 64 hex digits"),
        ({"output_root": "ab"}, "output_root must be 64 hex digits"),
        ({"format": "csv"}, "Invalid enum value 'csv'"),
        ({"extra": 1}, "unknown field `extra`"),
    ],
)
def test_invalid_record_fields(
    tmp_path: Path, mlp_result: JobResult, changes: dict[str, object], message: str
) -> None:
    folder = _written(tmp_path, mlp_result)
    _edit_record(folder, **changes)
    with pytest.raises(ResultFileError, match=message):
        read_result(folder, MLP)


def test_invalid_result_for_another_spec(tmp_path: Path, mlp_result: JobResult) -> None:
    folder = _written(tmp_path, mlp_result)
    with pytest.raises(ResultFileError, match=r"is a result for spec .*, not for this spec"):
        read_result(folder, GEMM)


def test_invalid_missing_output(tmp_path: Path, mlp_result: JobResult) -> None:
    folder = _written(tmp_path, mlp_result)
    (folder / "out3.npy").unlink()
    with pytest.raises(ResultFileError, match=r"out3\.npy is missing"):
        read_result(folder, MLP)


def test_invalid_corrupt_npy(tmp_path: Path, mlp_result: JobResult) -> None:
    folder = _written(tmp_path, mlp_result)
    (folder / "out1.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ResultFileError, match=r"out1\.npy is not a readable \.npy file"):
        read_result(folder, MLP)
    data = (folder / "out0.npy").read_bytes()
    (folder / "out0.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(ResultFileError, match=r"out0\.npy is not a readable \.npy file"):
        read_result(folder, MLP)


def test_invalid_npy_dtype_and_shape(tmp_path: Path, mlp_result: JobResult) -> None:
    folder = _written(tmp_path, mlp_result)
    np.save(folder / "out0.npy", mlp_result.outputs[0].astype(np.float64))
    with pytest.raises(ResultFileError, match=r"out0\.npy holds float64, outputs are int32"):
        read_result(folder, MLP)
    np.save(folder / "out0.npy", mlp_result.outputs[0][:, :3])
    with pytest.raises(ResultFileError, match=r"out0.npy has shape \(6, 3\), the spec defines \(6, 16\)"):
        read_result(folder, MLP)


def test_invalid_npy_with_pickled_objects(tmp_path: Path, mlp_result: JobResult) -> None:
    folder = _written(tmp_path, mlp_result)
    np.save(folder / "out0.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ResultFileError, match=r"not a readable \.npy file"):
        read_result(folder, MLP)


def test_invalid_raw_size(tmp_path: Path, mlp_result: JobResult) -> None:
    folder = _written(tmp_path, mlp_result, "raw")
    with (folder / RAW_FILE).open("ab") as raw:
        raw.write(b"\x00")
    with pytest.raises(ResultFileError, match=r"output.bin is \d+ bytes, the spec's outputs take \d+"):
        read_result(folder, MLP)
