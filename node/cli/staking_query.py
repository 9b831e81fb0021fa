"""``depind query staking <what>``, through the node's staking JSON-RPC methods
(``validators_staking``, ``validator_staking``, ``delegations``, ``unbonding_delegations``,
``redelegations``, ``staking_pool``, ``params``).

``--output json`` prints the RPC result as the node sent it; text is a compact summary.
An ADDRESS argument may be an account (depin1...) or a validator (depinvaloper1...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from node.cli import views
from node.cli.common import emit, node_option, output_option
from node.cli.params import ADDRESS, VALOPER
from node.client import Client, ClientError
from node.rpc.errors import NOT_FOUND
from vm import crypto

STATUS_CHOICES = {
    "bonded": "BOND_STATUS_BONDED",
    "unbonding": "BOND_STATUS_UNBONDING",
    "unbonded": "BOND_STATUS_UNBONDED",
}


def show(node: str, output: str, text: Callable[[Any], str], method: str, **params: Any) -> None:
    """Call one RPC method and print its result."""
    with Client(node) as client:
        result = client.call(method, **params)
    emit(result, output, text)


def holder(text: str) -> dict[str, str]:
    """``{"validator": text}`` for an operator address, ``{"delegator": text}`` for an account."""
    for hrp, name in ((crypto.VALOPER_HRP, "validator"), (crypto.ACCOUNT_HRP, "delegator")):
        try:
            crypto.decode_address(text, hrp)
        except crypto.InvalidAddress:
            continue
        return {name: text}
    raise click.BadParameter(
        f"{text!r} is neither a depin1... account nor a depinvaloper1... address", param_hint="'ADDRESS'"
    )


page_options = [
    click.option("--limit", type=click.IntRange(1, 100), default=100, show_default=True),
    click.option("--next-key", default="", help="Continue from here (the previous page's next_key)."),
]


def paged(f: Any) -> Any:
    for option in reversed(page_options):
        f = option(f)
    return f


@click.group(name="staking")
def staking_query() -> None:
    """Validators, delegations, unbondings, redelegations, the pools and the params."""


@staking_query.command()
@click.option("--status", type=click.Choice(sorted(STATUS_CHOICES)), help="Only validators in this state.")
@paged
@node_option
@output_option
def validators(status: str | None, limit: int, next_key: str, node: str, output: str) -> None:
    """Validators in operator-address order, one page at a time."""
    params = {"status": STATUS_CHOICES[status] if status else "", "limit": limit, "next_key": next_key}
    show(node, output, validators_text, "validators_staking", **params)


@staking_query.command()
@click.argument("validator", type=VALOPER)
@node_option
@output_option
def validator(validator: str, node: str, output: str) -> None:
    """One validator: status, stake, commission and description."""
    show(node, output, validator_text, "validator_staking", address=validator)


@staking_query.command()
@click.argument("address")
@paged
@node_option
@output_option
def delegations(address: str, limit: int, next_key: str, node: str, output: str) -> None:
    """The delegations of an account, or those to a validator."""
    params = holder(address) | {"limit": limit, "next_key": next_key}
    show(node, output, delegations_text, "delegations", **params)


@staking_query.command()
@click.argument("delegator", type=ADDRESS)
@click.argument("validator", type=VALOPER)
@node_option
@output_option
def delegation(delegator: str, validator: str, node: str, output: str) -> None:
    """The delegation of DELEGATOR to VALIDATOR."""
    show(node, output, delegations_text, "delegations", delegator=delegator, validator=validator)


@staking_query.command(name="unbonding-delegations")
@click.argument("address")
@paged
@node_option
@output_option
def unbonding_delegations(address: str, limit: int, next_key: str, node: str, output: str) -> None:
    """Stake unbonding from an account's delegations, or from a validator: each entry's
    balance, and the height it is paid out at."""
    params = holder(address) | {"limit": limit, "next_key": next_key}
    show(node, output, unbondings_text, "unbonding_delegations", **params)


@staking_query.command()
@click.argument("address")
@click.option("--src-validator", type=VALOPER, help="Only redelegations from this validator.")
@click.option("--dst-validator", type=VALOPER, help="Only redelegations to this validator.")
@paged
@node_option
@output_option
def redelegations(
    address: str,
    src_validator: str | None,
    dst_validator: str | None,
    limit: int,
    next_key: str,
    node: str,
    output: str,
) -> None:
    """An account's redelegations still maturing, or those away from a validator."""
    found = holder(address)
    source = found.get("validator", src_validator or "")
    params = {
        "delegator": found.get("delegator", ""),
        "src_validator": source,
        "dst_validator": dst_validator or "",
        "limit": limit,
        "next_key": next_key,
    }
    show(node, output, redelegations_text, "redelegations", **params)


