"""Signed transactions for the seed corpora: one per message type of the module vectors,
signed by the test keys (RFC 6979 signatures, so the bytes are the same every time)."""

from __future__ import annotations

import functools

from node.keys.hd import PrivateKey
from tests.vm.compute.vectors import COMPUTE_MESSAGES
from tests.vm.distribution.vectors import DISTRIBUTION_MESSAGES
from tests.vm.gov.vectors import GOV_MESSAGES
from tests.vm.helpers import ALICE, BOB, CAROL, CHAIN_ID, coins, key, sign_tx
from tests.vm.market.vectors import MARKET_MESSAGES
from tests.vm.slashing.vectors import SLASHING_MESSAGES
from tests.vm.staking.vectors import STAKING_MESSAGES
from tests.vm.upgrade.vectors import UPGRADE_MESSAGES
from vm.bank.msgs import Input, MsgMultiSend, MsgSend, Output
from vm.modules import default_registry
from vm.msg import Msg
from vm.registry import Registry
from vm.tx import SignMode
from vm.types import Coin

SEND = MsgSend(ALICE.address, BOB.address, [Coin("uatom", 3), *coins(1)])
MULTI_SEND = MsgMultiSend(
    [Input(ALICE.address, coins(2))], [Output(BOB.address, coins(1)), Output(CAROL.address, coins(1))]
)
MESSAGES: list[Msg] = [
    SEND,
    MULTI_SEND,
    *STAKING_MESSAGES,
    *DISTRIBUTION_MESSAGES,
    *SLASHING_MESSAGES,
    *MARKET_MESSAGES,
    *COMPUTE_MESSAGES,
    *GOV_MESSAGES,
    *UPGRADE_MESSAGES,
]

KEYS: dict[str, PrivateKey] = {k.address: k for k in map(key, range(1, 32))}
"""The test keys by address; a message signed by another (the gov authority) goes without a key."""


@functools.cache
def registry() -> Registry:
    return default_registry()


def one_of_each(mode: SignMode) -> dict[str, bytes]:
    """A tx per message type (the first vector of each), named after the type."""
    txs: dict[str, bytes] = {}
    for message in MESSAGES:
        name = f"{type(message).__module__.split('.')[1]}-{type(message).__name__}"
        if name not in txs:
            signer = KEYS.get(message.signer())
            txs[name] = sign_tx(signer or ALICE, CHAIN_ID, 0, 0, [message], mode=mode, omit_pubkey=not signer)
    return txs


def shapes() -> dict[str, bytes]:
    """Txs whose other parts vary: memo, timeout, several messages, no public key, no fee."""
    return {
        "memo-timeout": sign_tx(ALICE, CHAIN_ID, 3, 7, [SEND], memo="héllo <&>", timeout_height=90),
        "two-messages": sign_tx(ALICE, CHAIN_ID, 0, 1, [SEND, MULTI_SEND]),
        "no-pubkey": sign_tx(ALICE, CHAIN_ID, 0, 2, [SEND], omit_pubkey=True),
        "no-fee": sign_tx(ALICE, CHAIN_ID, 0, 0, [SEND], fee=0),
    }
