"""Running a node: ``init`` a home, ``start`` it, ask a running one for its ``status``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from genesis import doc as genesis_doc
from genesis.schema import GenesisDoc
from node.cli import views
from node.cli.common import CLIError, emit, first_failure, home_option, node_option, one_line, output_option
from node.cli.staking_query import node_validator
from node.client import Client
from node.home import Home, init_home, validator_address
from node.upgrade import EXIT_UPGRADE_NEEDED, halt_of, record_upgrade_needed
from node.validator_home import init_dev_home
from vm.upgrade.errors import UpgradeHalt, UpgradeNeeded

if TYPE_CHECKING:
    from node.node import Node


def check_chain_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse a bad chain id before anything is written to the home."""
    probe = GenesisDoc(genesis_time="1970-01-01T00:00:00Z", chain_id=value)
    try:
        genesis_doc.validate(probe)
    except genesis_doc.GenesisError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command()
@click.argument("moniker")
@click.option("--chain-id", required=True, callback=check_chain_id, help="Name of the new chain.")
@click.option("--overwrite", is_flag=True, help="Replace an existing genesis (keys are kept).")
@home_option
@output_option
def init(moniker: str, chain_id: str, overwrite: bool, home: Path, output: str) -> None:
    """Create a home: config, validator key and a genesis without accounts or validators
    (add them with `depind genesis add-account`, `gentx` and `collect-gentxs`)."""
    node_home = Home(home)
    init_home(node_home, moniker, chain_id, overwrite)
    validator = validator_address(node_home)
    summary = {
        "moniker": moniker,
        "chain_id": chain_id,
        "node_id": validator.lower(),
        "validator_address": validator,
        "genesis_file": str(node_home.genesis_file),
    }
    emit(summary, output, init_text)


def init_text(summary: dict[str, Any]) -> str:
    return views.fields(
        [
            ("moniker", summary["moniker"]),
            ("chain id", summary["chain_id"]),
            ("node id", summary["node_id"]),
            ("validator address", summary["validator_address"]),
            ("genesis", summary["genesis_file"]),
        ]
    )


@click.command()
@home_option
@click.option(
    "--unsafe-skip-upgrades",
    type=click.IntRange(min=1),
    multiple=True,
    help="Skip the software upgrade planned at this height (repeatable): its migration never runs "
    "and this node's state departs from any node that ran it. Only for a whole network that agreed "
    "to skip it (docs/upgrades.md).",
)
def start(home: Path, unsafe_skip_upgrades: tuple[int, ...]) -> None:
    """Run the node. A missing home becomes a ready single-validator dev chain.

    At a software upgrade this binary cannot run, it stops with exit code 3 and writes
    data/upgrade-info.json (docs/upgrades.md)."""
    # Imported here: the node and server stack would add ~0.2 s to every other command.
    from node.node import Node

    node_home = Home(home)
    if not node_home.is_initialised():
        address, mnemonic = init_dev_home(node_home)
        click.echo(f"initialised a dev chain in {home}")
        click.echo(f"dev key 'dev' (test keyring): {address}")
        click.echo("mnemonic (shown once; write it down to recover the key):")
        click.echo(f"  {mnemonic}")
    try:
        node = Node.open(node_home, frozenset(unsafe_skip_upgrades))
    except UpgradeHalt as halt:
        stop_for_upgrade(node_home, halt)
    except Exception as failure:
        stop_if_disk_full(node_home, failure)
        raise
    run_node(node)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def run_node(node: Node) -> None:
    """Log to stderr at the configured level and run ``node`` until a signal stops it."""
    import trio

    from node.gc_schedule import tune_gc
    from node.p2p.library_logs import install_library_log_filters

    logging.basicConfig(
        level=node.config.log_level.upper(),
        stream=sys.stderr,
        format=LOG_FORMAT,
    )
    install_library_log_filters()
    tune_gc()
    try:
        trio.run(node.run)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    except BaseExceptionGroup as group:
        halt = halt_of(group)
        if halt is not None:
            stop_for_upgrade(node.home, halt)
        stop_if_disk_full(node.home, group)
        # A service failed inside the node's task tree: say what, in one line.
        raise CLIError(one_line(first_failure(group))) from None
    finally:
        node.close()


def stop_for_upgrade(home: Home, halt: UpgradeHalt) -> NoReturn:
    """The chain needs another binary: record which (for the operator and cosmovisor), log it
    in one line and exit with ``EXIT_UPGRADE_NEEDED``. A binary too new for the chain exits as
    any error does (1), with its line."""
    if not isinstance(halt, UpgradeNeeded):
        raise CLIError(one_line(halt))
    logging.basicConfig(stream=sys.stderr, format=LOG_FORMAT)  # does nothing once run_node has
    record_upgrade_needed(home.data_dir, halt)
    sys.exit(EXIT_UPGRADE_NEEDED)


def stop_if_disk_full(home: Home, failure: BaseException) -> None:
    """A write refused for want of space, anywhere in ``failure``, ends the node with the line
    that says so (node/storage/disk_full.py) instead of whichever task failed first."""
    from node.storage.disk_full import disk_full_line  # loads LevelDB: only on the way out of `start`

    line = disk_full_line(failure, home.data_dir)
    if line is not None:
        raise CLIError(line) from None


@click.command()
@node_option
@output_option
def status(node: str, output: str) -> None:
    """A running node's chain, latest block and validator, with the validator's stake
    (``staking_info``: null if its key is no staking validator)."""
    with Client(node) as client:
        result = client.status()
        result["staking_info"] = node_validator(client, result["validator_info"]["address"])
    emit(result, output, views.status_text)
