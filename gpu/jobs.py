"""Job kinds: a small versioned spec, its validation, its digest, and the plan it compiles to.

Every kind compiles to a plan: an ordered list of output tensors (int32 matrices), each either a
`GemmStep` (an exact integer matrix product) or a `RequantStep` (bias, optional ReLU, shift and
clamp to int8 applied to an earlier GEMM output). Execution, the int64 reference, commitments,
verification and fraud proofs all work on the plan, so they do not depend on the kind.

Exactness: a GEMM with inner size K and operands bounded by |a| <= ba, |b| <= bb is exact in
fp32 when K * ba * bb <= 2^22: every product and every partial sum, in any summation order, is
an integer of magnitude <= 2^22 < 2^24 (docs/pouw.md).

Matrix ids: gemm A = 0, B = 1; batched_gemm item t: A = 2t, B = 2t + 1; mlp input X = 0,
layer l: weights 2l + 1, bias 2l + 2.

What goes on chain is the spec's header (gpu/header.py): the spec with each supplied tensor
replaced by a Merkle root over its rows (left operands), its columns (right operands) or its
1 KiB chunks (biases). `job_header` computes it, and the spec digest is the header's digest, so
the chain checks a result root without the supplied data.
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any

import msgspec
import numpy as np
from numpy.typing import NDArray

from gpu import prng
from gpu.commit import tree_of
from gpu.errors import JobSpecError
from gpu.header import (
    INT8_BOUND,
    MAX_SUPPLIED_BYTES,
    SPEC_VERSION,
    Batch,
    BatchedGemmHeader,
    BiasBound,
    Bound,
    Dim,
    GemmHeader,
    Inner,
    Int8Bound,
    JobHeader,
    MlpHeader,
    Seed,
    Shifts,
    Widths,
    check_fields,
    check_gemm_rules,
    check_layer_list,
    check_mlp_rules,
    header_digest,
)
from gpu.merkle import ChunkedCommitment, ChunkLayout, Digest, MerkleTree, commit_chunks, leaf_hash

MAX_SPEC_BYTES = 1 << 27  # a JSON spec file, base64 data included
Data = Annotated[bytes, msgspec.Meta(max_length=MAX_SUPPLIED_BYTES)]


class _Spec(msgspec.Struct, tag_field="kind", kw_only=True, frozen=True, forbid_unknown_fields=True):
    version: int = SPEC_VERSION


class GemmSpec(_Spec, tag="gemm", frozen=True):
    """C = A @ B with A (m x k) and B (k x n) in [-bound, bound]: seeded, or supplied as int8."""

    m: Dim
    k: Inner
    n: Dim
    bound: Bound
    seed: Seed = 0
    a: Data | None = None  # int8, row-major m x k; None: seeded (matrix 0)
    b: Data | None = None  # int8, row-major k x n; None: seeded (matrix 1)


class BatchedGemmSpec(_Spec, tag="batched_gemm", frozen=True):
    """`batch` independent GEMMs of one shape; item t is output tensor t."""

    batch: Batch
    m: Dim
    k: Inner
    n: Dim
    bound: Bound
    seed: Seed = 0
    a: Data | None = None  # int8, batch x m x k
    b: Data | None = None  # int8, batch x k x n


class MlpSpec(_Spec, tag="mlp", frozen=True):
    """Integer-quantized MLP inference on `rows` inputs of width widths[0].

    Layer l multiplies by weights (widths[l] x widths[l+1]), adds an int bias, applies ReLU
    (every layer but the last), shifts right by shifts[l] (floor) and clamps to int8. Each layer
    commits its accumulator (the GEMM) and its activation, so each is checked on its own.
    """

    rows: Dim
    widths: Widths
    shifts: Shifts
    weight_bound: Int8Bound
    bias_bound: BiasBound
    input_bound: Int8Bound = INT8_BOUND - 1
    seed: Seed = 0
    x: Data | None = None  # int8, rows x widths[0]
    weights: list[Data] | None = None  # int8 per layer
    biases: list[Data] | None = None  # int32 little-endian per layer


JobSpec = GemmSpec | BatchedGemmSpec | MlpSpec


# -- operands and plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededMatrix:
    """Matrix `which` of a job's seed, entries in [-bound, bound] (gpu/prng.py)."""

    seed: int
    which: int
    rows: int
    cols: int
    bound: int

    def block(self, rows: prng.Span, cols: prng.Span, xp: Any = np) -> Any:
        row_words, col_words = self.words
        return prng.entries(row_words[rows[0] : rows[1]], col_words[cols[0] : cols[1]], self.bound, xp)

    @cached_property
    def words(self) -> tuple[prng.Words, prng.Words]:
        # O(rows + cols) words computed once, so that many small blocks cost no more than one big.
        return prng.line_words(self.seed, self.which, (0, self.rows), (0, self.cols))


