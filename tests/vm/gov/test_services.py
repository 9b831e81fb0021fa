"""gov's gRPC services over abci_query (vm/gov/services.py), on the chain of
tests/vm/gov/query_chain.py at height 5: proposal 1 passed, 2 in its deposit period, 3 in
its voting period. Answers are Cosmos SDK v0.50's (v1, and v1beta1 converted from v1), and
so are the failures' gRPC statuses and words."""

from __future__ import annotations

from typing import Any

import pytest
from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest
from cosmpy.protos.cosmos.gov.v1 import gov_pb2 as pb
from cosmpy.protos.cosmos.gov.v1 import query_pb2 as query
from cosmpy.protos.cosmos.gov.v1beta1 import gov_pb2 as legacy_pb
from cosmpy.protos.cosmos.gov.v1beta1 import query_pb2 as legacy_query
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message

from tests.vm.gov.query_chain import KEEP_SENDING, QUERY_HEIGHT, gov_app
from tests.vm.helpers import ALICE, BLOCK_INTERVAL_NS, BOB, CAROL, DAVE, GENESIS_TIME_NS, assert_code, raw
from tests.vm.staking.helpers import POWER
from vm.app import App, QueryResult

V1 = "/cosmos.gov.v1.Query/"
V1BETA1 = "/cosmos.gov.v1beta1.Query/"
GO_ZERO_TIME = "0001-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def app() -> App:
    return gov_app()


def ask(app: App, path: str, request: Message) -> QueryResult:
    return app.query(path, request.SerializeToString())


def answer(app: App, path: str, request: Message) -> Any:
    """The answer of a Query method, read as its response type."""
    result = ask(app, path, request)
    assert_code(result, 0)
    assert result.height == QUERY_HEIGHT
    response = type(request).__name__.removesuffix("Request") + "Response"
    module = query if path.startswith(V1) else legacy_query
    return getattr(module, response).FromString(result.value)


def refused(app: App, path: str, request: Message, code: int, status: str) -> str:
    """The words of a failed query, after its gRPC status."""
    result = ask(app, path, request)
    assert_code(result, code)
    prefix = f"rpc error: code = {status} desc = "
    assert result.log.startswith(prefix), result.log
    return result.log.removeprefix(prefix)


def at(height: int) -> int:
    """The header time of a block, in seconds."""
    return (GENESIS_TIME_NS + height * BLOCK_INTERVAL_NS) // 10**9


def ids(proposals: Any) -> list[int]:
    return [p.id if hasattr(p, "id") else p.proposal_id for p in proposals]


def tally(yes: int, abstain: int, no: int, veto: int) -> pb.TallyResult:
    return pb.TallyResult(
        yes_count=str(yes), abstain_count=str(abstain), no_count=str(no), no_with_veto_count=str(veto)
    )


# -- v1: proposals ---------------------------------------------------------------------------------


def test_a_passed_proposal(app: App) -> None:
    found = answer(app, V1 + "Proposal", query.QueryProposalRequest(proposal_id=1)).proposal
    assert found.status == pb.PROPOSAL_STATUS_PASSED
    assert [(m.type_url, m.value) for m in found.messages] == [(KEEP_SENDING.type_url, KEEP_SENDING.value)]
    assert found.final_tally_result == tally(11 * POWER, 0, 5 * POWER, 0)
    assert (found.title, found.summary, found.metadata) == (
        "Keep sending",
        "Keep sending, at length",
        "ipfs://Keep sending",
    )
    assert found.proposer == ALICE.address and not found.expedited and found.failed_reason == ""
    assert [(c.denom, c.amount) for c in found.total_deposit] == [("udepin", "1000")]
    assert found.submit_time.seconds == found.voting_start_time.seconds == at(2)
    assert found.voting_end_time.seconds == at(5)  # the block that tallied it
    assert found.HasField("deposit_end_time") and found.deposit_end_time.seconds == 0


