"""The authenticated state tree whose root is the chain's app_hash.

A radix-16 (hexary) sparse Merkle tree over SHA-256 with path compression:

- a key's path is sha256(key) read as 64 nibbles, most significant first; the
  position (depth, path) is the subtree of the keys whose paths start with the
  `depth` nibbles `path`, and its children are the 16 positions one nibble deeper;
- a position holding no key is empty, one holding one key is that key's leaf, and
  one holding two or more keys is an internal node over its 16 children. So an
  internal node never has fewer than two non-empty children unless its only
  non-empty child is itself internal, and the shape of the tree, and with it the
  root, is a function of the set of keys alone;
- leaf hash     = sha256(0x00 || key_hash || sha256(value));
- internal hash = sha256(0x01 || c0 || c1 || ... || c15), ci the hash of child i;
- an empty subtree hashes to 32 zero bytes (EMPTY_ROOT).

The tree stores only hashes; the caller keeps the values themselves. Each node is
stored under prefix || depth (1 byte, in nibbles) || its path nibbles, packed two to
a byte, most significant first, and padded with a zero nibble. Only the latest
version is kept. `update` reads the old nodes and returns the node writes without
applying them, so the caller can commit them in the same atomic batch as the values
they cover.
"""

import struct
from bisect import bisect_left, insort
from collections.abc import Callable, Mapping, Sequence
from hashlib import sha256
from operator import itemgetter
from typing import Annotated, NamedTuple

import msgspec

from vm.store.kv import KVStore

HASH_SIZE = 32
RADIX = 16
KEY_NIBBLES = 64
EMPTY_ROOT = bytes(HASH_SIZE)

# Stored node encodings. A leaf is its own hash preimage: tag || key_hash || value_hash.
# An internal node is tag || present || leaves || the hashes of its non-empty children
# in child order, where `present` and `leaves` are 16-bit big-endian bitmaps (bit i,
# of value 1 << i, for child i) of the non-empty children and of those that are
# leaves. Knowing which children are leaves lets an update move a lone leaf up
# without reading it first.
_LEAF_TAG = 0x00
_INTERNAL_TAG = 0x01
_INTERNAL_HEADER_SIZE = 5
_FULL_INTERNAL_SIZE = _INTERNAL_HEADER_SIZE + RADIX * HASH_SIZE

# A proof level: a 16-bit big-endian bitmap of a node's non-empty children other than
# the proven path's own child, then their hashes in child order.
_LEVEL_HEADER_SIZE = 2
_MAX_LEVEL_SIZE = _LEVEL_HEADER_SIZE + (RADIX - 1) * HASH_SIZE

Hash32 = Annotated[bytes, msgspec.Meta(min_length=HASH_SIZE, max_length=HASH_SIZE)]
ProofLevel = Annotated[bytes, msgspec.Meta(min_length=_LEVEL_HEADER_SIZE, max_length=_MAX_LEVEL_SIZE)]


class MissingNodeError(Exception):
    """The store lacks a node that the committed tree refers to: the store is corrupt."""


class ProofLeaf(msgspec.Struct, array_like=True, forbid_unknown_fields=True, frozen=True):
    key_hash: Hash32
    value_hash: Hash32


class Proof(msgspec.Struct, array_like=True, forbid_unknown_fields=True, frozen=True):
    """Proof that a key has a value, or is absent, under a root.

    `siblings` runs root to leaf: siblings[d] describes the internal node at depth d
    on the key's path by its non-empty children other than the path's own: their
    bitmap, as in stored nodes, then their hashes in child order. The path ends at
    depth len(siblings), where `leaf` is the leaf found there (the key's own leaf for
    an inclusion proof, or another key's leaf proving absence), or None for an empty
    subtree.
    """

    siblings: Annotated[list[ProofLevel], msgspec.Meta(max_length=KEY_NIBBLES)]
    leaf: ProofLeaf | None

    def encode(self) -> bytes:
        return _PROOF_ENCODER.encode(self)

    @classmethod
    def decode(cls, data: bytes) -> "Proof":
        try:
            proof = _PROOF_DECODER.decode(data)
        except msgspec.DecodeError as exc:
            raise ValueError(f"malformed proof: {exc}") from exc
        if not _is_well_formed(proof):
            raise ValueError("malformed proof: a level's bitmap and hashes disagree")
        return proof


_PROOF_ENCODER = msgspec.msgpack.Encoder()
_PROOF_DECODER = msgspec.msgpack.Decoder(Proof)


