"""Benchmark: what governance costs a block.

1. The tally: 100 bonded validators; one proposal whose voters are ``--voters`` delegators
   (each delegating to one validator) and every validator. Timed: the end blocks from the
   one that ends its voting period until its votes are counted (``max_votes_tallied_per_block``
   a block), it is decided (its deposit refunded, its one message run) and its votes are
   deleted (under the same budget). Reported: the block that decided it, how many blocks it
   took, the slowest, and the cost per vote.
2. The budget: ``--proposals`` proposals whose voting periods end at the same height, each
   with the 100 validators' votes. Each end block ends at most ``max_proposals_ended_per_block``
   of them (16); reported are the blocks it takes and the slowest end block.
3. A block with no proposal ending: the gov end block's cost when its queues are empty.

The state is built through the modules' own message handlers (as scripts/bench_staking.py,
whose builder this reuses) in a MemoryKV; each timed block runs every module's end block on a
cache over it, as a node runs a block over its committed state.

    uv run python scripts/bench_gov.py [--voters 1000 10000] [--proposals 100]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bench_staking import VALIDATORS, Bench, address, create_validators

from genesis.gov import GovParams
from genesis.schema import BankParams, CoinJSON, StakingParams
from node.cli.node_cmds import tune_gc
from vm.bank.msgs import MsgUpdateParams as BankUpdateParams
from vm.codec import codec_for, pack
from vm.gov.keeper import GovKeeper
from vm.gov.msgs import MsgSubmitProposal, MsgVote
from vm.gov.types import ProposalMessage, ProposalStatus
from vm.modules import AUTHORITY
from vm.staking.msgs import MsgDelegate
from vm.staking.types import format_valoper
from vm.store.kv import MemoryKV
from vm.types import Coin, format_address

DENOM = "udepin"
DEPOSIT = 1_000
DELEGATION = 1_000_000
FUNDS = 10**15
VOTER_FUNDS = 2 * DELEGATION  # the supply stays within 64 bits with 10,000s of voters
VOTING_BLOCKS = 5
PARAMS = GovParams(
    min_deposit=[CoinJSON(denom=DENOM, amount=DEPOSIT)],
    expedited_min_deposit=[CoinJSON(denom=DENOM, amount=10 * DEPOSIT)],
    voting_blocks=VOTING_BLOCKS,
    expedited_voting_blocks=2,
)
YES = 1


def new_bench() -> Bench:
    bench = Bench(StakingParams(max_validators=VALIDATORS), MemoryKV())
    gov: GovKeeper = bench.registry.keeper("gov")
    gov.params.set(bench.store, PARAMS)
    create_validators(bench)
    bench.end_block()
    return bench


def proposal_message() -> ProposalMessage:
    update = BankUpdateParams(format_address(AUTHORITY), BankParams(default_send_enabled=True))
    wire = pack(codec_for(BankUpdateParams).write(update))
    return ProposalMessage(wire.type_url, wire.value)


def submit(bench: Bench, count: int) -> list[int]:
    """``count`` proposals in their voting period, all submitted (and ending) together."""
    proposer = address("proposer", 0)
    bench.fund(proposer, FUNDS)
    gov: GovKeeper = bench.registry.keeper("gov")
    first = gov.next_proposal_id(bench.store)
    message = proposal_message()
    bench.route_all(
        MsgSubmitProposal(
            [message], [Coin(DENOM, DEPOSIT)], format_address(proposer), "", f"p{i}", "s", False
        )
        for i in range(count)
    )
    return list(range(first, first + count))


def validator_votes(proposals: list[int]) -> Iterator[MsgVote]:
    for proposal_id in proposals:
        for index in range(VALIDATORS):
            yield MsgVote(proposal_id, format_address(address("validator", index)), YES, "")


def delegator_votes(bench: Bench, proposal_id: int, voters: int) -> Iterator[object]:
    """Each voter delegates to one validator (round robin), then votes yes itself."""
    for index in range(voters):
        delegator = address("voter", index)
        bench.fund(delegator, VOTER_FUNDS)
        yield MsgDelegate(
            format_address(delegator),
            format_valoper(address("validator", index % VALIDATORS)),
            Coin(DENOM, DELEGATION),
        )
        yield MsgVote(proposal_id, format_address(delegator), YES, "")


def end_blocks(bench: Bench, done: Callable[[], bool], most: int) -> list[tuple[float, int]]:
    """End blocks until ``done``; each one's seconds and the proposals it ended."""
    times = []
    for _ in range(most):
        ctx = bench.ctx()
        started = time.perf_counter()
        bench.registry.end_block(ctx)
        seconds = time.perf_counter() - started
        times.append((seconds, sum(1 for e in ctx.events if e.type == "active_proposal")))
        bench.height += 1
        bench.flush()
        if done():
            return times
    raise RuntimeError(f"not done after {most} blocks")


