"""consensus.tendermint.wal: the consensus write-ahead log, its crash recovery and rotation."""

from __future__ import annotations

import logging
import os
import stat
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest

from consensus.codec import encode
from consensus.tendermint.messages import Step, TimeoutEvent
from consensus.tendermint.wal import (
    CURRENT,
    PREVIOUS,
    WAL,
    EndHeight,
    Entry,
    ProposalRecord,
    Record,
    Segment,
    TimeoutRecord,
    VoteRecord,
    WALCorruptError,
    frame,
)
from consensus.types import VoteType
from tests.consensus.tendermint.support import (
    make_block,
    signed_proposal,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [10, 10, 10, 10])


def entries(height: int) -> list[Entry]:
    """What a node logs in one round: a peer's proposal, its own prevote, a peer's prevote, a timeout."""
    block = make_block(height, KEYS[0].address, [f"tx at {height}".encode()])
    return [
        ProposalRecord(signed_proposal(KEYS[0], height, 0, block), own=False),
        VoteRecord(signed_vote(KEYS[1], VALIDATORS, VoteType.PREVOTE, height, 0, block), own=True),
        VoteRecord(signed_vote(KEYS[2], VALIDATORS, VoteType.PREVOTE, height, 0, None), own=False),
        TimeoutRecord(TimeoutEvent(Step.PREVOTE, height, 0)),
    ]


def log_height(wal: WAL, height: int) -> list[Entry]:
    logged = entries(height)
    for entry in logged:
        if isinstance(entry, VoteRecord | ProposalRecord) and entry.own:
            wal.write_sync(entry)
        else:
            wal.write(entry)
    return logged


def replay(folder: Path, height: int) -> list[Entry]:
    with WAL(folder) as wal:
        return list(wal.replay(height))


def read_segment(path: Path) -> list[Record]:
    with Segment(path) as segment:
        return [record for record, _ in segment.records()]


def test_frame_is_length_crc_payload() -> None:
    record = EndHeight(7)
    payload = encode(record)
    assert frame(record) == struct.pack(">II", len(payload), zlib.crc32(payload)) + payload
    assert payload == b"\x92\xaaend_height\x07"  # a MessagePack array led by the tag


def test_round_trip(tmp_path: Path) -> None:
    with WAL(tmp_path) as wal:
        logged = log_height(wal, 1)
    assert replay(tmp_path, 1) == logged


def test_replay_sees_buffered_records_of_an_open_log(tmp_path: Path) -> None:
    with WAL(tmp_path) as wal:
        logged = log_height(wal, 1)
        assert list(wal.replay(1)) == logged


def test_write_sync_makes_everything_before_it_durable(tmp_path: Path) -> None:
    peer, own = entries(1)[0], entries(1)[1]
    with WAL(tmp_path) as wal:
        wal.write(peer)
        wal.write_sync(own)
        assert read_segment(tmp_path / CURRENT) == [peer, own]


def test_log_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "cs.wal"
    with WAL(folder) as wal:
        log_height(wal, 1)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / CURRENT).stat().st_mode) == 0o600


def test_fresh_log_replays_nothing(tmp_path: Path) -> None:
    assert replay(tmp_path, 1) == []


def test_log_without_markers_replays_everything(tmp_path: Path) -> None:
    """A node that crashed during the first height its log saw."""
    with WAL(tmp_path) as wal:
        logged = log_height(wal, 5)
    assert replay(tmp_path, 5) == logged


def test_replay_starts_after_the_right_end_height(tmp_path: Path) -> None:
    with WAL(tmp_path) as wal:
        log_height(wal, 1)
        wal.end_height(1)
        second = log_height(wal, 2)
        wal.end_height(2)
        third = log_height(wal, 3)
    assert replay(tmp_path, 3) == third
    assert replay(tmp_path, 2) == second  # the previous height is kept