def hash_leaf(key_hash: bytes, value_hash: bytes) -> bytes:
    return sha256(b"\x00" + key_hash + value_hash).digest()


def hash_internal(children: Sequence[bytes]) -> bytes:
    """Hash an internal node from the hashes of its 16 children."""
    return sha256(b"\x01" + b"".join(children)).digest()


def get_nibble(key_hash: bytes, depth: int) -> int:
    """Return the nibble of `key_hash` that chooses the child at `depth` (0 = root)."""
    return key_hash[depth >> 1] >> (4 * (~depth & 1)) & 0xF


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
    return hash_internal(
        [
            _compute_subtree_reference(
                [leaf for leaf in leaves if get_nibble(leaf[0], depth) == nibble], depth + 1
            )
            for nibble in range(RADIX)
        ]
    )


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Check that under `root`, `key` holds `value`, or is absent if `value` is None."""
    if not _is_well_formed(proof):
        return False
    key_hash = sha256(key).digest()
    if not _is_canonical_path(key_hash, proof.siblings):
        return False
    terminal = _get_terminal_hash(key_hash, value, proof)
    if terminal is None:
        return False
    return compute_root_from_path(key_hash, terminal, proof.siblings) == root


def compute_root_from_path(key_hash: bytes, terminal: bytes, levels: list[bytes]) -> bytes:
    """Hash up from the node at depth len(levels) on key_hash's path to the root."""
    node = terminal
    for depth in range(len(levels) - 1, -1, -1):
        node = hash_internal(get_level_children(levels[depth], get_nibble(key_hash, depth), node))
    return node


def get_level_children(level: bytes, nibble: int, child: bytes) -> list[bytes]:
    """Return the 16 child hashes of the node that a proof level describes, given
    the hash of its child `nibble` on the proven path."""
    present = _get_level_bitmap(level)
    others = iter(
        level[offset : offset + HASH_SIZE] for offset in range(_LEVEL_HEADER_SIZE, len(level), HASH_SIZE)
    )
    return [child if i == nibble else next(others) if present >> i & 1 else EMPTY_ROOT for i in range(RADIX)]


def _get_level_bitmap(level: bytes) -> int:
    return int.from_bytes(level[:_LEVEL_HEADER_SIZE], "big")


def _is_well_formed(proof: Proof) -> bool:
    """Check the sizes, and that each level lists exactly its bitmap's non-empty hashes."""
    if len(proof.siblings) > KEY_NIBBLES:
        return False
    if not all(_is_well_formed_level(level) for level in proof.siblings):
        return False
    leaf = proof.leaf
    return leaf is None or (len(leaf.key_hash) == HASH_SIZE and len(leaf.value_hash) == HASH_SIZE)


def _is_well_formed_level(level: bytes) -> bool:
    if not _LEVEL_HEADER_SIZE <= len(level) <= _MAX_LEVEL_SIZE:
        return False
    if len(level) != _LEVEL_HEADER_SIZE + HASH_SIZE * _get_level_bitmap(level).bit_count():
        return False
    return all(
        level[offset : offset + HASH_SIZE] != EMPTY_ROOT
        for offset in range(_LEVEL_HEADER_SIZE, len(level), HASH_SIZE)
    )


def _is_canonical_path(key_hash: bytes, levels: list[bytes]) -> bool:
    """Check that no level lists the path's own child as a sibling, and that the
    path's end has a non-empty sibling: in a compressed tree its parent holds at
    least two keys, else the end would have been moved up."""
    for depth, level in enumerate(levels):
        if _get_level_bitmap(level) >> get_nibble(key_hash, depth) & 1:
            return False
    return not levels or _get_level_bitmap(levels[-1]) != 0


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


def _shares_prefix(a: bytes, b: bytes, nibbles: int) -> bool:
    shift = 4 * (KEY_NIBBLES - nibbles)
    return int.from_bytes(a, "big") >> shift == int.from_bytes(b, "big") >> shift


# Nodes down to this depth stay in memory: at most 1 + 16 + ... + 16**4 = 69,905 of
# them, about 30 MB with 1,000,000 keys. Every block rewrites most of them, and they
# are the reads shared by all keys. Even, so that a node's store key is no longer
# than those at this depth exactly when the node is no deeper.
_CACHED_DEPTH = 4


