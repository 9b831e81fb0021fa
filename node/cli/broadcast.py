"""The path every ``depind tx`` command takes: build messages, sign, confirm, broadcast, wait.

Messages are built and checked before the key is unlocked, so a typo costs no passphrase.
"""

from __future__ import annotations

import base64
import functools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from node.cli.common import (
    CLIError,
    emit,
    flatten,
    home_option,
    keyring_backend_option,
    node_option,
    output_option,
)
from node.cli.keyring_access import find_key, open_keyring
from node.cli.params import COINS, GAS
from node.cli.views import fields, message_line, message_view, response_lines
from node.client import BroadcastResult, Client, ClientError, Signer
from node.rpc.errors import NOT_FOUND
from vm.modules import default_registry
from vm.msg import Msg
from vm.tx import Tx, decode_tx
from vm.types import Coin, format_coins

DEFAULT_WAIT_S = 30.0
POLL_S = 0.25
SPINNER = "|/-\\"


@dataclass(frozen=True)
class TxOptions:
    home: Path
    keyring_backend: str
    node: str
    chain_id: str
    fees: list[Coin] | None
    gas: int | None
    memo: str
    yes: bool
    broadcast_mode: str
    wait: bool
    wait_timeout: float
    output: str


@dataclass(frozen=True)
class TxOutcome:
    """What a tx command reports, under the Cosmos SDK's names."""

    txhash: str
    height: int
    code: int
    codespace: str
    raw_log: str
    gas_wanted: int
    gas_used: int
    data: str  # hex of the TxMsgData (each message's response), as Cosmos prints it


_TX_FLAGS: list[Callable[[Any], Any]] = [
    home_option,
    keyring_backend_option,
    node_option,
    click.option("--chain-id", default="", help="Chain to sign for [default: ask the node]."),
    click.option("--fees", type=COINS, help="Fee, e.g. 500udepin [default: the minimum for the gas]."),
    click.option("--gas", type=GAS, default="auto", show_default=True, help="'auto' simulates, adds 30%."),
    click.option("--memo", default="", help="A note stored with the tx."),
    click.option("--yes", "-y", is_flag=True, help="Skip the confirmation prompt."),
    click.option(
        "--broadcast-mode",
        "-b",
        type=click.Choice(["sync", "async", "commit"]),
        default="sync",
        show_default=True,
        help="sync: wait for CheckTx; async: return at once; commit: wait for the block.",
    ),
    click.option(
        "--wait/--no-wait",
        default=True,
        show_default=True,
        help="After a sync or async broadcast, wait until the tx is in a block.",
    ),
    click.option(
        "--wait-timeout",
        type=click.FloatRange(min=0.0, min_open=True),
        default=DEFAULT_WAIT_S,
        show_default=True,
        help="Seconds to wait for inclusion.",
    ),
    output_option,
]


def tx_options(f: Callable[..., None]) -> Callable[..., None]:
    """Add the flags every tx command shares and hand them to ``f`` as one ``opts``."""
    names = TxOptions.__dataclass_fields__.keys()

    @functools.wraps(f)
    def command(**kwargs: Any) -> None:
        opts = TxOptions(**{name: kwargs.pop(name) for name in names})
        f(opts=opts, **kwargs)

    for flag in reversed(_TX_FLAGS):
        command = flag(command)
    return command


def send_tx(opts: TxOptions, sender: str, make_messages: Callable[[str], list[Msg]]) -> None:
    """Sign ``make_messages(sender address)`` with the sender's key, broadcast and report."""
    keyring = open_keyring(opts.home, opts.keyring_backend)
    messages = make_messages(find_key(keyring, sender).address)
    for message in messages:
        message.validate()
    key = keyring.private_key(sender)
    with Client(opts.node) as client:
        signer = Signer(client, key, chain_id=opts.chain_id)
        tx = signer.build(messages, gas=opts.gas, fees=opts.fees, memo=opts.memo)
        if not opts.yes:
            confirm(decode_tx(tx, default_registry()), signer.chain_id, key.address)
        outcome = broadcast(client, tx, opts)
    report(outcome, opts.output)


