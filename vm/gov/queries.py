"""gov's reads: the pages and tallies that the gRPC services (vm/gov/services.py) answer,
and the JSON paths ``/gov/<name>`` that JSON-RPC's ``gov_*`` methods serve.

Proposals are listed in id order. A status filter reads the status index, so it costs the
proposals in that status alone. Votes and deposits are kept only while their proposal is
active (vm/gov/keeper.py refunds or burns the deposits and deletes the votes when it ends),
so a voter or depositor filter looks only at the proposals in their deposit or voting
period, one point lookup each: what Cosmos's filter, which reads every proposal, finds too.

A proposal's tally is Cosmos's ``TallyResult`` query's: zeros in the deposit period, the
votes counted with the bonded stake now while it is in its voting period, the final tally
once it ended.

The JSON answers are Cosmos's v1 shapes written as proto3 JSON writes them (ids and amounts
as strings, times RFC 3339, statuses and vote options by their Cosmos names, bech32
addresses, weights as decimals), with the heights depind counts periods in beside the times
it knows: ``submit_height``, ``deposit_end_height``, ``voting_start_height`` and
``voting_end_height`` (0 until known). A time not known yet is null. Messages are the
``Any``s the proposal carries, ``{type_url, value}`` with the value in base64 (JSON-RPC
writes them decoded). Lists take ``limit`` (at most 100) and ``next_key``, the opaque hex a
previous page gave (``""`` on the last page).
"""

from __future__ import annotations

import base64
import heapq
from collections.abc import Iterator
from typing import Any, TypeVar

from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest, PageResponse
from google.protobuf.timestamp_pb2 import Timestamp

from vm import dec
from vm.errors import InvalidRequest, InvalidTx, NotFound
from vm.gov.keeper import GovKeeper
from vm.gov.store import ADDRESS_SIZE, ID_SIZE
from vm.gov.tally import VoteOption
from vm.gov.types import EMPTY_TALLY, Proposal, ProposalStatus, Tally, Vote
from vm.pagination import paginate
from vm.query_args import limit_arg, text_arg
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address, parse_address

T = TypeVar("T")
Page = tuple[list[T], PageResponse]

ACTIVE = (ProposalStatus.DEPOSIT_PERIOD, ProposalStatus.VOTING_PERIOD)
STATUS_NAMES = {status.cosmos_name: status for status in ProposalStatus}
_STATUS_NUMBERS = {int(status): status for status in ProposalStatus}


class StatusError(InvalidTx):
    """A query failure as Cosmos's ``status.Errorf`` words it: the log is the message
    alone, and the sdk code names the gRPC status ("rpc error: code = NotFound desc =
    proposal 7 doesn't exist" once vm/app.py adds the prefix)."""

    @property
    def log(self) -> str:
        return self.detail


class NotFoundStatus(StatusError):
    code = NotFound.code
    title = NotFound.title


class InvalidArgumentStatus(StatusError):
    code = InvalidRequest.code
    title = InvalidRequest.title


# -- request fields ------------------------------------------------------------------------------


def required_id(proposal_id: int) -> int:
    if proposal_id == 0:
        raise InvalidArgumentStatus("proposal id can not be 0")
    return proposal_id


def required_address(text: str, role: str) -> Address:
    if not text:
        raise InvalidArgumentStatus(f"empty {role} address")
    return parse_address(text, role)


def optional_address(text: str, role: str) -> Address | None:
    return parse_address(text, role) if text else None


def status_filter(number: int) -> ProposalStatus | None:
    """A ``proposal_status`` filter: a status, or None for any. Cosmos filters by the five
    statuses alone and reads any other number (0 among them) as no filter."""
    return _STATUS_NUMBERS.get(number)


def found_proposal(keeper: GovKeeper, store: ReadStore, proposal_id: int) -> Proposal:
    found = keeper.get_proposal(store, required_id(proposal_id))
    if found is None:
        raise NotFoundStatus(f"proposal {proposal_id} doesn't exist")
    return found


# -- pages ---------------------------------------------------------------------------------------


