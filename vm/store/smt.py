"""The authenticated state tree whose root is the chain's app_hash.

A binary sparse Merkle tree over SHA-256 with Jellyfish-style path compression:

- a key sits at the leaf path sha256(key), read most significant bit first;
- leaf hash     = sha256(0x00 || key_hash || sha256(value));
- internal hash = sha256(0x01 || left || right);
- an empty subtree hashes to 32 zero bytes (EMPTY_ROOT);
- a subtree holding a single leaf is that leaf, stored at the subtree's top, so an
  internal node never has two empty children, nor one empty child and one leaf.

The shape of the tree is therefore a function of the set of keys alone, and so is
the root. The tree stores only hashes; the caller keeps the values themselves.

Each node is stored under prefix || depth (2 bytes, big-endian) || its path bits,
packed MSB first and padded with zero bits. Only the latest version is kept.
`update` reads the old nodes and returns the node writes without applying them, so
the caller can commit them in the same atomic batch as the values they cover.
"""

from bisect import bisect_left, insort
from collections.abc import Callable, Mapping
from hashlib import sha256
from operator import itemgetter
from typing import Annotated, NamedTuple

import msgspec

from vm.store.kv import KVStore

HASH_SIZE = 32
KEY_BITS = 256
EMPTY_ROOT = bytes(HASH_SIZE)

# Stored node encodings: a leaf is its own hash preimage, tag || key_hash || value_hash;
# an internal node is tag || left || right, with the tag also saying which children
# are leaves, so that collapsing a lone leaf upwards needs no read to discover it.
_LEAF_TAG = 0x00
_INTERNAL_TAG = 0x01
_LEFT_IS_LEAF = 0x02
_RIGHT_IS_LEAF = 0x04

Hash32 = Annotated[bytes, msgspec.Meta(min_length=HASH_SIZE, max_length=HASH_SIZE)]


class MissingNodeError(Exception):
    """The store lacks a node that the committed tree refers to: the store is corrupt."""


class ProofLeaf(msgspec.Struct, array_like=True, forbid_unknown_fields=True, frozen=True):
    key_hash: Hash32
    value_hash: Hash32


class Proof(msgspec.Struct, array_like=True, forbid_unknown_fields=True, frozen=True):
    """Proof that a key has a value, or is absent, under a root.

    `siblings` runs root to leaf: siblings[i] is the hash of the sibling of the
    proven path's node at depth i + 1. The path ends at depth len(siblings), where
    `leaf` is the leaf found there (the key's own leaf for an inclusion proof, or
    another key's leaf proving absence), or None for an empty subtree.
    """

    siblings: Annotated[list[Hash32], msgspec.Meta(max_length=KEY_BITS)]
    leaf: ProofLeaf | None

    def encode(self) -> bytes:
        return _PROOF_ENCODER.encode(self)

    @classmethod
    def decode(cls, data: bytes) -> "Proof":
        try:
            return _PROOF_DECODER.decode(data)
        except msgspec.DecodeError as exc:
            raise ValueError(f"malformed proof: {exc}") from exc


_PROOF_ENCODER = msgspec.msgpack.Encoder()
_PROOF_DECODER = msgspec.msgpack.Decoder(Proof)


def hash_leaf(key_hash: bytes, value_hash: bytes) -> bytes:
    return sha256(b"\x00" + key_hash + value_hash).digest()


