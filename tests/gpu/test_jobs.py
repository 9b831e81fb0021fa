"""Job specs (decoding, validation, digest) and exact execution against the int64 reference."""

from __future__ import annotations

import re

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings

from gpu import prng
from gpu.backend import NumpyBackend
from gpu.errors import JobSpecError
from gpu.header import (
    BatchedGemmHeader,
    EarlierOutput,
    GemmHeader,
    GemmLayout,
    MlpHeader,
    RequantLayout,
    SeededBias,
    SeededOperand,
    SuppliedOperand,
    decode_header,
    header_digest,
    layout,
    validate_header,
)
from gpu.jobs import (
    MAX_SPEC_BYTES,
    BatchedGemmSpec,
    DataMatrix,
    GemmSpec,
    JobSpec,
    MlpSpec,
    RequantStep,
    SeededMatrix,
    decode_spec,
    encode_spec,
    job_header,
    output_shapes,
    plan,
    requantize,
    spec_digest,
    supplied_lines,
    validate_spec,
)
from gpu.merkle import leaf_hash, merkle_root_reference
from gpu.reference import reference_outputs
from gpu.run import run_job
from tests.gpu.jobs_helpers import GEMM, MLP, SPECS, job_specs

CPU = NumpyBackend()


def _assert_exact(spec: JobSpec) -> None:
    result = run_job(spec, CPU)
    want = reference_outputs(spec)
    assert len(result.outputs) == len(want)
    for got, expected in zip(result.outputs, want, strict=True):
        assert got.dtype == np.int32
        assert np.array_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(job_specs())
def test_run_equals_int64_reference(spec: JobSpec) -> None:
    _assert_exact(spec)


@pytest.mark.parametrize(
    "spec",
    [
        GemmSpec(m=16, k=1, n=16, bound=2048, seed=1),  # K * b^2 = 2^22 with inputs FP16 cannot hold
        GemmSpec(m=8, k=4096, n=8, bound=32, seed=2),  # partial sums up to 2^22
        GemmSpec(m=3, k=256, n=3, bound=128, a=b"\x80" * 768, b=b"\x80" * 768),  # int8 -128: sum 2^22
    ],
)
def test_exact_at_the_edge_of_the_bound(spec: GemmSpec) -> None:
    _assert_exact(spec)


def test_all_minus_128_reaches_the_bound() -> None:
    spec = GemmSpec(m=3, k=256, n=3, bound=128, a=b"\x80" * 768, b=b"\x80" * 768)
    assert run_job(spec, CPU).outputs[0].tolist() == [[2**22] * 3] * 3


def test_output_shapes() -> None:
    assert output_shapes(GEMM) == ((12, 9),)
    assert output_shapes(SPECS["batched_gemm"]) == ((5, 4),) * 3
    assert output_shapes(MLP) == ((6, 16), (6, 16), (6, 8), (6, 8), (6, 5), (6, 5))


def test_requantize_floor_shift_relu_and_clamp() -> None:
    acc = np.array([-1000, -3, -1, 0, 5, 7, 100_000])
    assert requantize(acc, 0, 1, relu=False).tolist() == [-128, -2, -1, 0, 2, 3, 127]
    assert requantize(acc, 1, 1, relu=True).tolist() == [0, 0, 0, 0, 3, 4, 127]
    assert int(requantize(np.int64(-3), np.int64(0), 1, relu=False)) == -2  # floor, not truncation


def test_json_round_trip_and_digest_stability() -> None:
    for spec in SPECS.values():
        assert decode_spec(encode_spec(spec)) == spec
        assert spec_digest(decode_spec(encode_spec(spec))) == spec_digest(spec)
    assert spec_digest(GEMM) != spec_digest(GemmSpec(m=12, k=20, n=9, bound=40, seed=12))
    supplied = GemmSpec(m=1, k=2, n=1, bound=5, a=b"\x01\x02", b=b"\x03\x04")
    other = GemmSpec(m=1, k=2, n=1, bound=5, a=b"\x01\x02", b=b"\x03\x05")
    assert spec_digest(supplied) != spec_digest(other)  # the digest binds supplied data


