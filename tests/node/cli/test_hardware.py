"""Declaring provider GPUs: --gpu flags with UUIDs, NVML detection, and the no-GPU fallback."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gpu.hardware import GpuInfo, HardwareReport, uuid_hash
from node.cli import hardware
from node.cli.common import CLIError
from node.cli.hardware import declared_gpus, gpus_from_report, with_uuid_hashes
from node.cli.main import cli
from tests.node.cli.localnet import free_port
from vm.provider.msgs import GpuSpec

L4 = GpuSpec("NVIDIA L4", 23034, "8.9", 2, [])
H100 = GpuSpec("NVIDIA H100 80GB HBM3", 81559, "9.0", 1, [])
NO_DRIVER = HardwareReport(False, "no NVIDIA driver found", None, None, ())
VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])


def _gpu(index: int, name: str, memory: int, cc: tuple[int, int]) -> GpuInfo:
    return GpuInfo(index, name, f"GPU-{index}", memory, cc, None, None, None)


def _report(*gpus: GpuInfo) -> HardwareReport:
    return HardwareReport(True, "", "550.54.15", "12.4", gpus)


def test_uuids_fill_entries_in_order() -> None:
    declared = with_uuid_hashes([L4, H100], ["a", "b", "c"])
    assert declared[0].uuid_hashes == [uuid_hash("a"), uuid_hash("b")]
    assert declared[1].uuid_hashes == [uuid_hash("c")]


def test_no_uuids_leaves_entries_alone() -> None:
    assert with_uuid_hashes([L4], []) == [L4]


def test_invalid_uuid_count() -> None:
    with pytest.raises(click.BadParameter, match="3 GPUs, 2 UUIDs"):
        with_uuid_hashes([L4, H100], ["a", "b"])


def test_detected_gpus_group_by_model_memory_and_capability() -> None:
    report = _report(
        _gpu(0, "NVIDIA L4", 23034, (8, 9)),
        _gpu(1, "NVIDIA H100 80GB HBM3", 81559, (9, 0)),
        _gpu(2, "NVIDIA L4", 23034, (8, 9)),
    )
    assert gpus_from_report(report) == [
        GpuSpec("NVIDIA L4", 23034, "8.9", 2, [uuid_hash("GPU-0"), uuid_hash("GPU-2")]),
        GpuSpec("NVIDIA H100 80GB HBM3", 81559, "9.0", 1, [uuid_hash("GPU-1")]),
    ]


def test_detection_wins_over_flags() -> None:
    report = _report(_gpu(0, "NVIDIA L4", 23034, (8, 9)))
    declared = declared_gpus(True, [H100], [], detector=lambda: report)
    assert declared == [GpuSpec("NVIDIA L4", 23034, "8.9", 1, [uuid_hash("GPU-0")])]


def test_without_a_gpu_the_flags_are_the_fallback(capsys: pytest.CaptureFixture[str]) -> None:
    assert declared_gpus(True, [L4], [], detector=lambda: NO_DRIVER) == [L4]
    assert "no NVIDIA GPU detected (no NVIDIA driver found); using the --gpu flags" in capsys.readouterr().err


def test_invalid_detect_without_gpu_or_flags() -> None:
    with pytest.raises(CLIError, match=r"no NVIDIA GPU detected \(no NVIDIA driver found\); declare"):
        declared_gpus(True, [], [], detector=lambda: NO_DRIVER)


# The command line, with NVML replaced by a report of a machine without a driver.

REGISTER = [
    "tx", "provider", "register", "op", "--region", "eu-west", "--endpoint", "gpu.example.com",
    "--price", "100udepin", "--collateral", "1000000udepin", "--keyring-backend", "test", "--yes",
]  # fmt: skip


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "detect_gpus", lambda: NO_DRIVER)


@pytest.mark.usefixtures("no_gpu")
def test_invalid_register_detect_without_gpu(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, [*REGISTER, "--home", str(tmp_path), "--detect"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: no NVIDIA GPU detected (no NVIDIA driver found); "
        "declare the hardware with --gpu MODEL:MEMORY_MIB:CC:COUNT"
    ]


@pytest.mark.usefixtures("no_gpu")
def test_register_detect_falls_back_to_gpu_flags(runner: CliRunner, tmp_path: Path) -> None:
    home = ["--home", str(tmp_path), "--keyring-backend", "test"]
    runner.invoke(cli, ["keys", "add", "op", "--recover", *home], input=VECTOR_MNEMONIC + "\n")
    args = [*REGISTER, "--home", str(tmp_path), "--detect", "--gpu", "NVIDIA L4:23034:8.9:1"]
    result = runner.invoke(cli, [*args, "--node", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "no NVIDIA GPU detected (no NVIDIA driver found); using the --gpu flags"
    assert lines[1].startswith("Error: cannot reach node at http://127.0.0.1:")


def test_invalid_register_without_hardware(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, [*REGISTER, "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "--gpu MODEL:MEMORY_MIB:CC:COUNT, or use --detect" in result.stderr
