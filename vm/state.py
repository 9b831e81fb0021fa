"""Committed state: flat values, the Merkle tree over them, and metadata, all in
one key-value store so a block's changes land in one atomic write."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vm.store.kv import KVStore, prefix_end
from vm.store.smt import EMPTY_ROOT, Proof, SparseMerkleTree

VALUE_PREFIX = b"v/"
NODE_PREFIX = b"n/"
META_HEIGHT = b"m/height"
META_APP_HASH = b"m/app_hash"
META_CHAIN_ID = b"m/chain_id"
META_TIME = b"m/time_ns"


class CommittedValues:
    """Read-only view of the committed flat values (the parent of every cache)."""

    def __init__(self, kv: KVStore) -> None:
        self.kv = kv

    def get(self, key: bytes) -> bytes | None:
        return self.kv.get(VALUE_PREFIX + key)

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        upper = VALUE_PREFIX + end if end is not None else prefix_end(VALUE_PREFIX)
        for key, value in self.kv.iterate(VALUE_PREFIX + start, upper):
            yield key[len(VALUE_PREFIX) :], value


class CommittedState:
    def __init__(self, kv: KVStore) -> None:
        self.kv = kv
        self.values = CommittedValues(kv)
        self.tree = SparseMerkleTree(kv, NODE_PREFIX)

    def height(self) -> int:
        raw = self.kv.get(META_HEIGHT)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def app_hash(self) -> bytes:
        return self.kv.get(META_APP_HASH) or EMPTY_ROOT

    def chain_id(self) -> str:
        raw = self.kv.get(META_CHAIN_ID)
        return "" if raw is None else raw.decode()

    def last_time_ns(self) -> int:
        raw = self.kv.get(META_TIME)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def prepare(
        self, changes: Mapping[bytes, bytes | None], height: int, time_ns: int, chain_id: str
    ) -> tuple[bytes, dict[bytes, bytes | None]]:
        """The new app hash and every write that commits ``changes`` at ``height``."""
        root, writes = self.tree.update(changes)
        for key, value in changes.items():
            writes[VALUE_PREFIX + key] = value
        writes[META_HEIGHT] = height.to_bytes(8, "big")
        writes[META_APP_HASH] = root
        writes[META_TIME] = time_ns.to_bytes(8, "big")
        writes[META_CHAIN_ID] = chain_id.encode()
        return root, writes

    def prove(self, key: bytes) -> Proof:
        return self.tree.prove(key)
