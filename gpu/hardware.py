"""GPU discovery through NVML (the nvidia-ml-py package, imported as pynvml).

`detect_gpus` never raises: a machine without a driver or a GPU is normal (validators need no
GPU), so every NVML failure becomes a report with `available=False` and a one-line reason.
"""

import hashlib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

MIB = 1024 * 1024
# Return codes from nvml.h that deserve a plainer message than NVML's own.
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12

_T = TypeVar("_T")
# An opaque device handle: a ctypes pointer in pynvml, whatever a fake likes in tests.
Handle = Any


@dataclass(frozen=True)
class GpuInfo:
    """One GPU as NVML describes it; a field NVML cannot read on this GPU is None."""

    index: int
    name: str
    uuid: str
    memory_total_mib: int
    compute_capability: tuple[int, int]
    power_draw_w: float | None
    power_limit_w: float | None
    utilization_pct: int | None


@dataclass(frozen=True)
class HardwareReport:
    """What `detect_gpus` found; `reason` says why nothing is available, and is empty otherwise."""

    available: bool
    reason: str
    driver_version: str | None
    cuda_version: str | None
    gpus: tuple[GpuInfo, ...]


class _MemoryInfo(Protocol):
    @property
    def total(self) -> int: ...


class _Utilization(Protocol):
    @property
    def gpu(self) -> int: ...


class Nvml(Protocol):
    """The part of pynvml that `detect_gpus` uses; tests pass a fake with the same shape."""

    NVMLError: type[Exception]

    def nvmlInit(self) -> None: ...
    def nvmlShutdown(self) -> None: ...
    def nvmlSystemGetDriverVersion(self) -> str: ...
    def nvmlSystemGetCudaDriverVersion(self) -> int: ...
    def nvmlDeviceGetCount(self) -> int: ...
    def nvmlDeviceGetHandleByIndex(self, index: int) -> Handle: ...
    def nvmlDeviceGetName(self, handle: Handle) -> str: ...
    def nvmlDeviceGetUUID(self, handle: Handle) -> str: ...
    def nvmlDeviceGetMemoryInfo(self, handle: Handle) -> _MemoryInfo: ...
    def nvmlDeviceGetCudaComputeCapability(self, handle: Handle) -> tuple[int, int]: ...
    def nvmlDeviceGetPowerUsage(self, handle: Handle) -> int: ...
    def nvmlDeviceGetEnforcedPowerLimit(self, handle: Handle) -> int: ...
    def nvmlDeviceGetUtilizationRates(self, handle: Handle) -> _Utilization: ...


def detect_gpus(nvml: Nvml | None = None) -> HardwareReport:
    """Describe this machine's NVIDIA GPUs through `nvml` (pynvml by default)."""
    if nvml is None:
        try:
            import pynvml
        except ImportError:
            return _unavailable("nvidia-ml-py (pynvml) is not installed")
        nvml = pynvml
    try:
        nvml.nvmlInit()
    except (nvml.NVMLError, OSError) as err:
        return _unavailable(_init_failure_reason(err))
    try:
        return _read_report(nvml)
    except (nvml.NVMLError, OSError) as err:
        return _unavailable(f"NVML query failed: {err}")
    finally:
        # The report is already decided; a failing shutdown cannot change it.
        with suppress(nvml.NVMLError, OSError):
            nvml.nvmlShutdown()


def uuid_hash(uuid: str) -> bytes:
    """SHA-256 of a GPU UUID: the chain records a GPU's identity, not its raw serial."""
    return hashlib.sha256(uuid.encode("utf-8")).digest()


def _unavailable(reason: str) -> HardwareReport:
    return HardwareReport(False, reason, driver_version=None, cuda_version=None, gpus=())


def _init_failure_reason(err: Exception) -> str:
    code = getattr(err, "value", None)
    if code == NVML_ERROR_LIBRARY_NOT_FOUND:
        return "no NVIDIA driver found (NVML library not loadable)"
    if code == NVML_ERROR_DRIVER_NOT_LOADED:
        return "NVIDIA driver is installed but not loaded"
    if code == NVML_ERROR_NO_PERMISSION:
        return "no permission to query the NVIDIA driver (NVML)"
    return f"NVML initialisation failed: {err}"


def _read_report(nvml: Nvml) -> HardwareReport:
    driver_version = _optional(nvml, nvml.nvmlSystemGetDriverVersion)
    cuda_version = _optional(nvml, lambda: _format_cuda_version(nvml.nvmlSystemGetCudaDriverVersion()))
    gpus = tuple(_read_gpu(nvml, index) for index in range(nvml.nvmlDeviceGetCount()))
    reason = "" if gpus else "NVML found no GPU"
    return HardwareReport(bool(gpus), reason, driver_version, cuda_version, gpus)


def _read_gpu(nvml: Nvml, index: int) -> GpuInfo:
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    major, minor = nvml.nvmlDeviceGetCudaComputeCapability(handle)
    return GpuInfo(
        index=index,
        name=nvml.nvmlDeviceGetName(handle),
        uuid=nvml.nvmlDeviceGetUUID(handle),
        memory_total_mib=nvml.nvmlDeviceGetMemoryInfo(handle).total // MIB,
        compute_capability=(major, minor),
        power_draw_w=_optional(nvml, lambda: nvml.nvmlDeviceGetPowerUsage(handle) / 1000),
        power_limit_w=_optional(nvml, lambda: nvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000),
        utilization_pct=_optional(nvml, lambda: nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
    )


def _optional(nvml: Nvml, read: Callable[[], _T]) -> _T | None:
    # Many fields are NotSupported on some boards (power on GeForce, utilisation under MIG).
    try:
        return read()
    except nvml.NVMLError:
        return None


def _format_cuda_version(version: int) -> str:
    # NVML encodes CUDA 12.4 as 12040.
    return f"{version // 1000}.{version % 1000 // 10}"
