"""The consensus write-ahead log: every input of the round state machine, in order.

The driver writes each proposal, vote and timeout here before the machine
handles it, and the node's own signed proposals and votes with ``write_sync``
(fsynced, with everything logged before them) before they are sent; after a
height's block is committed it calls ``end_height``. A restarted node starts
the height after its block store's and feeds the machine ``replay(height)``:
the proposals and votes that made it lock come back, and so do its own votes,
which it re-sends instead of signing anew (``privval`` refuses that anyway).

On disk a log is a folder of two segments. ``current.wal`` holds the height
being decided and starts with a copy of the previous height's ENDHEIGHT;
``end_height`` moves it to ``previous.wal`` (replacing the older one), so the
log holds at most the current and the previous height. A segment is a run of

    length: u32 big-endian | crc32(payload): u32 big-endian | payload

where the payload is the canonical encoding (docs/encoding.md) of a ``Record``,
a MessagePack array led by its tag.

A crash mid-write leaves a torn last record: opening the log truncates it with
a warning. A bad record followed by good data is corruption no crash causes:
reading stops with ``WALCorruptError`` and the operator decides.

One task owns a ``WAL``; it is not safe to share between threads.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import zlib
from pathlib import Path
from types import TracebackType

import msgspec

from consensus.codec import MAX_DECODE_BYTES, Canonical, CodecError, encode
from consensus.tendermint.messages import ProposalMsg, TimeoutEvent, VoteMsg
from consensus.types import Uint64

log = logging.getLogger("depind.consensus")

HEADER = struct.Struct(">II")  # payload length, CRC-32 of the payload
MAX_RECORD_BYTES = MAX_DECODE_BYTES
CURRENT = "current.wal"
PREVIOUS = "previous.wal"


class ProposalRecord(Canonical, frozen=True, tag="proposal"):
    """A proposal with its block; ``own``: signed by this node."""

    input: ProposalMsg
    own: bool


class VoteRecord(Canonical, frozen=True, tag="vote"):
    """A prevote or precommit; ``own``: signed by this node."""

    input: VoteMsg
    own: bool


class TimeoutRecord(Canonical, frozen=True, tag="timeout"):
    """A timeout that fired."""

    input: TimeoutEvent


class EndHeight(Canonical, frozen=True, tag="end_height"):
    """The block of ``height`` is committed: nothing before this marker is needed to decide later heights."""

    height: Uint64


Entry = ProposalRecord | VoteRecord | TimeoutRecord
Record = Entry | EndHeight

_decoder: msgspec.msgpack.Decoder[Record] = msgspec.msgpack.Decoder(Record)


class WALError(Exception):
    """The log cannot be used as it is; the message says why and where."""


class WALCorruptError(WALError):
    """A record in the middle of a segment fails its length, CRC or decoding check."""


class _BadRecord(Exception):
    def __init__(self, reason: str, end: int) -> None:
        super().__init__(reason)
        self.end = end  # where the record claims to end, possibly past the end of the data


def frame(record: Record) -> bytes:
    """A record as it is stored: header and canonical payload."""
    payload = encode(record)
    if len(payload) > MAX_RECORD_BYTES:
        raise WALError(f"a {len(payload)}-byte record exceeds the limit of {MAX_RECORD_BYTES}")
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def read_segment(path: Path) -> tuple[list[Record], int]:
    """The segment's records and the offset where the last good one ends.

    Stops quietly at a torn tail; raises ``WALCorruptError`` at a bad record with data after it."""
    data = path.read_bytes() if path.exists() else b""
    records: list[Record] = []
    offset = 0
    while offset < len(data):
        try:
            record, offset_after = _parse(data, offset)
        except _BadRecord as bad:
            if _is_torn_tail(data, offset, bad.end):
                break
            raise WALCorruptError(
                f"{path}: record {len(records) + 1} at byte {offset} is corrupt ({bad}) and "
                f"{len(data) - offset} bytes follow it; move the file aside to start without it"
            ) from None
        records.append(record)
        offset = offset_after
    return records, offset


def _parse(data: bytes, offset: int) -> tuple[Record, int]:
    start = offset + HEADER.size
    if start > len(data):
        raise _BadRecord("incomplete header", start)
    length, crc = HEADER.unpack_from(data, offset)
    end = start + length
    if not 0 < length <= MAX_RECORD_BYTES:
        raise _BadRecord(f"length {length}", end)
    if end > len(data):
        raise _BadRecord("incomplete payload", end)
    payload = data[start:end]
    if zlib.crc32(payload) != crc:
        raise _BadRecord("CRC mismatch", end)
    try:
        return _decode(payload), end
    except CodecError as exc:
        raise _BadRecord(f"undecodable payload: {exc}", end) from None


def _is_torn_tail(data: bytes, offset: int, end: int) -> bool:
    """A crash mid-write leaves the last record cut short, or zero-filled blocks after it."""
    return end >= len(data) or not data[offset:].strip(b"\0")


def _decode(payload: bytes) -> Record:
    try:
        record = _decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise CodecError(str(exc)) from None
    if encode(record) != payload:
        raise CodecError("non-canonical encoding")
    return record


class WAL:
    """The log in ``directory`` (created 0700 if missing), open for appending."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory = directory
        self._current = directory / CURRENT
        self._previous = directory / PREVIOUS
        _truncate_torn_tail(self._current)
        self._file = _open_append(self._current)

    def write(self, entry: Entry) -> None:
        """Log a received message or a timeout; buffered, so a crash may lose it (peers resend)."""
        self._file.write(frame(entry))

    def write_sync(self, entry: Entry) -> None:
        """Log an own signed message, durably with everything before it; call before sending it."""
        self._file.write(frame(entry))
        self._sync()

    def flush(self) -> None:
        """Hand buffered records to the OS (a driver may call this on a timer)."""
        self._file.flush()

    def end_height(self, height: int) -> None:
        """Mark ``height`` committed and start the next height's segment; the older segment goes.

        Each step leaves a readable log: a crash after the rename leaves the
        marker at the end of ``previous.wal``."""
        marker = frame(EndHeight(height))
        self._file.write(marker)
        self._sync()
        self._file.close()
        os.replace(self._current, self._previous)
        self._file = _open_append(self._current)
        self._file.write(marker)
        self._sync()
        _fsync_directory(self.directory)

    def replay(self, height: int) -> list[Entry]:
        """What was logged while deciding ``height``: the entries after the last ENDHEIGHT
        ``height - 1``, up to the next marker.

        Entries before a fresh log's first marker belong to the height it ends (all of
        them if it has none yet). A log whose markers are all for other heights is
        stale (say the node caught up by block sync) and gives none."""
        self._file.flush()
        records = _read_logged(self._previous) + _read_logged(self._current)
        start = _start_of(records, height)
        if start is None:
            log.warning("%s has no ENDHEIGHT %d; nothing to replay", self.directory, height - 1)
            return []
        entries: list[Entry] = []
        for record in records[start:]:
            if isinstance(record, EndHeight):
                break
            entries.append(record)
        return entries

    def close(self) -> None:
        """Flush and close; buffered records reach the OS but are not fsynced."""
        self._file.close()

    def __enter__(self) -> WAL:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())


def _start_of(records: list[Record], height: int) -> int | None:
    """Where the records of ``height`` start, if the log has them."""
    markers = [i for i, record in enumerate(records) if isinstance(record, EndHeight)]
    after_previous = [i + 1 for i in markers if records[i] == EndHeight(height - 1)]
    if after_previous:
        return after_previous[-1]
    if not markers or (markers[0] > 0 and records[markers[0]] == EndHeight(height)):
        return 0
    return None


def _read_logged(path: Path) -> list[Record]:
    records, end = read_segment(path)
    if path.exists() and end < path.stat().st_size:
        log.warning("%s: ignoring a torn last record at byte %d", path, end)
    return records


def _truncate_torn_tail(path: Path) -> None:
    """Cut a record a crash left half-written, so new records follow good ones."""
    if not path.exists():
        return
    _, end = read_segment(path)
    size = path.stat().st_size
    if end == size:
        return
    log.warning(
        "%s: truncating a torn last record (%d bytes at byte %d) left by a crash", path, size - end, end
    )
    with path.open("r+b") as file:
        file.truncate(end)
        os.fsync(file.fileno())


def _open_append(path: Path) -> io.BufferedWriter:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "ab")


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
