"""``depind tx`` failures caught before any node is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli.main import cli
from tests.node.cli.localnet import free_port

VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
BOB = "depin1jrkmdcwgq94uaamx6zax2luewlhf7u4kjh7kue"


@pytest.fixture
def home(runner: CliRunner, tmp_path: Path) -> Path:
    args = ["keys", "add", "dev", "--recover", "--home", str(tmp_path), "--keyring-backend", "test"]
    assert runner.invoke(cli, args, input=VECTOR_MNEMONIC + "\n").exit_code == 0
    return tmp_path


def send(runner: CliRunner, home: Path, *args: str) -> tuple[int, str]:
    node = f"http://127.0.0.1:{free_port()}"  # nothing listens: these must fail before asking
    result = runner.invoke(cli, ["tx", "bank", "send", *args, "--home", str(home), "--node", node, "-y"])
    return result.exit_code, result.stderr


def test_invalid_key_in_the_other_backend(runner: CliRunner, home: Path) -> None:
    code, stderr = send(runner, home, "dev", BOB, "1udepin")
    assert code == 1
    assert stderr == (
        f"Error: key 'dev' not found in the file keyring at {home / 'keyring-file'}; "
        "it is in the test keyring: add --keyring-backend test\n"
    )


def test_invalid_amount(runner: CliRunner, home: Path) -> None:
    code, stderr = send(runner, home, "dev", BOB, "1.5udepin", "--keyring-backend", "test")
    assert code == 2 and "Invalid value for 'AMOUNT'" in stderr


def test_invalid_recipient(runner: CliRunner, home: Path) -> None:
    code, stderr = send(runner, home, "dev", "cosmos1xyz", "1udepin", "--keyring-backend", "test")
    assert code == 2 and "Invalid value for 'TO_ADDRESS'" in stderr


def test_invalid_fees_and_gas(runner: CliRunner, home: Path) -> None:
    code, stderr = send(runner, home, "dev", BOB, "1udepin", "--fees", "free", "--keyring-backend", "test")
    assert code == 2 and "Invalid value for '--fees'" in stderr
    code, stderr = send(runner, home, "dev", BOB, "1udepin", "--gas", "0", "--keyring-backend", "test")
    assert code == 2 and "Invalid value for '--gas'" in stderr


def test_invalid_node_unreachable(runner: CliRunner, home: Path) -> None:
    code, stderr = send(runner, home, "dev", BOB, "1udepin", "--keyring-backend", "test")
    assert code == 1
    assert stderr.startswith("Error: cannot reach node at http://127.0.0.1:") and stderr.count("\n") == 1
