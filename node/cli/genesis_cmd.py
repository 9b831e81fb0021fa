"""``depind genesis``: fund accounts in the genesis file and check it before a chain starts."""

from __future__ import annotations

from pathlib import Path

import click

from genesis import doc as genesis_doc
from genesis.schema import AuthGenesis, CoinJSON, get_section
from node.cli.common import CLIError, home_option, keyring_backend_option, one_line
from node.cli.keyring_access import open_keyring, resolve_address
from node.cli.params import COINS
from node.home import Home, add_genesis_account
from vm.app import validate_genesis
from vm.errors import InvalidTx
from vm.types import Coin, format_coins


@click.group(name="genesis")
def genesis_group() -> None:
    """Edit and check the genesis file."""


@genesis_group.command(name="add-account")
@click.argument("address_or_key")
@click.argument("coins", type=COINS)
@home_option
@keyring_backend_option
def add_account(address_or_key: str, coins: list[Coin], home: Path, keyring_backend: str) -> None:
    """Fund an address (or a key of the keyring) with COINS, e.g. 1000udepin,5foo, in genesis."""
    node_home = Home(home)
    if not node_home.genesis_file.exists():
        raise CLIError(f"no genesis at {node_home.genesis_file}; run `depind init` first")
    address = resolve_address(address_or_key, open_keyring(home, keyring_backend))
    add_genesis_account(node_home, address, [CoinJSON(denom=c.denom, amount=c.amount) for c in coins])
    click.echo(f"added {format_coins(coins)} to {address} in {node_home.genesis_file}")


@genesis_group.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@home_option
def validate(file: Path | None, home: Path) -> None:
    """Check FILE (default: the home's genesis) as the node would before starting from it."""
    path = file or Home(home).genesis_file
    if not path.exists():
        raise CLIError(f"no genesis at {path}")
    try:
        doc = genesis_doc.load(path)
        validate_genesis(doc)
    except (genesis_doc.GenesisError, InvalidTx) as exc:
        raise CLIError(f"genesis {path} is invalid: {one_line(exc)}") from None
    click.echo(
        f"genesis {path} is valid: chain {doc.chain_id}, {len(doc.validators)} validators, "
        f"{len(get_section(doc, 'auth', AuthGenesis).accounts)} accounts"
    )
