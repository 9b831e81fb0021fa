"""Reading, writing and validating genesis documents."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from genesis.schema import GenesisDoc, GenesisValidator

MAX_GENESIS_BYTES = 64 * 1024 * 1024
# Times the chain can hold: headers carry them as signed 64-bit nanoseconds, the
# application's state as unsigned, so from the epoch to 2262-04-11T23:47:16.854775807Z.
MIN_TIME_NS = 0
MAX_TIME_NS = 2**63 - 1
_CHAIN_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,48}$")
# Seconds, up to nine fraction digits (datetime keeps only six), offset.
_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


class GenesisError(ValueError):
    """A genesis document that cannot start a chain; the message says why."""


def loads(data: bytes) -> GenesisDoc:
    if len(data) > MAX_GENESIS_BYTES:
        raise GenesisError(f"genesis is larger than {MAX_GENESIS_BYTES} bytes")
    try:
        doc = msgspec.json.decode(data, type=GenesisDoc)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:  # bad UTF-8 in a str
        raise GenesisError(f"invalid genesis: {exc}") from None
    validate(doc)
    return doc


def load(path: Path) -> GenesisDoc:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GenesisError(f"cannot read genesis {path}: {exc.strerror}") from None
    return loads(data)


def dumps(doc: GenesisDoc) -> bytes:
    return msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n"


def save(doc: GenesisDoc, path: Path) -> None:
    validate(doc)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(dumps(doc))
    tmp.replace(path)


def genesis_hash(doc: GenesisDoc) -> bytes:
    return hashlib.sha256(msgspec.json.encode(doc)).digest()


def validate(doc: GenesisDoc) -> None:
    """Structural checks: chain id, time, validators. Module state is checked by the app."""
    if not _CHAIN_ID.match(doc.chain_id):
        raise GenesisError(f"invalid chain_id {doc.chain_id!r}: 1-49 chars of [a-zA-Z0-9._-]")
    parse_time(doc.genesis_time)
    if doc.consensus_params.block.max_gas < -1:
        raise GenesisError("consensus_params.block.max_gas must be -1 (unlimited) or >= 0")
    seen: set[str] = set()
    for validator in doc.validators:
        validate_validator(validator)
        if validator.address in seen:
            raise GenesisError(f"duplicate validator {validator.address}")
        seen.add(validator.address)


def validate_validator(validator: GenesisValidator) -> None:
    pub_key = decode_pub_key(validator.pub_key)
    expected = hashlib.sha256(pub_key).digest()[:20].hex().upper()
    if validator.address.upper() != expected:
        raise GenesisError(f"validator address {validator.address} does not match its pub_key")


def decode_pub_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise GenesisError(f"validator pub_key {text!r} is not base64") from None
    if len(raw) != 32:
        raise GenesisError(f"validator pub_key must be a 32-byte ed25519 key, got {len(raw)} bytes")
    return raw


def parse_time(text: str) -> int:
    """RFC 3339 time to integer nanoseconds since the epoch, exact to the nanosecond,
    within the times the chain can hold."""
    match = _TIME.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        seconds, fraction, offset = match.groups()
        moment = datetime.fromisoformat(seconds + re.sub("[Zz]", "+00:00", offset or ""))
    except ValueError:
        raise GenesisError(f"invalid genesis_time {text!r}: expected RFC 3339") from None
    if moment.utcoffset() is None:
        raise GenesisError(f"genesis_time {text!r} must carry a UTC offset")
    whole_seconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
    nanos = whole_seconds * 1_000_000_000 + int((fraction or "").ljust(9, "0"))
    if not MIN_TIME_NS <= nanos <= MAX_TIME_NS:
        raise GenesisError(
            f"genesis_time {text!r} is out of range: the chain holds times from "
            "1970-01-01T00:00:00Z to 2262-04-11T23:47:16.854775807Z"
        )
    return nanos