class SparseMerkleTree:
    """The sparse Merkle tree stored in `kv` under `prefix`.

    Keeps the nodes of the top 5 levels in memory between updates. The cache checks
    itself against the stored root at each update, so whoever writes the store and
    whether an update's writes are applied or dropped, results stay correct.
    """

    def __init__(self, kv: KVStore, prefix: bytes) -> None:
        self._kv = kv
        self._depth_prefixes = [prefix + bytes([depth]) for depth in range(KEY_NIBBLES + 1)]
        self._cache = _NodeCache(max_key_size=len(self.node_key(_CACHED_DEPTH, 0)))

    def root(self) -> bytes:
        """Return the root hash of the tree committed in the store."""
        encoded = self._kv.get(self.node_key(0, 0))
        return EMPTY_ROOT if encoded is None else _hash_encoded_node(encoded)

    def update(self, changes: Mapping[bytes, bytes | None]) -> tuple[bytes, dict[bytes, bytes | None]]:
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
        levels: list[bytes] = []
        depth = path = 0
        encoded = self._kv.get(self.node_key(0, 0))
        while encoded is not None and encoded[0] != _LEAF_TAG:
            nibble = get_nibble(key_hash, depth)
            levels.append(_get_proof_level(encoded, nibble))
            has_child = _get_present(encoded) >> nibble & 1
            depth, path = depth + 1, path << 4 | nibble
            encoded = self._read_stored(self.node_key(depth, path)) if has_child else None
        if encoded is None:
            return Proof(levels, None)
        return Proof(levels, ProofLeaf(encoded[1:33], encoded[33:65]))

    def node_key(self, depth: int, path: int) -> bytes:
        """Return the store key of the node at `depth` whose path nibbles are `path`."""
        pad = 4 * (depth & 1)
        return self._depth_prefixes[depth] + (path << pad).to_bytes((depth + 1) >> 1, "big")

    def _read_cached(self, key: bytes) -> bytes:
        encoded = self._cache.nodes.get(key)
        if encoded is None:
            encoded = self._read_stored(key)
            if len(key) <= self._cache.max_key_size:
                self._cache.nodes[key] = encoded
        return encoded

    def _read_stored(self, key: bytes) -> bytes:
        encoded = self._kv.get(key)
        if encoded is None:
            raise MissingNodeError(f"state tree node {key.hex()} is missing")
        return encoded


# Reading stored internal nodes.


def _get_present(encoded: bytes) -> int:
    """Return the bitmap of an internal node's non-empty children."""
    return encoded[1] << 8 | encoded[2]


def _get_leaves(encoded: bytes) -> int:
    """Return the bitmap of an internal node's children that are leaves."""
    return encoded[3] << 8 | encoded[4]


def _get_child_offset(encoded: bytes, nibble: int) -> int:
    """Return where the hash of non-empty child `nibble` starts in an internal node."""
    below = _get_present(encoded) & ((1 << nibble) - 1)
    return _INTERNAL_HEADER_SIZE + HASH_SIZE * below.bit_count()


# Expanding an internal node's listed hashes into all 16, which runs for each level of
# every changed path, is left to `struct`: _UNPACK_HASHES[n] reads n hashes, and
# _PACK_HALF[present] lays out 8 children, writing 32 zero bytes for each one that
# `present` marks empty.
_UNPACK_HASHES = [struct.Struct("32s" * count).unpack_from for count in range(RADIX + 1)]
_PACK_HALF = [
    struct.Struct("".join("32s" if present >> child & 1 else "32x" for child in range(8))).pack
    for present in range(256)
]


def _expand_children(encoded: bytes) -> bytes:
    """Return an internal node's 16 child hashes, concatenated: its hash preimage
    less the tag."""
    if len(encoded) == _FULL_INTERNAL_SIZE:
        return encoded[_INTERNAL_HEADER_SIZE:]
    low, high = encoded[2], encoded[1]  # the bitmaps of children 0-7 (listed first), 8-15
    low_count = low.bit_count()
    high_start = _INTERNAL_HEADER_SIZE + HASH_SIZE * low_count
    low_half = _PACK_HALF[low](*_UNPACK_HASHES[low_count](encoded, _INTERNAL_HEADER_SIZE))
    high_half = _PACK_HALF[high](*_UNPACK_HASHES[high.bit_count()](encoded, high_start))
    return low_half + high_half


def _hash_internal_node(encoded: bytes) -> bytes:
    return sha256(b"\x01" + _expand_children(encoded)).digest()


def _hash_encoded_node(encoded: bytes) -> bytes:
    if encoded[0] == _LEAF_TAG:
        return sha256(encoded).digest()
    return _hash_internal_node(encoded)


