"""node.events: subscriptions, filtered delivery, slow subscribers and tx waiters."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import trio
import trio.testing

from consensus.types import Block, Data
from node import events as events_module
from node.events import MAX_SUBSCRIPTIONS_PER_CLIENT, EventBus, SubscriptionError
from node.query import parse
from tests.consensus import vectors
from tests.consensus.fakes import FakeResult, FakeTxResult, event, flagged_event

TO_BOB = b"send to bob"
TO_CAROL = b"send to carol"


def make_block(height: int, txs: list[bytes]) -> Block:
    return Block(vectors.header(height, txs), Data(txs), [], None)


def result_for(txs: list[bytes]) -> FakeResult:
    tx_results = [
        FakeTxResult(
            code=0 if tx != TO_CAROL else 5,
            log="" if tx != TO_CAROL else "insufficient funds",
            data=b"" if tx == TO_CAROL else b"answer to " + tx,
            events=[event("transfer", recipient=tx.decode().split()[-1], amount="10udepin")],
        )
        for tx in txs
    ]
    return FakeResult(tx_results, events=[event("rewards", validator="val1")], app_hash=b"\xaa" * 32)


def publish(bus: EventBus, height: int, txs: list[bytes]) -> None:
    bus.publish_block(make_block(height, txs), vectors.block_id(f"{height}"), result_for(txs))


def drain(receive: trio.MemoryReceiveChannel[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every message waiting now (the stream may stay open or have ended)."""
    messages = []
    while True:
        try:
            messages.append(receive.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel):
            return messages


def tx_hash_hex(tx: bytes) -> str:
    return hashlib.sha256(tx).hexdigest().upper()


# -- subscribing ---------------------------------------------------------------------------


def test_subscribe_and_count() -> None:
    bus = EventBus()
    bus.subscribe("ws-1", parse("tm.event='NewBlock'"))
    bus.subscribe("ws-1", parse("tm.event='Tx'"))
    bus.subscribe("ws-2", parse("tm.event='Tx'"))
    assert (bus.num_clients(), bus.num_subscriptions()) == (2, 3)


def test_invalid_duplicate_subscription() -> None:
    bus = EventBus()
    bus.subscribe("ws-1", parse("tm.event='Tx'"))
    with pytest.raises(SubscriptionError, match="already subscribed"):
        bus.subscribe("ws-1", parse("tm.event='Tx'"))
    bus.subscribe("ws-2", parse("tm.event='Tx'"))  # another client may


def test_invalid_too_many_subscriptions() -> None:
    bus = EventBus()
    for n in range(MAX_SUBSCRIPTIONS_PER_CLIENT):
        bus.subscribe("ws-1", parse(f"tx.height={n}"))
    with pytest.raises(SubscriptionError, match="at most"):
        bus.subscribe("ws-1", parse("tx.height=99"))
    bus.subscribe("ws-2", parse("tx.height=99"))
    assert bus.num_subscriptions() == MAX_SUBSCRIPTIONS_PER_CLIENT + 1


def test_unsubscribe_frees_a_slot() -> None:
    bus = EventBus()
    for n in range(MAX_SUBSCRIPTIONS_PER_CLIENT):
        bus.subscribe("ws-1", parse(f"tx.height={n}"))
    assert bus.unsubscribe("ws-1", "tx.height=0")
    bus.subscribe("ws-1", parse("tx.height=99"))


def test_unsubscribe_closes_the_stream() -> None:
    bus = EventBus()
    subscription = bus.subscribe("ws-1", parse("tm.event='Tx'"))
    assert bus.unsubscribe("ws-1", "tm.event='Tx'")
    with pytest.raises(trio.EndOfChannel):
        subscription.receive.receive_nowait()
    assert bus.num_subscriptions() == 0
    assert subscription.cancelled == ""


def test_unsubscribe_unknown() -> None:
    bus = EventBus()
    bus.subscribe("ws-1", parse("tm.event='Tx'"))
    assert not bus.unsubscribe("ws-1", "tm.event='NewBlock'")
    assert not bus.unsubscribe("ws-2", "tm.event='Tx'")
    assert bus.num_subscriptions() == 1


