"""The keyring: named account keys stored under the node home, like the Cosmos SDK's keyring.

Two backends, one JSON file per key:

- "file": `<home>/keyring-file/<name>.json`, the secret sealed with scrypt + AES-256-GCM under a
  passphrase;
- "test": `<home>/keyring-test/<name>.json`, the secret in clear, for development and CI only.

Folders are 0700 and files 0600; every write goes to a temporary file that replaces the target.
Public data (name, address, public key) is readable without the passphrase.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES

from node.keys.hd import (
    DEFAULT_HD_PATH,
    InvalidHdPath,
    InvalidMnemonic,
    PrivateKey,
    generate_mnemonic,
    validate_mnemonic,
)
from vm.crypto import address_from_pubkey, is_valid_pubkey

BACKENDS = ("file", "test")
KEY_TYPE = "secp256k1"
FORMAT_VERSION = 1
DEFAULT_SCRYPT_N = 2**15
# Lower bound keeps tests fast yet not trivial; upper bound caps the memory (256 MiB) that a
# crafted key file or armored export can make us spend.
MIN_SCRYPT_N = 2**10
MAX_SCRYPT_N = 2**18
SCRYPT_R = 8
SCRYPT_P = 1
SALT_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
SECRET_SIZE = 32
MIN_PASSPHRASE_LENGTH = 8
ARMOR_BEGIN = "-----BEGIN DEPIND PRIVATE KEY-----"
ARMOR_END = "-----END DEPIND PRIVATE KEY-----"

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_KDF = "scrypt"
_CIPHER = "aes-256-gcm"
# Parameters every sealed secret must carry; only scrypt's N may vary.
_FIXED_PARAMS = {
    "kdf": _KDF,
    "cipher": _CIPHER,
    "scrypt-r": str(SCRYPT_R),
    "scrypt-p": str(SCRYPT_P),
}

Passphrase = Callable[[], str] | str | None


class KeyringError(Exception):
    """A keyring operation failed; the message is one line, fit to show a user."""


@dataclass(frozen=True)
class KeyInfo:
    """The public part of a stored key."""

    name: str
    address: str
    pubkey: bytes


@dataclass(frozen=True)
class _Entry:
    info: KeyInfo
    record: Mapping[str, Any]


class Keyring:
    """Named secp256k1 keys in one backend folder under `home`."""

    def __init__(
        self,
        home: Path,
        backend: str = "file",
        passphrase: Passphrase = None,
        scrypt_n: int = DEFAULT_SCRYPT_N,
    ) -> None:
        if backend not in BACKENDS:
            raise KeyringError(f"unknown keyring backend {backend!r}; expected 'file' or 'test'")
        _check_scrypt_n(scrypt_n)
        self.backend = backend
        self.folder = Path(home) / f"keyring-{backend}"
        self._passphrase = passphrase
        self._scrypt_n = scrypt_n

    def add(
        self, name: str, mnemonic: str | None = None, hd_path: str = DEFAULT_HD_PATH
    ) -> tuple[KeyInfo, str]:
        """Store a key made from `mnemonic`, or from a new one; return it and the mnemonic."""
        self._check_name_free(name)
        try:
            phrase = generate_mnemonic() if mnemonic is None else validate_mnemonic(mnemonic)
            key = PrivateKey.from_mnemonic(phrase, path=hd_path)
        except (InvalidMnemonic, InvalidHdPath) as err:
            raise KeyringError(str(err)) from None
        return self._store(name, key), phrase

    def list(self) -> list[KeyInfo]:
        """All stored keys, sorted by name."""
        return [entry.info for entry in self._entries()]

    def show(self, name_or_address: str) -> KeyInfo:
        """The key stored under this name or with this address."""
        return self._find(name_or_address).info

    def private_key(self, name_or_address: str) -> PrivateKey:
        """Unlock a stored key (asks for the passphrase with the file backend)."""
        entry = self._find(name_or_address)
        if self.backend == "test":
            secret = _hex_field(entry.record, "secret")
        else:
            secret = _open(_sealed_fields(entry.record), self._get_passphrase())
        return _checked_key(entry.info, secret)

    def delete(self, name: str) -> None:
        """Remove a stored key."""
        path = self._path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise KeyringError(f"key {name!r} not found") from None
        _fsync_folder(self.folder)

    def export(self, name: str, export_passphrase: str) -> str:
        """Return the key as ASCII armor, sealed under `export_passphrase`."""
        key = self.private_key(name)
        return _armor(_seal(key.secret, export_passphrase, self._scrypt_n))

    def import_(self, name: str, armored: str, export_passphrase: str) -> KeyInfo:
        """Store a key from `export` output under `name`."""
        self._check_name_free(name)
        secret = _open(_parse_armor(armored), export_passphrase)
        try:
            key = PrivateKey(secret)
        except ValueError as err:
            raise KeyringError(f"invalid armored key: {err}") from None
        return self._store(name, key)

    def _store(self, name: str, key: PrivateKey) -> KeyInfo:
        info = KeyInfo(name=name, address=key.address, pubkey=key.public_key)
        owner = self._owner_of(info.address)
        if owner is not None:
            raise KeyringError(f"key with address {info.address} already exists as {owner!r}")
        record = _public_record(info)
        if self.backend == "test":
            record["secret"] = key.secret.hex()
        else:
            record["crypto"] = _seal(key.secret, self._get_passphrase(), self._scrypt_n)
        _make_private_folder(self.folder)
        _write_private_file(self._path(name), json.dumps(record, indent=2).encode() + b"\n")
        return info

    def _check_name_free(self, name: str) -> None:
        if self._path(name).exists():
            raise KeyringError(f"key {name!r} already exists")

    def _owner_of(self, address: str) -> str | None:
        return next((e.info.name for e in self._entries() if e.info.address == address), None)

    def _find(self, name_or_address: str) -> _Entry:
        if _NAME.fullmatch(name_or_address) and self._path(name_or_address).exists():
            return _load_entry(self._path(name_or_address))
        for entry in self._entries():
            if entry.info.address == name_or_address:
                return entry
        raise KeyringError(f"key {name_or_address!r} not found")

    def _entries(self) -> Iterator[_Entry]:
        if not self.folder.is_dir():
            return
        # Sort by name, not file name: "a" comes before "a.b" but "a.json" after "a.b.json".
        paths = [p for p in self.folder.iterdir() if p.suffix == ".json" and _NAME.fullmatch(p.stem)]
        for path in sorted(paths, key=lambda p: p.stem):
            yield _load_entry(path)

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise KeyringError(f"invalid key name {name!r}: use 1 to 64 letters, digits, '_', '.' or '-'")
        return self.folder / f"{name}.json"

    def _get_passphrase(self) -> str:
        if self._passphrase is None:
            raise KeyringError("the file keyring backend needs a passphrase")
        if isinstance(self._passphrase, str):
            return self._passphrase
        return self._passphrase()


def _check_scrypt_n(n: int) -> None:
    if not (MIN_SCRYPT_N <= n <= MAX_SCRYPT_N and n & (n - 1) == 0):
        raise KeyringError(f"scrypt N must be a power of two from 2^10 to 2^18, got {n}")


def _public_record(info: KeyInfo) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "name": info.name,
        "type": KEY_TYPE,
        "address": info.address,
        "pubkey": info.pubkey.hex(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _load_entry(path: Path) -> _Entry:
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError) as err:
        raise KeyringError(f"cannot read key file {path}: {err}") from None
    if not isinstance(record, dict):
        raise KeyringError(f"key file {path} is corrupt: not a JSON object")
    return _Entry(_public_info(path, record), record)


def _public_info(path: Path, record: Mapping[str, Any]) -> KeyInfo:
    if record.get("version") != FORMAT_VERSION or record.get("type") != KEY_TYPE:
        raise KeyringError(f"key file {path} has an unsupported version or key type")
    pubkey = _hex_field(record, "pubkey")
    address = record.get("address")
    if record.get("name") != path.stem or not is_valid_pubkey(pubkey):
        raise KeyringError(f"key file {path} is corrupt: bad name or public key")
    if address != address_from_pubkey(pubkey):
        raise KeyringError(f"key file {path} is corrupt: address does not match public key")
    return KeyInfo(name=path.stem, address=address, pubkey=pubkey)


def _checked_key(info: KeyInfo, secret: bytes) -> PrivateKey:
    try:
        key = PrivateKey(secret)
    except ValueError:
        key = None
    if key is None or key.public_key != info.pubkey:
        raise KeyringError(f"key file for {info.name!r} is corrupt: secret does not match pubkey")
    return key


def _hex_field(record: Mapping[str, Any], field: str) -> bytes:
    # Empty when missing or not hex; callers then reject it as an invalid key.
    value = record.get(field)
    try:
        return bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        return b""


def _sealed_fields(record: Mapping[str, Any]) -> dict[str, str]:
    crypto = record.get("crypto")
    if not isinstance(crypto, dict) or not all(isinstance(v, str) for v in crypto.values()):
        raise KeyringError(f"key file for {record.get('name')!r} is corrupt: no sealed secret")
    return crypto


# Sealing: scrypt derives an AES-256 key from the passphrase; GCM's tag detects a wrong one.
# The same string fields describe a sealed secret in a key file and in an armored export.


def _seal(secret: bytes, passphrase: str, scrypt_n: int) -> dict[str, str]:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise KeyringError(f"passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters")
    salt = secrets.token_bytes(SALT_SIZE)
    nonce = secrets.token_bytes(NONCE_SIZE)
    cipher = AES.new(_derive_key(passphrase, salt, scrypt_n), AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(secret)
    return {
        "kdf": _KDF,
        "scrypt-n": str(scrypt_n),
        "scrypt-r": str(SCRYPT_R),
        "scrypt-p": str(SCRYPT_P),
        "salt": salt.hex(),
        "cipher": _CIPHER,
        "nonce": nonce.hex(),
        "data": base64.b64encode(ciphertext + tag).decode("ascii"),
    }


def _open(fields: Mapping[str, str], passphrase: str) -> bytes:
    scrypt_n, salt, nonce, data = _parse_sealed(fields)
    cipher = AES.new(_derive_key(passphrase, salt, scrypt_n), AES.MODE_GCM, nonce=nonce)
    try:
        return cipher.decrypt_and_verify(data[:SECRET_SIZE], data[SECRET_SIZE:])
    except ValueError:
        raise KeyringError("incorrect passphrase") from None


def _parse_sealed(fields: Mapping[str, str]) -> tuple[int, bytes, bytes, bytes]:
    if any(fields.get(field) != value for field, value in _FIXED_PARAMS.items()):
        raise KeyringError("unsupported key encryption: expected scrypt (r=8, p=1) + aes-256-gcm")
    try:
        scrypt_n = int(fields["scrypt-n"])
        salt = bytes.fromhex(fields["salt"])
        nonce = bytes.fromhex(fields["nonce"])
        data = base64.b64decode(fields["data"], validate=True)
    except (KeyError, ValueError) as err:
        raise KeyringError(f"sealed key is malformed: bad or missing field {err}") from None
    _check_scrypt_n(scrypt_n)
    if (len(salt), len(nonce), len(data)) != (SALT_SIZE, NONCE_SIZE, SECRET_SIZE + TAG_SIZE):
        raise KeyringError("sealed key is malformed: wrong salt, nonce or data size")
    return scrypt_n, salt, nonce, data


def _derive_key(passphrase: str, salt: bytes, scrypt_n: int) -> bytes:
    # hashlib's scrypt takes UTF-8 bytes (pycryptodome's would encode str as Latin-1).
    memory = 128 * SCRYPT_R * scrypt_n
    return hashlib.scrypt(
        passphrase.encode("utf-8"),
        salt=salt,
        n=scrypt_n,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=2 * memory,
        dklen=32,
    )


# ASCII armor: headers, a blank line, the base64 body, as Cosmos SDK armored keys look.


def _armor(fields: Mapping[str, str]) -> str:
    headers = [f"{key}: {value}" for key, value in fields.items() if key != "data"]
    body = textwrap.wrap(fields["data"], 64)
    return "\n".join([ARMOR_BEGIN, f"type: {KEY_TYPE}", *headers, "", *body, ARMOR_END]) + "\n"


def _parse_armor(text: str) -> dict[str, str]:
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise KeyringError("invalid armored key: missing BEGIN or END line")
    inner = lines[1:-1]
    if "" not in inner:
        raise KeyringError("invalid armored key: no blank line between headers and body")
    blank = inner.index("")
    fields = dict(_parse_header(line) for line in inner[:blank])
    if fields.pop("type", None) != KEY_TYPE:
        raise KeyringError(f"invalid armored key: key type is not {KEY_TYPE}")
    fields["data"] = "".join(inner[blank + 1 :])
    return fields


def _parse_header(line: str) -> tuple[str, str]:
    key, separator, value = line.partition(": ")
    if not separator:
        raise KeyringError(f"invalid armored key: bad header line {line!r}")
    return key, value


# Files: secrets must never be world-readable, even for a moment, nor half-written.


def _make_private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by umask and ignored if it exists


def _write_private_file(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