def settled(bench: Bench, proposals: list[int]) -> Callable[[], bool]:
    """Whether every proposal has ended and its votes are deleted."""
    gov: GovKeeper = bench.registry.keeper("gov")

    def check() -> bool:
        ended = all(gov.proposal(bench.store, p).status != ProposalStatus.VOTING_PERIOD for p in proposals)
        return ended and gov.sweep_queue.count(bench.store) == 0

    return check


@dataclass(frozen=True)
class TallyCost:
    votes: int
    blocks: int  # from the voting period's last block until the votes are deleted
    decided_in: int  # the block (1 = the voting period's last) that decided it
    slowest_ms: float
    work_ms: float  # those blocks' end blocks together, less what an idle end block takes
    idle_ms: float


def tally_cost(voters: int) -> TallyCost:
    bench = new_bench()
    [proposal_id] = submit(bench, 1)
    bench.route_all(delegator_votes(bench, proposal_id, voters))
    bench.route_all(validator_votes([proposal_id]))
    gov: GovKeeper = bench.registry.keeper("gov")
    end = gov.proposal(bench.store, proposal_id).voting_end_height
    idle = end_blocks(bench, lambda: bench.height == end, VOTING_BLOCKS + 1)
    work = end_blocks(
        bench, settled(bench, [proposal_id]), 4 * voters // PARAMS.max_votes_tallied_per_block + 4
    )
    assert gov.proposal(bench.store, proposal_id).status == ProposalStatus.PASSED
    assert bench.registry.broken_invariants(bench.store) == []
    idle_ms = statistics.median(seconds for seconds, _ in idle) * 1000
    return TallyCost(
        votes=voters + VALIDATORS,
        blocks=len(work),
        decided_in=next(i for i, (_, ended) in enumerate(work, 1) if ended),
        slowest_ms=max(seconds for seconds, _ in work) * 1000,
        work_ms=sum(seconds for seconds, _ in work) * 1000 - idle_ms * len(work),
        idle_ms=idle_ms,
    )


def budget_cost(count: int) -> tuple[int, float, int]:
    """(blocks that end proposals, the slowest one's ms, the most proposals one ended)."""
    bench = new_bench()
    proposals = submit(bench, count)
    bench.route_all(validator_votes(proposals))
    times = end_blocks(bench, settled(bench, proposals), VOTING_BLOCKS + count + 4)
    busy = [(seconds, ended) for seconds, ended in times if ended]
    assert max(ended for _, ended in busy) <= PARAMS.max_proposals_ended_per_block
    return len(busy), max(seconds for seconds, _ in busy) * 1000, max(ended for _, ended in busy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, nargs="+", default=[1_000, 10_000, 40_000])
    parser.add_argument("--proposals", type=int, default=100)
    args = parser.parse_args()
    tune_gc()
    print(f"# {platform.machine()} {platform.processor() or ''} Python {sys.version.split()[0]}")
    budget = PARAMS.max_votes_tallied_per_block
    print(f"vote budget: {budget:,} votes counted or deleted a block")
    columns = [
        "votes",
        "decided in block",
        "blocks until deleted",
        "slowest end block ms",
        "idle end block ms",
    ]
    print("| " + " | ".join([*columns, "µs per vote"]) + " |")
    print("|---:|---:|---:|---:|---:|---:|")
    for voters in args.voters:
        cost = tally_cost(voters)
        per_vote = 1000 * cost.work_ms / cost.votes
        print(
            f"| {cost.votes:,} | {cost.decided_in} | {cost.blocks} | {cost.slowest_ms:.1f} | "
            f"{cost.idle_ms:.2f} | {per_vote:.1f} |"
        )
    blocks, slowest, most = budget_cost(args.proposals)
    print(
        f"\n{args.proposals} proposals ending at one height: ended over {blocks} blocks, "
        f"at most {most} a block "
        f"(budget {PARAMS.max_proposals_ended_per_block}); slowest end block {slowest:.1f} ms"
    )


if __name__ == "__main__":
    main()
