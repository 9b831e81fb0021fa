"""``depind query market <what>``, through the node's market JSON-RPC methods (``offers``,
``offer``, ``orders``, ``order``, ``leases``, ``lease``, ``price_index``, and ``params``
with ``module: "market"``).

``--output json`` prints the RPC result as the node sent it; text shows lists as aligned
tables and one record as ``label: value`` lines. Prices are per GPU-hour in the market's
denom; a lease's escrow is exact at the latest block's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import click

from node.cli import views
from node.cli.common import node_option, output_option
from node.cli.params import ADDRESS
from node.cli.staking_query import paged, show
from vm.market.types import NS_PER_SECOND

ID = click.IntRange(1, 2**63 - 1)
OFFER_STATES = ("active", "paused", "closed")
ORDER_STATES = ("open", "matched", "cancelled", "expired")
LEASE_STATES = ("pending", "active", "closed")


@click.group(name="market")
def market_query() -> None:
    """GPU offers, orders and leases, reference prices and the market params."""


@market_query.command()
@click.option("--provider", type=ADDRESS, help="Only this provider's offers.")
@click.option("--gpu-model", default="", help="Only offers of this GPU model.")
@click.option("--state", type=click.Choice(OFFER_STATES), help="Only offers in this state.")
@paged
@node_option
@output_option
def offers(
    provider: str | None, gpu_model: str, state: str | None, limit: int, next_key: str, node: str, output: str
) -> None:
    """Offers in id order, one page at a time."""
    params = {"provider": provider or "", "gpu_model": gpu_model, "state": state or ""}
    show(node, output, offers_text, "offers", **params, limit=limit, next_key=next_key)


@market_query.command()
@click.argument("offer_id", type=ID)
@node_option
@output_option
def offer(offer_id: int, node: str, output: str) -> None:
    """Offer OFFER_ID, with its price now."""
    show(node, output, offer_text, "offer", id=offer_id)


@market_query.command()
@click.option("--requester", type=ADDRESS, help="Only this requester's orders.")
@click.option("--state", type=click.Choice(ORDER_STATES), help="Only orders in this state.")
@paged
@node_option
@output_option
def orders(
    requester: str | None, state: str | None, limit: int, next_key: str, node: str, output: str
) -> None:
    """Orders in id order, one page at a time."""
    params = {"requester": requester or "", "state": state or ""}
    show(node, output, orders_text, "orders", **params, limit=limit, next_key=next_key)


@market_query.command()
@click.argument("order_id", type=ID)
@node_option
@output_option
def order(order_id: int, node: str, output: str) -> None:
    """Order ORDER_ID."""
    show(node, output, order_text, "order", id=order_id)


@market_query.command()
@click.option("--provider", type=ADDRESS, help="Only this provider's leases.")
@click.option("--requester", type=ADDRESS, help="Only this requester's leases.")
@click.option("--state", type=click.Choice(LEASE_STATES), help="Only leases in this state.")
@paged
@node_option
@output_option
def leases(
    provider: str | None,
    requester: str | None,
    state: str | None,
    limit: int,
    next_key: str,
    node: str,
    output: str,
) -> None:
    """Leases in id order, each with its escrow now, one page at a time."""
    params = {"provider": provider or "", "requester": requester or "", "state": state or ""}
    show(node, output, leases_text, "leases", **params, limit=limit, next_key=next_key)


@market_query.command()
@click.argument("lease_id", type=ID)
@node_option
@output_option
def lease(lease_id: int, node: str, output: str) -> None:
    """Lease LEASE_ID: its terms, its escrow now, or how it closed."""
    show(node, output, lease_text, "lease", id=lease_id)


@market_query.command(name="price-index")
@click.option("--gpu-model", required=True, help="GPU model, e.g. 'NVIDIA H100 80GB HBM3'.")
@click.option("--memory-mib", type=ID, required=True, help="GPU memory in MiB.")
@click.option("--compute-capability", required=True, help="Compute capability, e.g. 9.0.")
@node_option
@output_option
def price_index(gpu_model: str, memory_mib: int, compute_capability: str, node: str, output: str) -> None:
    """A GPU class's reference price per GPU-hour and its recent history."""
    gpu_class = {"model": gpu_model, "memory_mib": memory_mib, "compute_capability": compute_capability}
    show(node, output, price_index_text, "price_index", **gpu_class)


