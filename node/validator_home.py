"""Homes whose genesis already has its validator: the dev chain (``depind start`` on a new
home) and the single-validator chains of tests and benchmarks. The validator enters the
genesis as any other does, through a gentx (node/gentx.py)."""

from __future__ import annotations

import dataclasses
import shutil

from genesis.schema import DEFAULT_DENOM, CoinJSON, GenesisDoc
from node import config as node_config
from node.gentx import ValidatorTerms, collect_gentxs, write_gentx
from node.home import Home, HomeError, add_genesis_account, init_home
from node.keys.hd import PrivateKey
from vm.types import Coin

DEV_CHAIN_ID = "depind-dev-1"
DEV_KEY = "dev"
DEV_FUNDS = 1_000_000_000_000  # 1,000,000 DEPIN
VALIDATOR_KEY = "validator"
VALIDATOR_FUNDS = 1_000_000_000_000
SELF_STAKE = 10_000_000  # 10 DEPIN: consensus power 10 at the default power reduction


def add_self_validator(home: Home, operator: PrivateKey, funds: int, stake: int, moniker: str) -> GenesisDoc:
    """Fund ``operator`` in the home's genesis, sign its gentx for the home's validator key
    and collect it: the genesis then starts a chain this home validates."""
    add_genesis_account(home, operator.address, [CoinJSON(denom=DEFAULT_DENOM, amount=funds)])
    write_gentx(home, operator, Coin(DEFAULT_DENOM, stake), ValidatorTerms(moniker))
    return collect_gentxs(home)


def init_solo_home(
    home: Home,
    moniker: str,
    chain_id: str,
    operator: PrivateKey | None = None,
    funds: int = VALIDATOR_FUNDS,
    stake: int = SELF_STAKE,
) -> GenesisDoc:
    """``init_home`` and a genesis validator for it, operated by ``operator`` (default: a new
    ``validator`` key in the home's test keyring)."""
    init_home(home, moniker, chain_id)
    if operator is None:
        keyring = home.keyring("test")
        keyring.add(VALIDATOR_KEY)
        operator = keyring.private_key(VALIDATOR_KEY)
    return add_self_validator(home, operator, funds, stake, moniker)


def init_dev_home(home: Home) -> tuple[str, str]:
    """A ready-to-run dev chain: init, a funded ``dev`` key in the test keyring that is also
    the validator's operator and signs its compute attestations (``[verifier]``).

    Returns (address, mnemonic); the mnemonic is shown once and never stored.
    The home is built beside its final place and renamed in, so an interrupted
    first start leaves nothing half-made behind."""
    if home.root.exists() and any(home.root.iterdir()):
        raise HomeError(
            f"{home.root} exists but is not a complete depind home; remove it or pick another --home"
        )
    staging = Home(home.root.with_name(home.root.name + ".initialising"))
    shutil.rmtree(staging.root, ignore_errors=True)
    init_home(staging, "dev", DEV_CHAIN_ID)
    keyring = staging.keyring("test")
    info, mnemonic = keyring.add(DEV_KEY)
    add_self_validator(staging, keyring.private_key(DEV_KEY), DEV_FUNDS, SELF_STAKE, "dev")
    enable_verifier(staging, DEV_KEY, "test")
    if home.root.exists():
        home.root.rmdir()
    staging.root.rename(home.root)
    return info.address, mnemonic


def enable_verifier(home: Home, key: str, keyring_backend: str) -> None:
    """Turn on the home's compute verifier, signing with ``key`` (the validator's operator)."""
    config = node_config.load(home.config_file)
    verifier = dataclasses.replace(config.verifier, enable=True, key=key, keyring_backend=keyring_backend)
    home.config_file.write_text(node_config.render(dataclasses.replace(config, verifier=verifier)))
