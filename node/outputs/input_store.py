"""The provider's store of jobs' supplied inputs: what requesters upload, kept for the worker and
served to the verifier committee (node/outputs/server.py, ``/inputs/{header digest}``).

Each upload is one file in the binary form of node/outputs/inputs.py, named by its job's header
digest, and accepted only if it decodes as the inputs of exactly that digest: nobody can plant
inputs for someone else's job, and what is stored is always a valid spec. A file is written
beside its final name, synced, and renamed in, so a restart finds whole files or none (pieces of
an upload cut short are removed when the store opens).

Two folders, so that a stranger's uploads cannot cost the provider unbounded disk:

- ``uploads/``: unclaimed uploads. Anyone may upload, so they are bounded: at most
  `max_unclaimed` files and `max_unclaimed_bytes` together; one older than `max_age_s` expires,
  and a new upload that would not fit evicts the oldest first.
- ``jobs/``: inputs claimed by the worker for a job on chain (their header digest names a job of
  this provider, whose requester paid for it). They are not evicted, like result folders: the
  verifiers fetch them after the job ran.

The server thread puts, the worker's thread claims: both go through one lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from gpu.jobs import JobSpec
from gpu.merkle import Digest
from node.outputs.inputs import MAX_INPUTS_BYTES, InputsError, decode_inputs

log = logging.getLogger("depind.outputs")

UPLOADS_DIR = "uploads"
JOBS_DIR = "jobs"
INPUTS_SUFFIX = ".inputs"
PART_SUFFIX = ".part"


@dataclass(frozen=True)
class InputLimits:
    max_upload_bytes: int = MAX_INPUTS_BYTES  # one upload: the largest inputs a job may have
    max_unclaimed_bytes: int = 1 << 30  # unclaimed uploads together
    max_unclaimed: int = 64  # unclaimed uploads
    max_age_s: float = 86_400.0  # an unclaimed upload older than this expires
    max_concurrent_uploads: int = 2  # uploads decoded at once (each holds its inputs a few times)

    def __post_init__(self) -> None:
        if min(self.max_upload_bytes, self.max_unclaimed, self.max_concurrent_uploads) < 1:
            raise ValueError(f"input limits must be positive: {self}")
        if self.max_age_s <= 0 or self.max_upload_bytes > self.max_unclaimed_bytes:
            raise ValueError(f"an upload must fit in the unclaimed space, and expire after a while: {self}")


@dataclass(frozen=True)
class InputFile:
    """A stored inputs file, read by byte range for the server."""

    path: Path
    size: int

    def read(self, start: int, stop: int) -> bytes:
        """Bytes start .. stop - 1 of the file."""
        with self.path.open("rb") as file:
            file.seek(start)
            data = file.read(stop - start)
        if len(data) != stop - start:
            raise OSError(f"{self.path} ended at byte {start + len(data)}; it was {self.size} bytes")
        return data


class InputStore:
    """Supplied inputs under `directory`, by header digest: unclaimed uploads and claimed jobs."""

    def __init__(self, directory: Path, limits: InputLimits | None = None) -> None:
        self.limits = limits or InputLimits()
        self.uploads = directory / UPLOADS_DIR
        self.jobs = directory / JOBS_DIR
        for folder in (self.uploads, self.jobs):
            folder.mkdir(parents=True, exist_ok=True)
            for part in folder.glob("*" + PART_SUFFIX):
                part.unlink(missing_ok=True)  # an upload or claim cut short by a stop
        self._lock = threading.Lock()

    def find(self, digest: Digest) -> Path | None:
        """The stored inputs of the job with this header digest, claimed or not."""
        for folder in (self.jobs, self.uploads):
            path = folder / _name(digest)
            if path.is_file():
                return path
        return None

    def lookup(self, digest: Digest) -> InputFile | None:
        """The stored inputs to serve, or None."""
        path = self.find(digest)
        try:
            return None if path is None else InputFile(path, path.stat().st_size)
        except FileNotFoundError:  # evicted since it was found
            return None

    def put(self, digest: Digest, data: bytes, now: float | None = None) -> bool:
        """Store an upload unless held already (False); InputsError unless `data` is the inputs of
        the job with header digest `digest`. Expired and, if need be, the oldest unclaimed
        uploads are removed to make room."""
        if self.find(digest) is not None:
            return False
        decode_inputs(data, digest)
        staged = self.uploads / f"{uuid.uuid4().hex}{PART_SUFFIX}"
        try:
            _write_synced(staged, data)
            with self._lock:
                if self.find(digest) is not None:
                    return False
                self._make_room(len(data), time.time() if now is None else now)
                staged.replace(self.uploads / _name(digest))
        finally:
            staged.unlink(missing_ok=True)
        log.info("stored the inputs of job header %s (%d bytes)", digest.hex(), len(data))
        return True

    def claim(self, digest: Digest) -> Path | None:
        """Keep the inputs for a job on chain (never evicted from now on); their path, or None if
        they have not been uploaded."""
        with self._lock:
            claimed = self.jobs / _name(digest)
            if claimed.is_file():
                return claimed
            upload = self.uploads / _name(digest)
            if not upload.is_file():
                return None
            upload.replace(claimed)
            return claimed

    def load(self, digest: Digest) -> JobSpec:
        """The spec in the claimed inputs, checked again (a damaged file is removed: it must be
        uploaded again); InputsError, or FileNotFoundError if none are claimed."""
        path = self.jobs / _name(digest)
        try:
            return decode_inputs(path.read_bytes(), digest)
        except InputsError:
            path.unlink(missing_ok=True)
            raise

    def unclaimed(self) -> list[tuple[Path, os.stat_result]]:
        """The unclaimed uploads, oldest first."""
        found = []
        for path in self.uploads.glob("*" + INPUTS_SUFFIX):
            try:
                found.append((path, path.stat()))
            except FileNotFoundError:
                continue
        return sorted(found, key=lambda entry: (entry[1].st_mtime_ns, entry[0].name))

    def _make_room(self, size: int, now: float) -> None:
        """Remove expired uploads, then the oldest until one more of `size` bytes fits."""
        kept = []
        for path, stat in self.unclaimed():
            if now - stat.st_mtime > self.limits.max_age_s:
                _evict(path, "it expired")
            else:
                kept.append((path, stat))
        count, total = len(kept), sum(stat.st_size for _, stat in kept)
        for path, stat in kept:  # oldest first
            if count < self.limits.max_unclaimed and total + size <= self.limits.max_unclaimed_bytes:
                break
            _evict(path, "the store was full")
            count, total = count - 1, total - stat.st_size


def _name(digest: Digest) -> str:
    return digest.hex() + INPUTS_SUFFIX


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _evict(path: Path, why: str) -> None:
    path.unlink(missing_ok=True)
    log.info("removed the unclaimed inputs %s: %s", path.name.removesuffix(INPUTS_SUFFIX), why)
