"""consensus/metrics.py: both engines report heights started (with their validators), rounds
entered and blocks committed, once each, under trio's autojump clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import trio

from consensus.metrics import ConsensusMetrics
from consensus.types import Block
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.memnet import MemoryNode, wait_until
from tests.consensus.tendermint.test_engine import engine_of, network, start
from tests.consensus.test_solo import Chain, run_for


@dataclass
class RecordedMetrics(ConsensusMetrics):
    started: list[tuple[int, int, int]] = field(default_factory=list)  # height, validators, power
    rounds: dict[int, list[int]] = field(default_factory=dict)  # height -> rounds entered
    committed: list[tuple[int, int, float]] = field(default_factory=list)  # height, txs, seconds

    def height_started(self, height: int, validators: ValidatorSet) -> None:
        self.started.append((height, len(validators.validators), validators.total_power()))
        self.rounds[height] = []

    def round_entered(self, round_: int) -> None:
        self.rounds[self.started[-1][0]].append(round_)

    def block_committed(self, block: Block, processing_s: float) -> None:
        self.committed.append((block.header.height, len(block.data.txs), processing_s))


async def test_the_single_validator_engine_reports_each_height(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    chain = Chain(tmp_path)
    engine = chain.engine()
    engine.metrics = recorded = RecordedMetrics()
    chain.mempool.add(b"tx-1")
    await run_for(engine, 3.5)
    assert recorded.started == [(1, 1, 10), (2, 1, 10), (3, 1, 10), (4, 1, 10)]
    assert [(height, txs) for height, txs, _ in recorded.committed] == [(1, 1), (2, 0), (3, 0)]
    assert all(seconds >= 0 for _, _, seconds in recorded.committed)
    assert recorded.rounds == {height: [] for height in (1, 2, 3, 4)}  # one round a height, always


async def test_the_tendermint_engine_reports_heights_rounds_and_commits(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """With one validator of four cut off, the heights it should propose need a second round."""
    hub, nodes, _ = network(tmp_path, 4)
    hub.down.add("v3")  # it runs, alone
    watched: MemoryNode = nodes[0]
    engine_of(watched).metrics = recorded = RecordedMetrics()
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: watched.store.height() >= 8, 120)
        nursery.cancel_scope.cancel()
    heights = [height for height, _, _ in recorded.started]
    assert heights == list(range(1, heights[-1] + 1))
    assert {(validators, power) for _, validators, power in recorded.started} == {(4, 40)}
    committed = [height for height, _, _ in recorded.committed]
    assert committed == [height for height, _ in watched.commits]
    decided_late = {height for height in committed if watched.store.commits[height].round > 0}
    assert decided_late  # v3's turns
    assert {height for height in committed if recorded.rounds[height]} == decided_late
    assert all(recorded.rounds[height] == [watched.store.commits[height].round] for height in decided_late)
