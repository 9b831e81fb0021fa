"""Compiled CPU kernels for Freivalds' products: matrix times a few vectors, in exact int64.

A verifier's work is O(n^2) entries, each touched once: regenerating a seeded entry (gpu/prng.py)
and multiplying it into `rounds` accumulators. In NumPy every step of that is a separate pass over
a temporary array; compiled with Numba it is one loop over registers, which is what lets
verification cost a few percent of recomputation (docs/benchmarks.md). The kernels release the
GIL, so a verifier runs them on every core while another thread hashes the outputs.

Exactness: each row's sum over a TILE of columns is taken in the vectors' dtype and added to an
int64 total. In float64 (see `prepare_vectors`) every such partial sum is an integer below 2^53,
so exact in any order (hence fast-math reassociation is harmless); in int64 callers keep every
total below 2^63 (gpu/verify.py). The results are integers, identical on every machine.

Importing Numba takes ~0.6 s, so only code that verifies imports this module; compiled code is
cached beside it on disk.
"""

import numba
import numpy as np
from numpy.typing import NDArray

from gpu.prng_scalar import MIX32_M1, MIX32_M2

GROUP = 3  # vectors are taken three at a time: one pass over the entries feeds three sums
BLOCK = 4  # rows taken at a time: one load of a vector entry feeds BLOCK sums
TILE = 2048  # entries summed in the vectors' dtype before the sum joins an int64 total
FAST = {"reassoc", "contract"}  # vectorised float sums: exact here in any order (see above)

_M1 = np.uint32(MIX32_M1)
_M2 = np.uint32(MIX32_M2)
_U16 = np.uint32(16)
_U15 = np.uint32(15)

Words = NDArray[np.uint32]
Vectors = NDArray[np.float64] | NDArray[np.int64]
Int64s = NDArray[np.int64]


