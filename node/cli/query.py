"""``depind query <module> <what>``: read chain state through the node's JSON-RPC.

``--output json`` prints the RPC result as the node sent it; text is a compact summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from node.cli import views
from node.cli.common import emit, node_option, output_option
from node.cli.compute_query import compute_query
from node.cli.distribution import distribution_query
from node.cli.market_query import market_query
from node.cli.params import ADDRESS
from node.cli.slashing import slashing_query
from node.cli.staking_query import staking_query
from node.client import Client


def show(node: str, output: str, text: Callable[[Any], str], method: str, **params: Any) -> None:
    """Call one RPC method and print its result."""
    with Client(node) as client:
        result = client.call(method, **params)
    emit(result, output, text)


@click.group()
def query() -> None:
    """Query chain state."""


@query.group()
def bank() -> None:
    """Balances."""


@bank.command()
@click.argument("address", type=ADDRESS)
@click.option("--denom", help="Only this denom.")
@node_option
@output_option
def balances(address: str, denom: str | None, node: str, output: str) -> None:
    """The balances of ADDRESS."""
    params = {"address": address} if denom is None else {"address": address, "denom": denom}
    show(node, output, views.balances_text, "balances", **params)


@query.group()
def provider() -> None:
    """GPU providers."""


@provider.command(name="show")
@click.argument("owner", type=ADDRESS)
@node_option
@output_option
def show_provider(owner: str, node: str, output: str) -> None:
    """The provider registered by OWNER."""
    show(node, output, views.provider_text, "provider", owner=owner)


@provider.command(name="list")
@click.option("--limit", type=click.IntRange(1, 100), default=100, show_default=True)
@click.option("--next-key", default="", help="Continue after this owner (from the previous page).")
@node_option
@output_option
def list_providers(limit: int, next_key: str, node: str, output: str) -> None:
    """Providers in owner order, one page at a time."""
    show(node, output, views.providers_text, "providers", limit=limit, next_key=next_key)


query.add_command(staking_query)
query.add_command(distribution_query)
query.add_command(slashing_query)
query.add_command(market_query)
query.add_command(compute_query)


@query.group()
def mint() -> None:
    """Inflation and the coins minted each block."""


@mint.command()
@node_option
@output_option
def inflation(node: str, output: str) -> None:
    """The current annual inflation rate."""
    show(node, output, lambda result: str(result["inflation"]), "inflation")


@mint.command(name="annual-provisions")
@node_option
@output_option
def annual_provisions(node: str, output: str) -> None:
    """Coins minted per year at the current inflation rate."""
    show(node, output, lambda result: str(result["annual_provisions"]), "annual_provisions")


@mint.command(name="params")
@node_option
@output_option
def mint_params(node: str, output: str) -> None:
    """The mint parameters, the PoUW reward share included."""
    show(node, output, views.params_text, "params", module="mint")


@query.command(name="tx")
@click.argument("tx_hash", metavar="HASH")
@node_option
@output_option
def tx_(tx_hash: str, node: str, output: str) -> None:
    """A committed tx, its result and messages."""
    show(node, output, views.tx_text, "tx", hash=tx_hash)


@query.command()
@click.argument("height", type=click.IntRange(min=1), required=False)
@node_option
@output_option
def block(height: int | None, node: str, output: str) -> None:
    """The block at HEIGHT (the latest if omitted)."""
    params = {} if height is None else {"height": height}
    show(node, output, views.block_text, "block", **params)


@query.command()
@click.argument("address", type=ADDRESS)
@node_option
@output_option
def account(address: str, node: str, output: str) -> None:
    """Account number, sequence and public key of ADDRESS."""
    show(node, output, views.account_text, "account", address=address)


@query.command()
@click.argument("module", required=False)
@node_option
@output_option
def params(module: str | None, node: str, output: str) -> None:
    """Module parameters (every module's if MODULE is omitted)."""
    show(node, output, views.params_text, "params", **({} if module is None else {"module": module}))
