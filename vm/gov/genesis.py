"""gov genesis: validate, init, export (export then init round-trips).

The section holds the records (proposals, deposits, votes), the next id and the
constitution; the status index and the queues are derived at init from the proposals. The
deposits must be in the gov account's genesis balance (the ``deposits`` invariant, checked
once genesis is written)."""

from __future__ import annotations

from genesis.gov import (
    DepositJSON,
    GovGenesis,
    ProposalJSON,
    ProposalMessageJSON,
    TallyJSON,
    VoteJSON,
    WeightedOptionJSON,
)
from genesis.schema import CoinJSON
from vm import dec
from vm.context import Context
from vm.errors import InvalidTx
from vm.gov.errors import InvalidGenesis
from vm.gov.keeper import GovKeeper, add_coins
from vm.gov.msgs import checked_options
from vm.gov.params import coins, validate_params
from vm.gov.store import id_bytes
from vm.gov.tally import VoteOption
from vm.gov.types import Proposal, ProposalMessage, ProposalStatus, StoredOption, Tally, Vote
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address, parse_address, validate_coins

_STATUSES = {status.cosmos_name: status for status in ProposalStatus}
_OPTIONS = {f"VOTE_OPTION_{option.name}": option for option in VoteOption}


def validate_genesis(section: GovGenesis) -> None:
    try:
        validate_params(section.params)
        proposals = {p.id: _proposal(p) for p in section.proposals}
        if len(proposals) != len(section.proposals):
            raise InvalidGenesis("two proposals share an id")
        if proposals and max(proposals) >= section.starting_proposal_id:
            raise InvalidGenesis("starting_proposal_id must be greater than every proposal's id")
        _check_deposits(section, proposals)
        _check_votes(section, proposals)
    except InvalidTx as error:
        raise InvalidGenesis(f"gov: {error.log}") from None


def _check_deposits(section: GovGenesis, proposals: dict[int, Proposal]) -> None:
    """Deposits only on proposals still taking them, summing to each one's total."""
    totals: dict[int, list[Coin]] = {}
    seen: set[tuple[int, Address]] = set()
    for deposit in section.deposits:
        proposal = proposals.get(deposit.proposal_id)
        if proposal is None or not proposal.is_active():
            raise InvalidGenesis(f"a deposit on proposal {deposit.proposal_id}, which is not active")
        key = (deposit.proposal_id, parse_address(deposit.depositor, "depositor"))
        if key in seen:  # one record per depositor, as the store keeps them (Cosmos refuses too)
            raise InvalidGenesis(f"duplicate deposit by {deposit.depositor} on proposal {key[0]}")
        seen.add(key)
        validate_coins(coins(deposit.amount), "deposit")
        totals[deposit.proposal_id] = add_coins(totals.get(deposit.proposal_id, []), coins(deposit.amount))
    for proposal in proposals.values():
        if proposal.is_active() and totals.get(proposal.id, []) != proposal.total_deposit:
            raise InvalidGenesis(f"proposal {proposal.id}'s total deposit differs from its deposits")


def _check_votes(section: GovGenesis, proposals: dict[int, Proposal]) -> None:
    """Votes, one per voter, only on proposals in their voting period."""
    seen: set[tuple[int, Address]] = set()
    for vote in section.votes:
        proposal = proposals.get(vote.proposal_id)
        if proposal is None or proposal.status != ProposalStatus.VOTING_PERIOD:
            raise InvalidGenesis(f"a vote on proposal {vote.proposal_id}, which is not in its voting period")
        key = (vote.proposal_id, parse_address(vote.voter, "voter"))
        if key in seen:
            raise InvalidGenesis(f"duplicate vote by {vote.voter} on proposal {key[0]}")
        seen.add(key)
        _vote(vote)


def init_genesis(keeper: GovKeeper, ctx: Context, section: GovGenesis) -> None:
    store = ctx.store
    keeper.params.set(store, section.params)
    keeper.set_next_proposal_id(store, section.starting_proposal_id)
    keeper.set_constitution(store, section.constitution)
    for item in section.proposals:
        proposal = _proposal(item)
        keeper.set_proposal(store, None, proposal)
        if proposal.status == ProposalStatus.DEPOSIT_PERIOD:
            keeper.deposit_queue.push(store, proposal.deposit_end_height, id_bytes(proposal.id))
        elif proposal.status == ProposalStatus.VOTING_PERIOD:
            keeper.voting_queue.push(store, proposal.voting_end_height, id_bytes(proposal.id))
    for deposit in section.deposits:
        depositor = parse_address(deposit.depositor, "depositor")
        held = keeper.get_deposit(store, deposit.proposal_id, depositor)
        keeper.set_deposit(store, deposit.proposal_id, depositor, add_coins(held, coins(deposit.amount)))
    for vote in section.votes:
        keeper.set_vote(store, vote.proposal_id, parse_address(vote.voter, "voter"), _vote(vote))


