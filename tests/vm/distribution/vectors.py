"""One of each distribution message, for encoding round-trips and sign-mode checks."""

from __future__ import annotations

from tests.vm.helpers import ALICE, BOB, DENOM
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.distribution.msgs import (
    MsgCommunityPoolSpend,
    MsgFundCommunityPool,
    MsgSetWithdrawAddress,
    MsgUpdateParams,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
    ParamsUpdate,
)
from vm.msg import Msg
from vm.types import Coin

DISTRIBUTION_MESSAGES: list[Msg] = [
    MsgSetWithdrawAddress(ALICE.address, BOB.address),
    MsgWithdrawDelegatorReward(ALICE.address, valoper(BOB)),
    MsgWithdrawValidatorCommission(valoper(ALICE)),
    MsgFundCommunityPool([Coin("uatom", 2), Coin(DENOM, 7)], ALICE.address),
    MsgUpdateParams(ALICE.address, ParamsUpdate(dec.parse("0.05"), None, dec.ZERO, False)),
    MsgCommunityPoolSpend(ALICE.address, BOB.address, [Coin("uatom", 3), Coin(DENOM, 11)]),
]
