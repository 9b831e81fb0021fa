"""``depind tx <module> <action>``: one command per message type."""

from __future__ import annotations

from collections.abc import Sequence

import click

from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.compute_tx import compute_tx
from node.cli.distribution import distribution_tx
from node.cli.hardware import GPU_FLAG_HINT, declared_gpus, gpu_options
from node.cli.market_tx import market_tx
from node.cli.params import ADDRESS, COIN, COINS, PRICE
from node.cli.slashing import slashing_tx
from node.cli.staking_tx import staking_tx
from vm.bank.msgs import MsgSend
from vm.msg import Msg
from vm.provider.msgs import GpuSpec, MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider
from vm.types import Coin


@click.group()
def tx() -> None:
    """Sign and broadcast transactions."""


@tx.group()
def bank() -> None:
    """Send coins."""


@bank.command()
@click.argument("from_key")
@click.argument("to_address", type=ADDRESS)
@click.argument("amount", type=COINS)
@tx_options
def send(opts: TxOptions, from_key: str, to_address: str, amount: list[Coin]) -> None:
    """Send AMOUNT (e.g. 1000udepin or 10udepin,5foo) from a key (name or address) to TO_ADDRESS."""

    def messages(sender: str) -> list[Msg]:
        return [MsgSend(sender, to_address, amount)]

    send_tx(opts, from_key, messages)


tx.add_command(staking_tx)
tx.add_command(distribution_tx)
tx.add_command(slashing_tx)
tx.add_command(market_tx)
tx.add_command(compute_tx)


@tx.group()
def provider() -> None:
    """Register, update or retire a GPU provider."""


@provider.command()
@click.argument("from_key")
@click.option("--region", required=True, help="Where the GPUs are, e.g. eu-west.")
@click.option("--endpoint", required=True, help="Where clients reach the provider: host[:port][/path].")
@click.option("--price", type=PRICE, required=True, help="Price hint per GPU-hour, e.g. 100udepin.")
@click.option("--collateral", type=COIN, required=True, help="Collateral to bond, e.g. 1000000udepin.")
@gpu_options
@tx_options
def register(
    opts: TxOptions,
    from_key: str,
    region: str,
    endpoint: str,
    price: Coin,
    collateral: Coin,
    detect: bool,
    gpus: Sequence[GpuSpec],
    gpu_uuids: Sequence[str],
) -> None:
    """Register FROM_KEY as a GPU provider, bonding collateral."""
    if not detect and not gpus:
        raise click.UsageError(f"{GPU_FLAG_HINT}, or use --detect")
    hardware = declared_gpus(detect, gpus, gpu_uuids)

    def messages(owner: str) -> list[Msg]:
        return [MsgRegisterProvider(owner, hardware, region, endpoint, price, collateral)]

    send_tx(opts, from_key, messages)


@provider.command()
@click.argument("from_key")
@click.option("--region", default="", help="New region.")
@click.option("--endpoint", default="", help="New endpoint.")
@click.option("--price", type=PRICE, help="New price hint per GPU-hour.")
@click.option("--add-collateral", type=COIN, help="Bond more collateral.")
@gpu_options
@tx_options
def update(
    opts: TxOptions,
    from_key: str,
    region: str,
    endpoint: str,
    price: Coin | None,
    add_collateral: Coin | None,
    detect: bool,
    gpus: Sequence[GpuSpec],
    gpu_uuids: Sequence[str],
) -> None:
    """Change a provider's hardware, region, endpoint or price, or add collateral."""
    hardware = declared_gpus(detect, gpus, gpu_uuids)

    def messages(owner: str) -> list[Msg]:
        return [MsgUpdateProvider(owner, hardware, region, endpoint, price, add_collateral)]

    send_tx(opts, from_key, messages)


@provider.command(name="exit")
@click.argument("from_key")
@tx_options
def exit_(opts: TxOptions, from_key: str) -> None:
    """Stop offering GPUs; the collateral returns after the unbonding period."""

    def messages(owner: str) -> list[Msg]:
        return [MsgExitProvider(owner)]

    send_tx(opts, from_key, messages)
