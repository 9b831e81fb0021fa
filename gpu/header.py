"""A job's header: its spec with every supplied tensor replaced by a Merkle root; what goes on chain.

No NumPy: the chain imports this module. A requester's spec (gpu/jobs.py) may carry up to 64 MiB
of supplied int8 data; its header carries one 32-byte root per supplied tensor instead, so the
chain stores a few hundred bytes and a fraud proof opens one row or column of an input with its
Merkle path (O(K)) instead of shipping the spec:

- a left operand (gemm / batched `a`, mlp `x`) is committed by rows: leaf i is row i's int8
  bytes; a batched job's items follow each other (leaf t * m + i is row i of item t);
- a right operand (gemm / batched `b`, mlp `weights[l]`) is committed by columns: leaf j is
  column j's int8 bytes, top to bottom; batched item t's columns are leaves t * n + j;
- an mlp bias vector (`biases[l]`, int32) is committed in 1 KiB chunks like an output
  (gpu/merkle.py).

spec_digest = SHA-256("depind/pouw/spec/v2" || MessagePack(header)): msgspec writes a Struct's
fields in declaration order with minimal integer encodings, so equal headers give equal bytes.
result_root = SHA-256("depind/pouw/result/v1" || spec_digest || output_root).

`layout(header)` describes the job's output tensors in commitment order in plain integers: what
each output is computed from (seeded matrices, supplied lines, earlier outputs), which is all a
fraud-proof check needs. gpu/jobs.py builds the NumPy plan the same way; tests hold them equal.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

import msgspec

from gpu.errors import JobSpecError
from gpu.merkle import ChunkLayout, Digest
from gpu.prng_scalar import MAX_BOUND

SPEC_VERSION = 1
SPEC_TAG = b"depind/pouw/spec/v2"
RESULT_TAG = b"depind/pouw/result/v1"
EXACT_LIMIT = 1 << 22  # K * b^2 at or below this keeps fp32 GEMM exact (docs/pouw.md)
MAX_DIM = 1 << 14  # rows and columns of any matrix
MAX_INNER = 1 << 18  # a gemm's K (long K keeps large work in small outputs: capacity proofs)
MAX_BATCH = 256
MAX_LAYERS = 32
MAX_OUTPUT_ENTRIES = 1 << 28  # all output tensors together: 1 GiB of int32
# Operand entries of all GEMMs together: what a verifier regenerates and reads (~20 s on 2 cores).
MAX_INPUT_ENTRIES = 1 << 33
MAX_SUPPLIED_BYTES = 1 << 26  # supplied tensors together
INT8_BOUND = 128  # |x| for any int8, and for clamped activations
MAX_BIAS_BOUND = EXACT_LIMIT  # so accumulator + bias stays within 2^23 in int32
MAX_SHIFT = 31
MAX_SPEC_SEED = (1 << 63) - 1  # msgspec checks int64 ranges; 63 bits is plenty for a seed
BIAS_ENTRY_BYTES = 4

Dim = Annotated[int, msgspec.Meta(ge=1, le=MAX_DIM)]
Inner = Annotated[int, msgspec.Meta(ge=1, le=MAX_INNER)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=MAX_SPEC_SEED)]
Bound = Annotated[int, msgspec.Meta(ge=1, le=2048)]  # K >= 1 and K * b^2 <= 2^22 give b <= 2^11
Int8Bound = Annotated[int, msgspec.Meta(ge=1, le=INT8_BOUND)]
BiasBound = Annotated[int, msgspec.Meta(ge=0, le=MAX_BIAS_BOUND)]
Shift = Annotated[int, msgspec.Meta(ge=0, le=MAX_SHIFT)]
Batch = Annotated[int, msgspec.Meta(ge=1, le=MAX_BATCH)]
Widths = Annotated[list[Dim], msgspec.Meta(min_length=2, max_length=MAX_LAYERS + 1)]
Shifts = Annotated[list[Shift], msgspec.Meta(max_length=MAX_LAYERS)]
Root = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class _Header(msgspec.Struct, tag_field="kind", kw_only=True, frozen=True, forbid_unknown_fields=True):
    version: int = SPEC_VERSION


class GemmHeader(_Header, tag="gemm", frozen=True):
    m: Dim
    k: Inner
    n: Dim
    bound: Bound
    seed: Seed = 0
    a_root: Root | None = None  # rows of the supplied A; None: seeded (matrix 0)
    b_root: Root | None = None  # columns of the supplied B; None: seeded (matrix 1)


class BatchedGemmHeader(_Header, tag="batched_gemm", frozen=True):
    batch: Batch
    m: Dim
    k: Inner
    n: Dim
    bound: Bound
    seed: Seed = 0
    a_root: Root | None = None  # rows of every item's A, item after item
    b_root: Root | None = None  # columns of every item's B, item after item


class MlpHeader(_Header, tag="mlp", frozen=True):
    rows: Dim
    widths: Widths
    shifts: Shifts
    weight_bound: Int8Bound
    bias_bound: BiasBound
    input_bound: Int8Bound = INT8_BOUND - 1
    seed: Seed = 0
    x_root: Root | None = None  # rows of the supplied input
    weight_roots: list[Root] | None = None  # columns of each layer's supplied weights
    bias_roots: list[Root] | None = None  # 1 KiB chunks of each layer's supplied int32 biases


JobHeader = GemmHeader | BatchedGemmHeader | MlpHeader


def header_digest(header: JobHeader) -> Digest:
    """The spec digest: SHA-256 over a domain tag and the header's canonical MessagePack."""
    return hashlib.sha256(SPEC_TAG + msgspec.msgpack.encode(header)).digest()


