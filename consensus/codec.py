"""Canonical encoding of consensus types: msgspec Structs as MessagePack arrays,
strictly decoded (docs/encoding.md). The application has its own copy of
these few lines, since consensus and the application share no code."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.msgpack.Encoder()


class Canonical(msgspec.Struct, array_like=True, forbid_unknown_fields=True, frozen=True):
    """Base of every hashed or signed consensus value."""


class CodecError(ValueError):
    """Bytes that are not the canonical encoding of the expected type."""


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


MAX_DECODE_BYTES = 64 * 1024 * 1024  # far above the largest block; stops a hostile length prefix


def decode(data: bytes, type_: type[T], max_size: int = MAX_DECODE_BYTES) -> T:
    if len(data) > max_size:
        raise CodecError(f"{len(data)} bytes exceeds the limit of {max_size}")
    try:
        value = msgspec.msgpack.decode(data, type=type_)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise CodecError(str(exc)) from None  # msgspec raises UnicodeDecodeError for bad UTF-8
    if _encoder.encode(value) != data:
        raise CodecError("non-canonical encoding")
    return value
