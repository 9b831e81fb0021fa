"""SIGN_MODE_LEGACY_AMINO_JSON sign bytes, as Cosmos SDK v0.50 and cosmjs produce them.

Keplr, Ledger and cosmjs's Secp256k1HdWallet sign SHA-256 of a sorted, compact JSON "StdSignDoc".
The messages inside it follow the rules of the SDK's x/tx aminojson encoder (v0.13), read from the
`amino.*` options on the proto descriptors:

- field names are the proto names, or `(amino.field_name)`;
- a field is written only when set (proto3 presence: non-zero scalar, non-empty repeated, present
  message), unless `(amino.dont_omitempty)`; an empty repeated field written that way is `null`, or
  `[]` under `(amino.encoding) = "legacy_coins"`;
- 64-bit integers are decimal strings, 32-bit integers and enums JSON numbers, bytes base64;
- Timestamp is RFC 3339 UTC, Duration its nanoseconds as a string, Any `{"type", "value"}` named by
  the packed type's `(amino.name)` or, lacking one, "/" + its full proto name;
- `(cosmos_proto.scalar) = "cosmos.Int"` writes an empty string as "0";
- `(cosmos_proto.scalar) = "cosmos.Dec"` (a LegacyDec, whose protobuf string is the integer text of
  its atomics, "100000000000000000", or those ASCII bytes in a bytes field, as x/slashing's params;
  or a plain decimal string, "0.1", as gov v1's quorum and vote weights) is written as
  LegacyDec.String() gives it, "0.100000000000000000" (an empty value as "0").

One exception to the omission rule, for the wallets' sake: cosmjs's staking Amino converters
(@cosmjs/stargate 0.39) write every field of a validator's Description and the deprecated
MsgCreateValidator.delegator_address even when empty ("identity":""), where x/tx would leave them
out. What cosmjs, Keplr and Leap sign is what must verify, so those fields are always written.

What that encoder refuses (floats, maps, dont_omitempty on an unset message) or what depind does not
use yet (oneofs, other encodings) raises AminoError: a tx that cannot be encoded exactly is never
accepted.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from cosmpy.protos.amino import amino_pb2
from cosmpy.protos.cosmos_proto import cosmos_pb2
from google.protobuf import any_pb2, descriptor_pool, duration_pb2, message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from vm import dec

_UINT64_LIMIT = 1 << 64
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_NANOS_PER_SECOND = 1_000_000_000
# x/tx refuses a Duration whose seconds overflow int64 nanoseconds (gogoproto's time.Duration).
_MAX_DURATION_SECONDS = _INT64_MAX // _NANOS_PER_SECOND - 1
_SECONDS_PER_DAY = 86_400
_MIN_TIMESTAMP = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z

# Fields cosmjs's staking converters write even when empty (see the module docstring).
_COSMJS_ALWAYS_WRITTEN = frozenset(
    {
        "cosmos.staking.v1beta1.Description.moniker",
        "cosmos.staking.v1beta1.Description.identity",
        "cosmos.staking.v1beta1.Description.website",
        "cosmos.staking.v1beta1.Description.security_contact",
        "cosmos.staking.v1beta1.Description.details",
        "cosmos.staking.v1beta1.MsgCreateValidator.delegator_address",
    }
)

_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"
_ANY = "google.protobuf.Any"

_INT64_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    }
)
_INT32_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_ENUM,
    }
)
_FLOAT_TYPES = frozenset({FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE})
_DEC_TYPES = frozenset({FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES})

# cosmjs's escapeCharacters (and Go's encoding/json) write these three as \u escapes. Go also
# escapes U+2028/U+2029, cosmjs and Keplr do not: we follow the wallets, whose bytes get signed.
_HTML_ESCAPES = str.maketrans({"&": "\\u0026", "<": "\\u003c", ">": "\\u003e"})


class AminoError(ValueError):
    """A message that has no Amino JSON form (no amino name, unsupported field or encoding)."""


def amino_name(message: Message) -> str:
    """Return the message's `(amino.name)`, e.g. "cosmos-sdk/MsgSend"."""
    name = _message_option(_descriptor(message), amino_pb2.name)
    if not name:
        raise AminoError(f"{message.DESCRIPTOR.full_name} has no (amino.name) option")
    return str(name)


