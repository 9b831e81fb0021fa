"""vm.store.smt: the incremental tree against the reference root, and proofs."""

import random
from collections.abc import Iterator, Mapping
from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm.store.kv import MemoryKV, prefix_end
from vm.store.smt import (
    EMPTY_ROOT,
    MissingNodeError,
    Proof,
    ProofLeaf,
    SparseMerkleTree,
    compute_root_from_path,
    compute_root_reference,
    get_nibble,
    hash_internal,
    hash_leaf,
    verify_proof,
)

PREFIX = b"n/"
Batch = dict[bytes, bytes | None]

# Few distinct keys, so batches often overwrite and delete keys already present.
keys = st.binary(max_size=1)
values = st.binary(max_size=3)
batches = st.dictionaries(keys, st.one_of(st.none(), values), max_size=40)


def new_tree() -> tuple[MemoryKV, SparseMerkleTree]:
    kv = MemoryKV()
    return kv, SparseMerkleTree(kv, PREFIX)


def commit(kv: MemoryKV, tree: SparseMerkleTree, changes: Mapping[bytes, bytes | None]) -> bytes:
    root, writes = tree.update(changes)
    kv.write(writes)
    return root


def apply_to(state: dict[bytes, bytes], changes: Mapping[bytes, bytes | None]) -> None:
    for key, value in changes.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value


def stored_nodes(kv: MemoryKV) -> Iterator[tuple[int, int, bytes]]:
    """Yield (depth, path, encoding) for every node stored under PREFIX."""
    for key, encoded in kv.iterate(PREFIX, prefix_end(PREFIX)):
        depth = key[len(PREFIX)]
        packed = key[len(PREFIX) + 1 :]
        assert len(packed) == (depth + 1) // 2
        path = int.from_bytes(packed, "big")
        if depth % 2:
            assert path & 0xF == 0  # padded with a zero nibble
            path >>= 4
        yield depth, path, encoded


def node_hash(encoded: bytes) -> bytes:
    """Hash a stored node straight from the definition of its encoding."""
    if encoded[0] == 0:
        return hash_leaf(encoded[1:33], encoded[33:])
    present = int.from_bytes(encoded[1:3], "big")
    hashes = iter(encoded[i : i + 32] for i in range(5, len(encoded), 32))
    return hash_internal([next(hashes) if present >> i & 1 else EMPTY_ROOT for i in range(16)])


def assert_canonical(kv: MemoryKV, state: Mapping[bytes, bytes]) -> None:
    """Check that the stored nodes are exactly the compressed tree over `state`."""
    nodes = {(depth, path): encoded for depth, path, encoded in stored_nodes(kv)}
    leaves = [encoded for encoded in nodes.values() if encoded[0] == 0]
    assert sorted(leaves) == sorted(
        b"\x00" + sha256(k).digest() + sha256(v).digest() for k, v in state.items()
    )
    for (depth, path), encoded in nodes.items():
        if encoded[0] == 0:  # a leaf sits on its own key's path
            assert len(encoded) == 65
            assert int.from_bytes(encoded[1:33], "big") >> (256 - 4 * depth) == path
            continue
        assert encoded[0] == 1
        present = int.from_bytes(encoded[1:3], "big")
        is_leaf = int.from_bytes(encoded[3:5], "big")
        assert is_leaf & ~present == 0
        assert len(encoded) == 5 + 32 * present.bit_count()
        hashes = iter(encoded[i : i + 32] for i in range(5, len(encoded), 32))
        kinds = []
        for nibble in range(16):
            child = nodes.get((depth + 1, path << 4 | nibble))
            assert (child is not None) == bool(present >> nibble & 1)
            if child is None:
                continue
            assert next(hashes) == node_hash(child)
            assert bool(is_leaf >> nibble & 1) == (child[0] == 0)
            kinds.append("leaf" if child[0] == 0 else "node")
        # Two keys or more below every internal node: a lone leaf moves up.
        assert kinds and kinds != ["leaf"]
    root = nodes.get((0, 0))
    assert (EMPTY_ROOT if root is None else node_hash(root)) == compute_root_reference(state)


def random_state(rng: random.Random, size: int) -> dict[bytes, bytes]:
    return {rng.randbytes(8): rng.randbytes(rng.randint(0, 40)) for _ in range(size)}


