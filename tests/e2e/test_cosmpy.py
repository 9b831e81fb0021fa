"""A wallet made with cosmpy signs depind txs with cosmpy's own ``Transaction``: a bank
send (Cosmos's MsgSend) and a provider registration (depind.provider.v1, from the
committed generated code) are accepted by a live node, with no depind code on the
signing side."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cosmpy.aerial.tx import SigningCfg, Transaction, TxFee
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin
from mnemonic import Mnemonic

from protos.depind.provider.v1 import provider_pb2
from protos.depind.provider.v1 import tx_pb2 as provider_tx
from tests.e2e.harness import (
    CHAIN_ID,
    DENOM,
    FEE,
    FUNDS,
    GAS,
    KEYS,
    DepindProcess,
    NodeFactory,
    b64,
    tx_hash,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A fixed 24-word mnemonic (valid checksum) from fixed entropy.
MNEMONIC = Mnemonic("english").to_mnemonic(hashlib.sha256(b"e2e-cosmpy").digest())
AMOUNTS = (7_000, 8_000)
COLLATERAL = 5_000_000


def cosmpy_tx(wallet: LocalWallet, message: Any, account_number: int, sequence: int, memo: str) -> bytes:
    """The tx as cosmpy builds and signs it (SIGN_MODE_DIRECT), serialized."""
    tx = Transaction()
    tx.add_message(message)
    tx.seal(
        SigningCfg.direct(wallet.public_key(), sequence),
        fee=TxFee(amount=f"{FEE}{DENOM}", gas_limit=GAS),
        memo=memo,
    )
    tx.sign(wallet.signer(), CHAIN_ID, account_number)
    tx.complete()
    return bytes(tx.tx.SerializeToString())


def commit(node: DepindProcess, raw: bytes) -> dict[str, Any]:
    result: dict[str, Any] = node.rpc("broadcast_tx_commit", tx=b64(raw))
    assert result["check_tx"]["code"] == 0, result["check_tx"]["log"]
    assert result["tx_result"]["code"] == 0, result["tx_result"]["log"]
    assert result["hash"] == tx_hash(raw)
    return result


def test_cosmpy_signed_txs_accepted(node_factory: NodeFactory) -> None:
    wallet = LocalWallet.from_mnemonic(MNEMONIC, prefix="depin")
    address = str(wallet.address())
    assert address.startswith("depin1")
    node = node_factory(funded={address: FUNDS, **{k.address: FUNDS for k in KEYS}})
    recipient = KEYS[5].address
    account = node.account(address)
    assert account["sequence"] == "0" and account["pub_key"] is None
    number = int(account["account_number"])

    for sequence, amount in enumerate(AMOUNTS):
        send = bank_tx.MsgSend(
            from_address=address, to_address=recipient, amount=[Coin(denom=DENOM, amount=str(amount))]
        )
        raw = cosmpy_tx(wallet, send, number, sequence, memo="cosmpy")
        result = commit(node, raw)
        assert node.rpc("tx", hash=tx_hash(raw))["height"] == result["height"]

    register = provider_tx.MsgRegisterProvider(
        owner=address,
        gpus=[provider_pb2.GpuSpec(model="NVIDIA L4", memory_mib=23_034, compute_capability="8.9", count=1)],
        region="eu-west",
        endpoint="https://gpu.example:8443",
        price_hint=Coin(denom=DENOM, amount="0"),
        collateral=Coin(denom=DENOM, amount=str(COLLATERAL)),
    )
    commit(node, cosmpy_tx(wallet, register, number, len(AMOUNTS), memo=""))

    paid = sum(AMOUNTS) + FEE * (len(AMOUNTS) + 1) + COLLATERAL
    assert node.balance(address) == FUNDS - paid
    assert node.balance(recipient) == FUNDS + sum(AMOUNTS)
    account = node.account(address)
    assert account["sequence"] == str(len(AMOUNTS) + 1)
    assert base64.b64decode(account["pub_key"]["key"]) == wallet.public_key().public_key_bytes
    provider = node.rpc("provider", owner=address)
    assert provider["region"] == "eu-west"
    assert provider["gpus"][0]["model"] == "NVIDIA L4"
