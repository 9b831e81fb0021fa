"""Compute backends: one small API over NumPy (the reference, on the CPU) and CuPy (a CUDA GPU).

A backend uploads host arrays, multiplies fp32 matrices and downloads results. Job inputs are
small integers bounded so that every fp32 partial sum is an exact integer (see gpu/jobs.py), so
both backends give bit-identical int32 results. `get_backend` checks that at start with a
self-test at the edge of the bound, which catches a device or library that rounds (FP16 or BF16
accumulation, FP8 inputs) before it can produce a wrong result.

Selection: an explicit name, else DEPIND_GPU_BACKEND, else CuPy when `cupy.is_available()`.
"""

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, Literal, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from gpu import prng
from gpu.errors import BackendError
from gpu.header import EXACT_LIMIT

__all__ = [
    "EXACT_LIMIT",
    "Backend",
    "BackendError",
    "CupyBackend",
    "NumpyBackend",
    "get_backend",
    "self_test",
]

BackendName = Literal["numpy", "cupy"]
BACKEND_NAMES: tuple[BackendName, ...] = ("numpy", "cupy")
BACKEND_ENV = "DEPIND_GPU_BACKEND"
CUPY_HINT = "install the 'gpu' extra (cupy-cuda12x) on a machine with a CUDA device"

Array = Any  # a numpy.ndarray or a cupy.ndarray
HostArray = NDArray[Any]


class Backend(Protocol):
    """What job execution needs from a device."""

    @property
    def name(self) -> BackendName: ...
    @property
    def xp(self) -> ModuleType:
        """The array module (numpy or cupy) for element-wise work on this backend's arrays."""
        ...

    @property
    def device(self) -> str:
        """A human description of the device."""
        ...

    @property
    def pci_bus_id(self) -> str | None:
        """The GPU's PCI bus id (to find it in NVML), or None on the CPU."""
        ...

    def from_host(self, array: HostArray) -> Array: ...
    def matmul_fp32(self, a: Array, b: Array) -> Array: ...
    def to_host(self, array: Array) -> HostArray: ...
    def synchronize(self) -> None: ...


@dataclass(frozen=True)
class NumpyBackend:
    """The CPU reference backend (BLAS sgemm through NumPy)."""

    name: BackendName = "numpy"
    xp: ModuleType = np
    pci_bus_id: str | None = None

    @property
    def device(self) -> str:
        return f"CPU ({os.cpu_count()} cores, NumPy {np.__version__})"

    def from_host(self, array: HostArray) -> Array:
        return np.asarray(array)

    def matmul_fp32(self, a: Array, b: Array) -> Array:
        return np.matmul(a.astype(np.float32, copy=False), b.astype(np.float32, copy=False))

    def to_host(self, array: Array) -> HostArray:
        return np.asarray(array)

    def synchronize(self) -> None:
        """NumPy runs synchronously."""


