"""node.storage.disk_full: a write refused for want of space is found wherever it sits in
the failure the node stops with, and named in one line."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from node.storage.disk_full import disk_full_line, linked_exceptions
from node.storage.leveldb import DatabaseFull
from vm.errors import NodeFault
from vm.store.kv import StorageFailure

DATA_DIR = Path("/var/depind/data")
NO_SPACE = os.strerror(errno.ENOSPC)


def no_space(filename: str | None = None) -> OSError:
    return OSError(errno.ENOSPC, NO_SPACE, *([filename] if filename else []))


def caused_by(cause: BaseException, exc: Exception) -> Exception:
    exc.__cause__ = cause
    return exc


def test_a_refused_file_is_named() -> None:
    assert disk_full_line(no_space("/var/depind/data/priv_validator_state.json"), DATA_DIR) == (
        "disk full: no space left on device writing /var/depind/data/priv_validator_state.json; "
        "free space and restart"
    )


def test_a_write_without_a_file_name_names_the_data_folder() -> None:
    line = disk_full_line(no_space(), DATA_DIR)
    assert line is not None
    assert "writing to /var/depind/data;" in line


def test_a_full_database_is_named() -> None:
    full = DatabaseFull("/var/depind/data/chain.db", f"IO error: 000003.log: {NO_SPACE}")
    line = disk_full_line(full, DATA_DIR)
    assert line is not None
    assert "writing the database /var/depind/data/chain.db;" in line


def test_found_in_a_nested_group_after_other_failures() -> None:
    group = BaseExceptionGroup(
        "node", [ValueError("first"), ExceptionGroup("engine", [KeyError("k"), no_space("/d/cs.wal")])]
    )
    line = disk_full_line(group, DATA_DIR)
    assert line is not None
    assert "writing /d/cs.wal;" in line


def test_found_as_the_cause_or_context_of_another_error() -> None:
    fault = caused_by(StorageFailure("read failed"), NodeFault("block 7"))
    fault.__cause__.__context__ = no_space("/d/x")  # type: ignore[union-attr]
    assert disk_full_line(fault, DATA_DIR) is not None
    assert disk_full_line(ExceptionGroup("node", [caused_by(no_space(), RuntimeError())]), DATA_DIR)


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.EACCES, "Permission denied", "/d/x"),
        StorageFailure(f"IO error: {NO_SPACE}"),  # a full database is told by its type, not its text
        ExceptionGroup("node", [ValueError("bad"), OSError(errno.EIO, "I/O error")]),
        ValueError(NO_SPACE),
    ],
    ids=["permission", "storage-failure", "group", "text"],
)
def test_other_failures_are_not_a_full_disk(failure: BaseException) -> None:
    assert disk_full_line(failure, DATA_DIR) is None


def test_cyclic_contexts_end() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert list(linked_exceptions(first)) == [first, second]
    assert disk_full_line(first, DATA_DIR) is None