@staking_query.command()
@node_option
@output_option
def pool(node: str, output: str) -> None:
    """Tokens in the bonded and not-bonded pools."""
    show(node, output, pool_text, "staking_pool")


@staking_query.command(name="params")
@node_option
@output_option
def staking_params(node: str, output: str) -> None:
    """The staking parameters."""
    show(node, output, views.params_text, "params", module="staking")


# -- the node's own validator, for `depind status` -----------------------------------------------


def node_validator(client: Client, cons_address: str) -> dict[str, Any] | None:
    """What staking holds of the validator with this consensus address (hex), or None if
    it is not one: its operator, status, tokens and jailed state."""
    try:
        found = client.call("validator_staking", cons_address=cons_address)
    except ClientError as exc:
        if exc.code == NOT_FOUND:
            return None
        raise
    return {
        "operator_address": found["operator_address"],
        "status": found["status"],
        "tokens": found["tokens"],
        "jailed": found["jailed"],
    }


# -- text views ----------------------------------------------------------------------------------


def status_word(status: str) -> str:
    return status.removeprefix("BOND_STATUS_").lower()


def with_next_key(lines: list[str], result: dict[str, Any], none: str) -> str:
    if not lines:
        lines.append(none)
    if result.get("next_key"):
        lines.append(f"more: --next-key {result['next_key']}")
    return "\n".join(lines)


def validators_text(result: dict[str, Any]) -> str:
    lines = [
        f"{v['operator_address']}  {status_word(v['status']):<9} {'jailed ' if v['jailed'] else ''}"
        f"tokens {v['tokens']}  power {v['power']}  {v['description']['moniker']}"
        for v in result["validators"]
    ]
    return with_next_key(lines, result, "no validators")


def validator_text(v: dict[str, Any]) -> str:
    rates = v["commission"]["commission_rates"]
    pairs: list[tuple[str, Any]] = [
        ("operator", v["operator_address"]),
        ("moniker", v["description"]["moniker"]),
        ("status", status_word(v["status"])),
        ("jailed", "yes" if v["jailed"] else "no"),
        ("tokens", v["tokens"]),
        ("delegator shares", v["delegator_shares"]),
        ("power", v["power"]),
        ("commission", f"{rates['rate']} (max {rates['max_rate']}, max change {rates['max_change_rate']})"),
        ("min self delegation", v["min_self_delegation"]),
        ("consensus address", v["consensus_address"]),
    ]
    if v["status"] == "BOND_STATUS_UNBONDING":
        pairs.append(
            ("unbonding", f"since height {v['unbonding_height']}, until {v['unbonding_completion_height']}")
        )
    for name in ("website", "identity", "security_contact", "details"):
        if v["description"][name]:
            pairs.append((name.replace("_", " "), v["description"][name]))
    return views.fields(pairs)


def delegations_text(result: dict[str, Any]) -> str:
    lines = [
        f"{d['delegation']['delegator_address']} -> {d['delegation']['validator_address']}  "
        f"{views.coin_text(d['balance'])}  (shares {d['delegation']['shares']})"
        for d in result["delegation_responses"]
    ]
    return with_next_key(lines, result, "no delegations")


def unbondings_text(result: dict[str, Any]) -> str:
    lines = []
    for ubd in result["unbonding_responses"]:
        lines.append(f"{ubd['delegator_address']} from {ubd['validator_address']}")
        lines += [
            f"  {e['balance']} (of {e['initial_balance']}) at height {e['completion_height']}, "
            f"begun at {e['creation_height']}"
            for e in ubd["entries"]
        ]
    return with_next_key(lines, result, "no unbonding delegations")


def redelegations_text(result: dict[str, Any]) -> str:
    lines = []
    for red in result["redelegation_responses"]:
        lines.append(
            f"{red['delegator_address']}: {red['validator_src_address']} -> {red['validator_dst_address']}"
        )
        lines += [
            f"  {e['balance']} (of {e['initial_balance']}) matures at height {e['completion_height']}, "
            f"begun at {e['creation_height']}"
            for e in red["entries"]
        ]
    return with_next_key(lines, result, "no redelegations")


def pool_text(result: dict[str, Any]) -> str:
    return views.fields([("bonded", result["bonded_tokens"]), ("not bonded", result["not_bonded_tokens"])])
