"""Counter-based PRNG for job inputs.

Entry (i, j) of seeded matrix `which` is a pure function of (seed, which, i, j): any entry, row,
column or block is regenerated on its own, in any order, on the CPU or a GPU. The definition:

    key     = splitmix64 stream of mix64(seed), output number `which`
    row_i   = low 32 bits of the splitmix64 stream of key, output 2i
    col_j   = low 32 bits of the splitmix64 stream of key, output 2j + 1
    word    = mix32(row_i XOR col_j)                     (a 32-bit bijective mixer)
    entry   = floor((word >> 16) * (2b + 1) / 2^16) - b   (in [-b, b])

The per-row and per-column words cost O(rows + cols) in uint64; the per-entry part runs in uint32,
which CPUs vectorise 3-4x better than uint64 (AVX2 has no 64-bit multiply) and which decides how
fast a validator regenerates inputs. The mapping reads the top 16 bits of the word so that it is
one 32-bit multiply (2b + 1 < 2^16, so the product fits): each value of [-b, b] has floor or ceil
of 2^16 / (2b + 1) of the 2^16 preimages, within 1/15 of uniform for every b <= 2048 (all GEMM
operands), which is all a synthetic input needs. Two rows coincide only if their 32-bit words collide
(probability <= rows^2 / 2^33), which saves a cheating provider a negligible share of the work.

`entry` (gpu/prng_scalar.py, no NumPy: the chain imports it) is the scalar reference in Python
integers; `matrix_block` is the vectorised version for NumPy or CuPy (passed as `xp`); tests hold
them equal.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

from gpu.prng_scalar import (
    GOLDEN,
    MASK32,
    MAX_BOUND,
    MAX_INDEX,
    MAX_SEED,
    MIX32_M1,
    MIX32_M2,
    MIX64_M1,
    MIX64_M2,
    entry,
    matrix_key,
    word,
)

# The scalar reference is re-exported: gpu.prng is the one place NumPy code looks for the PRNG.
__all__ = [
    "GOLDEN",
    "MAX_BOUND",
    "MAX_INDEX",
    "MAX_SEED",
    "entries",
    "entry",
    "line_words",
    "matrix",
    "matrix_block",
    "word",
]

# NumPy works on blocks of about this many entries so that temporaries stay in the L2 cache.
NUMPY_BLOCK_ENTRIES = 1 << 16
# CuPy works on blocks of this many entries to bound the device memory temporaries take.
DEVICE_BLOCK_ENTRIES = 1 << 26

Span = tuple[int, int]
ArrayModule = Any  # numpy, or cupy (untyped)
Words = NDArray[np.uint32]


def matrix(seed: int, which: int, rows: int, cols: int, bound: int, xp: ArrayModule = np) -> Any:
    """The whole `rows` x `cols` seeded matrix as int32 (on the device of `xp`)."""
    return matrix_block(seed, which, (0, rows), (0, cols), bound, xp)


def matrix_block(seed: int, which: int, rows: Span, cols: Span, bound: int, xp: ArrayModule = np) -> Any:
    """Rows [rows[0], rows[1]) and columns [cols[0], cols[1]) of a seeded matrix, as int32."""
    row_words, col_words = line_words(seed, which, rows, cols)
    return entries(row_words, col_words, bound, xp)


def line_words(seed: int, which: int, rows: Span, cols: Span) -> tuple[Words, Words]:
    """The 32-bit words of rows [rows[0], rows[1]) and of columns [cols[0], cols[1]).

    Callers that generate many blocks of one matrix compute these once and slice them.
    """
    _check_seed(seed)
    _check_span(rows)
    _check_span(cols)
    key = matrix_key(seed, which)
    row_words = _stream_words(key, 2 * np.arange(*rows, dtype=np.uint64))
    col_words = _stream_words(key, 2 * np.arange(*cols, dtype=np.uint64) + np.uint64(1))
    return row_words, col_words


def entries(row_words: Words, col_words: Words, bound: int, xp: ArrayModule = np) -> Any:
    """The int32 block whose entry (i, j) comes from row_words[i] and col_words[j]."""
    _check_bound(bound)
    device_rows, device_cols = xp.asarray(row_words), xp.asarray(col_words)
    limit = NUMPY_BLOCK_ENTRIES if xp is np else DEVICE_BLOCK_ENTRIES
    step = max(1, limit // max(1, len(col_words)))
    if step >= len(row_words):  # one cache-sized block: no copy into a larger output
        return _entries(device_rows[:, None] ^ device_cols[None, :], bound)
    out = xp.empty((len(row_words), len(col_words)), dtype=np.int32)
    for start in range(0, len(row_words), step):
        stop = min(start + step, len(row_words))
        out[start:stop] = _entries(device_rows[start:stop, None] ^ device_cols[None, :], bound)
    return out


def _stream_words(key: int, positions: NDArray[np.uint64]) -> NDArray[np.uint32]:
    """Low 32 bits of `stream(key, p)` for each p; uint64 arithmetic wraps as in `stream`."""
    z = np.uint64(key) + (positions + np.uint64(1)) * np.uint64(GOLDEN)
    z ^= z >> np.uint64(30)
    z *= np.uint64(MIX64_M1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(MIX64_M2)
    z ^= z >> np.uint64(31)
    return (z & np.uint64(MASK32)).astype(np.uint32)


def _entries(x: Any, bound: int) -> Any:
    """`mix32` then the mapping to [-bound, bound], in place on a fresh uint32 array `x`."""
    u32 = np.uint32
    x ^= x >> u32(16)
    x *= u32(MIX32_M1)
    x ^= x >> u32(15)
    x *= u32(MIX32_M2)
    x ^= x >> u32(16)
    x >>= u32(16)
    x *= u32(2 * bound + 1)  # < 2^16 * 2^16
    x >>= u32(16)
    values = x.view(np.int32)  # now in [0, 2 * bound]
    values -= np.int32(bound)
    return values


def _check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed {seed} is outside [0, 2^64)")


def _check_bound(bound: int) -> None:
    if not 1 <= bound <= MAX_BOUND:
        raise ValueError(f"bound {bound} is outside [1, {MAX_BOUND}]")


def _check_span(span: Span) -> None:
    start, stop = span
    if not 0 <= start <= stop <= MAX_INDEX + 1:
        raise ValueError(f"index span {span} is not within [0, 2^31)")
