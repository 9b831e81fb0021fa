"""Application queries: ``abci_query`` paths, answered from committed state.

Cosmos gRPC paths (``/cosmos.bank.v1beta1.Query/Balance``, the modules'
services, and ``/cosmos.tx.v1beta1.Service/Simulate``) take and answer protobuf,
as cosmjs and Cosmos clients send them. Module paths (``/<module>/<name>``,
``/params``) come from the module registry; their request data is a JSON object
and their answers are JSON. ``/store`` takes a raw state key and can return a
Merkle proof of the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from cosmpy.protos.tendermint.abci import types_pb2 as abci_types

from vm.auth.ante import Mode, validate_basic
from vm.crypto import SIGNATURE_SIZE
from vm.errors import InvalidRequest, InvalidTx
from vm.execute import Admitted, TxResult, failure
from vm.gas import GasMeter
from vm.protowire import RawTx, WireError, encode_tx_raw, parse_strict
from vm.store.cache import CacheStore
from vm.tx import decode_tx

if TYPE_CHECKING:
    from vm.app import App

SIMULATE_GAS = 100_000_000
SIMULATE = "/cosmos.tx.v1beta1.Service/Simulate"


class SimulationFailed(Exception):
    """The simulated tx failed: its result carries the code and log."""

    def __init__(self, result: TxResult) -> None:
        super().__init__(result.log)
        self.result = result


def run(app: App, path: str, data: bytes, prove: bool) -> tuple[bytes, bytes, bytes]:
    """(key, value, proof) for ``path``; raises InvalidTx subclasses."""
    if path == "/store":
        return _store(app, data, prove)
    if path == "/simulate":
        result = simulate(app, data)
        return b"", msgspec.json.encode(_simulation(result)), b""
    if prove:
        raise InvalidRequest("proofs are served for /store paths only")
    if path == SIMULATE:
        return b"", simulate_service(app, data), b""
    if app.registry.serves(path):
        return b"", app.registry.service(path, app.state.values, data), b""
    answer = app.registry.query(path, app.state.values, _request(data))
    return b"", msgspec.json.encode(answer), b""


def _store(app: App, key: bytes, prove: bool) -> tuple[bytes, bytes, bytes]:
    value = app.state.values.get(key) or b""
    proof = app.state.prove(key).encode() if prove else b""
    return key, value, proof


def _request(data: bytes) -> dict[str, Any]:
    if not data:
        return {}
    try:
        request = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):  # msgspec raises UnicodeDecodeError for bad UTF-8
        raise InvalidRequest("query data must be a JSON object") from None
    if not isinstance(request, dict):
        raise InvalidRequest("query data must be a JSON object")
    return request


def simulate(app: App, tx_bytes: bytes) -> TxResult:
    """Run a tx on a throw-away copy of the check state without signature checks.

    The fee check is skipped too, so a client can learn the gas before it
    picks a fee (``--gas auto``)."""
    env = app.next_env()
    pipeline = app.pipeline
    max_tx_bytes = app.consensus_params().block.max_tx_bytes
    try:
        tx = decode_tx(tx_bytes, app.registry, max_tx_bytes, simulate=True)
        size = len(tx_bytes) + max(0, SIGNATURE_SIZE - len(tx.signature))  # as if it were signed
        if not tx.raw.signatures:
            size += 2  # the signature's field tag and length in the TxRaw
        admitted = Admitted(tx, size, validate_basic(tx, env.height, simulate=True))
    except InvalidTx as error:
        return failure(error)
    meter = GasMeter(SIMULATE_GAS)
    scratch = CacheStore(app.check_state)
    try:
        pipeline.run_ante(scratch, env, admitted, Mode.SIMULATE, meter).write()
    except InvalidTx as error:
        return failure(error, meter)
    return pipeline.run_messages(scratch, env, admitted, meter)


def _simulation(result: TxResult) -> dict[str, Any]:
    return {
        "code": result.code,
        "codespace": result.codespace,
        "log": result.log,
        "gas_used": result.gas_used,
        "data": result.data,  # base64 in JSON, as CometBFT writes a result's data
    }


def simulate_service(app: App, data: bytes) -> bytes:
    """``cosmos.tx.v1beta1.Service/Simulate``: ``tx_bytes``, or the deprecated ``tx``."""
    try:
        request = parse_strict(service_pb2.SimulateRequest, data)
    except WireError as error:
        raise InvalidRequest(str(error)) from None
    tx_bytes = request.tx_bytes or _tx_raw(request.tx)
    result = simulate(app, tx_bytes)
    if result.code != 0:
        raise SimulationFailed(result)
    answer = service_pb2.SimulateResponse(
        gas_info=abci_pb2.GasInfo(gas_wanted=result.gas_wanted, gas_used=result.gas_used),
        result=abci_pb2.Result(
            data=result.data,  # deprecated in Cosmos, still filled: the same TxMsgData
            events=abci_events(result.events),
            msg_responses=abci_pb2.TxMsgData.FromString(result.data).msg_responses,
        ),
    )
    return bytes(answer.SerializeToString(deterministic=True))


def _tx_raw(tx: tx_pb2.Tx) -> bytes:
    body = tx.body.SerializeToString(deterministic=True)
    auth_info = tx.auth_info.SerializeToString(deterministic=True)
    return encode_tx_raw(RawTx(body, auth_info, tuple(tx.signatures)))


class AttributeLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def index(self) -> bool: ...


class EventLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def attributes(self) -> Sequence[AttributeLike]: ...


def abci_events(events: Sequence[EventLike]) -> list[abci_types.Event]:
    """Events as ABCI's protobuf ``Event`` (a tx's events, or the node's stored records)."""
    return [
        abci_types.Event(
            type=event.type,
            attributes=[
                abci_types.EventAttribute(key=a.key, value=a.value, index=a.index) for a in event.attributes
            ],
        )
        for event in events
    ]
