"""consensus.files: a private file is replaced whole, or not at all, even on a full disk."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest

from consensus.files import write_private
from tests.tmpfs import fill, mounted_tmpfs

DISK_BYTES = 1024 * 1024
SLACK_BYTES = 8 * 1024  # room for part of NEW, so the disk takes a short write before refusing
OLD = b"old state"
NEW = bytes(range(256)) * 256  # 64 KiB


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", DISK_BYTES) as disk:
        yield disk


def test_write_private_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_private(path, OLD)
    write_private(path, NEW)
    assert path.read_bytes() == NEW
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_invalid_write_private_on_a_full_disk_keeps_the_old_file(small_disk: Path) -> None:
    path = small_disk / "state.json"
    write_private(path, OLD)
    fill(small_disk, SLACK_BYTES)
    with pytest.raises(OSError) as refused:
        write_private(path, NEW)
    assert refused.value.errno == errno.ENOSPC
    assert refused.value.filename == str(path)
    assert path.read_bytes() == OLD
    assert not path.with_suffix(".json.tmp").exists()  # its space is given back
