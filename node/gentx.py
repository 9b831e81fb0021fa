"""Genesis validators, as Cosmos makes them: each validator signs a gentx (a
``MsgCreateValidator`` self-delegating part of its genesis funds) into
``config/gentx/``, and ``collect_gentxs`` puts them all into the genesis, whose
InitChain delivers them; the chain's first validator set is then the staking
module's, and the genesis's ``validators`` list stays empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from consensus import privval
from consensus.validators import address_of
from genesis import doc as genesis_doc
from genesis.schema import GenesisDoc, StakingGenesis, get_section
from node.client import build_tx
from node.home import Home
from node.keys.hd import PrivateKey
from vm import crypto, dec
from vm.app import validate_genesis
from vm.errors import InvalidTx
from vm.genutil.gentx import gentx_json
from vm.genutil.module import NAME as GENUTIL
from vm.staking.msgs import Ed25519PubKey, MsgCreateValidator
from vm.staking.types import CommissionRates, Description
from vm.types import Coin

GENTX_GAS = 400_000
GENTX_DIR = "gentx"


class GentxError(Exception):
    """The gentx cannot be made or collected; the message says why."""


@dataclass(frozen=True)
class ValidatorTerms:
    """What a new validator declares: its description, commission and minimum self-bond."""

    moniker: str
    commission_rate: str = "0.1"
    commission_max_rate: str = "0.2"
    commission_max_change_rate: str = "0.01"
    min_self_delegation: int = 1
    identity: str = ""
    website: str = ""
    security_contact: str = ""
    details: str = ""

    def commission(self) -> CommissionRates:
        try:
            return CommissionRates(
                dec.parse(self.commission_rate),
                dec.parse(self.commission_max_rate),
                dec.parse(self.commission_max_change_rate),
            )
        except ValueError as exc:
            raise GentxError(f"commission: {exc}") from None

    def description(self) -> Description:
        return Description(self.moniker, self.identity, self.website, self.security_contact, self.details)


def gentx_dir(home: Home) -> Path:
    return home.config_dir / GENTX_DIR


def create_validator_msg(
    key: PrivateKey, consensus_key: bytes, stake: Coin, terms: ValidatorTerms
) -> MsgCreateValidator:
    return MsgCreateValidator(
        description=terms.description(),
        commission=terms.commission(),
        min_self_delegation=terms.min_self_delegation,
        delegator_address="",
        validator_address=crypto.address_from_pubkey(key.public_key, crypto.VALOPER_HRP),
        pubkey=Ed25519PubKey(consensus_key),
        value=stake,
    )


def write_gentx(home: Home, key: PrivateKey, stake: Coin, terms: ValidatorTerms) -> Path:
    """Sign a gentx for this home's validator key into ``config/gentx/gentx-<address>.json``.

    The operator ``key`` must hold ``stake`` in the home's genesis; the gentx is checked
    against that genesis (with the other gentxs already collected) before it is written."""
    doc = genesis_doc.load(home.genesis_file)
    consensus_key = privval.public_key(privval.read_key_file(home.key_file))
    message = create_validator_msg(key, consensus_key, stake, terms)
    _check_funds(doc, key.address, stake)
    tx = build_tx(key, doc.chain_id, 0, 0, [message], [], GENTX_GAS)
    document = gentx_json(tx)
    trial = genesis_doc.load(home.genesis_file)
    _set_gentxs(trial, [*_gentxs(trial), document])
    try:
        validate_genesis(trial)
    except InvalidTx as exc:
        raise GentxError(f"the gentx would not be valid in this genesis: {exc}") from None
    folder = gentx_dir(home)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"gentx-{address_of(consensus_key).hex()}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def collect_gentxs(home: Home, folder: Path | None = None) -> GenesisDoc:
    """Every ``*.json`` gentx of ``folder`` (default ``config/gentx/``) into the genesis, in
    file-name order; the genesis must then be valid, or nothing is written."""
    source = folder or gentx_dir(home)
    if not source.is_dir():
        raise GentxError(f"no gentx folder at {source}")
    documents = []
    for path in sorted(source.glob("*.json")):
        try:
            documents.append(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise GentxError(f"{path.name}: not a JSON gentx ({exc})") from None
    if not documents:
        raise GentxError(f"no gentx files in {source}")
    doc = genesis_doc.load(home.genesis_file)
    _set_gentxs(doc, documents)
    doc.validators = []
    try:
        validate_genesis(doc)
    except InvalidTx as exc:
        raise GentxError(f"the genesis with these gentxs is invalid: {exc}") from None
    genesis_doc.save(doc, home.genesis_file)
    return doc


def _gentxs(doc: GenesisDoc) -> list[dict[str, object]]:
    return list(doc.app_state.get(GENUTIL, {}).get("gen_txs", []))


def _set_gentxs(doc: GenesisDoc, documents: list[dict[str, object]]) -> None:
    doc.app_state[GENUTIL] = {"gen_txs": documents}


def _check_funds(doc: GenesisDoc, address: str, stake: Coin) -> None:
    bond_denom = get_section(doc, "staking", StakingGenesis).params.bond_denom
    if stake.denom != bond_denom:
        raise GentxError(f"the stake must be in the bond denom {bond_denom}, not {stake.denom}")
    balances = doc.app_state.get("bank", {}).get("balances", [])
    held = sum(
        int(coin["amount"])
        for entry in balances
        if entry.get("address") == address
        for coin in entry.get("coins", [])
        if coin.get("denom") == stake.denom
    )
    if held < stake.amount:
        raise GentxError(
            f"{address} holds {held}{stake.denom} in genesis, less than the stake {stake.amount}{stake.denom}"
        )
