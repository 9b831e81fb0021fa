"""Strict decoding of Cosmos SDK transaction wire bytes.

A Cosmos tx hash is the SHA-256 of the TxRaw bytes, so a TxRaw that has more
than one accepted encoding would give one transaction several hashes. The hand
parser below accepts only the canonical proto3 encoding of TxRaw: fields in
order, each at most once (signatures excepted), minimal varints, no empty
body/auth_info, no unknown fields, no trailing bytes. This is stricter than
cosmos-sdk's ADR-027 check (x/auth/tx/decoder.go rejectNonADR027TxRaw).

The inner messages (TxBody, AuthInfo, ...) are parsed by the protobuf runtime
and then checked for unknown fields as in ADR-020, stricter again: non-critical
field numbers (>= 1024) are rejected as well.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

from cosmpy.protos.cosmos.tx.v1beta1.tx_pb2 import TxRaw as _TxRaw
from google.protobuf.message import DecodeError, Message
from google.protobuf.unknown_fields import UnknownFieldSet

__all__ = ["RawTx", "WireError", "encode_tx_raw", "parse_strict", "parse_tx_raw", "reject_unknown_fields"]

M = TypeVar("M", bound=Message)

_MAX_VARINT_BYTES = 10
_WIRE_LEN = 2
_FIELD_NAMES = {1: "body_bytes", 2: "auth_info_bytes", 3: "signatures"}
# Canonical one-byte tags of TxRaw's fields (field << 3 | wire type 2).
_TAG_FIELD = {0x0A: 1, 0x12: 2, 0x1A: 3}


class WireError(ValueError):
    """Bytes that are not a strict encoding of the expected protobuf message."""


class RawTx(NamedTuple):
    """The three fields of cosmos.tx.v1beta1.TxRaw; the bytes a tx hash covers."""

    body_bytes: bytes
    auth_info_bytes: bytes
    signatures: tuple[bytes, ...]


def _read_varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """Decode a multi-byte varint at ``pos`` (callers handle one-byte ones inline)."""
    start = pos
    value = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise WireError(f"TxRaw: truncated {what} varint at byte {start}")
        if pos - start >= _MAX_VARINT_BYTES:
            raise WireError(f"TxRaw: {what} varint longer than {_MAX_VARINT_BYTES} bytes at byte {start}")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            break
        shift += 7
    if value >= 1 << 64:
        raise WireError(f"TxRaw: {what} varint exceeds 2**64-1 at byte {start}")
    if byte == 0 and pos - start > 1:
        raise WireError(f"TxRaw: non-minimal {what} varint at byte {start}")
    return value, pos


def _tag_error(tag: int, at: int) -> WireError:
    """Why a decoded tag is not one of TxRaw's three canonical one-byte tags."""
    field, wire_type = tag >> 3, tag & 7
    if field == 0:
        return WireError(f"TxRaw: field number 0 at byte {at}")
    if field not in _FIELD_NAMES:
        return WireError(f"TxRaw: unknown field {field} at byte {at}")
    return WireError(f"TxRaw: field {field} has wire type {wire_type}, expected 2, at byte {at}")


def _order_error(field: int, last: int, at: int) -> WireError:
    """Fields 1 and 2 come at most once and in order, then any number of field 3."""
    if field == last:
        return WireError(f"TxRaw: duplicate field {field} ({_FIELD_NAMES[field]}) at byte {at}")
    return WireError(f"TxRaw: field {field} after field {last} at byte {at}")


def parse_tx_raw(data: bytes) -> RawTx:
    """Parse TxRaw bytes, accepting only the canonical encoding so each tx has exactly one hash.

    The protobuf runtime (C) parses; its canonical re-encoding, without unknown fields,
    must be the input. Only a rejection goes through the byte-by-byte reading below,
    which says what is wrong and where."""
    data = bytes(data)  # no copy for bytes; slices must be bytes for RawTx
    try:
        parsed = _TxRaw.FromString(data)
        parsed.DiscardUnknownFields()  # any unknown field makes the re-encoding differ
        if parsed.SerializeToString(deterministic=True) == data:
            return RawTx(parsed.body_bytes, parsed.auth_info_bytes, tuple(parsed.signatures))
    except (DecodeError, ValueError):
        pass
    return _read_tx_raw(data)