def result_root(spec_digest: Digest, output_root: Digest) -> Digest:
    return hashlib.sha256(RESULT_TAG + spec_digest + output_root).digest()


def work_units(header: JobHeader) -> int:
    """The multiply-adds a correct result takes: what the chain rewards per verified job.

    gemm m k n; batched_gemm batch m k n; mlp rows times the sum over layers of fan_in fan_out
    (the requantisation steps are element-wise and not counted)."""
    if isinstance(header, GemmHeader):
        return header.m * header.k * header.n
    if isinstance(header, BatchedGemmHeader):
        return header.batch * header.m * header.k * header.n
    pairs = zip(header.widths, header.widths[1:], strict=False)
    return header.rows * sum(fan_in * fan_out for fan_in, fan_out in pairs)


def decode_header(data: bytes) -> JobHeader:
    """A header from its canonical MessagePack, validated."""
    try:
        header: JobHeader = msgspec.msgpack.decode(data, type=JobHeader)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as err:  # bad UTF-8 in a str
        raise JobSpecError(f"invalid job header: {err}") from None
    validate_header(header)
    return header


# -- rules shared with specs ----------------------------------------------------------------------


def validate_header(header: JobHeader) -> None:
    """Every rule a header can break (a spec's supplied data is checked in gpu/jobs.py)."""
    check_fields(header, JobHeader, "job header")
    if isinstance(header, GemmHeader):
        check_gemm_rules(header.m, header.k, header.n, header.bound, batch=1)
    elif isinstance(header, BatchedGemmHeader):
        check_gemm_rules(header.m, header.k, header.n, header.bound, batch=header.batch)
    else:
        check_mlp_rules(header, seeded_biases=header.bias_roots is None)
        check_layer_list("weight_roots", header.weight_roots, len(header.shifts))
        check_layer_list("bias_roots", header.bias_roots, len(header.shifts))


def check_fields(value: msgspec.Struct, kind: object, what: str) -> None:
    """The version, then the field constraints msgspec checks only when decoding."""
    version = getattr(value, "version", SPEC_VERSION)
    if version != SPEC_VERSION:
        raise JobSpecError(f"unsupported job spec version {version} (this build reads {SPEC_VERSION})")
    try:
        msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=kind)
    except (msgspec.ValidationError, OverflowError) as err:  # OverflowError: an integer past 64 bits
        raise JobSpecError(f"invalid {what}: {err}") from None


def check_gemm_rules(m: int, k: int, n: int, bound: int, batch: int) -> None:
    check_exact(f"k * bound^2 = {k} * {bound}^2", k * bound * bound)
    check_work(batch * m * n, batch * (m * k + k * n))


