"""The counter-based PRNG of job inputs in Python integers: the reference, importable without NumPy.

gpu/prng.py documents the definition and vectorises it; this module is what the chain imports to
regenerate single entries, rows and columns of seeded inputs when it checks a fraud proof. No
NumPy, no floats, no randomness.

Rows and columns are what a fraud proof needs, K entries each, so they are computed in lanes: the
K generator states sit in 128-bit lanes of one Python integer and each step of the mixers is one
big-integer operation over all of them (a lane's products stay below 2^128, and each shift is
masked back to its lane, so no lane reaches another). The result is the same as entry by entry
(`row_entries_reference`), about four times faster.
"""

import operator
import struct
from collections.abc import Sequence
from functools import lru_cache

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # splitmix64's increment
MIX64_M1 = 0xBF58476D1CE4E5B9  # splitmix64's finaliser (Stafford's Mix13)
MIX64_M2 = 0x94D049BB133111EB
MIX32_M1 = 0x7FEB352D  # "lowbias32" (C. Wellons, hash-prospector)
MIX32_M2 = 0x846CA68B
# The mapping multiplies 16 bits of the word by 2b + 1 in uint32, so 2b + 1 must stay below 2^16.
MAX_BOUND = (1 << 15) - 1
MAX_SEED = MASK64
MAX_INDEX = (1 << 31) - 1


def mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * MIX64_M1) & MASK64
    z = ((z ^ (z >> 27)) * MIX64_M2) & MASK64
    return z ^ (z >> 31)


def stream(key: int, position: int) -> int:
    """Output number `position` of the splitmix64 generator seeded with `key`."""
    return mix64((key + (position + 1) * GOLDEN) & MASK64)


def mix32(x: int) -> int:
    x = ((x ^ (x >> 16)) * MIX32_M1) & MASK32
    x = ((x ^ (x >> 15)) * MIX32_M2) & MASK32
    return x ^ (x >> 16)


def matrix_key(seed: int, which: int) -> int:
    # mix64(seed) first: with the raw seed, seeds s and s + GOLDEN would share matrices.
    return stream(mix64(seed), which)


def row_word(key: int, i: int) -> int:
    return stream(key, 2 * i) & MASK32


def col_word(key: int, j: int) -> int:
    return stream(key, 2 * j + 1) & MASK32


def word(seed: int, which: int, i: int, j: int) -> int:
    """The uniform 32-bit word behind entry (i, j)."""
    key = matrix_key(seed, which)
    return mix32(row_word(key, i) ^ col_word(key, j))


def map_word(word32: int, bound: int) -> int:
    """A 32-bit word to [-bound, bound]: the top 16 bits times 2b + 1, over 2^16."""
    return ((mix32(word32) >> 16) * (2 * bound + 1) >> 16) - bound


def entry(seed: int, which: int, i: int, j: int, bound: int) -> int:
    """Entry (i, j) of seeded matrix `which`."""
    check_args(seed, bound)
    key = matrix_key(seed, which)
    return map_word(row_word(key, i) ^ col_word(key, j), bound)


def row_entries(seed: int, which: int, i: int, cols: int, bound: int) -> list[int]:
    """Entries (i, 0) ... (i, cols - 1): O(cols), the row's word computed once."""
    check_args(seed, bound)
    key = matrix_key(seed, which)
    # Column j's word is stream(key, 2 j + 1): positions 1, 3, 5, ...
    return _line(key, 2 * GOLDEN, cols, row_word(key, i), bound)


def column_entries(seed: int, which: int, j: int, rows: int, bound: int) -> list[int]:
    """Entries (0, j) ... (rows - 1, j): O(rows), the column's word computed once."""
    check_args(seed, bound)
    key = matrix_key(seed, which)
    # Row i's word is stream(key, 2 i): positions 0, 2, 4, ...
    return _line(key, GOLDEN, rows, col_word(key, j), bound)


def row_entries_reference(seed: int, which: int, i: int, cols: int, bound: int) -> list[int]:
    """`row_entries` entry by entry: the definition the lanes must match."""
    check_args(seed, bound)
    key = matrix_key(seed, which)
    word_i = row_word(key, i)
    return [map_word(word_i ^ col_word(key, j), bound) for j in range(cols)]


def column_entries_reference(seed: int, which: int, j: int, rows: int, bound: int) -> list[int]:
    """`column_entries` entry by entry."""
    check_args(seed, bound)
    key = matrix_key(seed, which)
    word_j = col_word(key, j)
    return [map_word(row_word(key, i) ^ word_j, bound) for i in range(rows)]


def dot(left: Sequence[int], right: Sequence[int]) -> int:
    """The exact integer dot product of two equally long sequences."""
    if len(left) != len(right):
        raise ValueError(f"a dot product of lengths {len(left)} and {len(right)}")
    return sum(map(operator.mul, left, right))


# -- lanes ----------------------------------------------------------------------------------------

LANE_BYTES = 16


class _Lanes:
    """For n lanes: ones (1 in each lane), iota (lane i holds i) and the lane masks."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.ones = int.from_bytes((b"\x01" + bytes(LANE_BYTES - 1)) * n, "little")
        halves = [0] * (2 * n)
        halves[0::2] = range(n)
        self.iota = int.from_bytes(struct.pack(f"<{2 * n}Q", *halves), "little")
        self.mask64 = self.ones * MASK64
        self.mask32 = self.ones * MASK32
        self.mask16 = self.ones * 0xFFFF

    def unpack(self, packed: int) -> tuple[int, ...]:
        """Each lane's value (below 2^64), lane 0 first."""
        return struct.unpack(f"<{2 * self.n}Q", packed.to_bytes(LANE_BYTES * self.n, "little"))[0::2]


@lru_cache(maxsize=4)
def _lanes(n: int) -> _Lanes:
    return _Lanes(n)


def clear_lane_cache() -> None:
    """Forget the lane constants kept for the last few lengths (benchmarks time a cold check)."""
    _lanes.cache_clear()


def _line(key: int, first: int, n: int, other_word: int, bound: int) -> list[int]:
    """map_word(mix64((key + first + t * 2 GOLDEN) mod 2^64) mod 2^32 ^ other_word) for t < n:
    a row's or a column's entries, one lane per entry."""
    if n == 0:
        return []
    lanes = _lanes(n)
    step = (2 * GOLDEN) & MASK64
    states = (lanes.ones * ((key + first) & MASK64) + lanes.iota * step) & lanes.mask64
    words = _mix64_lanes(states, lanes.mask64) & lanes.mask32
    mixed = _mix32_lanes(words ^ (lanes.ones * other_word), lanes.mask32)
    offsets = ((((mixed >> 16) & lanes.mask16) * (2 * bound + 1)) >> 16) & lanes.mask16
    return [value - bound for value in lanes.unpack(offsets)]


def _mix64_lanes(z: int, mask: int) -> int:
    z = ((z ^ ((z >> 30) & mask)) * MIX64_M1) & mask
    z = ((z ^ ((z >> 27) & mask)) * MIX64_M2) & mask
    return z ^ ((z >> 31) & mask)


def _mix32_lanes(x: int, mask: int) -> int:
    x = ((x ^ ((x >> 16) & mask)) * MIX32_M1) & mask
    x = ((x ^ ((x >> 15) & mask)) * MIX32_M2) & mask
    return x ^ ((x >> 16) & mask)


def check_args(seed: int, bound: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed {seed} is outside [0, 2^64)")
    if not 1 <= bound <= MAX_BOUND:
        raise ValueError(f"bound {bound} is outside [1, {MAX_BOUND}]")
