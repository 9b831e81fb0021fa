"""The gov keeper: proposals, deposits and votes, as Cosmos SDK v0.50's x/gov keeper.

A proposal carries messages that only the gov account may sign; they run when it passes
(vm/gov/blocks.py). Deposits sit in the gov module account until the proposal ends: then
they are refunded, or burned when the params say so (a veto, a missed quorum, a deposit
period that ended short of the minimum).
"""

from __future__ import annotations

import json

from google.protobuf.any_pb2 import Any as AnyPb
from msgspec.structs import replace

from genesis.gov import GovParams
from vm import dec
from vm.context import Context
from vm.errors import InvalidTx, Unauthorized, UnknownRequest
from vm.gov import events
from vm.gov.errors import (
    InactiveProposal,
    InvalidDepositDenom,
    InvalidProposal,
    InvalidProposalMsg,
    InvalidProposer,
    InvalidSigner,
    MetadataTooLong,
    MinDepositTooSmall,
    SummaryTooLong,
    TitleTooLong,
    UnroutableProposalMsg,
    VotingPeriodEnded,
)
from vm.gov.expected import BankKeeper, DistributionKeeper, StakingKeeper
from vm.gov.params import min_deposit, tally_params, voting_blocks
from vm.gov.store import MODULE_ACCOUNT, GovStore
from vm.gov.tally import Delegation, Outcome, ValidatorPower, WeightedOption, tally
from vm.gov.types import Proposal, ProposalMessage, ProposalStatus, StoredOption, Vote
from vm.module import MessageRouter, ModuleParams
from vm.msg import Msg
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin, format_address, format_coins, parse_address

MAX_METADATA_LEN = 255  # Cosmos's default config.MaxMetadataLen, for proposals and votes
MAX_TITLE_LEN = 255
MAX_SUMMARY_LEN = 10_200
COMMUNITY_POOL_MODULE = "distribution"  # its account holds the community pool


