"""``depind genesis``: fund accounts in the genesis file and check it before a chain starts."""

from __future__ import annotations

from pathlib import Path

import click

from genesis import doc as genesis_doc
from genesis.schema import AuthGenesis, CoinJSON, get_section
from node import config as node_config
from node.cli.common import CLIError, home_option, keyring_backend_option, one_line
from node.cli.keyring_access import find_key, open_keyring, resolve_address
from node.cli.params import COIN, COINS, new_validator_options
from node.gentx import GentxError, ValidatorTerms, collect_gentxs, write_gentx
from node.home import Home, add_genesis_account
from node.validator_home import enable_verifier
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
        validators = validate_genesis(doc)
    except (genesis_doc.GenesisError, InvalidTx) as exc:
        raise CLIError(f"genesis {path} is invalid: {one_line(exc)}") from None
    if not validators:
        raise CLIError(
            f"genesis {path} has no validators; add them with `depind genesis gentx` and `collect-gentxs`"
        )
    click.echo(
        f"genesis {path} is valid: chain {doc.chain_id}, {len(validators)} validators, "
        f"{len(get_section(doc, 'auth', AuthGenesis).accounts)} accounts"
    )


@genesis_group.command()
@click.argument("key_name")
@click.argument("amount", type=COIN)
@new_validator_options
@home_option
@keyring_backend_option
def gentx(
    key_name: str,
    amount: Coin,
    moniker: str | None,
    commission_rate: str,
    commission_max_rate: str,
    commission_max_change_rate: str,
    min_self_delegation: int,
    details: str,
    website: str,
    identity: str,
    security_contact: str,
    home: Path,
    keyring_backend: str,
) -> None:
    """Sign a genesis tx making this home's validator key a validator operated by KEY_NAME,
    which self-delegates AMOUNT (it must hold it in genesis: `depind genesis add-account`).
    With the test keyring, the home's [verifier] is enabled with KEY_NAME as the key that
    signs its compute attestations; with the file keyring, set it in config.toml (the node
    then reads the passphrase from DEPIND_KEYRING_PASSPHRASE)."""
    node_home = Home(home)
    if not node_home.genesis_file.exists():
        raise CLIError(f"no genesis at {node_home.genesis_file}; run `depind init` first")
    keyring = open_keyring(home, keyring_backend)
    find_key(keyring, key_name)
    terms = ValidatorTerms(
        moniker=moniker or node_config.load(node_home.config_file).moniker,
        commission_rate=commission_rate,
        commission_max_rate=commission_max_rate,
        commission_max_change_rate=commission_max_change_rate,
        min_self_delegation=min_self_delegation,
        identity=identity,
        website=website,
        security_contact=security_contact,
        details=details,
    )
    try:
        path = write_gentx(node_home, keyring.private_key(key_name), amount, terms)
    except (GentxError, InvalidTx) as exc:
        raise CLIError(one_line(exc)) from None
    if keyring_backend == "test":
        enable_verifier(node_home, find_key(keyring, key_name).name, keyring_backend)
    click.echo(f"genesis transaction written to {path}")


@genesis_group.command(name="collect-gentxs")
@click.option(
    "--gentx-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of gentx files (default: HOME/config/gentx).",
)
@home_option
def collect(gentx_dir: Path | None, home: Path) -> None:
    """Put every gentx into the genesis: its validators become the chain's first set."""
    node_home = Home(home)
    if not node_home.genesis_file.exists():
        raise CLIError(f"no genesis at {node_home.genesis_file}; run `depind init` first")
    try:
        doc = collect_gentxs(node_home, gentx_dir)
    except (GentxError, genesis_doc.GenesisError) as exc:
        raise CLIError(one_line(exc)) from None
    count = len(doc.app_state["genutil"]["gen_txs"])
    click.echo(f"collected {count} gentxs into {node_home.genesis_file}")
