"""Addresses and signatures in vm.crypto: the rules the auth module applies to every tx."""

import gc
import tracemalloc
from collections.abc import Callable

import bech32
import coincurve
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm import crypto
from vm.crypto import (
    ACCOUNT_HRP,
    SECP256K1_N,
    VALOPER_HRP,
    InvalidAddress,
    address_bytes,
    address_from_pubkey,
    decode_address,
    encode_address,
    is_valid_pubkey,
    verify_signature,
)

# DESIGN.md vector: mnemonic "abandon" x11 + "about" at m/44'/118'/0'/0/0.
VECTOR_PUBKEY = bytes.fromhex("024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62")
# The well-known Cosmos Hub address of that mnemonic: same 20 bytes, other prefix.
VECTOR_COSMOS_ADDRESS = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
VECTOR_ADDRESS = "depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w"

SECRET = bytes.fromhex("11" * 32)
MESSAGE = b'{"chain_id":"depin-test-1","msgs":[]}'


def _key() -> coincurve.PrivateKey:
    return coincurve.PrivateKey(SECRET)


def _sign(message: bytes = MESSAGE) -> bytes:
    return _key().sign_recoverable(message)[:64]


def _bech32_of(payload: bytes, hrp: str = ACCOUNT_HRP) -> str:
    words = bech32.convertbits(payload, 8, 5)
    assert words is not None
    return bech32.bech32_encode(hrp, words)


def test_address_of_design_vector() -> None:
    assert address_from_pubkey(VECTOR_PUBKEY) == VECTOR_ADDRESS
    assert decode_address(VECTOR_COSMOS_ADDRESS, "cosmos") == address_bytes(VECTOR_PUBKEY)


def test_valoper_address_shares_the_account_bytes() -> None:
    valoper = address_from_pubkey(VECTOR_PUBKEY, VALOPER_HRP)
    assert valoper.startswith("depinvaloper1")
    assert decode_address(valoper, VALOPER_HRP) == address_bytes(VECTOR_PUBKEY)


@given(st.binary(min_size=20, max_size=20))
def test_address_round_trip(raw: bytes) -> None:
    assert decode_address(encode_address(raw)) == raw


def test_uppercase_address_is_accepted() -> None:
    assert decode_address(VECTOR_ADDRESS.upper()) == address_bytes(VECTOR_PUBKEY)


def test_invalid_address_wrong_hrp() -> None:
    with pytest.raises(InvalidAddress, match="prefix is 'cosmos', expected 'depin'"):
        decode_address(VECTOR_COSMOS_ADDRESS)


def test_invalid_address_valoper_as_account() -> None:
    with pytest.raises(InvalidAddress, match="prefix"):
        decode_address(address_from_pubkey(VECTOR_PUBKEY, VALOPER_HRP))


def test_invalid_address_bad_checksum() -> None:
    corrupted = VECTOR_ADDRESS[:-1] + ("q" if VECTOR_ADDRESS[-1] != "q" else "p")
    with pytest.raises(InvalidAddress, match="bad checksum"):
        decode_address(corrupted)


@pytest.mark.parametrize("size", [0, 19, 21, 32])
def test_invalid_address_wrong_length(size: int) -> None:
    with pytest.raises(InvalidAddress, match="not 20 bytes"):
        decode_address(_bech32_of(bytes(size)))


def test_invalid_address_mixed_case() -> None:
    mixed = VECTOR_ADDRESS[:10] + VECTOR_ADDRESS[10:].upper()
    with pytest.raises(InvalidAddress, match="mixed"):
        decode_address(mixed)


@pytest.mark.parametrize("text", ["", "depin", "depin1", "not an address", "depin1b" * 10])
def test_invalid_address_not_bech32(text: str) -> None:
    with pytest.raises(InvalidAddress):
        decode_address(text)


def test_invalid_address_encode_wrong_length() -> None:
    with pytest.raises(InvalidAddress, match="20 bytes"):
        encode_address(bytes(21))


def test_is_valid_pubkey() -> None:
    assert is_valid_pubkey(VECTOR_PUBKEY)
    assert is_valid_pubkey(_key().public_key.format())


def test_invalid_pubkey_uncompressed() -> None:
    uncompressed = _key().public_key.format(compressed=False)
    assert len(uncompressed) == 65
    assert not is_valid_pubkey(uncompressed)


