"""The checks the chain runs: fraud proofs and attestation disputes, in pure Python integers.

No NumPy, no floats, no clock, no randomness, no I/O: vm/ imports this module. Both functions
return only if the proof holds, and raise otherwise (`InvalidFraudProof`, `InvalidDispute`), with a
one-line reason.

check_fraud_proof(header, result_root, proof), O(K + log leaves) work:
1. the proof's output root is the one bound into the result root with the header's digest;
2. openings[0] is the chunk holding entry (row, col) of output `tensor`, its path leads to that
   root, and the entry is `claimed`;
3. the entry is recomputed from what it reads (`fraud_reads`): a GEMM entry from row `row` of the
   left operand and column `col` of the right, each regenerated entry by entry from the seed or
   opened from the committed input (a supplied line under the header's input root, an earlier
   output's row under the output root); an activation entry from its accumulator entry and bias;
4. the recomputed value differs from `claimed`.

check_attestation_dispute(header, result_root, verifier, beacon, rounds, attestation, dispute),
O(N + log leaves) work: the attested entry (C r_k)_i, opened against the member's C r root, differs
from row i of C (opened against the result's output root) times the member's vector r_k,
regenerated from its challenge seed (gpu/challenge.py).

A dispute may also come in two steps, for only the member holds its C r vectors:
correct_cr_entry(header, result_root, verifier, beacon, rounds, attestation, row_dispute), O(N +
log leaves), returns what entry (C r_k)_i must be, from row i of C alone (a `RowDispute`); the
member answers with the entry opened in its tree, and answered_cr_entry(header, rounds, cr_root,
disputed entry, answer), O(log leaves), returns the value it opens. The attestation is false if the
two differ (or if the member does not answer).
"""

from collections.abc import Iterator, Sequence

from gpu.attestation import check_cr_opening
from gpu.challenge import challenge_vector, check_rounds, derive_challenge_seed
from gpu.errors import InvalidDispute, InvalidFraudProof, InvalidOpening
from gpu.header import (
    EarlierOutput,
    GemmLayout,
    JobHeader,
    RequantLayout,
    SeededBias,
    SeededOperand,
    StepLayout,
    SuppliedBias,
    SuppliedOperand,
    header_digest,
    layout,
    output_layout,
    requantize_int,
    result_root,
    validate_header,
)
from gpu.merkle import ChunkLayout, Digest, Opening, opened_entries, opened_leaf
from gpu.prng_scalar import column_entries, dot, entry, row_entries
from gpu.proofs import FRAUD_PROOF_VERSION, Attestation, AttestationDispute, CrOpening, FraudProof, RowDispute

Read = SuppliedOperand | EarlierOutput | SuppliedBias | int  # an accumulator: its output index
Openings = Iterator[tuple[int, Opening]]  # (position in the proof, opening)


def check_fraud_proof(header: JobHeader, committed_root: Digest, proof: FraudProof) -> None:
    """Return only if `proof` shows that the result committed as `committed_root` is wrong."""
    validate_header(header)
    steps = layout(header)
    step = _entry_step(steps, proof)
    _check_bound_root(header, committed_root, proof.output_root, InvalidFraudProof)
    reads = fraud_reads(step)
    if len(proof.openings) != 1 + len(reads):
        raise InvalidFraudProof(
            f"this entry needs {1 + len(reads)} openings (the entry, then what it reads), "
            f"the proof has {len(proof.openings)}"
        )
    outputs = output_layout(steps)
    cols = step.shape[1]
    first = proof.row * cols + proof.col
    claimed = _opened(outputs, proof.output_root, (0, proof.openings[0]), proof.tensor, first, 1, "output")
    if claimed[0] != proof.claimed:
        raise InvalidFraudProof(f"the claimed value {proof.claimed} is not the one in the opened chunk")
    expected = _recompute(header.seed, step, outputs, proof)
    if expected == proof.claimed:
        raise InvalidFraudProof(
            f"output {proof.tensor} entry ({proof.row}, {proof.col}) = {proof.claimed} is correct"
        )


def fraud_reads(step: StepLayout) -> list[Read]:
    """What openings[1:] of a fraud proof for an entry of `step` open, in order: a supplied or
    earlier left row and a supplied right column (GEMM), or the accumulator (its output index)
    and a supplied bias (activation). Seeded operands and biases need no opening."""
    reads: list[Read] = []
    if isinstance(step, RequantLayout):
        reads.append(step.source)
        if isinstance(step.bias, SuppliedBias):
            reads.append(step.bias)
        return reads
    if not isinstance(step.left, SeededOperand):
        reads.append(step.left)
    if isinstance(step.right, SuppliedOperand):
        reads.append(step.right)
    return reads


