"""genesis.doc: strict loading and validation of genesis documents."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from genesis.doc import (
    MAX_GENESIS_BYTES,
    GenesisError,
    decode_pub_key,
    dumps,
    genesis_hash,
    load,
    loads,
    parse_time,
    save,
)
from genesis.schema import GenesisDoc, GenesisValidator

EPOCH_2024_NS = 1_704_067_200 * 10**9


def pub_key(n: int) -> bytes:
    return bytes([n]) * 32


def validator(n: int, power: int = 10) -> GenesisValidator:
    return GenesisValidator(
        address=hashlib.sha256(pub_key(n)).digest()[:20].hex().upper(),
        pub_key=base64.b64encode(pub_key(n)).decode(),
        power=power,
        name=f"val-{n}",
    )


def valid_doc() -> GenesisDoc:
    return GenesisDoc(
        genesis_time="2024-01-01T00:00:00.5Z",
        chain_id="depin-test-1",
        validators=[validator(1), validator(2)],
    )


def as_json(doc: GenesisDoc) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dumps(doc))
    return data


def rejects(data: dict[str, Any] | bytes, match: str) -> GenesisError:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    with pytest.raises(GenesisError, match=match) as caught:
        loads(raw)
    return caught.value


# -- loading ---------------------------------------------------------------------------------------


def test_dumps_then_loads_round_trips() -> None:
    doc = valid_doc()
    assert loads(dumps(doc)) == doc


def test_save_then_load(tmp_path: Path) -> None:
    path = tmp_path / "genesis.json"
    save(valid_doc(), path)
    assert load(path) == valid_doc()
    assert not path.with_suffix(".tmp").exists()


def test_minimal_document_gets_defaults() -> None:
    doc = loads(b'{"genesis_time": "2024-01-01T00:00:00Z", "chain_id": "c"}')
    assert doc.initial_height == 1
    assert doc.validators == []
    assert doc.consensus_params.block.max_gas > 0


def test_genesis_hash_is_stable_and_content_bound() -> None:
    assert genesis_hash(valid_doc()) == genesis_hash(loads(dumps(valid_doc())))
    other = valid_doc()
    other.chain_id = "depin-test-2"
    assert genesis_hash(other) != genesis_hash(valid_doc())


def test_unlimited_max_gas() -> None:
    data = as_json(valid_doc())
    data["consensus_params"]["block"]["max_gas"] = -1
    assert loads(json.dumps(data).encode()).consensus_params.block.max_gas == -1


@pytest.mark.parametrize("chain_id", ["a", "depin-1", "Depin_test.2", "x" * 49])
def test_chain_ids(chain_id: str) -> None:
    data = as_json(valid_doc())
    data["chain_id"] = chain_id
    assert loads(json.dumps(data).encode()).chain_id == chain_id


# -- rejections ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("chain_id", ["", "x" * 50, "-leading", ".dot", "has space", "tab\t", "ünï", "a/b"])
def test_invalid_chain_id(chain_id: str) -> None:
    data = as_json(valid_doc())
    data["chain_id"] = chain_id
    rejects(data, "invalid chain_id")


@pytest.mark.parametrize(
    "genesis_time",
    ["", "yesterday", "2024-13-01T00:00:00Z", "2024-01-01 00:00:00 UTC", "2024-01-01T25:00:00Z"],
)
def test_invalid_time(genesis_time: str) -> None:
    data = as_json(valid_doc())
    data["genesis_time"] = genesis_time
    rejects(data, "genesis_time")


def test_genesis_at_the_epoch() -> None:
    data = as_json(valid_doc())
    data["genesis_time"] = "1970-01-01T00:00:00Z"
    assert loads(json.dumps(data).encode()).genesis_time == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "genesis_time",
    [
        "1969-12-31T23:59:59Z",
        "1969-12-31T23:59:59.999999999Z",
        "1970-01-01T00:59:59+01:00",  # a second before the epoch in UTC
        "0001-01-01T00:00:00Z",
        "2262-04-11T23:47:16.854775808Z",  # one past the largest signed 64-bit nanosecond count
        "9999-12-31T23:59:59Z",
    ],
)
def test_invalid_time_out_of_range(genesis_time: str) -> None:
    data = as_json(valid_doc())
    data["genesis_time"] = genesis_time
    rejects(data, "out of range: the chain holds times from 1970-01-01T00:00:00Z")


def test_invalid_time_without_offset() -> None:
    data = as_json(valid_doc())
    data["genesis_time"] = "2024-01-01T00:00:00"
    rejects(data, "UTC offset")


def test_invalid_duplicate_validators() -> None:
    data = as_json(valid_doc())
    data["validators"].append(dict(data["validators"][0], name="again"))
    rejects(data, "duplicate validator")


def test_invalid_validator_address_mismatch() -> None:
    data = as_json(valid_doc())
    data["validators"][0]["address"] = data["validators"][1]["address"]
    rejects(data, "does not match its pub_key")


@pytest.mark.parametrize("pub", ["not base64!", "AAAA====", base64.b64encode(b"\x01" * 33).decode(), ""])
def test_invalid_pub_key(pub: str) -> None:
    data = as_json(valid_doc())
    data["validators"][0]["pub_key"] = pub
    rejects(data, "pub_key")


@pytest.mark.parametrize("power", [0, -1])
def test_invalid_validator_power(power: int) -> None:
    data = as_json(valid_doc())
    data["validators"][0]["power"] = power
    rejects(data, "power")


def test_invalid_string_that_is_not_utf8() -> None:
    """Found by fuzzing (tests/fuzz, target genesis): msgspec raises UnicodeDecodeError for it."""
    rejects(b'{"chain_id": "\xe4"}', "invalid genesis")


def test_invalid_unknown_top_level_field() -> None:
    data = as_json(valid_doc())
    data["genesis_tme"] = "2024-01-01T00:00:00Z"
    rejects(data, "genesis_tme")


@pytest.mark.parametrize(
    "path",
    [
        ("consensus_params", "block"),
        ("consensus_params",),
    ],
)
def test_invalid_unknown_nested_field(path: tuple[str, ...]) -> None:
    """Module sections of app_state are the application's to check (tests/vm/test_registry.py)."""
    data = as_json(valid_doc())
    target = data
    for key in path:
        target = target[key]
    target["surprise"] = 1
    rejects(data, "surprise")


