"""Tx batches on the wire and the de-duplication set (no network)."""

from __future__ import annotations

import msgspec
import pytest

from node.p2p.txgossip import InvalidBatchError, SeenTxs, decode_batch, encode_batch, tx_hash


def test_batch_round_trip() -> None:
    txs = [b"a", b"\x00" * 300, bytes(range(256))]
    assert decode_batch(encode_batch(txs)) == txs


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        encode_batch([b"a"]) + b"\x00",  # trailing bytes
        msgspec.msgpack.encode([1, 2]),
        msgspec.msgpack.encode("tx"),
        encode_batch([]),
        encode_batch([b"a", b""]),
    ],
)
def test_invalid_batch(data: bytes) -> None:
    with pytest.raises(InvalidBatchError):
        decode_batch(data)


def test_seen_txs_reports_new_hashes_once() -> None:
    seen = SeenTxs(capacity=10)
    assert seen.add(tx_hash(b"a"))
    assert not seen.add(tx_hash(b"a"))
    assert seen.add(tx_hash(b"b"))


def test_seen_txs_forgets_the_oldest_beyond_capacity() -> None:
    seen = SeenTxs(capacity=2)
    for tx in (b"a", b"b", b"c"):
        seen.add(tx_hash(tx))
    assert len(seen) == 2
    assert seen.add(tx_hash(b"a"))  # forgotten, so new again
    assert not seen.add(tx_hash(b"c"))
