"""Exact recomputation of single entries and rows, for fraud proofs and audits.

A GEMM entry needs one row of the left operand and one column of the right: O(K) work, with
seeded operands regenerated on the spot. When the left operand is an earlier output (an MLP
layer's input), its row comes from the committed outputs, opened against the root.
"""

import numpy as np
from numpy.typing import NDArray

from gpu.jobs import GemmStep, OutputRef, RequantStep, Step, requantize

Int64s = NDArray[np.int64]


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


def right_matrix(step: GemmStep) -> Int64s:
    values: NDArray[np.int32] = step.right.block((0, step.inner), (0, step.right.cols))
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


def expected_row(step: Step, row: int, opened: Int64s | None, right: Int64s | None = None) -> Int64s:
    """The correct row `row`; pass `right` (from `right_matrix`) to reuse it across rows."""
    if isinstance(step, RequantStep):
        if opened is None:
            raise ValueError("an activation is recomputed from its accumulator row, and none was given")
        result: Int64s = requantize(opened, step.bias.astype(np.int64), step.shift, step.relu)
        return result
    full = right if right is not None else right_matrix(step)
    product: Int64s = left_row(step, row, opened) @ full
    return product
