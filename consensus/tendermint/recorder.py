"""What the engine writes to its WAL, and when.

Each input of the round state machine is logged before the machine handles it:
received proposals and votes with ``write`` (a crash may lose them: peers send
them again), timeouts likewise, and our own proposals and votes with
``write_sync`` before they are sent, so that a restarted node re-sends what it
signed instead of signing anew. After a height's block is committed the log
marks the height ended.

At start the engine replays the log of the height it is deciding. What is
replayed is not logged again. What the machine signs anew while replaying (a
crash came between an input and our answer to it) is held until the replay
ends, then logged, unless the log already held it, and only then sent; once
the height is decided its log has ended and it is sent unlogged. A crash after
a block was stored but before its height was marked ended is mended on restart.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager

from consensus.tendermint.messages import Message, ProposalMsg, TimeoutEvent
from consensus.tendermint.wal import WAL, Entry, ProposalRecord, TimeoutRecord, VoteRecord
from consensus.tendermint.wire import digest


class Recorder:
    def __init__(self, wal: WAL) -> None:
        self._wal = wal
        self._replaying = False
        self._created_in_replay: list[Message] = []
        self._logged_own: set[bytes] = set()

    def logged_at(self, height: int, stored_height: int) -> Collection[Entry]:
        """What the log holds for ``height``, read before the new height logs anything;
        ``stored_height`` is the block store's."""
        logged = self._wal.replay(height)
        if not logged.found and stored_height == height - 1:
            # A crash came after the block was stored but before the log marked its height
            # ended: mark it now, or this height's records would follow the last one's and
            # a second crash would find nothing to replay (our own votes included).
            self._wal.end_height(height - 1)
        return logged

    def received(self, message: Message) -> None:
        if self._replaying:
            return
        if isinstance(message, ProposalMsg):
            self._wal.write(ProposalRecord(message, own=False))
        else:
            self._wal.write(VoteRecord(message, own=False))

    def own(self, message: Message) -> bool:
        """Log our own message durably; whether to send it now. During a replay it is
        held instead, until the replay shows whether the log already holds it."""
        if self._replaying:
            self._created_in_replay.append(message)
            return False
        self._log_own(message)
        return True

    def timeout(self, event: TimeoutEvent) -> None:
        if not self._replaying:
            self._wal.write(TimeoutRecord(event))

    def end_height(self, height: int) -> None:
        self._wal.end_height(height)

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """Replaying the log: nothing handled meanwhile is logged again."""
        self._replaying, self._created_in_replay = True, []
        self._logged_own = set()
        try:
            yield
        finally:
            self._replaying = False

    def replayed_own(self, message: Message) -> None:
        """``message``, ours, came back from the log."""
        self._logged_own.add(digest(message))

    def release_created(self, send: Callable[[Message], None], *, height_ended: bool) -> None:
        """Pass on what the machine signed anew while replaying, each logged before it is
        sent (so that a second crash finds it too), unless the log already held it."""
        for message in self._created_in_replay:
            if digest(message) in self._logged_own:
                continue
            if not height_ended:
                self._log_own(message)
            send(message)
        self._created_in_replay = []

    def _log_own(self, message: Message) -> None:
        if isinstance(message, ProposalMsg):
            self._wal.write_sync(ProposalRecord(message, own=True))
        else:
            self._wal.write_sync(VoteRecord(message, own=True))