def prepare_vectors(vectors: Int64s, bound: int) -> Vectors:
    """`vectors` (rounds x cols) as the kernels take them for entries in [-bound, bound]:
    C-contiguous, zero rows added up to a multiple of GROUP, and float64 when the sum of any
    TILE products is below 2^53 in magnitude (so exact, and faster), int64 otherwise."""
    largest = int(np.abs(vectors).max(initial=0))
    dtype = np.float64 if bound * largest * TILE < 1 << 53 else np.int64
    rounds, cols = vectors.shape
    grouped = np.zeros((-(-rounds // GROUP) * GROUP, cols), dtype)
    grouped[:rounds] = vectors
    return grouped


@numba.njit(inline="always")
def _entry(word: np.uint32, span: np.uint32, bound: np.int32) -> np.int32:
    """prng's `mix32` and mapping to [-bound, bound] of one 32-bit word (span = 2 * bound + 1)."""
    x = np.uint32(np.uint32(word ^ (word >> _U16)) * _M1)
    x = np.uint32(np.uint32(x ^ (x >> _U15)) * _M2)
    x = np.uint32(x ^ (x >> _U16))
    return np.int32(np.uint32((x >> _U16) * span) >> _U16) - bound


@numba.njit(nogil=True, cache=True, boundscheck=False, fastmath=FAST)
def seeded_times(row_words: Words, col_words: Words, bound: int, vectors: Vectors, out: Int64s) -> None:
    """out[i, k] = sum_j entry(i, j) * vectors[k, j] over the seeded block the words define.

    The block's entry (i, j) is prng's entry for row word i and column word j. `vectors` is
    C-contiguous, its row count a multiple of GROUP; `out` is rows x that count.
    """
    span = np.uint32(2 * bound + 1)
    low = np.int32(bound)
    rows = row_words.shape[0]
    entries = np.empty((BLOCK, TILE), np.int32)
    totals = np.empty((BLOCK, vectors.shape[0]), np.int64)
    for first in range(0, rows, BLOCK):
        block = _block_rows(first, rows)
        totals[:] = 0
        for start in range(0, col_words.shape[0], TILE):
            # Slices, not start + j indices: the loops below then compile to SIMD instructions.
            words = col_words[start : start + TILE]
            width = words.shape[0]
            for k in range(BLOCK):
                row_word = row_words[block[k]]
                for j in range(width):
                    entries[k, j] = _entry(np.uint32(row_word ^ words[j]), span, low)
            e0, e1, e2, e3 = entries[0, :width], entries[1, :width], entries[2, :width], entries[3, :width]
            _add_tile(e0, e1, e2, e3, vectors, start, totals)
        for k in range(BLOCK):
            out[block[k]] = totals[k]


@numba.njit(nogil=True, cache=True, boundscheck=False, fastmath=FAST)
def dense_times(matrix: NDArray[np.int32], bound: int, vectors: Vectors, out: Int64s) -> int:
    """out[i, k] = sum_j matrix[i, j] * vectors[k, j], as `seeded_times`. Returns the first row
    holding an entry outside [-bound, bound] (the products from that row on are not computed), or
    -1 if none does."""
    rows = matrix.shape[0]
    totals = np.empty((BLOCK, vectors.shape[0]), np.int64)
    beyond = np.empty(BLOCK, np.bool_)
    for first in range(0, rows, BLOCK):
        block = _block_rows(first, rows)
        totals[:] = 0
        beyond[:] = False
        for start in range(0, matrix.shape[1], TILE):
            tiles = (
                matrix[block[0], start : start + TILE],
                matrix[block[1], start : start + TILE],
                matrix[block[2], start : start + TILE],
                matrix[block[3], start : start + TILE],
            )
            for k in range(BLOCK):
                beyond[k] |= tiles[k].min() < -bound or tiles[k].max() > bound
            _add_tile(tiles[0], tiles[1], tiles[2], tiles[3], vectors, start, totals)
        for k in range(BLOCK):
            if beyond[k]:
                return block[k]
            out[block[k]] = totals[k]
    return -1


@numba.njit(inline="always")
def _block_rows(first: int, rows: int) -> tuple[int, int, int, int]:
    """BLOCK row indices from `first`; past the last row, the last row again (its sums are then
    computed again and stored again, the same)."""
    last = rows - 1
    return (first, min(first + 1, last), min(first + 2, last), min(first + 3, last))


@numba.njit(inline="always")
def _add_tile(
    e0: NDArray[np.int32],
    e1: NDArray[np.int32],
    e2: NDArray[np.int32],
    e3: NDArray[np.int32],
    vectors: Vectors,
    start: int,
    totals: Int64s,
) -> None:
    """Add the tile's products of BLOCK rows of entries with each GROUP of vectors to `totals`.

    Each vector entry is loaded once for BLOCK * GROUP sums, in the vectors' dtype.
    """
    zero = vectors[0, 0] * 0
    width = e0.shape[0]
    for g in range(0, vectors.shape[0], GROUP):
        v0 = vectors[g, start : start + width]
        v1 = vectors[g + 1, start : start + width]
        v2 = vectors[g + 2, start : start + width]
        a0 = a1 = a2 = b0 = b1 = b2 = c0 = c1 = c2 = d0 = d1 = d2 = zero
        for j in range(width):
            w0, w1, w2 = v0[j], v1[j], v2[j]
            x = e0[j] + zero  # converted once, to the vectors' dtype
            a0 += x * w0
            a1 += x * w1
            a2 += x * w2
            x = e1[j] + zero
            b0 += x * w0
            b1 += x * w1
            b2 += x * w2
            x = e2[j] + zero
            c0 += x * w0
            c1 += x * w1
            c2 += x * w2
            x = e3[j] + zero
            d0 += x * w0
            d1 += x * w1
            d2 += x * w2
        sums = ((a0, a1, a2), (b0, b1, b2), (c0, c1, c2), (d0, d1, d2))
        for k in range(BLOCK):
            for m in range(GROUP):
                totals[k, g + m] += np.int64(sums[k][m])
