"""``depind gpu``: this machine's GPUs, GEMM throughput, and verifiable jobs run and checked locally."""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import click
import msgspec

from gpu.backend import BACKEND_NAMES, Backend, get_backend
from gpu.capacity import measure_gemm_throughput
from gpu.energy import energy_meter
from gpu.errors import BackendError, GpuError
from gpu.fraud import check_fraud_proof, decode_fraud_proof
from gpu.hardware import HardwareReport, detect_gpus
from gpu.jobs import MAX_DIM, MAX_SPEC_BYTES, JobSpec, decode_spec
from gpu.results import OUTPUT_FORMATS, RESULT_FILE, read_result, write_result
from gpu.run import run_job
from gpu.verify import DEFAULT_ROUNDS, MAX_CHALLENGE_SEED_BYTES, MAX_ROUNDS, Verdict, verify_result
from node.cli.common import CLIError, emit, one_line, output_option

CHALLENGE_SEED_BYTES = 32


class GpuGroup(click.Group):
    """Failures of the gpu library (bad spec, file, proof, device) become one-line errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GpuError as exc:
            raise CLIError(one_line(exc)) from None


def backend_option(f: Any) -> Any:
    return click.option(
        "--backend",
        type=click.Choice(BACKEND_NAMES),
        default=None,
        help="Compute backend (default: $DEPIND_GPU_BACKEND, else cupy when a CUDA device is usable).",
    )(f)


@click.group(name="gpu", cls=GpuGroup)
def gpu_group() -> None:
    """Verifiable GPU compute: hardware, benchmark, run and verify jobs."""


@gpu_group.command()
@output_option
def info(output: str) -> None:
    """Show the GPUs NVML finds and the backend jobs would run on."""
    report = detect_gpus()
    try:
        backend: dict[str, Any] = _backend_summary(get_backend())
    except BackendError as exc:
        backend = {"name": None, "device": None, "error": one_line(exc)}
    emit({"hardware": dataclasses.asdict(report), "backend": backend}, output, _info_text)


@gpu_group.command()
@click.option(
    "--size", type=click.IntRange(64, MAX_DIM), default=2048, show_default=True, help="GEMM side N."
)
@click.option("--repeat", type=click.IntRange(1, 1000), default=5, show_default=True)
@backend_option
@output_option
def bench(size: int, repeat: int, backend: str | None, output: str) -> None:
    """Measure exact fp32 GEMM throughput (N x N x N, small-integer inputs)."""
    chosen = get_backend(backend)
    label = f"GEMM {size}x{size}x{size} on {chosen.name}"
    with click.progressbar(length=repeat, label=label, file=sys.stderr) as bar:
        seconds = measure_gemm_throughput(chosen, size, repeat, lambda: bar.update(1))
    flops = 2 * size**3
    data = {
        **_backend_summary(chosen),
        "size": size,
        "repeat": repeat,
        "best_gflops": round(flops / min(seconds) / 1e9, 1),
        "median_gflops": round(flops / statistics.median(seconds) / 1e9, 1),
    }
    emit(data, output, _bench_text)


@gpu_group.command(name="run")
@click.argument("spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="npy", show_default=True)
@backend_option
@output_option
def run_command(spec_file: Path, out_dir: Path, fmt: str, backend: str | None, output: str) -> None:
    """Run the job in SPEC_FILE and write its outputs and result.json to --out."""
    spec = load_spec(spec_file)
    chosen = get_backend(backend)
    result = run_job(spec, chosen, energy_meter(chosen))
    path = write_result(out_dir, spec, result, "raw" if fmt == "raw" else "npy")
    data = {**json.loads(path.read_text(encoding="utf-8")), "out": str(out_dir)}
    emit(data, output, _run_text)


@gpu_group.command()
@click.argument("spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("result_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--challenge-seed",
    help=f"Hex seed for Freivalds' vectors (default: {CHALLENGE_SEED_BYTES} fresh random bytes).",
)
@click.option("--rounds", type=click.IntRange(1, MAX_ROUNDS), default=DEFAULT_ROUNDS, show_default=True)
@click.pass_context
def verify(
    ctx: click.Context, spec_file: Path, result_dir: Path, challenge_seed: str | None, rounds: int
) -> None:
    """Check RESULT_DIR against SPEC_FILE on the CPU; print the verdict as JSON.

    Exit code 1 when the result is wrong; the printed fraud proof lets anyone check that.
    """
    spec = load_spec(spec_file)
    stored = read_result(result_dir, spec)
    seed = _challenge_seed(challenge_seed)
    verdict = verify_result(spec, stored.outputs, stored.result_root, seed, rounds)
    if verdict.status == "mismatch":
        raise CLIError(f"{result_dir}: {verdict.reason} in {RESULT_FILE}; the files were changed or mixed up")
    click.echo(json.dumps(_verdict_json(verdict, stored.result_root, seed, rounds), indent=2))
    if verdict.status == "fraud":
        ctx.exit(1)


@gpu_group.command(name="check-proof")
@click.argument("spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("proof_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--result-root", required=True, help="The committed result root (hex), e.g. from the chain.")
def check_proof(spec_file: Path, proof_file: Path, result_root: str) -> None:
    """Check a fraud proof (a bare proof, or `depind gpu verify` output) against a result root."""
    spec = load_spec(spec_file)
    root = _hex_bytes("--result-root", result_root, 32, 32)
    raw = proof_file.read_bytes()
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if isinstance(document, dict) and "fraud_proof" in document:
        raw = json.dumps(document["fraud_proof"]).encode()
    proof = decode_fraud_proof(raw)
    check_fraud_proof(spec, root, proof)
    click.echo(f"valid fraud proof: output {proof.tensor} entry ({proof.row}, {proof.col}) is wrong")


def load_spec(path: Path) -> JobSpec:
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise CLIError(f"{path} is {size} bytes, over the {MAX_SPEC_BYTES}-byte limit for a job spec")
    try:
        return decode_spec(path.read_bytes())
    except GpuError as exc:
        raise CLIError(f"{path}: {one_line(exc)}") from None


def _challenge_seed(text: str | None) -> bytes:
    if text is None:
        return os.urandom(CHALLENGE_SEED_BYTES)
    return _hex_bytes("--challenge-seed", text, 1, MAX_CHALLENGE_SEED_BYTES)


def _hex_bytes(option: str, text: str, low: int, high: int) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise click.BadParameter("not hexadecimal", param_hint=f"'{option}'") from None
    if not low <= len(value) <= high:
        size = f"{low}" if low == high else f"{low} to {high}"
        raise click.BadParameter(f"must be {size} bytes, got {len(value)}", param_hint=f"'{option}'")
    return value


def _verdict_json(verdict: Verdict, root: bytes, seed: bytes, rounds: int) -> dict[str, Any]:
    return {
        "verdict": verdict.status,
        "reason": verdict.reason,
        "result_root": root.hex(),
        "challenge_seed": seed.hex(),
        "rounds": rounds,
        "attestation": verdict.attestation.hex() if verdict.attestation else None,
        "fraud_proof": msgspec.to_builtins(verdict.proof) if verdict.proof else None,
    }


def _backend_summary(backend: Backend) -> dict[str, Any]:
    return {"name": backend.name, "device": backend.device}


def _info_text(data: dict[str, Any]) -> str:
    hardware = HardwareReport(**{**data["hardware"], "gpus": ()})
    lines = []
    if hardware.available:
        lines.append(f"driver {hardware.driver_version}, CUDA {hardware.cuda_version}")
        for gpu in data["hardware"]["gpus"]:
            major, minor = gpu["compute_capability"]
            lines.append(
                f"gpu {gpu['index']}: {gpu['name']}, {gpu['memory_total_mib']} MiB, cc {major}.{minor}"
            )
    else:
        lines.append(f"no GPU: {hardware.reason}")
    backend = data["backend"]
    if backend["name"]:
        lines.append(f"backend: {backend['name']} on {backend['device']}")
    else:
        lines.append(f"backend: unavailable ({backend['error']})")
    return "\n".join(lines)


def _bench_text(data: dict[str, Any]) -> str:
    return (
        f"{data['name']} on {data['device']}: GEMM {data['size']}^3, best {data['best_gflops']} GFLOP/s, "
        f"median {data['median_gflops']} GFLOP/s over {data['repeat']} runs"
    )


def _run_text(data: dict[str, Any]) -> str:
    energy = "unknown" if data["energy_mj"] is None else f"{data['energy_mj'] / 1000:.3f} J"
    return "\n".join(
        [
            f"wrote {data['out']} ({data['kind']}, {len(data['shapes'])} outputs, {data['format']})",
            f"spec digest: {data['spec_digest']}",
            f"output root: {data['output_root']}",
            f"result root: {data['result_root']}",
            f"backend: {data['backend']}, compute {data['compute_s']:.3f} s, energy {energy}",
        ]
    )