def _get_proof_level(encoded: bytes, nibble: int) -> bytes:
    """Describe an internal node for a proof of the path through child `nibble`."""
    present = _get_present(encoded)
    hashes = encoded[_INTERNAL_HEADER_SIZE:]
    if present >> nibble & 1:
        offset = _get_child_offset(encoded, nibble) - _INTERNAL_HEADER_SIZE
        hashes = hashes[:offset] + hashes[offset + HASH_SIZE :]
    return (present & ~(1 << nibble)).to_bytes(_LEVEL_HEADER_SIZE, "big") + hashes


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

    def stage(self, root: bytes | None, changes: _CacheChanges) -> None:
        """Remember an update's changes, to apply if its root gets committed."""
        self._staged_root, self._staged = root, changes


# What a position holds during an update.
_EMPTY = 0
_NEW_LEAF = 1  # a leaf not stored yet: its position is settled only with its siblings'
_STORED_LEAF = 2  # a leaf already stored at this position
_INTERNAL = 3  # an internal node, stored at this position or to be written there


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

    A position is (depth, path), `path` being the top `depth` nibbles of a key hash.
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
        self._bits = [bits for bits, _, _ in self._changes]
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
        children = _decode_children(encoded)
        bounds = _split(self._bits, depth, path, lo, hi)
        for nibble in range(RADIX):
            start, end = bounds[nibble], bounds[nibble + 1]
            if start < end:
                child_path = path << 4 | nibble
                children[nibble] = self._update(depth + 1, child_path, children[nibble].kind, start, end)
        return self._join(depth, path, children)

    def _update_path(self, top: int, index: int) -> _Subtree:
        """Apply the single change changes[index] below the internal node at depth `top`.

        Below the levels shared by the batch, most changes walk alone to a leaf, so
        this loops instead of recursing; a new value for an existing key, the common
        case, keeps the shape of the tree and is rehashed in place.
        """
        bits, key_hash, value_hash = self._changes[index]
        node_key, read = self._node_key, self._read
        # The internal nodes passed: (store key, encoding, offset of the path's child
        # hash in the encoding).
        stack: list[tuple[bytes, bytes, int]] = []
        depth, shift = top, 4 * (KEY_NIBBLES - top)  # bits >> shift is the path at depth
        key = node_key(depth, bits >> shift)
        while True:
            encoded = read(key)
            depth, shift = depth + 1, shift - 4
            nibble = bits >> shift & 0xF
            present = encoded[1] << 8 | encoded[2]
            below = present & ((1 << nibble) - 1)
            stack.append((key, encoded, _INTERNAL_HEADER_SIZE + HASH_SIZE * below.bit_count()))
            key = node_key(depth, bits >> shift)
            if not present >> nibble & 1:
                kind = _EMPTY
                break
            if (encoded[3] << 8 | encoded[4]) >> nibble & 1:
                kind = _STORED_LEAF
                break
        if kind == _STORED_LEAF and value_hash is not None:
            old_leaf = read(key)
            if old_leaf[1:33] == key_hash:
                return self._rehash_path(stack, key, old_leaf, value_hash)
        for stacked_key, encoded, _ in stack:
            self._take_read(stacked_key, encoded)
        subtree = self._update(depth, bits >> shift, kind, index, index + 1)
        for parent_depth in range(depth - 1, top - 1, -1):
            children = _decode_children(stack[parent_depth - top][1])
            children[bits >> (4 * (KEY_NIBBLES - 1 - parent_depth)) & 0xF] = subtree
            subtree = self._join(parent_depth, bits >> (4 * (KEY_NIBBLES - parent_depth)), children)
        return subtree

    def _rehash_path(
        self, stack: list[tuple[bytes, bytes, int]], key: bytes, old_leaf: bytes, value_hash: bytes
    ) -> _Subtree:
        """Give `old_leaf`, stored at `key`, a new value hash, then rewrite the internal
        nodes in `stack`, from the top down to the leaf's parent, with new hashes."""
        leaf = old_leaf[:33] + value_hash
        if leaf == old_leaf:
            return _Subtree(_hash_internal_node(stack[0][1]), _INTERNAL)
        self._write(key, leaf)
        node_hash = sha256(leaf).digest()
        for key, encoded, offset in reversed(stack):
            encoded = encoded[:offset] + node_hash + encoded[offset + HASH_SIZE :]
            self._write(key, encoded)
            node_hash = sha256(b"\x01" + _expand_children(encoded)).digest()
        return _Subtree(node_hash, _INTERNAL)

    def _build_new(self, depth: int, path: int, lo: int, hi: int, old_leaf: bytes | None) -> _Subtree:
        """Build the subtree at a position that held nothing or the one leaf `old_leaf`."""
        leaves: list[_Leaf] = [
            (bits, key_hash, value_hash)
            for bits, key_hash, value_hash in self._changes[lo:hi]
            if value_hash is not None
        ]
        if old_leaf is not None:
            bits = int.from_bytes(old_leaf[1:33], "big")
            at = bisect_left(self._bits, bits, lo, hi)
            if at == hi or self._bits[at] != bits:  # the batch leaves it alone
                insort(leaves, (bits, old_leaf[1:33], old_leaf[33:65]))
        return self._build(depth, path, leaves, [bits for bits, _, _ in leaves], 0, len(leaves))

    def _build(
        self, depth: int, path: int, leaves: list[_Leaf], bits: list[int], lo: int, hi: int
    ) -> _Subtree:
        """Build the subtree at (depth, path) holding exactly leaves[lo:hi], whose key
        hashes as ints are bits[lo:hi]."""
        if lo == hi:
            return _EMPTY_SUBTREE
        if hi - lo == 1:
            _, key_hash, value_hash = leaves[lo]
            encoded = b"\x00" + key_hash + value_hash
            return _Subtree(sha256(encoded).digest(), _NEW_LEAF, encoded)
        bounds = _split(bits, depth, path, lo, hi)
        children = [
            self._build(depth + 1, path << 4 | nibble, leaves, bits, bounds[nibble], bounds[nibble + 1])
            for nibble in range(RADIX)
        ]
        return self._join(depth, path, children)

    def _join(self, depth: int, path: int, children: list[_Subtree]) -> _Subtree:
        """Make the node at (depth, path) from its 16 new children, moving a lone leaf up."""
        occupied = [nibble for nibble, child in enumerate(children) if child.kind != _EMPTY]
        if not occupied:
            return _EMPTY_SUBTREE
        if len(occupied) == 1 and children[occupied[0]].kind != _INTERNAL:
            nibble = occupied[0]
            return self._lift(depth + 1, path << 4 | nibble, children[nibble])
        present = leaves = 0
        for nibble in occupied:
            child = children[nibble]
            present |= 1 << nibble
            if child.kind != _INTERNAL:
                leaves |= 1 << nibble
                self._place(depth + 1, path << 4 | nibble, child)
        hashes = [child.hash for child in children]
        header = bytes((_INTERNAL_TAG, present >> 8, present & 0xFF, leaves >> 8, leaves & 0xFF))
        self._put(depth, path, header + b"".join([hashes[nibble] for nibble in occupied]))
        return _Subtree(hash_internal(hashes), _INTERNAL)

    def _lift(self, depth: int, path: int, subtree: _Subtree) -> _Subtree:
        """Detach a lone leaf at (depth, path) so that it can move up."""
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


