"""What the node stores about executed blocks and txs, for RPC and indexing."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from consensus.abci import EventLike, FinalizeResultLike, TxResultLike


class Attribute(msgspec.Struct, array_like=True, frozen=True):
    key: str
    value: str
    index: bool = True  # results stored before the flag was kept: every attribute was indexed


class EventRecord(msgspec.Struct, array_like=True, frozen=True):
    type: str
    attributes: list[Attribute]


class TxRecord(msgspec.Struct, array_like=True, frozen=True):
    code: int
    codespace: str
    log: str
    gas_wanted: int
    gas_used: int
    events: list[EventRecord]
    data: bytes = b""  # the app's answer (the SDK's TxMsgData), in the results hash; older records: none


class BlockResults(msgspec.Struct, array_like=True, frozen=True):
    height: int
    txs_results: list[TxRecord]
    finalize_block_events: list[EventRecord]
    app_hash: bytes


class TxLocation(msgspec.Struct, array_like=True, frozen=True):
    height: int
    index: int


def events_of(events: Sequence[EventLike]) -> list[EventRecord]:
    return [EventRecord(e.type, [Attribute(a.key, a.value, a.index) for a in e.attributes]) for e in events]


def tx_record(result: TxResultLike) -> TxRecord:
    return TxRecord(
        result.code,
        result.codespace,
        result.log,
        result.gas_wanted,
        result.gas_used,
        events_of(result.events),
        result.data,
    )


def block_results(height: int, result: FinalizeResultLike) -> BlockResults:
    return BlockResults(
        height, [tx_record(r) for r in result.tx_results], events_of(result.events), result.app_hash
    )