def test_unsubscribe_all() -> None:
    bus = EventBus()
    one = bus.subscribe("ws-1", parse("tm.event='Tx'"))
    two = bus.subscribe("ws-1", parse("tm.event='NewBlock'"))
    bus.subscribe("ws-2", parse("tm.event='Tx'"))
    assert bus.unsubscribe_all("ws-1") == 2
    assert bus.unsubscribe_all("ws-1") == 0
    for subscription in (one, two):
        with pytest.raises(trio.EndOfChannel):
            subscription.receive.receive_nowait()
    assert (bus.num_clients(), bus.num_subscriptions()) == (1, 1)
    bus.subscribe("ws-1", parse("tm.event='Tx'"))


# -- delivery ----------------------------------------------------------------------------------


def test_new_block_delivery() -> None:
    bus = EventBus()
    subscription = bus.subscribe("ws-1", parse("tm.event='NewBlock'"))
    publish(bus, 3, [TO_BOB])
    (message,) = drain(subscription.receive)
    assert message["query"] == "tm.event='NewBlock'"
    assert message["data"]["type"] == "tendermint/event/NewBlock"
    value = message["data"]["value"]
    assert value["block"]["header"]["height"] == "3"
    assert value["block_id"]["hash"] == vectors.block_id("3").hash.hex().upper()
    assert message["events"]["block.height"] == ["3"]
    assert message["events"]["rewards.validator"] == ["val1"]


def test_tx_delivery() -> None:
    bus = EventBus()
    subscription = bus.subscribe("ws-1", parse("tm.event='Tx'"))
    publish(bus, 4, [TO_BOB, TO_CAROL])
    first, second = drain(subscription.receive)
    assert first["data"]["type"] == "tendermint/event/Tx"
    assert (
        first["data"]["value"]["TxResult"]["result"]["data"]
        == base64.b64encode(b"answer to " + TO_BOB).decode()
    )
    tx_result = second["data"]["value"]["TxResult"]
    assert (tx_result["height"], tx_result["index"]) == ("4", 1)
    assert tx_result["result"]["code"] == 5
    assert tx_result["result"]["log"] == "insufficient funds"
    assert tx_result["result"]["data"] == ""
    assert second["events"]["tx.hash"] == [tx_hash_hex(TO_CAROL)]
    assert second["events"]["tx.height"] == ["4"]
    assert second["events"]["transfer.recipient"] == ["carol"]


def test_delivery_is_filtered_by_query() -> None:
    bus = EventBus()
    to_bob = bus.subscribe("ws-1", parse("tm.event='Tx' AND transfer.recipient='bob'"))
    high = bus.subscribe("ws-2", parse("tm.event='Tx' AND tx.height>4"))
    blocks = bus.subscribe("ws-3", parse("tm.event='NewBlock' AND block.height=5"))
    publish(bus, 4, [TO_BOB, TO_CAROL])
    publish(bus, 5, [TO_CAROL])
    assert [m["events"]["tx.hash"] for m in drain(to_bob.receive)] == [[tx_hash_hex(TO_BOB)]]
    assert [m["events"]["tx.height"] for m in drain(high.receive)] == [["5"]]
    assert [m["events"]["block.height"] for m in drain(blocks.receive)] == [["5"]]


def test_delivery_matches_attributes_left_out_of_the_tx_index() -> None:
    # As CometBFT's event bus: ``index`` concerns only the tx index.
    bus = EventBus()
    subscription = bus.subscribe("ws-1", parse("tm.event='Tx' AND transfer.memo='hi'"))
    transfer = flagged_event("transfer", ("recipient", "bob", True), ("memo", "hi", False))
    bus.publish_block(
        make_block(4, [TO_BOB]), vectors.block_id("4"), FakeResult([FakeTxResult(events=[transfer])])
    )
    (message,) = drain(subscription.receive)
    assert message["events"]["transfer.memo"] == ["hi"]
    assert message["data"]["value"]["TxResult"]["result"]["events"][0]["attributes"] == [
        {"key": "recipient", "value": "bob", "index": True},
        {"key": "memo", "value": "hi", "index": False},
    ]


def test_empty_block_delivers_no_tx_events() -> None:
    bus = EventBus()
    txs = bus.subscribe("ws-1", parse("tm.event='Tx'"))
    blocks = bus.subscribe("ws-1", parse("tm.event='NewBlock'"))
    publish(bus, 1, [])
    assert drain(txs.receive) == []
    assert len(drain(blocks.receive)) == 1