def test_empty_tree() -> None:
    _, tree = new_tree()
    assert tree.root() == EMPTY_ROOT == compute_root_reference({})
    assert tree.update({}) == (EMPTY_ROOT, {})
    assert tree.update({b"missing": None}) == (EMPTY_ROOT, {})


def test_single_leaf_is_stored_at_the_root() -> None:
    kv, tree = new_tree()
    root = commit(kv, tree, {b"k": b"v"})
    leaf = b"\x00" + sha256(b"k").digest() + sha256(b"v").digest()
    assert root == sha256(leaf).digest() == hash_leaf(leaf[1:33], leaf[33:])
    assert dict(kv.iterate(b"")) == {PREFIX + b"\x00": leaf}


def test_two_leaves_hang_from_one_internal_node() -> None:
    kv, tree = new_tree()
    state = {b"a": b"1", b"b": b"2"}
    root = commit(kv, tree, state)
    assert root == compute_root_reference(state)
    assert len(kv) == 3
    assert_canonical(kv, state)


def find_keys_sharing_nibbles(count: int) -> tuple[bytes, bytes]:
    """Two keys whose hashes share their first `count` nibbles, and not the next."""
    seen: dict[bytes, bytes] = {}
    for i in range(1 << 20):
        key = i.to_bytes(3, "big")
        key_hash = sha256(key).hexdigest()
        other = seen.setdefault(key_hash[:count].encode(), key)
        if other != key and sha256(other).hexdigest()[count] != key_hash[count]:
            return other, key
    raise AssertionError("no such keys")


def test_keys_sharing_a_prefix_hang_below_a_chain_of_internal_nodes() -> None:
    kv, tree = new_tree()
    first, second = find_keys_sharing_nibbles(3)
    state = {first: b"1", second: b"2", b"k": b"3"}
    root = commit(kv, tree, state)
    assert root == compute_root_reference(state)
    assert_canonical(kv, state)
    # b"k" sits beside them below the root; then a chain of two internal nodes with
    # one child each leads to the node holding the two leaves.
    depths = sorted(depth for depth, _, encoded in stored_nodes(kv) if encoded[0] == 1)
    assert depths == [0, 1, 2, 3]
    proof = tree.prove(first)
    assert len(proof.siblings) == 4 and proof.siblings[1:3] == [b"\x00\x00"] * 2
    assert verify_proof(root, first, b"1", proof)
    del state[second]
    assert commit(kv, tree, {second: None}) == compute_root_reference(state)
    assert_canonical(kv, state)  # the first key's leaf moved up to the root's child
    assert len(kv) == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(batches, min_size=1, max_size=8))
def test_update_matches_reference(history: list[Batch]) -> None:
    kv, tree = new_tree()
    state: dict[bytes, bytes] = {}
    for changes in history:
        root = commit(kv, tree, changes)
        apply_to(state, changes)
        assert root == tree.root() == compute_root_reference(state)
        assert_canonical(kv, state)
    assert commit(kv, tree, dict.fromkeys(state)) == EMPTY_ROOT
    assert tree.root() == EMPTY_ROOT
    assert len(kv) == 0


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.binary(max_size=4), values, max_size=60), st.randoms())
def test_root_is_independent_of_order_and_batching(state: dict[bytes, bytes], rng: random.Random) -> None:
    items = list(state.items())
    rng.shuffle(items)
    kv, tree = new_tree()
    while items:
        size = rng.randint(1, len(items))
        commit(kv, tree, dict(items[:size]))
        items = items[size:]
    assert tree.root() == compute_root_reference(state)
    one_batch_kv, one_batch_tree = new_tree()
    commit(one_batch_kv, one_batch_tree, state)
    assert dict(kv.iterate(b"")) == dict(one_batch_kv.iterate(b""))


def test_large_random_history_matches_reference() -> None:
    rng = random.Random(7)
    kv, tree = new_tree()
    state = random_state(rng, 3000)
    commit(kv, tree, state)
    for _ in range(20):
        existing = rng.sample(sorted(state), 150)
        changes: Batch = {key: rng.randbytes(5) for key in existing[:100]}
        changes.update(dict.fromkeys(existing[100:]))
        changes.update(random_state(rng, 50))
        root = commit(kv, tree, changes)
        apply_to(state, changes)
        assert root == compute_root_reference(state)
    assert_canonical(kv, state)
    assert commit(kv, tree, dict.fromkeys(state)) == EMPTY_ROOT
    assert len(kv) == 0


