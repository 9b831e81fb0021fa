"""One of each gov message, for the tx encoding tests (tests/vm/test_tx.py): every field set
to a value that survives both sign modes."""

from __future__ import annotations

from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx

from genesis.schema import BankParams
from tests.vm.helpers import ALICE, BOB, DENOM
from vm import dec
from vm.bank.msgs import MsgUpdateParams as BankUpdateParams
from vm.codec import codec_for, pack
from vm.gov.msgs import (
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
from vm.gov.types import ProposalMessage
from vm.modules import AUTHORITY
from vm.types import Coin, format_address

GOV = format_address(AUTHORITY)


def packed(message: object) -> ProposalMessage:
    """``message`` as a proposal carries it: the ``Any`` of its protobuf."""
    wire = pack(codec_for(type(message)).write(message))  # type: ignore[arg-type]
    return ProposalMessage(wire.type_url, wire.value)


STOP_SENDS = packed(BankUpdateParams(GOV, BankParams(default_send_enabled=False)))
assert STOP_SENDS.type_url == "/" + bank_tx.MsgUpdateParams.DESCRIPTOR.full_name

GOV_MESSAGES = [
    MsgSubmitProposal(
        [STOP_SENDS], [Coin(DENOM, 1_000)], ALICE.address, "ipfs://m", "Stop sends", "Why", True
    ),
    MsgDeposit(1, BOB.address, [Coin(DENOM, 500)]),
    MsgVote(1, BOB.address, 1, "because"),
    MsgVoteWeighted(
        1,
        ALICE.address,
        [WeightedVoteOption(1, "0.600000000000000000"), WeightedVoteOption(3, "0.4")],
        "split",
    ),
    MsgCancelProposal(1, ALICE.address),
    MsgUpdateParams(
        GOV,
        ParamsUpdate(
            [Coin(DENOM, 10_000_000)],
            None,
            None,
            "0.334000000000000000",
            "0.500000000000000000",
            "0.334000000000000000",
            "0.000000000000000000",
            "0.500000000000000000",
            "",
            None,
            "0.667000000000000000",
            [Coin(DENOM, 50_000_000)],
            False,
            False,
            True,
            "0.010000000000000000",
        ),
    ),
    MsgDepositV1Beta1(2, BOB.address, [Coin(DENOM, 7)]),
    MsgVoteV1Beta1(2, BOB.address, 4),
    MsgVoteWeightedV1Beta1(
        2,
        ALICE.address,
        [WeightedVoteOptionV1Beta1(2, dec.ONE // 4), WeightedVoteOptionV1Beta1(1, 3 * dec.ONE // 4)],
    ),
]