def _decode_children(encoded: bytes) -> list[_Subtree]:
    """Describe the 16 children of a stored internal node."""
    present, leaves = _get_present(encoded), _get_leaves(encoded)
    children: list[_Subtree] = []
    offset = _INTERNAL_HEADER_SIZE
    for nibble in range(RADIX):
        if present >> nibble & 1:
            kind = _STORED_LEAF if leaves >> nibble & 1 else _INTERNAL
            children.append(_Subtree(encoded[offset : offset + HASH_SIZE], kind))
            offset += HASH_SIZE
        else:
            children.append(_EMPTY_SUBTREE)
    return children


def _split(bits: list[int], depth: int, path: int, lo: int, hi: int) -> list[int]:
    """Split the sorted key hashes bits[lo:hi], all below (depth, path), by child:
    those of child i are bits[bounds[i]:bounds[i + 1]]."""
    shift = 4 * (KEY_NIBBLES - 1 - depth)
    bounds = [lo]
    for nibble in range(1, RADIX):
        bounds.append(bisect_left(bits, (path << 4 | nibble) << shift, bounds[-1], hi))
    bounds.append(hi)
    return bounds


def _make_change(key: bytes, value: bytes | None) -> _Change:
    key_hash = sha256(key).digest()
    value_hash = None if value is None else sha256(value).digest()
    return int.from_bytes(key_hash, "big"), key_hash, value_hash
