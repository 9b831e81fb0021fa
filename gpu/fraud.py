"""Fraud proofs: one wrong entry, shown wrong by anyone holding the spec and the result root.

A proof names an entry (tensor, row, col) with its claimed value, opens that row against the
output root, and opens the one committed input row the recomputation reads (an MLP layer's input
activation, or an activation's accumulator). `check_fraud_proof` checks the openings, checks that
the output root is the one bound into the result root, and recomputes the entry: O(K + row
length + log rows) work, no GPU. It raises `InvalidFraudProof` unless the entry is wrong, so a
proof against a correct result, a tampered row or path, or a claim that the row does not hold is
rejected.
"""

from collections.abc import Sequence

import msgspec
import numpy as np
from numpy.typing import NDArray

from gpu.commit import Commitment, RowOpening, check_opening, leaf_offsets, open_row, result_root
from gpu.errors import InvalidFraudProof
from gpu.jobs import JobSpec, plan, spec_digest, validate_spec
from gpu.recompute import expected_entry, input_tensor

FRAUD_PROOF_VERSION = 1
MAX_FRAUD_PROOF_BYTES = 1 << 24


class FraudProof(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    version: int = FRAUD_PROOF_VERSION
    tensor: int
    row: int
    col: int
    claimed: int
    output_root: bytes
    opening: RowOpening  # row `row` of output `tensor`
    inputs: tuple[RowOpening, ...] = ()  # row `row` of the input tensor, when the step reads one


def build_fraud_proof(
    spec: JobSpec,
    outputs: Sequence[NDArray[np.int32]],
    commitment: Commitment,
    tensor: int,
    row: int,
    col: int,
) -> FraudProof:
    source = input_tensor(plan(spec)[tensor])
    inputs = () if source is None else (open_row(commitment, outputs, source, row),)
    return FraudProof(
        tensor=tensor,
        row=row,
        col=col,
        claimed=int(outputs[tensor][row, col]),
        output_root=commitment.output_root,
        opening=open_row(commitment, outputs, tensor, row),
        inputs=inputs,
    )


def check_fraud_proof(spec: JobSpec, committed_root: bytes, proof: FraudProof) -> None:
    """Return only if `proof` shows that the result committed as `committed_root` is wrong."""
    validate_spec(spec)
    steps = plan(spec)
    if proof.version != FRAUD_PROOF_VERSION:
        raise InvalidFraudProof(f"unsupported fraud proof version {proof.version}")
    if not 0 <= proof.tensor < len(steps):
        raise InvalidFraudProof(f"output {proof.tensor} does not exist: the job has {len(steps)} outputs")
    step = steps[proof.tensor]
    rows, cols = step.shape
    if not (0 <= proof.row < rows and 0 <= proof.col < cols):
        raise InvalidFraudProof(
            f"entry ({proof.row}, {proof.col}) is outside output {proof.tensor} ({rows} x {cols})"
        )
    if result_root(spec_digest(spec), proof.output_root) != committed_root:
        raise InvalidFraudProof("the proof's output_root is not the one bound into the result root")
    shapes = [s.shape for s in steps]
    offsets = leaf_offsets(shapes)
    _check_row(proof.opening, offsets[proof.tensor] + proof.row, cols, offsets[-1], proof.output_root)
    if int(proof.opening.values()[proof.col]) != proof.claimed:
        raise InvalidFraudProof("the claimed value is not the one in the opened row")
    opened = _opened_input(proof, input_tensor(step), shapes, offsets)
    expected = expected_entry(step, proof.row, proof.col, opened)
    if expected == proof.claimed:
        raise InvalidFraudProof(
            f"output {proof.tensor} entry ({proof.row}, {proof.col}) = {proof.claimed} is correct"
        )


def encode_fraud_proof(proof: FraudProof) -> bytes:
    return msgspec.json.encode(proof)


def decode_fraud_proof(data: bytes) -> FraudProof:
    if len(data) > MAX_FRAUD_PROOF_BYTES:
        raise InvalidFraudProof(
            f"fraud proof of {len(data)} bytes is over the {MAX_FRAUD_PROOF_BYTES}-byte limit"
        )
    try:
        return msgspec.json.decode(data, type=FraudProof)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise InvalidFraudProof(f"malformed fraud proof: {err}") from None


def _opened_input(
    proof: FraudProof, source: int | None, shapes: list[tuple[int, int]], offsets: tuple[int, ...]
) -> NDArray[np.int64] | None:
    if source is None:
        if proof.inputs:
            raise InvalidFraudProof("this entry reads no committed row, yet the proof opens one")
        return None
    if len(proof.inputs) != 1:
        raise InvalidFraudProof(f"this entry reads row {proof.row} of output {source}; open exactly that row")
    opening = proof.inputs[0]
    _check_row(opening, offsets[source] + proof.row, shapes[source][1], offsets[-1], proof.output_root)
    return opening.values().astype(np.int64)


def _check_row(opening: RowOpening, leaf: int, cols: int, size: int, root: bytes) -> None:
    if opening.leaf != leaf:
        raise InvalidFraudProof(f"an opening is for leaf {opening.leaf}, the entry needs leaf {leaf}")
    if len(opening.row) != 4 * cols:
        raise InvalidFraudProof(f"opened row {leaf} holds {len(opening.row)} bytes, not {4 * cols}")
    if not check_opening(opening, size, root):
        raise InvalidFraudProof(f"the Merkle path of row {leaf} does not lead to the output root")
