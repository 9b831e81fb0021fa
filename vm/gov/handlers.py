"""gov message handlers (Cosmos's ``x/gov/keeper/msg_server.go``)."""

from __future__ import annotations

from typing import Any

import msgspec
from cosmpy.protos.cosmos.gov.v1 import tx_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from genesis.schema import CoinJSON
from vm.context import Context
from vm.errors import Unauthorized
from vm.gov import events
from vm.gov.keeper import GovKeeper
from vm.gov.msgs import MsgCancelProposal, MsgSubmitProposal, MsgUpdateParams
from vm.types import Address, format_address, parse_address


def handle_submit_proposal(
    keeper: GovKeeper, ctx: Context, msg: MsgSubmitProposal
) -> tx_pb2.MsgSubmitProposalResponse:
    proposal_id = keeper.submit_proposal(
        ctx,
        parse_address(msg.proposer, "proposer"),
        msg.messages,
        msg.initial_deposit,
        (msg.metadata, msg.title, msg.summary),
        msg.expedited,
    )
    return tx_pb2.MsgSubmitProposalResponse(proposal_id=proposal_id)


def handle_deposit(keeper: GovKeeper, ctx: Context, msg: Any) -> None:
    """``MsgDeposit``, v1 or v1beta1."""
    if keeper.add_deposit(ctx, msg.proposal_id, parse_address(msg.depositor, "depositor"), msg.amount):
        ctx.emit(events.DepositStartsVoting(voting_period_start=str(msg.proposal_id)))


def handle_vote(keeper: GovKeeper, ctx: Context, msg: Any) -> None:
    """``MsgVote`` or ``MsgVoteWeighted``, v1 or v1beta1 (v1beta1 carries no metadata)."""
    metadata = getattr(msg, "metadata", "")
    keeper.add_vote(ctx, msg.proposal_id, parse_address(msg.voter, "voter"), msg.weighted(), metadata)


def handle_cancel_proposal(
    keeper: GovKeeper, ctx: Context, msg: MsgCancelProposal
) -> tx_pb2.MsgCancelProposalResponse:
    keeper.cancel_proposal(ctx, msg.proposal_id, parse_address(msg.proposer, "proposer"))
    seconds, nanos = divmod(ctx.env.time_ns, 10**9)
    return tx_pb2.MsgCancelProposalResponse(
        proposal_id=msg.proposal_id,
        canceled_time=Timestamp(seconds=seconds, nanos=nanos),
        canceled_height=ctx.env.height,
    )


def handle_update_params(keeper: GovKeeper, authority: Address, ctx: Context, msg: MsgUpdateParams) -> None:
    """Replace what Cosmos's params say; the block counts and the budget stay."""
    if msg.authority != format_address(authority):
        raise Unauthorized(f"expected {format_address(authority)} as authority, got {msg.authority}")
    update = msg.params
    current = keeper.get_params(ctx.store)
    keeper.params.set(
        ctx.store,
        msgspec.structs.replace(
            current,
            min_deposit=_coins_json(update.min_deposit),
            quorum=update.quorum,
            threshold=update.threshold,
            veto_threshold=update.veto_threshold,
            min_initial_deposit_ratio=update.min_initial_deposit_ratio,
            proposal_cancel_ratio=update.proposal_cancel_ratio,
            proposal_cancel_dest=update.proposal_cancel_dest,
            expedited_threshold=update.expedited_threshold,
            expedited_min_deposit=_coins_json(update.expedited_min_deposit),
            burn_vote_quorum=update.burn_vote_quorum,
            burn_proposal_deposit_prevote=update.burn_proposal_deposit_prevote,
            burn_vote_veto=update.burn_vote_veto,
            min_deposit_ratio=update.min_deposit_ratio,
        ),
    )


def _coins_json(coins: list[Any]) -> list[CoinJSON]:
    return [CoinJSON(denom=c.denom, amount=c.amount) for c in coins]
