"""A committee member's check of fetched outputs, and what its attestation needs.

The member's challenge seed is derived, never chosen: SHA-256 over the result root, the member's
identity and a beacon value from after the result was on chain (gpu/challenge.py). With it,
gpu/verify.py runs Freivalds' check (`rounds`: the chain parameter) on the outputs file, which is
memory-mapped rather than read: the check holds the outputs once, as the page cache's pages,
plus what gpu/verify.py allocates: C r (rounds int64 per output row), the leaf hashes (32 bytes
per KiB) and a few MiB of blocks (an MLP's activations are checked 2^18 entries at a time).
Measured with tracemalloc: 0.5 MiB for 4 MiB of gemm outputs, 11 MiB for 10 MiB of mlp outputs.

The result is what the member posts: its attestation (verdict and the root of its vectors C r),
and for a wrong result the encoded fraud proof of the first wrong entry. For a valid verdict the
member must later be able to open any entry of C r on request (the chain judges disputes of
attestations from such openings), so the `CrCommitment` comes back too, and `save_cr` /
`load_cr` keep it on disk across restarts: C r is small (rounds x 8 bytes per output row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from gpu.attestation import CR_ENTRY_BYTES, CrCommitment
from gpu.challenge import derive_challenge_seed
from gpu.commit import OUTPUT_DTYPE, commit_arrays
from gpu.jobs import JobSpec, output_shapes, validate_spec
from gpu.merkle import ChunkLayout
from gpu.proofs import Attestation, AttestedVerdict, encode_attestation, encode_fraud_proof
from gpu.verify import verify_result
from node.outputs.layout import Shape, output_size

CR_RECORD = "cr.json"
CR_DATA = "cr.bin"
CR_VERSION = 1
MAX_CR_RECORD_BYTES = 1 << 20
CR_DTYPE = np.dtype(f"<i{CR_ENTRY_BYTES}")


class OutputsMismatch(Exception):
    """The file does not hold the committed outputs (it is not what the fetcher accepted)."""


class CrStoreError(Exception):
    """A saved C r commitment is missing, damaged, or not the one attested."""


@dataclass(frozen=True)
class CheckResult:
    verdict: AttestedVerdict
    reason: str
    challenge_seed: bytes
    attestation: Attestation
    fraud_proof: bytes | None  # encoded (gpu/proofs.py); only for a fraud verdict
    cr: CrCommitment | None  # only for a valid verdict: opens entries of C r for disputes

    @property
    def encoded_attestation(self) -> bytes:
        return encode_attestation(self.attestation)


def check_outputs(
    spec: JobSpec,
    outputs_file: Path,
    result_root: bytes,
    verifier: bytes,
    beacon: bytes,
    rounds: int,
    workers: int | None = None,
) -> CheckResult:
    """Check the outputs in `outputs_file` (canonical bytes, as fetched) of the result committed as
    `result_root`, as member `verifier` under `beacon`, on `workers` threads (default: every core)."""
    validate_spec(spec)
    seed = derive_challenge_seed(result_root, verifier, beacon)
    outputs = map_outputs(outputs_file, output_shapes(spec))
    verdict = verify_result(spec, outputs, result_root, seed, rounds, workers)
    if verdict.status == "mismatch" or verdict.attestation is None:
        raise OutputsMismatch(f"{outputs_file}: {verdict.reason}")
    proof = None if verdict.proof is None else encode_fraud_proof(verdict.proof)
    attestation = verdict.attestation
    return CheckResult(attestation.verdict, verdict.reason, seed, attestation, proof, verdict.cr)


def map_outputs(path: Path, shapes: tuple[Shape, ...]) -> tuple[NDArray[np.int32], ...]:
    """The output tensors in `path`, memory-mapped: views of the file's pages, not copies.

    Mapped copy-on-write rather than read-only: nothing writes to them, and writable arrays are
    the type the compiled kernels were built for (a read-only array is another type to Numba,
    compiled anew)."""
    size = path.stat().st_size
    if size != output_size(shapes):
        raise OutputsMismatch(f"{path} is {size} bytes; the job's outputs are {output_size(shapes)}")
    tensors, offset = [], 0
    for rows, cols in shapes:
        mapped = np.memmap(path, dtype=OUTPUT_DTYPE, mode="c", offset=offset, shape=(rows, cols))
        tensors.append(mapped.view(np.ndarray))  # a plain array over the same pages
        offset += output_size([(rows, cols)])
    return tuple(tensors)


# -- keeping C r for disputes -----------------------------------------------------------------------


def save_cr(directory: Path, cr: CrCommitment) -> None:
    """Write the C r commitment to `directory` (cr.json: layout and root; cr.bin: the vectors)."""
    directory.mkdir(parents=True, exist_ok=True)
    layout = cr.chunks.layout
    with (directory / CR_DATA).open("wb") as data:
        for tensor in cr.chunks.tensors:
            data.write(tensor)
    record = {
        "version": CR_VERSION,
        "tensors": list(cr.tensors),
        "shapes": [list(shape) for shape in layout.shapes],
        "root": cr.root.hex(),
    }
    (directory / CR_RECORD).write_text(json.dumps(record) + "\n", encoding="utf-8")


def load_cr(directory: Path, cr_root: bytes) -> CrCommitment:
    """The C r commitment saved in `directory`, rebuilt and checked to have the attested root."""
    tensors, shapes = _read_cr_record(directory)
    layout = ChunkLayout(shapes, CR_ENTRY_BYTES)
    path = directory / CR_DATA
    expected = sum(rows * cols for rows, cols in shapes) * CR_ENTRY_BYTES
    if not path.is_file() or path.stat().st_size != expected:
        raise CrStoreError(f"{path} is missing or not {expected} bytes")
    arrays, offset = [], 0
    for rows, cols in shapes:
        arrays.append(np.fromfile(path, CR_DTYPE, rows * cols, offset=offset).reshape(rows, cols))
        offset += rows * cols * CR_ENTRY_BYTES
    cr = CrCommitment(tensors, commit_arrays(layout, arrays))
    if cr.root != cr_root:
        raise CrStoreError(f"{directory} holds C r with root {cr.root.hex()}, not {cr_root.hex()}")
    return cr


def _read_cr_record(directory: Path) -> tuple[tuple[int, ...], tuple[Shape, ...]]:
    path = directory / CR_RECORD
    try:
        if path.stat().st_size > MAX_CR_RECORD_BYTES:
            raise CrStoreError(f"{path} is over {MAX_CR_RECORD_BYTES} bytes")
        record = json.loads(path.read_text(encoding="utf-8"))
        tensors = tuple(int(t) for t in record["tensors"])
        shapes = tuple((int(rows), int(cols)) for rows, cols in record["shapes"])
        version = record["version"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CrStoreError(f"{path} is not a saved C r commitment: {err}") from None
    if version != CR_VERSION or len(tensors) != len(shapes):
        raise CrStoreError(f"{path} is not a version {CR_VERSION} C r record")
    return tensors, shapes
