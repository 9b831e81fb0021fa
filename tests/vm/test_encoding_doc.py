"""docs/encoding.md's worked example is what the code produces, value for value."""

from __future__ import annotations

import re
from pathlib import Path

from node.keys.hd import PrivateKey
from vm.bank.msgs import MsgSend
from vm.modules import default_registry
from vm.tx import Fee, SignMode, Tx, decode_tx, sign_bytes, signed, tx_hash, unsigned_tx
from vm.types import Coin

DOC = Path(__file__).resolve().parents[2] / "docs" / "encoding.md"
MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
CHAIN_ID = "depind-1"


def example(name: str) -> str:
    """The code block after ``<!-- example: name -->``, its lines joined."""
    found = re.search(rf"<!-- example: {name} -->\n```\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert found is not None, f"docs/encoding.md has no example {name!r}"
    return "".join(found.group(1).split("\n"))


def build(mode: SignMode) -> tuple[Tx, bytes, bytes]:
    """The example tx in ``mode``, its sign bytes and its TxRaw."""
    key = PrivateKey.from_mnemonic(MNEMONIC)
    recipient = PrivateKey(bytes([2]) * 32).address
    tx = unsigned_tx(
        [MsgSend(key.address, recipient, [Coin("udepin", 1000)])],
        pubkey=key.public_key,
        sequence=0,
        fee=Fee([Coin("udepin", 2000)], 200_000),
        mode=mode,
    )
    to_sign = sign_bytes(tx, CHAIN_ID, 0, 0)
    return tx, to_sign, signed(tx, key.sign(to_sign))


def test_direct_example() -> None:
    tx, to_sign, raw = build(SignMode.DIRECT)
    assert tx.raw.body_bytes.hex() == example("body_bytes")
    assert tx.raw.auth_info_bytes.hex() == example("direct auth_info_bytes")
    assert to_sign.hex() == example("direct sign_bytes")
    assert tx_hash(raw).hex().upper() == example("direct hash")
    signature = raw[-64:]
    assert f"`{signature.hex()}`" in DOC.read_text()
    assert len(raw) == 316 and raw == b"\x0a\x8f\x01" + tx.raw.body_bytes + b"\x12\x66" + (
        tx.raw.auth_info_bytes + b"\x1a\x40" + signature
    )
    assert decode_tx(raw, default_registry()).body.messages == tx.body.messages


def test_amino_example() -> None:
    tx, to_sign, raw = build(SignMode.LEGACY_AMINO_JSON)
    assert tx.raw.body_bytes.hex() == example("body_bytes")
    assert to_sign.decode() == example("amino sign_bytes")
    assert tx_hash(raw).hex().upper() == example("amino hash")
