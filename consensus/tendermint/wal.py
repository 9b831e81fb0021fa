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

Segments are read one record at a time, so reading needs memory for one
record (at most ``MAX_RECORD_BYTES``), however long the segment. A crash
mid-write leaves a torn last record: opening the log truncates it with a
warning. A bad record followed by good data is corruption no crash causes:
reading stops with ``WALCorruptError`` and the operator decides.

One task owns a ``WAL``; it is not safe to share between threads.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import struct
import weakref
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
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
ZERO_CHECK_BYTES = 64 * 1024  # a tail is checked for zeros this many bytes at a time


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


@dataclass(frozen=True)
class Position:
    """A record boundary in a segment: ``offset`` bytes and ``index`` records in."""

    offset: int = 0
    index: int = 0


class Segment:
    """A segment file as it stood when opened: what is appended later is not read, and
    renaming or replacing the file does not change what is read. A missing file reads
    as empty. Records are read one at a time, at any position, any number of times."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = _open_to_read(path)
        self.size = 0 if self._fd is None else os.fstat(self._fd).st_size
        self._closer = weakref.finalize(self, _close, self._fd)

    def records(self, start: Position = Position()) -> Iterator[tuple[Record, Position]]:
        """Each record from ``start`` on, with the position after it.

        Stops quietly at a torn tail; raises ``WALCorruptError`` at a bad record with data after it."""
        position = start
        while position.offset < self.size:
            try:
                record, end = self._parse(position.offset)
            except _BadRecord as bad:
                if self._is_torn_tail(position.offset, bad.end):
                    return
                raise WALCorruptError(
                    f"{self.path}: record {position.index + 1} at byte {position.offset} is corrupt "
                    f"({bad}) and {self.size - position.offset} bytes follow it; move the file aside "
                    "to start without it"
                ) from None
            position = Position(end, position.index + 1)
            yield record, position

    def good_end(self) -> int:
        """Where the last good record ends: the size, unless the segment has a torn tail."""
        end = 0
        for _, after in self.records():
            end = after.offset
        return end

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> Segment:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _parse(self, offset: int) -> tuple[Record, int]:
        start = offset + HEADER.size
        if start > self.size:
            raise _BadRecord("incomplete header", start)
        length, crc = HEADER.unpack(self._read(offset, HEADER.size))
        end = start + length
        if not 0 < length <= MAX_RECORD_BYTES:
            raise _BadRecord(f"length {length}", end)
        if end > self.size:
            raise _BadRecord("incomplete payload", end)
        payload = self._read(start, length)
        if zlib.crc32(payload) != crc:
            raise _BadRecord("CRC mismatch", end)
        try:
            return _decode(payload), end
        except CodecError as exc:
            raise _BadRecord(f"undecodable payload: {exc}", end) from None

    def _is_torn_tail(self, offset: int, end: int) -> bool:
        """A crash mid-write leaves the last record cut short, or zero-filled blocks after it."""
        return end >= self.size or self._is_zero_from(offset)

    def _is_zero_from(self, offset: int) -> bool:
        for chunk_start in range(offset, self.size, ZERO_CHECK_BYTES):
            if self._read(chunk_start, min(ZERO_CHECK_BYTES, self.size - chunk_start)).strip(b"\0"):
                return False
        return True

    def _read(self, offset: int, count: int) -> bytes:
        assert self._fd is not None  # an empty segment has nothing to read
        data = os.pread(self._fd, count, offset)
        if len(data) != count:
            raise WALError(f"{self.path} shrank to {offset + len(data)} bytes while being read")
        return data


def _open_to_read(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _decode(payload: bytes) -> Record:
    try:
        record = _decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise CodecError(str(exc)) from None
    if encode(record) != payload:
        raise CodecError("non-canonical encoding")
    return record


@dataclass(frozen=True)
class _Run:
    """The entries between two markers (or a log's ends): where they start, how many
    there are, and the marker after them (None at the end of the log)."""

    segment: int
    start: Position
    entries: int
    ended_by: EndHeight | None


class Replay(Collection[Entry]):
    """The entries logged while deciding a height, read from the segments as they stood
    when the replay was made, one record at a time whenever it is iterated."""

    def __init__(self, segments: list[Segment], run: _Run | None) -> None:
        self._segments = segments
        self._run = run

    def __len__(self) -> int:
        return 0 if self._run is None else self._run.entries

    @property
    def found(self) -> bool:
        """Whether the log has the height's run (False: it has no ENDHEIGHT ``height - 1``)."""
        return self._run is not None

    def __iter__(self) -> Iterator[Entry]:
        if self._run is None:
            return
        start = self._run.start
        for segment in self._segments[self._run.segment :]:
            for record, _ in segment.records(start):
                if isinstance(record, EndHeight):
                    return
                yield record
            start = Position()

    def __contains__(self, item: object) -> bool:
        return any(entry == item for entry in self)


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

    def replay(self, height: int) -> Replay:
        """What was logged while deciding ``height``: the entries after the last ENDHEIGHT
        ``height - 1``, up to the next marker.

        Entries before a fresh log's first marker belong to the height it ends (all of
        them if it has none yet). A log whose markers are all for other heights is
        stale (say the node caught up by block sync) and gives none.

        The log is fsynced first, so what is replayed is what a crash would have left,
        and read as it stands now: records written while the replay is iterated (or
        ``end_height``) do not change it. Reading checks every record now (a corrupt
        one raises ``WALCorruptError`` here) and again, lazily, while iterating."""
        self._sync()
        segments = [Segment(self._previous), Segment(self._current)]
        run = _run_of(_outline(segments), height)
        if run is None:
            log.warning("%s has no ENDHEIGHT %d; nothing to replay", self.directory, height - 1)
        return Replay(segments, run)

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


def _outline(segments: list[Segment]) -> list[_Run]:
    """The log as runs of entries between markers, read record by record."""
    runs: list[_Run] = []
    run = _Run(0, Position(), 0, None)
    for number, segment in enumerate(segments):
        end = Position()
        for record, end in segment.records():
            if isinstance(record, EndHeight):
                runs.append(_Run(run.segment, run.start, run.entries, record))
                run = _Run(number, end, 0, None)
            else:
                run = _Run(run.segment, run.start, run.entries + 1, None)
        if end.offset < segment.size:
            log.warning("%s: ignoring a torn last record at byte %d", segment.path, end.offset)
    return [*runs, run]


def _run_of(runs: list[_Run], height: int) -> _Run | None:
    """The run of ``height``'s entries, if the log has it: the one after the last ENDHEIGHT
    ``height - 1``, else the first if no marker or ENDHEIGHT ``height`` ends it."""
    previous = EndHeight(height - 1)
    after_previous = [after for run, after in itertools.pairwise(runs) if run.ended_by == previous]
    if after_previous:
        return after_previous[-1]
    first = runs[0]
    if first.ended_by is None or (first.entries > 0 and first.ended_by == EndHeight(height)):
        return first
    return None


def _truncate_torn_tail(path: Path) -> None:
    """Cut a record a crash left half-written, so new records follow good ones."""
    with Segment(path) as segment:
        end = segment.good_end()
    if end == segment.size:
        return
    log.warning(
        "%s: truncating a torn last record (%d bytes at byte %d) left by a crash",
        path,
        segment.size - end,
        end,
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