def proposals_page(
    keeper: GovKeeper,
    store: ReadStore,
    status: ProposalStatus | None,
    voter: Address | None,
    depositor: Address | None,
    page: PageRequest,
) -> Page[Proposal]:
    """The proposals in ``status`` (any, for None) on which ``voter`` voted and
    ``depositor`` deposited (where given), paged by id as Cosmos's filtered pagination
    pages: limit, offset and total count the matching proposals."""
    statuses = _statuses_to_read(status, voter is not None or depositor is not None)

    def has_records(proposal: Proposal) -> bool:
        return (voter is None or keeper.get_vote(store, proposal.id, voter) is not None) and (
            depositor is None or bool(keeper.get_deposit(store, proposal.id, depositor))
        )

    def entries(start: bytes) -> Iterator[tuple[bytes, Proposal]]:
        for key, proposal in _proposals_in(keeper, store, statuses, start):
            if has_records(proposal):
                yield key, proposal

    return paginate(entries, page)


def _statuses_to_read(status: ProposalStatus | None, by_records: bool) -> tuple[ProposalStatus, ...] | None:
    """The status index entries a page reads (None: every proposal). Only active proposals
    hold votes and deposits."""
    if not by_records:
        return None if status is None else (status,)
    if status is None:
        return ACTIVE
    return (status,) if status in ACTIVE else ()


def _proposals_in(
    keeper: GovKeeper, store: ReadStore, statuses: tuple[ProposalStatus, ...] | None, start: bytes
) -> Iterator[tuple[bytes, Proposal]]:
    """Proposals from the id ``start`` on, in id order, each with its id key."""
    if statuses is None:
        return keeper.proposals_from(store, start)
    listed = [keeper.proposals_with_status(store, status, start) for status in statuses]
    return heapq.merge(*listed, key=lambda entry: entry[0])


def votes_page(
    keeper: GovKeeper, store: ReadStore, proposal_id: int, page: PageRequest
) -> Page[tuple[Address, Vote]]:
    def entries(start: bytes) -> Iterator[tuple[bytes, tuple[Address, Vote]]]:
        for voter, vote in keeper.votes(store, proposal_id, start):
            yield voter, (voter, vote)

    return paginate(entries, page)


def deposits_page(
    keeper: GovKeeper, store: ReadStore, proposal_id: int, page: PageRequest
) -> Page[tuple[Address, list[Coin]]]:
    def entries(start: bytes) -> Iterator[tuple[bytes, tuple[Address, list[Coin]]]]:
        for depositor, amount in keeper.deposits(store, proposal_id, start):
            yield depositor, (depositor, amount)

    return paginate(entries, page)


def current_tally(keeper: GovKeeper, store: ReadStore, proposal: Proposal) -> Tally:
    if proposal.status == ProposalStatus.DEPOSIT_PERIOD:
        return EMPTY_TALLY
    if proposal.status == ProposalStatus.VOTING_PERIOD:
        return Tally.of(keeper.tally(store, proposal).result)
    return proposal.final_tally or EMPTY_TALLY


# -- JSON paths ------------------------------------------------------------------------------------


