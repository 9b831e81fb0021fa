"""The binary form of a job's supplied inputs: it round-trips every kind of supplied field, its
size follows from the header alone, and anything but the inputs of the digest asked for is
refused with a reason."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from gpu.header import header_digest
from gpu.jobs import JobSpec, MlpSpec, job_header
from node.outputs.inputs import (
    PREFIX_BYTES,
    InputsError,
    decode_inputs,
    encode_inputs,
    inputs_size,
    supplied_parts,
)
from tests.node.outputs.support import GEMM, SUPPLIED_BATCH, SUPPLIED_GEMM, SUPPLIED_MLP


def digest_of(spec: JobSpec) -> bytes:
    return header_digest(job_header(spec))


@pytest.mark.parametrize("spec", [SUPPLIED_GEMM, SUPPLIED_BATCH, SUPPLIED_MLP], ids=["gemm", "batch", "mlp"])
def test_inputs_round_trip_at_the_size_the_header_gives(spec: JobSpec) -> None:
    data = encode_inputs(spec)
    assert len(data) == inputs_size(job_header(spec))
    assert decode_inputs(data, digest_of(spec)) == spec


def test_the_layout_is_prefix_header_then_tensors_in_field_order() -> None:
    data = encode_inputs(SUPPLIED_MLP)
    header = msgspec.msgpack.encode(job_header(SUPPLIED_MLP))
    assert data[:PREFIX_BYTES] == bytes([1]) + len(header).to_bytes(4, "little")
    assert data[PREFIX_BYTES : PREFIX_BYTES + len(header)] == header
    spec = SUPPLIED_MLP
    tensors = [spec.x, *(spec.weights or []), *(spec.biases or [])]
    assert data[PREFIX_BYTES + len(header) :] == b"".join(t or b"" for t in tensors)
    parts = supplied_parts(job_header(spec))
    assert [(p.field, p.sizes) for p in parts] == [
        ("x", (9 * 16,)),
        ("weights", (16 * 12, 12 * 5)),
        ("biases", (4 * 12, 4 * 5)),
    ]
    assert [p.field for p in supplied_parts(job_header(SUPPLIED_BATCH))] == ["b"]


def test_invalid_a_seeded_spec_has_no_inputs() -> None:
    with pytest.raises(ValueError, match="supplies no tensors"):
        encode_inputs(GEMM)
    header = msgspec.msgpack.encode(job_header(GEMM))
    seeded = bytes([1]) + len(header).to_bytes(4, "little") + header
    with pytest.raises(InputsError, match="no supplied tensor"):
        decode_inputs(seeded, digest_of(GEMM))


def test_invalid_inputs_of_another_job() -> None:
    with pytest.raises(InputsError, match=f"not {digest_of(SUPPLIED_MLP).hex()}"):
        decode_inputs(encode_inputs(SUPPLIED_GEMM), digest_of(SUPPLIED_MLP))


def replaced(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + bytes([value & 0xFF]) + data[offset + 1 :]


def test_invalid_tensors_that_do_not_hash_to_the_roots() -> None:
    data = encode_inputs(SUPPLIED_GEMM)
    last = data[-1] - 256 if data[-1] > 127 else data[-1]
    changed = replaced(data, len(data) - 1, last + 1 if last < 20 else last - 1)  # still in bound
    with pytest.raises(InputsError, match="do not hash to the roots"):
        decode_inputs(changed, digest_of(SUPPLIED_GEMM))


def test_invalid_a_value_outside_the_bound() -> None:
    data = encode_inputs(SUPPLIED_GEMM)
    with pytest.raises(InputsError, match=r"outside \[-20, 20\]"):
        decode_inputs(replaced(data, len(data) - 1, 100), digest_of(SUPPLIED_GEMM))


@pytest.mark.parametrize(
    ("cut", "says"),
    [
        (lambda d: d[:3], "too short"),
        (lambda d: d[:40], "does not fit"),
        (lambda d: d[:-1], "bytes; the inputs of this header are"),
        (lambda d: d + b"\0", "bytes; the inputs of this header are"),
        (lambda d: bytes([2]) + d[1:], "inputs version 2"),
        (lambda d: d[:1] + (1 << 20).to_bytes(4, "little") + d[5:], "does not fit"),
    ],
    ids=["prefix", "header", "short", "long", "version", "huge-header"],
)
def test_invalid_truncated_or_padded(cut: object, says: str) -> None:
    data = encode_inputs(SUPPLIED_GEMM)
    with pytest.raises(InputsError, match=says):
        decode_inputs(cut(data), digest_of(SUPPLIED_GEMM))  # type: ignore[operator]


def test_invalid_a_header_not_in_its_canonical_encoding() -> None:
    header = job_header(SUPPLIED_GEMM)
    fields = {"kind": "gemm", **msgspec.structs.asdict(header)}
    reordered = msgspec.msgpack.encode(dict(reversed(list(fields.items()))))  # decodes to the same header
    tensors = (SUPPLIED_GEMM.a or b"") + (SUPPLIED_GEMM.b or b"")
    data = bytes([1]) + len(reordered).to_bytes(4, "little") + reordered + tensors
    with pytest.raises(InputsError, match="canonical"):
        decode_inputs(data, digest_of(SUPPLIED_GEMM))


def test_supplied_values_are_kept_exactly() -> None:
    spec = decode_inputs(encode_inputs(SUPPLIED_MLP), digest_of(SUPPLIED_MLP))
    assert isinstance(spec, MlpSpec) and spec.biases is not None and SUPPLIED_MLP.biases is not None
    biases = np.frombuffer(spec.biases[0], dtype="<i4")
    assert biases.tolist() == np.frombuffer(SUPPLIED_MLP.biases[0], dtype="<i4").tolist()
