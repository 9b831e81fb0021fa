"""``depind tx slashing unjail`` and ``depind query slashing signing-info|params``.

``unjail`` is Cosmos's MsgUnjail for the validator the ``--from`` key operates. The
signing info is read through the node's JSON-RPC method ``signing_info``: of
CONS_ADDRESS (bech32 ``depinvalcons1...``, or hex as ``status`` shows it), or, without
one, of the validator key in ``--home`` (``config/priv_validator_key.json``), as Cosmos's
``query slashing signing-info`` takes the node's own consensus key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from node.cli import views
from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.common import CLIError, emit, home_option, node_option, output_option
from node.client import Client
from node.home import Home, validator_address
from vm import crypto
from vm.msg import Msg
from vm.slashing.msgs import MsgUnjail
from vm.slashing.types import VALCONS_HRP

HEX_ADDRESS = re.compile(r"[0-9A-Fa-f]{40}")


# -- transactions ------------------------------------------------------------------------------


@click.group(name="slashing")
def slashing_tx() -> None:
    """Unjail a validator."""


@slashing_tx.command()
@click.option(
    "--from", "from_key", required=True, help="The operator's key: a name or address of the keyring."
)
@tx_options
def unjail(opts: TxOptions, from_key: str) -> None:
    """Unjail the validator the --from key operates, once its jail time has passed."""

    def messages(operator: str) -> list[Msg]:
        valoper = crypto.encode_address(crypto.decode_address(operator), crypto.VALOPER_HRP)
        return [MsgUnjail(valoper)]

    send_tx(opts, from_key, messages)


# -- queries ---------------------------------------------------------------------------------------


@click.group(name="slashing")
def slashing_query() -> None:
    """Validators' liveness and jail records, and the slashing params."""


@slashing_query.command(name="signing-info")
@click.argument("cons_address", required=False)
@home_option
@node_option
@output_option
def signing_info(cons_address: str | None, home: Path, node: str, output: str) -> None:
    """The signing info of CONS_ADDRESS, or of this node's validator key (--home)."""
    address = consensus_address(cons_address) if cons_address is not None else own_address(Home(home))
    with Client(node) as client:
        result = client.call("signing_info", cons_address=address)
    emit(result, output, signing_info_text)


@slashing_query.command(name="params")
@node_option
@output_option
def slashing_params(node: str, output: str) -> None:
    """The slashing parameters."""
    with Client(node) as client:
        result = client.call("params", module="slashing")
    emit(result, output, views.params_text)


def consensus_address(text: str) -> str:
    """CONS_ADDRESS as bech32: given so, or as CometBFT's hex."""
    if HEX_ADDRESS.fullmatch(text):
        return crypto.encode_address(bytes.fromhex(text), VALCONS_HRP)
    try:
        crypto.decode_address(text, VALCONS_HRP)
    except crypto.InvalidAddress as exc:
        raise click.BadParameter(str(exc), param_hint="'CONS_ADDRESS'") from None
    return text


def own_address(home: Home) -> str:
    if not home.key_file.exists():
        raise CLIError(
            f"no validator key at {home.key_file}: give CONS_ADDRESS, or the --home of a validator"
        )
    return consensus_address(validator_address(home))


def signing_info_text(result: dict[str, Any]) -> str:
    return views.fields(
        [
            ("address", result["address"]),
            ("start height", result["start_height"]),
            ("index offset", result["index_offset"]),
            ("missed blocks", result["missed_blocks_counter"]),
            ("jailed until", result["jailed_until"]),
            ("tombstoned", "yes" if result["tombstoned"] else "no"),
        ]
    )
