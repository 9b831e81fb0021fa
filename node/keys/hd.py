"""BIP-39 mnemonics and BIP-32 secp256k1 derivation on the Cosmos path m/44'/118'/0'/0/0.

The same mnemonic gives the same key here as in cosmpy, Keplr and the Cosmos SDK.
"""

import hashlib
import hmac
import re
from functools import cache
from typing import Self

import coincurve
from mnemonic import Mnemonic

from vm.crypto import SECP256K1_N, address_from_pubkey

DEFAULT_HD_PATH = "m/44'/118'/0'/0/0"
HARDENED_OFFSET = 0x80000000
SECRET_SIZE = 32

# BIP-39: words in a mnemonic -> bits of entropy.
_STRENGTH_BY_WORDS = {12: 128, 15: 160, 18: 192, 21: 224, 24: 256}
# Canonical decimal index with an optional hardened mark; [0-9], not \d, to refuse other digits.
_PATH_SEGMENT = re.compile(r"(0|[1-9][0-9]*)(')?")
_MIN_SEED_SIZE = 16
_MAX_SEED_SIZE = 64
# BIP-32 would skip to the next index; the odds are below 2^-127, so refusing is simpler and safe.
_UNLUCKY_PATH = "BIP-32 derivation produced an invalid key at this path; use another index"


class InvalidMnemonic(ValueError):
    """A mnemonic with the wrong number of words, an unknown word or a bad checksum."""


class InvalidHdPath(ValueError):
    """A derivation path that is not of the form m/44'/118'/0'/0/0."""


@cache
def _english() -> Mnemonic:
    return Mnemonic("english")


@cache
def _english_words() -> frozenset[str]:
    return frozenset(_english().wordlist)


def generate_mnemonic(words: int = 24) -> str:
    """Return a new random BIP-39 English mnemonic of 12, 15, 18, 21 or 24 words."""
    strength = _STRENGTH_BY_WORDS.get(words)
    if strength is None:
        raise ValueError(f"a mnemonic has 12, 15, 18, 21 or 24 words, not {words}")
    return _english().generate(strength)


def validate_mnemonic(mnemonic: str) -> str:
    """Return the mnemonic in canonical form (lowercase, single spaces) or raise InvalidMnemonic."""
    words = mnemonic.lower().split()
    if len(words) not in _STRENGTH_BY_WORDS:
        raise InvalidMnemonic(f"a mnemonic has 12, 15, 18, 21 or 24 words, got {len(words)}")
    # Name the position, not the word: a near-miss word would leak part of the secret into logs.
    for position, word in enumerate(words, start=1):
        if word not in _english_words():
            raise InvalidMnemonic(f"word {position} of the mnemonic is not a BIP-39 English word")
    canonical = " ".join(words)
    if not _english().check(canonical):
        raise InvalidMnemonic("mnemonic checksum is invalid (a word is wrong or out of order)")
    return canonical


def mnemonic_to_seed(mnemonic: str, passphrase: str = "") -> bytes:
    """Return the 64-byte BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds) of a valid mnemonic."""
    return Mnemonic.to_seed(validate_mnemonic(mnemonic), passphrase)


def parse_hd_path(path: str) -> list[int]:
    """Return the child indices of a BIP-32 path such as m/44'/118'/0'/0/0."""
    segments = path.split("/")
    if segments[0] != "m":
        raise InvalidHdPath(f"invalid HD path {path!r}: must start with 'm'")
    return [_parse_segment(path, segment) for segment in segments[1:]]


def _parse_segment(path: str, segment: str) -> int:
    match = _PATH_SEGMENT.fullmatch(segment)
    if match is None:
        raise InvalidHdPath(f"invalid HD path {path!r}: bad segment {segment!r}")
    index = int(match.group(1))
    if index >= HARDENED_OFFSET:
        raise InvalidHdPath(f"invalid HD path {path!r}: index {index} is not below 2^31")
    return index + HARDENED_OFFSET if match.group(2) else index


def derive_private_key(seed: bytes, path: str = DEFAULT_HD_PATH) -> bytes:
    """Return the 32-byte secp256k1 secret at `path` below the BIP-32 master key of `seed`."""
    if not _MIN_SEED_SIZE <= len(seed) <= _MAX_SEED_SIZE:
        raise ValueError(f"a BIP-32 seed has 16 to 64 bytes, got {len(seed)}")
    secret, chain_code = _split_key(hmac.digest(b"Bitcoin seed", seed, "sha512"))
    for index in parse_hd_path(path):
        secret, chain_code = _derive_child(secret, chain_code, index)
    return secret


def _derive_child(secret: bytes, chain_code: bytes, index: int) -> tuple[bytes, bytes]:
    if index >= HARDENED_OFFSET:
        data = b"\x00" + secret + index.to_bytes(4, "big")
    else:
        data = coincurve.PublicKey.from_valid_secret(secret).format() + index.to_bytes(4, "big")
    tweak, child_chain_code = _split_key(hmac.digest(chain_code, data, "sha512"))
    child = (int.from_bytes(tweak, "big") + int.from_bytes(secret, "big")) % SECP256K1_N
    if child == 0:
        raise ValueError(_UNLUCKY_PATH)
    return child.to_bytes(SECRET_SIZE, "big"), child_chain_code


def _split_key(digest: bytes) -> tuple[bytes, bytes]:
    key = digest[:32]
    if not 0 < int.from_bytes(key, "big") < SECP256K1_N:
        raise ValueError(_UNLUCKY_PATH)
    return key, digest[32:]


class PrivateKey:
    """A secp256k1 account key that signs as the Cosmos SDK does (see vm.crypto)."""

    __slots__ = ("_key", "_public_key")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != SECRET_SIZE:
            raise ValueError(f"a private key is {SECRET_SIZE} bytes, got {len(secret)}")
        try:
            self._key = coincurve.PrivateKey(secret)
        except ValueError:
            raise ValueError("private key is zero or not below the curve order") from None
        self._public_key = self._key.public_key.format(compressed=True)

    @classmethod
    def from_mnemonic(cls, mnemonic: str, passphrase: str = "", path: str = DEFAULT_HD_PATH) -> Self:
        """Return the key that `mnemonic` (and optional BIP-39 passphrase) gives at `path`."""
        return cls(derive_private_key(mnemonic_to_seed(mnemonic, passphrase), path))

    @classmethod
    def generate(cls) -> Self:
        """Return a new key from the operating system's random source."""
        return cls(coincurve.PrivateKey().secret)

    @property
    def secret(self) -> bytes:
        """The 32-byte secret scalar."""
        return self._key.secret

    @property
    def public_key(self) -> bytes:
        """The 33-byte compressed public key."""
        return self._public_key

    @property
    def address(self) -> str:
        """The bech32 account address (depin1...)."""
        return address_from_pubkey(self._public_key)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte r||s signature of SHA-256(message): RFC 6979 nonce, low S."""
        # libsecp256k1 always emits low-S; the recovery byte at the end is not part of the format.
        return self._key.sign_recoverable(message, hasher=_sha256)[:64]

    def __repr__(self) -> str:
        return f"PrivateKey(address={self.address!r})"


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
