"""BFT time across validators: block times are the weighted medians of the last
commits' precommit times, a Byzantine proposer cannot choose them, and a validator
whose clock lags still decides every block.

Two networks: the engines over the in-memory hub (real clocks, trio's autojump
clock for timeouts), and round state machines with real block executors wired
directly, each validator with a clock of its own, for clocks that disagree."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import trio

from consensus.bfttime import MIN_BLOCK_INTERVAL_NS, median_time
from consensus.blocks import BlockExecutor, ChainParams
from consensus.privval import verify
from consensus.tendermint.messages import (
    Broadcast,
    Decide,
    Message,
    Output,
    ProposalMsg,
    ScheduleTimeout,
    TimeoutEvent,
)
from consensus.tendermint.state import RoundStateMachine
from consensus.types import Block, BlockIDFlag, Commit
from consensus.validators import ValidatorSet
from tests.consensus.fakes import FakeApp, FakeBlockStore, FakeMempool
from tests.consensus.tendermint.memnet import Hub, memory_node, wait_until
from tests.consensus.tendermint.support import CHAIN_ID, KeySigner, signers, validator_set

SECOND_NS = 10**9
MINUTE_NS = 60 * SECOND_NS


def with_time(block: Block, time_ns: int) -> Block:
    return msgspec.structs.replace(block, header=msgspec.structs.replace(block.header, time_ns=time_ns))


def assert_bft_times(blocks: dict[int, Block], validators_at: Callable[[int], ValidatorSet]) -> None:
    """The first block has the genesis time (0), each later one its last commit's median."""
    assert blocks[1].header.time_ns == 0
    for height in range(2, max(blocks) + 1):
        last_commit = blocks[height].last_commit
        assert last_commit is not None
        assert blocks[height].header.time_ns == median_time(last_commit, validators_at(height - 1))
    times = [blocks[h].header.time_ns for h in sorted(blocks)]
    assert all(b >= a + MIN_BLOCK_INTERVAL_NS for a, b in itertools.pairwise(times))


# ---- the engines over the in-memory hub --------------------------------------------------------------