def test_rotation_keeps_current_and_previous_height(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with WAL(tmp_path) as wal:
        for height in (1, 2, 3):
            log_height(wal, height)
            wal.end_height(height)
        log_height(wal, 4)
        assert sorted(p.name for p in tmp_path.iterdir()) == [CURRENT, PREVIOUS]
        with caplog.at_level(logging.WARNING):
            assert list(wal.replay(2)) == []  # rotated away: stale
        assert "no ENDHEIGHT 1" in caplog.text
        assert [r for r in read_segment(tmp_path / PREVIOUS) if isinstance(r, EndHeight)] == [
            EndHeight(2),
            EndHeight(3),
        ]


def test_replay_of_a_decided_height_stops_at_its_marker(tmp_path: Path) -> None:
    """The store lost a block the log ended: replay gives that height's records, not the next's."""
    with WAL(tmp_path) as wal:
        first = log_height(wal, 1)
        wal.end_height(1)
        log_height(wal, 2)
        assert list(wal.replay(1)) == first


def test_stale_log_replays_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The block store moved past the log (say by block sync)."""
    with WAL(tmp_path) as wal:
        log_height(wal, 1)
        wal.end_height(1)
        log_height(wal, 2)
    with caplog.at_level(logging.WARNING):
        assert replay(tmp_path, 9) == []
    assert "no ENDHEIGHT 8" in caplog.text


def test_crash_after_rotation_rename(tmp_path: Path) -> None:
    """The marker at the end of the previous segment still starts the next height."""
    with WAL(tmp_path) as wal:
        log_height(wal, 1)
        wal.end_height(1)
    (tmp_path / CURRENT).unlink()
    with WAL(tmp_path) as wal:
        assert list(wal.replay(2)) == []
        logged = log_height(wal, 2)
        assert list(wal.replay(2)) == logged


def torn_tails() -> list[bytes]:
    record = frame(entries(2)[0])
    return [record[:3], record[:8], record[: len(record) // 2], record[:-1], b"\0" * 4096]


@pytest.mark.parametrize("tail", torn_tails(), ids=["header", "no-payload", "half", "last-byte", "zeros"])
def test_torn_tail_is_truncated_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, tail: bytes
) -> None:
    with WAL(tmp_path) as wal:
        logged = log_height(wal, 2)
    path = tmp_path / CURRENT
    good_size = path.stat().st_size
    with path.open("ab") as file:
        file.write(tail)
    with caplog.at_level(logging.WARNING), WAL(tmp_path) as wal:
        assert "truncating a torn last record" in caplog.text
        assert path.stat().st_size == good_size
        extra = TimeoutRecord(TimeoutEvent(Step.PRECOMMIT, 2, 0))
        wal.write_sync(extra)
        assert list(wal.replay(2)) == [*logged, extra]


def test_torn_tail_with_bad_crc_is_truncated(tmp_path: Path) -> None:
    """A last record written in full length but not in full content."""
    with WAL(tmp_path) as wal:
        logged = log_height(wal, 2)
        wal.write_sync(TimeoutRecord(TimeoutEvent(Step.PROPOSE, 2, 1)))
    path = tmp_path / CURRENT
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert replay(tmp_path, 2) == logged


def corrupt_second_record(path: Path, how: str) -> None:
    records = read_segment(path)
    start = len(frame(records[0]))
    data = bytearray(path.read_bytes())
    if how == "crc":
        data[start + 4] ^= 0x01
    elif how == "payload":
        data[start + 8 + 3] ^= 0x01
    else:  # a zero length: the record's extent is wrong
        data[start : start + 4] = b"\0\0\0\0"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["crc", "payload", "length"])
def test_invalid_corrupt_record_in_the_middle(tmp_path: Path, how: str) -> None:
    with WAL(tmp_path) as wal:
        log_height(wal, 1)
    path = tmp_path / CURRENT
    size = path.stat().st_size
    corrupt_second_record(path, how)
    with pytest.raises(WALCorruptError, match=r"current\.wal: record 2 at byte \d+ is corrupt"):
        WAL(tmp_path)
    assert path.stat().st_size == size  # nothing is thrown away


def test_invalid_corrupt_previous_segment_stops_replay(tmp_path: Path) -> None:
    with WAL(tmp_path) as wal:
        log_height(wal, 1)
        wal.end_height(1)
        log_height(wal, 2)
        corrupt_second_record(tmp_path / PREVIOUS, "crc")
        with pytest.raises(WALCorruptError, match=r"previous\.wal: record 2"):
            wal.replay(2)


def test_invalid_non_canonical_payload(tmp_path: Path) -> None:
    """A well-framed payload that is not the canonical encoding (an int as a 2-byte uint)."""
    bad = b"\x92\xaaend_height\xcd\x00\x07"
    path = tmp_path / CURRENT
    path.write_bytes(struct.pack(">II", len(bad), zlib.crc32(bad)) + bad + frame(EndHeight(8)))
    with pytest.raises(WALCorruptError, match="non-canonical"):
        WAL(tmp_path)


RECORD_BYTES = 256 * 1024
BIG_RECORDS = 200


def write_big_segment(path: Path, height: int) -> int:
    """``BIG_RECORDS`` proposals of a ``RECORD_BYTES`` tx each, then half of one more (a torn
    tail); returns the size of the good records."""
    block = make_block(height, KEYS[0].address, [b"\x07" * RECORD_BYTES])
    record = frame(ProposalRecord(signed_proposal(KEYS[0], height, 0, block), own=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        for _ in range(BIG_RECORDS):
            file.write(record)
        file.write(record[: len(record) // 2])
    return BIG_RECORDS * len(record)


def test_opening_and_replay_read_one_record_at_a_time(tmp_path: Path) -> None:
    """A 50 MiB segment is checked, cut at its torn tail and replayed in a few records' memory."""
    good_size = write_big_segment(tmp_path / CURRENT, 3)
    tracemalloc.start()
    try:
        with WAL(tmp_path) as wal:
            replayed = wal.replay(3)
            count = sum(1 for _ in replayed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / CURRENT).stat().st_size == good_size
    assert count == len(replayed) == BIG_RECORDS
    assert peak < 8 * RECORD_BYTES < good_size // 20, peak


def test_replay_fsyncs_what_was_buffered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What is replayed is what a crash would have left: the log is made durable first."""
    synced_sizes: list[int] = []
    fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced_sizes.append(os.fstat(fd).st_size)
        fsync(fd)

    with WAL(tmp_path) as wal:
        logged = log_height(wal, 1)
        extra = TimeoutRecord(TimeoutEvent(Step.PRECOMMIT, 1, 0))
        wal.write(extra)  # buffered in this process only
        monkeypatch.setattr(os, "fsync", recording_fsync)
        assert list(wal.replay(1)) == [*logged, extra]
        assert synced_sizes == [(tmp_path / CURRENT).stat().st_size]


def test_replay_reads_the_log_as_it_stood(tmp_path: Path) -> None:
    """Records written while a replay is iterated, and the rotation after a decision, do
    not change what it gives."""
    with WAL(tmp_path) as wal:
        log_height(wal, 1)
        wal.end_height(1)
        logged = log_height(wal, 2)
        replayed = wal.replay(2)
        iterator = iter(replayed)
        first = next(iterator)
        later = TimeoutRecord(TimeoutEvent(Step.PRECOMMIT, 2, 3))
        wal.write_sync(later)
        wal.end_height(2)
        log_height(wal, 3)
        assert [first, *iterator] == logged
        assert len(replayed) == len(logged)
        assert list(replayed) == logged  # and again
        assert later not in replayed
        assert list(wal.replay(2)) == [*logged, later]  # now in previous.wal