def _read_tx_raw(data: bytes) -> RawTx:
    end = len(data)
    pos = 0
    last = 0
    body = auth = b""
    signatures: list[bytes] = []
    while pos < end:
        at = pos
        tag = data[pos]
        field = _TAG_FIELD.get(tag, 0)
        if not field:
            if tag >= 0x80:
                tag, _ = _read_varint(data, pos, "tag")  # minimal multi-byte tags have field >= 16
            raise _tag_error(tag, at)
        pos += 1
        if field < last or (field == last and field != 3):
            raise _order_error(field, last, at)
        if pos >= end:
            raise WireError(f"TxRaw: missing length of field {field} at byte {pos}")
        length = data[pos]
        if length < 0x80:
            pos += 1
        else:
            length, pos = _read_varint(data, pos, "length")
        stop = pos + length
        if stop > end:
            raise WireError(
                f"TxRaw: field {field} length {length} exceeds the {end - pos} remaining bytes at byte {at}"
            )
        value = data[pos:stop]
        pos = stop
        if field == 3:
            signatures.append(value)
        elif not length:
            raise WireError(f"TxRaw: field {field} ({_FIELD_NAMES[field]}) is explicitly empty at byte {at}")
        elif field == 1:
            body = value
        else:
            auth = value
        last = field
    return RawTx(body, auth, tuple(signatures))


def _varint(value: int) -> bytes:
    """Minimal varint encoding of a non-negative integer."""
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_tx_raw(raw: RawTx) -> bytes:
    """The canonical TxRaw encoding: the one byte string ``parse_tx_raw`` accepts for ``raw``."""
    parts: list[bytes] = []
    if raw.body_bytes:
        parts += (b"\x0a", _varint(len(raw.body_bytes)), raw.body_bytes)
    if raw.auth_info_bytes:
        parts += (b"\x12", _varint(len(raw.auth_info_bytes)), raw.auth_info_bytes)
    for signature in raw.signatures:
        parts += (b"\x1a", _varint(len(signature)), signature)
    return b"".join(parts)


def encode_sign_doc(body_bytes: bytes, auth_info_bytes: bytes, chain_id: str, account_number: int) -> bytes:
    """``SignDoc{body_bytes, auth_info_bytes, chain_id, account_number}`` as the protobuf
    runtime's deterministic encoding writes it (fields in order, defaults left out), built
    directly: every tx's signature check needs it."""
    parts: list[bytes] = []
    if body_bytes:
        parts += (b"\x0a", _varint(len(body_bytes)), body_bytes)
    if auth_info_bytes:
        parts += (b"\x12", _varint(len(auth_info_bytes)), auth_info_bytes)
    if chain_id:
        chain = chain_id.encode()
        parts += (b"\x1a", _varint(len(chain)), chain)
    if account_number:
        parts += (b"\x20", _varint(account_number))
    return b"".join(parts)


def _check_unknown(message: Message, path: str) -> None:
    """Raise on the first unknown field of ``message`` or, depth first, of any message inside it."""
    unknown = UnknownFieldSet(message)
    if len(unknown):
        number = unknown[0].field_number
        if number in message.DESCRIPTOR.fields_by_number:
            # upb keeps a known field sent with the wrong wire type as an unknown field.
            raise WireError(f"field {number} with wrong wire type {unknown[0].wire_type} in {path}")
        raise WireError(f"unknown field {number} in {path}")
    for descriptor, value in message.ListFields():
        entry = descriptor.message_type
        if entry is None:  # scalar, string, bytes or enum
            continue
        name = f"{path}.{descriptor.name}"
        if not descriptor.is_repeated:
            _check_unknown(value, name)
        elif entry.GetOptions().map_entry:
            if entry.fields_by_name["value"].message_type is not None:
                for key, item in value.items():
                    _check_unknown(item, f"{name}[{key!r}]")
        else:
            for index, item in enumerate(value):
                _check_unknown(item, f"{name}[{index}]")


def reject_unknown_fields(message: Message) -> None:
    """ADR-020 unknown-field rejection, critical or not, so that bytes the chain ignores can't ride along.

    google.protobuf.Any values are not decoded here; callers parse their bytes with ``parse_strict``.
    """
    _check_unknown(message, message.DESCRIPTOR.full_name)


def parse_strict(cls: type[M], data: bytes) -> M:
    """Parse ``data`` as ``cls``, turning every parse failure and any unknown field into WireError."""
    message = cls()
    try:
        message.ParseFromString(data)
    except (DecodeError, ValueError) as error:  # ValueError covers UnicodeDecodeError in other backends
        raise WireError(f"{cls.DESCRIPTOR.full_name}: {error}") from None
    # Fast path: dropping unknown fields (in C) changes the size only if there were any;
    # then the walk names the first one.
    size = message.ByteSize()
    message.DiscardUnknownFields()
    if message.ByteSize() != size:
        reject_unknown_fields(cls.FromString(data))
    return message
