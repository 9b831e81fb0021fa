"""Benchmark: the GPU market's end-block matching of a large book, and the per-block cost of
settlement as open leases grow.

1. Matching: 10,000 open orders against 10,000 offers. Registered providers (each at most
   ``max_offers_per_provider`` offers) offer GPUs of six classes in five regions, at fixed
   prices spread around each class's level or indexed to its reference price (with floors and
   caps); orders ask for one or more models (or any), memory, compute capability, regions,
   reputation, a job kind and 1 to 4 GPUs, with max prices that every offer they could use
   meets, so every order can match. All orders are placed first, outside the timing; then
   blocks run until the match queue is empty (at most ``--max-blocks``), each block's
   begin and end block timed. The providers accept each block's new leases in the next
   block's txs (outside the timing), as running providers would. Targets: no end block
   above 100 ms, and at most 1 s of end-block time in all.
2. Settlement: 100 or 100,000 open (accepted) leases that are not due, plus 10 leases due in
   each timed block, from providers that all offer the same four GPU classes (so each chain
   moves the same reference prices a block); begin + end block per block over ``--blocks``
   blocks, the chains of every size timed alternately (block 1 of each, then block 2, ...)
   so that the machine's changes of speed fall on all of them. Settlement touches only the
   leases that close, so the target is the same time per block within 10%.

State is built through the keepers' own message handlers, as scripts/bench_staking.py does,
in a MemoryKV; with ``--store leveldb`` (the default) it is then written into LevelDB (the
node's store, in a temporary folder), compacted and read once, as a long-running node's store
would hold it (building in LevelDB directly leaves the tombstones of every queue and book key
the build deleted, which a manual compaction does not always drop), and read through the
caches the node keeps over it (``node.storage.leveldb.cached``); with ``--store memory`` the
blocks run on that MemoryKV. Each timed block runs on a cache over the store, as
a node runs a block over its committed state; its writes are flushed afterwards, outside the
timing. The garbage collector is tuned as ``depind start`` tunes it. The block hooks timed
are every module's (the registry's), as a node runs them; with one validator, no signatures
and no fees, the market's are nearly all of it. Results: docs/benchmarks.md.

    uv run python scripts/bench_market.py [--orders 10000] [--offers 10000]
        [--leases 100 100000] [--blocks 50] [--store leveldb|memory] [--skip-matching]
        [--skip-settlement]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import islice

from consensus.abci import CommitInfo
from genesis.market import MarketGenesis, MarketParams
from genesis.schema import GenesisDoc, StakingGenesis, StakingParams, app_state
from node.gc_schedule import tune_gc
from node.storage.leveldb import LevelDBKV, cached, open_leveldb
from vm.app import App
from vm.bank.keeper import BankKeeper
from vm.context import BlockEnv, Context
from vm.gas import GasMeter
from vm.market.keeper import MarketKeeper
from vm.market.msgs import MsgAcceptLease, MsgCreateOffer, MsgCreateOrder
from vm.market.pricing import compute_required_deposit
from vm.market.types import GpuClass, LeaseState, OrderState, Pricing, Requirements
from vm.msg import Msg
from vm.provider.msgs import GpuSpec, MsgRegisterProvider
from vm.registry import Registry
from vm.staking.msgs import Ed25519PubKey, MsgCreateValidator, MsgDelegate
from vm.staking.types import CommissionRates, Description, format_valoper
from vm.store.cache import CacheStore
from vm.store.kv import KVStore, MemoryKV
from vm.types import Address, Coin, format_address

DENOM = "udepin"
CHAIN_ID = "bench-market"
FUNDS = 10**15
COLLATERAL = 10_000_000
FLUSH_EVERY = 5_000  # messages per cache flushed into the store while building
SECOND = 10**9
BLOCK_NS = 5 * SECOND
START_NS = 1_735_689_600 * SECOND  # 2025-01-01T00:00:00Z
SEED = 20261206
HOUR = 3_600


@dataclass(frozen=True)
class Kind:
    gpu: GpuClass
    level: int  # a typical price per GPU-hour, udepin


KINDS = (
    Kind(GpuClass("NVIDIA H100 80GB HBM3", 81_559, "9.0"), 3_000_000),
    Kind(GpuClass("NVIDIA A100-SXM4-80GB", 81_920, "8.0"), 2_000_000),
    Kind(GpuClass("NVIDIA A100-SXM4-40GB", 40_960, "8.0"), 1_500_000),
    Kind(GpuClass("NVIDIA L40S", 46_068, "8.9"), 1_200_000),
    Kind(GpuClass("NVIDIA L4", 23_034, "8.9"), 600_000),
    Kind(GpuClass("NVIDIA GeForce RTX 4090", 24_564, "8.9"), 500_000),
)
REGIONS = ("eu-west", "eu-central", "us-east", "us-west", "ap-southeast")
TOP_PRICE = 2 * max(kind.level for kind in KINDS)  # above every offer's price and cap


def address(tag: str, index: int) -> Address:
    return Address(hashlib.sha256(f"{tag}-{index}".encode()).digest()[:20])


def bech32(tag: str, index: int) -> str:
    return format_address(address(tag, index))


class Bench:
    """A chain's modules over a KV store, driven block by block without txs or signatures."""

    def __init__(self, market: MarketParams, kv: MemoryKV) -> None:
        app = App(MemoryKV())
        doc = GenesisDoc(
            genesis_time="2025-01-01T00:00:00Z",
            chain_id=CHAIN_ID,
            app_state=app_state(
                market=MarketGenesis(params=market),
                staking=StakingGenesis(params=StakingParams()),
            ),
        )
        app.init_chain(doc, 0)
        self.kv: KVStore = kv
        self.kv.write(dict(app.state.values.iterate(b"")))  # the genesis state's values
        self.registry: Registry = app.registry
        self.market: MarketKeeper = self.registry.keeper("market")
        self.bank: BankKeeper = self.registry.keeper("bank")
        self.height = 1
        self.time_ns = START_NS
        self.store = CacheStore(self.kv)

    def ctx(self) -> Context:
        env = BlockEnv(CHAIN_ID, self.height, self.time_ns, b"", b"\x00" * 32, CommitInfo(0, ()))
        return Context(self.store, env, GasMeter(2**62))

    def flush(self) -> None:
        """Write the cache into the store and start a new one (a commit, without the tree)."""
        self.kv.write(self.store.changes())
        self.kv.iterate(b"", b"")  # a MemoryKV re-sorts its keys after a large write: not in a timed block
        self.store = CacheStore(self.kv)

    def fund(self, holder: Address, amount: int) -> None:
        self.bank.init_balance(self.store, holder, [Coin(DENOM, amount)])

    def route_all(self, messages: Iterable[Msg]) -> int:
        count = 0
        for message in messages:
            message.validate()
            self.registry.route(self.ctx(), message)
            count += 1
            if count % FLUSH_EVERY == 0:
                self.flush()
        self.flush()
        return count

    def next_block(self) -> None:
        self.height += 1
        self.time_ns += BLOCK_NS

    def block(self) -> None:
        """An untimed block with no txs."""
        ctx = self.ctx()
        self.registry.begin_block(ctx)
        self.registry.end_block(ctx)
        self.next_block()
        self.flush()

    def timed_block(self) -> tuple[float, float]:
        """(begin block seconds, end block seconds) of one block."""
        ctx = self.ctx()
        started = time.perf_counter()
        self.registry.begin_block(ctx)
        began = time.perf_counter()
        self.registry.end_block(ctx)
        ended = time.perf_counter()
        self.next_block()
        self.flush()
        return began - started, ended - began

    def accept_new_leases(self, after: int) -> int:
        """The providers accept every pending lease with an id above ``after`` (as the next
        block's txs); returns the last lease id."""
        last = self.market.last_id(self.store, b"lease")
        self.route_all(
            MsgAcceptLease(format_address(Address(lease.provider)), lease.id)
            for lease in (self.market.lease(self.store, i) for i in range(after + 1, last + 1))
            if lease.state == LeaseState.PENDING
        )
        return last


