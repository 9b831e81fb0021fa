"""``depind tx distribution <action>`` and ``depind query distribution <what>``.

The transactions are Cosmos's x/distribution messages, signed by the ``--from`` key, as
Cosmos's CLI builds them: ``withdraw-rewards`` one delegation's rewards (and with
``--commission`` the validator's commission, which only its operator may withdraw),
``withdraw-all-rewards`` one message per validator the key delegates to. The queries go
through the node's JSON-RPC methods ``delegation_rewards``, ``validator_commission`` and
``community_pool``; amounts are LegacyDec text, as Cosmos shows DecCoins.
"""

from __future__ import annotations

from typing import Any

import click

from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.common import CLIError, emit, node_option, output_option
from node.cli.params import ADDRESS, COINS, VALOPER
from node.client import Client
from vm.distribution.msgs import (
    MsgFundCommunityPool,
    MsgSetWithdrawAddress,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
)
from vm.msg import Msg
from vm.types import Coin

from_option = click.option(
    "--from", "from_key", required=True, help="The key that signs: a name or address of the keyring."
)


# -- transactions ------------------------------------------------------------------------------


@click.group(name="distribution")
def distribution_tx() -> None:
    """Withdraw rewards and commission, set where they go, fund the community pool."""


@distribution_tx.command(name="withdraw-rewards")
@click.argument("validator", type=VALOPER)
@from_option
@click.option(
    "--commission", is_flag=True, help="Also withdraw the validator's commission (its operator only)."
)
@tx_options
def withdraw_rewards(opts: TxOptions, validator: str, from_key: str, commission: bool) -> None:
    """Withdraw the rewards of the --from key's delegation to VALIDATOR."""

    def messages(delegator: str) -> list[Msg]:
        found: list[Msg] = [MsgWithdrawDelegatorReward(delegator, validator)]
        if commission:
            found.append(MsgWithdrawValidatorCommission(validator))
        return found

    send_tx(opts, from_key, messages)


@distribution_tx.command(name="withdraw-all-rewards")
@from_option
@tx_options
def withdraw_all_rewards(opts: TxOptions, from_key: str) -> None:
    """Withdraw the rewards of every delegation of the --from key, in one transaction."""

    def messages(delegator: str) -> list[Msg]:
        with Client(opts.node) as client:
            answer = client.call("delegation_rewards", delegator=delegator)
        validators = [entry["validator_address"] for entry in answer["rewards"]]
        if not validators:
            raise CLIError(f"{delegator} has no delegations")
        return [MsgWithdrawDelegatorReward(delegator, validator) for validator in validators]

    send_tx(opts, from_key, messages)


@distribution_tx.command(name="set-withdraw-addr")
@click.argument("withdraw_address", metavar="ADDR", type=ADDRESS)
@from_option
@tx_options
def set_withdraw_addr(opts: TxOptions, withdraw_address: str, from_key: str) -> None:
    """Send the --from key's future rewards (and an operator's commission) to ADDR."""

    def messages(delegator: str) -> list[Msg]:
        return [MsgSetWithdrawAddress(delegator, withdraw_address)]

    send_tx(opts, from_key, messages)


@distribution_tx.command(name="fund-community-pool")
@click.argument("amount", type=COINS)
@from_option
@tx_options
def fund_community_pool(opts: TxOptions, amount: list[Coin], from_key: str) -> None:
    """Give AMOUNT (e.g. 1000udepin) from the --from key to the community pool."""

    def messages(depositor: str) -> list[Msg]:
        return [MsgFundCommunityPool(amount, depositor)]

    send_tx(opts, from_key, messages)


# -- queries -----------------------------------------------------------------------------------


def show(node: str, output: str, text: Any, method: str, **params: Any) -> None:
    with Client(node) as client:
        result = client.call(method, **params)
    emit(result, output, text)


def dec_coins_text(coins: list[dict[str, str]]) -> str:
    """Cosmos's DecCoins text: "1.500000000000000000udepin,2.000000000000000000uatom"."""
    return ",".join(f"{coin['amount']}{coin['denom']}" for coin in coins) or "0"


def rewards_text(result: dict[str, Any]) -> str:
    if "total" not in result:  # one delegation's
        return dec_coins_text(result["rewards"])
    lines = [
        f"{entry['validator_address']}: {dec_coins_text(entry['reward'])}" for entry in result["rewards"]
    ]
    return "\n".join([*lines, f"total: {dec_coins_text(result['total'])}"])


def commission_text(result: dict[str, Any]) -> str:
    return dec_coins_text(result["commission"])


def pool_text(result: dict[str, Any]) -> str:
    return dec_coins_text(result["pool"])


@click.group(name="distribution")
def distribution_query() -> None:
    """Rewards, commission and the community pool."""


@distribution_query.command()
@click.argument("delegator", type=ADDRESS)
@click.argument("validator", type=VALOPER, required=False)
@node_option
@output_option
def rewards(delegator: str, validator: str | None, node: str, output: str) -> None:
    """The rewards DELEGATOR would withdraw now: from VALIDATOR, or from each validator and in total."""
    params = (
        {"delegator": delegator} if validator is None else {"delegator": delegator, "validator": validator}
    )
    show(node, output, rewards_text, "delegation_rewards", **params)


@distribution_query.command()
@click.argument("validator", type=VALOPER)
@node_option
@output_option
def commission(validator: str, node: str, output: str) -> None:
    """VALIDATOR's commission not yet withdrawn."""
    show(
        node,
        output,
        lambda result: dec_coins_text(result["commission"]),
        "validator_commission",
        validator=validator,
    )


@distribution_query.command(name="community-pool")
@node_option
@output_option
def community_pool(node: str, output: str) -> None:
    """The community pool."""
    show(node, output, pool_text, "community_pool")