def test_decode_defaults() -> None:
    spec = decode_spec(b'{"kind": "gemm", "m": 2, "k": 3, "n": 4, "bound": 5}')
    assert spec == GemmSpec(m=2, k=3, n=4, bound=5, seed=0, version=1)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"{", "invalid job spec: Input data was truncated"),
        (b"[]", "Expected `object`, got `array`"),
        (b'{"kind": "conv2d"}', "Invalid value 'conv2d' - at `$.kind`"),
        (b'{"kind": "gemm", "m": 2, "k": 3, "n": 4}', "missing required field `bound`"),
        (b'{"kind": "gemm", "m": 0, "k": 3, "n": 4, "bound": 5}', "Expected `int` >= 1 - at `$.m`"),
        (b'{"kind": "gemm", "m": 2, "k": 3, "n": 16385, "bound": 5}', "<= 16384 - at `$.n`"),
        (b'{"kind": "gemm", "m": 2, "k": 3, "n": 4, "bound": 5, "extra": 1}', "unknown field `extra`"),
        (b'{"kind": "gemm", "m": 2, "k": 3, "n": 4, "bound": 5, "seed": -1}', ">= 0 - at `$.seed`"),
        (
            b'{"kind": "gemm", "m": 2, "k": 2000, "n": 4, "bound": 50}',
            "k * bound^2 = 2000 * 50^2 = 5000000 exceeds 2^22",
        ),
        (
            b'{"kind": "gemm", "m": 2, "k": 3, "n": 4, "bound": 5, "version": 2}',
            "unsupported job spec version 2",
        ),
        (
            b'{"kind": "gemm", "m": 2, "k": 1, "n": 1, "bound": 5, "a": "AAAA"}',
            "a holds 3 int8 values, the shape needs 2",
        ),
        (
            b'{"kind": "gemm", "m": 1, "k": 1, "n": 1, "bound": 5, "a": "fw=="}',
            "a[0] = 127 is outside [-5, 5]",
        ),
        (
            b'{"kind": "gemm", "m": 1, "k": 1, "n": 1, "bound": 5, "a": "%%%"}',
            "Invalid base64 encoded string",
        ),
        (
            b'{"kind": "mlp", "rows": 2, "widths": [3, 4], "shifts": [], "weight_bound": 3, "bias_bound": 0}',
            "1 layers need 1 shifts, got 0",
        ),
        (
            b'{"kind": "mlp", "rows": 2, "widths": [300, 4], "shifts": [1], "weight_bound": 128,'
            b' "bias_bound": 0}',
            "layer 0: fan_in * input bound * weight_bound = 300 * 127 * 128 = 4876800 exceeds 2^22",
        ),
        (
            b'{"kind": "mlp", "rows": 2, "widths": [3, 4], "shifts": [1], "weight_bound": 3, "bias_bound": 0,'
            b' "biases": ["AAAA"]}',
            "biases[0] holds 3 bytes, 4 int32 values need 16",
        ),
        (
            b'{"kind": "mlp", "rows": 1, "widths": [1, 1], "shifts": [1], "weight_bound": 3, "bias_bound": 1,'
            b' "biases": ["BQAAAA=="]}',
            "biases[0][0] = 5 is outside [-1, 1]",
        ),
        (
            b'{"kind": "mlp", "rows": 1, "widths": [1, 1], "shifts": [1], "weight_bound": 3, "bias_bound": 1,'
            b' "weights": []}',
            "weights has 0 entries for 1 layers",
        ),
        (
            b'{"kind": "mlp", "rows": 1, "widths": [1, 1], "shifts": [1], "weight_bound": 3,'
            b' "bias_bound": 100000}',
            "seeded biases need bias_bound <= 32767, got 100000",
        ),
        (b'{"kind": "batched_gemm", "batch": 0, "m": 1, "k": 1, "n": 1, "bound": 1}', ">= 1 - at `$.batch`"),
    ],
)
def test_invalid_spec(document: bytes, message: str) -> None:
    with pytest.raises(JobSpecError, match=re.escape(message)):
        decode_spec(document)


