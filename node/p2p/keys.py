"""The node key: the ed25519 identity of this node on the p2p network.

Stored in ``config/node_key.json`` (mode 0600) in CometBFT's shape,
``{"priv_key": {"type": "tendermint/PrivKeyEd25519", "value": base64(seed || pubkey)}}``.
The node id is the libp2p peer id derived from the public key, the same id
that peers put in ``/p2p/<peer id>``. It is unrelated to the validator key.
"""

from __future__ import annotations

import base64
import binascii
import json
import stat
from dataclasses import dataclass
from pathlib import Path

from libp2p.crypto.ed25519 import Ed25519PrivateKey
from libp2p.crypto.keys import KeyPair
from libp2p.peer.id import ID

from consensus.files import write_private
from node.p2p.config import PeerId

NODE_KEY_FILE = "node_key.json"
KEY_TYPE = "tendermint/PrivKeyEd25519"
_SEED_BYTES = 32


class NodeKeyError(Exception):
    """The node key file is missing, malformed or readable by others."""


@dataclass(frozen=True)
class NodeKey:
    seed: bytes  # the 32-byte ed25519 private key

    @classmethod
    def generate(cls) -> NodeKey:
        return cls(Ed25519PrivateKey.new().to_bytes())

    @property
    def key_pair(self) -> KeyPair:
        private = Ed25519PrivateKey.from_bytes(self.seed)
        return KeyPair(private, private.get_public_key())

    @property
    def public_key(self) -> bytes:
        return self.key_pair.public_key.to_bytes()

    @property
    def peer_id(self) -> PeerId:
        return PeerId(ID.from_pubkey(self.key_pair.public_key).to_base58())


def load_or_create(path: Path) -> NodeKey:
    """The key in ``path``, or a new one written there (0600) if the file does not exist."""
    if path.exists():
        return load(path)
    key = NodeKey.generate()
    save(path, key)
    return key


def load(path: Path) -> NodeKey:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text()
    except OSError as exc:
        raise NodeKeyError(f"cannot read node key {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise NodeKeyError(f"node key {path} has mode {mode:04o}; it must be private: chmod 600 {path}")
    return _decode(path, text)


def save(path: Path, key: NodeKey) -> None:
    """Write atomically (temp file, fsync, rename) with mode 0600."""
    value = base64.b64encode(key.seed + key.public_key).decode()
    doc = {"priv_key": {"type": KEY_TYPE, "value": value}}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, (json.dumps(doc, indent=2) + "\n").encode())


def _decode(path: Path, text: str) -> NodeKey:
    try:
        priv = json.loads(text)["priv_key"]
        key_type, raw = priv["type"], base64.b64decode(priv["value"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise NodeKeyError(
            f"node key {path} is malformed: expected {{'priv_key': {{type, value}}}}"
        ) from None
    if key_type != KEY_TYPE:
        raise NodeKeyError(f"node key {path}: unsupported key type {key_type!r}; expected {KEY_TYPE}")
    if len(raw) != 2 * _SEED_BYTES:
        raise NodeKeyError(f"node key {path}: expected 64 bytes (seed and public key), got {len(raw)}")
    key = NodeKey(raw[:_SEED_BYTES])
    if key.public_key != raw[_SEED_BYTES:]:
        raise NodeKeyError(f"node key {path}: the public key does not match the private key")
    return key
