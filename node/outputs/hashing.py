"""The output root of canonical output bytes that arrive a piece at a time.

The same tree as gpu/commit.py's `commit_outputs`, built without holding the outputs: each
tensor's bytes are cut into 1 KiB leaves (the last leaf of a tensor shorter), and the leaves are
hashed as soon as they are whole, so what is kept is one partial leaf and 32 bytes per leaf
(3% of the outputs) until the tree is built at the end.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from gpu.commit import chunk_hashes, fast_tree
from gpu.merkle import CHUNK_BYTES
from node.outputs.layout import Shape, output_size


class OutputHasher:
    """Feed the canonical outputs of tensors with `shapes` in order; `root()` is their output root."""

    def __init__(self, shapes: Sequence[Shape]) -> None:
        self._sizes = [output_size([shape]) for shape in shapes]
        self._tensor = 0
        self._left = self._sizes[0] if self._sizes else 0  # bytes of the current tensor still to come
        self._partial = bytearray()  # the start of a leaf not yet whole
        self._leaves: list[NDArray[np.uint8]] = []

    @property
    def remaining(self) -> int:
        """Bytes still expected."""
        return self._left + sum(self._sizes[self._tensor + 1 :])

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        if len(view) > self.remaining:
            raise ValueError(f"{len(view)} more bytes, but only {self.remaining} are expected")
        while len(view):
            take = min(len(view), self._left)
            self._add(view[:take])
            view = view[take:]
            self._left -= take
            if self._left == 0:
                self._end_tensor()

    def root(self) -> bytes:
        if self.remaining:
            raise ValueError(f"{self.remaining} bytes of the outputs have not been fed")
        return fast_tree(np.concatenate(self._leaves)).root

    def _add(self, view: memoryview) -> None:
        """Hash the whole leaves in `view` (after completing the partial one), keep the rest."""
        if self._partial:
            fill = min(len(view), CHUNK_BYTES - len(self._partial))
            self._partial += view[:fill]
            view = view[fill:]
            if len(self._partial) < CHUNK_BYTES:
                return
            self._leaves.append(chunk_hashes(memoryview(bytes(self._partial))))
            self._partial.clear()
        whole = len(view) // CHUNK_BYTES * CHUNK_BYTES
        if whole:
            self._leaves.append(chunk_hashes(view[:whole]))
        self._partial += view[whole:]

    def _end_tensor(self) -> None:
        """A tensor's last leaf may be short; the next tensor starts a new leaf."""
        if self._partial:
            self._leaves.append(chunk_hashes(memoryview(bytes(self._partial))))
            self._partial.clear()
        self._tensor += 1
        self._left = self._sizes[self._tensor] if self._tensor < len(self._sizes) else 0