def test_update_does_not_write() -> None:
    kv, tree = new_tree()
    commit(kv, tree, {b"a": b"1"})
    before = dict(kv.iterate(b""))
    root, writes = tree.update({b"a": b"2", b"b": b"3"})
    assert writes and root != tree.root()
    assert dict(kv.iterate(b"")) == before


def test_unchanged_values_write_nothing() -> None:
    rng = random.Random(1)
    kv, tree = new_tree()
    state = random_state(rng, 500)
    root = commit(kv, tree, state)
    some = dict(list(state.items())[:50])
    assert tree.update(some) == (root, {})
    assert tree.update({rng.randbytes(9): None for _ in range(50)}) == (root, {})


def test_one_change_touches_one_path() -> None:
    rng = random.Random(2)
    kv, tree = new_tree()
    state = random_state(rng, 4000)
    commit(kv, tree, state)
    reads = 0
    get = kv.get

    def counting_get(key: bytes) -> bytes | None:
        nonlocal reads
        reads += 1
        return get(key)

    kv.get = counting_get  # type: ignore[method-assign]
    key = next(iter(state))
    _, writes = tree.update({key: b"new"})
    depth = len(tree.prove(key).siblings)
    assert len(writes) == depth + 1  # the leaf and each internal node above it
    assert reads <= 2 * (depth + 2)


def test_node_cache_follows_the_store() -> None:
    rng = random.Random(10)
    kv, tree = new_tree()
    state = random_state(rng, 2000)
    commit(kv, tree, state)
    for _ in range(5):
        existing = rng.sample(sorted(state), 300)
        changes: Batch = dict.fromkeys(existing[:200])
        changes.update({key: b"new" for key in existing[200:]})
        commit(kv, tree, changes)
        apply_to(state, changes)
    tree.update({})  # every update first brings the cache up to date with the store
    cached = tree._cache.nodes
    assert cached and all(kv.get(key) == encoded for key, encoded in cached.items())


def test_discarded_update_leaves_the_tree_usable() -> None:
    kv, tree = new_tree()
    state = random_state(random.Random(3), 300)
    commit(kv, tree, state)
    tree.update({key: b"discarded" for key in list(state)[:100]})
    changes = {key: b"kept" for key in list(state)[50:150]}
    assert commit(kv, tree, changes) == compute_root_reference(state | changes)


def test_changes_committed_by_another_writer_are_seen() -> None:
    kv, tree = new_tree()
    other = SparseMerkleTree(kv, PREFIX)
    state = random_state(random.Random(4), 300)
    commit(kv, tree, state)
    commit(kv, tree, {b"x": b"1"})
    commit(kv, other, {key: b"other" for key in list(state)[:100]})
    apply_to(state, {key: b"other" for key in list(state)[:100]})
    state[b"x"] = b"1"
    assert commit(kv, tree, {b"y": b"2"}) == compute_root_reference(state | {b"y": b"2"})


def test_prefix_confines_the_tree() -> None:
    kv = MemoryKV({b"m/1": b"one", b"o/": b"two"})
    tree = SparseMerkleTree(kv, PREFIX)
    root = commit(kv, tree, {b"a": b"1", b"b": b"2"})
    assert all(key.startswith(PREFIX) for key in tree.update({b"c": b"3"})[1])
    assert SparseMerkleTree(kv, b"o/").root() != root
    assert kv.get(b"m/1") == b"one"


def test_builds_a_large_tree_in_one_update() -> None:
    _, tree = new_tree()
    state = random_state(random.Random(5), 20_000)
    root, writes = tree.update(state)
    assert root == compute_root_reference(state)
    assert len(writes) < 2 * len(state)


def recorded_reads(kv: MemoryKV) -> list[bytes]:
    """Record from now on the keys that `kv.get` is asked for."""
    reads: list[bytes] = []
    get = kv.get

    def recording_get(key: bytes) -> bytes | None:
        reads.append(key)
        return get(key)

    kv.get = recording_get  # type: ignore[method-assign]
    return reads


def upper_reads(tree: SparseMerkleTree, reads: list[bytes]) -> list[bytes]:
    """The reads of nodes down to the cached depth (depth 4), less the root's, which
    every update reads to check the cache against the store."""
    cached_size = len(tree.node_key(4, 0))
    return [key for key in reads if len(key) <= cached_size and key != tree.node_key(0, 0)]


