"""The on-disk keyring: both backends, encryption, permissions, export and import."""

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.keys.hd import PrivateKey, validate_mnemonic
from node.keys.keyring import DEFAULT_SCRYPT_N, KeyInfo, Keyring, KeyringError

VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
VECTOR_PUBKEY = bytes.fromhex("024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62")
PASSPHRASE = "correct horse battery"
FAST_N = 2**10


def _file_keyring(home: Path, passphrase: str = PASSPHRASE) -> Keyring:
    return Keyring(home, "file", passphrase=passphrase, scrypt_n=FAST_N)


@pytest.fixture(params=["file", "test"])
def keyring(request: pytest.FixtureRequest, tmp_path: Path) -> Keyring:
    return Keyring(tmp_path, request.param, passphrase=PASSPHRASE, scrypt_n=FAST_N)


@pytest.fixture
def open_umask() -> Iterator[None]:
    # Permissions must not depend on a careful umask.
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_add_recovers_design_vector(keyring: Keyring) -> None:
    info, mnemonic = keyring.add("alice", VECTOR_MNEMONIC.upper())
    assert mnemonic == VECTOR_MNEMONIC
    assert info == KeyInfo("alice", PrivateKey.from_mnemonic(VECTOR_MNEMONIC).address, VECTOR_PUBKEY)


def test_add_new_key_returns_its_mnemonic(keyring: Keyring) -> None:
    info, mnemonic = keyring.add("bob")
    assert len(validate_mnemonic(mnemonic).split()) == 24
    assert info.pubkey == PrivateKey.from_mnemonic(mnemonic).public_key


def test_add_at_other_hd_path(keyring: Keyring) -> None:
    info, _ = keyring.add("second", VECTOR_MNEMONIC, hd_path="m/44'/118'/0'/0/1")
    expected = PrivateKey.from_mnemonic(VECTOR_MNEMONIC, path="m/44'/118'/0'/0/1")
    assert info.pubkey == expected.public_key


def test_private_key_round_trip(keyring: Keyring) -> None:
    info, mnemonic = keyring.add("alice")
    key = keyring.private_key("alice")
    assert key.secret == PrivateKey.from_mnemonic(mnemonic).secret
    assert keyring.private_key(info.address).secret == key.secret


def test_list_is_sorted_by_name(keyring: Keyring) -> None:
    for name in ["carol", "alice", "Bob"]:
        keyring.add(name)
    assert [info.name for info in keyring.list()] == ["Bob", "alice", "carol"]


def test_list_sorts_by_name_not_file_name(keyring: Keyring) -> None:
    for name in ["a.b", "a"]:
        keyring.add(name)
    assert [info.name for info in keyring.list()] == ["a", "a.b"]


def test_list_of_empty_keyring_creates_nothing(tmp_path: Path) -> None:
    assert _file_keyring(tmp_path).list() == []
    assert list(tmp_path.iterdir()) == []


def test_show_by_name_or_address(keyring: Keyring) -> None:
    info, _ = keyring.add("alice", VECTOR_MNEMONIC)
    assert keyring.show("alice") == info
    assert keyring.show(info.address) == info


def test_delete(keyring: Keyring) -> None:
    keyring.add("alice")
    keyring.delete("alice")
    assert keyring.list() == []
    with pytest.raises(KeyringError, match="key 'alice' not found"):
        keyring.show("alice")


def test_invalid_duplicate_name(keyring: Keyring) -> None:
    keyring.add("alice")
    with pytest.raises(KeyringError, match="key 'alice' already exists"):
        keyring.add("alice")


def test_invalid_duplicate_address(keyring: Keyring) -> None:
    keyring.add("alice", VECTOR_MNEMONIC)
    with pytest.raises(KeyringError, match="already exists as 'alice'"):
        keyring.add("alias", VECTOR_MNEMONIC)


@pytest.mark.parametrize("name", ["", "a/b", "../x", "a b", "é", "x" * 65, "a\x00", "name\n"])
def test_invalid_key_name(keyring: Keyring, name: str) -> None:
    with pytest.raises(KeyringError, match="invalid key name"):
        keyring.add(name)


def test_longest_and_punctuated_names_are_valid(keyring: Keyring) -> None:
    for name in ["x" * 64, "a.b-c_D9", ".hidden"]:
        keyring.add(name)
    assert len(keyring.list()) == 3


@pytest.mark.parametrize("operation", ["show", "private_key", "delete"])
def test_invalid_unknown_key(keyring: Keyring, operation: str) -> None:
    with pytest.raises(KeyringError, match="key 'ghost' not found"):
        getattr(keyring, operation)("ghost")


def test_invalid_mnemonic_is_a_keyring_error(keyring: Keyring) -> None:
    with pytest.raises(KeyringError, match="checksum"):
        keyring.add("alice", " ".join(["abandon"] * 12))
    assert keyring.list() == []


def test_invalid_hd_path_is_a_keyring_error(keyring: Keyring) -> None:
    with pytest.raises(KeyringError, match="invalid HD path"):
        keyring.add("alice", VECTOR_MNEMONIC, hd_path="m/44'/118'/x")