def test_invalid_spec_over_size_limits() -> None:
    with pytest.raises(JobSpecError, match=r"over the \d+-byte limit"):
        decode_spec(b" " * (MAX_SPEC_BYTES + 1))
    with pytest.raises(JobSpecError, match="output entries exceed the limit"):
        validate_spec(BatchedGemmSpec(batch=256, m=16384, k=1, n=16384, bound=1))
    with pytest.raises(JobSpecError, match="operand entries exceed the limit"):
        validate_spec(BatchedGemmSpec(batch=2, m=16384, k=2**18, n=1, bound=1))


def test_invalid_spec_built_in_python_is_caught() -> None:
    """Constraints msgspec checks only on decoding are checked on specs built in code too."""
    with pytest.raises(JobSpecError, match=r"Expected `int` >= 1 - at `\$.m`"):
        validate_spec(GemmSpec(m=0, k=1, n=1, bound=1))
    with pytest.raises(JobSpecError, match="Expected `int` >= 1"):
        run_job(MlpSpec(rows=1, widths=[0, 1], shifts=[0], weight_bound=1, bias_bound=0), CPU)


def test_known_vectors() -> None:
    """Pinned digests: another implementation of the spec must reproduce them byte for byte."""
    assert spec_digest(GEMM).hex() == "8fe398db0171db11cc4ca6858a00664e9dd0f6e000b8a9fb626591db4c5d26b3"
    assert run_job(GEMM, CPU).result_root.hex() == (
        "88c7c5722e02cfebe1193a8ff848e17a2752babd7f9bfedb2f58e2a3e1059cb3"
    )
    assert run_job(MLP, CPU).result_root.hex() == (
        "08b2de43b9032a72380f7497e34b044c307b420b663c7a03f5c05b804834aafb"
    )


def test_header_commits_supplied_data_by_rows_and_columns() -> None:
    a = np.arange(-6, 6, dtype=np.int8).reshape(3, 4)  # m = 3, k = 4
    b = np.arange(8, dtype=np.int8).reshape(4, 2)  # n = 2
    spec = GemmSpec(m=3, k=4, n=2, bound=6, a=a.tobytes(), b=b.tobytes())
    header = job_header(spec)
    assert isinstance(header, GemmHeader) and header.seed == 0
    assert header.a_root == merkle_root_reference([leaf_hash(row.tobytes()) for row in a])
    assert header.b_root == merkle_root_reference([leaf_hash(col.tobytes()) for col in b.T.copy()])
    assert spec_digest(spec) == header_digest(header)
    assert decode_header(msgspec.msgpack.encode(header)) == header
    assert job_header(GEMM) == GemmHeader(m=12, k=20, n=9, bound=40, seed=11)


def test_header_of_a_batched_job_puts_items_one_after_another() -> None:
    a = np.arange(2 * 3 * 4, dtype=np.int8).reshape(2, 3, 4) - 12
    b = np.arange(2 * 4 * 5, dtype=np.int8).reshape(2, 4, 5) - 20
    spec = BatchedGemmSpec(batch=2, m=3, k=4, n=5, bound=20, a=a.tobytes(), b=b.tobytes())
    header = job_header(spec)
    assert isinstance(header, BatchedGemmHeader)
    assert header.a_root == merkle_root_reference([leaf_hash(r.tobytes()) for r in a.reshape(6, 4)])
    columns = [b[t][:, j].tobytes() for t in range(2) for j in range(5)]
    assert header.b_root == merkle_root_reference([leaf_hash(c) for c in columns])
    second = layout(header)[1]
    assert isinstance(second, GemmLayout) and isinstance(second.right, SuppliedOperand)
    assert (second.right.first, second.right.size) == (5, 10)