def test_a_proposal_in_its_deposit_period_has_no_voting_times(app: App) -> None:
    found = answer(app, V1 + "Proposal", query.QueryProposalRequest(proposal_id=2)).proposal
    assert found.status == pb.PROPOSAL_STATUS_DEPOSIT_PERIOD
    assert list(found.messages) == []
    assert found.final_tally_result == tally(0, 0, 0, 0)
    assert [(c.denom, c.amount) for c in found.total_deposit] == [("udepin", "500")]
    assert not found.HasField("voting_start_time") and not found.HasField("voting_end_time")


def test_a_proposal_in_its_voting_period_has_a_zero_end_time_and_no_final_tally(app: App) -> None:
    found = answer(app, V1 + "Proposal", query.QueryProposalRequest(proposal_id=3)).proposal
    assert found.status == pb.PROPOSAL_STATUS_VOTING_PERIOD
    assert len(found.messages) == 2
    assert found.voting_start_time.seconds == at(4)
    assert found.HasField("voting_end_time") and found.voting_end_time.seconds == 0  # a height: 7
    assert found.final_tally_result == tally(0, 0, 0, 0)


def proposals(app: App, **fields: Any) -> Any:
    return answer(app, V1 + "Proposals", query.QueryProposalsRequest(**fields))


def test_proposals_filtered_by_status(app: App) -> None:
    assert ids(proposals(app).proposals) == [1, 2, 3]
    assert ids(proposals(app, proposal_status=pb.PROPOSAL_STATUS_VOTING_PERIOD).proposals) == [3]
    assert ids(proposals(app, proposal_status=pb.PROPOSAL_STATUS_PASSED).proposals) == [1]
    assert ids(proposals(app, proposal_status=pb.PROPOSAL_STATUS_REJECTED).proposals) == []
    # Cosmos filters by the five statuses only: any other number is no filter
    assert ids(proposals(app, proposal_status=7).proposals) == [1, 2, 3]


def test_proposals_filtered_by_voter_and_depositor(app: App) -> None:
    # votes and deposits are kept only while a proposal is active: 1's are gone
    assert ids(proposals(app, voter=ALICE.address).proposals) == [3]
    assert ids(proposals(app, voter=BOB.address).proposals) == []
    assert ids(proposals(app, depositor=CAROL.address).proposals) == [2, 3]
    assert ids(proposals(app, depositor=BOB.address).proposals) == [2]
    assert ids(proposals(app, depositor=ALICE.address).proposals) == []
    assert ids(proposals(app, voter=CAROL.address, depositor=CAROL.address).proposals) == [3]
    status = pb.PROPOSAL_STATUS_DEPOSIT_PERIOD
    assert ids(proposals(app, depositor=CAROL.address, proposal_status=status).proposals) == [2]
    assert ids(proposals(app, voter=ALICE.address, proposal_status=pb.PROPOSAL_STATUS_PASSED).proposals) == []


def test_proposals_paged_by_key_and_offset(app: App) -> None:
    first = proposals(app, pagination=PageRequest(limit=2))
    assert ids(first.proposals) == [1, 2] and first.pagination.next_key == (3).to_bytes(8, "big")
    rest = proposals(app, pagination=PageRequest(key=first.pagination.next_key, limit=2))
    assert ids(rest.proposals) == [3] and rest.pagination.next_key == b""
    skipped = proposals(app, pagination=PageRequest(offset=1, limit=1, count_total=True))
    assert ids(skipped.proposals) == [2] and skipped.pagination.total == 3
    # a filtered page counts the proposals that match
    deposited = proposals(app, depositor=CAROL.address, pagination=PageRequest(limit=1, count_total=True))
    assert ids(deposited.proposals) == [2] and deposited.pagination.total == 2
    assert deposited.pagination.next_key == (3).to_bytes(8, "big")


# -- v1: votes, deposits, the tally ------------------------------------------------------------


