"""Exact recomputation of single entries and rows, for fraud proofs and audits, in bounded memory.

A GEMM entry needs one row of the left operand and one column of the right: O(K) work, with
seeded operands regenerated on the spot. A row needs the whole right operand (K x N), which at
the largest jobs is tens of GiB in int64; a verifier that materialised it would fail exactly when
a cheating provider's result must be proven wrong. So rows are computed against the right
operand in blocks of STREAM_ENTRIES entries (whole rows of it), each regenerated from the
counter-based PRNG (or sliced from supplied data) and dropped after use: memory is
O(rows * (K + N) + STREAM_ENTRIES) whatever K and N are.

When the left operand is an earlier output (an mlp layer's input), its rows come from the
committed outputs, opened against the root.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from gpu.jobs import GemmStep, OutputRef, RequantStep, Step, requantize

Int64s = NDArray[np.int64]
STREAM_ENTRIES = 1 << 18  # right-operand entries per block: 1 MiB of int32, 2 MiB as int64


def input_tensor(step: Step) -> int | None:
    """The earlier output whose row `row` a recomputation of row `row` of `step` reads."""
    if isinstance(step, RequantStep):
        return step.source
    return step.left.tensor if isinstance(step.left, OutputRef) else None


def left_row(step: GemmStep, row: int, opened: Int64s | None) -> Int64s:
    if isinstance(step.left, OutputRef):
        if opened is None:
            raise ValueError("this step reads a committed row, and none was given")
        return opened
    values: NDArray[np.int32] = step.left.block((row, row + 1), (0, step.inner))[0]
    return values.astype(np.int64)


def right_column(step: GemmStep, col: int) -> Int64s:
    values: NDArray[np.int32] = step.right.block((0, step.inner), (col, col + 1))[:, 0]
    return values.astype(np.int64)


def expected_entry(step: Step, row: int, col: int, opened: Int64s | None) -> int:
    """The correct value of entry (row, col); `opened` is the input row, if the step reads one."""
    if isinstance(step, RequantStep):
        if opened is None:
            raise ValueError("an activation is recomputed from its accumulator row, and none was given")
        return int(requantize(opened[col], np.int64(step.bias[col]), step.shift, step.relu))
    # int64 is exact: |left| < 2^31 even for an untrusted opened row, |right| <= 2^11, K <= 2^18,
    # so |sum| < 2^60.
    return int(np.dot(left_row(step, row, opened), right_column(step, col)))


def expected_rows(step: Step, rows: Sequence[int], opened: Int64s | None) -> Int64s:
    """The correct rows `rows` (len(rows) x N); `opened` holds the input row of each, if the step
    reads one. A GEMM streams its right operand in blocks (see the module docstring)."""
    if isinstance(step, RequantStep):
        if opened is None:
            raise ValueError("an activation is recomputed from its accumulator rows, and none were given")
        result: Int64s = requantize(opened, step.bias.astype(np.int64), step.shift, step.relu)
        return result
    lefts = np.stack(
        [left_row(step, row, None if opened is None else opened[i]) for i, row in enumerate(rows)]
    )
    cols = step.shape[1]
    out = np.zeros((len(rows), cols), np.int64)
    height = max(1, STREAM_ENTRIES // cols)
    for start in range(0, step.inner, height):
        stop = min(start + height, step.inner)
        block: NDArray[np.int32] = step.right.block((start, stop), (0, cols))
        out += lefts[:, start:stop] @ block.astype(np.int64)  # exact: see expected_entry
    return out


def expected_row(step: Step, row: int, opened: Int64s | None) -> Int64s:
    """The correct row `row`; `opened` is its input row, if the step reads one."""
    rows = expected_rows(step, [row], None if opened is None else opened[None, :])
    first: Int64s = rows[0]
    return first