# -- building state --------------------------------------------------------------------------


def fund_requesters(bench: Bench, requesters: int) -> None:
    for index in range(requesters):
        bench.fund(address("requester", index), FUNDS)
    bench.flush()


def make_premium(bench: Bench, requesters: list[int], stake: int) -> None:
    """One validator, and a delegation of ``stake`` from each of ``requesters``."""
    operator = address("validator", 0)
    bench.fund(operator, FUNDS)
    bench.route_all(
        [
            MsgCreateValidator(
                Description("v0", "", "", "", ""),
                CommissionRates(rate=10**17, max_rate=2 * 10**17, max_change_rate=10**16),
                1,
                "",
                format_valoper(operator),
                Ed25519PubKey(hashlib.sha256(b"cons 0").digest()),
                Coin(DENOM, 10_000_000),
            )
        ]
    )
    bench.route_all(
        MsgDelegate(bech32("requester", index), format_valoper(operator), Coin(DENOM, stake))
        for index in requesters
    )


def register_providers(bench: Bench, providers: Iterable[tuple[int, list[GpuSpec], str]]) -> None:
    def messages() -> Iterator[MsgRegisterProvider]:
        for index, gpus, region in providers:
            bench.fund(address("provider", index), FUNDS)
            yield MsgRegisterProvider(
                bech32("provider", index),
                gpus,
                region,
                f"https://gpu{index}.example.org:8443/v1",
                Coin(DENOM, 2_500),
                Coin(DENOM, COLLATERAL),
            )

    bench.route_all(messages())


