"""The transaction format: Cosmos SDK v0.50's protobuf ``TxRaw`` (docs/encoding.md).

``TxRaw {body_bytes, auth_info_bytes, signatures}`` carries the body and auth
info as the bytes the signer saw. In SIGN_MODE_DIRECT the signature is over
``SignDoc {body_bytes, auth_info_bytes, chain_id, account_number}`` built from
those bytes as received, never re-encoded; in SIGN_MODE_LEGACY_AMINO_JSON it is
over the Amino JSON document of the decoded tx (vm/amino.py). Either way the
signer signs SHA-256 of the sign bytes with secp256k1.

Decoding is strict: the size limit before any parsing, ``TxRaw`` in its one
canonical layout, unknown fields rejected anywhere (ADR-020, critical or not),
and one signer per tx. Messages are decoded by the module registry, which alone
knows the message set. The tx hash is SHA-256 of the ``TxRaw`` bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import IntEnum
from typing import Protocol

import msgspec
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from cosmpy.protos.cosmos.crypto.secp256k1 import keys_pb2
from cosmpy.protos.cosmos.tx.signing.v1beta1 import signing_pb2
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.message import Message

from vm import amino
from vm.codec import ConversionError, MessageCodec, codec_for, pack, type_url
from vm.errors import (
    InvalidPubKey,
    InvalidRequest,
    NoSignatures,
    NotSupported,
    TooManySignatures,
    TxDecodeError,
    TxTooLarge,
    Unauthorized,
    UnknownExtensionOptions,
)
from vm.msg import Msg
from vm.protowire import RawTx, WireError, encode_sign_doc, encode_tx_raw, parse_strict, parse_tx_raw
from vm.types import Coin

MAX_TX_BYTES = 64 * 1024
MAX_MESSAGES = 64
SECP256K1_PUBKEY = type_url(keys_pb2.PubKey)
PUBKEY_SIZE = 33
_PUBKEY_TAG = bytes([0x0A, PUBKEY_SIZE])  # PubKey.key: field 1, length-delimited, 33 bytes


class SignMode(IntEnum):
    DIRECT = signing_pb2.SIGN_MODE_DIRECT
    LEGACY_AMINO_JSON = signing_pb2.SIGN_MODE_LEGACY_AMINO_JSON


_SIGN_MODES = {mode.value: mode for mode in SignMode}


# The decoded-tx structs are not tracked by the garbage collector (``gc=False``): they never
# refer back to themselves, and the node keeps thousands of them in its decode cache, which
# every collection would otherwise walk (measured: about a tenth of the node's CPU at saturation).


class Fee(msgspec.Struct, frozen=True, gc=False):
    amount: list[Coin]
    gas_limit: int
    payer: str = ""  # empty: the signer pays
    granter: str = ""  # fee grants are not supported: always empty in an accepted tx


class TxBody(msgspec.Struct, frozen=True, gc=False):
    messages: list[Msg]
    memo: str
    timeout_height: int  # 0: no timeout
    wire: list[Message]  # the messages as decoded from their Any (for Amino JSON)


class AuthInfo(msgspec.Struct, frozen=True, gc=False):
    pubkey: bytes | None  # None: use the key the account already has
    sequence: int | None  # None only in simulation without signer info: the account's
    mode: SignMode
    fee: Fee


class Tx(msgspec.Struct, frozen=True, gc=False):
    body: TxBody
    auth_info: AuthInfo
    signature: bytes
    raw: RawTx


class MessageDecoder(Protocol):
    def decode_message(self, message: AnyPb) -> tuple[Msg, Message]: ...


_coin = MessageCodec(Coin, coin_pb2.Coin)


def tx_hash(tx_bytes: bytes) -> bytes:
    return hashlib.sha256(tx_bytes).digest()


def decode_tx(
    tx_bytes: bytes, messages: MessageDecoder, max_bytes: int = MAX_TX_BYTES, simulate: bool = False
) -> Tx:
    """The tx ``tx_bytes`` encode, or a typed rejection (docs/encoding.md lists the codes).

    ``simulate`` accepts what a client sends to learn the gas before it signs: no signer
    info or signature, sign mode UNSPECIFIED (read as DIRECT)."""
    if len(tx_bytes) > max_bytes:
        raise TxTooLarge(f"{len(tx_bytes)} bytes; the limit is {max_bytes}")
    if not tx_bytes:
        raise TxDecodeError("tx bytes are empty")
    try:
        raw = parse_tx_raw(tx_bytes)
        body = parse_strict(tx_pb2.TxBody, raw.body_bytes)
        auth = parse_strict(tx_pb2.AuthInfo, raw.auth_info_bytes)
        decoded_body = _body(body, messages)
        auth_info = _simulated_auth_info(auth) if simulate else _auth_info(auth)
        signature = (raw.signatures or (b"",))[0] if simulate else _signature(raw, auth)
        tx = Tx(decoded_body, auth_info, signature, raw)
    except (WireError, ConversionError) as error:
        raise TxDecodeError(str(error)) from None
    if tx.auth_info.mode is SignMode.LEGACY_AMINO_JSON:
        _require_canonical(raw, body, auth, tx.body.wire)
        _require_amino_form(tx.body.wire)
    return tx


def _body(body: tx_pb2.TxBody, messages: MessageDecoder) -> TxBody:
    if body.extension_options:
        raise UnknownExtensionOptions(f"unknown extension option {body.extension_options[0].type_url}")
    if not 1 <= len(body.messages) <= MAX_MESSAGES:
        raise InvalidRequest(f"a tx carries 1 to {MAX_MESSAGES} messages, not {len(body.messages)}")
    try:
        decoded = [messages.decode_message(any_) for any_ in body.messages]
    except InvalidRequest as error:
        raise TxDecodeError(error.detail) from None
    return TxBody([m for m, _ in decoded], body.memo, body.timeout_height, [w for _, w in decoded])


def _auth_info(auth: tx_pb2.AuthInfo) -> AuthInfo:
    if auth.HasField("tip"):
        raise NotSupported("tips are not supported")
    if not auth.signer_infos:
        raise NoSignatures("the tx has no signer info")
    if len(auth.signer_infos) > 1:
        raise TooManySignatures(f"one signer per tx; this one has {len(auth.signer_infos)}")
    info = auth.signer_infos[0]
    if info.mode_info.WhichOneof("sum") != "single":
        raise NotSupported("only single-key signatures are supported (no multisig)")
    mode = info.mode_info.single.mode
    sign_mode = _SIGN_MODES.get(mode)
    if sign_mode is None:
        name = signing_pb2.SignMode.Name(mode) if mode in signing_pb2.SignMode.values() else str(mode)
        raise NotSupported(f"sign mode {name}; use SIGN_MODE_DIRECT or SIGN_MODE_LEGACY_AMINO_JSON")
    fee = auth.fee
    if fee.granter:
        raise NotSupported("fee grants are not supported")
    amount = [_coin.read(coin) for coin in fee.amount]
    return AuthInfo(_pubkey(info), info.sequence, sign_mode, Fee(amount, fee.gas_limit, fee.payer))


def _simulated_auth_info(auth: tx_pb2.AuthInfo) -> AuthInfo:
    """A probe may leave the sign mode UNSPECIFIED (read as DIRECT) or have no signer info
    (the account's own sequence is then used)."""
    if not auth.signer_infos:
        amount = [_coin.read(coin) for coin in auth.fee.amount]
        return AuthInfo(None, None, SignMode.DIRECT, Fee(amount, auth.fee.gas_limit, auth.fee.payer))
    mode_info = auth.signer_infos[0].mode_info
    if mode_info.WhichOneof("sum") != "multi" and mode_info.single.mode == signing_pb2.SIGN_MODE_UNSPECIFIED:
        mode_info.single.mode = SignMode.DIRECT  # the parsed copy only; the bytes are unchanged
    return _auth_info(auth)


def _pubkey(info: tx_pb2.SignerInfo) -> bytes | None:
    if not info.HasField("public_key"):
        return None
    packed = info.public_key
    if packed.type_url != SECP256K1_PUBKEY:
        raise InvalidPubKey(f"public key type {packed.type_url!r}; expected {SECP256K1_PUBKEY}")
    value = packed.value
    if len(value) != len(_PUBKEY_TAG) + PUBKEY_SIZE or not value.startswith(_PUBKEY_TAG):
        raise InvalidPubKey(f"expected PubKey{{key: {PUBKEY_SIZE}-byte compressed key}} in its one encoding")
    return bytes(value[len(_PUBKEY_TAG) :])


def _signature(raw: RawTx, auth: tx_pb2.AuthInfo) -> bytes:
    if len(raw.signatures) != len(auth.signer_infos):
        raise Unauthorized(
            f"wrong number of signatures; expected {len(auth.signer_infos)}, got {len(raw.signatures)}"
        )
    return bytes(raw.signatures[0])


def _require_canonical(raw: RawTx, body: tx_pb2.TxBody, auth: tx_pb2.AuthInfo, wire: list[Message]) -> None:
    """An Amino JSON signature does not cover the protobuf bytes, so those must be the one
    canonical encoding: anyone could otherwise re-encode a signed tx and change its hash."""
    canonical = (
        body.SerializeToString(deterministic=True) == raw.body_bytes
        and auth.SerializeToString(deterministic=True) == raw.auth_info_bytes
        and all(
            m.SerializeToString(deterministic=True) == a.value
            for m, a in zip(wire, body.messages, strict=True)
        )
    )
    if not canonical:
        raise TxDecodeError("an Amino JSON signed tx must be canonically encoded")


def _require_amino_form(wire: list[Message]) -> None:
    """Every message of an Amino JSON signed tx has an Amino JSON form (so its sign bytes exist)."""
    try:
        for message in wire:
            amino.message_json(message)
    except amino.AminoError as error:
        raise TxDecodeError(f"no Amino JSON form: {error}") from None


def sign_bytes(tx: Tx, chain_id: str, account_number: int, sequence: int) -> bytes:
    """What the signer signed (SHA-256 of these bytes), in the tx's sign mode."""
    if tx.auth_info.mode is SignMode.DIRECT:
        return direct_sign_bytes(tx.raw.body_bytes, tx.raw.auth_info_bytes, chain_id, account_number)
    return amino_sign_bytes(tx, chain_id, account_number, sequence)


def amino_sign_bytes(tx: Tx, chain_id: str, account_number: int, sequence: int) -> bytes:
    """The tx's Amino JSON sign document, whatever mode it was signed in."""
    fee = tx.auth_info.fee
    return amino.sign_doc(
        chain_id=chain_id,
        account_number=account_number,
        sequence=sequence,
        timeout_height=tx.body.timeout_height,
        memo=tx.body.memo,
        fee_amount=[_coin.write(coin) for coin in fee.amount],
        gas_limit=fee.gas_limit,
        payer=fee.payer,
        granter=fee.granter,
        msgs=tx.body.wire,
    )


def direct_sign_bytes(body_bytes: bytes, auth_info_bytes: bytes, chain_id: str, account_number: int) -> bytes:
    return encode_sign_doc(body_bytes, auth_info_bytes, chain_id, account_number)


def unsigned_tx(
    messages: Sequence[Msg],
    *,
    pubkey: bytes | None,
    sequence: int,
    fee: Fee,
    memo: str = "",
    timeout_height: int = 0,
    mode: SignMode = SignMode.DIRECT,
) -> Tx:
    """An unsigned tx in its canonical encoding; sign ``sign_bytes`` of it, then ``signed``."""
    wire = [codec_for(type(m)).write(m) for m in messages]
    body = tx_pb2.TxBody(messages=[pack(w) for w in wire], memo=memo, timeout_height=timeout_height)
    signer = tx_pb2.SignerInfo(
        mode_info=tx_pb2.ModeInfo(single=tx_pb2.ModeInfo.Single(mode=mode.value)), sequence=sequence
    )
    if pubkey is not None:
        signer.public_key.CopyFrom(pack(keys_pb2.PubKey(key=pubkey)))
    auth = tx_pb2.AuthInfo(
        signer_infos=[signer],
        fee=tx_pb2.Fee(
            amount=[_coin.write(c) for c in fee.amount],
            gas_limit=fee.gas_limit,
            payer=fee.payer,
            granter=fee.granter,
        ),
    )
    raw = RawTx(body.SerializeToString(deterministic=True), auth.SerializeToString(deterministic=True), ())
    return Tx(
        TxBody(list(messages), memo, timeout_height, wire), AuthInfo(pubkey, sequence, mode, fee), b"", raw
    )


def signed(tx: Tx, signature: bytes) -> bytes:
    """The ``TxRaw`` bytes of ``tx`` with its signature."""
    return encode_tx_raw(tx.raw._replace(signatures=(signature,)))
