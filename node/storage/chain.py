"""The node's one LevelDB: block store, state and tx index under key prefixes.

A block's records are staged, then written in the same atomic batch as the
application's state changes (``StateKV.write``), so after a crash at any
instant the store holds either the whole block and its state or neither.

Committed evidence is indexed twice: by id (``EVIDENCE``, kept for good) and by
offence (``OFFENCE``: height, round, vote type, validator), so that a restarted
node refuses another pair of votes for an offence committed before. Offence
keys start with the height, so expired ones are pruned oldest first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence

import msgspec
import plyvel

from consensus.abci import FinalizeResultLike
from consensus.codec import decode, encode
from consensus.merkle import merkle_root
from consensus.tendermint.evidence import Offence
from consensus.types import Block, Commit
from consensus.validators import ValidatorSet, ValidatorSetRecord
from node.storage.leveldb import LevelDBKV, write_failure
from node.storage.records import BlockResults, EventRecord, TxLocation, block_results, tx_record
from vm.store.kv import prefix_end

STATE = b"S"
BLOCK = b"B"
COMMIT = b"C"
RESULTS = b"R"
RESULTS_HASH = b"r"
BLOCK_HASH = b"H"
TX = b"T"
TX_BY_HEIGHT = b"t"
EVENT = b"E"
VALIDATORS = b"V"
EVIDENCE = b"X"
OFFENCE = b"O"
META_HEIGHT = b"M/height"
META_BASE = b"M/base"


def results_hash(results: list[tuple[int, bytes, int, int]]) -> bytes:
    """The Merkle root over each tx's deterministic result fields, CometBFT's
    (code, data, gas_wanted, gas_used), each tuple in the canonical encoding."""
    return merkle_root([encode(list(fields)) for fields in results])


def height_key(height: int) -> bytes:
    return height.to_bytes(8, "big")


def offence_key(offence: Offence) -> bytes:
    """The offence index's key: height first, so that keys sort oldest first."""
    validator, height, round_, vote_type = offence
    return OFFENCE + height_key(height) + height_key(round_) + height_key(vote_type) + validator


def offence_key_height(key: bytes) -> int:
    return int.from_bytes(key[len(OFFENCE) : len(OFFENCE) + 8], "big")


def event_key_prefix(composite: str, value: str) -> bytes:
    """The tx index's key prefix for an attribute ``composite`` (``type.key``) = ``value``.

    Each component is escaped and terminated: a 0x00 byte inside it becomes 0x00 0x01, and
    0x00 0x00 ends it. An escaped component never holds 0x00 0x00, so one pair's prefix never
    starts another pair's keys; keys still sort as the pairs do, the terminator first."""
    parts = (part.encode().replace(b"\x00", b"\x00\x01") + b"\x00\x00" for part in (composite, value))
    return EVENT + b"".join(parts)


class StateKV(LevelDBKV):
    """The application's key-value store; its writes carry the staged block records."""

    def __init__(self, db: plyvel.DB, staged: dict[bytes, bytes | None]) -> None:
        super().__init__(db, STATE, sync=True)
        self._db_ref = db
        self._staged = staged

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        try:
            with self._db_ref.write_batch(transaction=True, sync=True) as batch:
                for staged_key, staged_value in self._staged.items():
                    if staged_value is None:
                        batch.delete(staged_key)
                    else:
                        batch.put(staged_key, staged_value)
                for key, value in changes.items():
                    if value is None:
                        batch.delete(STATE + key)
                    else:
                        batch.put(STATE + key, value)
        except plyvel.Error as exc:
            raise write_failure(self._db_ref, exc) from exc
        self._staged.clear()


