"""A wallet made and signing with cosmpy (as Keplr or any Cosmos tool would) controls
a depind account: its hand-assembled tx is accepted by a live node."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cosmpy.aerial.wallet import LocalWallet
from mnemonic import Mnemonic

from tests.e2e.harness import (
    CHAIN_ID,
    DENOM,
    FEE,
    FUNDS,
    GAS,
    KEYS,
    NodeFactory,
    b64,
    tx_hash,
)
from vm.bank.msgs import MsgSend
from vm.tx import AuthInfo, Fee, Tx, TxBody, encode_tx, sign_bytes
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A fixed 24-word mnemonic (valid checksum) from fixed entropy.
MNEMONIC = Mnemonic("english").to_mnemonic(hashlib.sha256(b"e2e-cosmpy").digest())
AMOUNTS = (7_000, 8_000)


def test_cosmpy_signed_tx_accepted(node_factory: NodeFactory) -> None:
    wallet = LocalWallet.from_mnemonic(MNEMONIC, prefix="depin")
    address = str(wallet.address())
    assert address.startswith("depin1")
    node = node_factory(funded={address: FUNDS, **{k.address: FUNDS for k in KEYS}})
    recipient = KEYS[5].address
    account = node.account(address)
    assert account["sequence"] == 0 and account["pub_key"] is None

    for sequence, amount in enumerate(AMOUNTS):
        body = TxBody(CHAIN_ID, [MsgSend(address, recipient, [Coin(DENOM, amount)])], "cosmpy", 0)
        auth_info = AuthInfo(wallet.public_key().public_key_bytes, sequence, Fee([Coin(DENOM, FEE)], GAS))
        to_sign = sign_bytes(body, auth_info, int(account["account_number"]))
        signature = wallet.signer().sign(to_sign)  # deterministic, low-S r||s over SHA-256
        assert len(signature) == 64
        raw = encode_tx(Tx(body, auth_info, signature))

        result = node.rpc("broadcast_tx_commit", tx=b64(raw))
        assert result["check_tx"]["code"] == 0, result["check_tx"]["log"]
        assert result["tx_result"]["code"] == 0, result["tx_result"]["log"]
        assert result["hash"] == tx_hash(raw)
        assert node.rpc("tx", hash=tx_hash(raw))["height"] == result["height"]

    assert node.balance(address) == FUNDS - sum(AMOUNTS) - FEE * len(AMOUNTS)
    assert node.balance(recipient) == FUNDS + sum(AMOUNTS)
    account = node.account(address)
    assert account["sequence"] == len(AMOUNTS)
    assert base64.b64decode(account["pub_key"]) == wallet.public_key().public_key_bytes
