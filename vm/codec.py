"""Messages between their wire form (protobuf) and the structs handlers read.

A message struct names its protobuf type by its tag, the type URL
(``tag=type_url(bank_tx.MsgSend)``), and has the protobuf type's field names.
``MessageCodec`` pairs the two field by field, once, and then converts either
way. Conversion is strict: integers carried as decimal strings (Cosmos's
``Int`` in ``Coin.amount``) must be canonical (no sign, no leading zeros), every
integer must fit the struct's bounds, and a protobuf field the struct does not
have must be unset.

Three Cosmos shapes need more than a field-by-field copy:

- ``LegacyDec`` fields (commission rates) travel as the integer text of their atomics
  ("100000000000000000" is 0.1), so an ``int`` field reads them like any decimal;
- a nullable ``Int`` or ``LegacyDec`` (``T | None`` on a string field) is None when the
  string is empty, which is how the wire says "not set";
- an ``Any`` field is read into a struct whose tag is the type URL of the message it
  holds (a union of such structs accepts any of them), e.g. a consensus public key;
  its value must be the canonical encoding of that message, so it has one encoding.
"""

from __future__ import annotations

import functools
import keyword
from collections.abc import Callable
from typing import Any

import msgspec
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from vm.protowire import WireError, parse_strict

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]

MAX_DECIMAL_DIGITS = 78  # Cosmos's Int has 256 bits
_INT_KINDS = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_ENUM,  # its number; the struct's bounds say which are known
    }
)


class ConversionError(ValueError):
    """A protobuf value the message struct cannot hold."""


def type_url(proto: type[Message]) -> str:
    return "/" + proto.DESCRIPTOR.full_name


def pack(message: Message) -> AnyPb:
    """``message`` in an ``Any``, as Cosmos packs it (type URL ``/<full name>``)."""
    return AnyPb(type_url=type_url(type(message)), value=message.SerializeToString(deterministic=True))


def coin_pb(coin: Any) -> Message:
    """A ``vm.types.Coin`` (or genesis ``CoinJSON``) as ``cosmos.base.v1beta1.Coin``."""
    message: Message = coin_pb2.Coin(denom=coin.denom, amount=str(coin.amount))
    return message


def proto_class(url: str) -> type[Message]:
    """The generated class of a type URL (its module must have been imported)."""
    descriptor = descriptor_pool.Default().FindMessageTypeByName(url.removeprefix("/"))
    return message_factory.GetMessageClass(descriptor)


class MessageCodec:
    """One message type: its type URL, protobuf class and struct, converted both ways."""

    def __init__(self, struct: type[msgspec.Struct], proto: type[Message] | None = None) -> None:
        """``proto`` defaults to the type the struct's tag (a type URL) names."""
        self.struct = struct
        self.proto = proto or proto_class(str(struct.__struct_config__.tag))
        self.type_url = type_url(self.proto)
        info = msgspec.inspect.type_info(struct)
        assert isinstance(info, msgspec.inspect.StructType)
        self.read: Callable[[Message], Any] = _struct_reader(info, self.proto.DESCRIPTOR)
        self.write: Callable[[Any], Message] = _struct_writer(info, self.proto)


@functools.cache
def codec_for(struct: type[msgspec.Struct]) -> MessageCodec:
    return MessageCodec(struct)


def _struct_reader(info: msgspec.inspect.StructType, descriptor: Any) -> Reader:
    """A function reading the struct from its protobuf message, compiled once (as
    ``dataclasses`` compiles ``__init__``): one expression per field, no per-field calls
    for plain fields. It runs on every message of every tx."""
    names = [f.name for f in info.fields]
    extra = frozenset(descriptor.fields_by_name) - set(names)
    namespace: dict[str, Any] = {"cls": info.cls}
    values = [
        _field_expression(f.type, _field(descriptor, f.name), f"read_{i}", namespace)
        for i, f in enumerate(info.fields)
    ]
    positional = info.array_like  # messages are; genesis-style params may be keyword-only
    arguments = values if positional else [f"{n}={v}" for n, v in zip(names, values, strict=True)]
    lines = ["def read(pb):"]
    if extra:
        namespace["reject_extra"] = functools.partial(_reject_extra, extra, descriptor.full_name)
        lines.append("    reject_extra(pb)")
    lines.append(f"    return cls({', '.join(arguments)})")
    exec("\n".join(lines), namespace)
    read: Reader = namespace["read"]
    return read


