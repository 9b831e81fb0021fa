"""LevelDB (plyvel) storage behind the vm's `KVStore` interface.

A write is one batch, applied whole or not at all: LevelDB appends it to its log as one
checksummed record and drops a torn one when the database next opens. So a write the
disk refuses (``DatabaseFull``) leaves the store as it was before the batch.
"""

import errno
import os
from collections.abc import Iterator, Mapping

import plyvel

from node.storage.locked import LockedKV
from vm.store.gaps import GapKV
from vm.store.kv import KVStore, StorageFailure, prefix_end
from vm.store.reads import ReadCacheKV

# Enough cache for the upper state-tree nodes and the hot state of a busy chain,
# and a write buffer that holds several blocks' batches before a flush. Both fill as the node
# runs and are then kept: they bound most of a node's memory ([storage] in config.toml).
CACHE_MIB = 256
WRITE_BUFFER_MIB = 64
_MIB = 1024 * 1024
_BLOOM_FILTER_BITS = 10  # most state-tree reads are for keys that exist, but misses stay cheap


# LevelDB reports a full disk only in its status text, which carries the OS's message.
_NO_SPACE = os.strerror(errno.ENOSPC)


class StorageError(Exception):
    """The database cannot be opened: in use by another process, corrupt, or unreadable."""


class DatabaseFull(StorageFailure):
    """The disk has no room for a write, or for the files LevelDB writes when it opens."""

    def __init__(self, path: str, status: str) -> None:
        super().__init__(f"database {path}: {status}")
        self.path = path


def status_text(exc: plyvel.Error) -> str:
    """LevelDB's status message (plyvel hands it over as bytes)."""
    raw = exc.args[0] if exc.args else b""
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def write_failure(db: plyvel.DB, exc: plyvel.Error) -> StorageFailure:
    """What a refused write raises: ``DatabaseFull`` if the disk is full."""
    status = status_text(exc)
    if _NO_SPACE in status:
        return DatabaseFull(db.name, status)
    return StorageFailure(f"database write failed: {status}")


def open_leveldb(
    path: str | os.PathLike[str], cache_mib: int = CACHE_MIB, write_buffer_mib: int = WRITE_BUFFER_MIB
) -> plyvel.DB:
    """Open (creating if needed) the LevelDB database at `path`, with a block cache of
    ``cache_mib`` and a memtable of up to ``write_buffer_mib`` (a second one while the first is
    written out)."""
    name = os.fspath(path)
    try:
        os.makedirs(name, exist_ok=True)
        return plyvel.DB(
            name,
            create_if_missing=True,
            lru_cache_size=cache_mib * _MIB,
            write_buffer_size=write_buffer_mib * _MIB,
            bloom_filter_bits=_BLOOM_FILTER_BITS,
        )
    except plyvel.IOError as exc:
        if _NO_SPACE in status_text(exc):
            raise DatabaseFull(name, status_text(exc)) from exc
        raise StorageError(
            f"cannot open database {name}: {exc} (is another depind process using it?)"
        ) from exc
    except plyvel.CorruptionError as exc:
        raise StorageError(f"database {name} is corrupt: {exc}") from exc
    except (plyvel.Error, OSError) as exc:
        raise StorageError(f"cannot open database {name}: {exc}") from exc


def cached(kv: KVStore) -> KVStore:
    """The state store as the node reads it: ``kv`` (LevelDB) under the values read last
    (vm/store/reads.py) and the ranges found empty (vm/store/gaps.py), both kept as long as
    the node runs, and safe to use from the block-executing thread and the event loop at
    once (node/storage/locked.py). Every write must go through what this returns."""
    return LockedKV(GapKV(ReadCacheKV(kv)))


class LevelDBKV:
    """A `KVStore` over a plyvel database, confined to the keys under `prefix`.

    Keys passed in and handed out exclude the prefix. With sync=True every write is
    flushed to disk before it returns.
    """

    def __init__(self, db: plyvel.DB, prefix: bytes = b"", sync: bool = False) -> None:
        self._db = db
        self._prefix = prefix
        self.sync = sync

    def get(self, key: bytes) -> bytes | None:
        try:
            value: bytes | None = self._db.get(self._prefix + key)
        except plyvel.Error as exc:
            raise StorageFailure(f"database read failed: {status_text(exc)}") from exc
        return value

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        stop = prefix_end(self._prefix) if end is None else self._prefix + end
        # The plyvel iterator reads from an implicit snapshot taken here, at the call.
        iterator = self._db.iterator(start=self._prefix + start, stop=stop)
        return self._strip_prefix(iterator)

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        prefix = self._prefix
        try:
            with self._db.write_batch(transaction=True, sync=self.sync) as batch:
                for key, value in changes.items():
                    if value is None:
                        batch.delete(prefix + key)
                    else:
                        batch.put(prefix + key, value)
        except plyvel.Error as exc:
            raise write_failure(self._db, exc) from exc

    def _strip_prefix(self, iterator: "plyvel.Iterator") -> Iterator[tuple[bytes, bytes]]:
        size = len(self._prefix)
        try:
            for key, value in iterator:
                yield key[size:], value
        except plyvel.Error as exc:
            raise StorageFailure(f"database read failed: {status_text(exc)}") from exc
        finally:
            iterator.close()
