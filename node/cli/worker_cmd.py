"""``depind worker``: the provider-side process that keeps its leases and runs its compute jobs
(node/worker.py, node/worker_jobs.py), and serves the jobs' outputs to their verifiers
(node/outputs/server.py)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import click
import trio

from gpu.backend import BACKEND_NAMES, get_backend
from node.cli.common import home_option, keyring_backend_option, node_option
from node.cli.keyring_access import find_key, open_keyring
from node.client import Client, Signer
from node.outputs.server import OutputLimits, serve
from node.worker import Worker, WorkerConfig, run
from node.worker_jobs import JobRunner

log = logging.getLogger("depind.worker")

DEFAULT_OUTPUTS_LISTEN = "127.0.0.1:26670"
WORK_DIR = "worker"  # under the home


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
    "--backend",
    type=click.Choice(["auto", *BACKEND_NAMES]),
    default="auto",
    show_default=True,
    help="Where jobs run: cupy (a CUDA GPU), numpy (the CPU), or auto (cupy when a GPU is usable).",
)
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=f"Where results are written and served from [default: HOME/{WORK_DIR}].",
)
@click.option(
    "--outputs-listen",
    default=DEFAULT_OUTPUTS_LISTEN,
    show_default=True,
    help="host:port of the output server; register its URL as the provider's endpoint.",
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
    backend: str,
    work_dir: Path | None,
    outputs_listen: str,
    log_level: str,
) -> None:
    """Keep a provider's leases and run its compute jobs: follow the node's new blocks over
    its WebSocket, accept each new lease at once (a lease not accepted within the market's
    accept_blocks closes with provider_fault and costs collateral), withdraw the leases'
    earnings every --withdraw-every blocks, run each pending job on --backend (a job with
    supplied inputs once its requester has uploaded them) and submit its result, and serve the
    jobs' inputs and outputs on --outputs-listen (the provider's registered endpoint must reach
    it: `depind tx provider update --endpoint http://HOST:PORT`).
    Results are kept in --work-dir and served again after a restart. It logs each job and tx,
    reconnects when the node restarts, and stops on Ctrl-C or SIGTERM."""
    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    keyring = open_keyring(home, keyring_backend)
    key = keyring.private_key(find_key(keyring, sender).name)
    runner = JobRunner(work_dir or home / WORK_DIR, get_backend(None if backend == "auto" else backend))
    config = WorkerConfig(withdraw_every=withdraw_every, min_withdraw=min_withdraw)
    try:
        with Client(node) as client:
            worker = Worker(client, Signer(client, key), config, runner)
            trio.run(serve_and_work, worker, runner, node, outputs_listen)
    finally:
        runner.close()
    click.echo("stopped", err=True)


async def serve_and_work(worker: Worker, runner: JobRunner, node: str, outputs_listen: str) -> None:
    """Serve the runner's outputs and follow the chain (on a thread) until a signal stops both."""
    stop = threading.Event()
    log.info("backend %s; %d result(s) in %s", runner.backend.name, runner.republish(), runner.results_dir)
    async with trio.open_nursery() as nursery:
        url = await nursery.start(serve, runner.store, outputs_listen, OutputLimits(), runner.inputs)
        log.info("outputs served at %s", url)
        nursery.start_soon(stop_on_signal, stop)
        await trio.to_thread.run_sync(run, worker, node, stop)
        nursery.cancel_scope.cancel()


async def stop_on_signal(stop: threading.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            stop.set()
            return