def check_attestation_dispute(
    header: JobHeader,
    committed_root: Digest,
    verifier: bytes,
    beacon: bytes,
    rounds: int,
    attestation: Attestation,
    dispute: AttestationDispute,
) -> None:
    """Return only if `dispute` shows that the member `verifier` attested a wrong C r entry."""
    attested = dispute.entry
    claim = RowDispute(
        attested.tensor, attested.round, attested.row, dispute.output_root, dispute.row_opening
    )
    steps = _disputed_steps(header, committed_root, rounds, attestation, claim)
    try:
        value = check_cr_opening(header, rounds, attestation.cr_root, attested)
    except InvalidOpening as err:
        raise InvalidDispute(f"the attested entry: {err}") from None
    if _correct_entry(steps, committed_root, verifier, beacon, claim) == value:
        raise InvalidDispute(
            f"the attested entry ({attested.round}, {attested.row}) of output {attested.tensor} is correct"
        )


def correct_cr_entry(
    header: JobHeader,
    committed_root: Digest,
    verifier: bytes,
    beacon: bytes,
    rounds: int,
    attestation: Attestation,
    dispute: RowDispute,
) -> int:
    """What entry (C r_round)_row of output `tensor` of member `verifier`'s valid attestation must
    be: row `row` of C, opened against the committed result, times the member's vector."""
    steps = _disputed_steps(header, committed_root, rounds, attestation, dispute)
    rows = steps[dispute.tensor].shape[0]
    if not (0 <= dispute.round < rounds and 0 <= dispute.row < rows):
        raise InvalidDispute(
            f"entry ({dispute.round}, {dispute.row}) is outside C r of output {dispute.tensor} "
            f"({rounds} x {rows})"
        )
    return _correct_entry(steps, committed_root, verifier, beacon, dispute)


def answered_cr_entry(
    header: JobHeader, rounds: int, cr_root: Digest, disputed: tuple[int, int, int], answer: CrOpening
) -> int:
    """The value that `answer` opens in the member's C r tree (`cr_root`) of the `disputed` entry
    (tensor, round, row)."""
    if (answer.tensor, answer.round, answer.row) != disputed:
        tensor, round_index, row = disputed
        raise InvalidDispute(
            f"the answer opens entry ({answer.round}, {answer.row}) of output {answer.tensor}, "
            f"not the disputed ({round_index}, {row}) of output {tensor}"
        )
    try:
        return check_cr_opening(header, rounds, cr_root, answer)
    except InvalidOpening as err:
        raise InvalidDispute(f"the answered entry: {err}") from None


# -- parts ---------------------------------------------------------------------------------------


def _entry_step(steps: Sequence[StepLayout], proof: FraudProof) -> StepLayout:
    if proof.version != FRAUD_PROOF_VERSION:
        raise InvalidFraudProof(f"unsupported fraud proof version {proof.version}")
    if not 0 <= proof.tensor < len(steps):
        raise InvalidFraudProof(f"output {proof.tensor} does not exist: the job has {len(steps)} outputs")
    rows, cols = steps[proof.tensor].shape
    if not (0 <= proof.row < rows and 0 <= proof.col < cols):
        raise InvalidFraudProof(
            f"entry ({proof.row}, {proof.col}) is outside output {proof.tensor} ({rows} x {cols})"
        )
    return steps[proof.tensor]


def _disputed_steps(
    header: JobHeader, committed_root: Digest, rounds: int, attestation: Attestation, dispute: RowDispute
) -> Sequence[StepLayout]:
    """The job's steps, once the attestation commits to C r of this result and the disputed
    output is a GEMM output whose row is opened under the output root bound into the result."""
    validate_header(header)
    check_rounds(rounds)
    if attestation.result_root != committed_root:
        raise InvalidDispute("the attestation is for another result root")
    if attestation.verdict != "valid" or attestation.rounds != rounds:
        raise InvalidDispute(f"only a valid verdict over {rounds} rounds commits to C r")
    steps = layout(header)
    if not 0 <= dispute.tensor < len(steps) or not isinstance(steps[dispute.tensor], GemmLayout):
        raise InvalidDispute(f"output {dispute.tensor} is not a GEMM output of the job")
    _check_bound_root(header, committed_root, dispute.output_root, InvalidDispute)
    return steps