@dataclass(frozen=True)
class CupyBackend:
    """A CUDA GPU through CuPy (cuBLAS sgemm; TF32 with CUPY_TF32=1 is exact within the bound)."""

    cupy: ModuleType
    name: BackendName = "cupy"

    @property
    def xp(self) -> ModuleType:
        return self.cupy

    @property
    def device(self) -> str:
        device_id = self.cupy.cuda.Device().id
        properties = self.cupy.cuda.runtime.getDeviceProperties(device_id)
        name = properties["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        return f"{name} (CUDA device {device_id}, CuPy {self.cupy.__version__})"

    @property
    def pci_bus_id(self) -> str | None:
        return str(self.cupy.cuda.Device().pci_bus_id)

    def from_host(self, array: HostArray) -> Array:
        return self.cupy.asarray(array)

    def matmul_fp32(self, a: Array, b: Array) -> Array:
        f32 = self.cupy.float32
        return self.cupy.matmul(a.astype(f32, copy=False), b.astype(f32, copy=False))

    def to_host(self, array: Array) -> HostArray:
        return cast(HostArray, self.cupy.asnumpy(array))

    def synchronize(self) -> None:
        self.cupy.cuda.get_current_stream().synchronize()


def get_backend(name: str | None = None) -> Backend:
    """The backend to run jobs on, self-tested once per process.

    `name` wins over DEPIND_GPU_BACKEND; with neither, CuPy is used when a CUDA device is usable.
    Raises BackendError for an unknown name, an unusable CuPy that was asked for, or a failed
    self-test.
    """
    return _started_backend(select_backend_name(name))


def select_backend_name(
    requested: str | None,
    environ: Mapping[str, str] = os.environ,
    cupy_usable: Callable[[], bool] | None = None,
) -> BackendName:
    choice = requested or environ.get(BACKEND_ENV) or None
    if choice is None:
        return "cupy" if (cupy_usable or _cupy_usable)() else "numpy"
    if choice not in BACKEND_NAMES:
        source = "backend" if requested else BACKEND_ENV
        raise BackendError(f"unknown {source} {choice!r}: choose one of {', '.join(BACKEND_NAMES)}")
    return choice


def cupy_backend(cupy: ModuleType | None = None) -> CupyBackend:
    """The CuPy backend; BackendError when CuPy is missing or sees no usable CUDA device."""
    module = cupy if cupy is not None else _import_cupy()
    if module is None:
        raise BackendError(f"the cupy backend needs CuPy, which is not installed: {CUPY_HINT}")
    if not module.is_available():
        raise BackendError(f"the cupy backend needs a usable CUDA device, and CuPy found none: {CUPY_HINT}")
    return CupyBackend(module)


def self_test(backend: Backend) -> None:
    """Multiply at the edge of the exactness bound and compare with int64 arithmetic.

    Four cases with K * b^2 = 2^22: K = 1 with b = 2048 (inputs that FP16/BF16 round), K = 4096
    with b = 32 all at +b (partial sums that reach 2^22), K = 4096 with entries +-31 (odd partial
    sums between 2^21 and 2^22, with the low bit set: only an accumulator that keeps all 22 bits
    gets them right; those of the all-at-bound case are multiples of 2^10 and fit in 12 bits), and
    K = 4096 with b = 32 random signs (cancellation).
    """
    cases = {
        "K=1, b=2048": _seeded_pair(64, 1, 64, 2048),
        "K=4096, b=32 at the bound": (np.full((8, 4096), 32, np.int32), np.full((4096, 8), 32, np.int32)),
        "K=4096, odd sums near 2^22": _odd_sums_pair(),
        "K=4096, b=32 random": _seeded_pair(32, 4096, 32, 32),
    }
    for label, (a, b) in cases.items():
        got = backend.to_host(backend.matmul_fp32(backend.from_host(a), backend.from_host(b)))
        want = a.astype(np.int64) @ b.astype(np.int64)
        if not np.array_equal(got.astype(np.int64), want):
            raise BackendError(
                f"{backend.name} backend failed the exactness self-test ({label}): the device does not "
                "compute fp32 GEMM exactly (FP16/BF16 accumulation or FP8 inputs?)"
            )


@cache
def _started_backend(name: BackendName) -> Backend:
    backend: Backend = NumpyBackend() if name == "numpy" else cupy_backend()
    self_test(backend)
    return backend


def _seeded_pair(m: int, k: int, n: int, bound: int) -> tuple[HostArray, HostArray]:
    return prng.matrix(1, 0, m, k, bound), prng.matrix(1, 1, k, n, bound)


def _odd_sums_pair() -> tuple[HostArray, HostArray]:
    """Every product is +-31 * 31 = +-961 (odd), so after k terms a partial sum is +-961 k: odd for
    odd k and up to 3,936,256 > 2^21 in magnitude. Rows and columns alternate signs."""
    signs = np.where(np.arange(8) % 2, -1, 1).astype(np.int32)
    return np.full((8, 4096), 31, np.int32) * signs[:, None], np.full((4096, 8), 31, np.int32) * signs[
        None, :
    ]


def _import_cupy() -> ModuleType | None:
    try:
        return importlib.import_module("cupy")
    except ImportError:
        return None


def _cupy_usable() -> bool:
    module = _import_cupy()
    return module is not None and bool(module.is_available())
