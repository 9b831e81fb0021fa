"""``depind explorer``: the web explorer's pages served on their own, against any node
(node/explorer/standalone.py). ``depind start`` serves the same pages itself at /explorer/."""

from __future__ import annotations

import logging
import sys

import click

from node.cli.common import node_option

DEFAULT_LISTEN = "127.0.0.1:8080"


@click.command("explorer")
@node_option
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    help="host:port to serve the explorer on (port 0: any free port, logged at start).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning"]),
    default="info",
    show_default=True,
    help="What to log on stderr.",
)
def explorer_command(node: str, listen: str, log_level: str) -> None:
    """Serve the web explorer at http://HOST:PORT/explorer/ for the node at --node. The pages
    reach the node through this server, which relays their JSON-RPC (POST /rpc) and WebSocket
    (/websocket): only this server need be reachable from the browser. Stops on Ctrl-C or
    SIGTERM."""
    from node.explorer import standalone  # here: the server stack would slow every other command

    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per relayed request otherwise
    standalone.run(node, listen)
    click.echo("stopped", err=True)
