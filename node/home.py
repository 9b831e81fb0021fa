"""The node's home folder (``~/.depind`` or ``--home``) and ``depind init``.

config/config.toml  config/genesis.json  config/priv_validator_key.json
data/chain.db       data/priv_validator_state.json
keyring-file/  or  keyring-test/
"""

from __future__ import annotations

import base64
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from consensus import privval
from consensus.validators import address_of
from genesis import doc as genesis_doc
from genesis.funding import add_accounts
from genesis.schema import (
    DEFAULT_DENOM,
    CoinJSON,
    GenesisDoc,
    GenesisValidator,
)
from node import config as node_config
from node.keys.keyring import Keyring
from vm.modules import default_registry

DEFAULT_HOME = Path(os.environ.get("DEPIND_HOME", Path.home() / ".depind"))
DEV_CHAIN_ID = "depind-dev-1"
DEV_KEY = "dev"
DEV_FUNDS = 1_000_000_000_000  # 1,000,000 DEPIN


class HomeError(Exception):
    """The home folder is missing, incomplete or already initialised."""


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def genesis_file(self) -> Path:
        return self.config_dir / "genesis.json"

    @property
    def key_file(self) -> Path:
        return self.config_dir / "priv_validator_key.json"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "priv_validator_state.json"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "chain.db"

    def is_initialised(self) -> bool:
        return self.genesis_file.exists() and self.key_file.exists() and self.config_file.exists()

    def keyring(self, backend: str, passphrase: str | None = None) -> Keyring:
        return Keyring(self.root, backend=backend, passphrase=passphrase)


def init_home(home: Home, moniker: str, chain_id: str, overwrite: bool = False) -> GenesisDoc:
    """Config, a validator key and a single-validator genesis with no accounts."""
    if home.is_initialised() and not overwrite:
        raise HomeError(f"{home.root} is already initialised (use --overwrite to replace its genesis)")
    for folder in (home.root, home.config_dir, home.data_dir):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not home.key_file.exists():
        privval.write_key_file(home.key_file, privval.generate_key())
    if not home.config_file.exists():
        home.config_file.write_text(node_config.render(node_config.Config(moniker=moniker)))
    pub_key = privval.public_key(privval.read_key_file(home.key_file))
    doc = GenesisDoc(
        genesis_time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        chain_id=chain_id,
        app_state=default_registry().default_app_state(),
        validators=[
            GenesisValidator(
                address=address_of(pub_key).hex().upper(),
                pub_key=base64.b64encode(pub_key).decode(),
                power=10,
                name=moniker,
            )
        ],
    )
    genesis_doc.save(doc, home.genesis_file)
    return doc


def add_genesis_account(home: Home, address: str, coins: list[CoinJSON]) -> GenesisDoc:
    """``depind genesis add-account``: fund an address in genesis (merging balances)."""
    doc = genesis_doc.load(home.genesis_file)
    add_accounts(doc, [(address, coins)])
    genesis_doc.save(doc, home.genesis_file)
    return doc


def init_dev_home(home: Home) -> tuple[str, str]:
    """A ready-to-run dev chain: init, a funded ``dev`` key in the test keyring.

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
    info, mnemonic = staging.keyring("test").add(DEV_KEY)
    add_genesis_account(staging, info.address, [CoinJSON(denom=DEFAULT_DENOM, amount=DEV_FUNDS)])
    if home.root.exists():
        home.root.rmdir()
    staging.root.rename(home.root)
    return info.address, mnemonic