def message_json(message: Message) -> dict[str, Any]:
    """Return one entry of a sign doc's "msgs": {"type": amino name, "value": fields}.

    The SDK encodes msgs as the tx body's Anys, so a packed Any is unpacked here, and a message
    without `(amino.name)` is named by its type URL ("/" + full name), as x/tx v0.12+ does.
    """
    if message.DESCRIPTOR.full_name == _ANY:
        return _any_json(message)
    return {"type": _type_name(_descriptor(message)), "value": _message_value(message)}


def sign_doc(
    *,
    chain_id: str,
    account_number: int,
    sequence: int,
    timeout_height: int,
    memo: str,
    fee_amount: Sequence[Message],
    gas_limit: int,
    payer: str,
    granter: str,
    msgs: Sequence[Message],
) -> bytes:
    """Return the bytes a LEGACY_AMINO_JSON signer signs (the signature is over their SHA-256)."""
    fee: dict[str, Any] = {"amount": [_message_value(coin) for coin in fee_amount], "gas": _uint64(gas_limit)}
    if payer:
        fee["payer"] = payer
    if granter:
        fee["granter"] = granter
    doc: dict[str, Any] = {
        "account_number": _uint64(account_number),
        "chain_id": chain_id,
        "fee": fee,
        "memo": memo,
        # x/tx writes an empty dont_omitempty list as null; a tx without msgs is invalid anyway.
        "msgs": [message_json(msg) for msg in msgs] or None,
        "sequence": _uint64(sequence),
    }
    if timeout_height:
        doc["timeout_height"] = _uint64(timeout_height)
    return canonical_json(doc)


