"""A job's supplied inputs off chain: their binary form, the requester's upload and the verifier's fetch.

The chain holds a job's header, in which each supplied tensor is only a Merkle root
(gpu/header.py). Whoever runs or checks the job needs the tensors themselves: the requester
uploads them to its lease's provider (``PUT /inputs/{header digest}``, node/outputs/server.py),
the provider's worker runs the job from them, and each member of the verifier committee fetches
them from the provider (``GET /inputs/{header digest}``) before it checks the outputs.

They travel in one binary form, whose size follows from the header alone (so a fetcher knows it
before asking, as for outputs, and refuses anything else):

    version u8 (1) | header_len u32 LE | header | the supplied tensors, in spec field order

`header` is the job's header in its canonical MessagePack (exactly the bytes the chain holds);
the tensors are the spec's supplied fields as they are in the spec, one after another: gemm and
batched_gemm `a`, then `b` (int8, row-major, a batched job's items in order); mlp `x`, then
`weights[0]` .. `weights[L-1]`, then `biases[0]` .. `biases[L-1]` (int32 little-endian), each
only if the header commits to it. `decode_inputs` accepts them only for the header digest asked
for, in the canonical encoding, at the exact size, within the spec's rules, and with tensors
that hash to the header's roots: bytes that pass are the job's spec, whoever served them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from gpu.errors import JobSpecError
from gpu.header import (
    BIAS_ENTRY_BYTES,
    MAX_SUPPLIED_BYTES,
    BatchedGemmHeader,
    GemmHeader,
    JobHeader,
    MlpHeader,
    decode_header,
    header_digest,
)
from gpu.jobs import (
    BatchedGemmSpec,
    GemmSpec,
    JobSpec,
    MlpSpec,
    is_seeded,
    job_header,
    spec_from_header,
    validate_spec,
)
from gpu.merkle import Digest
from node.outputs.fetch import DEFAULT_LIMITS, Expected, FetchError, FetchLimits, download, retry_after
from node.outputs.layout import inputs_url
from vm.compute.params import MAX_HEADER_BYTES

INPUTS_VERSION = 1
PREFIX_BYTES = 1 + 4  # version, header_len
MAX_INPUTS_BYTES = PREFIX_BYTES + MAX_HEADER_BYTES + MAX_SUPPLIED_BYTES
LAYER_FIELDS = frozenset({"weights", "biases"})  # per-layer lists of tensors
ROOT_FIELDS = frozenset({"a_root", "b_root", "x_root", "weight_roots", "bias_roots"})
OCTETS = "application/octet-stream"


class InputsError(Exception):
    """Bytes that are not the supplied inputs of the job asked for; the message says how."""


class InputsMismatch(FetchError):
    """A provider served inputs that are not the job's (as bad as serving the wrong outputs)."""


class UploadError(Exception):
    """The provider did not store the inputs: it refused them, or could not be reached."""


@dataclass(frozen=True)
class Part:
    """One supplied spec field: `field`, of `sizes` bytes (one size per layer for a list field)."""

    field: str
    sizes: tuple[int, ...]

    @property
    def size(self) -> int:
        return sum(self.sizes)


# -- the binary form --------------------------------------------------------------------------------


def supplied_parts(header: JobHeader) -> tuple[Part, ...]:
    """The supplied fields the header commits to, in the binary form's order, with their sizes."""
    if isinstance(header, MlpHeader):
        pairs = list(zip(header.widths, header.widths[1:], strict=False))
        parts = []
        if header.x_root is not None:
            parts.append(Part("x", (header.rows * header.widths[0],)))
        if header.weight_roots is not None:
            parts.append(Part("weights", tuple(fan_in * fan_out for fan_in, fan_out in pairs)))
        if header.bias_roots is not None:
            parts.append(Part("biases", tuple(BIAS_ENTRY_BYTES * fan_out for _, fan_out in pairs)))
        return tuple(parts)
    batch = header.batch if isinstance(header, BatchedGemmHeader) else 1
    parts = []
    if header.a_root is not None:
        parts.append(Part("a", (batch * header.m * header.k,)))
    if header.b_root is not None:
        parts.append(Part("b", (batch * header.k * header.n,)))
    return tuple(parts)


def inputs_size(header: JobHeader) -> int:
    """Bytes of the binary form of the inputs of a job with this header."""
    encoded = msgspec.msgpack.encode(header)
    return PREFIX_BYTES + len(encoded) + sum(part.size for part in supplied_parts(header))


def encode_inputs(spec: JobSpec) -> bytes:
    """The binary form of a spec that supplies tensors (ValueError for a seeded one)."""
    header = job_header(spec)
    parts = supplied_parts(header)
    if not parts:
        raise ValueError("the spec supplies no tensors: a seeded job's header is all it needs")
    encoded = msgspec.msgpack.encode(header)
    pieces = [bytes([INPUTS_VERSION]), len(encoded).to_bytes(4, "little"), encoded]
    for part in parts:
        value = getattr(spec, part.field)
        pieces.extend(value if part.field in LAYER_FIELDS else [value])
    return b"".join(pieces)


