"""``depind tx staking <action>``: Cosmos's staking messages, signed by the ``--from`` key.

As in Cosmos, the signer is named with ``--from`` and a validator's operator address is
its operator account's bytes under ``depinvaloper``: ``create-validator`` and
``edit-validator`` act on the validator of the ``--from`` key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from pathlib import Path

import click

from consensus import privval
from node import config as node_config
from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.common import CLIError, one_line
from node.cli.params import COIN, VALOPER, description_options, new_validator_options
from node.gentx import GentxError, ValidatorTerms
from node.home import Home
from vm import dec
from vm.msg import Msg
from vm.staking.msgs import (
    DO_NOT_MODIFY,
    Ed25519PubKey,
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgCreateValidator,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
)
from vm.staking.types import ED25519_KEY_SIZE, Description, format_valoper
from vm.types import Coin, parse_address

ED25519_TYPE_URL = "/cosmos.crypto.ed25519.PubKey"

from_option = click.option(
    "--from", "from_key", required=True, help="The key that signs: a name or address of the keyring."
)


def operator_of(account: str) -> str:
    """The operator address of the validator an account runs (the same 20 bytes)."""
    return format_valoper(parse_address(account))


def parse_pubkey(text: str) -> bytes:
    """An ed25519 consensus key: base64 of its 32 bytes, or Cosmos's JSON form
    ``{"@type":"/cosmos.crypto.ed25519.PubKey","key":"<base64>"}``."""
    encoded = text.strip()
    if encoded.startswith("{"):
        try:
            found = json.loads(encoded)
        except ValueError:
            raise ValueError("--pubkey is not valid JSON") from None
        if not isinstance(found, dict) or found.get("@type") != ED25519_TYPE_URL:
            raise ValueError(f"--pubkey must be an ed25519 key ({ED25519_TYPE_URL})")
        encoded = str(found.get("key", ""))
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("--pubkey must be base64 of an ed25519 key, or its Cosmos JSON") from None
    if len(key) != ED25519_KEY_SIZE:
        raise ValueError(f"--pubkey must hold {ED25519_KEY_SIZE} bytes, not {len(key)}")
    return key


def consensus_key(home: Path, pubkey: str | None) -> bytes:
    """``--pubkey``, or the public key of the home's ``priv_validator_key.json``."""
    if pubkey is not None:
        try:
            return parse_pubkey(pubkey)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--pubkey'") from None
    key_file = Home(home).key_file
    if not key_file.exists():
        raise CLIError(f"no validator key at {key_file}; give --pubkey or --home")
    try:
        return privval.public_key(privval.read_key_file(key_file))
    except (OSError, ValueError, KeyError) as exc:
        raise CLIError(f"cannot read the validator key {key_file}: {one_line(exc)}") from None


def home_moniker(home: Path) -> str:
    config_file = Home(home).config_file
    if not config_file.exists():
        raise CLIError(f"no config at {config_file} to take the moniker from; give --moniker")
    return node_config.load(config_file).moniker


