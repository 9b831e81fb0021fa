"""Everything a client can get wrong, sent to a live node: each answer is a
JSON-RPC error or a tx result with a stable code, never a traceback, and the
node keeps producing blocks afterwards."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from cosmpy.protos.cosmos.crypto.secp256k1 import keys_pb2
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2

from tests.e2e.harness import (
    FEE,
    KEYS,
    NodeProcess,
    Wallet,
    assert_no_traceback,
    b64,
    tx_hash,
)
from vm.modules import default_registry
from vm.protowire import RawTx, encode_tx_raw, parse_tx_raw
from vm.tx import Tx, decode_tx

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_BODY_BYTES = 1_000_000  # node.config.RPCConfig's default


def error_code(response: dict[str, Any]) -> int:
    assert "result" not in response, response
    code: int = response["error"]["code"]
    assert isinstance(response["error"]["message"], str)
    return code


def test_rejections(node: NodeProcess) -> None:
    check_protocol_errors(node)
    check_param_errors(node)
    check_batches(node)
    check_body_limit(node)
    check_tx_rejections(node)

    # Still alive and producing blocks; nothing reached the handlers' catch-all.
    height = node.height()
    node.wait_height(height + 2, timeout=10)
    assert node.rpc("health") == {}
    assert "Traceback" not in node.log_tail(10**7), "the node logged an internal error"


def check_protocol_errors(node: NodeProcess) -> None:
    for body in (b"{not json", b'{"jsonrpc": "2.0", "method": "status", "id": 1', b"\xff\xfe"):
        response = node.post(content=body)
        assert response.status_code == 200
        assert error_code(response.json()) == -32700
        assert response.json()["id"] is None

    not_requests: list[Any] = [
        42,
        "status",
        {"id": 1, "method": "status"},  # no "jsonrpc": "2.0"
        {"jsonrpc": "1.0", "id": 1, "method": "status"},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
        {"jsonrpc": "2.0", "id": {"nested": True}, "method": "status"},
    ]
    for payload in not_requests:
        assert error_code(node.post(payload).json()) == -32600, payload

    unknown = node.post({"jsonrpc": "2.0", "id": "abc", "method": "no_such_method"}).json()
    assert error_code(unknown) == -32601
    assert unknown["id"] == "abc"

    # Only POST / is served.
    assert node.post({"jsonrpc": "2.0", "id": 1, "method": "status"}).status_code == 200
    with node.session() as http:
        assert http.get(node.url).status_code == 405
        assert http.post(node.url + "/nope", json={}).status_code == 404


def check_param_errors(node: NodeProcess) -> None:
    bad_params: list[tuple[str, Any]] = [
        ("block", {"height": "abc"}),
        ("block", {"height": 1.5}),
        ("block", {"height": True}),
        ("block", {"height": -1}),
        ("block", {"height": 2**70}),
        ("block", {"hieght": 1}),
        ("block", [1, 2]),
        ("block", "1"),
        ("tx", {}),
        ("tx", {"hash": "zz"}),
        ("tx", {"hash": "ab" * 31}),
        ("tx", {"hash": "ab" * 32, "prove": "maybe"}),
        ("tx_search", {"query": "transfer.recipient=="}),
        ("tx_search", {"query": "tm.event='Tx'", "order_by": "sideways"}),
        ("tx_search", {"query": "tm.event='Tx'", "page": 5}),
        ("validators", {"page": 2}),
        ("balances", {"address": 12}),
        ("abci_query", {"path": "/store", "data": "not hex"}),
    ]
    for method, params in bad_params:
        response = node.post({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        assert error_code(response.json()) == -32602, (method, params, response.json())

    unavailable = node.rpc_response("block", height=10**9)
    assert error_code(unavailable) == -32002
    missing = node.rpc_response("tx", hash="AB" * 32)
    assert error_code(missing) == -32001
    missing_block = node.rpc_response("block_by_hash", hash="CD" * 32)
    assert error_code(missing_block) == -32001
    bad_address = node.rpc_response("balances", address="depin1notanaddress")
    assert error_code(bad_address) == -32007
    unknown_path = node.rpc("abci_query", path="/no/such/path")["response"]
    assert (unknown_path["codespace"], unknown_path["code"]) == ("sdk", 6)


def check_batches(node: NodeProcess) -> None:
    batch: list[Any] = [
        {"jsonrpc": "2.0", "id": 1, "method": "health"},
        {"jsonrpc": "2.0", "id": 2, "method": "no_such_method"},
        {"jsonrpc": "2.0", "method": "health"},  # a notification: no response
        {"jsonrpc": "2.0", "method": "no_such_method"},  # a failing notification: still none
        {"jsonrpc": "2.0", "id": 3, "method": "block", "params": {"height": "abc"}},
        17,
        {"jsonrpc": "2.0", "id": 4, "method": "status"},
    ]
    responses = node.post(batch).json()
    assert isinstance(responses, list)
    assert len(responses) == 5
    assert responses[0] == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert (responses[1]["id"], error_code(responses[1])) == (2, -32601)
    assert (responses[2]["id"], error_code(responses[2])) == (3, -32602)
    assert (responses[3]["id"], error_code(responses[3])) == (None, -32600)
    assert responses[4]["id"] == 4
    assert responses[4]["result"]["node_info"]["network"]

    only_notifications = node.post([{"jsonrpc": "2.0", "method": "health"}] * 3)
    assert only_notifications.status_code == 204
    assert only_notifications.content == b""
    single_notification = node.post({"jsonrpc": "2.0", "method": "health"})
    assert single_notification.status_code == 204

    assert error_code(node.post([]).json()) == -32600
    too_many = [{"jsonrpc": "2.0", "id": i, "method": "health"} for i in range(1001)]
    assert error_code(node.post(too_many).json()) == -32006


def check_body_limit(node: NodeProcess) -> None:
    padding = " " * (MAX_BODY_BYTES + 1 - len(b'{"jsonrpc": "2.0", "id": 1, "method": "health"}'))
    oversized = ('{"jsonrpc": "2.0", "id": 1, "method": "health"}' + padding).encode()
    declared = node.post(content=oversized)
    assert declared.status_code == 413
    assert error_code(declared.json()) == -32006

    def chunks() -> Iterator[bytes]:  # no content-length: the limit applies while reading
        for start in range(0, len(oversized), 64 * 1024):
            yield oversized[start : start + 64 * 1024]

    with node.session() as http:
        streamed = http.post(node.url, content=chunks())
    assert_no_traceback(streamed.text)
    assert streamed.status_code == 413
    assert error_code(streamed.json()) == -32006

    just_fits = node.post(content=oversized[:MAX_BODY_BYTES])
    assert just_fits.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


def tampered(raw: bytes, signature: bytes | None = None, pubkey: bytes | None = None) -> bytes:
    """The tx with its signature or public key replaced (its signature no longer covers it)."""
    parts = parse_tx_raw(raw)
    auth_info = parts.auth_info_bytes
    if pubkey is not None:
        info = tx_pb2.AuthInfo.FromString(auth_info)
        info.signer_infos[0].public_key.value = keys_pb2.PubKey(key=pubkey).SerializeToString()
        auth_info = info.SerializeToString()
    signatures = parts.signatures if signature is None else (signature,)
    return encode_tx_raw(RawTx(parts.body_bytes, auth_info, signatures))


def check_tx_rejections(node: NodeProcess) -> None:
    wallet = Wallet(node, KEYS[0])
    to = KEYS[1].address

    def sync(raw: bytes) -> dict[str, Any]:
        result: dict[str, Any] = node.rpc("broadcast_tx_sync", tx=b64(raw))
        assert result["hash"] == tx_hash(raw)
        return result

    for method in ("broadcast_tx_sync", "broadcast_tx_async", "broadcast_tx_commit", "check_tx"):
        response = node.rpc_response(method, tx="%%% not base64 %%%")
        assert error_code(response) == -32602, method

    noise = sync(random.Random(7).randbytes(200))
    assert (noise["codespace"], noise["code"]) == ("sdk", 2)
    assert sync(b"")["code"] == 2

    other_chain = wallet.sign([wallet.send_msg(to, 5)], chain_id="another-chain-1")
    assert sync(other_chain)["code"] == 4  # the chain id is in the sign bytes only

    good = wallet.sign([wallet.send_msg(to, 5)])
    original: Tx = decode_tx(good, default_registry())
    flipped = bytes([original.signature[0] ^ 1]) + original.signature[1:]
    bad_signature = tampered(good, signature=flipped)
    assert sync(bad_signature)["code"] == 4
    short_signature = tampered(good, signature=original.signature[:63])
    assert sync(short_signature)["code"] == 4
    other_key = tampered(good, pubkey=KEYS[1].public_key)
    assert sync(other_key)["code"] == 8  # the key is not the message signer's

    cheap = wallet.sign([wallet.send_msg(to, 5)], fee=FEE - 1)
    assert sync(cheap)["code"] == 13
    free = wallet.sign([wallet.send_msg(to, 5)], fee=0)
    assert sync(free)["code"] == 13
    no_gas = wallet.sign([wallet.send_msg(to, 5)], gas=0)
    assert sync(no_gas)["code"] == 41
    future = wallet.sign([wallet.send_msg(to, 5)], sequence=wallet.sequence + 5)
    assert sync(future)["code"] == 32
    too_much = wallet.sign([wallet.send_msg(to, 10**15)])
    checked = node.rpc("check_tx", tx=b64(too_much))
    assert checked["code"] == 0  # CheckTx runs the ante handler only: fee and sequence
    rejected = node.rpc("broadcast_tx_commit", tx=b64(bad_signature))
    assert (rejected["check_tx"]["code"], rejected["height"], rejected["tx_result"]) == (4, "0", {})

    # Nothing rejected reached a block or the mempool, and nothing was charged.
    assert node.rpc("num_unconfirmed_txs")["n_txs"] == "0"
    assert node.account(wallet.address)["sequence"] == "0"

    # A replay: refused while in the mempool cache, and as a used sequence once committed.
    assert sync(good)["code"] == 0
    assert sync(good)["code"] == 19
    committed = node.wait_tx(tx_hash(good))
    assert committed["tx_result"]["code"] == 0
    assert sync(good)["code"] in (19, 32)
    assert node.rpc("check_tx", tx=b64(good))["code"] == 32
    assert node.rpc("broadcast_tx_commit", tx=b64(good))["height"] == "0"
    assert node.account(wallet.address)["sequence"] == "1"
