"""A message on the tx gossip topic: ``decode_batch`` (a MessagePack list of txs), then the
duplicate filter that every tx of a batch passes through.

Rejection: ``InvalidBatchError``. Promise checked: a batch decodes to non-empty txs."""

from __future__ import annotations

from node.p2p.txgossip import InvalidBatchError, SeenTxs, decode_batch, encode_batch, tx_hash
from tests.fuzz.support import check
from tests.fuzz.txs import shapes

SEEN = 64


def fuzz_one(data: bytes) -> None:
    try:
        txs = decode_batch(data)
    except InvalidBatchError:
        return
    check(bool(txs) and all(isinstance(tx, bytes) and tx for tx in txs), "a batch holds non-empty txs")
    seen = SeenTxs(SEEN)
    for tx in txs:
        seen.add(tx_hash(tx))
    check(len(seen) <= SEEN, "the duplicate filter stays within its capacity")


def seeds() -> dict[str, bytes]:
    txs = list(shapes().values())
    return {
        "one-tx": encode_batch(txs[:1]),
        "four-txs": encode_batch(txs),
        "repeated": encode_batch(txs[:1] * 3),
    }