def test_votes_in_voter_order_with_their_weights(app: App) -> None:
    found = answer(app, V1 + "Votes", query.QueryVotesRequest(proposal_id=3))
    assert [v.voter for v in found.votes] == [CAROL.address, ALICE.address]  # by raw address
    assert raw(CAROL) < raw(ALICE)
    split = found.votes[1]
    assert [(o.option, o.weight) for o in split.options] == [
        (pb.VOTE_OPTION_YES, "0.600000000000000000"),
        (pb.VOTE_OPTION_NO, "0.400000000000000000"),
    ]
    assert split.metadata == "split" and split.proposal_id == 3
    one = answer(app, V1 + "Vote", query.QueryVoteRequest(proposal_id=3, voter=ALICE.address)).vote
    assert one == split
    paged = answer(app, V1 + "Votes", query.QueryVotesRequest(proposal_id=3, pagination=PageRequest(limit=1)))
    assert [v.voter for v in paged.votes] == [CAROL.address] and paged.pagination.next_key == raw(ALICE)
    assert list(answer(app, V1 + "Votes", query.QueryVotesRequest(proposal_id=1)).votes) == []


def test_deposits_in_depositor_order(app: App) -> None:
    found = answer(app, V1 + "Deposits", query.QueryDepositsRequest(proposal_id=2))
    assert [(d.depositor, d.amount[0].amount) for d in found.deposits] == [
        (CAROL.address, "100"),
        (BOB.address, "400"),
    ]
    one = answer(app, V1 + "Deposit", query.QueryDepositRequest(proposal_id=2, depositor=BOB.address))
    assert one.deposit == found.deposits[1] and one.deposit.proposal_id == 2
    assert list(answer(app, V1 + "Deposits", query.QueryDepositsRequest(proposal_id=1)).deposits) == []


def test_tally_result_is_counted_now_in_the_voting_period(app: App) -> None:
    """Alice's validator (11 power) votes 0.6 yes 0.4 no with the 10 Carol did not delegate;
    Carol's own power (1) votes no; Bob's validator has not voted."""
    now = answer(app, V1 + "TallyResult", query.QueryTallyResultRequest(proposal_id=3)).tally
    assert now == tally(6 * POWER, 0, 4 * POWER + POWER, 0)
    final = answer(app, V1 + "TallyResult", query.QueryTallyResultRequest(proposal_id=1)).tally
    assert final == tally(11 * POWER, 0, 5 * POWER, 0)
    waiting = answer(app, V1 + "TallyResult", query.QueryTallyResultRequest(proposal_id=2)).tally
    assert waiting == tally(0, 0, 0, 0)


# -- v1: params and the constitution -------------------------------------------------------------


def test_params_with_the_deprecated_part_asked_for(app: App) -> None:
    plain = answer(app, V1 + "Params", query.QueryParamsRequest())
    params = plain.params
    assert [(c.denom, c.amount) for c in params.min_deposit] == [("udepin", "1000")]
    assert [(c.denom, c.amount) for c in params.expedited_min_deposit] == [("udepin", "5000")]
    assert params.voting_period == params.max_deposit_period == params.expedited_voting_period == Duration()
    assert params.HasField("voting_period")
    assert (params.quorum, params.threshold, params.veto_threshold) == (
        "0.334000000000000000",
        "0.500000000000000000",
        "0.334000000000000000",
    )
    assert params.burn_vote_veto and not params.burn_vote_quorum
    assert not plain.HasField("tally_params") and not plain.HasField("voting_params")
    tallying = answer(app, V1 + "Params", query.QueryParamsRequest(params_type="tallying"))
    assert tallying.tally_params.quorum == "0.334000000000000000" and tallying.params == params
    deposit = answer(app, V1 + "Params", query.QueryParamsRequest(params_type="deposit")).deposit_params
    assert list(deposit.min_deposit) == list(params.min_deposit) and deposit.HasField("max_deposit_period")
    voting = answer(app, V1 + "Params", query.QueryParamsRequest(params_type="voting"))
    assert voting.HasField("voting_params") and not voting.HasField("deposit_params")


def test_constitution(app: App) -> None:
    assert answer(app, V1 + "Constitution", query.QueryConstitutionRequest()).constitution == "Be excellent."


# -- v1: failures ----------------------------------------------------------------------------------


def test_unknown_proposal_is_not_found(app: App) -> None:
    for method in ("Proposal", "TallyResult"):
        request = getattr(query, f"Query{method}Request")(proposal_id=9)
        assert refused(app, V1 + method, request, 38, "NotFound") == "proposal 9 doesn't exist"