def confirm(tx: Tx, chain_id: str, sender: str) -> None:
    """Show what is about to be signed and paid for; abort unless the user agrees."""
    fee = tx.auth_info.fee
    pairs: list[tuple[str, Any]] = [("chain id", chain_id), ("from", sender)]
    pairs += [("message", message_line(message_view(m))) for m in tx.body.messages]
    pairs += [("fee", format_coins(fee.amount) or "none"), ("gas limit", fee.gas_limit)]
    if tx.body.memo:
        pairs.append(("memo", tx.body.memo))
    click.echo(fields(pairs), err=True)
    click.confirm("confirm transaction before broadcasting", abort=True, err=True)


def broadcast(client: Client, tx: bytes, opts: TxOptions) -> TxOutcome:
    result = client.broadcast(tx, opts.broadcast_mode)
    if result.code != 0 or opts.broadcast_mode == "commit" or not opts.wait:
        return outcome_of_broadcast(result)
    return outcome_of_committed(wait_for_inclusion(client, result.hash, opts.wait_timeout))


def wait_for_inclusion(client: Client, tx_hash: str, timeout: float) -> Any:
    """Poll ``tx`` until the node knows the tx, showing a spinner on stderr meanwhile."""
    spinner = Spinner(f"waiting for tx {tx_hash[:12]}... to be included")
    deadline = time.monotonic() + timeout
    try:
        for _ in range(math.ceil(timeout / POLL_S) + 1):
            try:
                return client.tx(tx_hash)
            except ClientError as exc:
                if exc.code != NOT_FOUND:
                    raise
            if time.monotonic() >= deadline:
                break
            spinner.tick()
            time.sleep(POLL_S)
    finally:
        spinner.clear()
    raise CLIError(
        f"tx {tx_hash} was not included within {timeout:g}s; it may still be included: "
        f"check with `depind query tx {tx_hash}`"
    )


class Spinner:
    """Progress on stderr: an animated line on a terminal, one plain line otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.ticks = 0
        self.animated = sys.stderr.isatty()

    def tick(self) -> None:
        if self.animated:
            frame = SPINNER[self.ticks % len(SPINNER)]
            click.echo(f"\r{frame} {self.label}", nl=False, err=True)
        elif self.ticks == 0:
            click.echo(f"{self.label}...", err=True)
        self.ticks += 1

    def clear(self) -> None:
        if self.animated and self.ticks:
            click.echo("\r\033[K", nl=False, err=True)


def outcome_of_broadcast(result: BroadcastResult) -> TxOutcome:
    return TxOutcome(
        result.hash,
        result.height,
        result.code,
        result.codespace,
        result.log,
        result.gas_wanted,
        result.gas_used,
        result.data.hex().upper(),
    )


def outcome_of_committed(found: Any) -> TxOutcome:
    outcome = found["tx_result"]
    return TxOutcome(
        found["hash"],
        int(found["height"]),
        int(outcome["code"]),
        outcome["codespace"],
        outcome["log"],
        int(outcome["gas_wanted"]),
        int(outcome["gas_used"]),
        base64.b64decode(outcome["data"]).hex().upper(),
    )


def report(outcome: TxOutcome, output: str) -> None:
    """Print the outcome; a failed tx then exits 1 with its log as the error line."""
    emit(asdict(outcome), output, outcome_text)
    if outcome.code != 0:
        raise CLIError(
            f"tx failed with code {outcome.code} ({outcome.codespace}): {flatten(outcome.raw_log)}"
        )


def outcome_text(outcome: dict[str, Any]) -> str:
    pairs: list[tuple[str, Any]] = [
        ("txhash", outcome["txhash"]),
        ("height", outcome["height"] or ("pending" if outcome["code"] == 0 else "not included")),
        ("code", outcome["code"]),
    ]
    if outcome["gas_used"]:
        pairs.append(("gas used", f"{outcome['gas_used']} of {outcome['gas_wanted']}"))
    pairs += [("response", line) for line in response_lines(bytes.fromhex(outcome["data"]))]
    return fields(pairs)
