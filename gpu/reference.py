"""The int64 reference for every job kind: obviously exact, slow, CPU only.

`gpu.run` computes the same outputs in fp32 on a backend; tests hold the two equal.
"""

import numpy as np
from numpy.typing import NDArray

from gpu.jobs import GemmStep, JobSpec, Operand, OutputRef, RequantStep, plan, requantize


def reference_outputs(spec: JobSpec) -> tuple[NDArray[np.int32], ...]:
    outputs: list[NDArray[np.int64]] = []
    for step in plan(spec):
        if isinstance(step, GemmStep):
            outputs.append(_full(step.left, outputs) @ _full(step.right, outputs))
        else:
            outputs.append(_requantize(step, outputs[step.source]))
    return tuple(_to_int32(out) for out in outputs)


def _full(operand: Operand | OutputRef, outputs: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    if isinstance(operand, OutputRef):
        return outputs[operand.tensor]
    block: NDArray[np.int32] = operand.block((0, operand.rows), (0, operand.cols))
    return block.astype(np.int64)


def _requantize(step: RequantStep, acc: NDArray[np.int64]) -> NDArray[np.int64]:
    result: NDArray[np.int64] = requantize(acc, step.bias.astype(np.int64), step.shift, step.relu)
    return result


def _to_int32(values: NDArray[np.int64]) -> NDArray[np.int32]:
    if values.size and (values.min() < np.iinfo(np.int32).min or values.max() > np.iinfo(np.int32).max):
        raise OverflowError("a reference output does not fit int32; the spec validation has a hole")
    return values.astype(np.int32)
