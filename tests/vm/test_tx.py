"""The tx format in vm.tx: canonical encoding, strict decoding and sign bytes."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vm.helpers import (
    ALICE,
    BOB,
    CHAIN_ID,
    FEE,
    GAS,
    apply_block,
    block_request,
    coins,
    make_genesis,
    make_tx,
    new_app,
    register_msg,
    send,
    sign_tx,
    signed,
)
from vm.bank.msgs import Input, MsgMultiSend, MsgSend, Output
from vm.errors import InvalidTx
from vm.modules import default_registry
from vm.provider.msgs import GpuSpec, MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider
from vm.tx import (
    MAX_TX_BYTES,
    AuthInfo,
    Fee,
    SignDoc,
    Tx,
    TxBody,
    decode_tx,
    encode_tx,
    sign_bytes,
    tx_hash,
)
from vm.types import Coin

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def valid_tx() -> Tx:
    return make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)])


def outline(tx: Tx) -> list[Any]:
    """The tx as untyped MessagePack data, to corrupt one part at a time."""
    data = encode_tx(tx)
    plain: list[Any] = msgspec.msgpack.decode(data)
    assert msgspec.msgpack.encode(plain) == data
    return plain


def repack(plain: Any) -> bytes:
    return msgspec.msgpack.encode(plain)


def rejects(data: bytes, code: int, codespace: str = "sdk") -> InvalidTx:
    with pytest.raises(InvalidTx) as caught:
        decode_tx(data, default_registry())
    assert (caught.value.codespace, caught.value.code) == (codespace, code), caught.value.log
    return caught.value


# -- encoding ---------------------------------------------------------------------------


def test_encode_decode_round_trip() -> None:
    tx = valid_tx()
    data = encode_tx(tx)
    assert decode_tx(data, default_registry()) == tx
    assert encode_tx(decode_tx(data, default_registry())) == data


def test_encoding_is_positional_arrays() -> None:
    body, auth_info, signature = outline(valid_tx())
    assert body == [CHAIN_ID, [["bank/MsgSend", ALICE.address, BOB.address, [["udepin", 5]]]], "", 0]
    assert auth_info == [ALICE.public_key, 0, [[["udepin", FEE]], GAS]]
    assert len(signature) == 64


def test_tx_hash_is_sha256_of_bytes() -> None:
    data = encode_tx(valid_tx())
    assert tx_hash(data) == hashlib.sha256(data).digest()


def test_sign_bytes_is_the_encoded_sign_doc() -> None:
    tx = valid_tx()
    doc = SignDoc(tx.body, tx.auth_info, 7)
    assert sign_bytes(tx.body, tx.auth_info, 7) == msgspec.msgpack.encode(doc)


def test_sign_bytes_cover_account_number_chain_sequence_and_fee() -> None:
    tx = valid_tx()
    base = sign_bytes(tx.body, tx.auth_info, 0)
    other_chain = msgspec.structs.replace(tx.body, chain_id="other-chain")
    other_seq = msgspec.structs.replace(tx.auth_info, sequence=1)
    other_fee = msgspec.structs.replace(tx.auth_info, fee=Fee(coins(FEE + 1), GAS))
    variants = {
        sign_bytes(tx.body, tx.auth_info, 1),
        sign_bytes(other_chain, tx.auth_info, 0),
        sign_bytes(tx.body, other_seq, 0),
        sign_bytes(tx.body, other_fee, 0),
    }
    assert base not in variants
    assert len(variants) == 4


def test_every_message_type_round_trips() -> None:
    gpu = GpuSpec("NVIDIA L4", 23_034, "8.9", 1, [bytes(32)])
    messages = [
        MsgSend(ALICE.address, BOB.address, coins(1)),
        MsgMultiSend([Input(ALICE.address, coins(2))], [Output(BOB.address, coins(2))]),
        MsgRegisterProvider(ALICE.address, [gpu], "eu", "gpu.example", Coin("udepin", 0), Coin("udepin", 9)),
        MsgUpdateProvider(ALICE.address, [], "us", "", None, Coin("udepin", 1)),
        MsgExitProvider(ALICE.address),
    ]
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, messages)
    assert decode_tx(data, default_registry()).body.messages == messages


# -- strict decoding ----------------------------------------------------------------------


def test_invalid_empty_bytes() -> None:
    rejects(b"", 2)


def test_invalid_trailing_bytes() -> None:
    rejects(encode_tx(valid_tx()) + b"\x00", 2)


def test_invalid_non_canonical_int() -> None:
    data = encode_tx(valid_tx())
    minimal = b"\xce" + GAS.to_bytes(4, "big")  # uint32
    assert data.count(minimal) == 1
    rejects(data.replace(minimal, b"\xcf" + GAS.to_bytes(8, "big")), 2)  # same value as uint64


def test_invalid_non_canonical_string() -> None:
    data = encode_tx(valid_tx())
    fixstr = bytes([0xA0 | len(CHAIN_ID)]) + CHAIN_ID.encode()
    assert data.count(fixstr) == 1
    rejects(data.replace(fixstr, b"\xd9" + bytes([len(CHAIN_ID)]) + CHAIN_ID.encode()), 2)


def test_invalid_extra_field() -> None:
    plain = outline(valid_tx())
    plain.append(b"extra")
    rejects(repack(plain), 2)


def test_invalid_extra_field_in_nested_struct() -> None:
    plain = outline(valid_tx())
    plain[1][2].append(0)  # Fee gets a third field
    rejects(repack(plain), 2)


def test_invalid_missing_field() -> None:
    plain = outline(valid_tx())
    del plain[0][3]  # TxBody without timeout_height
    rejects(repack(plain), 2)


def test_invalid_map_instead_of_array() -> None:
    plain = outline(valid_tx())
    plain[1][2] = {"amount": plain[1][2][0], "gas_limit": plain[1][2][1]}
    rejects(repack(plain), 2)


def test_invalid_str_for_bytes() -> None:
    plain = outline(valid_tx())
    plain[1][0] = plain[1][0].hex()
    rejects(repack(plain), 2)


@pytest.mark.parametrize("value", [-1, 2**63, 2**64 - 1])
def test_invalid_integer_out_of_range(value: int) -> None:
    plain = outline(valid_tx())
    plain[1][1] = value  # sequence
    rejects(repack(plain), 2)


def test_invalid_negative_coin_amount() -> None:
    plain = outline(valid_tx())
    plain[0][1][0][3][0][1] = -5
    rejects(repack(plain), 2)


def test_invalid_utf8_in_string() -> None:
    data = encode_tx(valid_tx())
    fixstr = bytes([0xA0 | len(CHAIN_ID)]) + CHAIN_ID.encode()
    rejects(data.replace(fixstr, fixstr[:1] + b"\xff" + fixstr[2:]), 2)


def test_invalid_utf8_in_message_tag() -> None:
    data = encode_tx(valid_tx())
    assert data.count(b"bank/MsgSend") == 1
    rejects(data.replace(b"bank/MsgSend", b"bank/Msg\xc3\x28nd"), 2)


def test_invalid_unknown_message_tag() -> None:
    plain = outline(valid_tx())
    plain[0][1][0][0] = "bank/MsgBurn"
    error = rejects(repack(plain), 6)
    assert "bank/MsgBurn" in error.log


def test_invalid_known_tag_with_wrong_shape_is_parse_error() -> None:
    plain = outline(valid_tx())
    plain[0][1][0] = ["provider/MsgExitProvider", ALICE.address, "extra"]
    rejects(repack(plain), 2)


def test_invalid_oversize() -> None:
    rejects(b"\x90" * (MAX_TX_BYTES + 1), 21)


def test_size_limit_is_inclusive() -> None:
    data = encode_tx(valid_tx())
    assert decode_tx(data, default_registry(), max_bytes=len(data)) == valid_tx()
    with pytest.raises(InvalidTx) as caught:
        decode_tx(data, default_registry(), max_bytes=len(data) - 1)
    assert caught.value.code == 21


def test_invalid_oversize_through_check_tx() -> None:
    app = new_app()
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], memo="m" * MAX_TX_BYTES)
    result = app.check_tx(data)
    assert (result.codespace, result.code) == ("sdk", 21)


# -- properties -------------------------------------------------------------------------

uint64 = st.integers(0, 2**63 - 1)
text = st.text(max_size=24)
coin = st.builds(Coin, text, uint64)
coin_list = st.lists(coin, max_size=3)
gpu_spec = st.builds(GpuSpec, text, uint64, text, uint64, st.lists(st.binary(max_size=33), max_size=3))
message = st.one_of(
    st.builds(MsgSend, text, text, coin_list),
    st.builds(
        MsgMultiSend,
        st.lists(st.builds(Input, text, coin_list), max_size=2),
        st.lists(st.builds(Output, text, coin_list), max_size=3),
    ),
    st.builds(MsgRegisterProvider, text, st.lists(gpu_spec, max_size=2), text, text, coin, coin),
    st.builds(
        MsgUpdateProvider,
        text,
        st.lists(gpu_spec, max_size=2),
        text,
        text,
        st.none() | coin,
        st.none() | coin,
    ),
    st.builds(MsgExitProvider, text),
)
txs = st.builds(
    Tx,
    st.builds(TxBody, text, st.lists(message, max_size=3), st.text(max_size=64), uint64),
    st.builds(AuthInfo, st.binary(max_size=40), uint64, st.builds(Fee, coin_list, uint64)),
    st.binary(max_size=70),
)


@PROPERTY
@given(txs)
def test_round_trip_of_generated_txs(tx: Tx) -> None:
    data = encode_tx(tx)
    assert decode_tx(data, default_registry()) == tx
    assert encode_tx(decode_tx(data, default_registry())) == data


@PROPERTY
@given(st.binary(max_size=512))
def test_decode_random_bytes_raises_only_invalid_tx(data: bytes) -> None:
    try:
        decode_tx(data, default_registry())
    except InvalidTx as error:
        assert error.code in (2, 6, 21)


msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=16)
    | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=30,
)


@PROPERTY
@given(msgpack_values)
def test_decode_random_msgpack_raises_only_invalid_tx(value: Any) -> None:
    try:
        decode_tx(msgspec.msgpack.encode(value), default_registry())
    except InvalidTx as error:
        assert error.code in (2, 6)


VALID = encode_tx(valid_tx())
mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(VALID) - 1), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, len(VALID)), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, len(VALID) - 1), st.integers(1, 16)),
    st.tuples(st.just("truncate"), st.integers(0, len(VALID) - 1), st.just(0)),
)


def mutate(data: bytes, mutations: list[tuple[str, int, Any]]) -> bytes:
    for kind, at, arg in mutations:
        at = min(at, len(data))
        if kind == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ arg]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + arg + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + arg :]
        elif kind == "truncate":
            data = data[:at]
    return data


_APP = new_app()


@PROPERTY
@given(st.lists(mutation, min_size=1, max_size=3))
def test_mutated_tx_raises_only_invalid_tx(mutations: list[tuple[str, int, Any]]) -> None:
    data = mutate(VALID, mutations)
    try:
        decoded = decode_tx(data, default_registry())
    except InvalidTx as error:
        assert error.code in (2, 6, 21)
    else:
        assert encode_tx(decoded) == data  # whatever decodes is canonical
    # The application answers every mutation with a result, never an exception.
    assert _APP.check_tx(data, keep=False).code in (0, *range(2, 42))
    _APP.finalize_block(block_request(1, 0, [data]))


# Signed by Alice with arbitrary, mostly valid contents: the stateless checks, the
# handlers and the end-block hook must answer every one with a result, never a Panic.
amounts = st.integers(1, 3_000_000) | st.sampled_from([0, 2**63 - 1])
denoms = st.sampled_from(["udepin", "udepin", "uatom", "$bad"])
some_coins = st.lists(
    st.builds(Coin, denoms, amounts), min_size=1, max_size=2, unique_by=lambda c: c.denom
).map(lambda cs: sorted(cs, key=lambda c: c.denom))
addresses = st.sampled_from([BOB.address, BOB.address, ALICE.address, "depin1xyz"])
uuid = st.sampled_from([bytes([n]) * 32 for n in range(4)]) | st.binary(min_size=31, max_size=33)
specs = st.integers(1, 3).flatmap(
    lambda n: st.builds(
        GpuSpec,
        st.sampled_from(["L4", "NVIDIA H100", ""]),
        st.integers(0, 10**6),
        st.sampled_from(["8.9", "8.9", "9"]),
        st.just(n) | st.integers(0, 70),
        st.lists(uuid, min_size=n, max_size=n, unique=True) | st.just([]),
    )
)
regions = st.sampled_from(["eu", "us-east-1", "", "EU"])
endpoints = st.sampled_from(["gpu.example", "https://h:1/x", "", "a b"])
signed_messages = st.one_of(
    st.builds(MsgSend, st.just(ALICE.address), addresses, some_coins),
    st.builds(
        MsgMultiSend,
        st.lists(st.builds(Input, st.just(ALICE.address), some_coins), min_size=1, max_size=2),
        st.lists(st.builds(Output, addresses, some_coins), max_size=2),
    ),
    st.builds(
        MsgRegisterProvider,
        st.just(ALICE.address),
        st.lists(specs, min_size=1, max_size=2),
        regions,
        endpoints,
        st.builds(Coin, denoms, amounts),
        st.builds(Coin, denoms, amounts),
    ),
    st.builds(
        MsgUpdateProvider,
        st.just(ALICE.address),
        st.lists(specs, max_size=2),
        regions,
        endpoints,
        st.none() | st.builds(Coin, denoms, amounts),
        st.none() | st.builds(Coin, denoms, amounts),
    ),
    st.builds(MsgExitProvider, st.just(ALICE.address)),
)


def provider_app() -> Any:
    """Alice is a provider of GPU 0x00..00; Bob of GPU 0x01..01."""
    app = new_app(make_genesis({ALICE: [Coin("uatom", 10**6), Coin("udepin", 10**12)], BOB: 10**12}))
    gpus = {
        ALICE: [GpuSpec("L4", 1, "8.9", 1, [bytes(32)])],
        BOB: [GpuSpec("L4", 1, "8.9", 1, [b"\x01" * 32])],
    }
    apply_block(app, [signed(app, k, [register_msg(k, gpus[k])]) for k in (ALICE, BOB)])
    return app


_APPS = [new_app(make_genesis({ALICE: [Coin("uatom", 10**6), Coin("udepin", 10**12)]})), provider_app()]


@PROPERTY
@given(st.lists(signed_messages, min_size=1, max_size=3))
def test_signed_txs_with_arbitrary_contents_get_results(messages: list[Any]) -> None:
    for app in _APPS:
        tx = signed(app, ALICE, messages)
        assert app.check_tx(tx, keep=False).code != 111222
        result = app.finalize_block(block_request(app.info()[0] + 1, 0, [tx])).tx_results[0]
        assert result.code != 111222, result.log