def test_batch_touches_only_its_paths() -> None:
    # A batch walks the changed paths alone: untouched subtrees are neither read nor
    # rebuilt, however many changes the batch holds.
    rng = random.Random(12)
    kv, tree = new_tree()
    state = random_state(rng, 4000)
    commit(kv, tree, state)
    first = next(iter(state))
    second = next(
        k for k in state if get_nibble(sha256(k).digest(), 0) != get_nibble(sha256(first).digest(), 0)
    )
    depths = [len(tree.prove(key).siblings) for key in (first, second)]
    reads = recorded_reads(kv)
    _, writes = tree.update({first: b"new", second: b"new"})
    assert len(writes) == sum(depths) + 1  # both leaves and the internal nodes above them
    assert len(reads) <= sum(2 * (depth + 2) for depth in depths)


def test_warm_cache_serves_the_upper_levels() -> None:
    # The nodes down to the cached depth are read from the store once; later updates,
    # after a dropped update or a committed one, find them in memory.
    rng = random.Random(11)
    kv = MemoryKV()
    state = random_state(rng, 3000)
    commit(kv, SparseMerkleTree(kv, PREFIX), state)
    tree = SparseMerkleTree(kv, PREFIX)  # a cold cache over a committed tree
    changes: Batch = {key: b"new" for key in rng.sample(sorted(state), 200)}
    tree.update(changes)  # its writes are dropped
    reads = recorded_reads(kv)
    tree.update(changes)
    assert reads and upper_reads(tree, reads) == []
    # Two keys below one node at depth 3, rewritten with their own values: that node and
    # their leaves are taken and put back unchanged, and must stay cached.
    by_prefix: dict[str, list[bytes]] = {}
    for key in sorted(state):
        by_prefix.setdefault(sha256(key).hexdigest()[:3], []).append(key)
    pair = next(keys for keys in by_prefix.values() if len(keys) == 2)
    commit(kv, tree, {key: state[key] for key in pair} | changes)
    reads.clear()
    tree.update({key: b"other" for key in pair})
    assert reads and upper_reads(tree, reads) == []


def test_missing_node_is_reported_with_its_key() -> None:
    # A store that lost a node the root refers to is corrupt: say which node.
    kv, tree = new_tree()
    state = random_state(random.Random(13), 300)
    commit(kv, tree, state)
    key = next(iter(state))
    depth = len(tree.prove(key).siblings)
    leaf_key = tree.node_key(depth, int.from_bytes(sha256(key).digest(), "big") >> (256 - 4 * depth))
    assert kv.get(leaf_key) is not None
    kv.write({leaf_key: None})
    with pytest.raises(MissingNodeError, match=f"^state tree node {leaf_key.hex()} is missing$"):
        tree.prove(key)


def prove_all(state: Mapping[bytes, bytes], absent: list[bytes]) -> tuple[bytes, dict[bytes, Proof]]:
    kv, tree = new_tree()
    root = commit(kv, tree, state)
    return root, {key: tree.prove(key) for key in [*state, *absent]}


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.binary(max_size=3), values, max_size=30),
    st.lists(st.binary(min_size=4, max_size=4), max_size=5),
)
def test_proofs_verify(state: dict[bytes, bytes], absent: list[bytes]) -> None:
    root, proofs = prove_all(state, absent)
    for key, value in state.items():
        assert verify_proof(root, key, value, proofs[key])
        assert not verify_proof(root, key, None, proofs[key])
    for key in absent:
        assert verify_proof(root, key, None, proofs[key])
        assert not verify_proof(root, key, b"", proofs[key])


def test_absence_proofs_end_at_empty_slots_and_at_other_leaves() -> None:
    state = random_state(random.Random(6), 200)
    absent = [bytes([i]) for i in range(200)]
    root, proofs = prove_all(state, absent)
    ends = {proofs[key].leaf is None for key in absent}
    assert ends == {True, False}
    assert all(verify_proof(root, key, None, proofs[key]) for key in absent)


def test_proofs_in_empty_and_single_leaf_trees() -> None:
    root, proofs = prove_all({}, [b"a"])
    assert root == EMPTY_ROOT and proofs[b"a"] == Proof([], None)
    assert verify_proof(root, b"a", None, proofs[b"a"])
    root, proofs = prove_all({b"k": b"v"}, [b"a"])
    assert proofs[b"k"].siblings == [] and verify_proof(root, b"k", b"v", proofs[b"k"])
    assert verify_proof(root, b"a", None, proofs[b"a"])


