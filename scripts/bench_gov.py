"""Benchmark: what governance costs a block.

1. The tally: 100 bonded validators; one proposal whose voters are ``--voters`` delegators
   (each delegating to one validator) and every validator. Timed: the end block that ends
   its voting period (the tally, the refund of its deposit, the deletion of its votes, the
   execution of its one message). Reported with the cost per vote counted.
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
from collections.abc import Iterator

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


def run_to_end(bench: Bench, proposals: list[int]) -> list[tuple[float, int]]:
    """End blocks until every proposal has ended; each one's seconds and proposals ended."""
    gov: GovKeeper = bench.registry.keeper("gov")
    times = []
    for _ in range(VOTING_BLOCKS + len(proposals) + 2):
        ctx = bench.ctx()
        started = time.perf_counter()
        bench.registry.end_block(ctx)
        seconds = time.perf_counter() - started
        times.append((seconds, sum(1 for e in ctx.events if e.type == "active_proposal")))
        bench.height += 1
        bench.flush()
        if all(gov.proposal(bench.store, p).status != ProposalStatus.VOTING_PERIOD for p in proposals):
            return times
    raise RuntimeError("the proposals did not end")


def tally_cost(voters: int) -> tuple[int, float, float]:
    """(votes counted, the tallying end block's ms, the previous end block's ms)."""
    bench = new_bench()
    [proposal_id] = submit(bench, 1)
    bench.route_all(delegator_votes(bench, proposal_id, voters))
    bench.route_all(validator_votes([proposal_id]))
    times = run_to_end(bench, [proposal_id])
    gov: GovKeeper = bench.registry.keeper("gov")
    assert gov.proposal(bench.store, proposal_id).status == ProposalStatus.PASSED
    assert bench.registry.broken_invariants(bench.store) == []
    idle = statistics.median(seconds for seconds, _ in times[:-1])
    return voters + VALIDATORS, times[-1][0] * 1000, idle * 1000


def budget_cost(count: int) -> tuple[int, float, int]:
    """(blocks that end proposals, the slowest one's ms, the most proposals one ended)."""
    bench = new_bench()
    proposals = submit(bench, count)
    bench.route_all(validator_votes(proposals))
    times = run_to_end(bench, proposals)
    busy = [(seconds, ended) for seconds, ended in times if ended]
    assert max(ended for _, ended in busy) <= PARAMS.max_proposals_ended_per_block
    return len(busy), max(seconds for seconds, _ in busy) * 1000, max(ended for _, ended in busy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--proposals", type=int, default=100)
    args = parser.parse_args()
    tune_gc()
    print(f"# {platform.machine()} {platform.processor() or ''} Python {sys.version.split()[0]}")
    print("| votes counted | tallying end block ms | other end blocks ms (median) | µs per vote |")
    print("|---:|---:|---:|---:|")
    for voters in args.voters:
        votes, tally_ms, idle_ms = tally_cost(voters)
        print(f"| {votes:,} | {tally_ms:.1f} | {idle_ms:.2f} | {1000 * (tally_ms - idle_ms) / votes:.1f} |")
    blocks, slowest, most = budget_cost(args.proposals)
    print(
        f"\n{args.proposals} proposals ending at one height: ended over {blocks} blocks, "
        f"at most {most} a block "
        f"(budget {PARAMS.max_proposals_ended_per_block}); slowest end block {slowest:.1f} ms"
    )


if __name__ == "__main__":
    main()
