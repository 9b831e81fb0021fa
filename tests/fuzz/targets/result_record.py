"""A worker's result folder as the verifier and the CLI read it: ``result.json`` (these
bytes) beside the honest outputs of a small GEMM, read with ``read_result`` against that
job's spec (the record, then its digest, shapes and output files).

Rejection: ``ResultFileError``."""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import shutil
import tempfile
from pathlib import Path

from gpu.backend import NumpyBackend
from gpu.errors import ResultFileError
from gpu.results import RESULT_FILE, read_result, write_result
from gpu.run import run_job
from tests.fuzz.jobs import SUPPLIED_GEMM

SPEC = SUPPLIED_GEMM
TOKENS = tuple(
    f'"{word}"'.encode()
    for word in (
        "version", "kind", "spec_digest", "output_root", "result_root", "shapes", "format", "npy", "raw",
        "backend", "compute_s", "energy_mj",
    )
)  # fmt: skip


@functools.cache
def folder(fmt: str) -> Path:
    """A result folder of ``SPEC``'s honest outputs in format ``fmt``."""
    path = Path(tempfile.mkdtemp(prefix="depind-fuzz-result-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    write_result(path, SPEC, run_job(SPEC, NumpyBackend()), fmt)  # type: ignore[arg-type]
    return path


def fuzz_one(data: bytes) -> None:
    for fmt in ("npy", "raw"):
        path = folder(fmt)
        (path / RESULT_FILE).write_bytes(data)
        with contextlib.suppress(ResultFileError):
            read_result(path, SPEC)


def seeds() -> dict[str, bytes]:
    seeds = {}
    for fmt in ("npy", "raw"):
        record = json.loads((folder(fmt) / RESULT_FILE).read_text())
        record["compute_s"] = 0.25  # the measured time would make the seed differ on every run
        seeds[fmt] = json.dumps(record, indent=2).encode() + b"\n"
    return seeds