def test_no_delivery_after_unsubscribe() -> None:
    bus = EventBus()
    subscription = bus.subscribe("ws-1", parse("tm.event='NewBlock'"))
    bus.unsubscribe("ws-1", "tm.event='NewBlock'")
    publish(bus, 1, [])
    with pytest.raises(trio.EndOfChannel):
        subscription.receive.receive_nowait()


def test_slow_subscriber_is_cancelled_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_module, "SUBSCRIPTION_BUFFER", 3)
    bus = EventBus()
    slow = bus.subscribe("ws-slow", parse("tm.event='NewBlock'"))
    fast = bus.subscribe("ws-fast", parse("tm.event='NewBlock'"))
    for height in range(1, 6):
        publish(bus, height, [])
        assert len(drain(fast.receive)) == 1
    assert "not pulling messages fast enough" in slow.cancelled
    assert [m["events"]["block.height"] for m in drain(slow.receive)] == [["1"], ["2"], ["3"]]
    with pytest.raises(trio.EndOfChannel):
        slow.receive.receive_nowait()
    assert fast.cancelled == ""
    assert (bus.num_clients(), bus.num_subscriptions()) == (1, 1)


def test_subscriber_that_hung_up_is_dropped() -> None:
    bus = EventBus()
    gone = bus.subscribe("ws-1", parse("tm.event='NewBlock'"))
    gone.receive.close()
    publish(bus, 1, [])
    assert bus.num_subscriptions() == 0


async def test_subscriber_receives_while_blocks_are_published() -> None:
    bus = EventBus()
    subscription = bus.subscribe("ws-1", parse("tm.event='NewBlock'"))
    heights = []

    async def reader() -> None:
        async for message in subscription.receive:
            heights.append(message["events"]["block.height"][0])

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        for height in range(1, 4):
            publish(bus, height, [])
            await trio.testing.wait_all_tasks_blocked()
        bus.unsubscribe("ws-1", "tm.event='NewBlock'")
    assert heights == ["1", "2", "3"]


# -- tx waiters ------------------------------------------------------------------------------------


def test_tx_waiter_woken_on_publish() -> None:
    bus = EventBus()
    waiter = bus.tx_waiter(hashlib.sha256(TO_CAROL).digest())
    publish(bus, 9, [TO_BOB, TO_CAROL])
    committed = waiter.receive_nowait()
    assert (committed.height, committed.index, committed.tx) == (9, 1, TO_CAROL)
    assert committed.record.code == 5
    assert committed.record.events[0].attributes[0].value == "carol"


def test_tx_waiter_not_woken_by_other_txs() -> None:
    bus = EventBus()
    waiter = bus.tx_waiter(hashlib.sha256(b"not yet").digest())
    publish(bus, 1, [TO_BOB])
    with pytest.raises(trio.WouldBlock):
        waiter.receive_nowait()


def test_every_waiter_for_a_tx_is_woken() -> None:
    bus = EventBus()
    tx_hash = hashlib.sha256(TO_BOB).digest()
    one, two = bus.tx_waiter(tx_hash), bus.tx_waiter(tx_hash)
    publish(bus, 2, [TO_BOB])
    assert one.receive_nowait().height == two.receive_nowait().height == 2


def test_dropped_waiter_is_forgotten() -> None:
    bus = EventBus()
    tx_hash = hashlib.sha256(TO_BOB).digest()
    kept, dropped = bus.tx_waiter(tx_hash), bus.tx_waiter(tx_hash)
    bus.drop_tx_waiter(tx_hash, dropped)
    publish(bus, 2, [TO_BOB])
    assert kept.receive_nowait().height == 2
    bus.drop_tx_waiter(tx_hash, kept)
    assert not bus._tx_waiters


async def test_waiter_wakes_a_waiting_task() -> None:
    bus = EventBus()
    waiter = bus.tx_waiter(hashlib.sha256(TO_BOB).digest())
    heights = []

    async def wait() -> None:
        heights.append((await waiter.receive()).height)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait)
        await trio.testing.wait_all_tasks_blocked()
        publish(bus, 6, [TO_BOB])
    assert heights == [6]
