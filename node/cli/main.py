"""The ``depind`` command line (Cosmos conventions)."""

from __future__ import annotations

import click

from node.cli.chain_info import chain_info
from node.cli.common import CLIError, DepindGroup, cli_errors
from node.cli.explorer_cmd import explorer_command
from node.cli.genesis_cmd import genesis_group
from node.cli.gov_query import gov_query
from node.cli.gov_tx import gov_tx
from node.cli.gpu_cmd import gpu_group
from node.cli.job_cmd import job_group
from node.cli.keys import keys
from node.cli.node_cmds import init, start, status
from node.cli.query import query
from node.cli.testnet_cmd import testnet_command
from node.cli.tx import tx
from node.cli.worker_cmd import worker_command


@click.group(cls=DepindGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="depind")
def cli() -> None:
    """depind: a proof-of-stake chain with a verifiable GPU compute market."""


for command in (init, start, status, keys, tx, query, genesis_group):
    cli.add_command(command)
cli.add_command(gpu_group)
cli.add_command(testnet_command)
cli.add_command(chain_info)
cli.add_command(worker_command)
cli.add_command(job_group)
cli.add_command(explorer_command)
tx.add_command(gov_tx)
query.add_command(gov_query)


def main() -> None:
    with cli_errors():
        cli(prog_name="depind")


__all__ = ["CLIError", "cli", "main"]

if __name__ == "__main__":
    main()