def test_invalid_header() -> None:
    header = MlpHeader(rows=1, widths=[2, 3], shifts=[1], weight_bound=3, bias_bound=0, weight_roots=[])
    with pytest.raises(JobSpecError, match="weight_roots has 0 entries for 1 layers"):
        validate_header(header)
    with pytest.raises(JobSpecError, match="invalid job header: Expected `bytes` of length >= 32"):
        decode_header(msgspec.msgpack.encode(GemmHeader(m=1, k=1, n=1, bound=1, a_root=b"short")))
    with pytest.raises(JobSpecError, match="exceeds 2"):
        validate_header(GemmHeader(m=1, k=2000, n=1, bound=50))


def test_invalid_spec_with_a_string_that_is_not_utf8() -> None:
    """Found by fuzzing (tests/fuzz, target job_spec): msgspec raises UnicodeDecodeError for it."""
    with pytest.raises(JobSpecError, match="invalid job spec"):
        decode_spec(b'{"kind": "\xe6"}')


def test_invalid_spec_with_a_version_past_64_bits() -> None:
    """Found by fuzzing (tests/fuzz, target job_spec): re-encoding it raised OverflowError."""
    with pytest.raises(JobSpecError, match="unsupported job spec version"):
        decode_spec(b'{"kind": "gemm", "m": 4, "k": 6, "n": 3, "bound": 3, "version": 144444444444444444444}')
    with pytest.raises(JobSpecError, match="invalid job spec"):
        validate_spec(GemmSpec(m=4, k=6, n=3, bound=3, seed=2**70))


def test_invalid_header_with_a_string_that_is_not_utf8() -> None:
    """Found by fuzzing (tests/fuzz, target tx): msgspec raises UnicodeDecodeError for it."""
    with pytest.raises(JobSpecError, match="invalid job header"):
        decode_header(b"\x81\xa4kind\xa1\xa4")


@settings(max_examples=40, deadline=None)
@given(job_specs())
def test_header_layout_agrees_with_the_plan(spec: JobSpec) -> None:
    """The chain's integer description of a job (gpu/header.py) is the NumPy plan's."""
    steps, layouts = plan(spec), layout(job_header(spec))
    assert [step.shape for step in steps] == [item.shape for item in layouts]
    for step, item in zip(steps, layouts, strict=True):
        if isinstance(step, RequantStep):
            assert isinstance(item, RequantLayout)
            assert (step.source, step.shift, step.relu) == (item.source, item.shift, item.relu)
            assert step.bias.tolist() == [_bias(spec, item, col) for col in range(item.shape[1])]
            continue
        assert isinstance(item, GemmLayout)
        assert step.inner == item.inner and step.output_bound == item.output_bound
        for operand, described in ((step.left, item.left), (step.right, item.right)):
            if isinstance(operand, SeededMatrix):
                assert isinstance(described, SeededOperand) and operand.which == described.which
            elif isinstance(operand, DataMatrix):
                assert isinstance(described, SuppliedOperand)
                axis = described.axis
                lines = supplied_lines(spec, described.field, described.layer)[described.first :]
                want = operand.values if axis == "rows" else operand.values.T
                assert np.array_equal(lines[: len(want)], want)
            else:
                assert isinstance(described, EarlierOutput) and operand.tensor == described.tensor


def _bias(spec: JobSpec, item: RequantLayout, col: int) -> int:
    if item.bias is None:
        return 0
    if isinstance(item.bias, SeededBias):
        return prng.entry(spec.seed, item.bias.which, 0, col, item.bias.bound)
    assert isinstance(spec, MlpSpec) and spec.biases is not None
    return int(np.frombuffer(spec.biases[item.bias.layer], "<i4")[col])