def hash_internal(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def get_bit(key_hash: bytes, depth: int) -> int:
    """Return the bit of `key_hash` that chooses the child at `depth` (0 = root)."""
    return (key_hash[depth >> 3] >> (7 - (depth & 7))) & 1


def compute_root_reference(items: Mapping[bytes, bytes]) -> bytes:
    """Recompute the root from every item, straight from the definition.

    The slow, obviously correct reference that `SparseMerkleTree` is tested against.
    """
    leaves = [(sha256(key).digest(), sha256(value).digest()) for key, value in items.items()]
    return _compute_subtree_reference(leaves, 0)


def _compute_subtree_reference(leaves: list[tuple[bytes, bytes]], depth: int) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return hash_leaf(*leaves[0])
    left = [leaf for leaf in leaves if get_bit(leaf[0], depth) == 0]
    right = [leaf for leaf in leaves if get_bit(leaf[0], depth) == 1]
    return hash_internal(
        _compute_subtree_reference(left, depth + 1),
        _compute_subtree_reference(right, depth + 1),
    )


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Check that under `root`, `key` holds `value`, or is absent if `value` is None."""
    if not _is_well_formed(proof):
        return False
    key_hash = sha256(key).digest()
    terminal = _get_terminal_hash(key_hash, value, proof)
    if terminal is None:
        return False
    # In a compressed tree the last node on a path always has a non-empty sibling.
    if proof.siblings and proof.siblings[-1] == EMPTY_ROOT:
        return False
    return compute_root_from_path(key_hash, terminal, proof.siblings) == root


def compute_root_from_path(key_hash: bytes, terminal: bytes, siblings: list[bytes]) -> bytes:
    """Hash up from the node at depth len(siblings) on key_hash's path to the root."""
    node = terminal
    for depth in range(len(siblings) - 1, -1, -1):
        if get_bit(key_hash, depth):
            node = hash_internal(siblings[depth], node)
        else:
            node = hash_internal(node, siblings[depth])
    return node


def _is_well_formed(proof: Proof) -> bool:
    """Check the sizes that decoding enforces, for proofs built in code."""
    if len(proof.siblings) > KEY_BITS:
        return False
    if any(len(sibling) != HASH_SIZE for sibling in proof.siblings):
        return False
    leaf = proof.leaf
    return leaf is None or (len(leaf.key_hash) == HASH_SIZE and len(leaf.value_hash) == HASH_SIZE)


def _get_terminal_hash(key_hash: bytes, value: bytes | None, proof: Proof) -> bytes | None:
    """Return the hash the path must end in for the claim to hold, or None if the
    proof's end point cannot support the claim."""
    leaf = proof.leaf
    if value is not None:
        if leaf is None or leaf.key_hash != key_hash:
            return None
        if leaf.value_hash != sha256(value).digest():
            return None
        return hash_leaf(leaf.key_hash, leaf.value_hash)
    if leaf is None:
        return EMPTY_ROOT
    # Another key's leaf proves absence only if it sits on this key's path.
    if leaf.key_hash == key_hash:
        return None
    if not _shares_prefix(leaf.key_hash, key_hash, len(proof.siblings)):
        return None
    return hash_leaf(leaf.key_hash, leaf.value_hash)


def _shares_prefix(a: bytes, b: bytes, bits: int) -> bool:
    shift = KEY_BITS - bits
    return int.from_bytes(a, "big") >> shift == int.from_bytes(b, "big") >> shift


# Nodes down to this depth stay in memory: at most 2**17 - 1 of them, a few tens of
# MB. Every block rewrites most of them, and they are the reads shared by all keys.
_CACHED_DEPTH = 16


class SparseMerkleTree:
    """The sparse Merkle tree stored in `kv` under `prefix`.

    Keeps the nodes of the top 16 levels in memory between updates. The cache checks
    itself against the stored root at each update, so whoever writes the store and
    whether an update's writes are applied or dropped, results stay correct.
    """

    def __init__(self, kv: KVStore, prefix: bytes) -> None:
        self._kv = kv
        self._depth_prefixes = [prefix + depth.to_bytes(2, "big") for depth in range(KEY_BITS + 1)]
        self._cache = _NodeCache(max_key_size=len(self.node_key(_CACHED_DEPTH, 0)))

    def root(self) -> bytes:
        """Return the root hash of the tree committed in the store."""
        encoded = self._kv.get(self.node_key(0, 0))
        return EMPTY_ROOT if encoded is None else _hash_encoded_node(encoded)

    def update(
        self, changes: Mapping[bytes, bytes | None]
    ) -> tuple[bytes, dict[bytes, bytes | None]]:
        """Compute the tree after `changes` (key -> new value, None deletes).

        Returns the new root and the node writes (store key -> value, None deletes)
        that the caller must apply, atomically with its own writes. The store is not
        modified. Cost grows with the number of changes times the tree depth.
        """
        root_key = self.node_key(0, 0)
        old_root = self._kv.get(root_key)
        self._cache.sync(old_root)
        walk = _TreeUpdate(changes, self.node_key, self._read_cached, self._cache.max_key_size)
        new_root, writes = walk.apply(old_root)
        self._cache.stage(writes.get(root_key, old_root), walk.cache_changes)
        return new_root, writes

    def prove(self, key: bytes) -> Proof:
        """Prove the key's value, or its absence, against root()."""
        key_hash = sha256(key).digest()
        siblings: list[bytes] = []
        depth = path = 0
        encoded = self._kv.get(self.node_key(0, 0))
        while encoded is not None and encoded[0] != _LEAF_TAG:
            bit = get_bit(key_hash, depth)
            left, right = encoded[1:33], encoded[33:65]
            child, sibling = (right, left) if bit else (left, right)
            siblings.append(sibling)
            depth, path = depth + 1, path << 1 | bit
            encoded = None if child == EMPTY_ROOT else self._read_committed(depth, path)
        if encoded is None:
            return Proof(siblings, None)
        return Proof(siblings, ProofLeaf(encoded[1:33], encoded[33:65]))

    def node_key(self, depth: int, path: int) -> bytes:
        """Return the store key of the node at `depth` whose path bits are `path`."""
        pad = -depth & 7
        return self._depth_prefixes[depth] + (path << pad).to_bytes((depth + 7) >> 3, "big")

    def _read_committed(self, depth: int, path: int) -> bytes:
        key = self.node_key(depth, path)
        encoded = self._kv.get(key)
        if encoded is None:
            raise MissingNodeError(f"state tree node {key.hex()} is missing")
        return encoded

    def _read_cached(self, key: bytes) -> bytes:
        encoded = self._cache.nodes.get(key)
        if encoded is None:
            encoded = self._kv.get(key)
            if encoded is None:
                raise MissingNodeError(f"state tree node {key.hex()} is missing")
            self._cache.add(key, encoded)
        return encoded


def _hash_encoded_node(encoded: bytes) -> bytes:
    if encoded[0] == _LEAF_TAG:
        return sha256(encoded).digest()
    return hash_internal(encoded[1:33], encoded[33:65])


class _CacheChanges:
    """One update's node writes at cached depths; the deletions apply first."""

    def __init__(self) -> None:
        self.deleted: list[bytes] = []
        self.written: dict[bytes, bytes] = {}


class _NodeCache:
    """The stored upper nodes of the tree whose root node encoding is `_root`.

    update() does not write, so the cache cannot follow commits as they happen. It
    keeps the latest update's changes instead and applies them once the store holds
    that update's root; finding any other root, it starts over. Equal roots mean
    equal trees, since the root commits to every node below it.
    """

    def __init__(self, max_key_size: int) -> None:
        self.nodes: dict[bytes, bytes] = {}
        self.max_key_size = max_key_size  # the store key size of the deepest cached nodes
        self._root: bytes | None = None
        self._staged_root: bytes | None = None
        self._staged = _CacheChanges()

    def sync(self, root: bytes | None) -> None:
        """Make the cache hold the nodes of the tree whose root encoding is `root`."""
        if root is None or root != self._root:
            if root is not None and root == self._staged_root:
                for key in self._staged.deleted:
                    self.nodes.pop(key, None)
                self.nodes.update(self._staged.written)
            else:
                self.nodes.clear()
        self._root = root
        self._staged_root, self._staged = None, _CacheChanges()

    def add(self, key: bytes, encoded: bytes) -> None:
        if len(key) <= self.max_key_size:
            self.nodes[key] = encoded

    def stage(self, root: bytes | None, changes: _CacheChanges) -> None:
        """Remember an update's changes, to apply if its root gets committed."""
        self._staged_root, self._staged = root, changes


# What a position holds during an update.
_EMPTY = 0
_NEW_LEAF = 1  # a leaf not stored yet: its position is settled only with its sibling's
_STORED_LEAF = 2  # a leaf already stored at this position
_INTERNAL = 3  # an internal node already stored at this position

_LEAF_KINDS = (_NEW_LEAF, _STORED_LEAF)


class _Subtree(NamedTuple):
    hash: bytes
    kind: int
    leaf: bytes = b""  # the encoding of a _NEW_LEAF


_EMPTY_SUBTREE = _Subtree(EMPTY_ROOT, _EMPTY)

# A change: (key hash as an int, key hash, value hash or None to delete). Sorting by
# the int puts the changes in path order, so a subtree's changes are a slice.
_Change = tuple[int, bytes, bytes | None]
_Leaf = tuple[int, bytes, bytes]


class _TreeUpdate:
    """One batched update: a single walk of the old tree along the changed paths.

    A position is (depth, path), `path` being the top `depth` bits of a key hash.
    Old nodes on the walk are scheduled for deletion as they are read, and new nodes
    are written bottom-up once their children are known; a leaf is written by its
    parent, which alone knows whether the leaf must move up (compression).
    """

    def __init__(
        self,
        changes: Mapping[bytes, bytes | None],
        node_key: Callable[[int, int], bytes],
        read: Callable[[bytes], bytes],
        cached_key_size: int,
    ) -> None:
        self._changes: list[_Change] = sorted(
            (_make_change(key, value) for key, value in changes.items()), key=itemgetter(0)
        )
        self._node_key = node_key
        self._read = read
        self._cached_key_size = cached_key_size
        self._writes: dict[bytes, bytes | None] = {}
        self._old: dict[bytes, bytes] = {}  # the old encodings at the positions taken
        self.cache_changes = _CacheChanges()

    def apply(self, root: bytes | None) -> tuple[bytes, dict[bytes, bytes | None]]:
        """Apply the changes to the tree whose root node encoding is `root`."""
        if not self._changes:
            return (EMPTY_ROOT if root is None else _hash_encoded_node(root)), {}
        kind = _EMPTY if root is None else _STORED_LEAF if root[0] == _LEAF_TAG else _INTERNAL
        new_root = self._update(0, 0, kind, 0, len(self._changes))
        self._place(0, 0, new_root)
        return new_root.hash, self._writes

    def _update(self, depth: int, path: int, kind: int, lo: int, hi: int) -> _Subtree:
        """Apply changes[lo:hi], all below (depth, path), to the old node of `kind` there."""
        if kind == _EMPTY:
            return self._build_new(depth, path, lo, hi, None)
        if kind == _INTERNAL and hi - lo == 1:
            return self._update_path(depth, lo)
        encoded = self._take(depth, path)
        if kind == _STORED_LEAF:
            return self._build_new(depth, path, lo, hi, encoded)
        mid = bisect_left(self._changes, (_right_start(depth, path),), lo, hi)
        left = _stored_child(encoded[1:33], encoded[0] & _LEFT_IS_LEAF)
        right = _stored_child(encoded[33:65], encoded[0] & _RIGHT_IS_LEAF)
        if lo < mid:
            left = self._update(depth + 1, path << 1, left.kind, lo, mid)
        if mid < hi:
            right = self._update(depth + 1, path << 1 | 1, right.kind, mid, hi)
        return self._join(depth, path, left, right)

    def _update_path(self, top: int, index: int) -> _Subtree:
        """Apply the single change changes[index] below the internal node at depth `top`.

        Below the levels shared by the batch, most changes walk alone to a leaf, so
        this loops instead of recursing; a new value for an existing key, the common
        case, keeps the shape of the tree and is rehashed in place.
        """
        bits, key_hash, value_hash = self._changes[index]
        node_key, read = self._node_key, self._read
        stack: list[tuple[bytes, bytes]] = []  # internal nodes passed: (store key, encoding)
        depth = top
        key = node_key(depth, bits >> (KEY_BITS - depth))
        while True:
            encoded = read(key)
            stack.append((key, encoded))
            if bits >> (KEY_BITS - 1 - depth) & 1:
                child, is_leaf = encoded[33:65], encoded[0] & _RIGHT_IS_LEAF
            else:
                child, is_leaf = encoded[1:33], encoded[0] & _LEFT_IS_LEAF
            depth += 1
            key = node_key(depth, bits >> (KEY_BITS - depth))
            if is_leaf or child == EMPTY_ROOT:
                break
        if is_leaf and value_hash is not None:
            old_leaf = read(key)
            if old_leaf[1:33] == key_hash:
                return self._rehash_path(bits, top, stack, key, old_leaf, value_hash)
        for stacked_key, encoded in stack:
            self._take_read(stacked_key, encoded)
        kind = _STORED_LEAF if is_leaf else _EMPTY
        subtree = self._update(depth, bits >> (KEY_BITS - depth), kind, index, index + 1)
        for parent_depth in range(depth - 1, top - 1, -1):
            parent = stack[parent_depth - top][1]
            subtree = self._join_old_sibling(parent_depth, bits, parent, subtree)
        return subtree

    def _rehash_path(
        self,
        bits: int,
        top: int,
        stack: list[tuple[bytes, bytes]],
        key: bytes,
        old_leaf: bytes,
        value_hash: bytes,
    ) -> _Subtree:
        """Give `old_leaf`, stored at `key`, a new value hash, then rewrite the internal
        nodes in `stack`, from depth `top` down to the leaf's parent, with new hashes."""
        leaf = old_leaf[:33] + value_hash
        if leaf == old_leaf:
            top_node = stack[0][1]
            return _Subtree(hash_internal(top_node[1:33], top_node[33:65]), _INTERNAL)
        self._write(key, leaf)
        node_hash = sha256(leaf).digest()
        for depth in range(top + len(stack) - 1, top - 1, -1):
            key, encoded = stack[depth - top]
            if bits >> (KEY_BITS - 1 - depth) & 1:
                encoded = encoded[:33] + node_hash
            else:
                encoded = encoded[:1] + node_hash + encoded[33:]
            self._write(key, encoded)
            node_hash = sha256(b"\x01" + encoded[1:]).digest()
        return _Subtree(node_hash, _INTERNAL)

    def _build_new(
        self, depth: int, path: int, lo: int, hi: int, old_leaf: bytes | None
    ) -> _Subtree:
        """Build the subtree at a position that held nothing or the one leaf `old_leaf`."""
        leaves: list[_Leaf] = [
            (bits, key_hash, value_hash)
            for bits, key_hash, value_hash in self._changes[lo:hi]
            if value_hash is not None
        ]
        if old_leaf is not None:
            bits = int.from_bytes(old_leaf[1:33], "big")
            at = bisect_left(self._changes, (bits,), lo, hi)
            if at == hi or self._changes[at][0] != bits:  # the batch leaves it alone
                insort(leaves, (bits, old_leaf[1:33], old_leaf[33:65]))
        return self._build(depth, path, leaves, 0, len(leaves))

    def _build(self, depth: int, path: int, leaves: list[_Leaf], lo: int, hi: int) -> _Subtree:
        """Build the subtree at (depth, path) holding exactly leaves[lo:hi]."""
        if lo == hi:
            return _EMPTY_SUBTREE
        if hi - lo == 1:
            _, key_hash, value_hash = leaves[lo]
            encoded = b"\x00" + key_hash + value_hash
            return _Subtree(sha256(encoded).digest(), _NEW_LEAF, encoded)
        mid = bisect_left(leaves, (_right_start(depth, path),), lo, hi)
        left = self._build(depth + 1, path << 1, leaves, lo, mid)
        right = self._build(depth + 1, path << 1 | 1, leaves, mid, hi)
        return self._join(depth, path, left, right)

    def _join_old_sibling(self, depth: int, bits: int, encoded: bytes, child: _Subtree) -> _Subtree:
        """Join the new child on the path `bits` with its sibling in the old node `encoded`."""
        path = bits >> (KEY_BITS - depth)
        if bits >> (KEY_BITS - 1 - depth) & 1:
            left = _stored_child(encoded[1:33], encoded[0] & _LEFT_IS_LEAF)
            return self._join(depth, path, left, child)
        right = _stored_child(encoded[33:65], encoded[0] & _RIGHT_IS_LEAF)
        return self._join(depth, path, child, right)

    def _join(self, depth: int, path: int, left: _Subtree, right: _Subtree) -> _Subtree:
        """Make the node at (depth, path) from its new children, compressing a lone leaf."""
        if left.kind == _EMPTY and right.kind != _INTERNAL:
            return self._lift(depth + 1, path << 1 | 1, right)
        if right.kind == _EMPTY and left.kind != _INTERNAL:
            return self._lift(depth + 1, path << 1, left)
        self._place(depth + 1, path << 1, left)
        self._place(depth + 1, path << 1 | 1, right)
        tag = _INTERNAL_TAG
        if left.kind in _LEAF_KINDS:
            tag |= _LEFT_IS_LEAF
        if right.kind in _LEAF_KINDS:
            tag |= _RIGHT_IS_LEAF
        self._put(depth, path, bytes([tag]) + left.hash + right.hash)
        return _Subtree(hash_internal(left.hash, right.hash), _INTERNAL)

    def _lift(self, depth: int, path: int, subtree: _Subtree) -> _Subtree:
        """Detach a lone leaf (or nothing) at (depth, path) so that it can move up."""
        if subtree.kind != _STORED_LEAF:
            return subtree
        return _Subtree(subtree.hash, _NEW_LEAF, self._take(depth, path))

    def _place(self, depth: int, path: int, subtree: _Subtree) -> None:
        if subtree.kind == _NEW_LEAF:
            self._put(depth, path, subtree.leaf)

    def _take(self, depth: int, path: int) -> bytes:
        """Read the old node at (depth, path) and schedule its deletion."""
        key = self._node_key(depth, path)
        encoded = self._read(key)
        self._take_read(key, encoded)
        return encoded

    def _take_read(self, key: bytes, encoded: bytes) -> None:
        """Schedule the deletion of the old node `encoded`, already read from `key`."""
        self._old[key] = encoded
        self._writes[key] = None
        if len(key) <= self._cached_key_size:
            self.cache_changes.deleted.append(key)

    def _put(self, depth: int, path: int, encoded: bytes) -> None:
        """Store a new node at a position whose old node, if any, was taken."""
        key = self._node_key(depth, path)
        if self._old.get(key) == encoded:
            del self._writes[key]  # the node is unchanged: no write at all
            if len(key) <= self._cached_key_size:
                self.cache_changes.written[key] = encoded
        else:
            self._write(key, encoded)

    def _write(self, key: bytes, encoded: bytes) -> None:
        self._writes[key] = encoded
        if len(key) <= self._cached_key_size:
            self.cache_changes.written[key] = encoded


def _stored_child(child_hash: bytes, is_leaf: int) -> _Subtree:
    """Describe an old child from its hash and its parent's leaf flag for it."""
    if child_hash == EMPTY_ROOT:
        return _EMPTY_SUBTREE
    return _Subtree(child_hash, _STORED_LEAF if is_leaf else _INTERNAL)


def _make_change(key: bytes, value: bytes | None) -> _Change:
    key_hash = sha256(key).digest()
    value_hash = None if value is None else sha256(value).digest()
    return int.from_bytes(key_hash, "big"), key_hash, value_hash


def _right_start(depth: int, path: int) -> int:
    """Return the smallest key hash, as an int, in the right child of (depth, path)."""
    return (path << 1 | 1) << (KEY_BITS - 1 - depth)