def spec(kind: Kind, count: int) -> GpuSpec:
    return GpuSpec(kind.gpu.model, kind.gpu.memory_mib, kind.gpu.compute_capability, count, [])


def fixed_or_indexed(rng: random.Random, kind: Kind, reference: int) -> Pricing:
    """A third indexed (factor around the class level, with a floor and a cap), the rest fixed
    at 0.6 to 1.4 times the class level."""
    if rng.random() < 1 / 3:
        factor = kind.level * 10_000 // reference * rng.randrange(60, 141) // 100
        return Pricing(0, factor, kind.level // 2, kind.level * 2)
    return Pricing(kind.level * rng.randrange(600, 1401) // 1000, 0, 0, 0)


def place_offers(bench: Bench, rng: random.Random, offers: int) -> int:
    """``offers`` offers from providers of 3 classes each (64 GPUs of each registered), 25
    offers a provider of 1 to 6 GPUs each; returns the GPUs offered."""
    per_provider = min(25, bench.market.get_params(bench.store).max_offers_per_provider)
    providers = -(-offers // per_provider)
    kinds = [rng.sample(KINDS, 3) for _ in range(providers)]
    register_providers(
        bench,
        ((p, [spec(kind, 64) for kind in kinds[p]], REGIONS[p % len(REGIONS)]) for p in range(providers)),
    )
    reference = bench.market.get_params(bench.store).min_reference_price
    offered = 0

    def messages() -> Iterator[MsgCreateOffer]:
        nonlocal offered
        for index in range(offers):
            provider = index // per_provider
            kind = kinds[provider][index % 3]
            count = rng.choice((1, 1, 2, 2, 4, 6))
            offered += count
            yield MsgCreateOffer(
                bech32("provider", provider),
                kind.gpu,
                count,
                fixed_or_indexed(rng, kind, reference),
                60,
                7 * 24 * HOUR,
                ["gemm", "inference"] if rng.random() < 0.6 else ["gemm"],
            )

    bench.route_all(messages())
    return offered


def requirements(rng: random.Random) -> Requirements:
    """A mix: one model (half), two models (a fifth), any model (the rest, half of them with a
    memory or compute-capability minimum); regions, reputation and a job kind sometimes."""
    draw = rng.random()
    models = [k.gpu.model for k in rng.sample(KINDS, 1 if draw < 0.5 else 2)] if draw < 0.7 else []
    memory = rng.choice((0, 40_000)) if not models else 0
    capability = rng.choice(("", "8.9")) if not models else ""
    regions = sorted(rng.sample(REGIONS, 3)) if rng.random() < 0.3 else []
    reputation = 4_000 if rng.random() < 0.1 else 0
    job = "inference" if rng.random() < 0.3 else ""
    gpus = rng.choice((1, 1, 1, 1, 1, 1, 1, 2, 2, 4))
    return Requirements(models, memory, capability, gpus, regions, reputation, 0, job)


def place_orders(bench: Bench, rng: random.Random, orders: int, requesters: int) -> None:
    """``orders`` orders from ``requesters`` funded accounts, of 1 to 24 hours, with max prices
    above every offer's price (spread, so the queue's order is by max price)."""

    def messages() -> Iterator[MsgCreateOrder]:
        for index in range(orders):
            wanted = requirements(rng)
            duration = rng.randrange(1, 25) * HOUR
            max_price = TOP_PRICE + rng.randrange(0, TOP_PRICE)
            deposit = compute_required_deposit(max_price, wanted.gpus, duration)
            yield MsgCreateOrder(
                bech32("requester", index % requesters), wanted, duration, max_price, Coin(DENOM, deposit), 0
            )

    bench.route_all(messages())


# -- stores ----------------------------------------------------------------------------------


@dataclass
class OpenStore:
    settle: Callable[[Bench], None]  # moves a chain built in memory into the store


@contextmanager
def open_store(kind: str) -> Iterator[OpenStore]:
    """Where a chain built in a MemoryKV is timed: that MemoryKV, or a fresh LevelDB in a
    temporary folder."""
    if kind == "memory":
        yield OpenStore(lambda bench: None)
        return
    with tempfile.TemporaryDirectory(prefix="bench-market-") as folder:
        db = open_leveldb(folder)

        def settle(bench: Bench) -> None:
            """Write the built state into LevelDB (only live keys: building there directly
            would leave the tombstones of every queue and book key the build deleted, which a
            manual compaction does not always drop, and a long-running node's compactions
            would have), compact it, read it once into the block cache, and go on there,
            through the node's caches (empty at first, as after a restart)."""
            kv = LevelDBKV(db)
            items = bench.kv.iterate(b"")
            while batch := dict(islice(items, 100_000)):
                kv.write(batch)
            db.compact_range(start=b"", stop=b"\xff")  # without bounds plyvel compacts nothing
            for _ in db.iterator(include_value=False):
                pass
            bench.kv = cached(kv)  # as the node reads its state (node/node.py)
            bench.store = CacheStore(bench.kv)

        try:
            yield OpenStore(settle)
        finally:
            db.close()


# -- 1. matching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Matching:
    orders: int
    offers: int
    gpus_offered: int
    budget: int
    build_s: float
    blocks: int
    matched: int
    end_ms: list[float]
    begin_ms: list[float]


def measure_matching(orders: int, offers: int, max_blocks: int, store: str) -> Matching:
    params = MarketParams()
    with open_store(store) as opened:
        bench = Bench(params, MemoryKV())
        return _measure_matching(bench, opened.settle, orders, offers, max_blocks)


def _measure_matching(
    bench: Bench, settle: Callable[[Bench], None], orders: int, offers: int, max_blocks: int
) -> Matching:
    rng = random.Random(SEED)
    params = bench.market.get_params(bench.store)
    started = time.perf_counter()
    requesters = max(orders // 10, 1)
    fund_requesters(bench, requesters)
    make_premium(bench, list(range(0, requesters, 10)), params.premium_min_stake)  # a tenth premium
    bench.block()
    gpus = place_offers(bench, rng, offers)
    bench.block()
    place_orders(bench, rng, orders, requesters)  # due their first try at this block's end
    build_s = time.perf_counter() - started
    settle(bench)
    tune_gc()
    begins, ends = [], []
    last_lease = 0
    while next(bench.market.match_queue.items(bench.store), None) is not None and len(ends) < max_blocks:
        begin, end = bench.timed_block()
        begins.append(begin * 1e3)
        ends.append(end * 1e3)
        last_lease = bench.accept_new_leases(last_lease)
    matched = sum(1 for o in bench.market.iterate_orders(bench.store) if o.state == OrderState.MATCHED)
    return Matching(
        orders, offers, gpus, params.max_matches_per_block, build_s, len(ends), matched, ends, begins
    )


# -- 2. settlement ---------------------------------------------------------------------------

DUE_PER_BLOCK = 10
SETTLEMENT_KINDS = KINDS[:4]  # the classes every provider of the settlement chains offers
WARMUP = 3
SETTLE_AFTER_S = 60  # the first timed block comes this long after the leases start (min duration)


@dataclass(frozen=True)
class Settlement:
    leases: int
    build_s: float
    begin_ms: float  # medians over the blocks
    end_ms: float
    total_ms: float
    closed: int  # leases closed in the timed blocks (after the warm-up)


def measure_settlement(sizes: list[int], blocks: int, store: str) -> list[Settlement]:
    """Build a chain per size, then time their blocks alternately (block 1 of each, then
    block 2 of each, ...), so that a change in the machine's speed falls on every size."""
    # Built with a large matching budget (no order is open in the timed blocks, where it
    # does not matter); everything else at its default.
    params = MarketParams(max_matches_per_block=10_000)
    with ExitStack() as stack:
        built = []
        for leases in sizes:
            opened = stack.enter_context(open_store(store))
            bench = Bench(params, MemoryKV())
            build_s = build_leases(bench, leases, blocks)
            opened.settle(bench)
            built.append((leases, bench, build_s))
        tune_gc()
        for _ in range(WARMUP):
            for _, bench, _ in built:
                bench.timed_block()
        open_before = [count_open(bench) for _, bench, _ in built]
        timings: list[list[tuple[float, float]]] = [[] for _ in built]
        for _ in range(blocks):
            for index, (_, bench, _) in enumerate(built):
                timings[index].append(bench.timed_block())
        results = []
        for (leases, bench, build_s), before, times in zip(built, open_before, timings, strict=True):
            after = count_open(bench)
            assert after == leases, f"{after} leases left open, expected {leases}"
            results.append(
                Settlement(
                    leases,
                    build_s,
                    statistics.median(t[0] for t in times) * 1e3,
                    statistics.median(t[1] for t in times) * 1e3,
                    statistics.median(t[0] + t[1] for t in times) * 1e3,
                    before - after,
                )
            )
        return results


def count_open(bench: Bench) -> int:
    """Active leases (each waits in the close queue)."""
    return sum(1 for _ in bench.market.close_queue.items(bench.store))


def build_leases(bench: Bench, leases: int, blocks: int) -> float:
    """``leases`` active leases that last a week, and ``DUE_PER_BLOCK`` more due in each of the
    warm-up and timed blocks, from providers of 1,024 GPUs (16 entries of 64, over the same 4
    classes for every provider, one offer of 256 a class), all matched and accepted; returns the
    seconds it took. Every chain has the same classes on offer, whatever its size: each block
    moves their reference prices, and the chains differ only in their open leases."""
    rng = random.Random(SEED)
    started = time.perf_counter()
    due = DUE_PER_BLOCK * (WARMUP + blocks)
    gpus = leases + due
    providers = -(-gpus // 1_024)
    register_providers(
        bench,
        (
            (p, [spec(kind, 64) for kind in SETTLEMENT_KINDS for _ in range(4)], REGIONS[p % len(REGIONS)])
            for p in range(providers)
        ),
    )
    reference = bench.market.get_params(bench.store).min_reference_price
    bench.route_all(
        MsgCreateOffer(
            bech32("provider", p),
            kind.gpu,
            256,
            fixed_or_indexed(rng, kind, reference),
            60,
            30 * 24 * HOUR,
            ["gemm"],
        )
        for p in range(providers)
        for kind in SETTLEMENT_KINDS
    )
    bench.block()
    requesters = max(gpus // 100, 1)
    fund_requesters(bench, requesters)
    # The due leases first (durations of 60 s plus 5 s per block: DUE_PER_BLOCK due in each
    # block from the first warm-up block on, counting from the block that accepts them all),
    # then the ones not due.
    durations = [SETTLE_AFTER_S + 5 * (i // DUE_PER_BLOCK) for i in range(due)] + [7 * 24 * HOUR] * leases

    def orders() -> Iterator[MsgCreateOrder]:
        for index, duration in enumerate(durations):
            deposit = compute_required_deposit(TOP_PRICE, 1, duration)
            wanted = Requirements([], 0, "", 1, [], 0, 0, "")
            yield MsgCreateOrder(
                bech32("requester", index % requesters), wanted, duration, TOP_PRICE, Coin(DENOM, deposit), 0
            )

    bench.route_all(orders())
    while next(bench.market.match_queue.items(bench.store), None) is not None:
        bench.block()
    accepted_ns = bench.time_ns
    bench.accept_new_leases(0)  # all start now
    bench.block()
    bench.time_ns = accepted_ns + SETTLE_AFTER_S * SECOND  # the first due leases close in the next block
    return time.perf_counter() - started


# -- the report ------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def today() -> str:
    return subprocess.run(["date"], capture_output=True, text=True, check=False).stdout.strip()


def report_header(store: str) -> None:
    print(f"command: uv run python {' '.join(sys.argv)}")
    print(f"machine: {machine()}; store: {store}; date: {today()}; load: {os.getloadavg()[0]:.2f}")


def report_matching(result: Matching) -> None:
    ends = result.end_ms
    total_s = sum(ends) / 1e3
    print(
        f"\nmatching: {result.orders:,} orders against {result.offers:,} offers "
        f"({result.gpus_offered:,} GPUs), {result.budget} matches a block; build {result.build_s:.1f} s"
    )
    print(
        "| blocks | matched | end block ms (p50) | end block ms (max) | end block s (total) "
        "| begin block ms (p50) | end block µs per order |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {result.blocks} | {result.matched:,} | {statistics.median(ends):.1f} | {max(ends):.1f} "
        f"| {total_s:.2f} | {statistics.median(result.begin_ms):.2f} "
        f"| {total_s * 1e6 / max(result.matched, 1):.0f} |"
    )
    verdicts = (
        ("max end block <= 100 ms", max(ends) <= 100),
        ("total <= 1 s", total_s <= 1),
        ("every order matched", result.matched == result.orders),
    )
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in verdicts))


def report_settlement(costs: list[Settlement]) -> None:
    print(f"\nsettlement: open leases not due, plus {DUE_PER_BLOCK} due a block (medians per block)")
    print("| open leases | build s | closed | begin block ms | end block ms | begin + end ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for cost in costs:
        print(
            f"| {cost.leases:,} | {cost.build_s:.1f} | {cost.closed} | {cost.begin_ms:.2f} "
            f"| {cost.end_ms:.2f} | {cost.total_ms:.2f} |"
        )
    if len(costs) >= 2:
        ratio = costs[-1].total_ms / costs[0].total_ms
        verdict = "within" if abs(ratio - 1) <= 0.10 else "NOT within"
        print(
            f"\nratio {costs[-1].leases:,} / {costs[0].leases:,} open leases: {ratio:.3f} "
            f"({verdict} the 10% target)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="End-block matching and per-block settlement of the market.")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--max-blocks", type=int, default=1_000, help="bound on the matching run's blocks")
    parser.add_argument("--leases", type=int, nargs="+", default=[100, 100_000])
    parser.add_argument("--blocks", type=int, default=50)
    parser.add_argument("--store", choices=["leveldb", "memory"], default="leveldb")
    parser.add_argument("--skip-matching", action="store_true")
    parser.add_argument("--skip-settlement", action="store_true")
    args = parser.parse_args()
    matching = (
        None
        if args.skip_matching
        else measure_matching(args.orders, args.offers, args.max_blocks, args.store)
    )
    costs = [] if args.skip_settlement else measure_settlement(args.leases, args.blocks, args.store)
    report_header(args.store)
    if matching is not None:
        report_matching(matching)
    if costs:
        report_settlement(costs)


if __name__ == "__main__":
    main()