def _correct_entry(
    steps: Sequence[StepLayout], committed_root: Digest, verifier: bytes, beacon: bytes, dispute: RowDispute
) -> int:
    """Row `row` of the disputed output times the member's vector r_round: O(N)."""
    row = _disputed_row(steps, dispute)
    seed = derive_challenge_seed(committed_root, verifier, beacon)
    return dot(row, challenge_vector(seed, dispute.tensor, len(row), dispute.round))


def _disputed_row(steps: Sequence[StepLayout], dispute: RowDispute) -> list[int]:
    """Row `row` of the disputed output, opened against the output root."""
    tensor, row = dispute.tensor, dispute.row
    cols = steps[tensor].shape[1]
    try:
        return opened_entries(
            output_layout(steps), dispute.output_root, dispute.row_opening, tensor, row * cols, cols
        )
    except InvalidOpening as err:
        raise InvalidDispute(f"row {row} of output {tensor}: {err}") from None


def _check_bound_root(
    header: JobHeader, committed_root: Digest, output_root: Digest, error: type[Exception]
) -> None:
    if result_root(header_digest(header), output_root) != committed_root:
        raise error("the proof's output_root is not the one bound into the result root")


def _recompute(seed: int, step: StepLayout, outputs: ChunkLayout, proof: FraudProof) -> int:
    """The correct value of the proof's entry, from the openings after the first."""
    openings = iter(enumerate(proof.openings[1:], start=1))
    if isinstance(step, RequantLayout):
        cols = step.shape[1]
        first = proof.row * cols + proof.col
        acc = _opened(outputs, proof.output_root, next(openings), step.source, first, 1, "output")
        return requantize_int(acc[0], _bias(seed, step.bias, proof.col, openings), step.shift, step.relu)
    left = _left_row(seed, step.left, proof, outputs, openings)
    right = _right_column(seed, step.right, proof.col, openings)
    return dot(left, right)


def _left_row(
    seed: int,
    operand: SeededOperand | SuppliedOperand | EarlierOutput,
    proof: FraudProof,
    outputs: ChunkLayout,
    openings: Openings,
) -> list[int]:
    if isinstance(operand, SeededOperand):
        return row_entries(seed, operand.which, proof.row, operand.cols, operand.bound)
    if isinstance(operand, SuppliedOperand):
        return _supplied_line(operand, proof.row, next(openings))
    cols = operand.cols
    return _opened(
        outputs, proof.output_root, next(openings), operand.tensor, proof.row * cols, cols, "output"
    )


def _right_column(
    seed: int, operand: SeededOperand | SuppliedOperand, col: int, openings: Openings
) -> list[int]:
    if isinstance(operand, SeededOperand):
        return column_entries(seed, operand.which, col, operand.rows, operand.bound)
    return _supplied_line(operand, col, next(openings))


def _bias(seed: int, bias: SeededBias | SuppliedBias | None, col: int, openings: Openings) -> int:
    if bias is None:
        return 0
    if isinstance(bias, SeededBias):
        return entry(seed, bias.which, 0, col, bias.bound)
    value = _opened(bias.chunks, bias.root, next(openings), 0, col, 1, "supplied bias")[0]
    if abs(value) > bias.bound:
        raise InvalidFraudProof(
            f"supplied bias {col} = {value} is outside its bound: the job, not the result, is invalid"
        )
    return value


def _supplied_line(operand: SuppliedOperand, line: int, item: tuple[int, Opening]) -> list[int]:
    """Row or column `line` of a supplied int8 operand, opened against its input root."""
    number, opening = item
    try:
        data = opened_leaf(opening, operand.leaf(line), operand.size, operand.root)
    except InvalidOpening as err:
        raise InvalidFraudProof(
            f"opening {number} ({operand.axis[:-1]} {line} of a supplied input): {err}"
        ) from None
    if len(data) != operand.line_bytes:
        raise InvalidFraudProof(
            f"opening {number} holds {len(data)} int8 values, the line has {operand.line_bytes}"
        )
    values = [byte - 256 if byte > 127 else byte for byte in data]
    if any(abs(value) > operand.bound for value in values):
        raise InvalidFraudProof(
            f"a supplied {operand.axis[:-1]} is outside its bound: the job, not the result, is invalid"
        )
    return values


def _opened(
    chunks: ChunkLayout,
    root: Digest,
    item: tuple[int, Opening],
    tensor: int,
    first: int,
    count: int,
    what: str,
) -> list[int]:
    """Entries of a chunked tensor (`what`: an output, or a supplied bias) from one of the openings."""
    number, opening = item
    try:
        return opened_entries(chunks, root, opening, tensor, first, count)
    except InvalidOpening as err:
        label = f"output {tensor}" if what == "output" else what
        raise InvalidFraudProof(f"opening {number} ({label}): {err}") from None