@market_query.command(name="params")
@node_option
@output_option
def market_params(node: str, output: str) -> None:
    """The market parameters."""
    show(node, output, views.params_text, "params", module="market")


# -- text views ---------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns two spaces apart, numbers right-aligned, under upper-case headers."""
    cells = [[str(cell) for cell in row] for row in rows]
    lines = [list(headers), *cells]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    numeric = [all(row[i].isdigit() for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(
            cell.rjust(width) if is_number else cell.ljust(width)
            for cell, width, is_number in zip(line, widths, numeric, strict=True)
        ).rstrip()
        for line in lines
    )


def listing(headers: Sequence[str], rows: Sequence[Sequence[Any]], result: dict[str, Any], none: str) -> str:
    text = table(headers, rows) if rows else none
    if result.get("next_key"):
        text += f"\nmore: --next-key {result['next_key']}"
    return text


def duration_text(seconds: int) -> str:
    """``5400`` as ``1h30m``: days, hours, minutes and seconds, the zero ones left out."""
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def time_text(time_ns: int | str) -> str:
    seconds = int(time_ns) // NS_PER_SECOND
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def class_text(gpu_class: dict[str, Any]) -> str:
    return f"{gpu_class['model']} ({gpu_class['memory_mib']} MiB, cc {gpu_class['compute_capability']})"


def pricing_text(pricing: dict[str, Any]) -> str:
    if not pricing["factor_bps"]:
        return str(pricing["price"])
    return f"{pricing['factor_bps']}bps of index [{pricing['floor']}, {pricing['cap']}]"


def offers_text(result: dict[str, Any]) -> str:
    rows = [
        (
            o["id"],
            o["state"],
            o["gpu_class"]["model"],
            o["gpu_class"]["memory_mib"],
            o["gpu_class"]["compute_capability"],
            o["count"],
            o["leased"],
            pricing_text(o["pricing"]),
            f"{duration_text(o['min_duration_s'])}-{duration_text(o['max_duration_s'])}",
            o["provider"],
        )
        for o in result["offers"]
    ]
    headers = ("ID", "STATE", "GPU", "MIB", "CC", "GPUS", "LEASED", "PRICE/GPU-H", "DURATION", "PROVIDER")
    return listing(headers, rows, result, "no offers")


def offer_text(result: dict[str, Any]) -> str:
    o = result["offer"]
    return views.fields(
        [
            ("id", o["id"]),
            ("provider", o["provider"]),
            ("state", o["state"]),
            ("gpu", class_text(o["gpu_class"])),
            ("gpus", f"{o['count']} ({o['leased']} leased)"),
            ("pricing", pricing_text(o["pricing"]) if o["pricing"]["factor_bps"] else "fixed"),
            ("price now", f"{result['price']} per GPU-hour"),
            ("durations", f"{duration_text(o['min_duration_s'])} to {duration_text(o['max_duration_s'])}"),
            ("job kinds", ", ".join(o["job_kinds"])),
            ("created", f"height {o['created_height']}"),
        ]
    )


def orders_text(result: dict[str, Any]) -> str:
    rows = [
        (
            o["id"],
            o["state"],
            o["requirements"]["gpus"],
            duration_text(o["duration_s"]),
            o["max_price"],
            o["deposit"],
            o["lease_id"] or "-",
            o["requester"],
        )
        for o in result["orders"]
    ]
    headers = ("ID", "STATE", "GPUS", "DURATION", "MAX-PRICE/GPU-H", "DEPOSIT", "LEASE", "REQUESTER")
    return listing(headers, rows, result, "no orders")


def requirements_text(wanted: dict[str, Any]) -> str:
    named = [
        ("models", ", ".join(wanted["gpu_models"])),
        ("memory >=", wanted["min_memory_mib"] and f"{wanted['min_memory_mib']} MiB"),
        ("cc >=", wanted["min_compute_capability"]),
        ("regions", ", ".join(wanted["regions"])),
        ("reputation >=", wanted["min_reputation"]),
        ("capacity >=", wanted["min_capacity"]),
        ("job", wanted["job_kind"]),
    ]
    return "; ".join(f"{label} {value}" for label, value in named if value) or "any"


def order_text(result: dict[str, Any]) -> str:
    o = result["order"]
    pairs: list[tuple[str, Any]] = [
        ("id", o["id"]),
        ("requester", o["requester"]),
        ("state", o["state"] + (" (premium)" if o["premium"] else "")),
        ("gpus", o["requirements"]["gpus"]),
        ("requirements", requirements_text(o["requirements"])),
        ("duration", duration_text(o["duration_s"])),
        ("max price", f"{o['max_price']} per GPU-hour"),
        ("deposit", o["deposit"]),
        ("created", f"height {o['created_height']}"),
        ("expires", time_text(o["expires_ns"]) if o["expires_ns"] else "never"),
    ]
    if o["lease_id"]:
        pairs.append(("lease", o["lease_id"]))
    if o["closed_height"]:
        pairs.append(("closed", f"height {o['closed_height']}, refunded {o['refunded']}"))
    return views.fields(pairs)


def lease_note(entry: dict[str, Any]) -> str:
    """What a lease is waiting for, or how it ended."""
    x, escrow = entry["lease"], entry["escrow"]
    if x["closed"] is not None:
        return f"{x['closed']['reason']} at height {x['closed']['height']}"
    if x["state"] == "pending":
        return f"accept by height {x['accept_deadline']}"
    return f"{'runs out' if escrow['runs_out'] else 'ends'} {time_text(escrow['due_ns'])}"


def leases_text(result: dict[str, Any]) -> str:
    rows = []
    for entry in result["leases"]:
        x, escrow, closed = entry["lease"], entry["escrow"], entry["lease"]["closed"]
        earned = closed["earned"] if closed is not None else escrow["earned"]
        remaining = "-" if closed is not None else escrow["remaining"]
        rows.append(
            (
                x["id"],
                x["state"],
                x["gpus"],
                x["gpu_class"]["model"],
                x["rate"],
                earned,
                remaining,
                lease_note(entry),
                x["provider"],
                x["requester"],
            )
        )
    headers = (
        "ID",
        "STATE",
        "GPUS",
        "GPU",
        "RATE/GPU-H",
        "EARNED",
        "REMAINING",
        "STATUS",
        "PROVIDER",
        "REQUESTER",
    )
    return listing(headers, rows, result, "no leases")


def lease_text(result: dict[str, Any]) -> str:
    x, escrow, closed = result["lease"], result["escrow"], result["lease"]["closed"]
    pairs: list[tuple[str, Any]] = [
        ("id", x["id"]),
        ("state", x["state"]),
        ("order", x["order_id"]),
        ("offer", x["offer_id"]),
        ("provider", x["provider"]),
        ("requester", x["requester"]),
        ("gpus", f"{x['gpus']} x {class_text(x['gpu_class'])}"),
        ("rate", f"{x['rate']} per GPU-hour"),
        ("take rate", f"{x['take_rate_bps']} bps"),
        ("duration", duration_text(x["duration_s"])),
        ("deposit", x["deposit"]),
        ("withdrawn", x["withdrawn"]),
        ("matched", f"height {x['matched_height']}"),
    ]
    if x["state"] == "pending":
        pairs.append(("accept by", f"height {x['accept_deadline']}"))
    if x["accepted_height"]:
        pairs.append(("accepted", f"height {x['accepted_height']}, charged from {time_text(x['start_ns'])}"))
    if escrow is not None:
        pairs += [
            ("escrow at", time_text(escrow["time_ns"])),
            ("earned", escrow["earned"]),
            ("withdrawable", escrow["withdrawable"]),
            ("remaining", escrow["remaining"]),
        ]
        if x["state"] == "active":
            pairs.append(("runs out" if escrow["runs_out"] else "ends", time_text(escrow["due_ns"])))
    if closed is not None:
        penalty = closed["penalty"]
        pairs += [
            ("closed", f"{closed['reason']} at height {closed['height']} ({time_text(closed['time_ns'])})"),
            ("earned", closed["earned"]),
            ("fee", closed["fee"]),
            ("refunded", closed["refunded"]),
            ("penalty", views.coin_text(penalty) if penalty else "none"),
        ]
    return views.fields(pairs)


def price_index_text(result: dict[str, Any]) -> str:
    lines = [
        views.fields([("gpu", class_text(result["gpu_class"])), ("price", f"{result['price']} per GPU-hour")])
    ]
    history = result["history"]
    if history:
        lines.append(table(("HEIGHT", "PRICE"), [(p["height"], p["price"]) for p in history]))
    return "\n".join(lines)