@dataclass(frozen=True, eq=False)
class DataMatrix:
    """Supplied values (host int32); `bound` is the bound the spec declares for them."""

    values: NDArray[np.int32]
    bound: int

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def cols(self) -> int:
        return int(self.values.shape[1])

    def block(self, rows: prng.Span, cols: prng.Span, xp: Any = np) -> Any:
        return xp.asarray(self.values[rows[0] : rows[1], cols[0] : cols[1]])


@dataclass(frozen=True)
class OutputRef:
    """An earlier output tensor used as an operand (an MLP layer's input activation)."""

    tensor: int
    rows: int
    cols: int
    bound: int


Operand = SeededMatrix | DataMatrix


@dataclass(frozen=True)
class GemmStep:
    """An output that is the exact product left @ right."""

    left: Operand | OutputRef
    right: Operand

    @property
    def shape(self) -> tuple[int, int]:
        return (self.left.rows, self.right.cols)

    @property
    def inner(self) -> int:
        return self.right.rows

    @property
    def output_bound(self) -> int:
        """|entry| <= this for a correct output; at most 2^22 by validation."""
        return self.inner * self.left.bound * self.right.bound


@dataclass(frozen=True, eq=False)
class RequantStep:
    """An output that is `requantize` of output `source` (a GEMM) with a bias."""

    source: int  # the GemmStep output this activation is computed from
    bias: NDArray[np.int32] = field(repr=False)
    shift: int
    relu: bool
    shape: tuple[int, int]


Step = GemmStep | RequantStep


def plan(spec: JobSpec) -> tuple[Step, ...]:
    """The output tensors of a valid spec, in commitment order."""
    if isinstance(spec, GemmSpec):
        return (_gemm_step(spec.seed, 0, spec.m, spec.k, spec.n, spec.bound, spec.a, spec.b),)
    if isinstance(spec, BatchedGemmSpec):
        return tuple(_batched_step(spec, t) for t in range(spec.batch))
    return _mlp_steps(spec)


def output_shapes(spec: JobSpec) -> tuple[tuple[int, int], ...]:
    return tuple(step.shape for step in plan(spec))


def requantize(acc: Any, bias: Any, shift: int, relu: bool, xp: Any = np) -> Any:
    """clamp((relu?)(acc + bias) >> shift, -128, 127): element-wise, for arrays or Python ints.

    `>>` is an arithmetic shift (floor division by 2^shift) for NumPy, CuPy and Python ints.
    """
    z = acc + bias
    if relu:
        z = xp.maximum(z, 0)
    return xp.clip(z >> shift, -INT8_BOUND, INT8_BOUND - 1)


def _gemm_step(
    seed: int, first_id: int, m: int, k: int, n: int, bound: int, a: bytes | None, b: bytes | None
) -> GemmStep:
    left = _operand(seed, first_id, m, k, bound, a)
    right = _operand(seed, first_id + 1, k, n, bound, b)
    return GemmStep(left, right)


def _batched_step(spec: BatchedGemmSpec, t: int) -> GemmStep:
    a_size, b_size = spec.m * spec.k, spec.k * spec.n
    a = None if spec.a is None else spec.a[t * a_size : (t + 1) * a_size]
    b = None if spec.b is None else spec.b[t * b_size : (t + 1) * b_size]
    return _gemm_step(spec.seed, 2 * t, spec.m, spec.k, spec.n, spec.bound, a, b)


def _mlp_steps(spec: MlpSpec) -> tuple[Step, ...]:
    steps: list[Step] = []
    left: Operand | OutputRef = _operand(spec.seed, 0, spec.rows, spec.widths[0], spec.input_bound, spec.x)
    for layer, (fan_in, fan_out) in enumerate(zip(spec.widths, spec.widths[1:], strict=False)):
        weights = None if spec.weights is None else spec.weights[layer]
        right = _operand(spec.seed, 2 * layer + 1, fan_in, fan_out, spec.weight_bound, weights)
        steps.append(GemmStep(left, right))
        last = layer == len(spec.shifts) - 1
        bias = _bias(spec, layer, fan_out)
        steps.append(RequantStep(len(steps) - 1, bias, spec.shifts[layer], not last, (spec.rows, fan_out)))
        left = OutputRef(len(steps) - 1, spec.rows, fan_out, INT8_BOUND)
    return tuple(steps)


def _bias(spec: MlpSpec, layer: int, width: int) -> NDArray[np.int32]:
    if spec.biases is not None:
        return np.frombuffer(spec.biases[layer], dtype="<i4").astype(np.int32)
    if spec.bias_bound == 0:
        return np.zeros(width, dtype=np.int32)
    bias: NDArray[np.int32] = prng.matrix(spec.seed, 2 * layer + 2, 1, width, spec.bias_bound)[0]
    return bias