def test_invalid_backend(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="unknown keyring backend 'os'"):
        Keyring(tmp_path, "os")


@pytest.mark.parametrize("scrypt_n", [0, 2**9, 3000, 2**19])
def test_invalid_scrypt_n(tmp_path: Path, scrypt_n: int) -> None:
    with pytest.raises(KeyringError, match="scrypt N"):
        Keyring(tmp_path, passphrase=PASSPHRASE, scrypt_n=scrypt_n)


def test_invalid_wrong_passphrase(tmp_path: Path) -> None:
    _file_keyring(tmp_path).add("alice")
    with pytest.raises(KeyringError, match=r"^incorrect passphrase$"):
        _file_keyring(tmp_path, "wrong passphrase").private_key("alice")


def test_invalid_short_passphrase(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="at least 8 characters"):
        _file_keyring(tmp_path, "short").add("alice")


def test_invalid_missing_passphrase(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="needs a passphrase"):
        Keyring(tmp_path, scrypt_n=FAST_N).add("alice")


def test_public_data_needs_no_passphrase(tmp_path: Path) -> None:
    info, _ = _file_keyring(tmp_path).add("alice")
    locked = Keyring(tmp_path, scrypt_n=FAST_N)
    assert locked.list() == [info]
    assert locked.show(info.address) == info
    with pytest.raises(KeyringError, match="needs a passphrase"):
        locked.private_key("alice")


def test_passphrase_callback_is_asked_only_for_secrets(tmp_path: Path) -> None:
    asked: list[str] = []

    def prompt() -> str:
        asked.append("asked")
        return PASSPHRASE

    keyring = Keyring(tmp_path, passphrase=prompt, scrypt_n=FAST_N)
    keyring.add("alice")
    keyring.list()
    keyring.show("alice")
    assert len(asked) == 1
    keyring.private_key("alice")
    assert len(asked) == 2


def test_default_scrypt_cost(tmp_path: Path) -> None:
    keyring = Keyring(tmp_path, passphrase=PASSPHRASE)
    info, _ = keyring.add("alice", VECTOR_MNEMONIC)
    record = json.loads((tmp_path / "keyring-file" / "alice.json").read_text())
    assert record["crypto"]["scrypt-n"] == str(DEFAULT_SCRYPT_N) == str(2**15)
    assert keyring.private_key("alice").public_key == info.pubkey


def test_file_backend_layout_hides_the_secret(tmp_path: Path) -> None:
    _file_keyring(tmp_path).add("alice", VECTOR_MNEMONIC)
    text = (tmp_path / "keyring-file" / "alice.json").read_text()
    record = json.loads(text)
    assert PrivateKey.from_mnemonic(VECTOR_MNEMONIC).secret.hex() not in text
    assert record["name"] == "alice"
    assert record["type"] == "secp256k1"
    assert record["pubkey"] == VECTOR_PUBKEY.hex()
    assert record["version"] == 1
    assert record["created_at"].endswith("+00:00")
    assert record["crypto"]["kdf"] == "scrypt"
    assert record["crypto"]["cipher"] == "aes-256-gcm"
    assert len(bytes.fromhex(record["crypto"]["salt"])) == 16
    assert len(bytes.fromhex(record["crypto"]["nonce"])) == 12


def test_same_key_sealed_twice_differs(tmp_path: Path) -> None:
    # Fresh salt and nonce per write: equal keys do not give equal ciphertexts.
    _file_keyring(tmp_path / "a").add("alice", VECTOR_MNEMONIC)
    _file_keyring(tmp_path / "b").add("alice", VECTOR_MNEMONIC)
    first = json.loads((tmp_path / "a" / "keyring-file" / "alice.json").read_text())
    second = json.loads((tmp_path / "b" / "keyring-file" / "alice.json").read_text())
    assert first["crypto"]["data"] != second["crypto"]["data"]


def test_test_backend_stores_the_secret_in_clear(tmp_path: Path) -> None:
    Keyring(tmp_path, "test").add("alice", VECTOR_MNEMONIC)
    record = json.loads((tmp_path / "keyring-test" / "alice.json").read_text())
    assert record["secret"] == PrivateKey.from_mnemonic(VECTOR_MNEMONIC).secret.hex()


@pytest.mark.usefixtures("open_umask")
def test_file_permissions(keyring: Keyring) -> None:
    keyring.add("alice")
    assert _mode(keyring.folder) == 0o700
    assert _mode(keyring.folder / "alice.json") == 0o600


@pytest.mark.usefixtures("open_umask")
def test_loose_folder_permissions_are_tightened(tmp_path: Path) -> None:
    keyring = _file_keyring(tmp_path)
    keyring.folder.mkdir(mode=0o755)
    keyring.add("alice")
    assert _mode(keyring.folder) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_imported_key_file_permissions(tmp_path: Path) -> None:
    source = _file_keyring(tmp_path / "a")
    source.add("alice")
    target = _file_keyring(tmp_path / "b")
    target.import_("alice", source.export("alice", "export passphrase"), "export passphrase")
    assert _mode(target.folder / "alice.json") == 0o600