def canonical_json(value: Any) -> bytes:
    """Serialize as cosmjs's serializeSignDoc does: sorted keys, no spaces, &<> escaped, UTF-8."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return text.translate(_HTML_ESCAPES).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 form to sign
        raise AminoError(f"string is not valid Unicode: {exc}") from exc


def _descriptor(message: Message) -> Descriptor:
    return cast(Descriptor, message.DESCRIPTOR)  # the stubs' union with upb's Descriptor


def _uint64(value: int) -> str:
    if isinstance(value, bool) or not 0 <= value < _UINT64_LIMIT:
        raise AminoError(f"{value!r} is not a uint64")
    return str(value)


def _message_option(descriptor: Descriptor, extension: Any) -> Any:
    options = descriptor.GetOptions()
    return options.Extensions[extension] if options.HasExtension(extension) else None


def _type_name(descriptor: Descriptor) -> str:
    name = _message_option(descriptor, amino_pb2.name)
    return str(name) if name else "/" + descriptor.full_name


@dataclass(frozen=True)
class _Field:
    """How one field is written, read once per message type from its descriptor options."""

    descriptor: FieldDescriptor
    json_name: str
    dont_omitempty: bool
    encoding: str
    scalar: str


@functools.cache
def _fields(descriptor: Descriptor) -> tuple[_Field, ...]:
    """The fields of a message type; raises for what x/tx rejects or depind does not implement."""
    encoding = _message_option(descriptor, amino_pb2.message_encoding)
    if encoding and encoding != "key_field":
        raise AminoError(f"{descriptor.full_name}: (amino.message_encoding) {encoding!r} is not supported")
    fields = []
    names: set[str] = set()
    for field in descriptor.fields:
        spec = _field_spec(descriptor, field)
        if spec.json_name in names:
            raise AminoError(f"{descriptor.full_name}: two fields are named {spec.json_name!r}")
        names.add(spec.json_name)
        fields.append(spec)
    return tuple(fields)


def _field_spec(descriptor: Descriptor, field: FieldDescriptor) -> _Field:
    where = f"{descriptor.full_name}.{field.name}"
    if field.containing_oneof is not None:  # proto3 `optional` too: x/tx wants (amino.oneof_name)
        raise AminoError(f"{where}: oneof fields are not supported")
    options = field.GetOptions()

    def option(extension: Any, default: Any) -> Any:
        return options.Extensions[extension] if options.HasExtension(extension) else default

    spec = _Field(
        descriptor=field,
        json_name=str(option(amino_pb2.field_name, "")) or field.name,
        dont_omitempty=bool(option(amino_pb2.dont_omitempty, False))
        or field.full_name in _COSMJS_ALWAYS_WRITTEN,
        encoding=str(option(amino_pb2.encoding, "")),
        scalar=str(option(cosmos_pb2.scalar, "")),
    )
    _check_field(where, spec)
    return spec


def _check_field(where: str, spec: _Field) -> None:
    field = spec.descriptor
    if spec.encoding and spec.encoding != "legacy_coins":
        raise AminoError(f"{where}: (amino.encoding) {spec.encoding!r} is not supported")
    if spec.encoding and not _is_repeated(field):
        raise AminoError(f"{where}: legacy_coins encodes a repeated field")
    if spec.scalar == "cosmos.Dec" and (_is_repeated(field) or field.type not in _DEC_TYPES):
        raise AminoError(f"{where}: only a singular string or bytes cosmos.Dec is supported")
    if spec.scalar == "cosmos.Int" and (_is_repeated(field) or field.type != FieldDescriptor.TYPE_STRING):
        raise AminoError(f"{where}: only a singular string cosmos.Int is supported")
    if field.type in _FLOAT_TYPES or field.type == FieldDescriptor.TYPE_GROUP:
        raise AminoError(f"{where}: floating point and group fields have no Amino JSON form")


def _is_repeated(field: FieldDescriptor) -> bool:
    return field.is_repeated  # not `label`, deprecated in protobuf 6


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _is_set(message: Message, field: FieldDescriptor) -> bool:
    """Go protoreflect's Has: presence for messages, non-zero for proto3 scalars and lists."""
    value = getattr(message, field.name)
    if _is_repeated(field):
        return len(value) > 0
    if field.type == FieldDescriptor.TYPE_MESSAGE or field.has_presence:
        return message.HasField(field.name)
    return bool(value)


def _message_value(message: Message) -> Any:
    """The JSON of a message without the type wrapper, as x/tx's marshalMessage writes it."""
    descriptor = _descriptor(message)
    if descriptor.full_name == _TIMESTAMP:
        timestamp = cast(timestamp_pb2.Timestamp, message)
        return _timestamp(timestamp.seconds, timestamp.nanos)
    if descriptor.full_name == _DURATION:
        duration = cast(duration_pb2.Duration, message)
        return _duration(duration.seconds, duration.nanos)
    if descriptor.full_name == _ANY:
        return _any_json(message)
    fields = _fields(descriptor)
    if _message_option(descriptor, amino_pb2.message_encoding) == "key_field":
        return _key_field(message)
    out: dict[str, Any] = {}
    for spec in fields:
        is_set = _is_set(message, spec.descriptor)
        if is_set or spec.dont_omitempty:
            out[spec.json_name] = _field_value(message, spec, is_set)
    return out


def _field_value(message: Message, spec: _Field, is_set: bool) -> Any:
    field = spec.descriptor
    value = getattr(message, field.name)
    if spec.scalar == "cosmos.Int":
        return value or "0"
    if spec.scalar == "cosmos.Dec":
        return _legacy_dec(value, field.full_name)
    if _is_map(field):
        raise AminoError(f"{message.DESCRIPTOR.full_name}.{field.name}: maps are not supported")
    if _is_repeated(field):
        if not value:  # Go reads an empty list as invalid and writes null; legacy_coins writes []
            return [] if spec.encoding == "legacy_coins" else None
        return [_scalar_or_message(field, item) for item in value]
    if field.type == FieldDescriptor.TYPE_MESSAGE and not is_set:
        raise AminoError(f"{message.DESCRIPTOR.full_name}.{field.name}: dont_omitempty on an unset message")
    return _scalar_or_message(field, value)