def _operand(seed: int, which: int, rows: int, cols: int, bound: int, data: bytes | None) -> Operand:
    if data is None:
        return SeededMatrix(seed, which, rows, cols, bound)
    values = np.frombuffer(data, dtype=np.int8).reshape(rows, cols).astype(np.int32)
    return DataMatrix(values, bound)


# -- encoding, digest, validation ----------------------------------------------------------------


def decode_spec(data: bytes) -> JobSpec:
    """A spec from JSON, validated; JobSpecError says what is wrong and where."""
    if len(data) > MAX_SPEC_BYTES:
        raise JobSpecError(f"invalid job spec: {len(data)} bytes is over the {MAX_SPEC_BYTES}-byte limit")
    try:
        spec: JobSpec = msgspec.json.decode(data, type=JobSpec)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as err:  # bad UTF-8 in a str
        raise JobSpecError(f"invalid job spec: {err}") from None
    validate_spec(spec)
    return spec


def encode_spec(spec: JobSpec) -> bytes:
    """JSON for humans and files (supplied tensors as base64)."""
    return msgspec.json.encode(spec)


def spec_digest(spec: JobSpec) -> Digest:
    """The digest of the spec's header (gpu/header.py): it binds supplied data through its roots."""
    return header_digest(job_header(spec))


def validate_spec(spec: JobSpec) -> None:
    """Every rule, including the field constraints msgspec checks only when decoding."""
    check_fields(spec, JobSpec, "job spec")
    if isinstance(spec, GemmSpec):
        _validate_gemm(spec.m, spec.k, spec.n, spec.bound, spec.a, spec.b, batch=1)
    elif isinstance(spec, BatchedGemmSpec):
        _validate_gemm(spec.m, spec.k, spec.n, spec.bound, spec.a, spec.b, batch=spec.batch)
    else:
        _validate_mlp(spec)


def _validate_gemm(m: int, k: int, n: int, bound: int, a: bytes | None, b: bytes | None, batch: int) -> None:
    check_gemm_rules(m, k, n, bound, batch)
    _check_supplied("a", a, batch * m * k, bound)
    _check_supplied("b", b, batch * k * n, bound)
    _check_supplied_total(len(a or b"") + len(b or b""))


def _validate_mlp(spec: MlpSpec) -> None:
    check_mlp_rules(spec, seeded_biases=spec.biases is None)
    layers = len(spec.shifts)
    _check_supplied("x", spec.x, spec.rows * spec.widths[0], spec.input_bound)
    check_layer_list("weights", spec.weights, layers)
    check_layer_list("biases", spec.biases, layers)
    for layer, (fan_in, fan_out) in enumerate(zip(spec.widths, spec.widths[1:], strict=False)):
        if spec.weights is not None:
            _check_supplied(f"weights[{layer}]", spec.weights[layer], fan_in * fan_out, spec.weight_bound)
        if spec.biases is not None:
            _check_bias(layer, spec.biases[layer], fan_out, spec.bias_bound)
    supplied = [spec.x or b"", *(spec.weights or []), *(spec.biases or [])]
    _check_supplied_total(sum(len(item) for item in supplied))


def _check_supplied(name: str, data: bytes | None, count: int, bound: int) -> None:
    if data is None:
        return
    if len(data) != count:
        raise JobSpecError(f"invalid job spec: {name} holds {len(data)} int8 values, the shape needs {count}")
    values = np.frombuffer(data, dtype=np.int8)
    _check_range(name, values, bound)


def _check_bias(layer: int, data: bytes, width: int, bound: int) -> None:
    if len(data) != 4 * width:
        raise JobSpecError(
            f"invalid job spec: biases[{layer}] holds {len(data)} bytes, "
            f"{width} int32 values need {4 * width}"
        )
    _check_range(f"biases[{layer}]", np.frombuffer(data, dtype="<i4"), bound)


def _check_range(name: str, values: NDArray[Any], bound: int) -> None:
    outside = np.flatnonzero((values < -bound) | (values > bound))
    if outside.size:
        value = int(values[outside[0]])
        raise JobSpecError(
            f"invalid job spec: {name}[{int(outside[0])}] = {value} is outside [-{bound}, {bound}]"
        )


def _check_supplied_total(size: int) -> None:
    if size > MAX_SUPPLIED_BYTES:
        raise JobSpecError(
            f"invalid job spec: supplied tensors total {size} bytes, over the limit of {MAX_SUPPLIED_BYTES}"
        )


