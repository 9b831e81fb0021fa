"""Application queries: ``abci_query`` paths, answered from committed state.

Request data for module paths is a JSON object; answers are JSON. ``/store``
takes a raw state key and can return a Merkle proof of the answer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from vm.auth import keeper as auth
from vm.auth.ante import Mode, run_ante, validate_basic
from vm.bank import keeper as bank
from vm.context import Context
from vm.crypto import SIGNATURE_SIZE
from vm.errors import InvalidRequest, InvalidTx, NotFound, UnknownRequest
from vm.execute import BANK, TxResult, failure, run_messages
from vm.gas import GasMeter
from vm.params.queries import query_params
from vm.provider import keeper as provider
from vm.provider.genesis import to_json
from vm.store.cache import CacheStore, GasStore, ReadStore
from vm.tx import decode_tx, encode_tx
from vm.types import parse_address

if TYPE_CHECKING:
    from vm.app import App

MAX_PAGE = 100
SIMULATE_GAS = 100_000_000


def run(app: App, path: str, data: bytes, prove: bool) -> tuple[bytes, bytes, bytes]:
    """(key, value, proof) for ``path``; raises InvalidTx subclasses."""
    if path == "/store":
        return _store(app, data, prove)
    if path == "/simulate":
        result = simulate(app, data)
        return b"", msgspec.json.encode(_simulation(result)), b""
    handler = ROUTES.get(path)
    if handler is None:
        raise UnknownRequest(f"unknown query path {path!r}; paths: /store, /simulate, {', '.join(ROUTES)}")
    if prove:
        raise InvalidRequest("proofs are served for /store paths only")
    return b"", msgspec.json.encode(handler(app.state.values, _request(data))), b""


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


def _text(request: dict[str, Any], name: str, default: str | None = None) -> str:
    value = request.get(name, default)
    if not isinstance(value, str):
        raise InvalidRequest(f"query needs a string {name!r}")
    return value


def account(store: ReadStore, request: dict[str, Any]) -> Any:
    address = _text(request, "address")
    found = auth.get_account(store, parse_address(address))
    if found is None:
        raise NotFound(f"account {address} not found")
    return {
        "address": address,
        "account_number": found.account_number,
        "sequence": found.sequence,
        "pub_key": base64.b64encode(found.pubkey).decode() if found.pubkey else None,
    }


def balances(store: ReadStore, request: dict[str, Any]) -> Any:
    address = parse_address(_text(request, "address"))
    denom = request.get("denom")
    if isinstance(denom, str):
        return {"balances": [{"denom": denom, "amount": str(bank.get_balance(store, address, denom))}]}
    coins = bank.get_all_balances(store, address)
    return {"balances": [{"denom": c.denom, "amount": str(c.amount)} for c in coins]}


def supply(store: ReadStore, request: dict[str, Any]) -> Any:
    coins = bank.get_total_supply(store)
    return {"supply": [{"denom": c.denom, "amount": str(c.amount)} for c in coins]}


def provider_info(store: ReadStore, request: dict[str, Any]) -> Any:
    owner = _text(request, "owner")
    found = provider.get_provider(store, parse_address(owner))
    if found is None:
        raise NotFound(f"provider {owner} not found")
    return msgspec.to_builtins(to_json(found))


def providers(store: ReadStore, request: dict[str, Any]) -> Any:
    """Paginated in owner-address order; ``next_key`` resumes after the last entry."""
    limit = request.get("limit", MAX_PAGE)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be 1 to {MAX_PAGE}")
    start = _text(request, "next_key", "")
    after = parse_address(start) if start else b""
    page: list[Any] = []
    next_key: str | None = None
    for found in provider.iterate_providers(store, after):
        if len(page) == limit:
            next_key = page[-1]["owner"]
            break
        page.append(msgspec.to_builtins(to_json(found)))
    return {"providers": page, "next_key": next_key}


def params(store: ReadStore, request: dict[str, Any]) -> Any:
    module = request.get("module")
    return query_params(store, module if isinstance(module, str) else None)


ROUTES: dict[str, Callable[[ReadStore, dict[str, Any]], Any]] = {
    "/auth/account": account,
    "/bank/balances": balances,
    "/bank/supply": supply,
    "/provider/provider": provider_info,
    "/provider/providers": providers,
    "/params": params,
}


def simulate(app: App, tx_bytes: bytes) -> TxResult:
    """Run a tx on a throw-away copy of the check state without signature checks.

    The fee check is skipped too, so a client can learn the gas before it
    picks a fee (``--gas auto``)."""
    env = app.next_env()
    try:
        tx = decode_tx(tx_bytes, app.max_tx_bytes)
        if not tx.signature:  # an unsigned probe: charge its size as if it were signed
            tx = msgspec.structs.replace(tx, signature=bytes(SIGNATURE_SIZE))
            tx_bytes = encode_tx(tx)
        signer = validate_basic(tx, env.chain_id, env.height)
    except InvalidTx as error:
        return failure(error)
    meter = GasMeter(SIMULATE_GAS)
    scratch = CacheStore(app.check_state)
    try:
        ante_ctx = Context(GasStore(scratch, meter), env, meter)
        run_ante(ante_ctx, tx, len(tx_bytes), signer, BANK, Mode.SIMULATE)
    except InvalidTx as error:
        return failure(error, meter)
    return run_messages(scratch, env, tx, signer, meter)


def _simulation(result: TxResult) -> dict[str, Any]:
    return {
        "code": result.code,
        "codespace": result.codespace,
        "log": result.log,
        "gas_used": result.gas_used,
    }