class GovKeeper(GovStore):
    def __init__(
        self,
        prefix: bytes,
        params: ModuleParams[GovParams],
        bank: BankKeeper,
        staking: StakingKeeper,
        distribution: DistributionKeeper,
        router: MessageRouter,
        authority: Address,
    ) -> None:
        super().__init__(prefix, params, bank, staking)
        self.distribution = distribution
        self.router = router
        self.authority = authority

    # -- submission --------------------------------------------------------------------------

    def decode_messages(self, messages: list[ProposalMessage]) -> list[Msg]:
        """A proposal's messages, each a registered message that passes its stateless checks
        and is signed by the gov account alone."""
        decoded = []
        gov = format_address(self.authority)
        for index, message in enumerate(messages):
            try:
                msg = self.router.decode(AnyPb(type_url=message.type_url, value=message.value))
            except UnknownRequest:
                raise UnroutableProposalMsg(f"message {index}: {message.type_url[:128]}") from None
            except InvalidTx as error:
                raise InvalidProposalMsg(f"message {index}: {error.log}") from None
            try:
                msg.validate()
            except InvalidTx as error:
                raise InvalidProposalMsg(f"message {index}: {error.log}") from None
            if msg.signer() != gov:
                raise InvalidSigner(f"message {index} is signed by {msg.signer()}, not {gov}")
            decoded.append(msg)
        return decoded

    def submit_proposal(
        self,
        ctx: Context,
        proposer: Address,
        messages: list[ProposalMessage],
        initial_deposit: list[Coin],
        text: tuple[str, str, str],
        expedited: bool,
    ) -> int:
        """Store a new proposal in its deposit period and take its initial deposit; returns
        its id. ``text`` is (metadata, title, summary)."""
        metadata, title, summary = text
        _check_length(metadata, MAX_METADATA_LEN, MetadataTooLong)
        _check_length(title, MAX_TITLE_LEN, TitleTooLong)
        _check_length(summary, MAX_SUMMARY_LEN, SummaryTooLong)
        self.decode_messages(messages)
        params = self.get_params(ctx.store)
        _check_initial_deposit(params, initial_deposit, expedited)
        proposal_id = self.next_proposal_id(ctx.store)
        self.set_next_proposal_id(ctx.store, proposal_id + 1)
        env = ctx.env
        proposal = Proposal(
            id=proposal_id,
            messages=messages,
            status=ProposalStatus.DEPOSIT_PERIOD,
            final_tally=None,
            submit_height=env.height,
            submit_time_ns=env.time_ns,
            deposit_end_height=env.height + params.max_deposit_blocks,
            total_deposit=[],
            voting_start_height=0,
            voting_start_time_ns=0,
            voting_end_height=0,
            voting_end_time_ns=0,
            metadata=metadata,
            title=title,
            summary=summary,
            proposer=proposer,
            expedited=expedited,
            failed_reason="",
        )
        self.set_proposal(ctx.store, None, proposal)
        self.deposit_queue.push_new(ctx.store, proposal.deposit_end_height, _id(proposal_id))
        urls = "".join(f",{m.type_url}" for m in messages)
        ctx.emit(
            events.SubmitProposal(
                proposal_id=str(proposal_id),
                proposal_proposer=format_address(proposer),
                proposal_messages=urls + "," if urls else "",
            )
        )
        if initial_deposit and self.add_deposit(ctx, proposal_id, proposer, initial_deposit):
            ctx.emit(events.VotingPeriodStart(voting_period_start=str(proposal_id)))
        return proposal_id

    # -- deposits ------------------------------------------------------------------------------

    def add_deposit(self, ctx: Context, proposal_id: int, depositor: Address, amount: list[Coin]) -> bool:
        """Take ``amount`` from ``depositor`` into the proposal's deposits; returns whether
        this deposit started its voting period (the message's handler says so in an event,
        as Cosmos's msg server does)."""
        proposal = self.proposal(ctx.store, proposal_id)
        if not proposal.is_active():
            raise InactiveProposal(f"{proposal_id}")
        params = self.get_params(ctx.store)
        _check_deposit(params, amount, proposal.expedited)
        self.bank.send_to_module(ctx.store, depositor, MODULE_ACCOUNT, amount)
        total = add_coins(proposal.total_deposit, amount)
        updated = replace(proposal, total_deposit=total)
        started = proposal.status == ProposalStatus.DEPOSIT_PERIOD and covers(
            total, min_deposit(params, proposal.expedited)
        )
        if started:
            updated = self._start_voting(ctx, proposal, updated, params)
        self.set_proposal(ctx.store, proposal, updated)
        held = self.get_deposit(ctx.store, proposal_id, depositor)
        self.set_deposit(ctx.store, proposal_id, depositor, add_coins(held, amount))
        ctx.emit(
            events.ProposalDeposit(
                amount=format_coins(amount), proposal_id=str(proposal_id), depositor=format_address(depositor)
            )
        )
        return started

    def _start_voting(self, ctx: Context, old: Proposal, proposal: Proposal, params: GovParams) -> Proposal:
        self.deposit_queue.remove(ctx.store, old.deposit_end_height, _id(old.id))
        end = ctx.env.height + voting_blocks(params, proposal.expedited)
        self.voting_queue.push_new(ctx.store, end, _id(proposal.id))
        return replace(
            proposal,
            status=ProposalStatus.VOTING_PERIOD,
            voting_start_height=ctx.env.height,
            voting_start_time_ns=ctx.env.time_ns,
            voting_end_height=end,
        )

    def refund_deposits(self, store: Store, proposal_id: int) -> None:
        for depositor, coins in list(self.deposits(store, proposal_id)):
            self.bank.send_from_module(store, MODULE_ACCOUNT, depositor, coins)
            self.delete_deposit(store, proposal_id, depositor)

    def burn_deposits(self, store: Store, proposal_id: int) -> None:
        total: list[Coin] = []
        for depositor, coins in list(self.deposits(store, proposal_id)):
            total = add_coins(total, coins)
            self.delete_deposit(store, proposal_id, depositor)
        if total:
            self.bank.burn(store, MODULE_ACCOUNT, total)

    def charge_deposits(self, ctx: Context, proposal_id: int, params: GovParams) -> None:
        """Cancellation's charge (Cosmos's ``ChargeDeposit``): ``proposal_cancel_ratio`` of
        each deposit, truncated, goes to ``proposal_cancel_dest`` (burned if none); the rest
        is refunded."""
        store = ctx.store
        charged: list[Coin] = []
        for depositor, coins in list(self.deposits(store, proposal_id)):
            cut = scaled(coins, params.proposal_cancel_ratio)
            rest = subtract_coins(coins, cut)
            if rest:
                self.bank.send_from_module(store, MODULE_ACCOUNT, depositor, rest)
            charged = add_coins(charged, cut)
            self.delete_deposit(store, proposal_id, depositor)
        if not charged:
            return
        if params.proposal_cancel_dest:
            self._pay_charge(ctx, parse_address(params.proposal_cancel_dest, "proposal_cancel_dest"), charged)
        else:
            self.bank.burn(store, MODULE_ACCOUNT, charged)

    def _pay_charge(self, ctx: Context, destination: Address, charged: list[Coin]) -> None:
        """As Cosmos: the distribution account's address means the community pool (a record
        its coins must match); no other module account may receive coins."""
        if destination == self.bank.module_address(COMMUNITY_POOL_MODULE):
            self.distribution.fund_community_pool(ctx, self.bank.module_address(MODULE_ACCOUNT), charged)
        elif self.bank.is_blocked(destination):
            raise Unauthorized(f"{format_address(destination)} is not allowed to receive funds")
        else:
            self.bank.send_from_module(ctx.store, MODULE_ACCOUNT, destination, charged)

    # -- votes ---------------------------------------------------------------------------------

    def add_vote(
        self, ctx: Context, proposal_id: int, voter: Address, options: list[WeightedOption], metadata: str
    ) -> None:
        """Record (or replace) ``voter``'s vote; only a proposal in its voting period takes one,
        up to the period's last block (its tally may take more blocks: vm/gov/counting.py)."""
        proposal = self.proposal(ctx.store, proposal_id)
        if proposal.status != ProposalStatus.VOTING_PERIOD:
            raise InactiveProposal(f"{proposal_id}")
        if ctx.env.height > proposal.voting_end_height:
            raise VotingPeriodEnded(
                f"voting on proposal {proposal_id} ended at height {proposal.voting_end_height}"
            )
        _check_length(metadata, MAX_METADATA_LEN, MetadataTooLong)
        stored = [StoredOption(o.option, o.weight) for o in options]
        self.set_vote(ctx.store, proposal_id, voter, Vote(stored, metadata))
        ctx.emit(
            events.ProposalVote(
                voter=format_address(voter), option=options_json(options), proposal_id=str(proposal_id)
            )
        )

    def delete_votes(self, store: Store, proposal_id: int) -> None:
        for voter, _ in list(self.votes(store, proposal_id)):
            self.delete_vote(store, proposal_id, voter)

    # -- cancellation --------------------------------------------------------------------------

    def cancel_proposal(self, ctx: Context, proposal_id: int, proposer: Address) -> None:
        """The proposer withdraws its proposal before its voting period ends (Cosmos's
        ``CancelProposal``): deposits are charged, the proposal and its votes deleted."""
        proposal = self.proposal(ctx.store, proposal_id)
        if proposal.proposer != proposer:
            raise InvalidProposer(f"invalid proposer {format_address(proposer)}")
        if not proposal.is_active():
            raise InvalidProposal(f"proposal {proposal_id} should be in the deposit or voting period")
        if proposal.status == ProposalStatus.VOTING_PERIOD and ctx.env.height >= proposal.voting_end_height:
            raise VotingPeriodEnded(
                f"voting period of proposal {proposal_id} ended at {proposal.voting_end_height}"
            )
        self.charge_deposits(ctx, proposal_id, self.get_params(ctx.store))
        self.drop_from_queues(ctx.store, proposal)
        self.delete_votes(ctx.store, proposal_id)
        self.delete_proposal(ctx.store, proposal)
        ctx.emit(events.CancelProposal(sender=format_address(proposer), proposal_id=str(proposal_id)))

    def drop_from_queues(self, store: Store, proposal: Proposal) -> None:
        if proposal.status == ProposalStatus.DEPOSIT_PERIOD:
            self.deposit_queue.remove(store, proposal.deposit_end_height, _id(proposal.id))
        else:
            self.voting_queue.remove(store, proposal.voting_end_height, _id(proposal.id))

    # -- the tally -----------------------------------------------------------------------------

    def tally(self, store: ReadStore, proposal: Proposal) -> Outcome:
        """The proposal's votes counted with the bonded stake now (vm/gov/tally.py)."""
        validators = [
            ValidatorPower(v.operator, v.operator, v.tokens, v.delegator_shares)
            for v, _ in self.staking.bonded_validators(store)
            if v.is_bonded()
        ]
        votes = {bytes(voter): vote.weighted() for voter, vote in self.votes(store, proposal.id)}

        def delegations_of(voter: bytes) -> list[Delegation]:
            return [
                Delegation(d.delegator, d.validator, d.shares)
                for d in self.staking.delegations_of(store, voter)
            ]

        params = tally_params(self.get_params(store), proposal.expedited)
        return tally(validators, votes, delegations_of, params)

    def module_balance(self, store: ReadStore) -> list[Coin]:
        return self.bank.get_all_balances(store, self.bank.module_address(MODULE_ACCOUNT))


