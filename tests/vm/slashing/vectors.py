"""One of every slashing message (tests/vm/test_tx.py round-trips them with the chain's
other messages)."""

from __future__ import annotations

from tests.vm.helpers import ALICE
from tests.vm.staking.vectors import valoper
from vm.msg import Msg
from vm.slashing.msgs import Duration, MsgUnjail, MsgUpdateParams, ParamsUpdate

PARAMS_UPDATE = ParamsUpdate(
    signed_blocks_window=200,
    min_signed_per_window=b"600000000000000000",
    downtime_jail_duration=Duration(300, 0),
    slash_fraction_double_sign=b"50000000000000000",
    slash_fraction_downtime=b"10000000000000000",
)

SLASHING_MESSAGES: list[Msg] = [
    MsgUnjail(valoper(ALICE)),
    MsgUpdateParams(ALICE.address, PARAMS_UPDATE),
]