def test_proof_roundtrips_through_bytes() -> None:
    _, proofs = prove_all(random_state(random.Random(8), 100), [b"absent"])
    for proof in proofs.values():
        assert Proof.decode(proof.encode()) == proof


@pytest.fixture(scope="module")
def proven() -> tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]:
    state = random_state(random.Random(9), 300)
    root, proofs = prove_all(state, [b"absent"])
    return root, state, proofs


def present_key(state: Mapping[bytes, bytes]) -> bytes:
    return next(iter(state))


def test_invalid_value(proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]) -> None:
    root, state, proofs = proven
    key = present_key(state)
    assert verify_proof(root, key, state[key], proofs[key])
    assert not verify_proof(root, key, state[key] + b"x", proofs[key])


def test_invalid_key(proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]) -> None:
    root, state, proofs = proven
    key, other = list(state)[:2]
    assert not verify_proof(root, other, state[key], proofs[key])
    assert not verify_proof(root, b"absent", state[key], proofs[key])


def test_invalid_root(proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]) -> None:
    root, state, proofs = proven
    key = present_key(state)
    assert not verify_proof(EMPTY_ROOT, key, state[key], proofs[key])
    assert not verify_proof(root[:-1] + bytes([root[-1] ^ 1]), key, state[key], proofs[key])
    assert not verify_proof(root, b"absent", None, Proof([], None))


def test_invalid_sibling(proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]) -> None:
    root, state, proofs = proven
    for key in [present_key(state), b"absent"]:
        proof = proofs[key]
        for i, sibling in enumerate(proof.siblings):
            siblings = list(proof.siblings)
            siblings[i] = sibling[:-1] + bytes([sibling[-1] ^ 1])
            assert not verify_proof(root, key, state.get(key), Proof(siblings, proof.leaf))


def test_invalid_depth(proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]) -> None:
    root, state, proofs = proven
    key = present_key(state)
    proof = proofs[key]
    shorter = Proof(proof.siblings[:-1], proof.leaf)
    longer = Proof([*proof.siblings, proof.siblings[-1]], proof.leaf)
    wider = Proof([proof.siblings[0], *proof.siblings], proof.leaf)
    for tampered in (shorter, longer, wider):
        assert not verify_proof(root, key, state[key], tampered)


def test_invalid_non_canonical_lone_leaf() -> None:
    # A leaf with no non-empty sibling would have been moved up; such a path is
    # refused even when the hashes are consistent with the claimed root.
    key_hash, value_hash = sha256(b"k").digest(), sha256(b"v").digest()
    children = [EMPTY_ROOT] * 16
    children[get_nibble(key_hash, 0)] = hash_leaf(key_hash, value_hash)
    root = hash_internal(children)
    proof = Proof([b"\x00\x00"], ProofLeaf(key_hash, value_hash))
    assert not verify_proof(root, b"k", b"v", proof)


def with_listed_child(level: bytes, nibble: int, child_hash: bytes) -> bytes:
    """Return the proof level `level` with child `nibble` listed as `child_hash`."""
    present = int.from_bytes(level[:2], "big")
    hashes = [level[i : i + 32] for i in range(2, len(level), 32)]
    hashes.insert((present & ((1 << nibble) - 1)).bit_count(), child_hash)
    return (present | 1 << nibble).to_bytes(2, "big") + b"".join(hashes)


def test_invalid_level_listing_the_path_child(
    proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]],
) -> None:
    # A level lists the path's siblings only: its own child slot is never listed.
    root, state, proofs = proven
    key = present_key(state)
    proof = proofs[key]
    listed = with_listed_child(proof.siblings[0], get_nibble(sha256(key).digest(), 0), b"\x01" * 32)
    tampered = Proof([listed, *proof.siblings[1:]], proof.leaf)
    assert not verify_proof(root, key, state[key], tampered)


def test_invalid_level_listing_the_path_child_after_every_sibling(
    proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]],
) -> None:
    # A level whose listed siblings all come before the path's own child: a junk hash
    # listed for that child comes last, hashing up never reads it, and the level is still
    # of a valid size, so only the canonical-path check refuses the proof.
    root, state, proofs = proven
    key, depth, nibble = next(
        (key, depth, nibble)
        for key in state
        for depth, level in enumerate(proofs[key].siblings)
        if (nibble := get_nibble(sha256(key).digest(), depth)) > int.from_bytes(level[:2], "big").bit_length()
    )
    proof = proofs[key]
    siblings = list(proof.siblings)
    siblings[depth] = with_listed_child(siblings[depth], nibble, b"\x01" * 32)
    assert not verify_proof(root, key, state[key], Proof(siblings, proof.leaf))


