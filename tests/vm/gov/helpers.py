"""gov test helpers: message builders and ``GovChain``, the staking tests' ``Chain``
(messages routed without signatures or fees, one ``end_block`` per height) with three
validators of equal stake (Alice, Bob and Carol, 10,000,000 each; Dave is a funded
delegator) and short gov params, so that every period is a few blocks and every tally can
be followed by hand:

    min_deposit 1,000 (expedited 5,000)   deposit period 5 blocks
    voting period 4 blocks (expedited 2)  quorum 0.334, threshold 0.5, veto 0.334

A proposal's messages are built from message structs (``proposal_message``); the ones a
proposal may carry are signed by the gov account, ``GOV``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from genesis.gov import GovGenesis, GovParams
from genesis.schema import BankParams, CoinJSON, GenesisDoc
from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DENOM, coins, events_of, raw, with_app_state
from tests.vm.staking.helpers import Chain, create_validator, staking_genesis
from vm.bank.msgs import MsgSend
from vm.bank.msgs import MsgUpdateParams as BankUpdateParams
from vm.codec import codec_for, pack
from vm.gov.keeper import GovKeeper
from vm.gov.msgs import MsgDeposit, MsgSubmitProposal, MsgVote, MsgVoteWeighted, WeightedVoteOption
from vm.gov.store import MODULE_ACCOUNT
from vm.gov.tally import VoteOption
from vm.gov.types import Proposal, ProposalMessage, ProposalStatus, Vote
from vm.modules import AUTHORITY
from vm.msg import Msg
from vm.types import Coin, format_address, module_address

GOV = format_address(AUTHORITY)
STAKE = 10_000_000  # each validator's self-delegation
MIN_DEPOSIT = 1_000
EXPEDITED_MIN_DEPOSIT = 5_000
DEPOSIT_BLOCKS = 5
VOTING_BLOCKS = 4
EXPEDITED_VOTING_BLOCKS = 2
VALIDATORS = (ALICE, BOB, CAROL)

YES, ABSTAIN, NO, VETO = VoteOption.YES, VoteOption.ABSTAIN, VoteOption.NO, VoteOption.NO_WITH_VETO


def coins_json(amount: int, denom: str = DENOM) -> list[CoinJSON]:
    return [CoinJSON(denom=denom, amount=amount)]


PARAMS = GovParams(
    min_deposit=coins_json(MIN_DEPOSIT),
    expedited_min_deposit=coins_json(EXPEDITED_MIN_DEPOSIT),
    max_deposit_blocks=DEPOSIT_BLOCKS,
    voting_blocks=VOTING_BLOCKS,
    expedited_voting_blocks=EXPEDITED_VOTING_BLOCKS,
)


def params(**changes: Any) -> GovParams:
    """The test params with ``changes``."""
    return msgspec.structs.replace(PARAMS, **changes)


def gov_genesis(section: GovGenesis | None = None) -> GenesisDoc:
    """The staking tests' genesis (four funded operators) with this gov section."""
    return with_app_state(staking_genesis(), gov=section or GovGenesis(params=PARAMS))


# -- messages ----------------------------------------------------------------------------------


def proposal_message(msg: Msg) -> ProposalMessage:
    """``msg`` packed as a proposal carries it."""
    packed = pack(codec_for(type(msg)).write(msg))
    return ProposalMessage(packed.type_url, packed.value)


def disable_sends(authority: str = GOV) -> BankUpdateParams:
    """A change whose effect is easy to see: bank sends are turned off."""
    return BankUpdateParams(authority, BankParams(default_send_enabled=False))


def gov_send(amount: int) -> MsgSend:
    """A send from the gov account, which holds only deposits: once they are refunded, it
    fails for want of funds."""
    return MsgSend(GOV, ALICE.address, coins(amount))


def submit(
    messages: Sequence[Msg | ProposalMessage] = (),
    deposit: int = MIN_DEPOSIT,
    proposer: PrivateKey = ALICE,
    expedited: bool = False,
    metadata: str = "",
    title: str = "A title",
    summary: str = "A summary",
    deposit_coins: list[Coin] | None = None,
) -> MsgSubmitProposal:
    packed = [m if isinstance(m, ProposalMessage) else proposal_message(m) for m in messages]
    initial = deposit_coins if deposit_coins is not None else (coins(deposit) if deposit else [])
    return MsgSubmitProposal(packed, initial, proposer.address, metadata, title, summary, expedited)