def _reject_extra(extra: frozenset[str], message: str, pb: Any) -> None:
    for field, _ in pb.ListFields():
        if field.name in extra:
            raise ConversionError(f"{message}.{field.name} is not supported")


def _field_expression(
    target: msgspec.inspect.Type, field: FieldDescriptor, slot: str, namespace: dict[str, Any]
) -> str:
    """The expression that reads ``field`` of ``pb``; the functions it calls go in ``namespace``."""
    attribute = f"getattr(pb, {field.name!r})" if keyword.iskeyword(field.name) else f"pb.{field.name}"
    if field.is_repeated:
        if not isinstance(target, msgspec.inspect.ListType):
            raise TypeError(f"{field.full_name} is repeated; the struct field is not a list")
        item = _value_reader(target.item_type, field)
        if item is _same:
            return f"list({attribute})"
        namespace[slot] = item
        return f"[{slot}(item) for item in {attribute}]"
    optional = _optional_of(target)
    if optional is not None:
        namespace[slot] = _value_reader(optional, field)
        if field.message_type is not None:
            return f"({slot}({attribute}) if pb.HasField({field.name!r}) else None)"
        if field.type == FieldDescriptor.TYPE_STRING and isinstance(optional, msgspec.inspect.IntType):
            return f"({slot}({attribute}) if {attribute} else None)"  # "" is Cosmos's nil Int/Dec
        raise TypeError(f"{field.full_name}: only message and decimal-string fields may be optional")
    value = _value_reader(target, field)
    if value is _same:
        return attribute
    namespace[slot] = value
    return f"{slot}({attribute})"


def _value_reader(target: msgspec.inspect.Type, field: FieldDescriptor) -> Reader:
    if _holds_any(field, target):
        return _any_reader(_packed_structs(target, field), field.full_name)
    if field.message_type is not None:
        if not isinstance(target, msgspec.inspect.StructType):
            raise TypeError(f"{field.full_name} is a message; the struct field is not a struct")
        return _struct_reader(target, field.message_type)
    if isinstance(target, msgspec.inspect.IntType):
        check = _bounds(target, field.full_name)
        if field.type == FieldDescriptor.TYPE_STRING:
            where = field.full_name
            return lambda text: check(_parse_decimal(text, where))
        if field.type in _INT_KINDS:
            return check
    expected = _SCALARS.get(type(target))
    if expected is None or field.type not in expected:
        raise TypeError(f"{field.full_name}: struct type {target} does not match the protobuf type")
    return _same


_SCALARS: dict[type, frozenset[int]] = {
    msgspec.inspect.StrType: frozenset({FieldDescriptor.TYPE_STRING}),
    msgspec.inspect.BytesType: frozenset({FieldDescriptor.TYPE_BYTES}),
    msgspec.inspect.BoolType: frozenset({FieldDescriptor.TYPE_BOOL}),
}


def _same(value: Any) -> Any:
    return value


_ANY = "google.protobuf.Any"
_RAW_ANY_FIELDS = ("type_url", "value")


def _holds_any(field: FieldDescriptor, target: msgspec.inspect.Type) -> bool:
    """Whether ``field`` is an ``Any`` to unpack into the tagged struct(s) of ``target``. An
    untagged struct of exactly ``type_url`` and ``value`` keeps the ``Any`` as it came (a
    proposal's messages: any registered message, decoded when it runs)."""
    if field.message_type is None or field.message_type.full_name != _ANY:
        return False
    raw = (
        isinstance(target, msgspec.inspect.StructType)
        and target.tag is None
        and tuple(f.name for f in target.fields) == _RAW_ANY_FIELDS
    )
    return not raw


def _packed_structs(
    target: msgspec.inspect.Type, field: FieldDescriptor
) -> dict[str, msgspec.inspect.StructType]:
    """The structs an ``Any`` field may hold, by the type URL each is tagged with."""
    choices = target.types if isinstance(target, msgspec.inspect.UnionType) else (target,)
    structs: dict[str, msgspec.inspect.StructType] = {}
    for choice in choices:
        if not isinstance(choice, msgspec.inspect.StructType) or not str(choice.tag or "").startswith("/"):
            raise TypeError(f"{field.full_name} is an Any; its struct must be tagged with a type URL")
        structs[str(choice.tag)] = choice
    return structs