def parse_rate(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """A commission rate such as 0.1, as LegacyDec atomics."""
    if value is None:
        return None
    try:
        return dec.parse(value)
    except dec.DecError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(name="staking")
def staking_tx() -> None:
    """Create and edit validators; delegate, unbond and redelegate stake."""


@staking_tx.command(name="create-validator")
@click.argument("amount", type=COIN)
@from_option
@click.option(
    "--pubkey",
    help="Consensus key: base64 ed25519, or Cosmos's JSON [default: the home's priv_validator_key.json].",
)
@new_validator_options
@tx_options
def create_validator(
    opts: TxOptions,
    amount: Coin,
    from_key: str,
    pubkey: str | None,
    moniker: str | None,
    commission_rate: str,
    commission_max_rate: str,
    commission_max_change_rate: str,
    min_self_delegation: int,
    details: str,
    website: str,
    identity: str,
    security_contact: str,
) -> None:
    """Make the --from key the operator of a new validator that self-delegates AMOUNT."""
    key = consensus_key(opts.home, pubkey)
    terms = ValidatorTerms(
        moniker=moniker if moniker is not None else home_moniker(opts.home),
        commission_rate=commission_rate,
        commission_max_rate=commission_max_rate,
        commission_max_change_rate=commission_max_change_rate,
        min_self_delegation=min_self_delegation,
        identity=identity,
        website=website,
        security_contact=security_contact,
        details=details,
    )
    try:
        commission = terms.commission()
    except GentxError as exc:
        raise CLIError(one_line(exc)) from None

    def messages(sender: str) -> list[Msg]:
        operator = operator_of(sender)
        return [
            MsgCreateValidator(
                terms.description(), commission, min_self_delegation, "", operator, Ed25519PubKey(key), amount
            )
        ]

    send_tx(opts, from_key, messages)


@staking_tx.command(name="edit-validator")
@from_option
@click.option("--moniker", default=DO_NOT_MODIFY, help="New name.")
@description_options(default=DO_NOT_MODIFY)
@click.option("--commission-rate", callback=parse_rate, help="New commission rate (at most once a day).")
@click.option("--min-self-delegation", type=click.IntRange(min=1), help="New minimum self-delegation.")
@tx_options
def edit_validator(
    opts: TxOptions,
    from_key: str,
    moniker: str,
    details: str,
    website: str,
    identity: str,
    security_contact: str,
    commission_rate: int | None,
    min_self_delegation: int | None,
) -> None:
    """Change the description, commission rate or minimum self-delegation of the --from
    key's validator; what is not given stays as it is."""
    description = Description(moniker, identity, website, security_contact, details)

    def messages(sender: str) -> list[Msg]:
        return [MsgEditValidator(description, operator_of(sender), commission_rate, min_self_delegation)]

    send_tx(opts, from_key, messages)


@staking_tx.command()
@click.argument("validator", type=VALOPER)
@click.argument("amount", type=COIN)
@from_option
@tx_options
def delegate(opts: TxOptions, validator: str, amount: Coin, from_key: str) -> None:
    """Delegate AMOUNT to VALIDATOR (a depinvaloper address)."""
    send_tx(opts, from_key, _one(lambda sender: MsgDelegate(sender, validator, amount)))


@staking_tx.command()
@click.argument("validator", type=VALOPER)
@click.argument("amount", type=COIN)
@from_option
@tx_options
def unbond(opts: TxOptions, validator: str, amount: Coin, from_key: str) -> None:
    """Undelegate AMOUNT from VALIDATOR; it is paid out after the unbonding period (blocks)."""
    send_tx(opts, from_key, _one(lambda sender: MsgUndelegate(sender, validator, amount)))


@staking_tx.command()
@click.argument("source", metavar="SRC_VALIDATOR", type=VALOPER)
@click.argument("destination", metavar="DST_VALIDATOR", type=VALOPER)
@click.argument("amount", type=COIN)
@from_option
@tx_options
def redelegate(opts: TxOptions, source: str, destination: str, amount: Coin, from_key: str) -> None:
    """Move AMOUNT of stake from SRC_VALIDATOR to DST_VALIDATOR at once, without unbonding."""
    send_tx(opts, from_key, _one(lambda sender: MsgBeginRedelegate(sender, source, destination, amount)))


@staking_tx.command(name="cancel-unbond")
@click.argument("validator", type=VALOPER)
@click.argument("amount", type=COIN)
@click.argument("creation_height", type=click.IntRange(min=1))
@from_option
@tx_options
def cancel_unbond(opts: TxOptions, validator: str, amount: Coin, creation_height: int, from_key: str) -> None:
    """Delegate back AMOUNT of the unbonding from VALIDATOR that began at CREATION_HEIGHT
    (see `depind query staking unbonding-delegations`)."""
    send_tx(
        opts,
        from_key,
        _one(lambda sender: MsgCancelUnbondingDelegation(sender, validator, amount, creation_height)),
    )


def _one(make: Callable[[str], Msg]) -> Callable[[str], list[Msg]]:
    def messages(sender: str) -> list[Msg]:
        return [make(sender)]

    return messages
