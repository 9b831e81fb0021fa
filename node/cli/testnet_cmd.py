"""``depind testnet``: write the homes of a local multi-validator network (see node/testnet.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from node.cli import views
from node.cli.common import CLIError, emit, one_line, output_option
from node.cli.node_cmds import check_chain_id
from node.testnet import (
    ACCOUNTS_FILE,
    DEFAULT_CHAIN_ID,
    DEFAULT_STARTING_PORT,
    LocalnetError,
    create_testnet,
    network_summary,
)


@click.command(name="testnet")
@click.option("--validators", type=click.IntRange(min=1), required=True, help="How many validator nodes.")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for the node homes; must be missing or empty.",
)
@click.option(
    "--chain-id", default=DEFAULT_CHAIN_ID, show_default=True, callback=check_chain_id, help="Chain id."
)
@click.option(
    "--starting-port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_STARTING_PORT,
    show_default=True,
    help="node0's p2p port; node I uses this + 10 I for p2p and the next port for JSON-RPC.",
)
@output_option
def testnet_command(
    validators: int, output_dir: Path, chain_id: str, starting_port: int, output: str
) -> None:
    """Write N validator homes on 127.0.0.1 sharing one genesis; run them with scripts/localnet.sh."""
    try:
        nodes = create_testnet(output_dir, validators, chain_id, starting_port)
    except LocalnetError as exc:
        raise CLIError(one_line(exc)) from None
    summary = network_summary(chain_id, nodes, with_mnemonics=False)
    summary["output_dir"] = str(output_dir.absolute())
    summary["accounts_file"] = str(output_dir.absolute() / ACCOUNTS_FILE)
    emit(summary, output, network_text)


def network_text(summary: dict[str, Any]) -> str:
    nodes = summary["nodes"]
    lines = [f"wrote {len(nodes)} validator homes of chain {summary['chain_id']}"]
    for node in nodes:
        lines += ["", views.fields(_node_fields(node))]
    lines += [
        "",
        f"account keys are in each node's test keyring; mnemonics in {summary['accounts_file']}",
        "(test keys: never use them for value).",
        f"start the network with: scripts/localnet.sh start {summary['output_dir']}",
    ]
    return "\n".join(lines)


def _node_fields(node: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("name", node["name"]),
        ("home", node["home"]),
        ("rpc", node["rpc_laddr"]),
        ("rest", node["rest_laddr"]),
        ("p2p", node["p2p_laddr"]),
        ("node id", node["node_id"]),
        ("validator", node["validator_address"]),
        ("account", f"{node['account']['address']} ({node['account']['coins']})"),
    ]