@pytest.mark.parametrize(
    "request_",
    [
        query.QueryProposalRequest(),
        query.QueryTallyResultRequest(),
        query.QueryVotesRequest(),
        query.QueryDepositsRequest(),
        query.QueryVoteRequest(voter=ALICE.address),
        query.QueryDepositRequest(depositor=ALICE.address),
    ],
    ids=lambda r: type(r).__name__,
)
def test_invalid_proposal_id_zero(app: App, request_: Message) -> None:
    method = type(request_).__name__.removeprefix("Query").removesuffix("Request")
    assert refused(app, V1 + method, request_, 18, "InvalidArgument") == "proposal id can not be 0"


def test_invalid_vote_and_deposit_requests(app: App) -> None:
    empty = refused(app, V1 + "Vote", query.QueryVoteRequest(proposal_id=3), 18, "InvalidArgument")
    assert empty == "empty voter address"
    missing = refused(
        app, V1 + "Vote", query.QueryVoteRequest(proposal_id=3, voter=BOB.address), 18, "InvalidArgument"
    )
    assert missing == f"voter: {BOB.address} not found for proposal: 3"
    empty = refused(app, V1 + "Deposit", query.QueryDepositRequest(proposal_id=2), 18, "InvalidArgument")
    assert empty == "empty depositor address"
    missing = refused(
        app, V1 + "Deposit", query.QueryDepositRequest(proposal_id=2, depositor=DAVE.address), 38, "NotFound"
    )
    assert missing == f"depositor: {DAVE.address} not found for proposal: 2"
    bad = refused(
        app, V1 + "Vote", query.QueryVoteRequest(proposal_id=3, voter="depin1nope"), 7, "InvalidArgument"
    )
    assert bad.startswith("voter: ")


def test_invalid_proposals_filters_and_pages(app: App) -> None:
    refused(app, V1 + "Proposals", query.QueryProposalsRequest(voter="cosmos1xyz"), 7, "InvalidArgument")
    refused(app, V1 + "Proposals", query.QueryProposalsRequest(depositor="nope"), 7, "InvalidArgument")
    both = PageRequest(key=(2).to_bytes(8, "big"), offset=1)
    refused(app, V1 + "Proposals", query.QueryProposalsRequest(pagination=both), 18, "InvalidArgument")
    unknown = refused(
        app, V1 + "Params", query.QueryParamsRequest(params_type="bogus"), 18, "InvalidArgument"
    )
    assert unknown == "unknown params type: bogus"


# -- v1beta1 -------------------------------------------------------------------------------------


def test_v1beta1_proposal_content_is_its_one_message(app: App) -> None:
    found = answer(app, V1BETA1 + "Proposal", legacy_query.QueryProposalRequest(proposal_id=1)).proposal
    assert (found.content.type_url, found.content.value) == (KEEP_SENDING.type_url, KEEP_SENDING.value)
    assert found.status == legacy_pb.PROPOSAL_STATUS_PASSED
    assert (found.final_tally_result.yes, found.final_tally_result.no) == (str(11 * POWER), str(5 * POWER))
    assert found.voting_end_time.seconds == at(5) and found.submit_time.seconds == at(2)


def test_v1beta1_proposal_without_messages_is_a_text_proposal(app: App) -> None:
    found = answer(app, V1BETA1 + "Proposal", legacy_query.QueryProposalRequest(proposal_id=2)).proposal
    assert found.content.type_url == "/cosmos.gov.v1beta1.TextProposal"
    text = legacy_pb.TextProposal.FromString(found.content.value)
    assert (text.title, text.description) == ("Plant trees", "Plant trees, at length")
    # v1beta1's times are not optional: Go's zero time where v1 has none
    assert found.voting_start_time.ToJsonString() == found.voting_end_time.ToJsonString() == GO_ZERO_TIME
    assert found.deposit_end_time.seconds == 0


