"""LegacyDec values in REST answers, written as Cosmos's gateway writes them.

Cosmos's protobuf carries a LegacyDec (a field with ``(cosmos_proto.scalar) =
"cosmos.Dec"``) as the integer text of its atomics: in a string field
("130000000000000000"), or as those ASCII bytes in a bytes field (x/mint's inflation).
Cosmos's REST gateway (gogoproto's jsonpb, which calls ``LegacyDec.MarshalJSON``)
writes the decimal itself, "0.130000000000000000", where proto3 JSON would write the
atomics, or the bytes in base64. Explorers and LCD clients read the decimal.
"""

from __future__ import annotations

import functools
from typing import Any

from cosmpy.protos.cosmos_proto import cosmos_pb2
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from vm import dec

_ANY = "google.protobuf.Any"
_WELL_KNOWN = "google.protobuf."


def write_decimals(message: Message, data: Any) -> None:
    """Rewrite, in ``data`` (``message`` in proto3 JSON with proto field names), each
    LegacyDec as its decimal text, in nested messages and in ``Any`` values too."""
    if not isinstance(data, dict):
        return
    if message.DESCRIPTOR.full_name == _ANY:
        inner = _unpacked(message)
        if inner is not None:
            write_decimals(inner, data)  # proto3 JSON writes an Any's fields beside its "@type"
        return
    for field in _fields(message.DESCRIPTOR):
        if field.name not in data:
            continue
        value = getattr(message, field.name)
        written = data[field.name]
        if field.message_type is not None:
            for item, shown in zip(value, written, strict=True) if field.is_repeated else [(value, written)]:
                write_decimals(item, shown)
        elif field.is_repeated:
            data[field.name] = [_decimal(v, w) for v, w in zip(value, written, strict=True)]
        else:
            data[field.name] = _decimal(value, written)


def _unpacked(packed: Message) -> Message | None:
    if not isinstance(packed, AnyPb):
        return None
    name = packed.type_url.rpartition("/")[2]
    if name.startswith(_WELL_KNOWN):
        return None  # written as {"@type", "value"}: no decimals inside
    try:
        cls = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(name))
        return cls.FromString(packed.value)
    except (KeyError, DecodeError):
        return None  # proto3 JSON could not have written it either


def _decimal(value: str | bytes, written: Any) -> Any:
    """The decimal text of a LegacyDec's atomics; anything else is left as it was written."""
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        return written
    return dec.format(int(text))


@functools.cache
def _fields(descriptor: Descriptor) -> tuple[FieldDescriptor, ...]:
    """The fields that hold a LegacyDec, or messages that may (maps aside)."""
    found = []
    for field in descriptor.fields:
        if field.message_type is not None:
            if not field.message_type.GetOptions().map_entry:
                found.append(field)
        elif _is_decimal(field):
            found.append(field)
    return tuple(found)


def _is_decimal(field: FieldDescriptor) -> bool:
    options = field.GetOptions()
    if not options.HasExtension(cosmos_pb2.scalar):
        return False
    return options.Extensions[cosmos_pb2.scalar] == "cosmos.Dec" and field.type in (
        FieldDescriptor.TYPE_STRING,
        FieldDescriptor.TYPE_BYTES,
    )
