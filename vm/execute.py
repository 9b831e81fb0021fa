"""One path for every transaction: decode, stateless checks, the ante handler, then
its messages. CheckTx, DeliverTx and simulate differ only in their mode.

Ante changes (fee, sequence) are kept once the ante passes; message changes
are kept only if every message succeeds, so a failed tx still pays its fee.
A tx whose messages all succeed answers with their responses, in message order,
as Cosmos SDK v0.50 does: ``data`` is the marshalled ``TxMsgData {msg_responses}``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from google.protobuf.any_pb2 import Any as AnyPb

from vm.auth.ante import AnteHandler, Mode, validate_basic
from vm.context import BlockEnv, Context, Event, TypedEvent
from vm.errors import InvalidTx, NodeFault, Panic
from vm.gas import GasMeter
from vm.registry import Registry
from vm.store.cache import CacheStore, GasStore, ReadStore, Store
from vm.store.kv import StorageFailure
from vm.tx import Tx, decode_tx
from vm.types import Address, format_coins

NODE_FAULTS = (MemoryError, RecursionError, StorageFailure)
"""Failures of this node, not of the tx: they may differ between nodes, so they must
never become a tx result (this node's app hash would differ from the others')."""


DECODED_TXS = 10_000  # about 2.3 KB each; more costs more in garbage collection than it saves


@dataclass(frozen=True)
class TxResult:
    code: int = 0
    codespace: str = ""
    log: str = ""
    data: bytes = b""  # TxMsgData of the messages' responses; empty unless they all succeeded
    gas_wanted: int = 0
    gas_used: int = 0
    events: list[Event] = field(default_factory=list)
    sender: bytes = b""
    sequence: int = 0
    fee: int = 0


class TxFee(TypedEvent, tag="tx", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"fee_payer"})

    fee: str
    fee_payer: str


def failure(error: InvalidTx, meter: GasMeter | None = None, events: list[Event] | None = None) -> TxResult:
    """The result of a rejected or failed tx; gas used never exceeds the limit."""
    if meter is None:
        return TxResult(error.code, error.codespace, error.log)
    used = min(meter.consumed, meter.limit)
    return TxResult(
        error.code, error.codespace, error.log, gas_wanted=meter.limit, gas_used=used, events=events or []
    )


class Admitted(NamedTuple):
    """A decoded tx that passed the stateless checks."""

    tx: Tx
    size: int
    signer: Address


class TxPipeline:
    def __init__(self, registry: Registry, decoded_txs: int = DECODED_TXS) -> None:
        self.registry = registry
        self.decoded_txs = decoded_txs
        self.ante = AnteHandler(registry.keeper("auth"), registry.keeper("bank"))
        self._decoded: OrderedDict[bytes, Tx] = OrderedDict()

    def decode(self, tx_bytes: bytes, max_tx_bytes: int) -> Tx:
        """``decode_tx``, remembered for the last ``decoded_txs`` txs: a tx is decoded at
        CheckTx, at every recheck while it waits in the mempool, when a block is packed and
        in FinalizeBlock, and its bytes always decode to the same value (rejections are not
        remembered)."""
        found = self._decoded.get(tx_bytes)
        if found is not None and len(tx_bytes) <= max_tx_bytes:
            return found
        tx = decode_tx(tx_bytes, self.registry, max_tx_bytes)
        if len(self._decoded) >= self.decoded_txs:
            self._decoded.popitem(last=False)  # the oldest (a dict's first key is O(n) to find)
        self._decoded[tx_bytes] = tx
        return tx

    def admit(self, tx_bytes: bytes, env: BlockEnv, max_tx_bytes: int) -> Admitted:
        """Decode and check what needs no state; raises ``InvalidTx``."""
        tx = self.decode(tx_bytes, max_tx_bytes)
        return Admitted(tx, len(tx_bytes), validate_basic(tx, env.height))

    def run_ante(
        self, store: ReadStore, env: BlockEnv, admitted: Admitted, mode: Mode, meter: GasMeter
    ) -> CacheStore:
        """The ante handler in a cache over ``store``, for the caller to keep (``write``) or drop;
        raises ``InvalidTx``, and then nothing of it remains."""
        ante = CacheStore(store)
        self.ante.run(
            Context(GasStore(ante, meter), env, meter), admitted.tx, admitted.size, admitted.signer, mode
        )
        return ante

    def deliver(
        self, store: CacheStore, env: BlockEnv, tx_bytes: bytes, max_tx_bytes: int, mode: Mode = Mode.DELIVER
    ) -> TxResult:
        """Execute ``tx_bytes`` on ``store`` (a block cache); bad input becomes a result.
        ``mode`` is DELIVER in a block, GENESIS for the gentxs of InitChain."""
        try:
            admitted = self.admit(tx_bytes, env, max_tx_bytes)
        except InvalidTx as error:
            return failure(error)
        meter = GasMeter(admitted.tx.auth_info.fee.gas_limit)
        try:
            self.run_ante(store, env, admitted, mode, meter).write()
        except InvalidTx as error:
            return failure(error, meter)
        return self.run_messages(store, env, admitted, meter)

    def run_messages(self, store: CacheStore, env: BlockEnv, admitted: Admitted, meter: GasMeter) -> TxResult:
        tx = admitted.tx
        messages = CacheStore(store)
        ctx = Context(GasStore(messages, meter), env, meter)
        ctx.emit(TxFee(fee=format_coins(tx.auth_info.fee.amount), fee_payer=tx.body.messages[0].signer()))
        fee_paid = list(ctx.events)  # a failed tx still paid its fee: keep that event
        try:
            responses = [self.registry.route(ctx, message) for message in tx.body.messages]
        except InvalidTx as error:
            return failure(error, meter, fee_paid)
        except NODE_FAULTS as fault:
            raise NodeFault(f"{type(fault).__name__} while executing a tx: {fault}") from fault
        except Exception as error:  # a handler bug fails the tx the same way on every node
            return failure(Panic(type(error).__name__), meter, fee_paid)
        messages.write()
        return TxResult(
            data=encode_msg_data(responses),
            gas_wanted=meter.limit,
            gas_used=meter.consumed,
            events=ctx.events,
            sender=admitted.signer,
            sequence=tx.auth_info.sequence or 0,  # None only when simulating
        )


def encode_msg_data(responses: list[AnyPb]) -> bytes:
    """A successful tx's result data (Cosmos's ``makeABCIData``): ``TxMsgData`` with one
    packed ``<Msg>Response`` per message, in message order."""
    return bytes(abci_pb2.TxMsgData(msg_responses=responses).SerializeToString(deterministic=True))


def hook_context(store: Store, env: BlockEnv, gas_limit: int) -> Context:
    """Block hooks are metered too: their work is bounded by queues and budgets
    (vm/queue.py), and a hook past ``gas_limit`` is a bug that stops the chain."""
    return Context(store, env, GasMeter(gas_limit))
