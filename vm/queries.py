"""Application queries: ``abci_query`` paths, answered from committed state.

Module paths (``/<module>/<name>``, ``/params``) come from the module registry;
their request data is a JSON object and their answers are JSON. ``/store``
takes a raw state key and can return a Merkle proof of the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from vm.auth.ante import Mode, validate_basic
from vm.crypto import SIGNATURE_SIZE
from vm.errors import InvalidRequest, InvalidTx
from vm.execute import Admitted, TxResult, failure
from vm.gas import GasMeter
from vm.store.cache import CacheStore
from vm.tx import decode_tx, encode_tx

if TYPE_CHECKING:
    from vm.app import App

SIMULATE_GAS = 100_000_000


def run(app: App, path: str, data: bytes, prove: bool) -> tuple[bytes, bytes, bytes]:
    """(key, value, proof) for ``path``; raises InvalidTx subclasses."""
    if path == "/store":
        return _store(app, data, prove)
    if path == "/simulate":
        result = simulate(app, data)
        return b"", msgspec.json.encode(_simulation(result)), b""
    if prove:
        raise InvalidRequest("proofs are served for /store paths only")
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
    except msgspec.DecodeError:
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
        tx = decode_tx(tx_bytes, app.registry, max_tx_bytes)
        if not tx.signature:  # an unsigned probe: charge its size as if it were signed
            tx = msgspec.structs.replace(tx, signature=bytes(SIGNATURE_SIZE))
            tx_bytes = encode_tx(tx)
        admitted = Admitted(tx, len(tx_bytes), validate_basic(tx, env.chain_id, env.height))
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
    }