class MlpShape(Protocol):
    """The fields of an mlp spec or header that the rules read."""

    @property
    def rows(self) -> int: ...
    @property
    def widths(self) -> list[int]: ...
    @property
    def shifts(self) -> list[int]: ...
    @property
    def weight_bound(self) -> int: ...
    @property
    def bias_bound(self) -> int: ...
    @property
    def input_bound(self) -> int: ...


def check_mlp_rules(mlp: MlpShape, seeded_biases: bool) -> None:
    layers = len(mlp.widths) - 1
    if len(mlp.shifts) != layers:
        raise JobSpecError(f"invalid job spec: {layers} layers need {layers} shifts, got {len(mlp.shifts)}")
    for layer, fan_in in enumerate(mlp.widths[:-1]):
        act_bound = mlp.input_bound if layer == 0 else INT8_BOUND
        factors = f"{fan_in} * {act_bound} * {mlp.weight_bound}"
        label = f"layer {layer}: fan_in * input bound * weight_bound = {factors}"
        check_exact(label, fan_in * act_bound * mlp.weight_bound)
    pairs = list(zip(mlp.widths, mlp.widths[1:], strict=False))
    check_work(2 * mlp.rows * sum(mlp.widths[1:]), sum(mlp.rows * i + i * o for i, o in pairs))
    if seeded_biases and mlp.bias_bound > MAX_BOUND:
        raise JobSpecError(
            f"invalid job spec: seeded biases need bias_bound <= {MAX_BOUND}, "
            f"got {mlp.bias_bound}; supply the biases to use a larger bound"
        )


def check_exact(label: str, value: int) -> None:
    if value > EXACT_LIMIT:
        raise JobSpecError(
            f"invalid job spec: {label} = {value} exceeds 2^22 = {EXACT_LIMIT}, "
            "so fp32 sums would not be exact; lower the bound or the inner size"
        )


def check_work(output_entries: int, input_entries: int) -> None:
    if output_entries > MAX_OUTPUT_ENTRIES:
        raise JobSpecError(
            f"invalid job spec: {output_entries} output entries exceed the limit of {MAX_OUTPUT_ENTRIES}"
        )
    if input_entries > MAX_INPUT_ENTRIES:
        raise JobSpecError(
            f"invalid job spec: {input_entries} operand entries exceed the limit of {MAX_INPUT_ENTRIES}"
        )


def check_layer_list(name: str, items: list[bytes] | None, layers: int) -> None:
    if items is not None and len(items) != layers:
        raise JobSpecError(f"invalid job spec: {name} has {len(items)} entries for {layers} layers")


# -- the layout: what each output is computed from ------------------------------------------------


@dataclass(frozen=True)
class SeededOperand:
    """Matrix `which` of the job's seed (gpu/prng.py), entries in [-bound, bound]."""

    which: int
    rows: int
    cols: int
    bound: int


@dataclass(frozen=True)
class SuppliedOperand:
    """A supplied int8 matrix committed line by line: its rows (a left operand) or its columns (a
    right operand) are leaves first .. first + lines - 1 of a `size`-leaf tree with root `root`."""

    axis: Literal["rows", "cols"]
    root: Digest
    first: int
    size: int
    rows: int
    cols: int
    bound: int
    field: str  # the spec field that holds the data: "a", "b", "x" or "weights"
    layer: int = 0  # the item of a per-layer list ("weights")

    def leaf(self, line: int) -> int:
        return self.first + line

    @property
    def line_bytes(self) -> int:
        return self.cols if self.axis == "rows" else self.rows


@dataclass(frozen=True)
class EarlierOutput:
    """An earlier output tensor used as the left operand (an mlp layer's input activation)."""

    tensor: int
    rows: int
    cols: int
    bound: int


@dataclass(frozen=True)
class GemmLayout:
    left: SeededOperand | SuppliedOperand | EarlierOutput
    right: SeededOperand | SuppliedOperand

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


@dataclass(frozen=True)
class SeededBias:
    which: int
    bound: int


