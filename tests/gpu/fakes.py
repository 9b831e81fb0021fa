"""Fakes for the devices this machine lacks: a CuPy module backed by NumPy, and NVML energy."""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pynvml

FAKE_BUS_ID = "00000000:3B:00.0"


def fake_cupy(available: bool = True) -> types.ModuleType:
    """The CuPy calls gpu/ makes, answered by NumPy: exercises the device code paths on a CPU."""
    module = types.ModuleType("fake_cupy")
    for name in ("asarray", "empty", "matmul", "maximum", "clip", "float32", "int32"):
        setattr(module, name, getattr(np, name))
    device = types.SimpleNamespace(id=0, pci_bus_id=FAKE_BUS_ID)
    stream = types.SimpleNamespace(synchronize=lambda: None)
    module.__dict__.update(
        __version__="13.0.0+fake",
        is_available=lambda: available,
        asnumpy=lambda array: np.array(array),  # a copy, as a device-to-host transfer makes
        cuda=types.SimpleNamespace(
            Device=lambda: device,
            runtime=types.SimpleNamespace(getDeviceProperties=lambda index: {"name": b"Fake GPU"}),
            get_current_stream=lambda: stream,
        ),
    )
    return module


@dataclass
class FakeEnergyNvml:
    """NVML's energy counter and power reading, as data; None means NotSupported."""

    energy_mj: list[int] | None = None  # successive counter readings
    power_mw: int | None = None
    init_fails: bool = False
    calls: list[str] = field(default_factory=list)
    NVMLError = pynvml.NVMLError

    def nvmlInit(self) -> None:
        self.calls.append("init")
        if self.init_fails:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlDeviceGetHandleByIndex(self, index: int) -> Any:
        return index

    def nvmlDeviceGetHandleByPciBusId(self, bus_id: bytes) -> Any:
        self.calls.append(f"handle {bus_id.decode()}")
        return bus_id

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: Any) -> int:
        if self.energy_mj is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return self.energy_mj.pop(0) if len(self.energy_mj) > 1 else self.energy_mj[0]

    def nvmlDeviceGetPowerUsage(self, handle: Any) -> int:
        if self.power_mw is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return self.power_mw
