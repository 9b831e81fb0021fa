"""The streamed output root equals gpu/commit.py's, however the bytes are cut."""

from __future__ import annotations

import numpy as np
import pytest

from gpu.commit import canonical_bytes, commit_outputs
from node.outputs.hashing import OutputHasher

# Tensors of odd sizes (short last leaves) and one large enough for the compiled hash kernel.
SHAPES = [(33, 37), (1, 1), (5, 300), (700, 512)]


def tensors() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.integers(-(2**22), 2**22, size=shape, dtype=np.int32) for shape in SHAPES]


@pytest.mark.parametrize("piece", [1, 1000, 1024, 4099, 1 << 20, 1 << 30])
def test_streamed_root_equals_the_commitment(piece: int) -> None:
    outputs = tensors()
    data = b"".join(canonical_bytes(out) for out in outputs)
    hasher = OutputHasher(SHAPES)
    step = piece if piece > 1 else 7  # byte-sized pieces over 1.4 MB would be slow; 7 is as odd
    for start in range(0, len(data), step):
        hasher.update(data[start : start + step])
    assert hasher.remaining == 0
    assert hasher.root() == commit_outputs(outputs).root


def test_invalid_feeding() -> None:
    hasher = OutputHasher([(2, 2)])
    hasher.update(bytes(10))
    with pytest.raises(ValueError, match="6 are expected"):
        hasher.update(bytes(7))
    with pytest.raises(ValueError, match="6 bytes of the outputs have not been fed"):
        hasher.root()