@dataclass(frozen=True)
class SuppliedBias:
    """An int32 bias vector committed in chunks (gpu/merkle.py ChunkLayout, one 1 x width tensor)."""

    root: Digest
    width: int
    bound: int
    layer: int  # the item of the spec's "biases"

    @property
    def chunks(self) -> ChunkLayout:
        return ChunkLayout(((1, self.width),), BIAS_ENTRY_BYTES)


@dataclass(frozen=True)
class RequantLayout:
    """clamp((relu?)(output `source` + bias) >> shift, -128, 127), element-wise."""

    source: int
    bias: SeededBias | SuppliedBias | None  # None: all zero
    shift: int
    relu: bool
    shape: tuple[int, int]


StepLayout = GemmLayout | RequantLayout


def layout(header: JobHeader) -> tuple[StepLayout, ...]:
    """The output tensors of a valid header, in commitment order."""
    if isinstance(header, GemmHeader):
        return (_gemm(header.m, header.k, header.n, header.bound, 0, header.a_root, header.b_root, 1),)
    if isinstance(header, BatchedGemmHeader):
        return tuple(_batched(header, t) for t in range(header.batch))
    return _mlp(header)


def output_layout(steps: Sequence[StepLayout]) -> ChunkLayout:
    """Where the output entries lie among the leaves of the output tree: int32, 1 KiB chunks."""
    return ChunkLayout(tuple(step.shape for step in steps), 4)


def _gemm(
    m: int, k: int, n: int, bound: int, item: int, a_root: Digest | None, b_root: Digest | None, batch: int
) -> GemmLayout:
    left: SeededOperand | SuppliedOperand = SeededOperand(2 * item, m, k, bound)
    right: SeededOperand | SuppliedOperand = SeededOperand(2 * item + 1, k, n, bound)
    if a_root is not None:
        left = SuppliedOperand("rows", a_root, item * m, batch * m, m, k, bound, "a")
    if b_root is not None:
        right = SuppliedOperand("cols", b_root, item * n, batch * n, k, n, bound, "b")
    return GemmLayout(left, right)


def _batched(header: BatchedGemmHeader, t: int) -> GemmLayout:
    h = header
    return _gemm(h.m, h.k, h.n, h.bound, t, h.a_root, h.b_root, h.batch)


def _mlp(header: MlpHeader) -> tuple[StepLayout, ...]:
    h = header
    steps: list[StepLayout] = []
    left: SeededOperand | SuppliedOperand | EarlierOutput = SeededOperand(
        0, h.rows, h.widths[0], h.input_bound
    )
    if h.x_root is not None:
        left = SuppliedOperand("rows", h.x_root, 0, h.rows, h.rows, h.widths[0], h.input_bound, "x")
    for layer, (fan_in, fan_out) in enumerate(zip(h.widths, h.widths[1:], strict=False)):
        right: SeededOperand | SuppliedOperand = SeededOperand(2 * layer + 1, fan_in, fan_out, h.weight_bound)
        if h.weight_roots is not None:
            root = h.weight_roots[layer]
            right = SuppliedOperand(
                "cols", root, 0, fan_out, fan_in, fan_out, h.weight_bound, "weights", layer
            )
        steps.append(GemmLayout(left, right))
        relu = layer < len(h.shifts) - 1
        steps.append(
            RequantLayout(len(steps) - 1, _bias(h, layer, fan_out), h.shifts[layer], relu, (h.rows, fan_out))
        )
        left = EarlierOutput(len(steps) - 1, h.rows, fan_out, INT8_BOUND)
    return tuple(steps)


def _bias(header: MlpHeader, layer: int, width: int) -> SeededBias | SuppliedBias | None:
    if header.bias_roots is not None:
        return SuppliedBias(header.bias_roots[layer], width, header.bias_bound, layer)
    if header.bias_bound == 0:
        return None
    return SeededBias(2 * layer + 2, header.bias_bound)


def requantize_int(acc: int, bias: int, shift: int, relu: bool) -> int:
    """gpu/jobs.py `requantize` for one Python integer."""
    z = acc + bias
    if relu:
        z = max(z, 0)
    return min(max(z >> shift, -INT8_BOUND), INT8_BOUND - 1)