def test_invalid_level_listing_an_empty_child() -> None:
    # An empty child is left out of its level; listing it as 32 zero bytes is
    # refused, although it hashes the same.
    state = {b"a": b"1", b"b": b"2"}
    root, proofs = prove_all(state, [])
    [level] = proofs[b"a"].siblings
    present = int.from_bytes(level[:2], "big") | 1 << get_nibble(sha256(b"a").digest(), 0)
    spare = next(i for i in range(16) if not present >> i & 1)
    tampered = Proof([with_listed_child(level, spare, EMPTY_ROOT)], proofs[b"a"].leaf)
    assert not verify_proof(root, b"a", b"1", tampered)
    with pytest.raises(ValueError):
        Proof.decode(tampered.encode())


def test_invalid_any_flipped_bit(
    proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]],
) -> None:
    root, state, proofs = proven
    for key in [present_key(state), b"absent"]:
        proof = proofs[key]
        value = state.get(key)
        assert verify_proof(root, key, value, proof)
        for depth, level in enumerate(proof.siblings):
            for i in range(len(level)):
                for bit in (0x01, 0x80):
                    siblings = list(proof.siblings)
                    siblings[depth] = level[:i] + bytes([level[i] ^ bit]) + level[i + 1 :]
                    assert not verify_proof(root, key, value, Proof(siblings, proof.leaf))


def test_invalid_absence_claim_for_present_key(
    proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]],
) -> None:
    root, state, proofs = proven
    key = present_key(state)
    proof = proofs[key]
    assert not verify_proof(root, key, None, proof)
    assert not verify_proof(root, key, None, Proof(proof.siblings, None))


def test_invalid_absence_proof_from_leaf_off_the_path(
    proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]],
) -> None:
    root, state, proofs = proven
    # Another key's leaf proves absence only for keys whose path leads to it.
    key = present_key(state)
    first_nibble = get_nibble(sha256(key).digest(), 0)
    elsewhere = next(
        k for k in (bytes([i]) for i in range(256)) if get_nibble(sha256(k).digest(), 0) != first_nibble
    )
    assert not verify_proof(root, elsewhere, None, proofs[key])


def test_invalid_leaf(proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]) -> None:
    root, state, _ = proven
    kv, tree = new_tree()
    commit(kv, tree, state)
    absent = next(k for k in (bytes([i]) for i in range(256)) if tree.prove(k).leaf is not None)
    proof = tree.prove(absent)
    assert proof.leaf is not None and verify_proof(root, absent, None, proof)
    flipped = bytes([proof.leaf.value_hash[0] ^ 1]) + proof.leaf.value_hash[1:]
    other_value = Proof(proof.siblings, ProofLeaf(proof.leaf.key_hash, flipped))
    own_key = Proof(proof.siblings, ProofLeaf(sha256(absent).digest(), proof.leaf.value_hash))
    no_leaf = Proof(proof.siblings, None)
    for tampered in (other_value, own_key, no_leaf):
        assert not verify_proof(root, absent, None, tampered)


def test_invalid_sizes(proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]]) -> None:
    root, state, proofs = proven
    key = present_key(state)
    proof = proofs[key]
    assert proof.leaf is not None
    level = proof.siblings[0]
    short_level = Proof([level[:-1], *proof.siblings[1:]], proof.leaf)
    long_level = Proof([level + b"\x01" * 32, *proof.siblings[1:]], proof.leaf)
    no_bitmap = Proof([b"\x00", *proof.siblings[1:]], proof.leaf)
    full_level = Proof([b"\xff\xff" + b"\x01" * 32 * 16, *proof.siblings[1:]], proof.leaf)
    long_leaf = Proof(proof.siblings, ProofLeaf(proof.leaf.key_hash + b"\x00", b""))
    too_deep = Proof([b"\x00\x00"] * 65, None)
    for tampered in (short_level, long_level, no_bitmap, full_level, long_leaf, too_deep):
        assert not verify_proof(root, key, state[key], tampered)
        with pytest.raises(ValueError):
            Proof.decode(tampered.encode())


