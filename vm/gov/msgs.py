"""gov messages: Cosmos's ``cosmos.gov.v1`` types field for field, and the three
``cosmos.gov.v1beta1`` ones wallets still send (deposit, vote, weighted vote).

``validate`` holds Cosmos's ``ValidateBasic``. What needs the chain's message set (that a
proposal's messages decode, are valid and are signed by the gov account) is checked when
the proposal is submitted (vm/gov/keeper.py). v1 weights are decimal text ("0.5"); v1beta1
weights are ``LegacyDec`` atomics, which vm/codec.py reads as integers.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from cosmpy.protos.cosmos.gov.v1 import tx_pb2
from cosmpy.protos.cosmos.gov.v1beta1 import tx_pb2 as v1beta1_tx_pb2

from vm import dec
from vm.codec import type_url
from vm.encoding import Canonical
from vm.errors import InvalidCoins, InvalidRequest
from vm.gov.errors import InvalidProposalContent, InvalidProposalMsg, InvalidVote
from vm.gov.tally import InvalidVoteOptions, VoteOption, WeightedOption, validate_weighted_options
from vm.gov.types import ProposalMessage
from vm.msg import Msg
from vm.types import Coin, parse_address, validate_coins

Uint64 = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
OptionNumber = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]  # a protobuf enum's number
DecAtomics = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]  # a weight is at most 10**18


class Duration(Canonical, frozen=True):
    """``google.protobuf.Duration``: here only ever checked to be zero."""

    seconds: Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    nanos: Annotated[int, msgspec.Meta(ge=-999_999_999, le=999_999_999)]


class MsgSubmitProposal(Msg, tag=type_url(tx_pb2.MsgSubmitProposal), frozen=True):
    messages: list[ProposalMessage]
    initial_deposit: list[Coin]
    proposer: str
    metadata: str
    title: str
    summary: str
    expedited: bool

    def signer(self) -> str:
        return self.proposer

    def validate(self) -> None:
        parse_address(self.proposer, "proposer")
        validate_deposit(self.initial_deposit, "initial deposit", allow_empty=True)
        if not self.title:
            raise InvalidProposalContent("proposal title cannot be empty")
        if not self.summary:
            raise InvalidProposalContent("proposal summary cannot be empty")
        for index, message in enumerate(self.messages):
            if not message.type_url:
                raise InvalidProposalMsg(f"message {index} has no type URL")


class MsgDeposit(Msg, tag=type_url(tx_pb2.MsgDeposit), frozen=True):
    proposal_id: Uint64
    depositor: str
    amount: list[Coin]

    def signer(self) -> str:
        return self.depositor

    def validate(self) -> None:
        parse_address(self.depositor, "depositor")
        validate_deposit(self.amount, "deposit")


class MsgVoteV1Beta1(Msg, tag=type_url(v1beta1_tx_pb2.MsgVote), frozen=True):
    """A vote with one option, as v1beta1 sends it; v1's ``MsgVote`` adds metadata."""

    proposal_id: Uint64
    voter: str
    option: OptionNumber

    def signer(self) -> str:
        return self.voter

    def validate(self) -> None:
        parse_address(self.voter, "voter")
        if self.option not in VOTE_OPTIONS:
            raise InvalidVote(f"{self.option}")

    def weighted(self) -> list[WeightedOption]:
        return [WeightedOption(VoteOption(self.option), dec.ONE)]


class MsgVote(MsgVoteV1Beta1, tag=type_url(tx_pb2.MsgVote), frozen=True):
    metadata: str


class WeightedVoteOption(Canonical, frozen=True):
    option: OptionNumber
    weight: str


class MsgVoteWeighted(Msg, tag=type_url(tx_pb2.MsgVoteWeighted), frozen=True):
    proposal_id: Uint64
    voter: str
    options: list[WeightedVoteOption]
    metadata: str

    def signer(self) -> str:
        return self.voter

    def validate(self) -> None:
        parse_address(self.voter, "voter")
        self.weighted()

    def weighted(self) -> list[WeightedOption]:
        return checked_options([(o.option, _parse_weight(o.weight)) for o in self.options])