def test_invalid_v1beta1_proposal_with_several_messages(app: App) -> None:
    words = (
        "can't convert a gov/v1 Proposal to gov/v1beta1 Proposal when amount of proposal messages "
        "not exactly one"
    )
    log = refused(app, V1BETA1 + "Proposal", legacy_query.QueryProposalRequest(proposal_id=3), 29, "Unknown")
    assert log == f"{words}: invalid type"
    # as Cosmos: a page holding such a proposal fails whole
    refused(app, V1BETA1 + "Proposals", legacy_query.QueryProposalsRequest(), 29, "Unknown")
    status = legacy_pb.PROPOSAL_STATUS_DEPOSIT_PERIOD
    page = answer(app, V1BETA1 + "Proposals", legacy_query.QueryProposalsRequest(proposal_status=status))
    assert ids(page.proposals) == [2]
    first = answer(
        app, V1BETA1 + "Proposals", legacy_query.QueryProposalsRequest(pagination=PageRequest(limit=2))
    )
    assert ids(first.proposals) == [1, 2] and first.pagination.next_key == (3).to_bytes(8, "big")


def test_v1beta1_votes_weights_are_atomics(app: App) -> None:
    found = answer(app, V1BETA1 + "Votes", legacy_query.QueryVotesRequest(proposal_id=3))
    split = found.votes[1]
    assert split.voter == ALICE.address and split.option == legacy_pb.VOTE_OPTION_UNSPECIFIED
    assert [(o.option, o.weight) for o in split.options] == [
        (legacy_pb.VOTE_OPTION_YES, "600000000000000000"),
        (legacy_pb.VOTE_OPTION_NO, "400000000000000000"),
    ]
    one = answer(app, V1BETA1 + "Vote", legacy_query.QueryVoteRequest(proposal_id=3, voter=ALICE.address))
    assert one.vote == split


def test_v1beta1_deposits_and_tally(app: App) -> None:
    found = answer(app, V1BETA1 + "Deposits", legacy_query.QueryDepositsRequest(proposal_id=2))
    assert [d.depositor for d in found.deposits] == [CAROL.address, BOB.address]
    one = answer(
        app, V1BETA1 + "Deposit", legacy_query.QueryDepositRequest(proposal_id=2, depositor=CAROL.address)
    )
    assert one.deposit == found.deposits[0]
    now = answer(app, V1BETA1 + "TallyResult", legacy_query.QueryTallyResultRequest(proposal_id=3)).tally
    assert (now.yes, now.abstain, now.no, now.no_with_veto) == (str(6 * POWER), "0", str(5 * POWER), "0")


def test_v1beta1_params_by_type(app: App) -> None:
    def params(kind: str) -> Any:
        return answer(app, V1BETA1 + "Params", legacy_query.QueryParamsRequest(params_type=kind))

    tallying = params("tallying")
    assert (tallying.tally_params.quorum, tallying.tally_params.veto_threshold) == (
        b"334000000000000000",
        b"334000000000000000",
    )
    assert tallying.tally_params.threshold == b"500000000000000000"
    assert not tallying.HasField("deposit_params")
    deposit = params("deposit")
    assert [(c.denom, c.amount) for c in deposit.deposit_params.min_deposit] == [("udepin", "1000")]
    assert deposit.deposit_params.max_deposit_period == Duration() and not deposit.HasField("tally_params")
    assert params("voting").voting_params.voting_period == Duration()


def test_invalid_v1beta1_params_type(app: App) -> None:
    refused(app, V1BETA1 + "Params", legacy_query.QueryParamsRequest(), 18, "InvalidArgument")
    bogus = refused(
        app, V1BETA1 + "Params", legacy_query.QueryParamsRequest(params_type="x"), 18, "InvalidArgument"
    )
    assert bogus == "unknown params type: x"


def test_invalid_v1beta1_requests_fail_as_v1(app: App) -> None:
    missing = refused(
        app, V1BETA1 + "Proposal", legacy_query.QueryProposalRequest(proposal_id=9), 38, "NotFound"
    )
    assert missing == "proposal 9 doesn't exist"
    zero = refused(app, V1BETA1 + "Votes", legacy_query.QueryVotesRequest(), 18, "InvalidArgument")
    assert zero == "proposal id can not be 0"
