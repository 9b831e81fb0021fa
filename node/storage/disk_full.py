"""A full disk: recognising it in whatever failed, and the one line the node stops with.

A node that cannot write cannot go on: the refused write raises, the node's tasks unwind
and ``depind start`` exits with this line (node/cli/node_cmds.py). What it wrote before
stays whole: a LevelDB batch is applied entirely or not at all (node/storage/leveldb.py),
the consensus WAL cuts a torn last record when it opens (consensus/tendermint/wal.py),
and small files are replaced, never rewritten in place (consensus/files.py). Once space
is freed the node starts where it stopped: its handshake replays what the application
lacks, and it syncs the rest from its peers.

Writers say it differently: files raise ``OSError`` with ``ENOSPC``, LevelDB
``DatabaseFull``. What reaches the top may be a group of the node's failed tasks, or an
error that holds the refused write as its cause.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

from node.storage.leveldb import DatabaseFull


def disk_full_line(failure: BaseException, data_dir: Path) -> str | None:
    """The line to stop with if ``failure`` holds a write refused for want of space, else
    None. ``data_dir`` is named when the refused write does not say which file it was."""
    for exc in linked_exceptions(failure):
        if isinstance(exc, DatabaseFull):
            return stop_line(f"the database {exc.path}")
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return stop_line(refused_file(exc) or f"to {data_dir}")
    return None


def stop_line(what: str) -> str:
    return f"disk full: no space left on device writing {what}; free space and restart"


def refused_file(exc: OSError) -> str | None:
    name = exc.filename
    return os.fsdecode(name) if isinstance(name, str | bytes | os.PathLike) else None


def linked_exceptions(failure: BaseException) -> Iterator[BaseException]:
    """``failure``, the members of every group in it, and the cause and context of each;
    each once, so that contexts that refer to each other end."""
    seen: set[int] = set()
    pending = [failure]
    while pending:
        exc = pending.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        yield exc
        linked = [exc.__cause__, exc.__context__]
        if isinstance(exc, BaseExceptionGroup):
            linked += exc.exceptions
        pending += [other for other in reversed(linked) if other is not None]
