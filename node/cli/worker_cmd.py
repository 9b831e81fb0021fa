"""``depind worker``: the provider-side process that keeps its leases (node/worker.py)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from node.cli.common import home_option, keyring_backend_option, node_option
from node.cli.keyring_access import find_key, open_keyring
from node.client import Client, Signer
from node.worker import Worker, WorkerConfig, run


@click.command("worker")
@home_option
@keyring_backend_option
@node_option
@click.option("--from", "sender", required=True, help="The provider's key (name or address).")
@click.option(
    "--withdraw-every",
    type=click.IntRange(min=1),
    default=WorkerConfig.withdraw_every,
    show_default=True,
    help="Blocks between withdrawals of the leases' earnings.",
)
@click.option(
    "--min-withdraw",
    type=click.IntRange(min=1),
    default=WorkerConfig.min_withdraw,
    show_default=True,
    help="The least a lease must have earned (udepin) to be withdrawn.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning"]),
    default="info",
    show_default=True,
    help="What to log on stderr.",
)
def worker_command(
    home: Path,
    keyring_backend: str,
    node: str,
    sender: str,
    withdraw_every: int,
    min_withdraw: int,
    log_level: str,
) -> None:
    """Keep a provider's leases: follow the node's new blocks over its WebSocket, accept
    each new lease at once (a lease not accepted within the market's accept_blocks
    closes with provider_fault and costs collateral), and withdraw the leases' earnings
    every --withdraw-every blocks. It logs each tx it sends, reconnects when the node
    restarts, and stops on Ctrl-C or SIGTERM."""
    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    keyring = open_keyring(home, keyring_backend)
    key = keyring.private_key(find_key(keyring, sender).name)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    config = WorkerConfig(withdraw_every=withdraw_every, min_withdraw=min_withdraw)
    with Client(node) as client:
        run(Worker(client, Signer(client, key), config), node, stop)
    click.echo("stopped", err=True)
