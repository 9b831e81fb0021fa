"""Fixed staking values for tests: consensus keys, operator addresses and one of every
staking message (tests/vm/test_tx.py round-trips them with the chain's other messages)."""

from __future__ import annotations

import hashlib

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, DENOM
from vm import dec
from vm.msg import Msg
from vm.staking.msgs import (
    Duration,
    Ed25519PubKey,
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgCreateValidator,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
    MsgUpdateParams,
    ParamsUpdate,
)
from vm.staking.types import CommissionRates, Description, format_valoper
from vm.types import Coin, parse_address


def cons_key(n: int) -> bytes:
    """A fixed 32-byte ed25519 consensus key."""
    return hashlib.sha256(b"consensus key %d" % n).digest()


def valoper(k: PrivateKey) -> str:
    """The operator address of the validator ``k`` runs (its account's bytes)."""
    return format_valoper(parse_address(k.address))


RATES = CommissionRates(rate=dec.parse("0.1"), max_rate=dec.parse("0.2"), max_change_rate=dec.parse("0.01"))
DESCRIPTION = Description("node", "", "https://node.example", "", "GPUs & validators")

STAKING_MESSAGES: list[Msg] = [
    MsgCreateValidator(
        DESCRIPTION, RATES, 1, "", valoper(ALICE), Ed25519PubKey(cons_key(1)), Coin(DENOM, 5_000_000)
    ),
    MsgEditValidator(
        Description("renamed", "[do-not-modify]", "", "", ""), valoper(ALICE), dec.parse("0.15"), 2
    ),
    MsgEditValidator(Description("", "", "", "", "new details"), valoper(ALICE), None, None),
    MsgDelegate(ALICE.address, valoper(BOB), Coin(DENOM, 1_000)),
    MsgUndelegate(ALICE.address, valoper(BOB), Coin(DENOM, 250)),
    MsgBeginRedelegate(ALICE.address, valoper(BOB), valoper(ALICE), Coin(DENOM, 250)),
    MsgCancelUnbondingDelegation(ALICE.address, valoper(BOB), Coin(DENOM, 100), 12),
    MsgUpdateParams(ALICE.address, ParamsUpdate(Duration(0, 0), 50, 7, DENOM, dec.parse("0.05"))),
]