class MsgCancelProposal(Msg, tag=type_url(tx_pb2.MsgCancelProposal), frozen=True):
    proposal_id: Uint64
    proposer: str

    def signer(self) -> str:
        return self.proposer

    def validate(self) -> None:
        parse_address(self.proposer, "proposer")


class ParamsUpdate(Canonical, frozen=True):
    """``cosmos.gov.v1.Params``. depind counts the periods in blocks (``max_deposit_blocks``,
    ``voting_blocks``, ``expedited_voting_blocks``), which a duration cannot say, so the
    three durations must be absent or zero and those counts change only at genesis or in an
    upgrade's migration."""

    min_deposit: list[Coin]
    max_deposit_period: Duration | None
    voting_period: Duration | None
    quorum: str
    threshold: str
    veto_threshold: str
    min_initial_deposit_ratio: str
    proposal_cancel_ratio: str
    proposal_cancel_dest: str
    expedited_voting_period: Duration | None
    expedited_threshold: str
    expedited_min_deposit: list[Coin]
    burn_vote_quorum: bool
    burn_proposal_deposit_prevote: bool
    burn_vote_veto: bool
    min_deposit_ratio: str


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    authority: str
    params: ParamsUpdate

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        periods = (
            self.params.max_deposit_period,
            self.params.voting_period,
            self.params.expedited_voting_period,
        )
        if any(period not in (None, Duration(0, 0)) for period in periods):
            raise InvalidRequest(
                "durations must be zero: depind's periods are max_deposit_blocks, voting_blocks "
                "and expedited_voting_blocks"
            )


# -- v1beta1: the same deposit and weighted vote, as older wallets send them ----------------


class MsgDepositV1Beta1(MsgDeposit, tag=type_url(v1beta1_tx_pb2.MsgDeposit), frozen=True):
    """v1's ``MsgDeposit`` field for field."""


class WeightedVoteOptionV1Beta1(Canonical, frozen=True):
    option: OptionNumber
    weight: DecAtomics


class MsgVoteWeightedV1Beta1(Msg, tag=type_url(v1beta1_tx_pb2.MsgVoteWeighted), frozen=True):
    proposal_id: Uint64
    voter: str
    options: list[WeightedVoteOptionV1Beta1]

    def signer(self) -> str:
        return self.voter

    def validate(self) -> None:
        parse_address(self.voter, "voter")
        self.weighted()

    def weighted(self) -> list[WeightedOption]:
        return checked_options([(o.option, o.weight) for o in self.options])


# -- shared checks ---------------------------------------------------------------------------

VOTE_OPTIONS = frozenset(VoteOption)


def checked_options(pairs: list[tuple[int, int]]) -> list[WeightedOption]:
    """Weighted options as ``MsgVoteWeighted.ValidateBasic`` accepts them."""
    for option, _ in pairs:
        if option not in VOTE_OPTIONS:
            raise InvalidVote(f"{option}")
    weighted = [WeightedOption(VoteOption(option), weight) for option, weight in pairs]
    try:
        validate_weighted_options(weighted)
    except InvalidVoteOptions as error:
        raise InvalidVote(str(error)) from None
    return weighted


def _parse_weight(text: str) -> int:
    try:
        return dec.parse(text)
    except dec.DecError as error:
        raise InvalidVote(f"weight {text[:40]!r}: {error}") from None


def validate_deposit(coins: list[Coin], what: str, allow_empty: bool = False) -> None:
    """Valid coins (sorted, no duplicates, positive); only an initial deposit may be empty."""
    if not coins:
        if allow_empty:
            return
        raise InvalidCoins(f"{what} must not be empty")
    validate_coins(coins, what)
