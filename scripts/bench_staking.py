"""Benchmark: the per-block cost of staking, mint and distribution as delegations grow, and
the spreading of a burst of matured unbondings over blocks.

1. Begin and end block with 100 bonded validators and 1,000 or 100,000 delegations:
   the state is built through the keepers' own message handlers (every delegation
   with its distribution starting point); then each block collects
   fees, runs every module's begin block (mint, the allocation to the 100 signers of
   the last commit, slashing's liveness record) and end block (the validator set
   update, the queues). F1 distribution makes this independent of the number of
   delegations: the target is the same time per block within 10%.
2. 10,000 unbonding delegations maturing at the same height: each end block completes
   at most ``max_completions_per_block`` of them; reported are the blocks it takes and
   the end block's time per block.

The state lives in LevelDB (the node's store, in a temporary folder), compacted and read
once after the build, as a long-running node's would be; or with ``--store memory`` in a
MemoryKV (its re-sort of the key list after each flush is done outside the timed blocks),
which shows the cost of the chain's own code without the database's. Each timed block runs on a
cache over the store, as a node runs a block over its committed state; its writes are
flushed afterwards, outside the timing (commit and the state tree are measured by
scripts/bench_state_commit.py). The garbage collector is tuned as ``depind start`` tunes it.

    uv run python scripts/bench_staking.py [--delegations 1000 100000] [--blocks 50] [--unbondings 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from consensus.abci import CommitInfo, VoteInfo
from genesis.schema import GenesisDoc, StakingGenesis, StakingParams, app_state
from node.gc_schedule import tune_gc
from node.storage.leveldb import LevelDBKV, open_leveldb
from vm.app import App
from vm.auth.ante import FEE_COLLECTOR_NAME
from vm.bank.keeper import BankKeeper
from vm.block import COMMIT_FLAG
from vm.context import BlockEnv, Context
from vm.gas import GasMeter
from vm.registry import Registry
from vm.staking.keeper import StakingKeeper
from vm.staking.msgs import Ed25519PubKey, MsgCreateValidator, MsgDelegate, MsgUndelegate
from vm.staking.types import CommissionRates, Description, format_valoper
from vm.store.cache import CacheStore
from vm.store.kv import KVStore, MemoryKV
from vm.types import Address, Coin, format_address

DENOM = "udepin"
CHAIN_ID = "bench-staking"
VALIDATORS = 100
SELF_BOND = 10_000_000
DELEGATION = 1_000_000
FEES_PER_BLOCK = 1_234_567
FUNDS = 10**15
FLUSH_EVERY = 5_000  # messages per cache flushed into the store while building
RATES = CommissionRates(rate=10**17, max_rate=2 * 10**17, max_change_rate=10**16)
BLOCK_NS = 5 * 10**9


def address(tag: str, index: int) -> Address:
    return Address(hashlib.sha256(f"{tag}-{index}".encode()).digest()[:20])


class Bench:
    """A chain's modules over a MemoryKV, driven block by block without txs or signatures."""

    def __init__(self, params: StakingParams, kv: KVStore) -> None:
        app = App(MemoryKV())
        doc = GenesisDoc(
            genesis_time="2024-01-01T00:00:00Z",
            chain_id=CHAIN_ID,
            app_state=app_state(staking=StakingGenesis(params=params)),
        )
        app.init_chain(doc, 0)
        self.kv = kv
        self.kv.write(dict(app.state.values.iterate(b"")))  # the genesis state's values
        self.registry: Registry = app.registry
        self.staking: StakingKeeper = self.registry.keeper("staking")
        self.bank: BankKeeper = self.registry.keeper("bank")
        self.height = 1
        self.store = CacheStore(self.kv)
        self.votes: tuple[VoteInfo, ...] = ()

    def ctx(self) -> Context:
        env = BlockEnv(
            CHAIN_ID, self.height, self.height * BLOCK_NS, b"", b"\x00" * 32, CommitInfo(0, self.votes)
        )
        return Context(self.store, env, GasMeter(2**62))

    def flush(self) -> None:
        """Write the cache into the store and start a new one (a commit, without the tree)."""
        self.kv.write(self.store.changes())
        self.kv.iterate(b"", b"")  # a MemoryKV re-sorts its keys after a large write: not in a timed block
        self.store = CacheStore(self.kv)

    def fund(self, holder: Address, amount: int) -> None:
        self.bank.init_balance(self.store, holder, [Coin(DENOM, amount)])

    def route_all(self, messages: Iterator[object]) -> int:
        count = 0
        for message in messages:
            self.registry.route(self.ctx(), message)  # type: ignore[arg-type]
            count += 1
            if count % FLUSH_EVERY == 0:
                self.flush()
        self.flush()
        return count

    def end_block(self) -> None:
        self.registry.end_block(self.ctx())
        self.height += 1
        self.flush()

    def sign_with_last_set(self) -> None:
        """The next blocks' last commit: every validator of the last set, signed."""
        store = self.store
        self.votes = tuple(
            VoteInfo(self.staking.validator(store, operator).cons_address, power, COMMIT_FLAG)
            for operator, power in self.staking.iterate_last_powers(store)
        )

    def timed_block(self, fees: int) -> tuple[float, float]:
        """(begin block seconds, end block seconds) of one block collecting ``fees``."""
        if fees:
            self.bank.send_to_module(self.store, address("payer", 0), FEE_COLLECTOR_NAME, [Coin(DENOM, fees)])
            self.flush()
        ctx = self.ctx()
        started = time.perf_counter()
        self.registry.begin_block(ctx)
        began = time.perf_counter()
        self.registry.end_block(ctx)
        ended = time.perf_counter()
        self.height += 1
        self.flush()
        return began - started, ended - began