def test_invalid_unknown_validator_field() -> None:
    data = as_json(valid_doc())
    data["validators"][0]["voting_power"] = 10
    rejects(data, "voting_power")


def test_invalid_missing_required_field() -> None:
    data = as_json(valid_doc())
    del data["chain_id"]
    rejects(data, "chain_id")


def test_invalid_wrong_type() -> None:
    data = as_json(valid_doc())
    data["initial_height"] = "1"
    rejects(data, "initial_height")


def test_invalid_initial_height_zero() -> None:
    data = as_json(valid_doc())
    data["initial_height"] = 0
    rejects(data, "initial_height")


def test_invalid_max_gas_below_unlimited() -> None:
    data = as_json(valid_doc())
    data["consensus_params"]["block"]["max_gas"] = -2
    rejects(data, "max_gas")


def test_invalid_not_json() -> None:
    rejects(b"{genesis", "invalid genesis")
    rejects(b"[]", "invalid genesis")


def test_invalid_oversize() -> None:
    rejects(b" " * (MAX_GENESIS_BYTES + 1), "larger than")


def test_invalid_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GenesisError, match="cannot read genesis"):
        load(tmp_path / "genesis.json")


def test_invalid_save_refuses_an_invalid_doc(tmp_path: Path) -> None:
    doc = valid_doc()
    doc.chain_id = "bad id"
    path = tmp_path / "genesis.json"
    with pytest.raises(GenesisError):
        save(doc, path)
    assert not path.exists()


def test_decode_pub_key() -> None:
    assert decode_pub_key(base64.b64encode(pub_key(3)).decode()) == pub_key(3)


# -- time ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("2024-01-01T00:00:00Z", EPOCH_2024_NS),
        ("2024-01-01T00:00:00.5Z", EPOCH_2024_NS + 500_000_000),
        ("2024-01-01T00:00:00.123456Z", EPOCH_2024_NS + 123_456_000),
        ("2024-01-01T00:00:00.123456789Z", EPOCH_2024_NS + 123_456_789),
        ("2024-01-01T00:00:00.000000001Z", EPOCH_2024_NS + 1),
        ("2024-01-01T00:00:00.999999999Z", EPOCH_2024_NS + 999_999_999),
        ("2024-01-01T00:00:00.1234567Z", EPOCH_2024_NS + 123_456_700),
        ("2024-01-01T02:00:00.000000007+02:00", EPOCH_2024_NS + 7),
        ("2024-01-01T00:00:00+00:00", EPOCH_2024_NS),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-01-01t00:00:00.25z", EPOCH_2024_NS + 250_000_000),
        ("1970-01-01T01:00:00+01:00", 0),
        ("2262-04-11T23:47:16.854775807Z", 2**63 - 1),
    ],
)
def test_parse_time_to_the_nanosecond(text: str, nanos: int) -> None:
    assert parse_time(text) == nanos


def test_parse_time_cometbft_genesis() -> None:
    # As CometBFT writes it (Go's time.RFC3339Nano).
    assert parse_time("2023-06-15T09:41:07.094172375Z") == 1_686_822_067_094_172_375


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T00:00:00.1234567890Z",  # more than nanoseconds
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00.12a4Z",
        "2024-01-01T00:00:00.123456789",
        "2024-01-01",
        "2024-01-01T00:00Z",
        "2024-01-01 00:00:00Z",
        "2024-01-01T00:00:00+0000",
        " 2024-01-01T00:00:00Z",
    ],
)
def test_invalid_time_fraction(text: str) -> None:
    with pytest.raises(GenesisError):
        parse_time(text)
