"""NVML discovery: the real no-driver path here, and parsing through a fake NVML."""

import ctypes
import hashlib
from dataclasses import dataclass, field
from typing import TypeVar

import pynvml
import pytest

from gpu.hardware import GpuInfo, HardwareReport, detect_gpus, uuid_hash

MIB = 1024 * 1024
T = TypeVar("T")


def _nvml_library_loadable() -> bool:
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class MemoryInfo:
    total: int


@dataclass(frozen=True)
class Utilization:
    gpu: int


@dataclass(frozen=True)
class FakeGpu:
    """What a fake board reports; None means NVML answers NotSupported."""

    name: str = "NVIDIA H100 80GB HBM3"
    uuid: str = "GPU-5b6f1a2c-0d3e-4f5a-8b9c-0123456789ab"
    memory_total: int = 81559 * MIB
    compute_capability: tuple[int, int] = (9, 0)
    power_mw: int | None = 71_500
    power_limit_mw: int | None = 700_000
    utilization: int | None = 3


def _supported(value: T | None) -> T:
    if value is None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
    return value


@dataclass
class FakeNvml:
    """The pynvml calls detect_gpus makes, answered from data; errors are pynvml's own."""

    gpus: list[FakeGpu] = field(default_factory=list)
    init_error: int | None = None
    broken_query: bool = False
    driver_version: str = "550.54.15"
    cuda_version: int = 12040
    calls: list[str] = field(default_factory=list)
    NVMLError = pynvml.NVMLError

    def nvmlInit(self) -> None:
        self.calls.append("init")
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver_version

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return self.cuda_version

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        if self.broken_query:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_GPU_IS_LOST)
        return self.gpus[index]

    def nvmlDeviceGetName(self, handle: FakeGpu) -> str:
        return handle.name

    def nvmlDeviceGetUUID(self, handle: FakeGpu) -> str:
        return handle.uuid

    def nvmlDeviceGetMemoryInfo(self, handle: FakeGpu) -> MemoryInfo:
        return MemoryInfo(handle.memory_total)

    def nvmlDeviceGetCudaComputeCapability(self, handle: FakeGpu) -> tuple[int, int]:
        return handle.compute_capability

    def nvmlDeviceGetPowerUsage(self, handle: FakeGpu) -> int:
        return _supported(handle.power_mw)

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: FakeGpu) -> int:
        return _supported(handle.power_limit_mw)

    def nvmlDeviceGetUtilizationRates(self, handle: FakeGpu) -> Utilization:
        return Utilization(_supported(handle.utilization))


@pytest.mark.skipif(_nvml_library_loadable(), reason="an NVIDIA driver is installed here")
def test_detect_gpus_without_driver() -> None:
    report = detect_gpus()
    assert report == HardwareReport(
        available=False,
        reason="no NVIDIA driver found (NVML library not loadable)",
        driver_version=None,
        cuda_version=None,
        gpus=(),
    )


def test_detect_gpus_on_this_machine_is_consistent() -> None:
    report = detect_gpus()
    assert report.available == bool(report.gpus)
    assert (report.reason == "") == report.available


def test_detect_gpus_parses_nvml() -> None:
    second = FakeGpu(name="NVIDIA L4", uuid="GPU-second", memory_total=23034 * MIB, compute_capability=(8, 9))
    nvml = FakeNvml(gpus=[FakeGpu(), second])
    report = detect_gpus(nvml)
    assert report.available
    assert report.reason == ""
    assert report.driver_version == "550.54.15"
    assert report.cuda_version == "12.4"
    assert report.gpus[0] == GpuInfo(
        index=0,
        name="NVIDIA H100 80GB HBM3",
        uuid="GPU-5b6f1a2c-0d3e-4f5a-8b9c-0123456789ab",
        memory_total_mib=81559,
        compute_capability=(9, 0),
        power_draw_w=71.5,
        power_limit_w=700.0,
        utilization_pct=3,
    )
    assert (report.gpus[1].index, report.gpus[1].name, report.gpus[1].memory_total_mib) == (
        1,
        "NVIDIA L4",
        23034,
    )
    assert report.gpus[1].compute_capability == (8, 9)
    assert nvml.calls == ["init", "shutdown"]


@pytest.mark.parametrize(("encoded", "text"), [(12040, "12.4"), (11080, "11.8"), (13000, "13.0")])
def test_cuda_version_format(encoded: int, text: str) -> None:
    assert detect_gpus(FakeNvml(gpus=[FakeGpu()], cuda_version=encoded)).cuda_version == text


def test_unsupported_fields_become_none() -> None:
    board = FakeGpu(power_mw=None, power_limit_mw=None, utilization=None)
    gpu = detect_gpus(FakeNvml(gpus=[board])).gpus[0]
    assert (gpu.power_draw_w, gpu.power_limit_w, gpu.utilization_pct) == (None, None, None)
    assert gpu.name == board.name


def test_no_gpu_found() -> None:
    nvml = FakeNvml(gpus=[])
    report = detect_gpus(nvml)
    assert not report.available
    assert report.reason == "NVML found no GPU"
    assert report.driver_version == "550.54.15"
    assert nvml.calls == ["init", "shutdown"]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "no NVIDIA driver found (NVML library not loadable)"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "NVIDIA driver is installed but not loaded"),
        (pynvml.NVML_ERROR_NO_PERMISSION, "no permission to query the NVIDIA driver (NVML)"),
        (pynvml.NVML_ERROR_UNKNOWN, "NVML initialisation failed: Unknown Error"),
    ],
)
def test_init_failure_reasons(code: int, reason: str) -> None:
    nvml = FakeNvml(gpus=[FakeGpu()], init_error=code)
    report = detect_gpus(nvml)
    assert report == HardwareReport(False, reason, None, None, ())
    assert nvml.calls == ["init"]


def test_query_failure_is_reported_and_nvml_shut_down() -> None:
    nvml = FakeNvml(gpus=[FakeGpu()], broken_query=True)
    report = detect_gpus(nvml)
    assert not report.available
    assert report.reason.startswith("NVML query failed: ")
    assert report.gpus == ()
    assert nvml.calls == ["init", "shutdown"]


def test_uuid_hash() -> None:
    uuid = "GPU-5b6f1a2c-0d3e-4f5a-8b9c-0123456789ab"
    assert uuid_hash(uuid) == hashlib.sha256(uuid.encode()).digest()
    assert len(uuid_hash(uuid)) == 32
    assert uuid_hash(uuid) != uuid_hash("GPU-other")
