"""A job spec as a requester writes it (JSON, supplied tensors in base64): ``decode_spec``,
then its header (the Merkle roots of supplied data), digest, output shapes and work.

Rejection: ``JobSpecError``. Promise checked: a decoded spec encodes and decodes to itself."""

from __future__ import annotations

from gpu.errors import JobSpecError
from gpu.header import work_units
from gpu.jobs import decode_spec, encode_spec, job_header, output_shapes, spec_digest
from tests.fuzz.jobs import SPECS
from tests.fuzz.support import check

MAX_LEN = 4096
TOKENS = tuple(
    f'"{word}"'.encode()
    for word in (
        "kind", "gemm", "batched_gemm", "mlp", "version", "m", "k", "n", "batch", "bound", "seed", "a", "b",
        "rows", "widths", "shifts", "weight_bound", "bias_bound", "input_bound", "x", "weights", "biases",
    )
)  # fmt: skip


def fuzz_one(data: bytes) -> None:
    try:
        spec = decode_spec(data)
    except JobSpecError:
        return
    check(decode_spec(encode_spec(spec)) == spec, "a spec round-trips through its JSON")
    work_units(job_header(spec))
    spec_digest(spec)
    output_shapes(spec)


def seeds() -> dict[str, bytes]:
    return {name: encode_spec(spec) for name, spec in SPECS.items()}
