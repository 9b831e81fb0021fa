"""The node key in config/node_key.json: created once, then loaded; private; validated."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from libp2p.peer.id import ID

from node.p2p import keys
from node.p2p.keys import NodeKey, NodeKeyError


def key_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / keys.NODE_KEY_FILE


def test_load_or_create_creates_a_private_key_file(tmp_path: Path) -> None:
    path = key_path(tmp_path)
    key = keys.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["priv_key"]["type"] == "tendermint/PrivKeyEd25519"
    assert key.peer_id.startswith("12D3KooW")  # an ed25519 libp2p peer id


def test_load_or_create_returns_the_same_key_after_a_restart(tmp_path: Path) -> None:
    path = key_path(tmp_path)
    first = keys.load_or_create(path)
    second = keys.load_or_create(path)
    assert second == first
    assert second.peer_id == first.peer_id


def test_node_id_is_the_libp2p_peer_id_of_the_key() -> None:
    key = NodeKey.generate()
    assert key.peer_id == ID.from_pubkey(key.key_pair.public_key).to_base58()
    assert key.peer_id != NodeKey.generate().peer_id


def test_invalid_key_file_readable_by_others(tmp_path: Path) -> None:
    path = key_path(tmp_path)
    keys.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(NodeKeyError, match="chmod 600"):
        keys.load(path)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"priv_key": {"type": "tendermint/PrivKeyEd25519", "value": "!!!"}}',
        '{"priv_key": {"type": "tendermint/PrivKeyEd25519", "value": "AAAA"}}',
        '{"priv_key": {"type": "tendermint/PrivKeySecp256k1", "value": "AAAA"}}',
    ],
)
def test_invalid_key_file_content(tmp_path: Path, content: str) -> None:
    path = key_path(tmp_path)
    path.parent.mkdir()
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(NodeKeyError, match=str(path)):
        keys.load(path)


def test_invalid_key_file_with_mismatched_public_key(tmp_path: Path) -> None:
    path = key_path(tmp_path)
    keys.save(path, NodeKey.generate())
    doc = json.loads(path.read_text())
    other = NodeKey.generate()
    seed = base64.b64decode(doc["priv_key"]["value"])[:32]
    doc["priv_key"]["value"] = base64.b64encode(seed + other.public_key).decode()
    path.write_text(json.dumps(doc))
    with pytest.raises(NodeKeyError, match="does not match"):
        keys.load(path)


def test_invalid_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(NodeKeyError, match="cannot read"):
        keys.load(key_path(tmp_path))
