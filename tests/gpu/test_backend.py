"""Backend selection, the CuPy path (through a NumPy-backed fake), and the exactness self-test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from gpu.backend import CupyBackend, NumpyBackend, cupy_backend, get_backend, select_backend_name, self_test
from gpu.errors import BackendError
from gpu.jobs import MlpSpec
from gpu.run import run_job
from tests.gpu.fakes import FAKE_BUS_ID, fake_cupy
from tests.gpu.jobs_helpers import SPECS


def _never() -> bool:
    raise AssertionError("an explicit choice must not probe for CuPy")


@pytest.mark.parametrize(
    ("requested", "environ", "usable", "chosen"),
    [
        (None, {}, False, "numpy"),
        (None, {}, True, "cupy"),
        (None, {"DEPIND_GPU_BACKEND": "numpy"}, True, "numpy"),
        (None, {"DEPIND_GPU_BACKEND": "cupy"}, False, "cupy"),
        ("numpy", {"DEPIND_GPU_BACKEND": "cupy"}, True, "numpy"),
        (None, {"DEPIND_GPU_BACKEND": ""}, False, "numpy"),
    ],
)
def test_backend_selection(requested: str | None, environ: dict[str, str], usable: bool, chosen: str) -> None:
    explicit = requested or environ.get("DEPIND_GPU_BACKEND")
    probe = _never if explicit else (lambda: usable)
    assert select_backend_name(requested, environ, probe) == chosen


def test_invalid_backend_name() -> None:
    with pytest.raises(BackendError, match="unknown backend 'tpu': choose one of numpy, cupy"):
        select_backend_name("tpu", {})
    with pytest.raises(BackendError, match="unknown DEPIND_GPU_BACKEND 'gpu'"):
        select_backend_name(None, {"DEPIND_GPU_BACKEND": "gpu"})


def test_invalid_cupy_without_device() -> None:
    with pytest.raises(BackendError, match="needs a usable CUDA device, and CuPy found none"):
        cupy_backend(fake_cupy(available=False))


def test_forced_cupy_on_this_machine_is_a_clear_error_or_works() -> None:
    try:
        backend = get_backend("cupy")
    except BackendError as err:
        assert "cupy-cuda12x" in str(err)
    else:
        assert backend.name == "cupy"


def test_numpy_backend_is_self_tested_and_cached() -> None:
    backend = get_backend("numpy")
    assert backend is get_backend("numpy")
    assert backend.name == "numpy" and backend.pci_bus_id is None
    assert "CPU" in backend.device


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_device_code_path_matches_numpy(kind: str) -> None:
    """The CuPy backend's code, run on a NumPy-backed fake, commits to the same bytes."""
    spec = SPECS[kind]
    device = cupy_backend(fake_cupy())
    self_test(device)
    on_device = run_job(spec, device)
    on_cpu = run_job(spec, NumpyBackend())
    assert on_device.result_root == on_cpu.result_root
    assert on_device.backend == "cupy"
    assert device.pci_bus_id == FAKE_BUS_ID
    assert device.device == "Fake GPU (CUDA device 0, CuPy 13.0.0+fake)"


def test_long_inner_dimension_is_tiled_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpu import run
    from gpu.jobs import GemmSpec
    from gpu.reference import reference_outputs

    monkeypatch.setattr(run, "K_TILE", 64)
    spec = GemmSpec(m=7, k=1000, n=5, bound=64, seed=3)  # K * b^2 = 4,096,000 <= 2^22
    (output,) = run_job(spec, NumpyBackend()).outputs
    assert np.array_equal(output, reference_outputs(spec)[0])


@dataclass(frozen=True)
class Fp16Backend(NumpyBackend):
    """A device that accumulates in FP16, as a misconfigured tensor-core path might."""

    def matmul_fp32(self, a: Any, b: Any) -> Any:
        return np.matmul(a.astype(np.float16), b.astype(np.float16)).astype(np.float32)


@dataclass(frozen=True)
class RoundingInputsBackend(NumpyBackend):
    """A device that keeps 8 significant bits of each input (BF16-like)."""

    def matmul_fp32(self, a: Any, b: Any) -> Any:
        def bf16(x: Any) -> Any:
            x = x.astype(np.float32)
            scale = np.exp2(np.floor(np.log2(np.maximum(np.abs(x), 1))) - 7)
            return np.round(x / scale) * scale

        return np.matmul(bf16(a), bf16(b)).astype(np.float32)


@dataclass(frozen=True)
class NarrowAccumulatorBackend(NumpyBackend):
    """A device whose accumulator keeps 21 significant bits (one short of 2^22): it starts from
    the first product exactly and rounds each partial sum after that. Products are exact."""

    bits: int = 21

    def matmul_fp32(self, a: Any, b: Any) -> Any:
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        acc = np.outer(a64[:, 0], b64[0])
        for k in range(1, a64.shape[1]):
            acc = _round_to_bits(acc + np.outer(a64[:, k], b64[k]), self.bits)
        return acc.astype(np.float32)


def _round_to_bits(x: Any, bits: int) -> Any:
    mantissa, exponent = np.frexp(x)
    return np.ldexp(np.round(mantissa * 2.0**bits) / 2.0**bits, exponent)


def test_self_test_catches_an_accumulator_one_bit_short() -> None:
    """Partial sums near 2^22 with the low bit set: a 21-bit accumulator rounds them, though it
    gets every other case right (their sums fit 21 bits, or are multiples of 2^10)."""
    with pytest.raises(BackendError, match=r"self-test \(K=4096, odd sums near 2\^22\)"):
        self_test(NarrowAccumulatorBackend())
    self_test(NarrowAccumulatorBackend(bits=22))  # all 22 bits: exact, and passes


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # FP16 overflows to inf, which is the point
@pytest.mark.parametrize("backend", [Fp16Backend(), RoundingInputsBackend(), NarrowAccumulatorBackend()])
def test_invalid_backend_fails_self_test(backend: NumpyBackend) -> None:
    with pytest.raises(BackendError, match="failed the exactness self-test"):
        self_test(backend)


def test_mlp_relu_shift_and_clamp_on_device() -> None:
    spec = MlpSpec(rows=4, widths=[3, 4], shifts=[0], weight_bound=128, bias_bound=0, seed=0)
    device = CupyBackend(fake_cupy())
    acc, act = run_job(spec, device).outputs
    assert np.array_equal(act, np.clip(acc, -128, 127))  # last layer: no ReLU
