"""On a real CUDA device: the CuPy path is bit-identical to the NumPy reference.

Skipped cleanly where CuPy or a usable device is missing (as on the CI machines).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np
import pytest

from gpu import prng
from gpu.backend import NumpyBackend, cupy_backend, get_backend, select_backend_name
from gpu.capacity import measure_gemm_throughput
from gpu.jobs import GemmSpec, JobSpec
from gpu.run import run_job
from gpu.verify import verify_result
from tests.gpu.jobs_helpers import SPECS

DEVICE_USABLE = select_backend_name(None, {}) == "cupy"
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not DEVICE_USABLE, reason="no CuPy with a usable CUDA device"),
]

EDGE_SPECS: list[JobSpec] = [
    *SPECS.values(),
    GemmSpec(m=64, k=1, n=64, bound=2048, seed=1),
    GemmSpec(m=256, k=4096, n=256, bound=32, seed=2),
    GemmSpec(m=512, k=20000, n=384, bound=14, seed=3),  # several K tiles
]


def _cupy() -> ModuleType:
    return importlib.import_module("cupy")


def test_prng_on_device_equals_numpy() -> None:
    cupy = _cupy()
    on_device = prng.matrix(123, 4, 1000, 3000, 2048, xp=cupy)
    assert np.array_equal(cupy.asnumpy(on_device), prng.matrix(123, 4, 1000, 3000, 2048))


@pytest.mark.parametrize("spec", EDGE_SPECS, ids=lambda spec: type(spec).__name__)
def test_commitments_are_byte_identical_across_backends(spec: JobSpec) -> None:
    device = get_backend("cupy")  # self-tested at the edge of the bound
    on_device = run_job(spec, device)
    on_cpu = run_job(spec, NumpyBackend())
    assert on_device.result_root == on_cpu.result_root
    assert verify_result(spec, on_device.outputs, on_device.result_root, bytes(32)).status == "valid"


def test_device_throughput_is_measured() -> None:
    seconds = measure_gemm_throughput(cupy_backend(), 2048, 3)
    assert len(seconds) == 3 and min(seconds) > 0