def create_validators(bench: Bench) -> None:
    def messages() -> Iterator[MsgCreateValidator]:
        for index in range(VALIDATORS):
            operator = address("validator", index)
            bench.fund(operator, FUNDS)
            yield MsgCreateValidator(
                Description(f"v{index}", "", "", "", ""),
                RATES,
                1,
                "",
                format_valoper(operator),
                Ed25519PubKey(hashlib.sha256(b"cons %d" % index).digest()),
                Coin(DENOM, SELF_BOND),
            )

    bench.route_all(messages())


def delegate_all(bench: Bench, delegations: int) -> None:
    """``delegations`` delegations, spread evenly: each delegator delegates to every validator."""

    def messages() -> Iterator[MsgDelegate]:
        for index in range(delegations):
            delegator = address("delegator", index // VALIDATORS)
            if index % VALIDATORS == 0:
                bench.fund(delegator, FUNDS)
            yield MsgDelegate(
                format_address(delegator),
                format_valoper(address("validator", index % VALIDATORS)),
                Coin(DENOM, DELEGATION),
            )

    bench.route_all(messages())


@dataclass(frozen=True)
class BlockCost:
    delegations: int
    build_s: float
    begin_ms: float  # medians over the blocks
    end_ms: float
    total_ms: float


@dataclass
class OpenStore:
    kv: KVStore
    settle: Callable[[], None]  # brings the store to a long-running node's steady state


@contextmanager
def open_store(kind: str) -> Iterator[OpenStore]:
    """An empty store: LevelDB in a temporary folder, or a MemoryKV."""
    if kind == "memory":
        yield OpenStore(MemoryKV(), lambda: None)
        return
    with tempfile.TemporaryDirectory(prefix="bench-staking-") as folder:
        db = open_leveldb(folder)

        def settle() -> None:
            """Compact the bulk load (building rewrites each validator's power-index key once
            per delegation, leaving LevelDB tombstones that a running node's compactions
            would have dropped long ago) and read everything once into the block cache."""
            db.compact_range(start=b"", stop=b"\xff")  # without bounds plyvel compacts nothing
            for _ in db.iterator(include_value=False):
                pass

        try:
            yield OpenStore(LevelDBKV(db), settle)
        finally:
            db.close()


def measure_blocks(delegations: int, blocks: int, store: str) -> BlockCost:
    with open_store(store) as opened:
        bench = Bench(StakingParams(max_validators=VALIDATORS), opened.kv)
        return _measure_blocks(bench, opened.settle, delegations, blocks)


def _measure_blocks(bench: Bench, settle: Callable[[], None], delegations: int, blocks: int) -> BlockCost:
    started = time.perf_counter()
    bench.fund(address("payer", 0), FUNDS)
    create_validators(bench)
    delegate_all(bench, delegations)
    bench.end_block()  # bonds the validators
    bench.sign_with_last_set()
    build_s = time.perf_counter() - started
    settle()
    tune_gc()
    for _ in range(3):  # warm-up: first allocations create records
        bench.timed_block(FEES_PER_BLOCK)
    timings = [bench.timed_block(FEES_PER_BLOCK) for _ in range(blocks)]
    begin = statistics.median(t[0] for t in timings) * 1e3
    end = statistics.median(t[1] for t in timings) * 1e3
    total = statistics.median(t[0] + t[1] for t in timings) * 1e3
    return BlockCost(delegations, build_s, begin, end, total)


@dataclass(frozen=True)
class Maturity:
    entries: int
    budget: int
    blocks: int
    end_ms_median: float
    end_ms_max: float
    idle_end_ms: float


def measure_maturity(entries: int, store: str) -> Maturity:
    params = StakingParams(max_validators=VALIDATORS, unbonding_blocks=2)
    with open_store(store) as opened:
        return _measure_maturity(Bench(params, opened.kv), opened.settle, entries)


def _measure_maturity(bench: Bench, settle: Callable[[], None], entries: int) -> Maturity:
    params = bench.staking.get_params(bench.store)
    create_validators(bench)

    def delegations() -> Iterator[MsgDelegate]:
        for index in range(entries):
            delegator = address("unbonder", index)
            bench.fund(delegator, DELEGATION)
            operator = format_valoper(address("validator", index % VALIDATORS))
            yield MsgDelegate(format_address(delegator), operator, Coin(DENOM, DELEGATION))

    bench.route_all(delegations())
    bench.end_block()

    def undelegations() -> Iterator[MsgUndelegate]:
        for index in range(entries):
            operator = format_valoper(address("validator", index % VALIDATORS))
            yield MsgUndelegate(format_address(address("unbonder", index)), operator, Coin(DENOM, DELEGATION))

    bench.route_all(undelegations())  # all at one height: all mature together
    bench.end_block()
    settle()
    tune_gc()
    idle = [timed_end_block(bench) for _ in range(params.unbonding_blocks - 1)]  # not yet due
    times = []
    while list(bench.staking.ubd_queue.items(bench.store)):
        times.append(timed_end_block(bench))
    return Maturity(
        entries,
        params.max_completions_per_block,
        len(times),
        statistics.median(times) * 1e3,
        max(times) * 1e3,
        statistics.median(idle) * 1e3 if idle else 0.0,
    )


def timed_end_block(bench: Bench) -> float:
    ctx = bench.ctx()
    started = time.perf_counter()
    bench.registry.end_block(ctx)
    elapsed = time.perf_counter() - started
    bench.height += 1
    bench.flush()
    return elapsed


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def report(costs: list[BlockCost], maturity: Maturity | None, store: str) -> None:
    print(f"command: uv run python {' '.join(sys.argv)}")
    print(f"machine: {machine()}; store: {store}")
    print(
        f"\n{VALIDATORS} bonded validators, all signing; {FEES_PER_BLOCK} udepin in fees a block + the mint"
    )
    print("| delegations | build s | begin block ms | end block ms | begin + end ms |")
    print("|---:|---:|---:|---:|---:|")
    for cost in costs:
        print(
            f"| {cost.delegations:,} | {cost.build_s:.1f} | {cost.begin_ms:.2f} | {cost.end_ms:.2f} "
            f"| {cost.total_ms:.2f} |"
        )
    if len(costs) >= 2:
        ratio = costs[-1].total_ms / costs[0].total_ms
        verdict = "within" if abs(ratio - 1) <= 0.10 else "NOT within"
        print(
            f"\nratio {costs[-1].delegations:,} / {costs[0].delegations:,} delegations: {ratio:.3f} "
            f"({verdict} the 10% target)"
        )
    if maturity is not None:
        print(
            f"\n{maturity.entries:,} unbondings maturing at one height, {maturity.budget} completions a block"
        )
        print("| entries | blocks taken | end block ms (median) | end block ms (max) | idle end block ms |")
        print("|---:|---:|---:|---:|---:|")
        print(
            f"| {maturity.entries:,} | {maturity.blocks} | {maturity.end_ms_median:.2f} "
            f"| {maturity.end_ms_max:.2f} | {maturity.idle_end_ms:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-block cost of staking and F1 distribution.")
    parser.add_argument("--delegations", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--blocks", type=int, default=50)
    parser.add_argument("--unbondings", type=int, default=10_000, help="0 skips the maturity run")
    parser.add_argument("--store", choices=["leveldb", "memory"], default="leveldb")
    args = parser.parse_args()
    costs = [measure_blocks(count, args.blocks, args.store) for count in args.delegations]
    maturity = measure_maturity(args.unbondings, args.store) if args.unbondings else None
    report(costs, maturity, args.store)


if __name__ == "__main__":
    main()
