"""``depind keys``: adding, recovering, listing, showing, deleting, exporting and importing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from node.cli.main import cli

VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
VECTOR_ADDRESS = "depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w"  # cosmos19rl4cm2h... on depin
VECTOR_ADDRESS_INDEX_1 = "depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue"
PASSPHRASE = "correct horse battery"


def keys(runner: CliRunner, home: Path, *args: str, backend: str = "test", input: str = "") -> Result:
    return runner.invoke(cli, ["keys", *args, "--home", str(home), "--keyring-backend", backend], input=input)


def recover(runner: CliRunner, home: Path, name: str = "alice", backend: str = "test") -> Result:
    secrets = [VECTOR_MNEMONIC] + ([PASSPHRASE, PASSPHRASE] if backend == "file" else [])
    return keys(runner, home, "add", name, "--recover", backend=backend, input="\n".join(secrets) + "\n")


def test_add_prints_address_and_mnemonic_once(runner: CliRunner, tmp_path: Path) -> None:
    result = keys(runner, tmp_path, "add", "alice", "--output", "json")
    assert result.exit_code == 0, result.output
    key = json.loads(result.stdout)
    assert key["name"] == "alice" and key["address"].startswith("depin1")
    assert len(key["mnemonic"].split()) == 24
    shown = keys(runner, tmp_path, "show", "alice", "--output", "json")
    assert "mnemonic" not in json.loads(shown.stdout)


def test_add_text_warns_to_keep_the_mnemonic(runner: CliRunner, tmp_path: Path) -> None:
    result = keys(runner, tmp_path, "add", "alice")
    assert result.exit_code == 0
    assert "write this mnemonic phrase in a safe place" in result.stdout


def test_recover_test_vector(runner: CliRunner, tmp_path: Path) -> None:
    result = recover(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert VECTOR_ADDRESS in result.stdout
    assert "mnemonic" not in result.stdout and VECTOR_MNEMONIC not in result.stdout


def test_recover_with_hd_path(runner: CliRunner, tmp_path: Path) -> None:
    args = ["add", "alice", "--recover", "--hd-path", "m/44'/118'/0'/0/1"]
    result = keys(runner, tmp_path, *args, input=VECTOR_MNEMONIC + "\n")
    assert VECTOR_ADDRESS_INDEX_1 in result.stdout


def test_file_backend_asks_for_a_confirmed_passphrase(runner: CliRunner, tmp_path: Path) -> None:
    result = recover(runner, tmp_path, backend="file")
    assert result.exit_code == 0, result.output
    assert "Re-enter keyring passphrase" in result.stderr
    assert (tmp_path / "keyring-file" / "alice.json").exists()
    assert VECTOR_MNEMONIC.split()[0] not in (tmp_path / "keyring-file" / "alice.json").read_text()


def test_file_backend_takes_the_passphrase_from_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    args = ["keys", "add", "alice", "--home", str(tmp_path)]
    result = runner.invoke(cli, args, env={"DEPIND_KEYRING_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert "passphrase" not in result.stderr


def test_list_and_show(runner: CliRunner, tmp_path: Path) -> None:
    recover(runner, tmp_path, "alice", backend="file")
    keys(runner, tmp_path, "add", "bob", backend="file", input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    listed = keys(runner, tmp_path, "list", "--output", "json", backend="file")
    assert [key["name"] for key in json.loads(listed.stdout)] == ["alice", "bob"]
    assert "passphrase" not in listed.stderr  # public data never needs it
    shown = keys(runner, tmp_path, "show", "alice", "--address", backend="file")
    assert shown.stdout == VECTOR_ADDRESS + "\n"
    by_address = keys(runner, tmp_path, "show", VECTOR_ADDRESS, backend="file")
    assert "name:    alice" in by_address.stdout


def test_list_empty(runner: CliRunner, tmp_path: Path) -> None:
    assert keys(runner, tmp_path, "list").stdout == "no keys\n"


def test_delete_asks_unless_yes(runner: CliRunner, tmp_path: Path) -> None:
    recover(runner, tmp_path)
    refused = keys(runner, tmp_path, "delete", "alice", input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.stderr
    assert keys(runner, tmp_path, "delete", "alice", "--yes").exit_code == 0
    assert keys(runner, tmp_path, "list").stdout == "no keys\n"


def test_export_then_import(runner: CliRunner, tmp_path: Path) -> None:
    recover(runner, tmp_path, backend="file")
    exported = keys(
        runner, tmp_path, "export", "alice", backend="file", input=f"{PASSPHRASE}\nexport-pw\nexport-pw\n"
    )
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith("-----BEGIN DEPIND PRIVATE KEY-----")
    armor = tmp_path / "alice.armor"
    armor.write_text(exported.stdout)
    imported = keys(runner, tmp_path, "import", "copy", str(armor), input="export-pw\n")
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == f"key 'copy' imported: {VECTOR_ADDRESS}\n"


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in result.output
    return lines[0]


def test_invalid_duplicate_name(runner: CliRunner, tmp_path: Path) -> None:
    recover(runner, tmp_path)
    assert _one_error_line(keys(runner, tmp_path, "add", "alice")) == "Error: key 'alice' already exists"


def test_invalid_duplicate_name_before_the_mnemonic(runner: CliRunner, tmp_path: Path) -> None:
    recover(runner, tmp_path)
    result = recover(runner, tmp_path)
    assert _one_error_line(result) == "Error: key 'alice' already exists"
    assert "mnemonic" not in result.stderr


def test_invalid_mnemonic(runner: CliRunner, tmp_path: Path) -> None:
    result = keys(runner, tmp_path, "add", "alice", "--recover", input="abandon abandon about\n")
    assert "mnemonic" in _one_error_line(result)


def test_invalid_hd_path(runner: CliRunner, tmp_path: Path) -> None:
    result = keys(runner, tmp_path, "add", "alice", "--hd-path", "m/44'/x")
    assert _one_error_line(result).startswith("Error: ")


def test_invalid_short_passphrase(runner: CliRunner, tmp_path: Path) -> None:
    result = keys(runner, tmp_path, "add", "alice", backend="file", input="short\nshort\n")
    assert "at least 8 characters" in _one_error_line(result)


def test_invalid_passphrase_when_exporting(runner: CliRunner, tmp_path: Path) -> None:
    recover(runner, tmp_path, backend="file")
    result = keys(runner, tmp_path, "export", "alice", backend="file", input="wrong-passphrase\n")
    assert _one_error_line(result) == "Error: incorrect passphrase"
    assert "encrypt the exported key" not in result.stderr


@pytest.mark.parametrize("command", [["show", "nobody"], ["delete", "nobody", "--yes"], ["export", "nobody"]])
def test_invalid_unknown_key(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    assert _one_error_line(keys(runner, tmp_path, *command)) == "Error: key 'nobody' not found"


def test_invalid_import_wrong_export_passphrase(runner: CliRunner, tmp_path: Path) -> None:
    recover(runner, tmp_path)
    exported = keys(runner, tmp_path, "export", "alice", input="export-pw\nexport-pw\n")
    armor = tmp_path / "alice.armor"
    armor.write_text(exported.stdout)
    result = keys(runner, tmp_path, "import", "copy", str(armor), input="not-the-one\n")
    assert _one_error_line(result) == "Error: incorrect passphrase"


def test_invalid_backend(runner: CliRunner, tmp_path: Path) -> None:
    result = keys(runner, tmp_path, "list", backend="os")
    assert result.exit_code == 2 and "--keyring-backend" in result.stderr