@pytest.mark.parametrize(
    "pubkey",
    [
        b"",
        VECTOR_PUBKEY[:32],
        VECTOR_PUBKEY + b"\x00",
        b"\x04" + VECTOR_PUBKEY[1:],  # wrong prefix byte for 33 bytes
        b"\x02" + b"\xff" * 32,  # x beyond the field prime
        b"\x02" + (5).to_bytes(32, "big"),  # x^3 + 7 has no square root for x = 5
    ],
)
def test_invalid_pubkey(pubkey: bytes) -> None:
    assert not is_valid_pubkey(pubkey)


def test_verify_signature() -> None:
    assert verify_signature(_key().public_key.format(), MESSAGE, _sign())


def test_invalid_signature_other_message() -> None:
    assert not verify_signature(_key().public_key.format(), MESSAGE + b" ", _sign())


def test_invalid_signature_other_key() -> None:
    assert not verify_signature(VECTOR_PUBKEY, MESSAGE, _sign())


def test_invalid_signature_high_s() -> None:
    signature = _sign()
    s = int.from_bytes(signature[32:], "big")
    high_s = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big")
    # (r, n - s) is the same ECDSA signature in its malleated form: valid math, rejected encoding.
    assert s <= SECP256K1_N // 2 < SECP256K1_N - s
    assert not verify_signature(_key().public_key.format(), MESSAGE, high_s)


@pytest.mark.parametrize("size", [0, 63, 65, 72])
def test_invalid_signature_wrong_size(size: int) -> None:
    signature = (_sign() * 2)[:size]
    assert not verify_signature(_key().public_key.format(), MESSAGE, signature)


def test_invalid_signature_recoverable_form() -> None:
    recoverable = _key().sign_recoverable(MESSAGE)
    assert not verify_signature(_key().public_key.format(), MESSAGE, recoverable)


def test_invalid_signature_wrong_size_pubkey() -> None:
    uncompressed = _key().public_key.format(compressed=False)
    assert not verify_signature(uncompressed, MESSAGE, _sign())


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 1), (1, 0), (0, 0), (SECP256K1_N, 1), (1, SECP256K1_N), (2**256 - 1, 2**256 - 1)],
)
def test_invalid_signature_scalar_out_of_range(r: int, s: int) -> None:
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert not verify_signature(_key().public_key.format(), MESSAGE, signature)


@given(st.binary(max_size=40), st.binary(max_size=80), st.binary(max_size=80))
def test_verify_signature_never_raises(pubkey: bytes, message: bytes, signature: bytes) -> None:
    assert verify_signature(pubkey, message, signature) is False


def test_memoised_verdicts_match_fresh_ones() -> None:
    """Asked again (as executing a block asks after CheckTx), every verdict stays the same,
    and moving bytes between the key, the signature and the message never hits a memo."""
    pubkey, signature = _key().public_key.format(), _sign()
    cases = [
        (pubkey, MESSAGE, signature, True),
        (pubkey, MESSAGE + b" ", signature, False),
        (pubkey[:-1], pubkey[-1:] + MESSAGE, signature, False),
        (pubkey, signature[-1:] + MESSAGE, signature[:-1], False),
    ]
    for _ in range(2):
        for key, message, sig, expected in cases:
            assert verify_signature(key, message, sig) is expected


# -- memory spent on unauthenticated input is bounded ------------------------------------


def _retained_bytes(call: Callable[[int], object], count: int) -> int:
    """Bytes still allocated after ``call(i)`` for i < count, once its inputs are dropped."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            call(i)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


HUGE = 64 * 1024


def test_oversized_keys_are_not_kept_by_the_validity_cache() -> None:
    retained = _retained_bytes(
        lambda i: crypto.is_valid_pubkey(b"\x02" + i.to_bytes(4, "big") * (HUGE // 4)), 64
    )
    assert retained < HUGE  # 64 different 64 KiB "keys" leave less than one behind


def test_oversized_keys_are_not_kept_by_the_address_cache() -> None:
    retained = _retained_bytes(lambda i: crypto.address_from_pubkey(i.to_bytes(4, "big") * (HUGE // 4)), 64)
    assert retained < HUGE


def test_oversized_addresses_are_refused_before_the_cache() -> None:
    def decode(i: int) -> None:
        with pytest.raises(crypto.InvalidAddress, match="longer than"):
            crypto.decode_address("depin1" + str(i) * (HUGE // len(str(i))))

    assert _retained_bytes(decode, 64) < HUGE
