"""gov messages: their stateless checks (Cosmos's ``ValidateBasic`` and the msg server's
first checks) and their protobuf form: each message as a Cosmos client encodes it
(cosmos.gov.v1 and v1beta1) decodes through the registry to the expected struct, and the
struct encodes back to the same bytes."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from cosmpy.protos.cosmos.bank.v1beta1 import bank_pb2
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin as CoinPb
from cosmpy.protos.cosmos.gov.v1 import gov_pb2, tx_pb2
from cosmpy.protos.cosmos.gov.v1beta1 import gov_pb2 as v1beta1_gov_pb2
from cosmpy.protos.cosmos.gov.v1beta1 import tx_pb2 as v1beta1_tx_pb2
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.duration_pb2 import Duration as DurationPb
from google.protobuf.message import Message

from tests.vm.gov.helpers import ABSTAIN, GOV, NO, VETO, YES, submit, weighted
from tests.vm.helpers import ALICE, BOB, DENOM
from vm import dec
from vm.codec import codec_for, pack
from vm.errors import InvalidTx
from vm.gov.msgs import (
    Duration,
    MsgCancelProposal,
    MsgDeposit,
    MsgDepositV1Beta1,
    MsgSubmitProposal,
    MsgUpdateParams,
    MsgVote,
    MsgVoteV1Beta1,
    MsgVoteWeighted,
    MsgVoteWeightedV1Beta1,
    ParamsUpdate,
    WeightedVoteOption,
    WeightedVoteOptionV1Beta1,
)
from vm.gov.tally import WeightedOption
from vm.gov.types import ProposalMessage
from vm.modules import default_registry
from vm.msg import Msg
from vm.types import Coin

REGISTRY = default_registry()
HALF = 5 * 10**17  # 0.5 as LegacyDec atomics


def rejected(msg: Msg) -> tuple[str, int]:
    with pytest.raises(InvalidTx) as caught:
        msg.validate()
    return caught.value.codespace, caught.value.code


INVALID_ADDRESS = ("sdk", 7)
INVALID_COINS = ("sdk", 10)
INVALID_REQUEST = ("sdk", 18)
INVALID_PROPOSAL_CONTENT = ("gov", 5)
INVALID_VOTE = ("gov", 7)
INVALID_PROPOSAL_MSG = ("gov", 12)


def proposal(**changes: Any) -> MsgSubmitProposal:
    return msgspec.structs.replace(submit([]), **changes)


def update(**changes: Any) -> ParamsUpdate:
    base = ParamsUpdate(
        min_deposit=[Coin(DENOM, 1_000)],
        max_deposit_period=None,
        voting_period=None,
        quorum="0.334000000000000000",
        threshold="0.500000000000000000",
        veto_threshold="0.334000000000000000",
        min_initial_deposit_ratio="0.000000000000000000",
        proposal_cancel_ratio="0.500000000000000000",
        proposal_cancel_dest="",
        expedited_voting_period=None,
        expedited_threshold="0.667000000000000000",
        expedited_min_deposit=[Coin(DENOM, 5_000)],
        burn_vote_quorum=False,
        burn_proposal_deposit_prevote=False,
        burn_vote_veto=True,
        min_deposit_ratio="0.010000000000000000",
    )
    return msgspec.structs.replace(base, **changes)


# -- stateless checks --------------------------------------------------------------------


def test_valid_messages_pass_their_checks() -> None:
    for msg in [
        proposal(),
        proposal(initial_deposit=[]),
        MsgDeposit(1, BOB.address, [Coin(DENOM, 1)]),
        MsgVote(1, BOB.address, int(VETO), "why"),
        weighted(1, BOB, (YES, "0.25"), (NO, "0.75")),
        MsgCancelProposal(1, ALICE.address),
        MsgUpdateParams(GOV, update()),
        MsgUpdateParams(GOV, update(voting_period=Duration(0, 0))),
        MsgDepositV1Beta1(1, BOB.address, [Coin(DENOM, 1)]),
        MsgVoteV1Beta1(1, BOB.address, int(ABSTAIN)),
        MsgVoteWeightedV1Beta1(1, BOB.address, [WeightedVoteOptionV1Beta1(int(YES), 10**18)]),
    ]:
        msg.validate()


def test_invalid_proposer_address() -> None:
    assert rejected(proposal(proposer="depin1notanaddress")) == INVALID_ADDRESS
    assert rejected(MsgCancelProposal(1, "")) == INVALID_ADDRESS


def test_invalid_voter_address() -> None:
    assert rejected(MsgVote(1, "cosmos1xyz", int(YES), "")) == INVALID_ADDRESS
    assert rejected(MsgVoteWeighted(1, "", [WeightedVoteOption(int(YES), "1")], "")) == INVALID_ADDRESS
    assert rejected(MsgVoteV1Beta1(1, "x", int(YES))) == INVALID_ADDRESS


def test_invalid_depositor_address() -> None:
    assert rejected(MsgDeposit(1, "depin1", [Coin(DENOM, 1)])) == INVALID_ADDRESS
    assert rejected(MsgDepositV1Beta1(1, "depin1", [Coin(DENOM, 1)])) == INVALID_ADDRESS


def test_invalid_empty_title() -> None:
    assert rejected(proposal(title="")) == INVALID_PROPOSAL_CONTENT


def test_invalid_empty_summary() -> None:
    assert rejected(proposal(summary="")) == INVALID_PROPOSAL_CONTENT


def test_invalid_message_without_type_url() -> None:
    assert rejected(proposal(messages=[ProposalMessage("", b"")])) == INVALID_PROPOSAL_MSG


@pytest.mark.parametrize(
    "initial",
    [
        [Coin(DENOM, 5), Coin("uatom", 5)],  # unsorted
        [Coin(DENOM, 0)],
        [Coin(DENOM, 5), Coin(DENOM, 5)],  # duplicate
        [Coin("1bad", 5)],
    ],
    ids=["unsorted", "zero", "duplicate", "bad-denom"],
)
def test_invalid_initial_deposit_coins(initial: list[Coin]) -> None:
    assert rejected(proposal(initial_deposit=initial)) == INVALID_COINS


@pytest.mark.parametrize("kind", [MsgDeposit, MsgDepositV1Beta1])
def test_invalid_empty_deposit(kind: type[MsgDeposit] | type[MsgDepositV1Beta1]) -> None:
    assert rejected(kind(1, BOB.address, [])) == INVALID_COINS
    assert rejected(kind(1, BOB.address, [Coin(DENOM, 0)])) == INVALID_COINS


@pytest.mark.parametrize("option", [0, 5])
def test_invalid_vote_option(option: int) -> None:
    assert rejected(MsgVote(1, BOB.address, option, "")) == INVALID_VOTE
    assert rejected(MsgVoteV1Beta1(1, BOB.address, option)) == INVALID_VOTE
    assert rejected(MsgVoteWeighted(1, BOB.address, [WeightedVoteOption(option, "1")], "")) == INVALID_VOTE


def test_invalid_weighted_vote_without_options() -> None:
    assert rejected(MsgVoteWeighted(1, BOB.address, [], "")) == INVALID_VOTE


@pytest.mark.parametrize(
    "options",
    [
        [(YES, "0.5"), (NO, "0.4")],
        [(YES, "0.5"), (NO, "0.500000000000000001")],
        [(YES, "0.999999999999999999")],
    ],
    ids=["under", "over", "one-atomic-short"],
)
def test_invalid_weights_not_summing_to_one(options: list[tuple[int, str]]) -> None:
    assert rejected(weighted(1, BOB, *options)) == INVALID_VOTE


def test_invalid_duplicate_option() -> None:
    assert rejected(weighted(1, BOB, (YES, "0.5"), (YES, "0.5"))) == INVALID_VOTE


def test_invalid_weight_over_one() -> None:
    # The sum is 1, but no single weight may leave (0, 1].
    assert rejected(weighted(1, BOB, (YES, "1.5"), (NO, "-0.5"))) == INVALID_VOTE
    assert rejected(weighted(1, BOB, (YES, "1"), (NO, "0"))) == INVALID_VOTE


@pytest.mark.parametrize("text", ["half", "", "0.5.0", "1e-1", "0.1234567890123456789", "٠.5"])
def test_invalid_weight_text(text: str) -> None:
    assert rejected(weighted(1, BOB, (YES, text), (NO, "0.5"))) == INVALID_VOTE


def test_v1beta1_weights_are_atomics() -> None:
    split = MsgVoteWeightedV1Beta1(
        1, BOB.address, [WeightedVoteOptionV1Beta1(int(YES), HALF), WeightedVoteOptionV1Beta1(int(NO), HALF)]
    )
    split.validate()
    assert split.weighted() == [WeightedOption(YES, dec.parse("0.5")), WeightedOption(NO, dec.parse("0.5"))]


def test_invalid_v1beta1_weights() -> None:
    def options(*pairs: tuple[int, int]) -> MsgVoteWeightedV1Beta1:
        return MsgVoteWeightedV1Beta1(1, BOB.address, [WeightedVoteOptionV1Beta1(o, w) for o, w in pairs])

    assert rejected(options((YES, HALF), (NO, HALF - 1))) == INVALID_VOTE
    assert rejected(options((YES, 1))) == INVALID_VOTE  # 10**-18, not 1
    assert rejected(options((YES, 0), (NO, 10**18))) == INVALID_VOTE


@pytest.mark.parametrize("field", ["max_deposit_period", "voting_period", "expedited_voting_period"])
def test_invalid_update_params_duration(field: str) -> None:
    assert rejected(MsgUpdateParams(GOV, update(**{field: Duration(60, 0)}))) == INVALID_REQUEST
    assert rejected(MsgUpdateParams(GOV, update(**{field: Duration(0, 1)}))) == INVALID_REQUEST


def test_invalid_update_params_authority() -> None:
    assert rejected(MsgUpdateParams("gov", update())) == INVALID_ADDRESS


def test_signers() -> None:
    assert proposal().signer() == ALICE.address
    assert MsgDeposit(1, BOB.address, []).signer() == BOB.address
    assert MsgVoteV1Beta1(1, BOB.address, 1).signer() == BOB.address
    assert MsgCancelProposal(1, ALICE.address).signer() == ALICE.address
    assert MsgUpdateParams(GOV, update()).signer() == GOV


# -- protobuf ------------------------------------------------------------------------------

COIN = CoinPb(denom=DENOM, amount="1000")
SEND = bank_tx.MsgSend(from_address=GOV, to_address=BOB.address, amount=[CoinPb(denom=DENOM, amount="7")])
SENDS_OFF = bank_tx.MsgUpdateParams(authority=GOV, params=bank_pb2.Params(default_send_enabled=False))
PARAMS_PB = gov_pb2.Params(
    min_deposit=[COIN],
    quorum="0.334000000000000000",
    threshold="0.500000000000000000",
    veto_threshold="0.334000000000000000",
    min_initial_deposit_ratio="0.000000000000000000",
    proposal_cancel_ratio="0.500000000000000000",
    expedited_threshold="0.667000000000000000",
    expedited_min_deposit=[CoinPb(denom=DENOM, amount="5000")],
    burn_vote_veto=True,
    min_deposit_ratio="0.010000000000000000",
)


def _any(message: Message) -> ProposalMessage:
    packed = pack(message)
    return ProposalMessage(packed.type_url, packed.value)


WIRE: list[tuple[Message, Msg]] = [
    (
        tx_pb2.MsgSubmitProposal(
            messages=[pack(SENDS_OFF), pack(SEND)],
            initial_deposit=[COIN],
            proposer=ALICE.address,
            metadata="ipfs://Qm",
            title="Stop sends",
            summary="and pay Bob",
            expedited=True,
        ),
        MsgSubmitProposal(
            [_any(SENDS_OFF), _any(SEND)],
            [Coin(DENOM, 1000)],
            ALICE.address,
            "ipfs://Qm",
            "Stop sends",
            "and pay Bob",
            True,
        ),
    ),
    (
        tx_pb2.MsgDeposit(proposal_id=7, depositor=BOB.address, amount=[COIN]),
        MsgDeposit(7, BOB.address, [Coin(DENOM, 1000)]),
    ),
    (
        tx_pb2.MsgVote(
            proposal_id=7, voter=BOB.address, option=gov_pb2.VOTE_OPTION_NO_WITH_VETO, metadata="m"
        ),
        MsgVote(7, BOB.address, int(VETO), "m"),
    ),
    (
        tx_pb2.MsgVoteWeighted(
            proposal_id=7,
            voter=BOB.address,
            options=[
                gov_pb2.WeightedVoteOption(option=gov_pb2.VOTE_OPTION_YES, weight="0.3"),
                gov_pb2.WeightedVoteOption(option=gov_pb2.VOTE_OPTION_ABSTAIN, weight="0.7"),
            ],
        ),
        MsgVoteWeighted(7, BOB.address, [WeightedVoteOption(1, "0.3"), WeightedVoteOption(2, "0.7")], ""),
    ),
    (
        tx_pb2.MsgCancelProposal(proposal_id=7, proposer=ALICE.address),
        MsgCancelProposal(7, ALICE.address),
    ),
    (
        tx_pb2.MsgUpdateParams(authority=GOV, params=PARAMS_PB),
        MsgUpdateParams(GOV, update()),
    ),
    (
        v1beta1_tx_pb2.MsgDeposit(proposal_id=7, depositor=BOB.address, amount=[COIN]),
        MsgDepositV1Beta1(7, BOB.address, [Coin(DENOM, 1000)]),
    ),
    (
        v1beta1_tx_pb2.MsgVote(proposal_id=7, voter=BOB.address, option=v1beta1_gov_pb2.VOTE_OPTION_ABSTAIN),
        MsgVoteV1Beta1(7, BOB.address, int(ABSTAIN)),
    ),
    (
        v1beta1_tx_pb2.MsgVoteWeighted(
            proposal_id=7,
            voter=BOB.address,
            options=[
                v1beta1_gov_pb2.WeightedVoteOption(option=v1beta1_gov_pb2.VOTE_OPTION_YES, weight=str(HALF)),
                v1beta1_gov_pb2.WeightedVoteOption(option=v1beta1_gov_pb2.VOTE_OPTION_NO, weight=str(HALF)),
            ],
        ),
        MsgVoteWeightedV1Beta1(
            7,
            BOB.address,
            [WeightedVoteOptionV1Beta1(int(YES), HALF), WeightedVoteOptionV1Beta1(int(NO), HALF)],
        ),
    ),
]


def decode(message: Message) -> Msg:
    packed = pack(message)
    return REGISTRY.decode_message(AnyPb(type_url=packed.type_url, value=packed.value))[0]


@pytest.mark.parametrize(("wire", "expected"), WIRE, ids=[w.DESCRIPTOR.full_name for w, _ in WIRE])
def test_message_through_the_wire(wire: Message, expected: Msg) -> None:
    decoded = decode(wire)
    assert decoded == expected
    decoded.validate()
    encoded = codec_for(type(decoded)).write(decoded).SerializeToString(deterministic=True)
    assert encoded == wire.SerializeToString(deterministic=True)


def test_a_proposal_keeps_its_messages_byte_for_byte() -> None:
    wire = WIRE[0][0]
    assert isinstance(wire, tx_pb2.MsgSubmitProposal)
    decoded = decode(wire)
    assert isinstance(decoded, MsgSubmitProposal)
    assert [(m.type_url, m.value) for m in decoded.messages] == [(a.type_url, a.value) for a in wire.messages]
    inner = [REGISTRY.decode_message(AnyPb(type_url=m.type_url, value=m.value))[0] for m in decoded.messages]
    assert [type(m).__name__ for m in inner] == ["MsgUpdateParams", "MsgSend"]


def test_an_update_with_zero_durations_decodes() -> None:
    zero = gov_pb2.Params()
    zero.CopyFrom(PARAMS_PB)
    zero.voting_period.CopyFrom(DurationPb())
    decoded = decode(tx_pb2.MsgUpdateParams(authority=GOV, params=zero))
    assert isinstance(decoded, MsgUpdateParams)
    assert decoded.params.voting_period == Duration(0, 0)
    decoded.validate()


def test_invalid_vote_option_from_the_wire() -> None:
    # Protobuf enums are open: an unknown option number decodes, and the check refuses it.
    message = tx_pb2.MsgVote(proposal_id=1, voter=BOB.address, option=1)
    raw = bytearray(message.SerializeToString())
    raw[-1] = 0x7F  # the option's varint: 127, beyond Cosmos's four options but a valid int32
    decoded = REGISTRY.decode_message(AnyPb(type_url="/cosmos.gov.v1.MsgVote", value=bytes(raw)))[0]
    assert rejected(decoded) == INVALID_VOTE
