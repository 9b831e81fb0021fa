"""Running one transaction against a store: ante checks, then its messages.

Ante changes (fee, sequence) are kept once the ante passes; message changes
are kept only if every message succeeds, so a failed tx still pays its fee.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vm.auth.ante import Mode, run_ante, validate_basic
from vm.bank.keeper import BankKeeper
from vm.context import BlockEnv, Context, Event
from vm.errors import InvalidTx, Panic
from vm.gas import GasMeter
from vm.router import route
from vm.store.cache import CacheStore, GasStore
from vm.tx import Tx, decode_tx
from vm.types import Address, format_coins

BANK = BankKeeper()


@dataclass(frozen=True)
class TxResult:
    code: int = 0
    codespace: str = ""
    log: str = ""
    gas_wanted: int = 0
    gas_used: int = 0
    events: list[Event] = field(default_factory=list)
    sender: bytes = b""
    sequence: int = 0
    fee: int = 0


def failure(error: InvalidTx, meter: GasMeter | None = None, events: list[Event] | None = None) -> TxResult:
    """The result of a rejected or failed tx; gas used never exceeds the limit."""
    if meter is None:
        return TxResult(error.code, error.codespace, error.log)
    used = min(meter.consumed, meter.limit)
    return TxResult(error.code, error.codespace, error.log, meter.limit, used, events or [])


def deliver_tx(store: CacheStore, env: BlockEnv, tx_bytes: bytes, max_tx_bytes: int) -> TxResult:
    """Execute ``tx_bytes`` on ``store`` (a block cache); never raises for bad input."""
    try:
        tx = decode_tx(tx_bytes, max_tx_bytes)
        signer = validate_basic(tx, env.chain_id, env.height)
    except InvalidTx as error:
        return failure(error)
    meter = GasMeter(tx.auth_info.fee.gas_limit)
    ante = CacheStore(store)
    try:
        run_ante(
            Context(GasStore(ante, meter), env, meter),
            tx,
            len(tx_bytes),
            signer,
            BANK,
            Mode.DELIVER,
        )
    except InvalidTx as error:
        return failure(error, meter)
    ante.write()
    return run_messages(store, env, tx, signer, meter)


def run_messages(store: CacheStore, env: BlockEnv, tx: Tx, signer: Address, meter: GasMeter) -> TxResult:
    messages = CacheStore(store)
    ctx = Context(GasStore(messages, meter), env, meter)
    ctx.emit("tx", fee=format_coins(tx.auth_info.fee.amount), fee_payer=tx.body.messages[0].signer())
    fee_paid = list(ctx.events)  # a failed tx still paid its fee: keep that event
    try:
        for message in tx.body.messages:
            route(ctx, message, BANK)
    except InvalidTx as error:
        return failure(error, meter, fee_paid)
    except Exception as error:  # a handler bug must fail the tx the same way on every node
        return failure(Panic(type(error).__name__), meter, fee_paid)
    messages.write()
    return TxResult(
        gas_wanted=meter.limit,
        gas_used=meter.consumed,
        events=ctx.events,
        sender=signer,
        sequence=tx.auth_info.sequence,
    )
