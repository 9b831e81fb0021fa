"""BIP-39 mnemonics, BIP-32 derivation and signing keys in node.keys.hd."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.keys.hd import (
    DEFAULT_HD_PATH,
    HARDENED_OFFSET,
    InvalidHdPath,
    InvalidMnemonic,
    PrivateKey,
    derive_private_key,
    generate_mnemonic,
    mnemonic_to_seed,
    parse_hd_path,
    validate_mnemonic,
)
from vm.crypto import SECP256K1_HALF_N, SECP256K1_N, address_from_pubkey, verify_signature

VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
VECTOR_PUBKEY = "024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62"

# BIP-39 reference vector (trezor/python-mnemonic vectors.json), passphrase "TREZOR".
VECTOR_TREZOR_SEED = (
    "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f"
    "09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
)

# BIP-32 test vector 1: seed 000102...0f, private keys along m/0'/1/2'/2/1000000000.
BIP32_SEED = bytes(range(16))
BIP32_VECTOR_1 = [
    ("m", "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35"),
    ("m/0'", "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea"),
    ("m/0'/1", "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368"),
    ("m/0'/1/2'", "cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca"),
    ("m/0'/1/2'/2", "0f479245fb19a38a1954c5c7c0ebab2f9bdfd96a17563ef28a6a4b1a2a764ef4"),
    (
        "m/0'/1/2'/2/1000000000",
        "471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8",
    ),
]


def test_design_vector_pubkey() -> None:
    key = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    assert key.public_key.hex() == VECTOR_PUBKEY
    assert key.address == address_from_pubkey(bytes.fromhex(VECTOR_PUBKEY))


def test_bip39_seed_vector() -> None:
    assert mnemonic_to_seed(VECTOR_MNEMONIC, "TREZOR").hex() == VECTOR_TREZOR_SEED


@pytest.mark.parametrize(("path", "secret"), BIP32_VECTOR_1)
def test_bip32_vector_1(path: str, secret: str) -> None:
    assert derive_private_key(BIP32_SEED, path).hex() == secret


def test_default_path_is_cosmos() -> None:
    assert parse_hd_path(DEFAULT_HD_PATH) == [
        44 + HARDENED_OFFSET,
        118 + HARDENED_OFFSET,
        HARDENED_OFFSET,
        0,
        0,
    ]


def test_other_account_index_gives_other_key() -> None:
    seed = mnemonic_to_seed(VECTOR_MNEMONIC)
    assert derive_private_key(seed) != derive_private_key(seed, "m/44'/118'/0'/0/1")


def test_bip39_passphrase_changes_the_key() -> None:
    plain = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    protected = PrivateKey.from_mnemonic(VECTOR_MNEMONIC, passphrase="extra")
    assert plain.public_key != protected.public_key


@pytest.mark.parametrize("words", [12, 15, 18, 21, 24])
def test_generate_mnemonic(words: int) -> None:
    mnemonic = generate_mnemonic(words)
    assert len(mnemonic.split(" ")) == words
    assert validate_mnemonic(mnemonic) == mnemonic


def test_generate_mnemonic_default_is_24_words_and_random() -> None:
    first, second = generate_mnemonic(), generate_mnemonic()
    assert len(first.split()) == 24
    assert first != second


@pytest.mark.parametrize("words", [0, 11, 13, 25])
def test_invalid_generate_mnemonic_word_count(words: int) -> None:
    with pytest.raises(ValueError, match="12, 15, 18, 21 or 24 words"):
        generate_mnemonic(words)


def test_validate_mnemonic_normalises_whitespace_and_case() -> None:
    messy = "  ABANDON\tabandon abandon\nabandon abandon abandon abandon abandon "
    messy += "abandon abandon  abandon About  "
    assert validate_mnemonic(messy) == VECTOR_MNEMONIC


def test_invalid_mnemonic_checksum() -> None:
    with pytest.raises(InvalidMnemonic, match="checksum"):
        validate_mnemonic(" ".join(["abandon"] * 12))


def test_invalid_mnemonic_unknown_word_names_position_not_word() -> None:
    words = VECTOR_MNEMONIC.split()
    words[2] = "abandom"
    with pytest.raises(InvalidMnemonic, match="word 3 ") as raised:
        validate_mnemonic(" ".join(words))
    assert "abandom" not in str(raised.value)


@pytest.mark.parametrize("count", [0, 11, 13, 23, 25])
def test_invalid_mnemonic_word_count(count: int) -> None:
    with pytest.raises(InvalidMnemonic, match=f"got {count}"):
        validate_mnemonic(" ".join(["abandon"] * count))


def test_invalid_mnemonic_rejected_before_seed() -> None:
    with pytest.raises(InvalidMnemonic):
        mnemonic_to_seed(" ".join(["abandon"] * 12))


@pytest.mark.parametrize(
    "path",
    [
        "",
        "m/",
        "M/44'",
        "44'/118'/0'/0/0",
        "m/44'/118'/0'/0/0/",
        "m//0",
        "m/-1",
        "m/01",
        "m/1''",
        "m/1h",
        "m/ 1",
        "m/2147483648",
        "m/2147483648'",
        "m/١",  # an Arabic-Indic digit: int() would accept it
    ],
)
def test_invalid_hd_path(path: str) -> None:
    with pytest.raises(InvalidHdPath, match="invalid HD path"):
        parse_hd_path(path)


def test_largest_index_is_accepted() -> None:
    assert parse_hd_path("m/2147483647'") == [2**32 - 1]


@pytest.mark.parametrize("size", [0, 15, 65])
def test_invalid_seed_size(size: int) -> None:
    with pytest.raises(ValueError, match="16 to 64 bytes"):
        derive_private_key(bytes(size))


@pytest.mark.parametrize(
    "secret",
    [b"", bytes(31), bytes(33), bytes(32), SECP256K1_N.to_bytes(32, "big"), b"\xff" * 32],
)
def test_invalid_private_key(secret: bytes) -> None:
    with pytest.raises(ValueError, match="private key"):
        PrivateKey(secret)


def test_sign_is_deterministic_and_verifies() -> None:
    key = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    signature = key.sign(b"sign bytes")
    assert len(signature) == 64
    assert signature == key.sign(b"sign bytes")
    assert verify_signature(key.public_key, b"sign bytes", signature)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_sign_is_low_s(message: bytes) -> None:
    key = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    signature = key.sign(message)
    assert int.from_bytes(signature[32:], "big") <= SECP256K1_HALF_N
    assert verify_signature(key.public_key, message, signature)


def test_generate_gives_distinct_valid_keys() -> None:
    first, second = PrivateKey.generate(), PrivateKey.generate()
    assert first.secret != second.secret
    assert PrivateKey(first.secret).public_key == first.public_key


def test_repr_hides_the_secret() -> None:
    key = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    assert key.secret.hex() not in repr(key)
    assert key.address in repr(key)