def deposit(proposal_id: int, depositor: PrivateKey, amount: int, denom: str = DENOM) -> MsgDeposit:
    return MsgDeposit(proposal_id, depositor.address, coins(amount, denom))


def vote(proposal_id: int, voter: PrivateKey, option: int, metadata: str = "") -> MsgVote:
    return MsgVote(proposal_id, voter.address, option, metadata)


def weighted(proposal_id: int, voter: PrivateKey, *options: tuple[int, str]) -> MsgVoteWeighted:
    return MsgVoteWeighted(proposal_id, voter.address, [WeightedVoteOption(o, w) for o, w in options], "")


# -- the chain -------------------------------------------------------------------------------


class GovChain(Chain):
    """Three bonded validators of equal stake from the first block on (none are created on
    a genesis that has them: ``validators=()``)."""

    def __init__(
        self,
        doc: GenesisDoc | None = None,
        gov_params: GovParams = PARAMS,
        validators: Sequence[PrivateKey] = VALIDATORS,
    ) -> None:
        super().__init__(doc if doc is not None else gov_genesis(GovGenesis(params=gov_params)))
        for operator in validators:
            self.run(create_validator(operator, STAKE))
        if validators:
            self.end_block()

    @property
    def gov(self) -> GovKeeper:
        keeper: GovKeeper = self.registry.keeper("gov")
        return keeper

    def submit(self, msg: MsgSubmitProposal) -> int:
        """Submit ``msg``; returns the new proposal's id."""
        proposal_id: int = self.answer(msg).proposal_id  # type: ignore[attr-defined]
        return proposal_id

    def voting(self, *messages: Msg | ProposalMessage, expedited: bool = False) -> int:
        """A proposal of ``messages`` whose initial deposit starts its voting period now."""
        amount = EXPEDITED_MIN_DEPOSIT if expedited else MIN_DEPOSIT
        return self.submit(submit(messages, deposit=amount, expedited=expedited))

    def proposal(self, proposal_id: int) -> Proposal | None:
        return self.gov.get_proposal(self.store, proposal_id)

    def status(self, proposal_id: int) -> ProposalStatus | None:
        found = self.proposal(proposal_id)
        return None if found is None else found.status

    def vote_of(self, proposal_id: int, voter: PrivateKey) -> Vote | None:
        return self.gov.get_vote(self.store, proposal_id, raw(voter))

    def deposit_of(self, proposal_id: int, depositor: PrivateKey) -> list[Coin]:
        return self.gov.get_deposit(self.store, proposal_id, raw(depositor))

    def gov_balance(self) -> int:
        return self.balance(module_address(MODULE_ACCOUNT))

    def until(self, height: int) -> None:
        """End blocks until ``height`` is the current one (its txs not yet run)."""
        assert height >= self.height, f"height {height} has passed (now {self.height})"
        self.blocks(height - self.height)

    def end_voting(self, proposal_id: int) -> None:
        """End blocks up to and including the one that ends the proposal's voting period."""
        found = self.proposal(proposal_id)
        assert found is not None and found.status == ProposalStatus.VOTING_PERIOD
        self.until(found.voting_end_height)
        self.end_block()

    def results(self, proposal_id: int) -> list[str]:
        """The ``proposal_result`` of each ``active_proposal`` event about the proposal."""
        return [
            e["proposal_result"]
            for e in events_of(self.events, "active_proposal")
            if e["proposal_id"] == str(proposal_id)
        ]

    def sends_enabled(self) -> bool:
        enabled: bool = self.registry.params(self.store, "bank")["bank"]["default_send_enabled"]
        return enabled


def everyone_votes(chain: GovChain, proposal_id: int, alice: int, bob: int, carol: int) -> None:
    for voter, option in ((ALICE, alice), (BOB, bob), (CAROL, carol)):
        chain.run(vote(proposal_id, voter, option))
