"""Benchmark: state commit cost per changed key as the state grows.

For each size N, builds a state of N accounts on a real LevelDB (flat values and
state-tree nodes), then commits blocks that each change B keys (mostly existing
accounts, a few new ones) and reports the microseconds per changed key spent in
the tree update plus the block's atomic batch write: the median over the blocks
of the wall time, and of the process's CPU time, which load from elsewhere on a
shared machine does not inflate. Blocks are timed in the steady state of a
long-running node: after the bulk load is compacted and the database has been
read once, as LevelDB's block cache would hold it after a while.

    uv run python scripts/bench_state_commit.py [--sizes 10000 1000000] [--keys-per-block 2000]
"""

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass

from node.storage.leveldb import LevelDBKV, open_leveldb
from vm.store.smt import SparseMerkleTree

VALUES_PREFIX = b"v/"
TREE_PREFIX = b"n/"
VALUE_SIZE = 48
BUILD_CHUNK = 250_000  # keys per write while building, to bound the batch size


@dataclass(frozen=True)
class Result:
    size: int
    build_s: float
    blocks: int
    keys_per_block: int
    node_writes_per_key: float
    us_per_key: float
    cpu_us_per_key: float


def account_key(index: int) -> bytes:
    return b"acct/" + index.to_bytes(8, "big")


def commit(kv: LevelDBKV, tree: SparseMerkleTree, changes: Mapping[bytes, bytes | None]) -> int:
    """Commit one block's changes as the node does; return the number of node writes."""
    _, node_writes = tree.update(changes)
    batch: dict[bytes, bytes | None] = {VALUES_PREFIX + k: v for k, v in changes.items()}
    batch.update(node_writes)
    kv.write(batch)
    return len(node_writes)


def build_state(kv: LevelDBKV, tree: SparseMerkleTree, size: int, rng: random.Random) -> None:
    """Build the tree in one update, then store the values and nodes."""
    accounts = {account_key(i): rng.randbytes(VALUE_SIZE) for i in range(size)}
    _, node_writes = tree.update(accounts)
    changes: dict[bytes, bytes | None] = {VALUES_PREFIX + k: v for k, v in accounts.items()}
    changes.update(node_writes)
    items = list(changes.items())
    for start in range(0, len(items), BUILD_CHUNK):
        kv.write(dict(items[start : start + BUILD_CHUNK]))


def make_block(
    rng: random.Random, accounts: int, keys_per_block: int, new_per_block: int
) -> dict[bytes, bytes | None]:
    """Change random existing accounts and create `new_per_block` new ones."""
    changes: dict[bytes, bytes | None] = {
        account_key(i): rng.randbytes(VALUE_SIZE)
        for i in rng.sample(range(accounts), keys_per_block - new_per_block)
    }
    for index in range(accounts, accounts + new_per_block):
        changes[account_key(index)] = rng.randbytes(VALUE_SIZE)
    return changes


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
            # plyvel's compact_range() without bounds passes two empty keys, which
            # LevelDB takes for an empty range: name bounds around every key instead.
            db.compact_range(start=b"", stop=b"\xff")
            for _ in db.iterator(include_value=False):  # warm LevelDB's block cache
                pass
            accounts = size
            block_seconds: list[float] = []
            block_cpu_seconds: list[float] = []
            node_writes = 0
            for block in range(blocks + 1):  # block 0 warms the caches and is not timed
                changes = make_block(rng, accounts, keys_per_block, new_per_block)
                accounts += new_per_block
                started, cpu_started = time.perf_counter(), time.process_time()
                writes = commit(kv, tree, changes)
                if block:
                    block_seconds.append(time.perf_counter() - started)
                    block_cpu_seconds.append(time.process_time() - cpu_started)
                    node_writes += writes
        finally:
            db.close()
    return Result(
        size=size,
        build_s=build_s,
        blocks=blocks,
        keys_per_block=keys_per_block,
        node_writes_per_key=node_writes / (blocks * keys_per_block),
        us_per_key=statistics.median(block_seconds) / keys_per_block * 1e6,
        cpu_us_per_key=statistics.median(block_cpu_seconds) / keys_per_block * 1e6,
    )


def format_table(results: list[Result]) -> str:
    lines = [
        "| accounts | build (s) | blocks × changed keys | node writes / changed key "
        "| µs / changed key | CPU µs / changed key |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.size:,} | {r.build_s:.1f} | {r.blocks} × {r.keys_per_block:,} "
            f"| {r.node_writes_per_key:.1f} | {r.us_per_key:.1f} | {r.cpu_us_per_key:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="State commit cost per changed key.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--keys-per-block", type=int, default=2_000)
    parser.add_argument("--new-per-block", type=int, default=20)
    args = parser.parse_args()
    if not 0 <= args.new_per_block <= args.keys_per_block <= min(args.sizes):
        parser.error("need 0 <= --new-per-block <= --keys-per-block <= every size")
    results = [
        run_size(size, args.blocks, args.keys_per_block, args.new_per_block) for size in sorted(args.sizes)
    ]
    print(format_table(results))
    if len(results) > 1:
        largest, smallest = results[-1], results[0]
        print(
            f"\nCost per changed key at {largest.size:,} vs {smallest.size:,} accounts: "
            f"{largest.us_per_key / smallest.us_per_key:.2f}x wall time, "
            f"{largest.cpu_us_per_key / smallest.cpu_us_per_key:.2f}x CPU time"
        )


if __name__ == "__main__":
    main()