def query_proposal(keeper: GovKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    return {"proposal": proposal_view(found_proposal(keeper, store, id_arg(request)))}


def query_proposals(keeper: GovKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Proposals in id order, filtered by ``status`` (a ``PROPOSAL_STATUS_*`` name), ``voter``
    and ``depositor``."""
    status = _status_arg(request)
    voter = optional_address(text_arg(request, "voter", ""), "voter")
    depositor = optional_address(text_arg(request, "depositor", ""), "depositor")
    page = _page_arg(request, ID_SIZE)
    found, answer = proposals_page(keeper, store, status, voter, depositor, page)
    return {"proposals": [proposal_view(p) for p in found], "next_key": answer.next_key.hex()}


def query_votes(keeper: GovKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    proposal_id = id_arg(request)
    found, page = votes_page(keeper, store, proposal_id, _page_arg(request, ADDRESS_SIZE))
    return {"votes": [vote_view(proposal_id, *entry) for entry in found], "next_key": page.next_key.hex()}


def query_vote(keeper: GovKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    proposal_id = id_arg(request)
    voter = parse_address(text_arg(request, "voter"), "voter")
    found = keeper.get_vote(store, proposal_id, voter)
    if found is None:
        raise NotFoundStatus(f"voter {format_address(voter)} has no vote on proposal {proposal_id}")
    return {"vote": vote_view(proposal_id, voter, found)}


def query_deposits(keeper: GovKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    proposal_id = id_arg(request)
    found, page = deposits_page(keeper, store, proposal_id, _page_arg(request, ADDRESS_SIZE))
    views = [deposit_view(proposal_id, *entry) for entry in found]
    return {"deposits": views, "next_key": page.next_key.hex()}


def query_deposit(keeper: GovKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    proposal_id = id_arg(request)
    depositor = parse_address(text_arg(request, "depositor"), "depositor")
    amount = keeper.get_deposit(store, proposal_id, depositor)
    if not amount:
        raise NotFoundStatus(
            f"depositor {format_address(depositor)} has no deposit on proposal {proposal_id}"
        )
    return {"deposit": deposit_view(proposal_id, depositor, amount)}


def query_tally(keeper: GovKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """The tally now (see the module docstring)."""
    found = found_proposal(keeper, store, id_arg(request))
    return {"tally": tally_view(current_tally(keeper, store, found))}


def id_arg(request: dict[str, Any]) -> int:
    value = request.get("proposal_id")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 2**63:
        raise InvalidRequest("query needs a positive integer 'proposal_id'")
    return value


def _status_arg(request: dict[str, Any]) -> ProposalStatus | None:
    name = text_arg(request, "status", "")
    if not name:
        return None
    if name not in STATUS_NAMES:
        raise InvalidRequest(f"status must be one of {', '.join(STATUS_NAMES)}")
    return STATUS_NAMES[name]


def _page_arg(request: dict[str, Any], key_size: int) -> PageRequest:
    """``limit`` and ``next_key``: empty, or the key (an id or an address) a page gave."""
    text = text_arg(request, "next_key", "")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b"\x00"  # refused below with the same words
    if len(key) not in (0, key_size):
        raise InvalidRequest("next_key must be the hex a previous page gave")
    return PageRequest(key=key, limit=limit_arg(request))


# -- JSON views ----------------------------------------------------------------------------------


def proposal_view(proposal: Proposal) -> dict[str, Any]:
    voting = proposal.status != ProposalStatus.DEPOSIT_PERIOD
    return {
        "id": str(proposal.id),
        "messages": [
            {"type_url": m.type_url, "value": base64.b64encode(m.value).decode()} for m in proposal.messages
        ],
        "status": proposal.status.cosmos_name,
        "final_tally_result": tally_view(proposal.final_tally or EMPTY_TALLY),
        "submit_height": str(proposal.submit_height),
        "submit_time": rfc3339(proposal.submit_time_ns),
        "deposit_end_height": str(proposal.deposit_end_height),
        "total_deposit": coins_view(proposal.total_deposit),
        "voting_start_height": str(proposal.voting_start_height),
        "voting_start_time": rfc3339(proposal.voting_start_time_ns) if voting else None,
        "voting_end_height": str(proposal.voting_end_height),
        "voting_end_time": None if proposal.is_active() else rfc3339(proposal.voting_end_time_ns),
        "metadata": proposal.metadata,
        "title": proposal.title,
        "summary": proposal.summary,
        "proposer": format_address(Address(proposal.proposer)),
        "expedited": proposal.expedited,
        "failed_reason": proposal.failed_reason,
    }


def tally_view(tally: Tally) -> dict[str, str]:
    return {
        "yes_count": str(tally.yes),
        "abstain_count": str(tally.abstain),
        "no_count": str(tally.no),
        "no_with_veto_count": str(tally.no_with_veto),
    }


def vote_view(proposal_id: int, voter: Address, vote: Vote) -> dict[str, Any]:
    options = [
        {"option": f"VOTE_OPTION_{VoteOption(o.option).name}", "weight": dec.format(o.weight)}
        for o in vote.options
    ]
    return {
        "proposal_id": str(proposal_id),
        "voter": format_address(voter),
        "options": options,
        "metadata": vote.metadata,
    }


def deposit_view(proposal_id: int, depositor: Address, amount: list[Coin]) -> dict[str, Any]:
    return {
        "proposal_id": str(proposal_id),
        "depositor": format_address(depositor),
        "amount": coins_view(amount),
    }


def coins_view(coins: list[Coin]) -> list[dict[str, str]]:
    return [{"denom": c.denom, "amount": str(c.amount)} for c in coins]


def rfc3339(time_ns: int) -> str:
    return timestamp(time_ns).ToJsonString()


def timestamp(time_ns: int) -> Timestamp:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return Timestamp(seconds=seconds, nanos=nanos)
