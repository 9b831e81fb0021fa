"""The largest fraud proof and attestation dispute a job can need, in encoded bytes.

No NumPy: vm/compute imports this module. A wrong result that cannot be proven wrong on chain, or
a false attestation that cannot be disputed, would stand, so the chain refuses at submission a job
for which either proof could outgrow a transaction. Sizes follow gpu/proofs.py's layouts:

    fraud proof  FRAUD_PROOF_FIXED_BYTES (49) + the entry's opening (output tree) + one opening
                 per read of gpu/onchain.py `fraud_reads`
    dispute      DISPUTE_FIXED_BYTES (49) + the entry's opening (C r tree, gpu/attestation.py)
                 + the row's opening (output tree)
    opening      OPENING_FIXED_BYTES (13) + its data + 32 bytes per proof hash

Each opening is taken at its worst over the job's entries. An output entry, an accumulator entry,
a supplied bias entry or a C r entry is one leaf: its tensor's chunk (1 KiB, or the whole tensor
if smaller) with a single leaf's longest path, ceil(log2 leaves). An output row of N entries
starts at a multiple of N: it spans at most as many leaves as the worst-aligned row does, with
the most hashes a run of that many leaves takes anywhere in the tree (gpu/merkle.py
`max_proof_hashes`). A supplied row or column is its K bytes with a single leaf's longest path.

The results bound every proof's encoded size, and equal the largest proof whenever one entry has
the worst of every opening at once: for a GEMM, entry (0, 0), whose openings are all leaf 0.
"""

from gpu.attestation import cr_layout, gemm_tensors
from gpu.challenge import MAX_ROUNDS
from gpu.header import EarlierOutput, JobHeader, StepLayout, SuppliedBias, layout, output_layout
from gpu.merkle import CHUNK_BYTES, ChunkLayout, max_proof_hashes
from gpu.onchain import Read, fraud_reads
from gpu.proofs import DISPUTE_FIXED_BYTES, FRAUD_PROOF_FIXED_BYTES, opening_bytes


def max_fraud_proof_bytes(header: JobHeader) -> int:
    """The largest encoded fraud proof of any entry of any output of the job."""
    steps = layout(header)
    outputs = output_layout(steps)
    return max(_max_fraud_proof_bytes(outputs, tensor, step) for tensor, step in enumerate(steps))


def max_dispute_bytes(header: JobHeader, rounds: int = MAX_ROUNDS) -> int:
    """The largest encoded dispute of any C r entry of any GEMM output of the job, for a committee
    checking `rounds` rounds; by default the most a committee may check (gpu/challenge.py), so the
    bound holds whatever rounds the chain's params set later."""
    steps = layout(header)
    outputs = output_layout(steps)
    tensors = gemm_tensors(steps)
    vectors = cr_layout([steps[tensor].shape[0] for tensor in tensors], rounds)
    return max(
        DISPUTE_FIXED_BYTES
        + max_opening_bytes(vectors, index, 1)
        + max_opening_bytes(outputs, tensor, steps[tensor].shape[1])
        for index, tensor in enumerate(tensors)
    )


def max_opening_bytes(chunks: ChunkLayout, tensor: int, count: int) -> int:
    """The largest encoded opening of entries i count .. (i + 1) count - 1 of `tensor`, over
    every i: one entry (count 1) or one row (count the row length)."""
    rows, cols = chunks.shapes[tensor]
    entries, per_chunk = rows * cols, chunks.per_chunk
    # Where a run starts within its first chunk repeats with a period of at most per_chunk runs.
    offset = max(run * count % per_chunk for run in range(min(entries // count, per_chunk)))
    tensor_leaves = chunks.offsets[tensor + 1] - chunks.offsets[tensor]
    leaves = min((offset + count - 1) // per_chunk + 1, tensor_leaves)
    data = min(leaves * CHUNK_BYTES, entries * chunks.entry_bytes)
    return opening_bytes(data, max_proof_hashes(chunks.size, leaves))


def _max_fraud_proof_bytes(outputs: ChunkLayout, tensor: int, step: StepLayout) -> int:
    reads = sum(_max_read_bytes(outputs, read) for read in fraud_reads(step))
    return FRAUD_PROOF_FIXED_BYTES + max_opening_bytes(outputs, tensor, 1) + reads


def _max_read_bytes(outputs: ChunkLayout, read: Read) -> int:
    if isinstance(read, int):  # an activation's accumulator: one entry of output `read`
        return max_opening_bytes(outputs, read, 1)
    if isinstance(read, EarlierOutput):
        return max_opening_bytes(outputs, read.tensor, read.cols)
    if isinstance(read, SuppliedBias):
        return max_opening_bytes(read.chunks, 0, 1)
    return opening_bytes(read.line_bytes, max_proof_hashes(read.size, 1))
