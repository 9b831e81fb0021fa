"""Durable writes of small private files (keys, signing state, the block WAL)."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, mode 0600, fsynced with its folder,
    so a crash leaves either the old file or the new one, never a torn one. A failed
    write (a full disk) raises ``OSError`` naming ``path`` and leaves the old file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        _write_synced(tmp, data)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, os.fspath(path)) from exc
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:  # a nearly full disk takes part of a write, then refuses the rest
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
