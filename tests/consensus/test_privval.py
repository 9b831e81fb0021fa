"""consensus.privval: the validator key file and the double-sign guard."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from consensus import privval
from consensus.privval import STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE, DoubleSignError, FilePV
from consensus.validators import address_of

SECRET = bytes(range(32))


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "priv_validator_key.json"
    privval.write_key_file(path, SECRET)
    return path


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "priv_validator_state.json"


@pytest.fixture
def pv(key_path: Path, state_path: Path) -> FilePV:
    return FilePV(key_path, state_path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_round_trip(key_path: Path) -> None:
    assert privval.read_key_file(key_path) == SECRET


def test_key_file_is_private(key_path: Path) -> None:
    assert mode(key_path) == 0o600


def test_key_file_in_cometbft_shape(key_path: Path) -> None:
    doc = json.loads(key_path.read_text())
    pub = privval.public_key(SECRET)
    assert doc["address"] == address_of(pub).hex().upper()
    assert doc["pub_key"] == {"type": "tendermint/PubKeyEd25519", "value": base64.b64encode(pub).decode()}
    assert base64.b64decode(doc["priv_key"]["value"]) == SECRET + pub


def test_generate_key() -> None:
    one, two = privval.generate_key(), privval.generate_key()
    assert len(one) == 32
    assert one != two


def test_identity(pv: FilePV) -> None:
    assert pv.pub_key == privval.public_key(SECRET)
    assert len(pv.pub_key) == 32
    assert pv.address == address_of(pv.pub_key)


def test_signature_verifies(pv: FilePV) -> None:
    signature = pv.sign(1, 0, STEP_PRECOMMIT, b"block one")
    assert len(signature) == 64
    assert privval.verify(pv.pub_key, b"block one", signature)


def test_invalid_signature_for_other_message(pv: FilePV) -> None:
    signature = pv.sign(1, 0, STEP_PRECOMMIT, b"block one")
    assert not privval.verify(pv.pub_key, b"block two", signature)


def test_invalid_signature_for_other_key(pv: FilePV) -> None:
    signature = pv.sign(1, 0, STEP_PRECOMMIT, b"block one")
    assert not privval.verify(privval.public_key(bytes(32)), b"block one", signature)


def test_invalid_malformed_public_key_or_signature(pv: FilePV) -> None:
    signature = pv.sign(1, 0, STEP_PRECOMMIT, b"m")
    assert not privval.verify(b"short", b"m", signature)
    assert not privval.verify(pv.pub_key, b"m", signature[:63])


def test_signs_forward(pv: FilePV) -> None:
    pv.sign(1, 0, STEP_PROPOSE, b"a")
    pv.sign(1, 0, STEP_PREVOTE, b"b")
    pv.sign(1, 0, STEP_PRECOMMIT, b"c")
    pv.sign(1, 1, STEP_PROPOSE, b"d")
    pv.sign(2, 0, STEP_PROPOSE, b"e")
    assert (pv.last.height, pv.last.round, pv.last.step) == (2, 0, STEP_PROPOSE)


def test_resigning_identical_bytes_returns_same_signature(pv: FilePV) -> None:
    first = pv.sign(3, 0, STEP_PRECOMMIT, b"block three")
    assert pv.sign(3, 0, STEP_PRECOMMIT, b"block three") == first


@pytest.mark.parametrize(
    "point",
    [(4, 0, STEP_PRECOMMIT), (5, 0, STEP_PREVOTE), (5, 0, STEP_PROPOSE), (4, 9, STEP_PRECOMMIT)],
)
def test_invalid_sign_lower_point(pv: FilePV, point: tuple[int, int, int]) -> None:
    pv.sign(5, 0, STEP_PRECOMMIT, b"five")
    with pytest.raises(DoubleSignError):
        pv.sign(*point, b"older")


def test_invalid_sign_lower_round(pv: FilePV) -> None:
    pv.sign(5, 2, STEP_PREVOTE, b"five/2")
    with pytest.raises(DoubleSignError):
        pv.sign(5, 1, STEP_PRECOMMIT, b"five/1")


def test_invalid_sign_different_bytes_at_same_point(pv: FilePV) -> None:
    pv.sign(5, 0, STEP_PRECOMMIT, b"block A")
    with pytest.raises(DoubleSignError):
        pv.sign(5, 0, STEP_PRECOMMIT, b"block B")


def test_refusal_leaves_state_unchanged(pv: FilePV, state_path: Path) -> None:
    pv.sign(5, 0, STEP_PRECOMMIT, b"block A")
    saved = state_path.read_bytes()
    with pytest.raises(DoubleSignError):
        pv.sign(5, 0, STEP_PRECOMMIT, b"block B")
    assert state_path.read_bytes() == saved
    assert pv.sign(6, 0, STEP_PRECOMMIT, b"block six")


def test_guard_survives_restart(key_path: Path, state_path: Path) -> None:
    first = FilePV(key_path, state_path)
    signature = first.sign(7, 0, STEP_PRECOMMIT, b"block seven")
    restarted = FilePV(key_path, state_path)
    with pytest.raises(DoubleSignError):
        restarted.sign(7, 0, STEP_PRECOMMIT, b"another block seven")
    with pytest.raises(DoubleSignError):
        restarted.sign(6, 0, STEP_PRECOMMIT, b"block six")
    assert restarted.sign(7, 0, STEP_PRECOMMIT, b"block seven") == signature
    assert restarted.sign(8, 0, STEP_PRECOMMIT, b"block eight")


def test_state_file_is_private_and_written_before_returning(pv: FilePV, state_path: Path) -> None:
    assert not state_path.exists()
    pv.sign(1, 0, STEP_PRECOMMIT, b"one")
    assert mode(state_path) == 0o600
    saved = json.loads(state_path.read_text())
    assert (saved["height"], saved["round"], saved["step"]) == (1, 0, STEP_PRECOMMIT)
    assert not state_path.with_suffix(state_path.suffix + ".tmp").exists()


def test_fresh_state_signs_from_the_start(pv: FilePV) -> None:
    assert (pv.last.height, pv.last.round, pv.last.step) == (0, 0, 0)
    assert privval.verify(pv.pub_key, b"x", pv.sign(1, 0, STEP_PROPOSE, b"x"))
