"""The validator's signing key and its double-sign guard.

``priv_validator_key.json`` holds the ed25519 key; ``priv_validator_state.json``
the last (height, round, step) signed. A signature is refused for anything
at or behind that point, and the new state is fsynced before the signature
is returned, so no crash or restart can make the validator sign twice.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from consensus.files import write_private
from consensus.validators import address_of

STEP_PROPOSE = 1
STEP_PREVOTE = 2
STEP_PRECOMMIT = 3


class DoubleSignError(Exception):
    """Signing would go backwards or equivocate at the same (height, round, step)."""


def generate_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes_raw()


def public_key(secret: bytes) -> bytes:
    return (
        Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def verify(pub_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pub_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def write_key_file(path: Path, secret: bytes) -> None:
    pub = public_key(secret)
    doc = {
        "address": address_of(pub).hex().upper(),
        "pub_key": {"type": "tendermint/PubKeyEd25519", "value": base64.b64encode(pub).decode()},
        "priv_key": {
            "type": "tendermint/PrivKeyEd25519",
            "value": base64.b64encode(secret + pub).decode(),
        },
    }
    write_private(path, json.dumps(doc, indent=2).encode())


def read_key_file(path: Path) -> bytes:
    doc = json.loads(path.read_text())
    return base64.b64decode(doc["priv_key"]["value"])[:32]


@dataclass
class LastSign:
    height: int = 0
    round: int = 0
    step: int = 0
    sign_bytes_hex: str = ""
    signature_hex: str = ""


class FilePV:
    def __init__(self, key_path: Path, state_path: Path) -> None:
        self.secret = read_key_file(key_path)
        self.pub_key = public_key(self.secret)
        self.address = address_of(self.pub_key)
        self.state_path = state_path
        self.last = self._load_state()

    def sign(self, height: int, round_: int, step: int, sign_bytes: bytes) -> bytes:
        """Sign once per (height, round, step); re-signing identical bytes returns the same signature."""
        last = self.last
        point, last_point = (height, round_, step), (last.height, last.round, last.step)
        if point == last_point and last.sign_bytes_hex == sign_bytes.hex():
            return bytes.fromhex(last.signature_hex)
        if point <= last_point:
            raise DoubleSignError(f"refusing to sign {point}: already signed {last_point}")
        signature = Ed25519PrivateKey.from_private_bytes(self.secret).sign(sign_bytes)
        self.last = LastSign(height, round_, step, sign_bytes.hex(), signature.hex())
        write_private(self.state_path, json.dumps(self.last.__dict__).encode())
        return signature

    def _load_state(self) -> LastSign:
        if not self.state_path.exists():
            return LastSign()
        return LastSign(**json.loads(self.state_path.read_text()))
