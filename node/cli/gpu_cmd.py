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

from gpu.backend import BACKEND_NAMES, Backend, get_backend
from gpu.capacity import measure_gemm_throughput
from gpu.challenge import BEACON_BYTES, MAX_ROUNDS, MAX_VERIFIER_BYTES, MIN_ROUNDS, derive_challenge_seed
from gpu.energy import energy_meter
from gpu.errors import BackendError, GpuError
from gpu.fraud import check_fraud_proof
from gpu.hardware import HardwareReport, detect_gpus
from gpu.header import MAX_DIM
from gpu.jobs import MAX_SPEC_BYTES, JobSpec, decode_spec
from gpu.proofs import (
    FRAUD_PROOF_KIND,
    MAX_ENCODED_BYTES,
    decode_fraud_proof,
    encode_attestation,
    encode_fraud_proof,
)
from gpu.results import OUTPUT_FORMATS, RESULT_FILE, read_result, write_result
from gpu.run import run_job
from gpu.verify import Verdict, verify_result
from node.cli.common import CLIError, emit, one_line, output_option
from vm.crypto import ACCOUNT_HRP, VALOPER_HRP, InvalidAddress, decode_address


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
    "--verifier",
    default="",
    help=f"Your identity: hex, 0 to {MAX_VERIFIER_BYTES} bytes, or on chain your validator's operator "
    "address (depin1... or depinvaloper1...).",
)
@click.option(
    "--beacon",
    help=f"The chain's {BEACON_BYTES}-byte beacon value (hex) from after the result root was on chain "
    "(default: fresh random bytes, for a local check).",
)
@click.option(
    "--rounds",
    type=click.IntRange(MIN_ROUNDS, MAX_ROUNDS),
    default=MIN_ROUNDS,
    show_default=True,
    help=f"Freivalds rounds: the chain parameter, at least {MIN_ROUNDS} (2^-60).",
)
@click.option(
    "--proof-out", type=click.Path(dir_okay=False, path_type=Path), help="Write a fraud proof's bytes here."
)
@click.option(
    "--attestation-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the attestation's bytes here.",
)
@click.pass_context
def verify(
    ctx: click.Context,
    spec_file: Path,
    result_dir: Path,
    verifier: str,
    beacon: str | None,
    rounds: int,
    proof_out: Path | None,
    attestation_out: Path | None,
) -> None:
    """Check RESULT_DIR against SPEC_FILE on the CPU; print the verdict as JSON.

    The challenge seed is derived from the result root, --verifier and --beacon (docs/pouw.md), never
    chosen. Exit code 1 when the result is wrong; the fraud proof lets anyone check that.
    """
    spec = load_spec(spec_file)
    stored = read_result(result_dir, spec)
    who = _verifier_bytes(verifier)
    value = (
        os.urandom(BEACON_BYTES)
        if beacon is None
        else _hex_bytes("--beacon", beacon, BEACON_BYTES, BEACON_BYTES)
    )
    seed = derive_challenge_seed(stored.result_root, who, value)
    verdict = verify_result(spec, stored.outputs, stored.result_root, seed, rounds)
    if verdict.status == "mismatch":
        raise CLIError(f"{result_dir}: {verdict.reason} in {RESULT_FILE}; the files were changed or mixed up")
    if proof_out is not None and verdict.proof is not None:
        proof_out.write_bytes(encode_fraud_proof(verdict.proof))
    if attestation_out is not None and verdict.attestation is not None:
        attestation_out.write_bytes(encode_attestation(verdict.attestation))
    document = {
        "verdict": verdict.status,
        "reason": verdict.reason,
        "result_root": stored.result_root.hex(),
        "verifier": who.hex(),
        "beacon": value.hex(),
        "challenge_seed": seed.hex(),
        "rounds": rounds,
        **_verdict_json(verdict),
    }
    click.echo(json.dumps(document, indent=2))
    if verdict.status == "fraud":
        ctx.exit(1)


@gpu_group.command(name="check-proof")
@click.argument("spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("proof_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--result-root", required=True, help="The committed result root (hex), e.g. from the chain.")
def check_proof(spec_file: Path, proof_file: Path, result_root: str) -> None:
    """Check a fraud proof (its binary encoding, or `depind gpu verify` output) against a result root."""
    spec = load_spec(spec_file)
    root = _hex_bytes("--result-root", result_root, 32, 32)
    proof = decode_fraud_proof(_proof_bytes(proof_file))
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


def _proof_bytes(path: Path) -> bytes:
    """A proof file's binary encoding: the file itself, or the encoding in a verdict document."""
    size = path.stat().st_size
    if size > 4 * MAX_ENCODED_BYTES:
        raise CLIError(f"{path} is {size} bytes, too large for a fraud proof")
    raw = path.read_bytes()
    if raw[:1] == bytes([FRAUD_PROOF_KIND]):
        return raw
    try:
        document = json.loads(raw)
        return bytes.fromhex(document["fraud_proof"]["encoded"])
    except (ValueError, KeyError, TypeError):
        raise CLIError(
            f"{path} is neither a fraud proof's bytes nor `depind gpu verify` output with one"
        ) from None


def _verifier_bytes(text: str) -> bytes:
    """A committee member's identity: its operator address's 20 bytes when given as an
    address, as the chain derives seeds, else hex."""
    for hrp in (ACCOUNT_HRP, VALOPER_HRP):
        if text.lower().startswith(hrp + "1"):
            try:
                return decode_address(text, hrp)
            except InvalidAddress as exc:
                raise click.BadParameter(str(exc), param_hint="'--verifier'") from None
    return _hex_bytes("--verifier", text, 0, MAX_VERIFIER_BYTES)


def _hex_bytes(option: str, text: str, low: int, high: int) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise click.BadParameter("not hexadecimal", param_hint=f"'{option}'") from None
    if not low <= len(value) <= high:
        size = f"{low}" if low == high else f"{low} to {high}"
        raise click.BadParameter(f"must be {size} bytes, got {len(value)}", param_hint=f"'{option}'")
    return value


def _verdict_json(verdict: Verdict) -> dict[str, Any]:
    attestation = proof = None
    if verdict.attestation is not None:
        encoded = encode_attestation(verdict.attestation)
        attestation = {
            "cr_root": verdict.attestation.cr_root.hex(),
            "bytes": len(encoded),
            "encoded": encoded.hex(),
        }
    if verdict.proof is not None:
        encoded = encode_fraud_proof(verdict.proof)
        where = {"tensor": verdict.proof.tensor, "row": verdict.proof.row, "col": verdict.proof.col}
        proof = {**where, "claimed": verdict.proof.claimed, "bytes": len(encoded), "encoded": encoded.hex()}
    return {"attestation": attestation, "fraud_proof": proof}


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
