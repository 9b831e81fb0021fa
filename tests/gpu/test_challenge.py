"""Challenge seeds are bound to the result, the verifier and the beacon; vectors are the same in
pure integers (the chain) and NumPy (the verifier)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu.challenge import (
    CHALLENGE_TAG,
    MAX_ROUNDS,
    MAX_VERIFIER_BYTES,
    MIN_ROUNDS,
    challenge_vector,
    check_rounds,
    derive_challenge_seed,
)
from gpu.verify import challenge_vectors

ROOT = hashlib.sha256(b"result").digest()
BEACON = hashlib.sha256(b"beacon").digest()


def test_seed_construction() -> None:
    """The documented preimage, pinned."""
    seed = derive_challenge_seed(ROOT, b"\x01\x02", BEACON)
    assert seed == hashlib.sha256(CHALLENGE_TAG + ROOT + b"\x02\x01\x02" + BEACON).digest()
    assert seed.hex() == derive_challenge_seed(ROOT, bytes([1, 2]), BEACON).hex()


def test_vector_construction() -> None:
    """The documented stream, pinned: vector 1 of output 258 is bytes 4 N .. 8 N - 1 of
    SHAKE-256(tag || seed || 258 as 4 bytes big-endian), little-endian words masked to 20 bits."""
    seed = derive_challenge_seed(ROOT, b"v", BEACON)
    stream = hashlib.shake_256(b"depind/pouw/freivalds/v1" + seed + b"\x00\x00\x01\x02").digest(2 * 4 * 5)
    words = [int.from_bytes(stream[offset : offset + 4], "little") for offset in range(20, 40, 4)]
    assert challenge_vector(seed, 258, 5, 1) == [word & 0xFFFFF for word in words]


def test_seed_depends_on_every_input() -> None:
    """Another result, another verifier, another beacon: another seed (so vectors cannot be known
    before the beacon, reused across results, or shared between committee members)."""
    seed = derive_challenge_seed(ROOT, b"alice", BEACON)
    assert derive_challenge_seed(bytes(32), b"alice", BEACON) != seed
    assert derive_challenge_seed(ROOT, b"bob", BEACON) != seed
    assert derive_challenge_seed(ROOT, b"alice", bytes(32)) != seed
    # the length prefix keeps the verifier from sliding into the beacon
    assert derive_challenge_seed(ROOT, b"", b"a" + BEACON[:31]) != derive_challenge_seed(ROOT, b"a", BEACON)


@pytest.mark.parametrize(
    ("root", "verifier", "beacon", "message"),
    [
        (ROOT[:31], b"", BEACON, "a result root is 32 bytes, not 31"),
        (ROOT, b"x" * 65, BEACON, "at most 64 bytes, not 65"),
        (ROOT, b"", BEACON + b"x", "a beacon value is 32 bytes, not 33"),
    ],
)
def test_invalid_seed_inputs(root: bytes, verifier: bytes, beacon: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        derive_challenge_seed(root, verifier, beacon)


def test_rounds_have_a_minimum() -> None:
    check_rounds(MIN_ROUNDS)
    check_rounds(MAX_ROUNDS)
    for rounds in (0, 1, 2, MAX_ROUNDS + 1):
        with pytest.raises(ValueError, match=f"rounds must be 3 to {MAX_ROUNDS}, not {rounds}"):
            check_rounds(rounds)


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(0, 600), st.integers(1, 300), st.integers(3, 6))
def test_numpy_vectors_equal_integer_vectors(seed: bytes, tensor: int, length: int, rounds: int) -> None:
    vectors = challenge_vectors(seed, tensor, length, rounds)
    assert vectors.shape == (length, rounds) and vectors.dtype == np.int64
    for k in range(rounds):
        assert vectors[:, k].tolist() == challenge_vector(seed, tensor, length, k)


def test_vectors_are_uniform_20_bit_and_independent_of_the_round_count() -> None:
    seed = derive_challenge_seed(ROOT, b"v", BEACON)
    vectors = challenge_vectors(seed, 0, 1000, 3)
    assert vectors.min() >= 0 and vectors.max() < 2**20 and vectors.max() > 2**19
    assert np.array_equal(vectors, challenge_vectors(seed, 0, 1000, 5)[:, :3])
    assert not np.array_equal(vectors, challenge_vectors(seed, 1, 1000, 3))
    with pytest.raises(ValueError, match="a challenge seed is 32 bytes, not 4"):
        challenge_vector(b"seed", 0, 10, 0)


def test_a_verifier_identity_may_take_all_64_bytes() -> None:
    seed = derive_challenge_seed(ROOT, b"x" * MAX_VERIFIER_BYTES, BEACON)
    assert seed != derive_challenge_seed(ROOT, b"x" * (MAX_VERIFIER_BYTES - 1), BEACON)
