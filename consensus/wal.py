"""A one-entry write-ahead log for the single-validator engine.

The engine writes the block it is about to sign here (fsynced) before signing
it. After a crash between signing and committing, the restarted engine finds
the block and proposes it again: its signing guard then returns the same
signature instead of refusing, and the chain never holds two signed blocks at
one height. (The Tendermint engine has a full consensus WAL.)
"""

from __future__ import annotations

from pathlib import Path

from consensus.codec import CodecError, decode, encode
from consensus.files import write_private
from consensus.types import Block


class BlockWAL:
    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, block: Block) -> None:
        write_private(self.path, encode(block))

    def load(self, height: int) -> Block | None:
        """The logged block if it is for ``height``; anything else is stale."""
        try:
            block = decode(self.path.read_bytes(), Block)
        except (FileNotFoundError, CodecError):
            return None
        return block if block.header.height == height else None
