"""``depind init`` and the errors of ``depind status`` without a node."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from genesis import doc as genesis_doc
from node.cli.main import cli
from tests.node.cli.localnet import free_port


def test_init_creates_a_home(runner: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = runner.invoke(cli, ["init", "mynode", "--chain-id", "test-1", "--home", str(home), "-o", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    doc = genesis_doc.load(home / "config" / "genesis.json")
    assert summary["genesis_file"] == str(home / "config" / "genesis.json")
    assert summary["validator_address"] == doc.validators[0].address
    assert summary["node_id"] == doc.validators[0].address.lower()
    assert doc.chain_id == "test-1" and (home / "config" / "config.toml").exists()


def test_init_overwrite_keeps_the_validator_key(runner: CliRunner, tmp_path: Path) -> None:
    first = runner.invoke(cli, ["init", "n", "--chain-id", "test-1", "--home", str(tmp_path), "-o", "json"])
    again = runner.invoke(
        cli, ["init", "n", "--chain-id", "test-2", "--home", str(tmp_path), "--overwrite", "-o", "json"]
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["node_id"] == json.loads(first.stdout)["node_id"]
    assert genesis_doc.load(tmp_path / "config" / "genesis.json").chain_id == "test-2"


def test_invalid_init_twice(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(cli, ["init", "n", "--chain-id", "test-1", "--home", str(tmp_path)])
    result = runner.invoke(cli, ["init", "n", "--chain-id", "test-1", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path} is already initialised (use --overwrite to replace its genesis)\n"
    )


def test_invalid_init_chain_id_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = runner.invoke(cli, ["init", "n", "--chain-id", "no spaces", "--home", str(home)])
    assert result.exit_code == 2 and "--chain-id" in result.stderr
    assert not home.exists()


def test_invalid_status_node_unreachable(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["status", "--node", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach node at http://127.0.0.1:")
    assert len(result.stderr.splitlines()) == 1
