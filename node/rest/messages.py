"""A route's request message, built as grpc-gateway builds it: from the path parameters
and query string of a GET (``pagination.limit=10``, ``events=a&events=b``; fields by
their proto or JSON name, bytes in base64, enums by name or number), or from the
proto3 JSON body of a POST. Anything that names no field, or does not parse as the
field's type, is an InvalidArgument error that says which parameter it was.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from node.services import ServiceError, Status
from vm.errors import InvalidTx
from vm.market.msgs import validate_gpu_class
from vm.market.types import GpuClass
from vm.protowire import RawTx, encode_tx_raw

M = TypeVar("M", bound=Message)

MAX_QUERY_ITEMS = 64
MAX_NUMBER_CHARS = 24  # a 64-bit integer in decimal, with room for a sign
_INTEGER = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?")
_BOOLS = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}  # Go's ParseBool
_INTEGERS = {
    FieldDescriptor.CPPTYPE_INT32,
    FieldDescriptor.CPPTYPE_INT64,
    FieldDescriptor.CPPTYPE_UINT32,
    FieldDescriptor.CPPTYPE_UINT64,
}
_FLOATS = {FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE}


def invalid(message: str) -> ServiceError:
    return ServiceError(Status.InvalidArgument, message)


def from_query(cls: type[M], path_params: Mapping[str, str], items: Sequence[tuple[str, str]]) -> M:
    """The request of a GET: path parameters, then the query string (repeated names for
    repeated fields)."""
    if len(items) > MAX_QUERY_ITEMS:
        raise invalid(f"more than {MAX_QUERY_ITEMS} query parameters")
    message = cls()
    for name, value in path_params.items():
        set_field(message, name, [value])
    grouped: dict[str, list[str]] = {}
    for name, value in items:
        grouped.setdefault(name, []).append(value)
    for name, values in grouped.items():
        if name in path_params:
            raise invalid(f"{name} is part of the path; it cannot be a query parameter too")
        set_field(message, name, values)
    return message


def set_field(message: Message, dotted: str, values: list[str]) -> None:
    """Set the scalar field that ``dotted`` names (``pagination.limit``) from text."""
    *parents, leaf_name = dotted.split(".")
    target = message
    for part in parents:
        parent = _field(target, part, dotted)
        if parent.message_type is None or parent.is_repeated:
            raise invalid(f"parameter {dotted!r}: {part} is not a message field")
        target = getattr(target, parent.name)
    leaf = _field(target, leaf_name, dotted)
    if leaf.message_type is not None:
        raise invalid(f"parameter {dotted!r} is a message; give its fields ({dotted}.<field>)")
    parsed = [scalar(leaf, value, dotted) for value in values]
    if not leaf.is_repeated and len(parsed) > 1:
        raise invalid(f"parameter {dotted!r} is given {len(parsed)} times; it takes one value")
    try:
        if leaf.is_repeated:
            getattr(target, leaf.name).extend(parsed)
        else:
            setattr(target, leaf.name, parsed[0])
    except (ValueError, TypeError) as error:  # out of the field's range
        raise invalid(f"parameter {dotted!r}: {error}") from None


def _field(message: Message, name: str, dotted: str) -> FieldDescriptor:
    descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        if name in (field.name, field.json_name):
            return cast(FieldDescriptor, field)  # the stubs also name upb's twin of the class
    raise invalid(f"unknown parameter {dotted!r} for {descriptor.full_name}")


def scalar(field: FieldDescriptor, text: str, dotted: str) -> Any:
    """``text`` as a value of ``field``'s type."""
    cpp_type = field.cpp_type
    if field.type == FieldDescriptor.TYPE_BYTES:
        return _base64(text, dotted)
    if cpp_type == FieldDescriptor.CPPTYPE_STRING:
        return text
    if cpp_type == FieldDescriptor.CPPTYPE_BOOL and text.lower() in _BOOLS:
        return _BOOLS[text.lower()]
    if cpp_type in _INTEGERS and len(text) <= MAX_NUMBER_CHARS and _INTEGER.fullmatch(text):
        return int(text)
    if cpp_type in _FLOATS and len(text) <= MAX_NUMBER_CHARS and _FLOAT.fullmatch(text):
        return float(text)
    if cpp_type == FieldDescriptor.CPPTYPE_ENUM and field.enum_type is not None:
        value = field.enum_type.values_by_name.get(text)
        if value is not None:
            return value.number
        if len(text) <= MAX_NUMBER_CHARS and _INTEGER.fullmatch(text):
            return int(text)
    raise invalid(f"parameter {dotted!r}: {text[:64]!r} is not a valid {_type_name(field)}")


def _base64(text: str, dotted: str) -> bytes:
    """Standard or URL-safe base64, padded or not, as grpc-gateway takes bytes."""
    normalized = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalized + "=" * (-len(normalized) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"parameter {dotted!r} must be base64") from None


def _type_name(field: FieldDescriptor) -> str:
    if field.enum_type is not None:
        return f"{field.enum_type.full_name} (a name or a number)"
    if field.cpp_type in _FLOATS:
        return "number"
    return {FieldDescriptor.CPPTYPE_BOOL: "bool"}.get(field.cpp_type, "integer")


def from_body(cls: type[M], raw: bytes) -> M:
    """The request of a POST: its proto3 JSON body (field names as in proto or camelCase)."""
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        raise invalid("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid("body must be a JSON object")
    message = cls()
    try:
        json_format.ParseDict(data, message)
    except json_format.ParseError as error:
        raise invalid(f"body: {error}") from None
    return message


def simulate_tx_bytes(request: Any) -> None:
    """``SimulateRequest``: the application simulates TxRaw bytes, so a ``tx`` sent as JSON
    (the older form, which cosmpy sends) becomes the bytes it serializes to, as the SDK
    does: a ``Tx`` and its ``TxRaw`` share one encoding."""
    if request.tx_bytes or not request.HasField("tx"):
        return
    tx = request.tx
    raw = RawTx(
        bytes(tx.body.SerializeToString(deterministic=True)),
        bytes(tx.auth_info.SerializeToString(deterministic=True)),
        tuple(tx.signatures),
    )
    request.tx_bytes = encode_tx_raw(raw)
    request.ClearField("tx")


def require_gpu_class(request: Any) -> None:
    """``QueryPriceIndexRequest``: a whole GPU class (``gpu_class.model``,
    ``gpu_class.memory_mib``, ``gpu_class.compute_capability``), checked as offers are."""
    wanted = request.gpu_class
    try:
        validate_gpu_class(GpuClass(wanted.model, wanted.memory_mib, wanted.compute_capability))
    except InvalidTx as error:
        raise invalid(f"gpu_class: {error.detail}") from None