def decode_inputs(data: bytes, digest: Digest) -> JobSpec:
    """The spec whose header digest is `digest`, from its inputs' binary form; InputsError for
    anything else (another job's inputs, a damaged header, tensors that do not hash to its roots)."""
    header, offset = _read_header(data)
    if header_digest(header) != digest:
        raise InputsError(
            f"these are the inputs of the job with header digest {header_digest(header).hex()}, "
            f"not {digest.hex()}"
        )
    parts = supplied_parts(header)
    if not parts:
        raise InputsError("the header commits to no supplied tensor: a seeded job has no inputs")
    expected = offset + sum(part.size for part in parts)
    if len(data) != expected:
        raise InputsError(f"{len(data)} bytes; the inputs of this header are {expected} bytes")
    spec = _spec(header, parts, data, offset)
    try:
        validate_spec(spec)
    except JobSpecError as err:
        raise InputsError(str(err)) from None
    if job_header(spec) != header:
        raise InputsError("the supplied tensors do not hash to the roots in their header")
    return spec


def _read_header(data: bytes) -> tuple[JobHeader, int]:
    """The header at the start of the binary form, and where the tensors begin."""
    if len(data) < PREFIX_BYTES:
        raise InputsError(f"{len(data)} bytes: too short for the inputs' version and header length")
    if data[0] != INPUTS_VERSION:
        raise InputsError(f"inputs version {data[0]}; this build reads version {INPUTS_VERSION}")
    length = int.from_bytes(data[1:PREFIX_BYTES], "little")
    if length > MAX_HEADER_BYTES or PREFIX_BYTES + length > len(data):
        raise InputsError(f"a header of {length} bytes does not fit (at most {MAX_HEADER_BYTES})")
    encoded = data[PREFIX_BYTES : PREFIX_BYTES + length]
    try:
        header = decode_header(encoded)
    except JobSpecError as err:
        raise InputsError(str(err)) from None
    if msgspec.msgpack.encode(header) != encoded:
        raise InputsError("the header is not in its canonical encoding")
    return header, PREFIX_BYTES + length


def _spec(header: JobHeader, parts: tuple[Part, ...], data: bytes, offset: int) -> JobSpec:
    """The header's fields, with the supplied tensors in place of their roots."""
    fields: dict[str, Any] = {
        name: getattr(header, name) for name in header.__struct_fields__ if name not in ROOT_FIELDS
    }
    for part in parts:
        items = []
        for size in part.sizes:
            items.append(data[offset : offset + size])
            offset += size
        fields[part.field] = items if part.field in LAYER_FIELDS else items[0]
    if isinstance(header, GemmHeader):
        return GemmSpec(**fields)
    if isinstance(header, BatchedGemmHeader):
        return BatchedGemmSpec(**fields)
    return MlpSpec(**fields)


# -- the verifier: fetch and check ------------------------------------------------------------------


def job_spec(
    header: JobHeader,
    endpoint: str,
    limits: FetchLimits = DEFAULT_LIMITS,
    transport: httpx.BaseTransport | None = None,
) -> JobSpec:
    """The spec a job's outputs are checked against: a seeded job's is its header; a job with
    supplied tensors has its inputs fetched from its provider at `endpoint` (``http://host:port``)."""
    if is_seeded(header):
        return spec_from_header(header)
    return fetch_inputs(endpoint, header, limits, transport)


def fetch_inputs(
    endpoint: str,
    header: JobHeader,
    limits: FetchLimits = DEFAULT_LIMITS,
    transport: httpx.BaseTransport | None = None,
) -> JobSpec:
    """The spec of the job with this header, from the inputs its provider serves: asked for in
    ranges of the exact expected size (node/outputs/fetch.py), then checked against the header.
    FetchError (InputsMismatch for bytes that are not the job's) when the provider fails."""
    digest = header_digest(header)
    url = inputs_url(endpoint, digest)
    received = bytearray()
    download(url, Expected(inputs_size(header), "inputs"), received.extend, limits, transport)
    try:
        return decode_inputs(bytes(received), digest)
    except InputsError as err:
        raise InputsMismatch(f"{url} serves inputs that are not the job's: {err}") from None


# -- the requester: upload ---------------------------------------------------------------------------


def upload_inputs(
    endpoint: str,
    inputs: bytes,
    digest: Digest,
    limits: FetchLimits = DEFAULT_LIMITS,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    """PUT `inputs` (their binary form) to the provider at `endpoint` under the job's header digest:
    True once stored, False if the provider held them already. Tried again like a fetch (a
    connection error, 5xx, 429), up to `attempts` times within `deadline_s`; UploadError otherwise."""
    url = inputs_url(endpoint, digest)
    deadline = time.monotonic() + limits.deadline_s
    backoff, failure = limits.first_backoff_s, "no try"
    with httpx.Client(transport=transport) as client:
        for attempt in range(1, limits.attempts + 1):
            try:
                response = client.put(
                    url, content=inputs, headers={"content-type": OCTETS}, timeout=limits.request_timeout_s
                )
            except httpx.TransportError as err:
                failure, asked = f"{type(err).__name__}: {err}", 0.0
            else:
                status = response.status_code
                if status in (200, 201):
                    return status == 201
                if status != 429 and status < 500:
                    raise UploadError(f"{url} refused the inputs ({status}): {_first_line(response.text)}")
                failure, asked = f"answered {status}", retry_after(response)
            pause = max(backoff, min(asked, limits.max_backoff_s))
            if attempt == limits.attempts or time.monotonic() + pause >= deadline:
                break
            time.sleep(pause)
            backoff = min(2 * backoff, limits.max_backoff_s)
    raise UploadError(f"{url}: {attempt} tries failed, the last: {failure}")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no reason given"
    return line[:200]
