"""The ``depind`` command line (Cosmos conventions)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import trio

from node.cli.common import CLIError, cli_errors, home_option
from node.home import Home, init_dev_home


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="depind")
def cli() -> None:
    """depind: a proof-of-stake chain with a verifiable GPU compute market."""


@cli.command()
@home_option
def start(home: Path) -> None:
    """Run the node. A missing home becomes a ready single-validator dev chain."""
    from node.node import Node

    node_home = Home(home)
    if not node_home.is_initialised():
        address, mnemonic = init_dev_home(node_home)
        click.echo(f"initialised a dev chain in {home}")
        click.echo(f"dev key 'dev' (test keyring): {address}")
        click.echo("mnemonic (shown once; write it down to recover the key):")
        click.echo(f"  {mnemonic}")
    node = Node.open(node_home)
    logging.basicConfig(
        level=node.config.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        trio.run(node.run)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        node.close()


def main() -> None:
    with cli_errors():
        cli(standalone_mode=True)


__all__ = ["CLIError", "cli", "main"]


if __name__ == "__main__":
    main()
