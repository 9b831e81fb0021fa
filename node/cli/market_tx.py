"""``depind tx market <action>``: the GPU market's messages (docs/market.md), signed by the
``--from`` key.

Providers offer GPUs of a class they registered (``create-offer``, ``update-offer``,
``close-offer``) and run the leases matched to them (``accept-lease``, ``withdraw``,
``close-lease``); requesters order GPUs with a deposit in escrow (``create-order``,
``cancel-order``) and fund, extend or end their leases (``deposit``, ``close-lease``).
Prices are per GPU-hour in the market's denom; durations are seconds, or ``90m``, ``1h30m``,
``2d``. What depends on the chain (the market params, the provider's registered GPUs, the
latest block time) is read from the node while the message is built, before the key is
unlocked.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Sequence
from typing import Any

import click

from genesis.market import MarketParams
from gpu.jobs import JobSpec
from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.common import CLIError
from node.cli.params import MAX_AMOUNT
from node.client import Client, ClientError
from node.light import parse_rfc3339
from node.rpc.errors import NOT_FOUND
from vm.market.msgs import (
    MAX_GPUS,
    MsgAcceptLease,
    MsgCancelOrder,
    MsgCloseLease,
    MsgCloseOffer,
    MsgCreateOffer,
    MsgCreateOrder,
    MsgDepositEscrow,
    MsgUpdateOffer,
    MsgWithdrawLease,
)
from vm.market.pricing import compute_required_deposit
from vm.market.types import NS_PER_SECOND, GpuClass, Pricing, Requirements
from vm.msg import Msg
from vm.types import Coin, is_valid_denom

JOB_KINDS = [str(spec.__struct_config__.tag) for spec in typing.get_args(JobSpec)]
_DURATION = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
_UNIT_S = (86_400, 3_600, 60, 1)
_AMOUNT = re.compile(r"([0-9]+)(\S*)")


# -- flag values --------------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """Seconds: ``3600``, or days, hours, minutes and seconds in that order (``1h30m``, ``2d``)."""
    cleaned = text.strip().lower()
    if cleaned.isascii() and cleaned.isdigit():
        seconds = int(cleaned)
    else:
        match = _DURATION.fullmatch(cleaned)
        if not cleaned or match is None:
            raise ValueError(f"{text!r} is not a duration: give seconds, or e.g. 90m, 1h30m, 2d")
        seconds = sum(int(part or 0) * unit for part, unit in zip(match.groups(), _UNIT_S, strict=True))
    if not 0 < seconds <= MAX_AMOUNT // NS_PER_SECOND:
        raise ValueError(f"{text!r} must be a positive duration")
    return seconds


def parse_amount(text: str) -> Coin:
    """An amount in the market's denom: ``3600000``, or with the denom, ``3600000udepin``
    (the denom is checked against the market's when the message is built; "" when none)."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None or (match.group(2) and not is_valid_denom(match.group(2))):
        raise ValueError(f"{text!r} is not an amount: give e.g. 3600000 or 3600000udepin")
    amount = int(match.group(1))
    if not 0 < amount <= MAX_AMOUNT:
        raise ValueError(f"{text!r} must be a positive amount up to {MAX_AMOUNT}")
    return Coin(match.group(2), amount)


def parse_list(text: str) -> list[str]:
    """Comma-separated values, blanks around them dropped."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError(f"{text!r} names nothing: give comma-separated values")
    return items


class ParsedType(click.ParamType[Any]):
    """A flag value read by ``parse``; a ValueError becomes click's BadParameter (exit 2)."""

    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = ParsedType("duration", parse_duration)
AMOUNT = ParsedType("amount", parse_amount)
LIST = ParsedType("a,b,...", parse_list)
ID = click.IntRange(1, MAX_AMOUNT)
COUNT = click.IntRange(0, MAX_AMOUNT)


# -- what the chain says ------------------------------------------------------------------------


def market_params(client: Client) -> MarketParams:
    return MarketParams(**client.call("params", module="market")["market"])


def in_denom(amount: Coin, denom: str, flag: str) -> int:
    """The amount of a flag, which must be in the market's denom if it names one."""
    if amount.denom and amount.denom != denom:
        raise CLIError(f"{flag} is in the market's denom {denom}, not {amount.denom}")
    return amount.amount


def registered_classes(client: Client, owner: str) -> list[GpuClass]:
    """The GPU classes a provider registered, in its order."""
    try:
        provider = client.call("provider", owner=owner)
    except ClientError as exc:
        if exc.code == NOT_FOUND:
            raise CLIError(
                f"{owner} is not a registered provider: see `depind tx provider register`"
            ) from None
        raise
    classes = [GpuClass(g["model"], g["memory_mib"], g["compute_capability"]) for g in provider["gpus"]]
    return list(dict.fromkeys(classes))


def class_text(gpu_class: GpuClass) -> str:
    return f"{gpu_class.model} ({gpu_class.memory_mib} MiB, cc {gpu_class.compute_capability})"


def choose_class(registered: Sequence[GpuClass], wanted: GpuClass) -> GpuClass:
    """The one registered class that fits ``wanted``, whose empty fields fit any."""
    fitting = [
        c
        for c in registered
        if wanted.model in ("", c.model)
        and wanted.memory_mib in (0, c.memory_mib)
        and wanted.compute_capability in ("", c.compute_capability)
    ]
    if len(fitting) == 1:
        return fitting[0]
    known = "; ".join(class_text(c) for c in registered) or "none"
    if not fitting:
        raise CLIError(f"the provider registered no GPU class that fits the flags given; registered: {known}")
    raise CLIError(
        f"the provider registered several GPU classes: pick one with --gpu-model, --memory-mib "
        f"and --compute-capability; registered: {known}"
    )


def latest_time_ns(client: Client) -> int:
    return parse_rfc3339(client.status()["sync_info"]["latest_block_time"])


# -- shared flags ---------------------------------------------------------------------------------


from_option = click.option(
    "--from", "from_key", required=True, help="The key that signs: a name or address of the keyring."
)


def pricing_options(f: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.option("--price", type=AMOUNT, help="Fixed price per GPU-hour, e.g. 3600000 or 3600000udepin."),
        click.option(
            "--factor-bps",
            type=click.IntRange(1, MAX_AMOUNT),
            help="Indexed price: the class's reference price times this / 10,000 (15000: 1.5 x).",
        ),
        click.option("--floor", type=AMOUNT, help="Lowest indexed price per GPU-hour [default: 1]."),
        click.option(
            "--cap", type=AMOUNT, help="Highest indexed price per GPU-hour [default: the market's max]."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


NO_PRICE = "give --price (fixed) or --factor-bps (indexed to the class's reference price)"


def check_pricing_flags(
    price: Coin | None, factor_bps: int | None, floor: Coin | None, cap: Coin | None, required: bool
) -> None:
    """The pricing flags fit together: fixed or indexed, bounds only for indexed."""
    if price is not None and factor_bps is not None:
        raise click.UsageError("give --price (fixed) or --factor-bps (indexed), not both")
    if factor_bps is None and (floor is not None or cap is not None):
        raise click.UsageError("--floor and --cap bound an indexed price: use them with --factor-bps")
    if required and price is None and factor_bps is None:
        raise click.UsageError(NO_PRICE)


def make_pricing(
    params: MarketParams, price: Coin | None, factor_bps: int | None, floor: Coin | None, cap: Coin | None
) -> Pricing:
    """Fixed (``--price``), or indexed (``--factor-bps``, within ``--floor`` and ``--cap``)."""
    if factor_bps is not None:
        low = 1 if floor is None else in_denom(floor, params.denom, "--floor")
        high = params.max_price if cap is None else in_denom(cap, params.denom, "--cap")
        return Pricing(0, factor_bps, low, high)
    if price is None:
        raise click.UsageError(NO_PRICE)
    return Pricing(in_denom(price, params.denom, "--price"), 0, 0, 0)


# -- offers ---------------------------------------------------------------------------------------


@click.group(name="market")
def market_tx() -> None:
    """Offer GPUs, order them, and accept, fund, withdraw from and close leases."""


@market_tx.command(name="create-offer")
@from_option
@click.option("--gpu-model", default="", help="GPU model, as registered [default: the only one registered].")
@click.option("--memory-mib", type=COUNT, default=0, help="GPU memory in MiB, as registered.")
@click.option("--compute-capability", default="", help="Compute capability, e.g. 9.0, as registered.")
@click.option("--count", type=click.IntRange(1, MAX_GPUS), required=True, help="GPUs to offer.")
@pricing_options
@click.option("--min-duration", type=DURATION, help="Shortest lease, e.g. 30m [default: the market's].")
@click.option("--max-duration", type=DURATION, help="Longest lease, e.g. 24h [default: the market's].")
@click.option(
    "--job-kinds",
    type=LIST,
    default=",".join(JOB_KINDS),
    show_default=True,
    help="Comma-separated job kinds the GPUs run.",
)
@tx_options
def create_offer(
    opts: TxOptions,
    from_key: str,
    gpu_model: str,
    memory_mib: int,
    compute_capability: str,
    count: int,
    price: Coin | None,
    factor_bps: int | None,
    floor: Coin | None,
    cap: Coin | None,
    min_duration: int | None,
    max_duration: int | None,
    job_kinds: list[str],
) -> None:
    """Offer COUNT GPUs of a class the --from provider registered, at a fixed or an indexed
    price per GPU-hour. The class flags may be left out when they fit one registered class."""
    check_pricing_flags(price, factor_bps, floor, cap, required=True)

    def messages(provider: str) -> list[Msg]:
        with Client(opts.node) as client:
            params = market_params(client)
            wanted = GpuClass(gpu_model, memory_mib, compute_capability)
            if not (gpu_model and memory_mib and compute_capability):
                wanted = choose_class(registered_classes(client, provider), wanted)
        pricing = make_pricing(params, price, factor_bps, floor, cap)
        shortest = params.min_duration_s if min_duration is None else min_duration
        longest = params.max_duration_s if max_duration is None else max_duration
        return [MsgCreateOffer(provider, wanted, count, pricing, shortest, longest, job_kinds)]

    send_tx(opts, from_key, messages)


@market_tx.command(name="update-offer")
@click.argument("offer_id", type=ID)
@from_option
@click.option("--count", type=click.IntRange(1, MAX_GPUS), help="GPUs offered, leased ones included.")
@pricing_options
@click.option("--min-duration", type=DURATION, help="Shortest lease, e.g. 30m.")
@click.option("--max-duration", type=DURATION, help="Longest lease, e.g. 24h.")
@click.option("--job-kinds", type=LIST, help="Comma-separated job kinds the GPUs run.")
@click.option("--pause", is_flag=True, help="Take the offer off the book; its leases run on.")
@click.option("--resume", is_flag=True, help="Put a paused offer back on the book.")
@tx_options
def update_offer(
    opts: TxOptions,
    offer_id: int,
    from_key: str,
    count: int | None,
    price: Coin | None,
    factor_bps: int | None,
    floor: Coin | None,
    cap: Coin | None,
    min_duration: int | None,
    max_duration: int | None,
    job_kinds: list[str] | None,
    pause: bool,
    resume: bool,
) -> None:
    """Change what is given of offer OFFER_ID; the rest stays as it is."""
    if pause and resume:
        raise click.UsageError("give --pause or --resume, not both")
    check_pricing_flags(price, factor_bps, floor, cap, required=False)
    repriced = price is not None or factor_bps is not None

    def messages(provider: str) -> list[Msg]:
        pricing = None
        if repriced:
            with Client(opts.node) as client:
                pricing = make_pricing(market_params(client), price, factor_bps, floor, cap)
        return [
            MsgUpdateOffer(
                provider,
                offer_id,
                pricing,
                count or 0,
                min_duration or 0,
                max_duration or 0,
                job_kinds or [],
                pause,
                resume,
            )
        ]

    send_tx(opts, from_key, messages)


@market_tx.command(name="close-offer")
@click.argument("offer_id", type=ID)
@from_option
@tx_options
def close_offer(opts: TxOptions, offer_id: int, from_key: str) -> None:
    """Take offer OFFER_ID off the book for good; its open leases run on."""
    send_tx(opts, from_key, _one(lambda provider: MsgCloseOffer(provider, offer_id)))


# -- orders ---------------------------------------------------------------------------------------


@market_tx.command(name="create-order")
@from_option
@click.option(
    "--gpus", type=click.IntRange(1, MAX_GPUS), default=1, show_default=True, help="GPUs, all from one offer."
)
@click.option("--duration", type=DURATION, required=True, help="How long the lease runs, e.g. 2h.")
@click.option("--max-price", type=AMOUNT, required=True, help="Most to pay per GPU-hour, e.g. 3600000udepin.")
@click.option(
    "--deposit",
    type=AMOUNT,
    help="Escrow to deposit [default: the least the market takes, max price x GPUs x duration].",
)
@click.option("--gpu-models", type=LIST, help="Comma-separated GPU models accepted [default: any].")
@click.option("--min-memory-mib", type=COUNT, default=0, help="Least GPU memory in MiB.")
@click.option("--min-compute-capability", default="", help="Least compute capability, e.g. 8.0.")
@click.option("--regions", type=LIST, help="Comma-separated provider regions accepted [default: any].")
@click.option("--min-reputation", type=COUNT, default=0, help="Least provider reputation (of 10,000).")
@click.option("--min-capacity", type=COUNT, default=0, help="Least measured provider capacity.")
@click.option("--job-kind", default="", help=f"The kind of job to run: one of {', '.join(JOB_KINDS)}.")
@click.option(
    "--expires-in", type=DURATION, help="Refund the order if unmatched this long after the latest block."
)
@tx_options
def create_order(
    opts: TxOptions,
    from_key: str,
    gpus: int,
    duration: int,
    max_price: Coin,
    deposit: Coin | None,
    gpu_models: list[str] | None,
    min_memory_mib: int,
    min_compute_capability: str,
    regions: list[str] | None,
    min_reputation: int,
    min_capacity: int,
    job_kind: str,
    expires_in: int | None,
) -> None:
    """Order GPUs for a duration at a most price per GPU-hour, moving the deposit to escrow.
    Each block matches open orders to the cheapest fitting offer; see `depind query market leases`."""
    wanted = Requirements(
        gpu_models or [],
        min_memory_mib,
        min_compute_capability,
        gpus,
        regions or [],
        min_reputation,
        min_capacity,
        job_kind,
    )

    def messages(requester: str) -> list[Msg]:
        with Client(opts.node) as client:
            params = market_params(client)
            expires_ns = 0 if expires_in is None else latest_time_ns(client) + expires_in * NS_PER_SECOND
        most = in_denom(max_price, params.denom, "--max-price")
        least = compute_required_deposit(most, gpus, duration)
        amount = least if deposit is None else in_denom(deposit, params.denom, "--deposit")
        return [MsgCreateOrder(requester, wanted, duration, most, Coin(params.denom, amount), expires_ns)]

    send_tx(opts, from_key, messages)


@market_tx.command(name="cancel-order")
@click.argument("order_id", type=ID)
@from_option
@tx_options
def cancel_order(opts: TxOptions, order_id: int, from_key: str) -> None:
    """Cancel open order ORDER_ID; its whole deposit is refunded."""
    send_tx(opts, from_key, _one(lambda requester: MsgCancelOrder(requester, order_id)))


# -- leases ---------------------------------------------------------------------------------------


@market_tx.command()
@click.argument("lease_id", type=ID)
@click.argument("amount", type=AMOUNT, required=False)
@from_option
@click.option("--extend", type=DURATION, help="Also lengthen the lease by this much, e.g. 1h.")
@tx_options
def deposit(opts: TxOptions, lease_id: int, amount: Coin | None, from_key: str, extend: int | None) -> None:
    """Add AMOUNT to the escrow of lease LEASE_ID, lengthen it with --extend, or both."""
    if amount is None and extend is None:
        raise click.UsageError("give an AMOUNT to deposit, --extend, or both")

    def messages(requester: str) -> list[Msg]:
        added = None
        if amount is not None:
            with Client(opts.node) as client:
                denom = market_params(client).denom
            added = Coin(denom, in_denom(amount, denom, "AMOUNT"))
        return [MsgDepositEscrow(requester, lease_id, added, extend or 0)]

    send_tx(opts, from_key, messages)


@market_tx.command(name="accept-lease")
@click.argument("lease_id", type=ID)
@from_option
@tx_options
def accept_lease(opts: TxOptions, lease_id: int, from_key: str) -> None:
    """Start lease LEASE_ID matched to an offer of the --from provider; charging starts now."""
    send_tx(opts, from_key, _one(lambda provider: MsgAcceptLease(provider, lease_id)))


@market_tx.command(name="close-lease")
@click.argument("lease_id", type=ID)
@from_option
@tx_options
def close_lease(opts: TxOptions, lease_id: int, from_key: str) -> None:
    """End lease LEASE_ID: the provider is paid what it earned, the requester refunded the
    rest (a provider that closes pays the market's penalty from its collateral)."""
    send_tx(opts, from_key, _one(lambda sender: MsgCloseLease(sender, lease_id)))


@market_tx.command()
@click.argument("lease_id", type=ID)
@from_option
@tx_options
def withdraw(opts: TxOptions, lease_id: int, from_key: str) -> None:
    """Pay the --from provider what active lease LEASE_ID has earned so far, less the take."""
    send_tx(opts, from_key, _one(lambda provider: MsgWithdrawLease(provider, lease_id)))


def _one(make: Callable[[str], Msg]) -> Callable[[str], list[Msg]]:
    def messages(sender: str) -> list[Msg]:
        return [make(sender)]

    return messages
