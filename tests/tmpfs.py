"""A small tmpfs for tests of a full disk, and a filler file that uses up its space.

Mounting needs root (CAP_SYS_ADMIN); where it is refused, ``mounted_tmpfs`` skips the
test with the reason. The filler is allocated, not written, so filling is quick.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

MOUNT_TIMEOUT_S = 30
FILL_ATTEMPTS = 20  # something else may write while the filler is made: each attempt retries smaller


@contextlib.contextmanager
def mounted_tmpfs(mount_point: Path, size: int) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes at ``mount_point`` (created), unmounted on the way out."""
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("no mount command")
    mount_point.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=MOUNT_TIMEOUT_S, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        # Lazy: a process not reaped yet must not keep it mounted after the test.
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True, timeout=MOUNT_TIMEOUT_S)


def fill(disk: Path, slack: int) -> Path:
    """A new file on ``disk`` that takes all its free space but ``slack`` bytes."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    with filler.open("xb") as file:
        for _ in range(FILL_ATTEMPTS):
            stats = os.statvfs(disk)
            size = stats.f_bavail * stats.f_frsize - slack
            if size <= 0:
                return filler
            try:
                os.posix_fallocate(file.fileno(), 0, size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                continue
            return filler
    raise AssertionError(f"could not leave {slack} bytes free on {disk} in {FILL_ATTEMPTS} attempts")