# -- coins ---------------------------------------------------------------------------------------


def add_coins(a: list[Coin], b: list[Coin]) -> list[Coin]:
    totals: dict[str, int] = {}
    for coin in (*a, *b):
        totals[coin.denom] = totals.get(coin.denom, 0) + coin.amount
    return [Coin(denom, amount) for denom, amount in sorted(totals.items()) if amount > 0]


def subtract_coins(a: list[Coin], b: list[Coin]) -> list[Coin]:
    """``a - b``, for ``b`` no greater than ``a`` in any denom."""
    taken = {coin.denom: coin.amount for coin in b}
    return [Coin(c.denom, c.amount - taken.get(c.denom, 0)) for c in a if c.amount > taken.get(c.denom, 0)]


def covers(held: list[Coin], wanted: list[Coin]) -> bool:
    """Cosmos's ``IsAllGTE``: ``held`` has at least each coin of ``wanted``."""
    amounts = {coin.denom: coin.amount for coin in held}
    return all(amounts.get(coin.denom, 0) >= coin.amount for coin in wanted)


def scaled(coins: list[Coin], ratio: str) -> list[Coin]:
    """Each coin times a Cosmos decimal, truncated (zero coins left out)."""
    fraction = dec.parse(ratio)
    result = [Coin(c.denom, dec.truncate_int(dec.mul_int(fraction, c.amount))) for c in coins]
    return [c for c in result if c.amount > 0]


