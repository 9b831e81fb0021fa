"""The counter-based PRNG of job inputs in Python integers: the reference, importable without NumPy.

gpu/prng.py documents the definition and vectorises it; this module is what the chain imports to
regenerate single entries, rows and columns of seeded inputs when it checks a fraud proof. No
NumPy, no floats, no randomness.
"""

from collections.abc import Sequence

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
    word_i = row_word(key, i)
    return [map_word(word_i ^ col_word(key, j), bound) for j in range(cols)]


def column_entries(seed: int, which: int, j: int, rows: int, bound: int) -> list[int]:
    """Entries (0, j) ... (rows - 1, j): O(rows), the column's word computed once."""
    check_args(seed, bound)
    key = matrix_key(seed, which)
    word_j = col_word(key, j)
    return [map_word(row_word(key, i) ^ word_j, bound) for i in range(rows)]


def dot(left: Sequence[int], right: Sequence[int]) -> int:
    """The exact integer dot product of two equally long sequences."""
    if len(left) != len(right):
        raise ValueError(f"a dot product of lengths {len(left)} and {len(right)}")
    return sum(a * b for a, b in zip(left, right, strict=True))


def check_args(seed: int, bound: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed {seed} is outside [0, 2^64)")
    if not 1 <= bound <= MAX_BOUND:
        raise ValueError(f"bound {bound} is outside [1, {MAX_BOUND}]")
