"""consensus.wal: the single-validator engine's one-entry block log."""

from __future__ import annotations

import stat
from pathlib import Path

from consensus.wal import BlockWAL
from tests.consensus import vectors


def test_load_returns_the_saved_block_for_its_height(tmp_path: Path) -> None:
    wal = BlockWAL(tmp_path / "block_wal")
    block = vectors.block(height=3)
    wal.save(block)
    assert BlockWAL(tmp_path / "block_wal").load(3) == block


def test_other_heights_are_stale(tmp_path: Path) -> None:
    wal = BlockWAL(tmp_path / "block_wal")
    wal.save(vectors.block(height=3))
    assert wal.load(4) is None
    assert wal.load(2) is None


def test_save_replaces_the_entry(tmp_path: Path) -> None:
    wal = BlockWAL(tmp_path / "block_wal")
    wal.save(vectors.block(height=3))
    wal.save(vectors.block(height=4))
    assert wal.load(3) is None
    assert wal.load(4) == vectors.block(height=4)


def test_missing_log(tmp_path: Path) -> None:
    assert BlockWAL(tmp_path / "block_wal").load(1) is None


def test_invalid_corrupt_log_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "block_wal"
    path.write_bytes(b"\x93garbage")
    assert BlockWAL(path).load(1) is None


def test_log_is_private(tmp_path: Path) -> None:
    path = tmp_path / "block_wal"
    BlockWAL(path).save(vectors.block())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
