"""``depind init`` and the errors of ``depind status`` without a node."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from genesis import doc as genesis_doc
from node.cli.main import cli
from node.home import Home, validator_address
from node.testnet import create_testnet
from node.validator_home import init_dev_home
from tests.node.cli.localnet import free_port
from tests.tmpfs import fill, mounted_tmpfs

DISK_BYTES = 1024 * 1024


def test_init_creates_a_home(runner: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = runner.invoke(cli, ["init", "mynode", "--chain-id", "test-1", "--home", str(home), "-o", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    doc = genesis_doc.load(home / "config" / "genesis.json")
    assert summary["genesis_file"] == str(home / "config" / "genesis.json")
    address = validator_address(Home(home))
    assert summary["validator_address"] == address
    assert summary["node_id"] == address.lower()
    assert doc.validators == []  # validators come from gentxs
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


def test_invalid_start_p2p_port_in_use_is_one_line(tmp_path: Path) -> None:
    """A networked node that cannot listen says so in one line and exits 1: no traceback."""
    port = free_port()
    create_testnet(tmp_path / "net", validators=2, starting_port=port)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = subprocess.run(
            [sys.executable, "-m", "node.cli.main", "start", "--home", str(tmp_path / "net" / "node0")],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: cannot listen on /ip4/127.0.0.1/tcp/{port} (address in use or not local?)"
    )
    assert "Traceback" not in result.stderr


def test_invalid_start_on_a_full_disk_is_one_line(tmp_path: Path) -> None:
    """A node whose data folder has no room says so in one line and exits 1: no traceback."""
    home = Home(tmp_path / "home")
    init_dev_home(home)
    with mounted_tmpfs(tmp_path / "disk", DISK_BYTES) as disk:
        shutil.copytree(home.data_dir, disk / "data")
        shutil.rmtree(home.data_dir)
        home.data_dir.symlink_to(disk / "data", target_is_directory=True)
        fill(disk, 0)
        result = subprocess.run(
            [sys.executable, "-m", "node.cli.main", "start", "--home", str(home.root)],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: disk full: no space left on device writing the database {home.db_path}; "
        "free space and restart"
    )
    assert "Traceback" not in result.stderr
