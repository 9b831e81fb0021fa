"""Event subscriptions on /websocket: NewBlock and Tx events arrive in chain order,
filters select by event attribute, and unsubscribing stops them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.harness import (
    CHAIN_ID,
    KEYS,
    NodeProcess,
    RPCFailure,
    Wallet,
    WSClient,
    b64,
    e2e_key,
    tx_hash,
)
from vm.beacon.keeper import ENTRY_MARKER

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NEW_BLOCK = "tm.event='NewBlock'"
TX = "tm.event='Tx'"
EVENT_TIMEOUT_S = 10.0
MAX_EVENTS = 500  # bound on the events read while waiting for some


def event_height(event: dict[str, Any]) -> int:
    data = event["result"]["data"]
    if data["type"] == "tendermint/event/NewBlock":
        return int(data["value"]["block"]["header"]["height"])
    return int(data["value"]["TxResult"]["height"])


def collect(ws: WSClient, until: Any) -> list[dict[str, Any]]:
    """Read events until ``until(events)`` holds (bounded in count and time)."""
    events: list[dict[str, Any]] = []
    for _ in range(MAX_EVENTS):
        if until(events):
            return events
        events.append(ws.next_event(EVENT_TIMEOUT_S))
    raise AssertionError(f"condition not met after {MAX_EVENTS} events")


def of_query(events: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    return [e for e in events if e["result"]["query"] == query]


def sent_txs(events: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """Tx events of ``query`` for txs users sent: every block also starts with its
    proposer's beacon entry (docs/beacon.md), which is delivered as a Tx too."""
    return [
        e
        for e in of_query(events, query)
        if not base64.b64decode(e["result"]["data"]["value"]["TxResult"]["tx"]).startswith(ENTRY_MARKER)
    ]


def send(node: NodeProcess, wallet: Wallet, to: str, amount: int) -> bytes:
    raw = wallet.sign([wallet.send_msg(to, amount)])
    assert node.rpc("broadcast_tx_sync", tx=b64(raw))["code"] == 0
    wallet.sequence += 1
    return raw


def test_websocket_subscriptions(node: NodeProcess) -> None:
    recipient = e2e_key(200).address
    filtered = f"{TX} AND transfer.recipient='{recipient}'"
    wallet = Wallet(node, KEYS[0])

    with WSClient(node.ws_url) as ws:
        assert ws.call("status")["node_info"]["network"] == CHAIN_ID  # plain calls work too
        assert ws.call("subscribe", query=NEW_BLOCK) == {}
        blocks = collect(ws, lambda events: len(events) >= 3)
        check_new_blocks(node, blocks)

        assert ws.call("subscribe", query=TX) == {}
        assert ws.call("subscribe", query=filtered) == {}
        for query in (TX, "tm.event=", "tm.event='Tx' OR a.b='c'"):
            assert ws.call_response("subscribe", query=query)["error"]["code"] == -32005

        raws = [
            send(node, wallet, recipient, 11),
            send(node, wallet, KEYS[1].address, 22),
            send(node, wallet, recipient, 33),
        ]
        hashes = [tx_hash(raw) for raw in raws]
        last = node.wait_tx(hashes[-1])
        events = collect(
            ws,
            lambda events: (
                len(sent_txs(events, TX)) >= 3
                and any(event_height(e) > int(last["height"]) for e in of_query(events, NEW_BLOCK))
            ),
        )
        events = blocks + events
        check_order(events)

        txs = sent_txs(events, TX)
        assert [e["result"]["events"]["tx.hash"] for e in txs] == [[h] for h in hashes]
        for event, raw in zip(txs, raws, strict=True):
            tx_result = event["result"]["data"]["value"]["TxResult"]
            assert tx_result["tx"] == b64(raw)
            assert tx_result["result"]["code"] == 0
            assert event["result"]["events"]["tm.event"] == ["Tx"]
            assert event["result"]["events"]["tx.height"] == [tx_result["height"]]
            found = node.rpc("tx", hash=tx_hash(raw))
            assert (found["height"], found["index"]) == (tx_result["height"], tx_result["index"])
        selected = of_query(events, filtered)
        assert [e["result"]["events"]["tx.hash"] for e in selected] == [[hashes[0]], [hashes[2]]]
        for event in selected:
            assert event["result"]["events"]["transfer.recipient"] == [recipient]

        check_unsubscribe(node, ws, wallet, recipient, filtered)

    check_http_refused(node)


