"""Energy a job used on a GPU, from NVML; on the CPU it is unknown (None), never estimated.

On a GPU, NVML's total energy counter (millijoules since the driver loaded; Volta and newer) is
read before and after the job. Where the counter is not supported, a background thread samples
the power draw and integrates it (trapezoid rule). Both measure the whole board, so other work on
the same GPU is counted too. Readings are integer millijoules: they may go on chain.
"""

import itertools
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from gpu.backend import Backend

DEFAULT_SAMPLE_INTERVAL_S = 0.05

T = TypeVar("T")
Handle = Any
Millijoules = int
Clock = Callable[[], float]


class EnergyNvml(Protocol):
    """The part of pynvml energy metering uses; tests pass a fake with the same shape."""

    NVMLError: type[Exception]

    def nvmlInit(self) -> None: ...
    def nvmlShutdown(self) -> None: ...
    def nvmlDeviceGetHandleByIndex(self, index: int) -> Handle: ...
    def nvmlDeviceGetHandleByPciBusId(self, bus_id: bytes) -> Handle: ...
    def nvmlDeviceGetTotalEnergyConsumption(self, handle: Handle) -> int: ...
    def nvmlDeviceGetPowerUsage(self, handle: Handle) -> int: ...


class EnergyMeter(Protocol):
    def start(self) -> None: ...
    def stop(self) -> Millijoules | None:
        """Energy since `start`, or None when it could not be measured."""
        ...


class NoEnergy:
    """The CPU backend, or a GPU whose NVML reports neither energy nor power."""

    def start(self) -> None:
        """Nothing to read."""

    def stop(self) -> Millijoules | None:
        return None


@dataclass
class CounterMeter:
    """Difference of NVML's total energy counter; shuts NVML down when stopped."""

    nvml: EnergyNvml
    handle: Handle
    _start: int | None = None

    def start(self) -> None:
        self._start = _read(self.nvml, lambda: self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))

    def stop(self) -> Millijoules | None:
        end = _read(self.nvml, lambda: self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))
        _shutdown(self.nvml)
        if self._start is None or end is None or end < self._start:
            return None  # unreadable, or the driver reloaded and reset the counter
        return end - self._start


@dataclass
class SampledMeter:
    """Power (milliwatts) sampled every `interval_s` in a thread, integrated over time."""

    nvml: EnergyNvml
    handle: Handle
    interval_s: float = DEFAULT_SAMPLE_INTERVAL_S
    clock: Clock = time.monotonic
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._sample()
        self._thread = threading.Thread(target=self._run, name="depind-power-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> Millijoules | None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        _shutdown(self.nvml)
        return integrate_power(self.samples)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_s):
            self._sample()

    def _sample(self) -> None:
        milliwatts = _read(self.nvml, lambda: self.nvml.nvmlDeviceGetPowerUsage(self.handle))
        if milliwatts is not None:
            self.samples.append((self.clock(), milliwatts))


def integrate_power(samples: list[tuple[float, int]]) -> Millijoules | None:
    """Trapezoid rule over (seconds, milliwatts) samples; None with fewer than two."""
    if len(samples) < 2:
        return None
    total = sum((t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in itertools.pairwise(samples))
    return round(total)


def energy_meter(backend: Backend, nvml: EnergyNvml | None = None) -> EnergyMeter:
    """The best meter for `backend`: NVML's counter, else power sampling, else none."""
    if backend.pci_bus_id is None:
        return NoEnergy()
    if nvml is None:
        try:
            import pynvml
        except ImportError:
            return NoEnergy()
        nvml = pynvml
    try:
        nvml.nvmlInit()
    except (nvml.NVMLError, OSError):
        return NoEnergy()
    return _meter_for(nvml, backend.pci_bus_id)


def measure(work: Callable[[], T], meter: EnergyMeter) -> tuple[T, Millijoules | None]:
    """Run `work` under `meter`; the meter stops (and releases NVML) even if `work` fails."""
    meter.start()
    try:
        result = work()
    finally:
        energy = meter.stop()
    return result, energy


def _meter_for(nvml: EnergyNvml, bus_id: str) -> EnergyMeter:
    handle = _read(nvml, lambda: nvml.nvmlDeviceGetHandleByPciBusId(bus_id.encode()))
    if handle is not None:
        if _read(nvml, lambda: nvml.nvmlDeviceGetTotalEnergyConsumption(handle)) is not None:
            return CounterMeter(nvml, handle)
        if _read(nvml, lambda: nvml.nvmlDeviceGetPowerUsage(handle)) is not None:
            return SampledMeter(nvml, handle)
    _shutdown(nvml)
    return NoEnergy()


def _read(nvml: EnergyNvml, read: Callable[[], T]) -> T | None:
    # NotSupported is common (energy counter before Volta, power on some boards, MIG instances).
    try:
        return read()
    except nvml.NVMLError:
        return None


def _shutdown(nvml: EnergyNvml) -> None:
    with suppress(nvml.NVMLError, OSError):
        nvml.nvmlShutdown()
