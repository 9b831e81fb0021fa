"""``depind chain-info``: the chain described as Keplr's ``experimentalSuggestChain`` takes it.

The chain id comes from the node's ``status``, the fee denom and minimum gas price from its
auth params; denoms, decimals, key derivation and address prefixes are depind's own. The
description is checked against the rules of Keplr's chain-info schema (``@keplr-wallet/
chain-validator``) before it is printed, so a wallet never refuses what this prints.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import click

from genesis.schema import DEFAULT_DENOM, DISPLAY_DENOM, AuthParams
from node.cli.common import CLIError, node_option
from node.client import Client
from vm.crypto import ACCOUNT_HRP, VALOPER_HRP

DEFAULT_REST = "http://127.0.0.1:1317"
DISPLAY_DECIMALS = 6  # 1 DEPIN = 10**6 udepin
COIN_TYPE = 118  # keys derive at m/44'/118'/0'/0/0, as Cosmos wallets derive them
# Keplr's schema: chainId and chainName have 1 to 30 characters; decimals are 0 to 18.
MAX_NAME_CHARS = 30
MAX_DECIMALS = 18
# Gas price steps: "low" is the chain's minimum gas price; "average" (1.25x) and "high" (2x)
# leave room for a raised minimum and let a user pay for priority.
AVERAGE_STEP = 1.25
HIGH_STEP = 2.0


@click.command(name="chain-info")
@click.option("--rpc", "rpc_url", help="JSON-RPC URL wallets will use.  [default: the --node URL]")
@click.option(
    "--rest", "rest_url", default=DEFAULT_REST, show_default=True, help="REST URL wallets will use."
)
@click.option("--chain-name", help="Name the wallet shows.  [default: the chain id]")
@node_option
def chain_info(rpc_url: str | None, rest_url: str, chain_name: str | None, node: str) -> None:
    """Print the Keplr chain-info JSON of the node's chain (for experimentalSuggestChain)."""
    with Client(node) as client:
        chain_id = client.chain_id()
        auth = client.auth_params()
        name = chain_id if chain_name is None else chain_name
        info = describe(chain_id, name, rpc_url or client.url, rest_url, auth)
    problems = keplr_problems(info)
    if problems:
        raise CLIError(f"Keplr would refuse this chain info: {'; '.join(problems)}")
    click.echo(json.dumps(info, indent=2))


def describe(chain_id: str, chain_name: str, rpc: str, rest: str, auth: AuthParams) -> dict[str, Any]:
    """Keplr's ``ChainInfo`` of the chain."""
    stake = currency(DEFAULT_DENOM)
    fee = currency(auth.fee_denom)
    return {
        "rpc": rpc,
        "rest": rest,
        "chainId": chain_id,
        "chainName": chain_name,
        "stakeCurrency": stake,
        "bip44": {"coinType": COIN_TYPE},
        "bech32Config": bech32_config(),
        "currencies": [stake] if fee == stake else [stake, fee],
        "feeCurrencies": [fee | {"gasPriceStep": gas_price_step(auth)}],
        "features": [],
    }


def currency(denom: str) -> dict[str, Any]:
    """The display form of a denom: DEPIN for udepin; any other denom shows as itself."""
    if denom == DEFAULT_DENOM:
        return {"coinDenom": DISPLAY_DENOM, "coinMinimalDenom": denom, "coinDecimals": DISPLAY_DECIMALS}
    return {"coinDenom": denom, "coinMinimalDenom": denom, "coinDecimals": 0}


def gas_price_step(auth: AuthParams) -> dict[str, float]:
    low = auth.min_gas_price_numerator / auth.min_gas_price_denominator
    return {"low": low, "average": low * AVERAGE_STEP, "high": low * HIGH_STEP}


def bech32_config() -> dict[str, str]:
    """The prefixes Cosmos derives from the account prefix (Keplr's ``defaultBech32Config``)."""
    consensus = ACCOUNT_HRP + "valcons"
    return {
        "bech32PrefixAccAddr": ACCOUNT_HRP,
        "bech32PrefixAccPub": ACCOUNT_HRP + "pub",
        "bech32PrefixValAddr": VALOPER_HRP,
        "bech32PrefixValPub": VALOPER_HRP + "pub",
        "bech32PrefixConsAddr": consensus,
        "bech32PrefixConsPub": consensus + "pub",
    }


# -- Keplr's chain-info rules -----------------------------------------------------------------


def keplr_problems(info: dict[str, Any]) -> list[str]:
    """What Keplr's chain-info schema would reject in ``info``, one phrase each."""
    currencies = [info["stakeCurrency"], *info["currencies"], *info["feeCurrencies"]]
    return [
        *url_problems("rpc", info["rpc"]),
        *url_problems("rest", info["rest"]),
        *name_problems("chainId", info["chainId"]),
        *name_problems("chainName", info["chainName"]),
        *(problem for found in currencies for problem in currency_problems(found)),
        *(problem for fee in info["feeCurrencies"] for problem in step_problems(fee["gasPriceStep"])),
    ]


def url_problems(field: str, url: str) -> list[str]:
    if not is_http_url(url):
        return [f"{field} {url!r} is not an http(s) URL with a host"]
    if "?" in url:
        return [f"{field} {url!r} has a query string"]
    return []


def is_http_url(url: str) -> bool:
    """http(s), a host, and a port in range if any (``port`` raises ValueError otherwise)."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        return False


def name_problems(field: str, value: str) -> list[str]:
    if not 1 <= len(value) <= MAX_NAME_CHARS:
        return [f"{field} {value!r} has {len(value)} characters; Keplr takes 1 to {MAX_NAME_CHARS}"]
    return []


def currency_problems(value: dict[str, Any]) -> list[str]:
    found = [f"{key} is empty" for key in ("coinDenom", "coinMinimalDenom") if not value[key]]
    if not 0 <= value["coinDecimals"] <= MAX_DECIMALS:
        found.append(f"coinDecimals {value['coinDecimals']} is not within 0 to {MAX_DECIMALS}")
    return found


def step_problems(step: dict[str, float]) -> list[str]:
    if not step["low"] <= step["average"] <= step["high"]:
        return [f"gasPriceStep {step} is not ordered low <= average <= high"]
    return []