class AheadProposer(BlockExecutor):
    """A Byzantine proposer's executor: its blocks claim a time 9 s ahead of its clock
    (within the 10 s a proposer's time could lead a validator's clock before BFT time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.built: list[int] = []  # the heights it built blocks for

    def build(self, height: int, proposer: bytes, last_commit: Commit | None = None) -> Block:
        self.built.append(height)
        return with_time(super().build(height, proposer, last_commit), time.time_ns() + 9 * SECOND_NS)


async def test_honest_validators_refuse_a_proposer_that_moves_time(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """One of four validators proposes blocks 9 s ahead of its clock: its rounds fail, and
    every committed block has the median time of its last commit."""
    hub = Hub()
    keys = signers(4)
    genesis = validator_set(keys, [10] * 4)
    nodes = [memory_node(hub, f"v{i}", tmp_path) for i in range(4)]
    engines = [node.engine(key, genesis) for node, key in zip(nodes[:3], keys[:3], strict=True)]
    engines.append(nodes[3].engine(keys[3], genesis, AheadProposer))
    honest = nodes[:3]
    async with trio.open_nursery() as nursery:
        for node, engine in zip(nodes, engines, strict=True):
            nursery.start_soon(node.endpoint.pump)
            await nursery.start(engine.run)
        await wait_until(lambda: all(n.store.height() >= 8 for n in honest), 120)
        nursery.cancel_scope.cancel()
    byzantine = engines[3].executor
    assert isinstance(byzantine, AheadProposer) and byzantine.built
    chain = {h: b for h, b in honest[0].store.blocks.items() if h <= 8}
    for node in honest[1:]:
        assert {h: node.store.blocks[h].hash() for h in chain} == {h: b.hash() for h, b in chain.items()}
    assert keys[3].address not in {block.header.proposer_address for block in chain.values()}
    assert_bft_times(chain, lambda height: genesis)


# ---- machines with real executors and clocks of their own -------------------------------------------


@dataclass
class Member:
    """A validator: its machine, an executor over fakes, its clock's offset, and what it
    has pending (timeouts, messages of the next height, a height to start)."""

    key: KeySigner
    executor: BlockExecutor
    offset_ns: int
    distort: Callable[[Block], Block] | None = None  # a Byzantine proposer's change to its blocks
    machine: RoundStateMachine | None = None
    timeouts: list[TimeoutEvent] = field(default_factory=list)
    next_height: list[Message] = field(default_factory=list)
    start_next: bool = False

    @property
    def rsm(self) -> RoundStateMachine:
        assert self.machine is not None
        return self.machine


class DirectNetwork:
    """Every message reaches every other member at once, in the order sent; the clock
    advances 1 ms per delivery. Timeouts fire only when nothing else is left to do."""

    def __init__(self, powers: Sequence[int], offsets_ns: Sequence[int], start_ns: int) -> None:
        keys = signers(len(powers))
        self.genesis = validator_set(keys, powers)
        self.ticks = 0
        self.start_ns = start_ns
        self.queue: deque[tuple[Member, Message]] = deque()
        self.members = [self._member(key, offset) for key, offset in zip(keys, offsets_ns, strict=True)]

    def _member(self, key: KeySigner, offset_ns: int) -> Member:
        executor = BlockExecutor(
            ChainParams(CHAIN_ID, 1, 0), FakeApp(), FakeBlockStore(), FakeMempool(), self.genesis
        )
        member = Member(key, executor, offset_ns)

        def propose(height: int, round_: int) -> Block:
            block = executor.build(height, key.address, member.rsm.state.last_commit)
            return block if member.distort is None else member.distort(block)

        member.machine = RoundStateMachine(
            CHAIN_ID,
            key,
            propose,
            executor.is_valid_proposal,
            verify,
            now=lambda: self.start_ns + offset_ns + self.ticks * MIN_BLOCK_INTERVAL_NS,
        )
        return member

    def run(self, heights: int, max_steps: int = 100_000) -> None:
        for member in self.members:
            self._act(member, member.rsm.start(1, self.genesis))
        for _ in range(max_steps):
            if all(m.executor.next_height() > heights for m in self.members):
                return
            self._step()
        raise AssertionError(f"{heights} heights not decided in {max_steps} steps")

    def _step(self) -> None:
        if self.queue:
            member, message = self.queue.popleft()
            self.ticks += 1
            self._deliver(member, message)
        elif starting := [m for m in self.members if m.start_next]:
            for member in starting:
                self._start_next_height(member)
        else:
            for member in self.members:
                timeouts, member.timeouts = member.timeouts, []
                for timeout in timeouts:
                    self._act(member, member.rsm.handle(timeout))

    def _deliver(self, member: Member, message: Message) -> None:
        height = message.proposal.height if isinstance(message, ProposalMsg) else message.vote.height
        if height == member.rsm.state.height + 1:
            member.next_height.append(message)
        elif height == member.rsm.state.height:
            self._act(member, member.rsm.handle(message))

    def _start_next_height(self, member: Member) -> None:
        member.start_next = False
        height = member.executor.next_height()
        self._act(member, member.rsm.start(height, member.executor.validators_at(height)))
        waiting, member.next_height = member.next_height, []
        for message in waiting:
            self._deliver(member, message)

    def _act(self, member: Member, outputs: Sequence[Output]) -> None:
        for output in outputs:
            if isinstance(output, Broadcast):
                self.queue.extend((other, output.message) for other in self.members if other is not member)
            elif isinstance(output, ScheduleTimeout):
                member.timeouts.append(output.event())
            elif isinstance(output, Decide):
                member.executor.apply(output.block, output.commit)
                member.start_next = True

    def blocks(self, member: Member) -> dict[int, Block]:
        store = member.executor.store
        assert isinstance(store, FakeBlockStore)
        return store.blocks


START_NS = 1_700_000_000 * SECOND_NS


def test_a_validator_whose_clock_lags_by_minutes_decides_every_block() -> None:
    """Powers 30, 30, 30, 10; the first validator's clock is 5 minutes behind the others'.
    Every block is 5 minutes ahead of its clock, and it still votes for and decides each,
    and proposes in its turn; the times are the weighted medians of the others' clocks."""
    network = DirectNetwork([30, 30, 30, 10], [-5 * MINUTE_NS, 0, 0, 0], START_NS)
    lagging = network.members[0]
    network.run(heights=8)
    chain = network.blocks(network.members[1])
    for member in network.members:
        assert {h: b.hash() for h, b in network.blocks(member).items()} == {
            h: b.hash() for h, b in chain.items()
        }
    assert_bft_times(chain, lambda height: network.genesis)
    assert all(block.header.time_ns >= START_NS for height, block in chain.items() if height > 1)
    lagging_clock = START_NS - 5 * MINUTE_NS + network.ticks * MIN_BLOCK_INTERVAL_NS
    assert all(chain[h].header.time_ns > lagging_clock + 4 * MINUTE_NS for h in range(2, 9))
    assert lagging.key.address in {block.header.proposer_address for block in chain.values()}
    for height in range(3, 9):  # it precommitted each block from 2 on 1 ms after it (block 1: 1970)
        last_commit = chain[height].last_commit
        assert last_commit is not None
        found = network.genesis.get(lagging.key.address)
        assert found is not None
        own = last_commit.signatures[found[0]]
        assert own.block_id_flag == BlockIDFlag.COMMIT
        assert own.timestamp_ns == chain[height - 1].header.time_ns + MIN_BLOCK_INTERVAL_NS


def test_honest_validators_refuse_a_proposer_that_holds_time_back() -> None:
    """A proposer that claims the earliest time the last block allows (1 ms after it) while
    the validators' clocks say minutes later: its rounds fail, and time follows the clocks."""
    network = DirectNetwork([10, 10, 10, 10], [0, 0, 0, 0], START_NS)
    byzantine = network.members[3]
    stalled: list[int] = []

    def hold_back(block: Block) -> Block:
        stalled.append(block.header.height)
        previous = byzantine.executor.store.load_block(block.header.height - 1)
        return with_time(block, (previous.header.time_ns if previous else 0) + MIN_BLOCK_INTERVAL_NS)

    byzantine.distort = hold_back
    network.run(heights=8)
    chain = network.blocks(network.members[0])
    assert stalled
    assert byzantine.key.address not in {block.header.proposer_address for block in chain.values()}
    assert_bft_times(chain, lambda height: network.genesis)
    assert all(block.header.time_ns >= START_NS for height, block in chain.items() if height > 1)