def _any_reader(structs: dict[str, msgspec.inspect.StructType], where: str) -> Reader:
    readers = {}
    for url, info in structs.items():
        proto = proto_class(url)
        readers[url] = (proto, _struct_reader(info, proto.DESCRIPTOR))

    def read(packed: AnyPb) -> Any:
        found = readers.get(packed.type_url)
        if found is None:
            expected = " or ".join(readers)
            raise ConversionError(f"{where}: holds {packed.type_url[:128]!r}; expected {expected}")
        proto, reader = found
        try:
            inner = parse_strict(proto, packed.value)
        except WireError as error:
            raise ConversionError(f"{where}: {error}") from None
        if inner.SerializeToString(deterministic=True) != packed.value:
            raise ConversionError(f"{where}: {packed.type_url} is not canonically encoded")
        return reader(inner)

    return read


def _any_writer(structs: dict[str, msgspec.inspect.StructType]) -> Writer:
    writers = {info.cls: (url, _struct_writer(info, proto_class(url))) for url, info in structs.items()}

    def write(value: Any) -> AnyPb:
        url, writer = writers[type(value)]
        return AnyPb(type_url=url, value=writer(value).SerializeToString(deterministic=True))

    return write


def _parse_decimal(text: str, where: str) -> int:
    """A canonical decimal: ASCII digits, no leading zero, an optional minus (not on zero)."""
    digits = text[1:] if text[:1] == "-" else text
    canonical = digits.isascii() and digits.isdigit() and len(digits) <= MAX_DECIMAL_DIGITS
    if not canonical or (digits[0] == "0" and len(text) > 1):
        raise ConversionError(f"{where}: {text[:80]!r} is not a canonical decimal integer")
    return int(text)


def _bounds(target: msgspec.inspect.IntType, where: str) -> Callable[[int], int]:
    low = target.ge if target.ge is not None else None
    high = target.le if target.le is not None else None

    def check(value: int) -> int:
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConversionError(f"{where}: {value} is out of range [{low}, {high}]")
        return value

    return check


def _struct_writer(info: msgspec.inspect.StructType, proto: type[Message]) -> Callable[[Any], Message]:
    descriptor = proto.DESCRIPTOR
    writers = [(f.name, _field_writer(f.type, _field(descriptor, f.name))) for f in info.fields]

    def write(value: Any) -> Message:
        fields = {name: writer(getattr(value, name)) for name, writer in writers}
        return proto(**{name: item for name, item in fields.items() if item is not None})

    return write


def _field_writer(target: msgspec.inspect.Type, field: FieldDescriptor) -> Writer:
    if field.is_repeated:
        assert isinstance(target, msgspec.inspect.ListType)
        item = _value_writer(target.item_type, field)
        return lambda values: [item(value) for value in values]
    optional = _optional_of(target)
    if optional is not None:
        value = _value_writer(optional, field)
        return lambda x: None if x is None else value(x)
    return _value_writer(target, field)


def _value_writer(target: msgspec.inspect.Type, field: FieldDescriptor) -> Writer:
    if _holds_any(field, target):
        return _any_writer(_packed_structs(target, field))
    if field.message_type is not None:
        assert isinstance(target, msgspec.inspect.StructType)
        return _struct_writer(target, message_factory.GetMessageClass(field.message_type))
    if isinstance(target, msgspec.inspect.IntType) and field.type == FieldDescriptor.TYPE_STRING:
        return str
    return _same


def _field(descriptor: Any, name: str) -> FieldDescriptor:
    field: FieldDescriptor | None = descriptor.fields_by_name.get(name)
    if field is None:
        raise TypeError(f"{descriptor.full_name} has no field {name!r}")
    return field


def _optional_of(target: msgspec.inspect.Type) -> msgspec.inspect.Type | None:
    """``T`` for a ``T | None`` field (``T`` may be a union of structs an Any holds), else None."""
    if not isinstance(target, msgspec.inspect.UnionType):
        return None
    others = tuple(t for t in target.types if not isinstance(t, msgspec.inspect.NoneType))
    if len(others) == len(target.types):
        return None  # a union without None: an Any holding one of several structs
    return others[0] if len(others) == 1 else msgspec.inspect.UnionType(types=others)
