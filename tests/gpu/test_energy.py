"""Energy: NVML's counter, power sampling, and 'unknown' on the CPU or without support."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from gpu.backend import NumpyBackend
from gpu.energy import CounterMeter, NoEnergy, SampledMeter, energy_meter, integrate_power, measure
from gpu.run import run_job
from tests.gpu.fakes import FAKE_BUS_ID, FakeEnergyNvml
from tests.gpu.jobs_helpers import GEMM


@dataclass(frozen=True)
class GpuLikeBackend(NumpyBackend):
    """A CPU backend that claims a PCI bus id, so energy metering looks for the GPU in NVML."""

    pci_bus_id: str | None = FAKE_BUS_ID


def test_cpu_energy_is_unknown() -> None:
    nvml = FakeEnergyNvml(energy_mj=[0, 5000], power_mw=70_000)
    meter = energy_meter(NumpyBackend(), nvml)
    assert isinstance(meter, NoEnergy)
    assert nvml.calls == []
    assert run_job(GEMM, NumpyBackend(), meter).energy_mj is None


def test_counter_difference() -> None:
    nvml = FakeEnergyNvml(energy_mj=[1_000, 1_000, 4_500])  # probe, start, stop
    meter = energy_meter(GpuLikeBackend(), nvml)
    assert isinstance(meter, CounterMeter)
    result = run_job(GEMM, GpuLikeBackend(), meter)
    assert result.energy_mj == 3_500
    assert nvml.calls == ["init", f"handle {FAKE_BUS_ID}", "shutdown"]


def test_counter_reset_is_unknown() -> None:
    nvml = FakeEnergyNvml(energy_mj=[9_000, 9_000, 10])
    meter = energy_meter(GpuLikeBackend(), nvml)
    assert measure(lambda: None, meter) == (None, None)


def test_power_sampling_when_the_counter_is_unsupported() -> None:
    nvml = FakeEnergyNvml(energy_mj=None, power_mw=250_000)
    meter = energy_meter(GpuLikeBackend(), nvml)
    assert isinstance(meter, SampledMeter)
    ticks = itertools.count(0.0, 0.125)  # each sample reads the clock once
    meter.clock = lambda: next(ticks)
    meter.interval_s = 0.001
    _, energy = measure(lambda: sum(range(100_000)), meter)
    samples = len(meter.samples)
    assert samples >= 2
    assert energy == round(250_000 * 0.125 * (samples - 1))  # constant power: P * elapsed
    assert nvml.calls[-1] == "shutdown"


def test_neither_counter_nor_power_is_unknown() -> None:
    nvml = FakeEnergyNvml()
    assert isinstance(energy_meter(GpuLikeBackend(), nvml), NoEnergy)
    assert nvml.calls[-1] == "shutdown"


def test_nvml_unavailable_is_unknown() -> None:
    assert isinstance(energy_meter(GpuLikeBackend(), FakeEnergyNvml(init_fails=True)), NoEnergy)


def test_meter_stops_when_the_job_fails() -> None:
    nvml = FakeEnergyNvml(energy_mj=[0, 0, 10])
    meter = energy_meter(GpuLikeBackend(), nvml)

    def fail() -> None:
        raise RuntimeError("device lost")

    with pytest.raises(RuntimeError, match="device lost"):
        measure(fail, meter)
    assert nvml.calls[-1] == "shutdown"


def test_integrate_power() -> None:
    assert integrate_power([]) is None
    assert integrate_power([(0.0, 100)]) is None
    assert integrate_power([(0.0, 100_000), (1.0, 200_000), (3.0, 200_000)]) == 150_000 + 400_000
