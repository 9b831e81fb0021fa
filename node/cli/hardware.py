"""The GPUs a provider declares: found through NVML (``--detect``) or typed as ``--gpu`` flags."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click
import msgspec

from gpu.hardware import HardwareReport, detect_gpus, uuid_hash
from node.cli.common import CLIError
from node.cli.params import GPU
from vm.provider.msgs import GpuSpec

GPU_FLAG_HINT = "declare the hardware with --gpu MODEL:MEMORY_MIB:CC:COUNT"


def gpu_options(f: Callable[..., None]) -> Callable[..., None]:
    f = click.option(
        "--gpu-uuid",
        "gpu_uuids",
        multiple=True,
        help="NVML UUID of a declared GPU (repeatable, one per GPU in --gpu order); "
        "only its SHA-256 goes on chain.",
    )(f)
    f = click.option(
        "--gpu",
        "gpus",
        type=GPU,
        multiple=True,
        help="A GPU model as MODEL:MEMORY_MIB:CC:COUNT, e.g. 'NVIDIA L4:23034:8.9:2' (repeatable).",
    )(f)
    return click.option(
        "--detect",
        is_flag=True,
        help="Declare this machine's NVIDIA GPUs as NVML reports them; --gpu is the fallback.",
    )(f)


def declared_gpus(
    detect: bool,
    gpus: Sequence[GpuSpec],
    uuids: Sequence[str],
    detector: Callable[[], HardwareReport] | None = None,
) -> list[GpuSpec]:
    """The GPUs to declare; empty when neither --detect nor --gpu is given."""
    declared = with_uuid_hashes(gpus, uuids)
    if not detect:
        return declared
    report = (detector or detect_gpus)()
    if report.available:
        detected = gpus_from_report(report)
        click.echo(f"detected: {'; '.join(describe(spec) for spec in detected)}", err=True)
        return detected
    if not declared:
        raise CLIError(f"no NVIDIA GPU detected ({report.reason}); {GPU_FLAG_HINT}")
    click.echo(f"no NVIDIA GPU detected ({report.reason}); using the --gpu flags", err=True)
    return declared


def with_uuid_hashes(gpus: Sequence[GpuSpec], uuids: Sequence[str]) -> list[GpuSpec]:
    """Hand out --gpu-uuid values in --gpu order: each entry takes as many as its count."""
    if not uuids:
        return list(gpus)
    total = sum(gpu.count for gpu in gpus)
    if len(uuids) != total:
        raise click.BadParameter(
            f"give one UUID per declared GPU: {total} GPUs, {len(uuids)} UUIDs",
            param_hint="'--gpu-uuid'",
        )
    hashes = iter([uuid_hash(uuid) for uuid in uuids])
    return [
        msgspec.structs.replace(gpu, uuid_hashes=[next(hashes) for _ in range(gpu.count)]) for gpu in gpus
    ]


def gpus_from_report(report: HardwareReport) -> list[GpuSpec]:
    """One entry per (model, memory, compute capability), in the order NVML lists the GPUs."""
    groups: dict[tuple[str, int, str], list[bytes]] = {}
    for gpu in report.gpus:
        major, minor = gpu.compute_capability
        key = (gpu.name, gpu.memory_total_mib, f"{major}.{minor}")
        groups.setdefault(key, []).append(uuid_hash(gpu.uuid))
    return [
        GpuSpec(model, memory, capability, len(hashes), hashes)
        for (model, memory, capability), hashes in groups.items()
    ]


def describe(gpu: GpuSpec) -> str:
    return f"{gpu.count} x {gpu.model} ({gpu.memory_mib} MiB, cc {gpu.compute_capability})"