def test_writes_leave_no_temporary_files(keyring: Keyring) -> None:
    keyring.add("alice")
    keyring.add("bob")
    keyring.delete("bob")
    assert [path.name for path in keyring.folder.iterdir()] == ["alice.json"]


def test_invalid_corrupt_key_file(keyring: Keyring) -> None:
    keyring.add("alice", VECTOR_MNEMONIC)
    path = keyring.folder / "alice.json"
    record = json.loads(path.read_text())
    record["address"] = keyring.add("bob")[0].address
    path.write_text(json.dumps(record))
    with pytest.raises(KeyringError, match="address does not match public key"):
        keyring.list()


def test_invalid_unreadable_key_file(keyring: Keyring) -> None:
    keyring.add("alice")
    (keyring.folder / "alice.json").write_text("{not json")
    with pytest.raises(KeyringError, match="cannot read key file"):
        keyring.show("alice")


def test_export_import_round_trip(tmp_path: Path) -> None:
    source = _file_keyring(tmp_path / "a")
    info, _ = source.add("alice", VECTOR_MNEMONIC)
    armored = source.export("alice", "export passphrase")
    target = _file_keyring(tmp_path / "b", "another passphrase")
    imported = target.import_("carol", armored, "export passphrase")
    assert imported == KeyInfo("carol", info.address, info.pubkey)
    assert target.private_key("carol").secret == source.private_key("alice").secret


def test_export_from_test_backend_into_file_backend(tmp_path: Path) -> None:
    source = Keyring(tmp_path, "test", scrypt_n=FAST_N)
    info, _ = source.add("alice")
    armored = source.export(info.address, "export passphrase")
    imported = _file_keyring(tmp_path).import_("alice", armored, "export passphrase")
    assert imported == info


def test_export_is_self_describing_armor(tmp_path: Path) -> None:
    keyring = _file_keyring(tmp_path)
    keyring.add("alice")
    lines = keyring.export("alice", "export passphrase").splitlines()
    assert lines[0] == "-----BEGIN DEPIND PRIVATE KEY-----"
    assert lines[-1] == "-----END DEPIND PRIVATE KEY-----"
    headers = dict(line.split(": ", 1) for line in lines[1 : lines.index("")])
    assert headers["type"] == "secp256k1"
    assert headers["kdf"] == "scrypt"
    assert headers["scrypt-n"] == str(FAST_N)
    assert headers["cipher"] == "aes-256-gcm"


def test_invalid_import_wrong_export_passphrase(tmp_path: Path) -> None:
    keyring = _file_keyring(tmp_path)
    keyring.add("alice")
    armored = keyring.export("alice", "export passphrase")
    with pytest.raises(KeyringError, match=r"^incorrect passphrase$"):
        keyring.import_("bob", armored, "wrong passphrase")


def test_invalid_import_existing_key(tmp_path: Path) -> None:
    keyring = _file_keyring(tmp_path)
    keyring.add("alice")
    armored = keyring.export("alice", "export passphrase")
    with pytest.raises(KeyringError, match="already exists as 'alice'"):
        keyring.import_("bob", armored, "export passphrase")
    with pytest.raises(KeyringError, match="key 'alice' already exists"):
        keyring.import_("alice", armored, "export passphrase")


def _tamper(armored: str, old: str, new: str) -> str:
    assert old in armored
    return armored.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("-----BEGIN", "-----BEGAN", "missing BEGIN or END"),
        ("type: secp256k1", "type: ed25519", "key type is not secp256k1"),
        ("kdf: scrypt", "kdf: bcrypt", "unsupported key encryption"),
        ("scrypt-n: 1024", "scrypt-n: 1073741824", "scrypt N"),
        ("scrypt-r: 8", "scrypt-r: 1", "unsupported key encryption"),
        ("nonce: ", "nonce: 00", "wrong salt, nonce or data size"),
        ("salt: ", "salt: zz", "malformed"),
        ("cipher: aes-256-gcm\n", "cipher aes-256-gcm\n", "bad header line"),
        ("\n\n", "\n", "no blank line"),
    ],
)
def test_invalid_armored_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    keyring = _file_keyring(tmp_path)
    keyring.add("alice")
    armored = _tamper(keyring.export("alice", "export passphrase"), old, new)
    keyring.delete("alice")
    with pytest.raises(KeyringError, match=message):
        keyring.import_("alice", armored, "export passphrase")


def test_invalid_armored_key_tampered_body(tmp_path: Path) -> None:
    keyring = _file_keyring(tmp_path)
    keyring.add("alice")
    armored = keyring.export("alice", "export passphrase")
    keyring.delete("alice")
    body_line = armored.splitlines()[-2]
    flipped = ("B" if body_line[0] == "A" else "A") + body_line[1:]
    with pytest.raises(KeyringError, match="incorrect passphrase"):
        keyring.import_("alice", _tamper(armored, body_line, flipped), "export passphrase")
