"""The transaction format (docs/encoding.md).

A tx is ``Tx(body, auth_info, signature)``. The signer signs
``sign_bytes = encode(SignDoc(body, auth_info, account_number))`` with
secp256k1 over SHA-256 of those bytes; chain id and sequence in the body and
auth info prevent replay across chains and within one.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from vm.bank.msgs import MsgMultiSend, MsgSend
from vm.encoding import Canonical, DecodeError, decode, encode
from vm.errors import TxDecodeError, TxTooLarge, UnknownRequest
from vm.provider.msgs import MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider
from vm.types import Coin, Uint64

Message = MsgSend | MsgMultiSend | MsgRegisterProvider | MsgUpdateProvider | MsgExitProvider
MESSAGE_TYPES: tuple[type[Any], ...] = (
    MsgSend,
    MsgMultiSend,
    MsgRegisterProvider,
    MsgUpdateProvider,
    MsgExitProvider,
)
KNOWN_TAGS = frozenset(t.__struct_config__.tag for t in MESSAGE_TYPES)
MAX_TX_BYTES = 64 * 1024
MAX_MESSAGES = 64


class Fee(Canonical, frozen=True):
    amount: list[Coin]
    gas_limit: Uint64


class TxBody(Canonical, frozen=True):
    chain_id: str
    messages: list[Message]
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


def sign_bytes(body: TxBody, auth_info: AuthInfo, account_number: int) -> bytes:
    return encode(SignDoc(body, auth_info, account_number))


def tx_hash(tx_bytes: bytes) -> bytes:
    return hashlib.sha256(tx_bytes).digest()


def decode_tx(tx_bytes: bytes, max_bytes: int = MAX_TX_BYTES) -> Tx:
    if len(tx_bytes) > max_bytes:
        raise TxTooLarge(f"{len(tx_bytes)} bytes; the limit is {max_bytes}")
    try:
        return decode(tx_bytes, Tx)
    except DecodeError as exc:
        unknown = _unknown_message_tag(tx_bytes)
        if unknown is not None:
            raise UnknownRequest(f"unknown message type {unknown!r}") from None
        raise TxDecodeError(str(exc)) from None


def _unknown_message_tag(tx_bytes: bytes) -> str | None:
    """The first message tag this chain does not know, if the tx has the right outline."""
    try:
        outline = msgspec.msgpack.decode(tx_bytes)
        messages = outline[0][1]
        tags = [m[0] for m in messages if isinstance(m, list) and m]
    except (msgspec.DecodeError, UnicodeDecodeError, IndexError, KeyError, TypeError):
        return None
    return next((t for t in tags if isinstance(t, str) and t not in KNOWN_TAGS), None)


def encode_tx(tx: Tx) -> bytes:
    return encode(tx)
