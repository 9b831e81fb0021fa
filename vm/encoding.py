"""The canonical binary encoding: msgspec Structs as MessagePack arrays.

Everything hashed or signed (txs, blocks, votes, state values) is a Struct
declared with ``array_like=True``, so fields are encoded positionally in
declaration order. Decoding is strict: wrong types, missing or extra fields,
trailing bytes and oversize inputs are rejected, and so is any input whose
re-encoding differs from it (non-minimal integers, maps instead of arrays,
str/bin confusion), which makes the encoding of a value unique.
See docs/encoding.md.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.msgpack.Encoder()
_decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}

# Field bounds used by every Struct: unsigned 64-bit integers and byte strings.
Uint64 = msgspec.Meta(ge=0, le=2**63 - 1)


class Canonical(msgspec.Struct, array_like=True, forbid_unknown_fields=True, frozen=True):
    """Base of every hashed or signed value."""


class DecodeError(ValueError):
    """Bytes that are not the canonical encoding of the expected type."""


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def _decoder(type_: Any) -> msgspec.msgpack.Decoder[Any]:
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = _decoders[type_] = msgspec.msgpack.Decoder(type_)
    return decoder


def decode(data: bytes, type_: type[T] | Any, max_size: int | None = None) -> T:
    """Decode ``data`` as ``type_``; raise DecodeError unless it is canonical."""
    if max_size is not None and len(data) > max_size:
        raise DecodeError(f"{len(data)} bytes exceeds the limit of {max_size}")
    try:
        value = _decoder(type_).decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise DecodeError(str(exc)) from None  # msgspec raises UnicodeDecodeError for bad UTF-8
    if _encoder.encode(value) != data:
        raise DecodeError("non-canonical encoding")
    return value  # type: ignore[no-any-return]
