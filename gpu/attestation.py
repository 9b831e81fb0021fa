"""The commitment to a verifier's vectors C r, behind every valid attestation.

No NumPy: the chain imports this module to check an opened entry.

A member that calls a result valid attests with the root of its vectors C r: for each GEMM output
t of the job (in plan order) and each round k, the vector C_t r_{t,k}, whose entry i is row i of
C_t times r_{t,k}. Each output's vectors form a (rounds x M) tensor of int64 entries
(|C r| <= N 2^22 2^20 <= 2^56 for a result in range), committed in 1 KiB chunks (128 entries per
leaf) like the outputs (gpu/merkle.py). Any entry can later be opened with its path, and the chain
recomputes row i of C (opened against the result root) times r in O(N): a member that attested
without computing C r has committed to wrong entries, and one opened entry shows it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gpu.errors import InvalidOpening
from gpu.header import GemmLayout, JobHeader, StepLayout, layout
from gpu.merkle import ChunkedCommitment, ChunkLayout, Digest, commit_chunks, opened_entries
from gpu.proofs import CrOpening

CR_ENTRY_BYTES = 8


def gemm_tensors(steps: Sequence[StepLayout]) -> tuple[int, ...]:
    """The plan index of each GEMM output: the order of the C r tensors."""
    return tuple(t for t, step in enumerate(steps) if isinstance(step, GemmLayout))


def cr_layout(rows: Sequence[int], rounds: int) -> ChunkLayout:
    """One (rounds x M) int64 tensor per GEMM output (M = rows[i]), in plan order."""
    return ChunkLayout(tuple((rounds, m) for m in rows), CR_ENTRY_BYTES)


def cr_bytes(vectors: Sequence[Sequence[int]]) -> bytes:
    """The canonical bytes of one output's vectors (rounds x M): int64 little-endian, row-major."""
    return b"".join(value.to_bytes(CR_ENTRY_BYTES, "little", signed=True) for row in vectors for value in row)


@dataclass(frozen=True)
class CrCommitment:
    """A verifier's C r vectors and their chunked tree."""

    tensors: tuple[int, ...]  # the plan index of each GEMM output
    chunks: ChunkedCommitment

    @property
    def root(self) -> Digest:
        return self.chunks.root

    def open_entry(self, tensor: int, round_index: int, row: int) -> CrOpening:
        """Entry `row` of C r_round of output `tensor`, with its Merkle path."""
        index = self.tensors.index(tensor)
        rounds, rows = self.chunks.layout.shapes[index]
        if not (0 <= round_index < rounds and 0 <= row < rows):
            raise IndexError(
                f"entry ({round_index}, {row}) is outside C r of output {tensor} ({rounds} x {rows})"
            )
        opening = self.chunks.open_entries(index, round_index * rows + row, 1)
        value = opened_entries(self.chunks.layout, self.root, opening, index, round_index * rows + row, 1)[0]
        return CrOpening(tensor, round_index, row, value, opening)


def commit_cr(steps: Sequence[StepLayout], vectors: Mapping[int, Sequence[Sequence[int]]]) -> CrCommitment:
    """Commit vectors[t][k][i] = (C_t r_{t,k})_i for every GEMM output t (the pure-integer path)."""
    tensors = gemm_tensors(steps)
    if sorted(vectors) != list(tensors):
        raise ValueError(f"C r is needed for outputs {list(tensors)}, got {sorted(vectors)}")
    rounds = {len(vectors[t]) for t in tensors}
    if len(rounds) != 1:
        raise ValueError("every output needs the same number of rounds")
    chunk_layout = cr_layout([steps[t].shape[0] for t in tensors], rounds.pop())
    return CrCommitment(tensors, commit_chunks(chunk_layout, [cr_bytes(vectors[t]) for t in tensors]))


def check_cr_opening(header: JobHeader, rounds: int, cr_root: Digest, entry: CrOpening) -> int:
    """The value of an opened C r entry, checked against a member's root; InvalidOpening if the
    opening does not prove it."""
    steps = layout(header)
    tensors = gemm_tensors(steps)
    if entry.tensor not in tensors:
        raise InvalidOpening(f"output {entry.tensor} is not a GEMM output: it has no C r")
    rows = steps[entry.tensor].shape[0]
    if not (0 <= entry.round < rounds and 0 <= entry.row < rows):
        raise InvalidOpening(f"entry ({entry.round}, {entry.row}) is outside C r ({rounds} x {rows})")
    index = tensors.index(entry.tensor)
    chunk_layout = cr_layout([steps[t].shape[0] for t in tensors], rounds)
    value = opened_entries(chunk_layout, cr_root, entry.opening, index, entry.round * rows + entry.row, 1)[0]
    if value != entry.value:
        raise InvalidOpening(f"the opened C r entry is {value}, the opening claims {entry.value}")
    return value
