"""market message vectors: one of each message, every field set (tests/vm/test_tx.py signs and
decodes them in both sign modes)."""

from __future__ import annotations

from genesis.market import MarketParams
from tests.vm.helpers import ALICE, BOB, DENOM
from vm.market.msgs import (
    MsgAcceptLease,
    MsgCancelOrder,
    MsgCloseLease,
    MsgCloseOffer,
    MsgCreateOffer,
    MsgCreateOrder,
    MsgDepositEscrow,
    MsgUpdateOffer,
    MsgUpdateParams,
    MsgWithdrawLease,
)
from vm.market.types import GpuClass, Pricing, Requirements
from vm.msg import Msg
from vm.types import Coin

H100 = GpuClass("NVIDIA H100 80GB HBM3", 81_559, "9.0")
FIXED = Pricing(2_000_000, 0, 0, 0)
INDEXED = Pricing(0, 12_000, 500_000, 9_000_000)
WANTED = Requirements(["NVIDIA H100 80GB HBM3", "NVIDIA A100"], 40_000, "8.0", 2, ["eu-west"], 10, 5, "gemm")

MARKET_MESSAGES: list[Msg] = [
    MsgCreateOffer(ALICE.address, H100, 4, FIXED, 60, 86_400, ["gemm", "mlp"]),
    MsgCreateOffer(ALICE.address, H100, 1, INDEXED, 60, 3_600, ["gemm"]),
    MsgUpdateOffer(ALICE.address, 1, INDEXED, 2, 120, 7_200, ["mlp"], True, False),
    MsgUpdateOffer(ALICE.address, 1, None, 0, 0, 0, [], False, True),
    MsgCloseOffer(ALICE.address, 1),
    MsgCreateOrder(BOB.address, WANTED, 3_600, 3_000_000, Coin(DENOM, 6_000_000), 1_704_067_260 * 10**9),
    MsgCancelOrder(BOB.address, 7),
    MsgDepositEscrow(BOB.address, 3, Coin(DENOM, 1_000), 600),
    MsgDepositEscrow(BOB.address, 3, None, 60),
    MsgAcceptLease(ALICE.address, 3),
    MsgCloseLease(BOB.address, 3),
    MsgWithdrawLease(ALICE.address, 3),
    MsgUpdateParams(ALICE.address, MarketParams(take_rate_bps=300, escrow_low_warning_s=0)),
]
