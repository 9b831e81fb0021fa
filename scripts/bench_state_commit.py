"""Benchmark: state commit cost per changed key as the state grows.

For each size N, builds a state of N accounts on a real LevelDB (flat values and
state-tree nodes), then commits blocks that each change B keys (mostly existing
accounts, a few new ones) and reports the microseconds per changed key spent in
the tree update plus the block's atomic batch write.

    uv run python scripts/bench_state_commit.py [--sizes 10000 1000000] [--keys-per-block 2000]
"""

import argparse
import random
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass

from node.storage.leveldb import LevelDBKV, open_leveldb
from vm.store.smt import SparseMerkleTree

VALUES_PREFIX = b"s/"
TREE_PREFIX = b"t/"
VALUE_SIZE = 48
BUILD_CHUNK = 250_000


@dataclass(frozen=True)
class Result:
    size: int
    build_s: float
    blocks: int
    keys_per_block: int
    us_per_key: float
    node_writes_per_key: float


def account_key(index: int) -> bytes:
    return b"acct/" + index.to_bytes(8, "big")


def commit(kv: LevelDBKV, tree: SparseMerkleTree, changes: Mapping[bytes, bytes | None]) -> int:
    """Commit one block's changes the way the node does; return the node writes."""
    _, node_writes = tree.update(changes)
    batch: dict[bytes, bytes | None] = {VALUES_PREFIX + k: v for k, v in changes.items()}
    batch.update(node_writes)
    kv.write(batch)
    return len(node_writes)


def build_state(kv: LevelDBKV, tree: SparseMerkleTree, size: int, rng: random.Random) -> None:
    """Build the tree in one update, then write values and nodes in bounded batches."""
    accounts = {account_key(i): rng.randbytes(VALUE_SIZE) for i in range(size)}
    _, node_writes = tree.update(accounts)
    changes: dict[bytes, bytes | None] = {VALUES_PREFIX + k: v for k, v in accounts.items()}
    changes.update(node_writes)
    items = list(changes.items())
    for start in range(0, len(items), BUILD_CHUNK):
        kv.write(dict(items[start : start + BUILD_CHUNK]))


def run_size(size: int, blocks: int, keys_per_block: int, new_per_block: int) -> Result:
    rng = random.Random(size)
    with tempfile.TemporaryDirectory(prefix="bench-state-") as path:
        db = open_leveldb(path)
        try:
            kv = LevelDBKV(db)
            tree = SparseMerkleTree(kv, TREE_PREFIX)
            started = time.perf_counter()
            build_state(kv, tree, size, rng)
            build_s = time.perf_counter() - started
            db.compact_range()  # measure the steady state, not the bulk load's compaction
            next_index = size
            elapsed = 0.0
            node_writes = 0
            for block in range(blocks + 1):  # block 0 warms caches and is not timed
                changes: dict[bytes, bytes | None] = {
                    account_key(i): rng.randbytes(VALUE_SIZE)
                    for i in rng.sample(range(next_index), keys_per_block - new_per_block)
                }
                for _ in range(new_per_block):
                    changes[account_key(next_index)] = rng.randbytes(VALUE_SIZE)
                    next_index += 1
                started = time.perf_counter()
                writes = commit(kv, tree, changes)
                if block:
                    elapsed += time.perf_counter() - started
                    node_writes += writes
        finally:
            db.close()
    changed = blocks * keys_per_block
    return Result(
        size, build_s, blocks, keys_per_block, elapsed / changed * 1e6, node_writes / changed
    )


def format_table(results: list[Result]) -> str:
    lines = [
        "| accounts | build (s) | blocks x changed keys | node writes / key | µs / changed key |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.size:,} | {r.build_s:.1f} | {r.blocks} x {r.keys_per_block:,} "
            f"| {r.node_writes_per_key:.1f} | {r.us_per_key:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--keys-per-block", type=int, default=2_000)
    parser.add_argument("--new-per-block", type=int, default=20)
    args = parser.parse_args()
    results = [
        run_size(size, args.blocks, args.keys_per_block, args.new_per_block)
        for size in sorted(args.sizes)
    ]
    print(format_table(results))
    if len(results) > 1:
        ratio = results[-1].us_per_key / results[0].us_per_key
        print(
            f"\nCost per changed key, {results[-1].size:,} vs {results[0].size:,} accounts: "
            f"{ratio:.2f}x"
        )


if __name__ == "__main__":
    main()