def check_new_blocks(node: NodeProcess, events: list[dict[str, Any]]) -> None:
    heights = [event_height(e) for e in events]
    assert heights == list(range(heights[0], heights[0] + len(heights)))
    for event in events:
        result = event["result"]
        assert result["query"] == NEW_BLOCK
        assert result["events"]["tm.event"] == ["NewBlock"]
        value = result["data"]["value"]
        assert result["events"]["block.height"] == [value["block"]["header"]["height"]]
        served = node.rpc("block", height=event_height(event))
        assert value["block_id"] == served["block_id"]
        assert value["block"] == served["block"]


def check_order(events: list[dict[str, Any]]) -> None:
    """Each subscription delivers in chain order: every NewBlock, Txs by (height, index).

    Each subscription has its own queue, so events of different queries may interleave."""
    blocks = [event_height(e) for e in of_query(events, NEW_BLOCK)]
    assert blocks == list(range(blocks[0], blocks[0] + len(blocks)))  # none missed
    for query in {e["result"]["query"] for e in events} - {NEW_BLOCK}:
        positions = [
            (event_height(e), e["result"]["data"]["value"]["TxResult"]["index"])
            for e in of_query(events, query)
        ]
        assert positions == sorted(positions), query


def check_unsubscribe(node: NodeProcess, ws: WSClient, wallet: Wallet, recipient: str, filtered: str) -> None:
    assert ws.call("unsubscribe", query=NEW_BLOCK) == {}
    stopped_at = node.height()
    not_subscribed = ws.call_response("unsubscribe", query=NEW_BLOCK)
    assert not_subscribed["error"]["code"] == -32005

    raw = send(node, wallet, recipient, 44)
    height = int(node.wait_tx(tx_hash(raw))["height"])
    # The Tx subscription still runs (beacon entries arrive every block): read up to two
    # blocks past the tx's.
    events = collect(ws, lambda events: any(event_height(e) >= height + 2 for e in of_query(events, TX)))
    assert not [e for e in of_query(events, NEW_BLOCK) if event_height(e) > stopped_at], (
        "NewBlock events after unsubscribe"
    )
    assert [e["result"]["events"]["tx.hash"] for e in sent_txs(events, TX)] == [[tx_hash(raw)]]
    assert [e["result"]["events"]["tx.hash"] for e in of_query(events, filtered)] == [[tx_hash(raw)]]

    # Malformed input on the socket is answered and the connection stays usable.
    ws.send_text("{not json")
    assert ws.wait_response(None)["error"]["code"] == -32700
    ws.send_text(json.dumps([{"jsonrpc": "2.0", "id": 90, "method": "health"}]))
    assert ws.receive(EVENT_TIMEOUT_S) == [{"jsonrpc": "2.0", "id": 90, "result": {}}]

    assert ws.call("unsubscribe_all") == {}
    stopped_at = node.height()
    raw = send(node, wallet, recipient, 55)
    node.wait_height(int(node.wait_tx(tx_hash(raw))["height"]) + 2)
    late = [e for e in ws.drain_events() if event_height(e) > stopped_at]
    assert late == [], "events after unsubscribe_all"
    assert ws.call("unsubscribe_all") == {}  # nothing left: still fine
    assert ws.call("subscribe", query=NEW_BLOCK) == {}  # and a new subscription works
    assert event_height(ws.next_event(EVENT_TIMEOUT_S)) > stopped_at


def check_http_refused(node: NodeProcess) -> None:
    for method, params in (
        ("subscribe", {"query": NEW_BLOCK}),
        ("unsubscribe", {"query": NEW_BLOCK}),
        ("unsubscribe_all", {}),
    ):
        with pytest.raises(RPCFailure) as excinfo:
            node.rpc(method, **params)
        assert excinfo.value.code == -32005, method