# -- the header: supplied tensors committed by Merkle roots ---------------------------------------


def job_header(spec: JobSpec) -> JobHeader:
    """The spec with each supplied tensor replaced by its Merkle root (gpu/header.py)."""
    if isinstance(spec, GemmSpec | BatchedGemmSpec):
        a_root = None if spec.a is None else supplied_tree(spec, "a").root
        b_root = None if spec.b is None else supplied_tree(spec, "b").root
        fields = {"m": spec.m, "k": spec.k, "n": spec.n, "bound": spec.bound, "seed": spec.seed}
        if isinstance(spec, GemmSpec):
            return GemmHeader(version=spec.version, a_root=a_root, b_root=b_root, **fields)
        return BatchedGemmHeader(
            version=spec.version, batch=spec.batch, a_root=a_root, b_root=b_root, **fields
        )
    layers = range(len(spec.shifts))
    return MlpHeader(
        version=spec.version,
        rows=spec.rows,
        widths=spec.widths,
        shifts=spec.shifts,
        weight_bound=spec.weight_bound,
        bias_bound=spec.bias_bound,
        input_bound=spec.input_bound,
        seed=spec.seed,
        x_root=None if spec.x is None else supplied_tree(spec, "x").root,
        weight_roots=None
        if spec.weights is None
        else [supplied_tree(spec, "weights", i).root for i in layers],
        bias_roots=None if spec.biases is None else [bias_commitment(spec, i).root for i in layers],
    )


def supplied_lines(spec: JobSpec, name: str, layer: int = 0) -> NDArray[np.int8]:
    """The leaves of a supplied operand's tree, one int8 line each: the rows of `a` or `x` (a
    batched job's items one after another), the columns of `b` or `weights[layer]`."""
    if isinstance(spec, MlpSpec):
        if name == "x" and spec.x is not None:
            return _int8(spec.x).reshape(spec.rows, spec.widths[0])
        if name == "weights" and spec.weights is not None:
            fan_in, fan_out = spec.widths[layer], spec.widths[layer + 1]
            return _int8(spec.weights[layer]).reshape(fan_in, fan_out).T
    else:
        batch = spec.batch if isinstance(spec, BatchedGemmSpec) else 1
        if name == "a" and spec.a is not None:
            return _int8(spec.a).reshape(batch * spec.m, spec.k)
        if name == "b" and spec.b is not None:
            return (
                _int8(spec.b)
                .reshape(batch, spec.k, spec.n)
                .transpose(0, 2, 1)
                .reshape(batch * spec.n, spec.k)
            )
    raise ValueError(f"the spec supplies no tensor {name!r}")


def supplied_tree(spec: JobSpec, name: str, layer: int = 0) -> MerkleTree:
    lines = np.ascontiguousarray(supplied_lines(spec, name, layer))
    return tree_of([leaf_hash(line.data) for line in lines])


def bias_commitment(spec: MlpSpec, layer: int) -> ChunkedCommitment:
    """A supplied bias vector (int32 little-endian) in 1 KiB chunks, like an output."""
    if spec.biases is None:
        raise ValueError("the spec supplies no biases")
    data = spec.biases[layer]
    return commit_chunks(ChunkLayout(((1, len(data) // 4),), 4), [data])


def _int8(data: bytes) -> NDArray[np.int8]:
    return np.frombuffer(data, dtype=np.int8)


# -- from the header back to the spec -------------------------------------------------------------


class SuppliedInputs(JobSpecError):
    """The header commits to supplied tensors: the spec needs their data, which is off chain."""


def is_seeded(header: JobHeader) -> bool:
    """Whether every operand of the job comes from its seed (no supplied tensor)."""
    if isinstance(header, GemmHeader | BatchedGemmHeader):
        return header.a_root is None and header.b_root is None
    return header.x_root is None and header.weight_roots is None and header.bias_roots is None


def spec_from_header(header: JobHeader) -> JobSpec:
    """The spec of a seeded job, rebuilt from its header alone: its header is the spec with
    nothing replaced, so ``job_header(spec_from_header(h)) == h``. A header that commits to
    supplied tensors raises SuppliedInputs: their data is not on chain."""
    if not is_seeded(header):
        raise SuppliedInputs(f"the {header.__struct_config__.tag} job's inputs are supplied, not seeded")
    fields = {name: getattr(header, name) for name in header.__struct_fields__}
    if isinstance(header, GemmHeader):
        del fields["a_root"], fields["b_root"]
        return GemmSpec(**fields)
    if isinstance(header, BatchedGemmHeader):
        del fields["a_root"], fields["b_root"]
        return BatchedGemmSpec(**fields)
    del fields["x_root"], fields["weight_roots"], fields["bias_roots"]
    return MlpSpec(**fields)