class ChainStore:
    """Implements consensus.engine.BlockStore and the node's history queries."""

    def __init__(self, db: plyvel.DB) -> None:
        self.db = db
        self._staged: dict[bytes, bytes | None] = {}  # None: a key to delete
        self.state_kv = StateKV(db, self._staged)

    # -- BlockStore --------------------------------------------------------------

    def height(self) -> int:
        raw = self.db.get(META_HEIGHT)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def base(self) -> int:
        raw = self.db.get(META_BASE)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def load_block(self, height: int) -> Block | None:
        raw = self.db.get(BLOCK + height_key(height))
        return None if raw is None else decode(raw, Block)

    def load_commit(self, height: int) -> Commit | None:
        raw = self.db.get(COMMIT + height_key(height))
        return None if raw is None else decode(raw, Commit)

    def load_results(self, height: int) -> BlockResults | None:
        raw = self.db.get(RESULTS + height_key(height))
        return None if raw is None else msgspec.msgpack.decode(raw, type=BlockResults)

    def load_results_hash(self, height: int) -> bytes:
        """Merkle root of each tx's deterministic result fields (CometBFT's LastResultsHash).

        Stored with the block, since every proposal built or checked needs the previous
        one's; computed from the results for blocks stored before it was."""
        stored = self.db.get(RESULTS_HASH + height_key(height))
        if stored is not None:
            return bytes(stored)
        results = self.load_results(height)
        if results is None:
            return merkle_root([])
        return results_hash([(r.code, r.data, r.gas_wanted, r.gas_used) for r in results.txs_results])

    def stage_block(self, block: Block, commit: Commit, result: FinalizeResultLike) -> None:
        height = block.header.height
        staged = self._staged
        staged[BLOCK + height_key(height)] = encode(block)
        staged[COMMIT + height_key(height)] = encode(commit)
        staged[RESULTS + height_key(height)] = msgspec.msgpack.encode(block_results(height, result))
        staged[RESULTS_HASH + height_key(height)] = results_hash(
            [(r.code, r.data, r.gas_wanted, r.gas_used) for r in result.tx_results]
        )
        staged[BLOCK_HASH + block.hash()] = height_key(height)
        staged[META_HEIGHT] = height_key(height)
        if self.base() == 0 and META_BASE not in staged:
            staged[META_BASE] = height_key(height)
        for item in block.evidence:
            staged[EVIDENCE + hashlib.sha256(item).digest()] = height_key(height)
        for index, (tx, tx_result) in enumerate(zip(block.data.txs, result.tx_results, strict=True)):
            self._stage_tx(height, index, tx, tx_record(tx_result).events)

    def _stage_tx(self, height: int, index: int, tx: bytes, events: list[EventRecord]) -> None:
        location = height_key(height) + index.to_bytes(4, "big")
        tx_hash = hashlib.sha256(tx).digest()
        self._staged[TX + tx_hash] = msgspec.msgpack.encode(TxLocation(height, index))
        self._staged[TX_BY_HEIGHT + location] = tx_hash
        for event in events:
            for attribute in event.attributes:
                if attribute.index:
                    key = event_key_prefix(f"{event.type}.{attribute.key}", attribute.value) + location
                    self._staged[key] = tx_hash

    def load_validators(self, height: int) -> ValidatorSet | None:
        raw = self.db.get(VALIDATORS + height_key(height))
        return None if raw is None else ValidatorSet.from_record(decode(raw, ValidatorSetRecord))

    def save_validators(self, height: int, validators: ValidatorSet) -> None:
        """Store a set at once: the first height's, which InitChain chose and no block carries."""
        try:
            self.db.put(VALIDATORS + height_key(height), encode(validators.record()), sync=True)
        except plyvel.Error as exc:
            raise write_failure(self.db, exc) from exc

    def stage_validators(self, height: int, validators: ValidatorSet) -> None:
        self._staged[VALIDATORS + height_key(height)] = encode(validators.record())

    def evidence_committed(self, evidence_id: bytes) -> bool:
        return self.db.get(EVIDENCE + evidence_id) is not None

    def offence_committed(self, offence: Offence) -> bool:
        return self.db.get(offence_key(offence)) is not None

    def stage_offences(self, height: int, offences: Sequence[Offence]) -> None:
        for offence in offences:
            self._staged[offence_key(offence)] = height_key(height)

    def stage_offence_expiry(self, is_expired: Callable[[int], bool]) -> None:
        """Expiry only grows with the chain, so this reads the index up to its first live key."""
        expired_below = 0  # every height below it is expired
        for key in self.db.iterator(prefix=OFFENCE, include_value=False):
            height = offence_key_height(key)
            if height >= expired_below:
                if not is_expired(height):
                    return
                expired_below = height + 1
            self._staged[key] = None

    # -- history -----------------------------------------------------------------

    def height_of_hash(self, block_hash: bytes) -> int | None:
        raw = self.db.get(BLOCK_HASH + block_hash)
        return None if raw is None else int.from_bytes(raw, "big")

    def locate_tx(self, tx_hash: bytes) -> TxLocation | None:
        raw = self.db.get(TX + tx_hash)
        return None if raw is None else msgspec.msgpack.decode(raw, type=TxLocation)

    def txs_with_attribute(
        self, composite: str, value: str, low: int = 0, high: int | None = None, reverse: bool = False
    ) -> Iterator[TxLocation]:
        """Txs with the attribute at heights ``low`` to ``high``, in (height, index) order
        (newest first if ``reverse``), read from the index as the caller advances."""
        start = event_key_prefix(composite, value)
        stop = prefix_end(start) if high is None else start + height_key(high + 1)
        first = start + height_key(low)
        for key in self.db.iterator(start=first, stop=stop, reverse=reverse, include_value=False):
            location = key[-12:]
            yield TxLocation(int.from_bytes(location[:8], "big"), int.from_bytes(location[8:], "big"))

    def txs_in_heights(self, low: int, high: int, reverse: bool = False) -> Iterator[TxLocation]:
        start = TX_BY_HEIGHT + height_key(low)
        stop = TX_BY_HEIGHT + height_key(high + 1)
        for key in self.db.iterator(start=start, stop=stop, reverse=reverse, include_value=False):
            yield TxLocation(int.from_bytes(key[1:9], "big"), int.from_bytes(key[9:13], "big"))
