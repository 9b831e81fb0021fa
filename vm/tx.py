"""The transaction format (docs/encoding.md).

A tx is ``Tx(body, auth_info, signature)``. The signer signs
``sign_bytes = encode(SignDoc(body, auth_info, account_number))`` with
secp256k1 over SHA-256 of those bytes; chain id and sequence in the body and
auth info prevent replay across chains and within one.

Messages are decoded by the module registry, which alone knows the message set.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import msgspec

from vm.encoding import Canonical, encode
from vm.errors import InvalidTx, TxDecodeError, TxTooLarge, UnknownRequest
from vm.msg import Msg
from vm.types import Coin, Uint64

MAX_TX_BYTES = 64 * 1024
MAX_MESSAGES = 64


class Fee(Canonical, frozen=True):
    amount: list[Coin]
    gas_limit: Uint64


class TxBody(Canonical, frozen=True):
    chain_id: str
    messages: list[Any]  # Msg values; decoded through the registry (``MessageDecoder``)
    memo: str
    timeout_height: Uint64  # 0: no timeout


class AuthInfo(Canonical, frozen=True):
    pubkey: bytes  # 33-byte compressed secp256k1
    sequence: Uint64
    fee: Fee


class SignDoc(Canonical, frozen=True):
    body: TxBody
    auth_info: AuthInfo
    account_number: Uint64


class Tx(Canonical, frozen=True):
    body: TxBody
    auth_info: AuthInfo
    signature: bytes


class MessageDecoder(Protocol):
    def decode_message(self, raw: bytes) -> Msg: ...


class _WireBody(Canonical, frozen=True):
    """TxBody as it is read first: each message still undecoded, for the registry."""

    chain_id: str
    messages: list[msgspec.Raw]
    memo: str
    timeout_height: Uint64


class _WireTx(Canonical, frozen=True):
    body: _WireBody
    auth_info: AuthInfo
    signature: bytes


_outline = msgspec.msgpack.Decoder(_WireTx)


def sign_bytes(body: TxBody, auth_info: AuthInfo, account_number: int) -> bytes:
    return encode(SignDoc(body, auth_info, account_number))


def tx_hash(tx_bytes: bytes) -> bytes:
    return hashlib.sha256(tx_bytes).digest()


def decode_tx(tx_bytes: bytes, messages: MessageDecoder, max_bytes: int = MAX_TX_BYTES) -> Tx:
    """The tx ``tx_bytes`` encode, or a typed rejection: oversize, malformed, unknown message
    type or not canonical (every tx has exactly one encoding)."""
    if len(tx_bytes) > max_bytes:
        raise TxTooLarge(f"{len(tx_bytes)} bytes; the limit is {max_bytes}")
    try:
        outline = _outline.decode(tx_bytes)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise TxDecodeError(str(exc)) from None
    if len(outline.body.messages) > MAX_MESSAGES:
        raise TxDecodeError(f"a tx carries at most {MAX_MESSAGES} messages")
    try:
        decoded = [messages.decode_message(m) for m in outline.body.messages]
    except UnknownRequest:
        raise
    except InvalidTx as error:
        raise TxDecodeError(error.detail) from None
    body = outline.body
    tx = Tx(
        TxBody(body.chain_id, decoded, body.memo, body.timeout_height), outline.auth_info, outline.signature
    )
    if encode(tx) != tx_bytes:
        raise TxDecodeError("non-canonical encoding")
    return tx


def encode_tx(tx: Tx) -> bytes:
    return encode(tx)
