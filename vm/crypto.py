"""Account keys, addresses and signatures, compatible with Cosmos SDK secp256k1 accounts.

An address is bech32(hrp, RIPEMD160(SHA256(compressed pubkey))). A signature is the 64-byte
r||s of an ECDSA signature over SHA-256(message); like the Cosmos SDK, verification rejects
high-S signatures so that a signed tx has exactly one valid encoding.
"""

import functools
import hashlib
from collections import OrderedDict

import bech32
import coincurve
from Crypto.Hash import RIPEMD160

ACCOUNT_HRP = "depin"
VALOPER_HRP = "depinvaloper"
PUBKEY_SIZE = 33
SIGNATURE_SIZE = 64
ADDRESS_SIZE = 20

# Order of the secp256k1 group.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2

# Address and key checks are pure functions of their input, and a busy chain sees
# the same few thousand senders again and again: memoise them (bounded in entries,
# and in bytes: only inputs of a valid size are cached, so an attacker's 64 KiB
# "address" or "key" costs nothing after the call).
_CACHE_SIZE = 1 << 16
MAX_ADDRESS_CHARS = 90  # bech32's limit


class InvalidAddress(ValueError):
    """A bech32 address that is malformed, has the wrong prefix or the wrong length."""


def address_bytes(pubkey: bytes) -> bytes:
    """Return the 20-byte account address of a compressed public key."""
    # hashlib's ripemd160 is missing where OpenSSL 3 disables legacy digests.
    return RIPEMD160.new(hashlib.sha256(pubkey).digest()).digest()


def encode_address(raw: bytes, hrp: str = ACCOUNT_HRP) -> str:
    """Encode a 20-byte address as bech32 (not bech32m) under a human-readable prefix."""
    if len(raw) != ADDRESS_SIZE:
        raise InvalidAddress(f"address must be {ADDRESS_SIZE} bytes, got {len(raw)}")
    return _encode_address(bytes(raw), hrp)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _encode_address(raw: bytes, hrp: str) -> str:
    words = bech32.convertbits(raw, 8, 5)
    if words is None:  # unreachable for bytes input; keeps the type checker exact
        raise InvalidAddress("address bytes cannot be converted to bech32")
    return bech32.bech32_encode(hrp, words)


def decode_address(text: str, hrp: str = ACCOUNT_HRP) -> bytes:
    """Decode a bech32 address, checking prefix, checksum, case and length."""
    if len(text) > MAX_ADDRESS_CHARS:  # checked before the cache: its keys stay small
        raise InvalidAddress(f"invalid address: longer than {MAX_ADDRESS_CHARS} characters")
    return _decode_address(text, hrp)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _decode_address(text: str, hrp: str) -> bytes:
    if text.lower() != text and text.upper() != text:
        raise InvalidAddress(f"invalid address {text!r}: mixed upper and lower case")
    got_hrp, words = bech32.bech32_decode(text)
    if got_hrp is None or words is None:
        raise InvalidAddress(f"invalid address {text!r}: not bech32 or bad checksum")
    if got_hrp != hrp:
        raise InvalidAddress(f"invalid address {text!r}: prefix is {got_hrp!r}, expected {hrp!r}")
    raw = bech32.convertbits(words, 5, 8, False)
    if raw is None or len(raw) != ADDRESS_SIZE:
        raise InvalidAddress(f"invalid address {text!r}: payload is not {ADDRESS_SIZE} bytes")
    return bytes(raw)


def address_from_pubkey(pubkey: bytes, hrp: str = ACCOUNT_HRP) -> str:
    """Return the bech32 address of a compressed public key."""
    if len(pubkey) != PUBKEY_SIZE:  # not a key a tx can carry: not worth a cache entry
        return encode_address(address_bytes(pubkey), hrp)
    return _address_from_pubkey(pubkey, hrp)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _address_from_pubkey(pubkey: bytes, hrp: str) -> str:
    return encode_address(address_bytes(pubkey), hrp)


def is_valid_pubkey(pubkey: bytes) -> bool:
    """Return whether `pubkey` is a 33-byte compressed point on secp256k1."""
    if len(pubkey) != PUBKEY_SIZE or pubkey[0] not in (2, 3):
        return False
    return _is_on_curve(pubkey)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _is_on_curve(pubkey: bytes) -> bool:
    try:
        coincurve.PublicKey(pubkey)
    except ValueError:
        return False
    return True


def verify_signature(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """Return whether `signature` (r||s, low-S) signs SHA-256(message) under `pubkey`.

    Never raises: every malformed input is simply an invalid signature. A node checks
    each tx's signature twice, in CheckTx and when it executes the tx's block, so the
    verdict is memoised (bounded) under a digest of the three inputs.
    """
    key = hashlib.sha256(
        len(pubkey).to_bytes(4, "big") + pubkey + len(signature).to_bytes(4, "big") + signature + message
    ).digest()
    verdict = _verdicts.get(key)
    if verdict is None:
        verdict = _verify_signature(pubkey, message, signature)
        _verdicts[key] = verdict
        if len(_verdicts) > _CACHE_SIZE:
            _verdicts.popitem(last=False)  # the oldest (a plain dict's first key is O(n) to find)
    return verdict


_verdicts: OrderedDict[bytes, bool] = OrderedDict()


def _verify_signature(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    if len(signature) != SIGNATURE_SIZE or not is_valid_pubkey(pubkey):
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_HALF_N):
        return False
    der = _encode_der_signature(r, s)
    return coincurve.PublicKey(pubkey).verify(der, message, hasher=_sha256)


def _encode_der_signature(r: int, s: int) -> bytes:
    """DER-encode (r, s) as coincurve's public verify API expects; both must be in [1, n)."""
    body = _der_integer(r) + _der_integer(s)
    return bytes([0x30, len(body)]) + body


def _der_integer(value: int) -> bytes:
    # One spare bit keeps the value positive: a leading 0x00 appears when the top bit is set.
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return bytes([0x02, len(raw)]) + raw


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
