"""The event bus: NewBlock and Tx events to WebSocket subscribers and to
``broadcast_tx_commit`` callers waiting for their tx.

Each subscription has a bounded buffer; a subscriber that falls behind is
cancelled with a reason rather than slowing block production (CometBFT does
the same).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import trio

from consensus.abci import EventLike, FinalizeResultLike
from consensus.types import Block, BlockID
from node.query import Query
from node.rpc import present
from node.storage.records import TxRecord, events_of, tx_record

SUBSCRIPTION_BUFFER = 1000
MAX_SUBSCRIPTIONS_PER_CLIENT = 5


class SubscriptionError(Exception):
    """Too many subscriptions, or a duplicate query."""


@dataclass
class Subscription:
    client: str
    query: Query
    send: trio.MemorySendChannel[dict[str, Any]]
    receive: trio.MemoryReceiveChannel[dict[str, Any]]
    cancelled: str = ""


@dataclass
class CommittedTx:
    height: int
    index: int
    tx: bytes
    record: TxRecord


@dataclass
class EventBus:
    _subs: dict[str, dict[str, Subscription]] = field(default_factory=lambda: defaultdict(dict))
    _tx_waiters: dict[bytes, list[trio.MemorySendChannel[CommittedTx]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def subscribe(self, client: str, query: Query) -> Subscription:
        mine = self._subs[client]
        if query.text in mine:
            raise SubscriptionError(f"already subscribed to {query.text!r}")
        if len(mine) >= MAX_SUBSCRIPTIONS_PER_CLIENT:
            raise SubscriptionError(f"at most {MAX_SUBSCRIPTIONS_PER_CLIENT} subscriptions per client")
        send, receive = trio.open_memory_channel[dict[str, Any]](SUBSCRIPTION_BUFFER)
        mine[query.text] = subscription = Subscription(client, query, send, receive)
        return subscription

    def unsubscribe(self, client: str, query_text: str) -> bool:
        subscription = self._subs[client].pop(query_text, None)
        if subscription is None:
            return False
        subscription.send.close()
        return True

    def unsubscribe_all(self, client: str) -> int:
        subs = self._subs.pop(client, {})
        for subscription in subs.values():
            subscription.send.close()
        return len(subs)

    def num_clients(self) -> int:
        return sum(1 for subs in self._subs.values() if subs)

    def num_subscriptions(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def tx_waiter(self, tx_hash: bytes) -> trio.MemoryReceiveChannel[CommittedTx]:
        send, receive = trio.open_memory_channel[CommittedTx](1)
        self._tx_waiters[tx_hash].append(send)
        return receive

    def drop_tx_waiter(self, tx_hash: bytes, receive: trio.MemoryReceiveChannel[CommittedTx]) -> None:
        receive.close()
        waiters = self._tx_waiters.get(tx_hash, [])
        alive = [w for w in waiters if w.statistics().open_receive_channels > 0]
        if alive:
            self._tx_waiters[tx_hash] = alive
        else:
            self._tx_waiters.pop(tx_hash, None)

    def publish_block(self, block: Block, id_: BlockID, result: FinalizeResultLike) -> None:
        height = block.header.height
        subscribed = self.num_subscriptions() > 0
        if not subscribed and not self._tx_waiters:
            return  # nobody to tell: skip building the records
        committed = [
            CommittedTx(height, i, tx, tx_record(r))
            for i, (tx, r) in enumerate(zip(block.data.txs, result.tx_results, strict=True))
            if subscribed or hashlib.sha256(tx).digest() in self._tx_waiters
        ]
        for tx in committed:
            self._wake_tx_waiters(tx)
        if not subscribed:
            return
        block_events = _event_map("NewBlock", result.events, height)
        block_data = {
            "type": "tendermint/event/NewBlock",
            "value": {"block": present.block(block), "block_id": present.block_id(id_)},
        }
        self._deliver(block_events, block_data)
        for tx in committed:
            events = _event_map("Tx", [], height, tx)
            self._deliver(events, _tx_data(tx))

    def _wake_tx_waiters(self, tx: CommittedTx) -> None:
        for waiter in self._tx_waiters.pop(hashlib.sha256(tx.tx).digest(), []):
            with contextlib.suppress(trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                waiter.send_nowait(tx)

    def _deliver(self, events: dict[str, list[str]], data: dict[str, Any]) -> None:
        for client, subs in list(self._subs.items()):
            for text, subscription in list(subs.items()):
                if not subscription.query.matches(events):
                    continue
                message = {"query": text, "data": data, "events": events}
                try:
                    subscription.send.send_nowait(message)
                except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                    subscription.cancelled = "client is not pulling messages fast enough"
                    self.unsubscribe(client, text)


def _event_map(
    kind: str, events: Sequence[EventLike], height: int, tx: CommittedTx | None = None
) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = defaultdict(list)
    mapping["tm.event"].append(kind)
    records = events_of(events) if tx is None else tx.record.events
    for event in records:
        for attribute in event.attributes:
            mapping[f"{event.type}.{attribute.key}"].append(attribute.value)
    if tx is not None:
        mapping["tx.hash"].append(present.hex_upper(hashlib.sha256(tx.tx).digest()))
        mapping["tx.height"].append(str(height))
    else:
        mapping["block.height"].append(str(height))
    return dict(mapping)


def _tx_data(tx: CommittedTx) -> dict[str, Any]:
    return {
        "type": "tendermint/event/Tx",
        "value": {
            "TxResult": {
                "height": str(tx.height),
                "index": tx.index,
                "tx": present.b64(tx.tx),
                "result": present.tx_result(tx.record),
            }
        },
    }
