"""gov's ``cosmos.gov.v1.Query`` and ``cosmos.gov.v1beta1.Query`` services, served over
``abci_query`` with Cosmos SDK v0.50's protobuf answers and error messages
(x/gov/keeper/grpc_query.go); the pages and the tally come from vm/gov/queries.py.

Times: depind counts periods in blocks, so it knows a proposal's submission time, the
time its voting started and, once it ended, the time of the block that tallied it, but
neither when its deposit period ends nor, before the tally, when its voting ends. Those
two are the zero timestamp (1970-01-01T00:00:00Z), as staking answers times it keeps
heights for; the heights are in the JSON answers (``/gov/proposal``). A time Cosmos leaves
unset (voting start and end during the deposit period) is unset. Likewise the params'
``max_deposit_period``, ``voting_period`` and ``expedited_voting_period`` are zero
durations: the periods are ``max_deposit_blocks``, ``voting_blocks`` and
``expedited_voting_blocks`` (``/params`` with ``module: "gov"``). Until it is tallied, a
proposal's ``final_tally_result`` is zeros, as Cosmos sets it at submission.

The v1beta1 service is Cosmos's legacy one: each method asks v1 and converts the answer
(x/gov/migrations/v3/convert.go). A proposal's ``content`` is its one message, as Cosmos
fills it for clients that read only v1beta1; a proposal with several cannot be converted
(``invalid type``, for a single proposal and for any page holding one, as Cosmos). A
proposal without messages, which Cosmos refuses to convert too, is a ``TextProposal`` of its
title and summary here, so that v1beta1 clients can read text proposals. v1beta1's times
are not optional: where v1 has none, Go's zero time (0001-01-01T00:00:00Z) is written, as
Cosmos writes it. Weights and the tally params are ``LegacyDec`` atomics there, as
gogoproto carries them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from cosmpy.protos.cosmos.gov.v1 import gov_pb2 as pb
from cosmpy.protos.cosmos.gov.v1 import query_pb2 as query
from cosmpy.protos.cosmos.gov.v1beta1 import gov_pb2 as legacy_pb
from cosmpy.protos.cosmos.gov.v1beta1 import query_pb2 as legacy_query
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from genesis.gov import GovParams
from vm import dec
from vm.codec import coin_pb, pack
from vm.errors import make_error
from vm.gov.keeper import GovKeeper
from vm.gov.queries import (
    InvalidArgumentStatus,
    NotFoundStatus,
    current_tally,
    deposits_page,
    found_proposal,
    optional_address,
    proposals_page,
    required_address,
    required_id,
    status_filter,
    timestamp,
    votes_page,
)
from vm.gov.types import EMPTY_TALLY, Proposal, ProposalStatus, Tally, Vote
from vm.module import Service
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address

QUERY = "/cosmos.gov.v1.Query/"
LEGACY_QUERY = "/cosmos.gov.v1beta1.Query/"
GO_ZERO_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z, Go's zero time.Time

InvalidType = make_error("InvalidType", 29, "invalid type")  # the sdk's ErrInvalidType


# -- v1 values -----------------------------------------------------------------------------------


def proposal_pb(proposal: Proposal) -> pb.Proposal:
    answer = pb.Proposal(
        id=proposal.id,
        messages=[AnyPb(type_url=m.type_url, value=m.value) for m in proposal.messages],
        status=int(proposal.status),
        final_tally_result=tally_pb(proposal.final_tally or EMPTY_TALLY),
        submit_time=timestamp(proposal.submit_time_ns),
        deposit_end_time=Timestamp(),  # depind's is a height: deposit_end_height
        total_deposit=[coin_pb(c) for c in proposal.total_deposit],
        metadata=proposal.metadata,
        title=proposal.title,
        summary=proposal.summary,
        proposer=format_address(Address(proposal.proposer)),
        expedited=proposal.expedited,
        failed_reason=proposal.failed_reason,
    )
    if proposal.status != ProposalStatus.DEPOSIT_PERIOD:
        answer.voting_start_time.CopyFrom(timestamp(proposal.voting_start_time_ns))
        # while voting, its end is a height (voting_end_height); then the tallying block's time
        ended = Timestamp() if proposal.is_active() else timestamp(proposal.voting_end_time_ns)
        answer.voting_end_time.CopyFrom(ended)
    return answer


def tally_pb(tally: Tally) -> pb.TallyResult:
    return pb.TallyResult(
        yes_count=str(tally.yes),
        abstain_count=str(tally.abstain),
        no_count=str(tally.no),
        no_with_veto_count=str(tally.no_with_veto),
    )


def vote_pb(proposal_id: int, voter: Address, vote: Vote) -> pb.Vote:
    options = [pb.WeightedVoteOption(option=o.option, weight=dec.format(o.weight)) for o in vote.options]
    return pb.Vote(
        proposal_id=proposal_id, voter=format_address(voter), options=options, metadata=vote.metadata
    )


def deposit_pb(proposal_id: int, depositor: Address, amount: list[Coin]) -> pb.Deposit:
    return pb.Deposit(
        proposal_id=proposal_id, depositor=format_address(depositor), amount=[coin_pb(c) for c in amount]
    )


def params_pb(params: GovParams) -> pb.Params:
    return pb.Params(
        min_deposit=[coin_pb(c) for c in params.min_deposit],
        max_deposit_period=Duration(),  # depind's: max_deposit_blocks
        voting_period=Duration(),  # voting_blocks
        quorum=params.quorum,
        threshold=params.threshold,
        veto_threshold=params.veto_threshold,
        min_initial_deposit_ratio=params.min_initial_deposit_ratio,
        proposal_cancel_ratio=params.proposal_cancel_ratio,
        proposal_cancel_dest=params.proposal_cancel_dest,
        expedited_voting_period=Duration(),  # expedited_voting_blocks
        expedited_threshold=params.expedited_threshold,
        expedited_min_deposit=[coin_pb(c) for c in params.expedited_min_deposit],
        burn_vote_quorum=params.burn_vote_quorum,
        burn_proposal_deposit_prevote=params.burn_proposal_deposit_prevote,
        burn_vote_veto=params.burn_vote_veto,
        min_deposit_ratio=params.min_deposit_ratio,
    )


# -- v1 ------------------------------------------------------------------------------------------


def proposal(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryProposalResponse:
    return query.QueryProposalResponse(
        proposal=proposal_pb(found_proposal(keeper, store, request.proposal_id))
    )


def proposals(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryProposalsResponse:
    found, page = proposals_page(
        keeper,
        store,
        status_filter(request.proposal_status),
        optional_address(request.voter, "voter"),
        optional_address(request.depositor, "depositor"),
        request.pagination,
    )
    return query.QueryProposalsResponse(proposals=[proposal_pb(p) for p in found], pagination=page)


def vote(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryVoteResponse:
    proposal_id = required_id(request.proposal_id)
    voter = required_address(request.voter, "voter")
    found = keeper.get_vote(store, proposal_id, voter)
    if found is None:
        raise InvalidArgumentStatus(f"voter: {request.voter} not found for proposal: {proposal_id}")
    return query.QueryVoteResponse(vote=vote_pb(proposal_id, voter, found))


def votes(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryVotesResponse:
    proposal_id = required_id(request.proposal_id)
    found, page = votes_page(keeper, store, proposal_id, request.pagination)
    return query.QueryVotesResponse(votes=[vote_pb(proposal_id, *entry) for entry in found], pagination=page)


def params(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryParamsResponse:
    """``params``, and the deprecated part that ``params_type`` names ("deposit", "voting" or
    "tallying"; none for "")."""
    current = keeper.get_params(store)
    answer = query.QueryParamsResponse(params=params_pb(current))
    kind = request.params_type
    if kind == "deposit":
        min_deposit = [coin_pb(c) for c in current.min_deposit]
        answer.deposit_params.CopyFrom(
            pb.DepositParams(min_deposit=min_deposit, max_deposit_period=Duration())
        )
    elif kind == "voting":
        answer.voting_params.CopyFrom(pb.VotingParams(voting_period=Duration()))
    elif kind == "tallying":
        tally = pb.TallyParams(
            quorum=current.quorum, threshold=current.threshold, veto_threshold=current.veto_threshold
        )
        answer.tally_params.CopyFrom(tally)
    elif kind:
        raise InvalidArgumentStatus(f"unknown params type: {kind[:64]}")
    return answer


def deposit(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryDepositResponse:
    proposal_id = required_id(request.proposal_id)
    depositor = required_address(request.depositor, "depositor")
    amount = keeper.get_deposit(store, proposal_id, depositor)
    if not amount:
        raise NotFoundStatus(f"depositor: {request.depositor} not found for proposal: {proposal_id}")
    return query.QueryDepositResponse(deposit=deposit_pb(proposal_id, depositor, amount))


def deposits(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryDepositsResponse:
    proposal_id = required_id(request.proposal_id)
    found, page = deposits_page(keeper, store, proposal_id, request.pagination)
    return query.QueryDepositsResponse(
        deposits=[deposit_pb(proposal_id, *entry) for entry in found], pagination=page
    )


def tally_result(keeper: GovKeeper, store: ReadStore, request: Any) -> query.QueryTallyResultResponse:
    found = found_proposal(keeper, store, request.proposal_id)
    return query.QueryTallyResultResponse(tally=tally_pb(current_tally(keeper, store, found)))


def constitution(keeper: GovKeeper, store: ReadStore, _: Any) -> query.QueryConstitutionResponse:
    return query.QueryConstitutionResponse(constitution=keeper.constitution(store))


# -- v1beta1: v1's answers converted -----------------------------------------------------------


def legacy_proposal_pb(proposal: pb.Proposal) -> legacy_pb.Proposal:
    return legacy_pb.Proposal(
        proposal_id=proposal.id,
        content=legacy_content(proposal),
        status=proposal.status,
        final_tally_result=legacy_tally_pb(proposal.final_tally_result),
        submit_time=_legacy_time(proposal, "submit_time"),
        deposit_end_time=_legacy_time(proposal, "deposit_end_time"),
        total_deposit=proposal.total_deposit,
        voting_start_time=_legacy_time(proposal, "voting_start_time"),
        voting_end_time=_legacy_time(proposal, "voting_end_time"),
    )


def legacy_content(proposal: pb.Proposal) -> AnyPb:
    """The one message, or a text proposal for none (see the module docstring)."""
    if not proposal.messages:
        return pack(legacy_pb.TextProposal(title=proposal.title, description=proposal.summary))
    if len(proposal.messages) > 1:
        raise InvalidType(
            "can't convert a gov/v1 Proposal to gov/v1beta1 Proposal when amount of proposal messages "
            "not exactly one"
        )
    only: AnyPb = proposal.messages[0]
    return only


def _legacy_time(proposal: pb.Proposal, name: str) -> Timestamp:
    if proposal.HasField(name):
        found: Timestamp = getattr(proposal, name)
        return found
    return Timestamp(seconds=GO_ZERO_SECONDS)


def legacy_tally_pb(tally: pb.TallyResult) -> legacy_pb.TallyResult:
    return legacy_pb.TallyResult(
        yes=tally.yes_count,
        abstain=tally.abstain_count,
        no=tally.no_count,
        no_with_veto=tally.no_with_veto_count,
    )


def legacy_vote_pb(vote: pb.Vote) -> legacy_pb.Vote:
    options = [
        legacy_pb.WeightedVoteOption(option=o.option, weight=str(dec.parse(o.weight))) for o in vote.options
    ]
    return legacy_pb.Vote(proposal_id=vote.proposal_id, voter=vote.voter, options=options)


def legacy_deposit_pb(deposit: pb.Deposit) -> legacy_pb.Deposit:
    return legacy_pb.Deposit(
        proposal_id=deposit.proposal_id, depositor=deposit.depositor, amount=deposit.amount
    )


def legacy_proposal(keeper: GovKeeper, store: ReadStore, request: Any) -> legacy_query.QueryProposalResponse:
    found = proposal(keeper, store, request).proposal
    return legacy_query.QueryProposalResponse(proposal=legacy_proposal_pb(found))


def legacy_proposals(
    keeper: GovKeeper, store: ReadStore, request: Any
) -> legacy_query.QueryProposalsResponse:
    answer = proposals(keeper, store, request)  # v1beta1's request has v1's fields
    return legacy_query.QueryProposalsResponse(
        proposals=[legacy_proposal_pb(p) for p in answer.proposals], pagination=answer.pagination
    )


def legacy_vote(keeper: GovKeeper, store: ReadStore, request: Any) -> legacy_query.QueryVoteResponse:
    return legacy_query.QueryVoteResponse(vote=legacy_vote_pb(vote(keeper, store, request).vote))


def legacy_votes(keeper: GovKeeper, store: ReadStore, request: Any) -> legacy_query.QueryVotesResponse:
    answer = votes(keeper, store, request)
    return legacy_query.QueryVotesResponse(
        votes=[legacy_vote_pb(v) for v in answer.votes], pagination=answer.pagination
    )


def legacy_params(keeper: GovKeeper, store: ReadStore, request: Any) -> legacy_query.QueryParamsResponse:
    """The part ``params_type`` names, which v1beta1 requires."""
    answer = params(keeper, store, request)
    if answer.HasField("deposit_params"):
        found = answer.deposit_params
        deposit_params = legacy_pb.DepositParams(min_deposit=found.min_deposit, max_deposit_period=Duration())
        return legacy_query.QueryParamsResponse(deposit_params=deposit_params)
    if answer.HasField("voting_params"):
        return legacy_query.QueryParamsResponse(
            voting_params=legacy_pb.VotingParams(voting_period=Duration())
        )
    if answer.HasField("tally_params"):
        found_tally = answer.tally_params
        tally_params = legacy_pb.TallyParams(
            quorum=_atomics(found_tally.quorum),
            threshold=_atomics(found_tally.threshold),
            veto_threshold=_atomics(found_tally.veto_threshold),
        )
        return legacy_query.QueryParamsResponse(tally_params=tally_params)
    raise InvalidArgumentStatus(f"{request.params_type!r} is not a valid parameter type")


def _atomics(text: str) -> bytes:
    """A LegacyDec in a gogoproto bytes field: the ASCII of its atomics."""
    return str(dec.parse(text)).encode()


def legacy_deposit(keeper: GovKeeper, store: ReadStore, request: Any) -> legacy_query.QueryDepositResponse:
    return legacy_query.QueryDepositResponse(
        deposit=legacy_deposit_pb(deposit(keeper, store, request).deposit)
    )


def legacy_deposits(keeper: GovKeeper, store: ReadStore, request: Any) -> legacy_query.QueryDepositsResponse:
    answer = deposits(keeper, store, request)
    return legacy_query.QueryDepositsResponse(
        deposits=[legacy_deposit_pb(d) for d in answer.deposits], pagination=answer.pagination
    )


def legacy_tally_result(
    keeper: GovKeeper, store: ReadStore, request: Any
) -> legacy_query.QueryTallyResultResponse:
    return legacy_query.QueryTallyResultResponse(
        tally=legacy_tally_pb(tally_result(keeper, store, request).tally)
    )


def services(keeper: GovKeeper) -> dict[str, Service]:
    methods = {
        QUERY + "Proposal": (query.QueryProposalRequest, proposal),
        QUERY + "Proposals": (query.QueryProposalsRequest, proposals),
        QUERY + "Vote": (query.QueryVoteRequest, vote),
        QUERY + "Votes": (query.QueryVotesRequest, votes),
        QUERY + "Params": (query.QueryParamsRequest, params),
        QUERY + "Deposit": (query.QueryDepositRequest, deposit),
        QUERY + "Deposits": (query.QueryDepositsRequest, deposits),
        QUERY + "TallyResult": (query.QueryTallyResultRequest, tally_result),
        QUERY + "Constitution": (query.QueryConstitutionRequest, constitution),
        LEGACY_QUERY + "Proposal": (legacy_query.QueryProposalRequest, legacy_proposal),
        LEGACY_QUERY + "Proposals": (legacy_query.QueryProposalsRequest, legacy_proposals),
        LEGACY_QUERY + "Vote": (legacy_query.QueryVoteRequest, legacy_vote),
        LEGACY_QUERY + "Votes": (legacy_query.QueryVotesRequest, legacy_votes),
        LEGACY_QUERY + "Params": (legacy_query.QueryParamsRequest, legacy_params),
        LEGACY_QUERY + "Deposit": (legacy_query.QueryDepositRequest, legacy_deposit),
        LEGACY_QUERY + "Deposits": (legacy_query.QueryDepositsRequest, legacy_deposits),
        LEGACY_QUERY + "TallyResult": (legacy_query.QueryTallyResultRequest, legacy_tally_result),
    }
    return {path: Service(request, partial(answer, keeper)) for path, (request, answer) in methods.items()}