def _scalar_or_message(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return _message_value(value)
    if field.type in _INT64_TYPES:
        return str(value)
    if field.type in _INT32_TYPES:
        return int(value)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    if field.type in (FieldDescriptor.TYPE_BOOL, FieldDescriptor.TYPE_STRING):
        return value
    raise AminoError(f"{field.full_name}: field type {field.type} has no Amino JSON form")


def _legacy_dec(value: str | bytes, where: str) -> str:
    """A cosmos.Dec's protobuf text as LegacyDec.String() writes it: a gogoproto LegacyDec
    carries its atomics ("100000000000000000"), a plain decimal string (gov v1's quorum and
    vote weights) its decimal text ("0.1")."""
    if not value:
        return "0"
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    digits = text.removeprefix("-")
    if digits.isascii() and digits.isdigit():
        return dec.format(int(text))
    try:
        return dec.format(dec.parse(text))
    except dec.DecError:
        raise AminoError(f"{where}: {text[:80]!r} is not a decimal") from None


def _key_field(message: Message) -> str | None:
    """A public key (`message_encoding = "key_field"`) is written as its bare key bytes."""
    field = message.DESCRIPTOR.fields_by_name.get("key")
    if field is None or field.type != FieldDescriptor.TYPE_BYTES or field.is_repeated:
        raise AminoError(f"{message.DESCRIPTOR.full_name}: key_field encoding needs a bytes field `key`")
    key: bytes = getattr(message, field.name)
    return base64.b64encode(key).decode("ascii") if key else None


def _any_json(message: Message) -> dict[str, Any]:
    """Unpack an Any and write it as {"type", "value"}, as x/tx's marshalAny does."""
    packed = cast(any_pb2.Any, message)
    type_url = packed.type_url
    full_name = type_url.rsplit("/", 1)[-1]
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError as exc:
        raise AminoError(f"Any holds an unknown type {type_url!r}") from exc
    try:
        inner = message_factory.GetMessageClass(descriptor).FromString(packed.value)
    except DecodeError as exc:
        raise AminoError(f"Any holds a malformed {full_name}: {exc}") from exc
    return {"type": _type_name(descriptor), "value": _message_value(inner)}


def _timestamp(seconds: int, nanos: int) -> str:
    """RFC 3339 in UTC with trailing zero fraction digits dropped, as Go's RFC3339Nano writes it."""
    if nanos < 0:
        raise AminoError(f"timestamp nanos {nanos} is negative")
    seconds += nanos // _NANOS_PER_SECOND  # Go's time.Unix normalises nanos >= 1e9
    nanos %= _NANOS_PER_SECOND
    if not _MIN_TIMESTAMP <= seconds <= _MAX_TIMESTAMP:
        raise AminoError(f"timestamp {seconds}s is outside years 1 to 9999")
    days, second_of_day = divmod(seconds, _SECONDS_PER_DAY)
    year, month, day = _civil_date(days)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}Z"


def _civil_date(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count from 1970-01-01: Howard Hinnant's civil_from_days.

    Integer arithmetic only; vm/ does not import datetime (see tests/test_layering.py).
    """
    era, day_of_era = divmod(days + 719468, 146097)  # 400-year eras from 0000-03-01
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = month_from_march + 3 if month_from_march < 10 else month_from_march - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def _duration(seconds: int, nanos: int) -> str:
    """A Duration's total nanoseconds, as gogoproto's time.Duration amino-encodes it."""
    if seconds > _MAX_DURATION_SECONDS:
        raise AminoError(f"duration of {seconds}s overflows int64 nanoseconds")
    total = seconds * _NANOS_PER_SECOND + nanos
    if not _INT64_MIN <= total <= _INT64_MAX:
        raise AminoError(f"duration of {seconds}s overflows int64 nanoseconds")
    return str(total)
