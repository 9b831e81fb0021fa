"""gov's end-block hook, as Cosmos SDK v0.50's ``x/gov/abci.go`` with a budget.

Each block takes at most ``max_proposals_ended_per_block`` proposals from each queue and
counts at most ``max_votes_tallied_per_block`` votes (a backlog waits a block, so what users
create cannot make one block's work unbounded):

- a deposit period that ended short of the minimum drops its proposal; its deposits are
  refunded, or burned with ``burn_proposal_deposit_prevote``;
- a voting period that ended is tallied (vm/gov/counting.py: in that block unless its votes
  are more than the budget). A passing proposal's messages run in order, on a
  branch of the state that is kept only if every one succeeds: otherwise none of their
  changes remain and the proposal is FAILED with the error as ``failed_reason``. Deposits
  are refunded, or burned when the tally says so (a veto, a missed quorum).
- an expedited proposal that does not pass becomes a regular one: its voting period runs
  on to the regular length, its deposits stay, and (unlike Cosmos v0.50, which deletes
  them at the first tally) its votes still count at the second tally.
"""

from __future__ import annotations

from google.protobuf.any_pb2 import Any as AnyPb
from msgspec.structs import replace

from vm.context import Context
from vm.errors import InvalidTx
from vm.execute import NODE_FAULTS
from vm.gov import counting, events
from vm.gov.keeper import GovKeeper
from vm.gov.params import voting_blocks
from vm.gov.store import id_bytes
from vm.gov.tally import Outcome
from vm.gov.types import Proposal, ProposalStatus, Tally
from vm.store.cache import CacheStore

DROPPED = "proposal_dropped"
PASSED = "proposal_passed"
REJECTED = "proposal_rejected"
FAILED = "proposal_failed"
EXPEDITED_REJECTED = "expedited_proposal_rejected"


def end_block(keeper: GovKeeper, ctx: Context) -> None:
    params, store, height = keeper.get_params(ctx.store), ctx.store, ctx.env.height
    proposals = params.max_proposals_ended_per_block
    for item in keeper.deposit_queue.pop_due(store, height, proposals):
        drop_inactive(keeper, ctx, keeper.proposal(store, int.from_bytes(item, "big")))
    for item in keeper.voting_queue.pop_due(store, height, proposals):
        counting.start(keeper, store, int.from_bytes(item, "big"), height)
    counted, budget = counting.count(keeper, store, height, params.max_votes_tallied_per_block, proposals)
    for proposal_id, outcome in counted:
        end_voting(keeper, ctx, keeper.proposal(store, proposal_id), outcome)
    counting.sweep(keeper, store, height, budget, proposals)


def drop_inactive(keeper: GovKeeper, ctx: Context, proposal: Proposal) -> None:
    if keeper.get_params(ctx.store).burn_proposal_deposit_prevote:
        keeper.burn_deposits(ctx.store, proposal.id)
    else:
        keeper.refund_deposits(ctx.store, proposal.id)
    keeper.delete_proposal(ctx.store, proposal)
    ctx.emit(events.InactiveProposal(proposal_id=str(proposal.id), proposal_result=DROPPED))


def end_voting(keeper: GovKeeper, ctx: Context, proposal: Proposal, outcome: Outcome) -> None:
    """Decide a proposal whose votes are counted; its votes are then deleted (the sweep)."""
    if proposal.expedited and not outcome.passes:
        _extend_expedited(keeper, ctx, proposal)
        return
    if outcome.burn_deposits:
        keeper.burn_deposits(ctx.store, proposal.id)
    else:
        keeper.refund_deposits(ctx.store, proposal.id)
    keeper.sweep_queue.push_new(ctx.store, ctx.env.height, id_bytes(proposal.id))
    status, result, reason = ProposalStatus.REJECTED, REJECTED, ""
    if outcome.passes:
        reason = execute(keeper, ctx, proposal)
        status, result = (ProposalStatus.PASSED, PASSED) if not reason else (ProposalStatus.FAILED, FAILED)
    ended = replace(
        proposal,
        status=status,
        final_tally=Tally.of(outcome.result),
        voting_end_time_ns=ctx.env.time_ns,
        failed_reason=reason,
    )
    keeper.set_proposal(ctx.store, proposal, ended)
    ctx.emit(events.ActiveProposal(proposal_id=str(proposal.id), proposal_result=result, proposal_log=reason))


def execute(keeper: GovKeeper, ctx: Context, proposal: Proposal) -> str:
    """Run the proposal's messages as the gov account, all or none; returns why they
    failed ("" if they all succeeded). A message that no longer decodes (the message set
    changed with an upgrade) fails the proposal like one whose handler refuses it."""
    branch = CacheStore(ctx.store)
    run = Context(branch, ctx.env, ctx.gas)
    try:
        for message in proposal.messages:
            msg = keeper.router.decode(AnyPb(type_url=message.type_url, value=message.value))
            keeper.router.route(run, msg)
    except InvalidTx as error:
        return error.log
    except NODE_FAULTS:
        raise
    except Exception as error:  # a handler bug fails the proposal the same way on every node
        return f"panic: {type(error).__name__}"
    branch.write()
    ctx.events.extend(run.events)
    return ""


def _extend_expedited(keeper: GovKeeper, ctx: Context, proposal: Proposal) -> None:
    params = keeper.get_params(ctx.store)
    end = proposal.voting_start_height + voting_blocks(params, expedited=False)
    keeper.voting_queue.push_new(ctx.store, end, id_bytes(proposal.id))
    keeper.set_proposal(ctx.store, proposal, replace(proposal, expedited=False, voting_end_height=end))
    ctx.emit(
        events.ActiveProposal(
            proposal_id=str(proposal.id), proposal_result=EXPEDITED_REJECTED, proposal_log=""
        )
    )
