"""A Python client for a depind node: JSON-RPC calls, queries, and building,
signing and broadcasting transactions. The CLI is built on it."""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from genesis.schema import AuthParams
from node.keys.hd import PrivateKey
from vm.auth.keeper import required_fee
from vm.msg import Msg
from vm.tx import Fee, SignMode, sign_bytes, signed, unsigned_tx
from vm.types import Coin

DEFAULT_NODE = "http://127.0.0.1:26657"
DEFAULT_GAS = 200_000
GAS_ADJUSTMENT_NUM, GAS_ADJUSTMENT_DEN = 13, 10  # --gas auto adds 30%, as Cosmos' default 1.3


class ClientError(Exception):
    """The node answered with an error, or could not be reached."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BroadcastResult:
    hash: str
    code: int
    codespace: str
    log: str
    height: int = 0
    gas_wanted: int = 0
    gas_used: int = 0
    data: bytes = b""  # a committed tx's TxMsgData: each message's response


class Client:
    def __init__(self, url: str = DEFAULT_NODE, timeout: float = 30.0) -> None:
        self.url = url if "://" in url else f"http://{url}"
        self.url = self.url.replace("tcp://", "http://")
        self._http = httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, **params: Any) -> Any:
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = self._http.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach node at {self.url}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            raise ClientError(
                f"node at {self.url} answered HTTP {response.status_code} without JSON"
            ) from None
        if "error" in body:
            error = body["error"]
            detail = error.get("data") or error.get("message")
            raise ClientError(f"{detail} (code {error.get('code')})", int(error.get("code", 0)))
        return body["result"]

    # -- queries ---------------------------------------------------------------

    def status(self) -> Any:
        return self.call("status")

    def chain_id(self) -> str:
        return str(self.status()["node_info"]["network"])

    def height(self) -> int:
        return int(self.status()["sync_info"]["latest_block_height"])

    def account(self, address: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = self.call("account", address=address)
        except ClientError as exc:
            if exc.code == -32001:
                return None
            raise
        return result

    def balance(self, address: str, denom: str) -> int:
        result = self.call("balances", address=address, denom=denom)
        return int(result["balances"][0]["amount"])

    def auth_params(self) -> AuthParams:
        return AuthParams(**self.call("params", module="auth")["auth"])

    def tx(self, tx_hash: str) -> Any:
        return self.call("tx", hash=tx_hash)

    def wait_for_tx(self, tx_hash: str, timeout: float = 30.0, poll: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.tx(tx_hash)
            except ClientError as exc:
                if exc.code != -32001 or time.monotonic() > deadline:
                    raise
            time.sleep(poll)

    # -- transactions ------------------------------------------------------------

    def simulate(self, tx: bytes) -> int:
        result = self.call("simulate", tx=base64.b64encode(tx).decode())
        if result["code"] != 0:
            raise ClientError(f"simulation failed: {result['log']}", result["code"])
        return int(result["gas_used"])

    def broadcast(self, tx: bytes, mode: str = "sync") -> BroadcastResult:
        method = {
            "sync": "broadcast_tx_sync",
            "async": "broadcast_tx_async",
            "commit": "broadcast_tx_commit",
        }[mode]
        result = self.call(method, tx=base64.b64encode(tx).decode())
        if mode != "commit":
            return BroadcastResult(result["hash"], result["code"], result["codespace"], result["log"])
        check, deliver = result["check_tx"], result["tx_result"]
        outcome = deliver if check["code"] == 0 else check
        return BroadcastResult(
            result["hash"],
            outcome["code"],
            outcome["codespace"],
            outcome["log"],
            int(result["height"]),
            int(outcome.get("gas_wanted", 0)),
            int(outcome.get("gas_used", 0)),
            base64.b64decode(outcome.get("data", "")),
        )


def build_tx(
    key: PrivateKey,
    chain_id: str,
    account_number: int,
    sequence: int,
    messages: Sequence[Msg],
    fee: Sequence[Coin],
    gas_limit: int,
    memo: str = "",
    timeout_height: int = 0,
    mode: SignMode = SignMode.DIRECT,
) -> bytes:
    """A signed Cosmos ``TxRaw`` (docs/encoding.md)."""
    tx = unsigned_tx(
        messages,
        pubkey=key.public_key,
        sequence=sequence,
        fee=Fee(list(fee), gas_limit),
        memo=memo,
        timeout_height=timeout_height,
        mode=mode,
    )
    return signed(tx, key.sign(sign_bytes(tx, chain_id, account_number, sequence)))


def tx_hash_hex(tx: bytes) -> str:
    return hashlib.sha256(tx).hexdigest().upper()


@dataclass
class Signer:
    """Signs and sends txs for one key, tracking its sequence locally."""

    client: Client
    key: PrivateKey
    chain_id: str = ""
    account_number: int = -1
    sequence: int = -1

    def refresh(self) -> None:
        if not self.chain_id:
            self.chain_id = self.client.chain_id()
        account = self.client.account(self.key.address)
        if account is None:
            raise ClientError(f"account {self.key.address} does not exist on chain; fund it first")
        self.account_number, self.sequence = (
            int(account["account_number"]),
            int(account["sequence"]),
        )

    def build(
        self,
        messages: Sequence[Msg],
        gas: int | None = None,
        fees: Sequence[Coin] | None = None,
        memo: str = "",
        params: AuthParams | None = None,
    ) -> bytes:
        """``gas`` None means simulate and add 30%; ``fees`` None means the minimum for the gas."""
        if self.account_number < 0:
            self.refresh()
        params = params or self.client.auth_params()
        if gas is None:
            probe_fee = [Coin(params.fee_denom, max(required_fee(params, DEFAULT_GAS), 1))]
            probe = build_tx(
                self.key,
                self.chain_id,
                self.account_number,
                self.sequence,
                messages,
                probe_fee,
                DEFAULT_GAS,
                memo,
            )
            gas = self.client.simulate(probe) * GAS_ADJUSTMENT_NUM // GAS_ADJUSTMENT_DEN
        if fees is None:
            amount = required_fee(params, gas)
            fees = [Coin(params.fee_denom, amount)] if amount else []
        return build_tx(
            self.key, self.chain_id, self.account_number, self.sequence, messages, fees, gas, memo
        )

    def send(self, messages: Sequence[Msg], mode: str = "sync", **kwargs: Any) -> BroadcastResult:
        tx = self.build(messages, **kwargs)
        result = self.client.broadcast(tx, mode)
        if result.height > 0 or (mode != "commit" and result.code == 0):
            self.sequence += 1  # admitted: the chain now expects the next sequence
        return result
