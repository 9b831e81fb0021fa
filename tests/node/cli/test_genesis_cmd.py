"""``depind genesis add-account`` and ``depind genesis validate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from genesis import doc as genesis_doc
from genesis.schema import BankGenesis, get_section
from node.cli.main import cli

VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
VECTOR_ADDRESS = "depin19rl4cm2hmr8afy4kldpxz3fka4jguq0aj0464w"


@pytest.fixture
def home(runner: CliRunner, tmp_path: Path) -> Path:
    result = runner.invoke(cli, ["init", "n", "--chain-id", "test-1", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path


def genesis(runner: CliRunner, home: Path, *args: str) -> Result:
    return runner.invoke(cli, ["genesis", *args, "--home", str(home)])


def balances(home: Path) -> dict[str, dict[str, int]]:
    doc = genesis_doc.load(home / "config" / "genesis.json")
    return {
        b.address: {c.denom: c.amount for c in b.coins}
        for b in get_section(doc, "bank", BankGenesis).balances
    }


def test_add_account_by_address_merges_coins(runner: CliRunner, home: Path) -> None:
    assert genesis(runner, home, "add-account", VECTOR_ADDRESS, "100udepin,5foo").exit_code == 0
    result = genesis(runner, home, "add-account", VECTOR_ADDRESS, "1udepin")
    assert result.stdout == f"added 1udepin to {VECTOR_ADDRESS} in {home / 'config' / 'genesis.json'}\n"
    assert balances(home) == {VECTOR_ADDRESS: {"foo": 5, "udepin": 101}}


def test_add_account_by_key_name(runner: CliRunner, home: Path) -> None:
    keys = ["keys", "add", "alice", "--recover", "--home", str(home), "--keyring-backend", "test"]
    runner.invoke(cli, keys, input=VECTOR_MNEMONIC + "\n")
    args = ["genesis", "add-account", "alice", "7udepin", "--home", str(home), "--keyring-backend", "test"]
    assert runner.invoke(cli, args).exit_code == 0
    assert balances(home) == {VECTOR_ADDRESS: {"udepin": 7}}


def add_alice(runner: CliRunner, home: Path, coins: str) -> None:
    keys = ["keys", "add", "alice", "--recover", "--home", str(home), "--keyring-backend", "test"]
    runner.invoke(cli, keys, input=VECTOR_MNEMONIC + "\n")
    assert genesis(runner, home, "add-account", VECTOR_ADDRESS, coins).exit_code == 0


def gentx(runner: CliRunner, home: Path, *args: str) -> Result:
    return genesis(runner, home, "gentx", *args, "--keyring-backend", "test")


def test_invalid_validate_a_genesis_without_validators(runner: CliRunner, home: Path) -> None:
    genesis(runner, home, "add-account", VECTOR_ADDRESS, "100udepin")
    result = genesis(runner, home, "validate")
    assert result.exit_code == 1
    assert "has no validators; add them with `depind genesis gentx`" in result.stderr


def test_gentx_collect_and_validate(runner: CliRunner, home: Path) -> None:
    add_alice(runner, home, "50000000udepin")
    result = gentx(runner, home, "alice", "20000000udepin", "--commission-rate", "0.05")
    assert result.exit_code == 0, result.output
    (path,) = (home / "config" / "gentx").glob("gentx-*.json")
    assert result.stdout == f"genesis transaction written to {path}\n"
    document = json.loads(path.read_text())
    (message,) = document["body"]["messages"]
    assert message["@type"] == "/cosmos.staking.v1beta1.MsgCreateValidator"
    assert message["description"]["moniker"] == "n"  # the home's moniker
    assert message["commission"]["rate"] == "50000000000000000"  # LegacyDec atomics on the wire
    result = genesis(runner, home, "collect-gentxs")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("collected 1 gentxs into ")
    result = genesis(runner, home, "validate")
    assert result.exit_code == 0, result.output
    assert "is valid: chain test-1, 1 validators, 1 accounts" in result.stdout


def test_invalid_gentx_without_the_funds(runner: CliRunner, home: Path) -> None:
    add_alice(runner, home, "5udepin")
    result = gentx(runner, home, "alice", "20000000udepin")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {VECTOR_ADDRESS} holds 5udepin in genesis, less than the stake 20000000udepin\n"
    )
    assert not (home / "config" / "gentx").exists()


def test_invalid_gentx_in_another_denom(runner: CliRunner, home: Path) -> None:
    add_alice(runner, home, "50000000foo")
    result = gentx(runner, home, "alice", "20000000foo")
    assert result.exit_code == 1
    assert "the stake must be in the bond denom udepin" in result.stderr


def test_invalid_gentx_commission_above_its_maximum(runner: CliRunner, home: Path) -> None:
    add_alice(runner, home, "50000000udepin")
    result = gentx(runner, home, "alice", "20000000udepin", "--commission-rate", "0.5")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and "commission" in result.stderr


def test_invalid_collect_without_gentxs(runner: CliRunner, home: Path) -> None:
    result = genesis(runner, home, "collect-gentxs")
    assert result.exit_code == 1 and "no gentx folder at" in result.stderr


def test_invalid_collect_a_tampered_gentx(runner: CliRunner, home: Path) -> None:
    add_alice(runner, home, "50000000udepin")
    assert gentx(runner, home, "alice", "20000000udepin").exit_code == 0
    (path,) = (home / "config" / "gentx").glob("gentx-*.json")
    document = json.loads(path.read_text())
    document["body"]["messages"][0]["value"]["amount"] = "30000000"
    path.write_text(json.dumps(document))
    before = (home / "config" / "genesis.json").read_bytes()
    result = genesis(runner, home, "collect-gentxs")
    assert result.exit_code == 1
    assert "gentx 0 failed: signature verification failed" in result.stderr
    assert (home / "config" / "genesis.json").read_bytes() == before


def test_invalid_add_account_unknown_key(runner: CliRunner, home: Path) -> None:
    result = genesis(runner, home, "add-account", "nobody", "1udepin")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: key 'nobody' not found in the file keyring at")


def test_invalid_add_account_address(runner: CliRunner, home: Path) -> None:
    result = genesis(runner, home, "add-account", VECTOR_ADDRESS[:-1] + "q", "1udepin")
    assert result.exit_code == 1
    assert result.stderr.endswith("not bech32 or bad checksum\n") and len(result.stderr.splitlines()) == 1


def test_invalid_add_account_amount(runner: CliRunner, home: Path) -> None:
    result = genesis(runner, home, "add-account", VECTOR_ADDRESS, "lots")
    assert result.exit_code == 2 and "Invalid value for 'COINS'" in result.stderr


def test_invalid_add_account_without_genesis(runner: CliRunner, tmp_path: Path) -> None:
    result = genesis(runner, tmp_path, "add-account", VECTOR_ADDRESS, "1udepin")
    assert result.exit_code == 1 and "run `depind init` first" in result.stderr


def _edited(home: Path, edit: dict[str, object]) -> Path:
    data = json.loads((home / "config" / "genesis.json").read_text())
    data["app_state"]["auth"].update(edit)
    path = home / "edited.json"
    path.write_text(json.dumps(data))
    return path


def _invalid(result: Result) -> str:
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
    return result.stderr


def test_invalid_genesis_duplicate_account(runner: CliRunner, home: Path) -> None:
    path = _edited(home, {"accounts": [{"address": VECTOR_ADDRESS}, {"address": VECTOR_ADDRESS}]})
    error = _invalid(genesis(runner, home, "validate", str(path)))
    expected = f"duplicate genesis account {VECTOR_ADDRESS}: invalid request"
    assert error == f"Error: genesis {path} is invalid: {expected}\n"


def test_invalid_genesis_unknown_field(runner: CliRunner, home: Path) -> None:
    path = _edited(home, {"surprise": 1})
    assert "unknown field" in _invalid(genesis(runner, home, "validate", str(path)))


def test_invalid_genesis_not_json(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "genesis.json"
    path.write_text("{not json")
    assert "is invalid: invalid genesis" in _invalid(genesis(runner, tmp_path, "validate", str(path)))


def test_invalid_genesis_missing(runner: CliRunner, tmp_path: Path) -> None:
    error = _invalid(genesis(runner, tmp_path, "validate"))
    assert error == f"Error: no genesis at {tmp_path / 'config' / 'genesis.json'}\n"
