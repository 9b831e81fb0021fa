"""Keyed BLAKE3 of many equal-sized inputs at once, compiled: leaves of 1 KiB and tree nodes.

The commitment hashes every 1 KiB chunk of the outputs as its own BLAKE3 input (gpu/merkle.py).
Through the `blake3` package each call costs about 2 µs of Python and allocation, six times the
hashing itself; this kernel hashes 32 inputs side by side (one SIMD lane each, as BLAKE3's own
`hash_many` does) with the GIL released, so the provider and every verifier hash at about the
speed of one long BLAKE3 call, on every core. `blake3` is the reference: tests hold the two equal.

Each input is a whole number of 64-byte blocks hashed as a single-chunk BLAKE3 message in keyed
mode: the chaining value starts as the key, the block counter is 0, block b's flags are
KEYED_HASH | CHUNK_START (b = 0) | CHUNK_END | ROOT (last block), and the digest is the last
compression's first 8 words, little-endian. A leaf is 16 blocks, a node (left || right) is 1.
Message words are the input's little-endian 32-bit words, so callers on big-endian hosts use the
library instead (gpu/commit.py).
"""

import numba
import numpy as np
from numpy.typing import NDArray

LANES = 32  # inputs hashed side by side: fastest measured on AVX2 and AVX-512 x86
BLOCK_WORDS = 16
CHUNK_START, CHUNK_END, ROOT, KEYED_HASH = 1, 2, 8, 16
IV = np.array(
    [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19],
    np.uint32,
)
_PERMUTATION = (2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8)


def _schedule() -> NDArray[np.int64]:
    """The message word order of each of the 7 rounds: the identity, then permuted each round."""
    rounds = [list(range(BLOCK_WORDS))]
    for _ in range(6):
        rounds.append([rounds[-1][p] for p in _PERMUTATION])
    return np.array(rounds, np.int64)


SCHEDULE = _schedule()


def keyed_digests(words: NDArray[np.uint32], key: bytes) -> NDArray[np.uint8]:
    """The keyed BLAKE3 digest (n x 32 bytes) of each row of `words` (n x 16 * blocks)."""
    count, width = words.shape
    if width % BLOCK_WORDS or not width:
        raise ValueError(f"inputs of {width} words are not whole 64-byte blocks")
    out = np.empty((count, 8), np.uint32)
    key_words = np.frombuffer(key, "<u4").astype(np.uint32)
    _hash_inputs(np.ascontiguousarray(words), width // BLOCK_WORDS, key_words, SCHEDULE, IV, out)
    return out.astype("<u4").view(np.uint8).reshape(count, 32)


@numba.njit(inline="always")
def _rotr(x: np.uint32, n: int) -> np.uint32:
    return np.uint32((x >> np.uint32(n)) | np.uint32(x << np.uint32(32 - n)))


@numba.njit(inline="always")
def _g(
    va: NDArray[np.uint32],
    vb: NDArray[np.uint32],
    vc: NDArray[np.uint32],
    vd: NDArray[np.uint32],
    mx: NDArray[np.uint32],
    my: NDArray[np.uint32],
) -> None:
    """BLAKE3's quarter-round on four state words (one row of LANES values each)."""
    for lane in range(LANES):
        a = np.uint32(np.uint32(va[lane] + vb[lane]) + mx[lane])
        d = _rotr(np.uint32(vd[lane] ^ a), 16)
        c = np.uint32(vc[lane] + d)
        b = _rotr(np.uint32(vb[lane] ^ c), 12)
        a = np.uint32(np.uint32(a + b) + my[lane])
        d = _rotr(np.uint32(d ^ a), 8)
        c = np.uint32(c + d)
        b = _rotr(np.uint32(b ^ c), 7)
        va[lane], vb[lane], vc[lane], vd[lane] = a, b, c, d


@numba.njit(inline="always")
def _compress(
    v: NDArray[np.uint32],
    cv: NDArray[np.uint32],
    m: NDArray[np.uint32],
    flags: int,
    schedule: NDArray[np.int64],
    iv: NDArray[np.uint32],
) -> None:
    """One compression of the block `m` (16 x LANES) into the chaining values `cv` (8 x LANES)."""
    for lane in range(LANES):
        for i in range(8):
            v[i, lane] = cv[i, lane]
        for i in range(4):
            v[8 + i, lane] = iv[i]
        v[12, lane] = 0  # counter, low and high words: each input is chunk 0 of its own message
        v[13, lane] = 0
        v[14, lane] = 4 * BLOCK_WORDS  # block length
        v[15, lane] = flags
    for r in range(7):
        s = schedule[r]
        _g(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]])
        _g(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]])
        _g(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]])
        _g(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]])
        _g(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]])
        _g(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]])
        _g(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]])
        _g(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]])
    for i in range(8):
        for lane in range(LANES):
            cv[i, lane] = v[i, lane] ^ v[i + 8, lane]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _hash_inputs(
    words: NDArray[np.uint32],
    blocks: int,
    key: NDArray[np.uint32],
    schedule: NDArray[np.int64],
    iv: NDArray[np.uint32],
    out: NDArray[np.uint32],
) -> None:
    count = words.shape[0]
    v = np.empty((BLOCK_WORDS, LANES), np.uint32)
    cv = np.empty((8, LANES), np.uint32)
    m = np.empty((blocks, BLOCK_WORDS, LANES), np.uint32)  # the inputs' words, lanes innermost
    for first in range(0, count, LANES):
        for lane in range(LANES):
            item = min(first + lane, count - 1)  # past the end: the last input again, not stored
            for w in range(blocks * BLOCK_WORDS):
                m[w // BLOCK_WORDS, w % BLOCK_WORDS, lane] = words[item, w]
        for i in range(8):
            for lane in range(LANES):
                cv[i, lane] = key[i]
        for block in range(blocks):
            flags = KEYED_HASH
            if block == 0:
                flags |= CHUNK_START
            if block == blocks - 1:
                flags |= CHUNK_END | ROOT
            _compress(v, cv, m[block], flags, schedule, iv)
        for lane in range(min(LANES, count - first)):
            for i in range(8):
                out[first + lane, i] = cv[i, lane]