def test_invalid_proof_bytes(
    proven: tuple[bytes, dict[bytes, bytes], dict[bytes, Proof]],
) -> None:
    _, state, proofs = proven
    encoded = proofs[present_key(state)].encode()
    for bad in (b"", encoded[:-1], encoded + b"\x00", b"\x90", b"\x93\x90\xc0\xc0"):
        with pytest.raises(ValueError):
            Proof.decode(bad)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_invalid_random_proof_bytes(data: bytes) -> None:
    try:
        proof = Proof.decode(data)
    except ValueError:
        return
    assert Proof.decode(proof.encode()) == proof
    assert not verify_proof(EMPTY_ROOT, b"k", b"v", proof)


def test_malformed_proof_errors_name_the_fault() -> None:
    with pytest.raises(ValueError, match=r"^malformed proof: \S"):  # then msgspec's reason
        Proof.decode(b"\x90")
    one_hash_missing = Proof([b"\x00\x01"], None).encode()
    with pytest.raises(ValueError, match=r"^malformed proof: a level's bitmap and hashes disagree$"):
        Proof.decode(one_hash_missing)


def one_sibling_level(key_hash: bytes, depth: int) -> bytes:
    """A proof level at `depth` whose one sibling, next to the path's own child, is non-empty."""
    sibling = (get_nibble(key_hash, depth) + 1) % 16
    return (1 << sibling).to_bytes(2, "big") + b"\x01" * 32


def test_proof_down_to_the_last_nibble_verifies() -> None:
    # A path may run all 64 nibbles deep (below two keys sharing 63 nibbles): such a proof
    # is well formed and verifies against the root its hashes add up to; one level more
    # is too deep.
    key_hash = sha256(b"k").digest()
    levels = [one_sibling_level(key_hash, depth) for depth in range(64)]
    root = compute_root_from_path(key_hash, EMPTY_ROOT, levels)
    assert verify_proof(root, b"k", None, Proof(levels, None))
    assert Proof.decode(Proof(levels, None).encode()) == Proof(levels, None)
    assert not verify_proof(root, b"k", None, Proof([*levels, levels[-1]], None))


@pytest.mark.parametrize(("key_size", "value_size"), [(31, 33), (31, 32), (32, 31)])
def test_invalid_leaf_hash_sizes_even_when_the_hashes_add_up(key_size: int, value_size: int) -> None:
    # A leaf's two hashes are 32 bytes each: shifting bytes from one to the other keeps
    # the leaf hash, and either one of the wrong size is refused.
    leaf = ProofLeaf(b"\x01" * key_size, b"\x02" * value_size)
    root = hash_leaf(leaf.key_hash, leaf.value_hash)
    assert not verify_proof(root, b"absent", None, Proof([], leaf))


def test_zero_bytes_across_two_sibling_hashes_are_no_empty_child() -> None:
    # Each listed hash is checked for emptiness on its own 32 bytes: zero bytes running
    # from one non-empty hash into the next are fine, an all-zero second hash is not.
    key_hash = sha256(b"k").digest()
    first, second = [nibble for nibble in range(16) if nibble != get_nibble(key_hash, 0)][:2]
    bitmap = (1 << first | 1 << second).to_bytes(2, "big")
    for hashes, valid in (
        (b"\x01" + bytes(31) + bytes(31) + b"\x01", True),
        (b"\x01" * 32 + EMPTY_ROOT, False),
    ):
        level = bitmap + hashes
        root = compute_root_from_path(key_hash, EMPTY_ROOT, [level])
        assert verify_proof(root, b"k", None, Proof([level], None)) == valid


def test_invalid_absence_proof_from_leaf_off_the_path_with_hashes_that_add_up() -> None:
    # The leaf that ends an absence proof must lie on the key's path, even when the
    # proof's hashes add up to the root: only a leaf sharing the path's nibbles proves absence.
    key_hash = sha256(b"k").digest()
    level = one_sibling_level(key_hash, 0)
    for other in (bytes([i]) for i in range(256) if bytes([i]) != b"k"):
        other_hash = sha256(other).digest()
        leaf = ProofLeaf(other_hash, sha256(b"v").digest())
        root = compute_root_from_path(key_hash, hash_leaf(leaf.key_hash, leaf.value_hash), [level])
        on_path = get_nibble(other_hash, 0) == get_nibble(key_hash, 0)
        assert verify_proof(root, b"k", None, Proof([level], leaf)) == on_path
