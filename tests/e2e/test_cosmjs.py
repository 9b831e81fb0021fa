"""cosmjs (@cosmjs/stargate 0.39) runs unchanged against a live node: the queries a
wallet makes, sends signed with DirectSecp256k1HdWallet (SIGN_MODE_DIRECT) and
Secp256k1HdWallet (SIGN_MODE_LEGACY_AMINO_JSON) with "auto" gas, then getTx,
searchTx and getBlock, staking, and the msgResponses cosmjs decodes from each result's
data. The npm packages come from tests/cosmjs/package-lock.json."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from typing import Any, TypeVar

import pytest
from cosmpy.protos.cosmos.distribution.v1beta1 import tx_pb2 as distribution_tx
from cosmpy.protos.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from google.protobuf.message import Message
from mnemonic import Mnemonic

from node.keys.hd import PrivateKey
from tests.e2e.harness import CHAIN_ID, COSMJS_DIR, DENOM, FUNDS, KEYS, NodeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MNEMONIC = Mnemonic("english").to_mnemonic(hashlib.sha256(b"e2e-cosmjs").digest())
CLIENT_TIMEOUT_S = 180
M = TypeVar("M", bound=Message)


def run_client(node_bin: str, rpc_url: str, recipient: str, validator: str) -> dict[str, Any]:
    done = subprocess.run(
        [node_bin, "client.mjs", rpc_url, MNEMONIC, recipient, DENOM, validator],
        cwd=COSMJS_DIR,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def responses(report: dict[str, Any], kind: type[M]) -> list[M]:
    """A tx's msgResponses as cosmjs reported them, each decoded as ``kind``."""
    found = report["msgResponses"]
    assert [r["typeUrl"] for r in found] == ["/" + kind.DESCRIPTOR.full_name] * len(found)
    return [kind.FromString(base64.b64decode(r["value"])) for r in found]


def test_cosmjs_queries_sends_and_stakes_in_both_sign_modes(cosmjs: str, node_factory: NodeFactory) -> None:
    address = PrivateKey.from_mnemonic(MNEMONIC).address
    recipient = KEYS[4].address
    node = node_factory(funded={address: FUNDS})
    (validator,) = node.rpc("validators_staking")["validators"]
    seen = run_client(cosmjs, node.url, recipient, validator["operator_address"])

    assert seen["address"] == address
    assert seen["chainId"] == CHAIN_ID
    before = seen["accountBefore"]
    assert (before["address"], before["pubkey"], before["sequence"]) == (address, None, 0)
    assert seen["missingAccount"] is None
    assert seen["balance"] == {"denom": DENOM, "amount": str(FUNDS)}
    assert seen["allBalances"] == [{"denom": DENOM, "amount": str(FUNDS)}]

    for sent in (seen["directSend"], seen["aminoSend"]):
        assert sent["code"] == 0, json.dumps(seen)
        assert sent["height"] > 0
        assert int(sent["gasUsed"]) > 0
    assert seen["tx"]["hash"] == seen["aminoSend"]["hash"]
    assert (seen["tx"]["code"], seen["tx"]["height"]) == (0, seen["aminoSend"]["height"])
    assert seen["tx"]["events"] > 0
    assert {t["hash"] for t in seen["search"]} == {seen["directSend"]["hash"], seen["aminoSend"]["hash"]}
    assert seen["block"]["height"] == seen["aminoSend"]["height"]
    assert seen["block"]["chainId"] == CHAIN_ID
    assert seen["block"]["txs"] >= 1

    after = seen["accountAfter"]
    assert after["sequence"] == 2
    assert after["pubkey"]["type"] == "tendermint/PubKeySecp256k1"
    assert seen["recipientBalance"] == {"denom": DENOM, "amount": "3000"}
    assert node.balance(recipient) == 3000

    for staked in (seen["delegateDirect"], seen["delegateAmino"], seen["withdraw"], seen["undelegate"]):
        assert staked["code"] == 0, json.dumps(seen)
    assert seen["delegation"] == {"denom": DENOM, "amount": "4000000"}
    assert seen["withdraw"]["height"] > seen["delegateAmino"]["height"]

    # What cosmjs decoded from each result's TxMsgData.
    for sent in (seen["directSend"], seen["aminoSend"]):
        assert sent["msgResponses"] == [{"typeUrl": "/cosmos.bank.v1beta1.MsgSendResponse", "value": ""}]
    assert [r["typeUrl"] for r in seen["delegateDirect"]["msgResponses"]] == [
        "/cosmos.staking.v1beta1.MsgDelegateResponse"
    ]
    [withdrawn] = responses(seen["withdraw"], distribution_tx.MsgWithdrawDelegatorRewardResponse)
    assert all(coin.denom == DENOM and int(coin.amount) > 0 for coin in withdrawn.amount)
    [undelegated] = responses(seen["undelegate"], staking_tx.MsgUndelegateResponse)
    assert (undelegated.amount.denom, undelegated.amount.amount) == (DENOM, "1000000")
    assert undelegated.HasField("completion_time")  # zero: a completion is a height (docs/staking.md)