def options_json(options: list[WeightedOption]) -> str:
    """The weighted options as Cosmos's ``proposal_vote`` event writes them."""
    return json.dumps(
        [{"option": int(o.option), "weight": dec.format(o.weight)} for o in options], separators=(",", ":")
    )


def _check_initial_deposit(params: GovParams, deposit: list[Coin], expedited: bool) -> None:
    """At least ``min_initial_deposit_ratio`` of the minimum deposit, in its denoms, rounded
    half to even as Cosmos's ``validateInitialDeposit`` rounds it."""
    ratio = dec.parse(params.min_initial_deposit_ratio)
    minimum = min_deposit(params, expedited)
    needed = [Coin(c.denom, dec.round_int(dec.mul_int(ratio, c.amount))) for c in minimum]
    if not covers(deposit, needed):
        raise MinDepositTooSmall(f"was ({format_coins(deposit)}), need ({format_coins(needed)})")
    if deposit:
        _check_deposit(params, deposit, expedited)


def _check_deposit(params: GovParams, amount: list[Coin], expedited: bool) -> None:
    """Only the minimum deposit's denoms, and at least ``min_deposit_ratio`` of it in one."""
    minimum = min_deposit(params, expedited)
    accepted = {coin.denom for coin in minimum}
    for coin in amount:
        if coin.denom not in accepted:
            raise InvalidDepositDenom(
                f"deposited {format_coins(amount)}, but gov accepts only the following denom(s): "
                f"{', '.join(sorted(accepted))}"
            )
    ratio = dec.parse(params.min_deposit_ratio)
    if ratio == 0:
        return
    # As Cosmos's AddDeposit: one denom of the deposit reaches its (truncated) threshold,
    # which may be zero for a small minimum.
    held = {coin.denom: coin.amount for coin in amount}
    least = [Coin(c.denom, dec.truncate_int(dec.mul_int(ratio, c.amount))) for c in minimum]
    if not any(coin.denom in held and held[coin.denom] >= coin.amount for coin in least):
        raise MinDepositTooSmall(
            f"received {format_coins(amount)} but need at least one of the following: {format_coins(least)}"
        )


def _check_length(text: str, limit: int, error: type[InvalidTx]) -> None:
    size = len(text.encode())
    if size > limit:
        raise error(f"got {size} bytes, max {limit}")


def _id(proposal_id: int) -> bytes:
    return proposal_id.to_bytes(8, "big")
