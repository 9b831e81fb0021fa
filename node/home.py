"""The node's home folder (``~/.depind`` or ``--home``) and ``depind init``.

config/config.toml  config/genesis.json  config/priv_validator_key.json
data/chain.db       data/priv_validator_state.json
keyring-file/  or  keyring-test/
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from consensus import privval
from consensus.validators import address_of
from genesis import doc as genesis_doc
from genesis.funding import add_accounts
from genesis.schema import CoinJSON, GenesisDoc
from node import config as node_config
from node.keys.keyring import Keyring
from vm.modules import default_registry

DEFAULT_HOME = Path(os.environ.get("DEPIND_HOME", Path.home() / ".depind"))


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
    """Config, a validator key and a genesis with no accounts and no validators yet: as in
    Cosmos, validators enter the genesis through gentxs (node/gentx.py)."""
    if home.is_initialised() and not overwrite:
        raise HomeError(f"{home.root} is already initialised (use --overwrite to replace its genesis)")
    for folder in (home.root, home.config_dir, home.data_dir):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not home.key_file.exists():
        privval.write_key_file(home.key_file, privval.generate_key())
    if not home.config_file.exists():
        home.config_file.write_text(node_config.render(node_config.Config(moniker=moniker)))
    doc = GenesisDoc(
        genesis_time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        chain_id=chain_id,
        app_state=default_registry().default_app_state(),
    )
    genesis_doc.save(doc, home.genesis_file)
    return doc


def validator_address(home: Home) -> str:
    """The consensus address (uppercase hex) of the home's validator key."""
    return address_of(privval.public_key(privval.read_key_file(home.key_file))).hex().upper()


def add_genesis_account(home: Home, address: str, coins: list[CoinJSON]) -> GenesisDoc:
    """``depind genesis add-account``: fund an address in genesis (merging balances)."""
    doc = genesis_doc.load(home.genesis_file)
    add_accounts(doc, [(address, coins)])
    genesis_doc.save(doc, home.genesis_file)
    return doc
