"""depind keys against the real cosmpy package: same keys, addresses and signatures.

A wallet made with cosmpy (or Keplr, which shares the derivation) must control the same depind
account, and cosmpy must be able to sign depind transactions.
"""

import pytest
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.crypto.address import Address
from cosmpy.crypto.keypairs import PrivateKey as CosmpyPrivateKey
from cosmpy.crypto.keypairs import PublicKey as CosmpyPublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from node.keys.hd import PrivateKey
from vm.crypto import VALOPER_HRP, address_from_pubkey, verify_signature

VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
VECTOR_PUBKEY = "024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62"

# cosmpy signs in pure Python (~1.7k signs/s); keep example counts modest.
entropies = st.sampled_from([16, 20, 24, 28, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n))


def _mnemonic(entropy: bytes) -> str:
    return Mnemonic("english").to_mnemonic(entropy)


def test_design_vector_matches_cosmpy() -> None:
    wallet = LocalWallet.from_mnemonic(VECTOR_MNEMONIC, prefix="depin")
    key = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    assert wallet.public_key().public_key_hex == VECTOR_PUBKEY == key.public_key.hex()
    assert str(wallet.address()) == key.address


@settings(max_examples=25, deadline=None)
@given(entropies)
def test_same_mnemonic_same_key_and_address(entropy: bytes) -> None:
    mnemonic = _mnemonic(entropy)
    wallet = LocalWallet.from_mnemonic(mnemonic, prefix="depin")
    key = PrivateKey.from_mnemonic(mnemonic)
    assert wallet.signer().private_key_bytes == key.secret
    assert wallet.public_key().public_key_bytes == key.public_key
    assert str(wallet.address()) == key.address


def test_valoper_address_matches_cosmpy() -> None:
    key = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    cosmpy_address = Address(CosmpyPublicKey(key.public_key), prefix=VALOPER_HRP)
    assert str(cosmpy_address) == address_from_pubkey(key.public_key, VALOPER_HRP)


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=300))
def test_signatures_are_byte_identical(secret: bytes, message: bytes) -> None:
    try:
        key = PrivateKey(secret)
    except ValueError:
        return  # zero or >= n: not a key in either library
    cosmpy_key = CosmpyPrivateKey(secret)
    cosmpy_signature = cosmpy_key.sign(message)
    assert verify_signature(key.public_key, message, cosmpy_signature)
    assert key.sign(message) == cosmpy_signature


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=300))
def test_cosmpy_verifies_depind_signatures(message: bytes) -> None:
    key = PrivateKey.from_mnemonic(VECTOR_MNEMONIC)
    assert CosmpyPublicKey(key.public_key).verify(message, key.sign(message))


def test_cosmpy_non_canonical_signature_is_rejected() -> None:
    # Sign until cosmpy's un-normalised output is high-S; depind must refuse it.
    cosmpy_key = CosmpyPrivateKey(PrivateKey.from_mnemonic(VECTOR_MNEMONIC).secret)
    public_key = cosmpy_key.public_key.public_key_bytes
    for counter in range(64):
        message = counter.to_bytes(2, "big")
        raw = cosmpy_key.sign(message, canonicalise=False)
        if raw != cosmpy_key.sign(message):
            assert not verify_signature(public_key, message, raw)
            return
    pytest.fail("no high-S signature in 64 tries (probability 2^-64)")