def export_genesis(keeper: GovKeeper, store: ReadStore) -> GovGenesis:
    """The records as they are. A tally counted over several blocks is not exported: its
    proposal is still in its voting period, queued at its end, so the chain that starts from
    this genesis counts it again from the first vote; an ended proposal's votes still being
    deleted are left out."""
    proposals = [p for _, p in keeper.proposals_from(store, b"")]
    voting = {p.id for p in proposals if p.status == ProposalStatus.VOTING_PERIOD}
    return GovGenesis(
        starting_proposal_id=keeper.next_proposal_id(store),
        params=keeper.get_params(store),
        proposals=[proposal_json(p) for p in proposals],
        deposits=[
            DepositJSON(proposal_id=i, depositor=format_address(a), amount=_coins_json(c))
            for i, a, c in keeper.all_deposits(store)
        ],
        votes=[
            VoteJSON(proposal_id=i, voter=format_address(a), options=_options_json(v), metadata=v.metadata)
            for i, a, v in keeper.all_votes(store)
            if i in voting
        ],
        constitution=keeper.constitution(store),
    )


# -- conversions -----------------------------------------------------------------------------


def proposal_json(proposal: Proposal) -> ProposalJSON:
    tally = proposal.final_tally
    return ProposalJSON(
        id=proposal.id,
        messages=[ProposalMessageJSON(type_url=m.type_url, value=m.value) for m in proposal.messages],
        status=proposal.status.cosmos_name,
        final_tally_result=None
        if tally is None
        else TallyJSON(yes=tally.yes, abstain=tally.abstain, no=tally.no, no_with_veto=tally.no_with_veto),
        submit_height=proposal.submit_height,
        submit_time_ns=proposal.submit_time_ns,
        deposit_end_height=proposal.deposit_end_height,
        total_deposit=_coins_json(proposal.total_deposit),
        voting_start_height=proposal.voting_start_height,
        voting_start_time_ns=proposal.voting_start_time_ns,
        voting_end_height=proposal.voting_end_height,
        voting_end_time_ns=proposal.voting_end_time_ns,
        metadata=proposal.metadata,
        title=proposal.title,
        summary=proposal.summary,
        proposer=format_address(Address(proposal.proposer)),
        expedited=proposal.expedited,
        failed_reason=proposal.failed_reason,
    )


def _proposal(item: ProposalJSON) -> Proposal:
    status = _STATUSES.get(item.status)
    if status is None:
        raise InvalidGenesis(f"proposal {item.id}: unknown status {item.status[:64]!r}")
    tally = item.final_tally_result
    return Proposal(
        id=item.id,
        messages=[ProposalMessage(m.type_url, m.value) for m in item.messages],
        status=status,
        final_tally=None if tally is None else Tally(tally.yes, tally.abstain, tally.no, tally.no_with_veto),
        submit_height=item.submit_height,
        submit_time_ns=item.submit_time_ns,
        deposit_end_height=item.deposit_end_height,
        total_deposit=coins(item.total_deposit),
        voting_start_height=item.voting_start_height,
        voting_start_time_ns=item.voting_start_time_ns,
        voting_end_height=item.voting_end_height,
        voting_end_time_ns=item.voting_end_time_ns,
        metadata=item.metadata,
        title=item.title,
        summary=item.summary,
        proposer=parse_address(item.proposer, "proposer"),
        expedited=item.expedited,
        failed_reason=item.failed_reason,
    )


def _vote(item: VoteJSON) -> Vote:
    pairs = []
    for option in item.options:
        number = _OPTIONS.get(option.option)
        if number is None:
            raise InvalidGenesis(f"unknown vote option {option.option[:64]!r}")
        try:
            pairs.append((int(number), dec.parse(option.weight)))
        except dec.DecError as error:
            raise InvalidGenesis(f"vote weight: {error}") from None
    weighted = checked_options(pairs)
    return Vote([StoredOption(o.option, o.weight) for o in weighted], item.metadata)


def _options_json(vote: Vote) -> list[WeightedOptionJSON]:
    return [
        WeightedOptionJSON(option=f"VOTE_OPTION_{VoteOption(o.option).name}", weight=dec.format(o.weight))
        for o in vote.options
    ]


def _coins_json(items: list[Coin]) -> list[CoinJSON]:
    return [CoinJSON(denom=c.denom, amount=c.amount) for c in items]
