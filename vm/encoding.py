"""The canonical binary encoding: msgspec Structs as MessagePack arrays.

Everything hashed or signed (txs, blocks, votes, state values) is a Struct
declared with ``array_like=True``, so fields are encoded positionally in
declaration order. Decoding is strict: wrong types, missing or extra fields,
trailing bytes and oversize inputs are rejected, and so is any input whose
re-encoding differs from it (non-minimal integers, maps instead of arrays,
str/bin confusion), which makes the encoding of a value unique. Values read
back from the node's own state skip that check (``stored_decoder``).
See docs/encoding.md.
"""

from __future__ import annotations

from collections.abc import Callable
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


encode: Callable[[Any], bytes] = _encoder.encode  # the encoder's own method: no call in between


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


def stored_decoder(type_: type[T]) -> Callable[[bytes], T]:
    """``decode`` for values read back from the state, without the canonical check: every
    value there was written by ``encode`` (what txs, genesis and peers bring is decoded with
    the check before anything is stored), so re-encoding it on each read proves nothing new.
    Hot state reads bind it once per type; bytes that do not decode (a corrupt database) still
    raise msgspec's errors, a fault of the node and never of a tx."""
    return _decoder(type_).decode
