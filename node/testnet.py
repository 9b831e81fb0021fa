"""``depind testnet``: the files of a local network of N validators on 127.0.0.1.

    depind testnet --validators 4 --output-dir ./localnet
    scripts/localnet.sh start ./localnet      # each node in the background
    scripts/localnet.sh status ./localnet     # pid and latest height of each node
    scripts/localnet.sh stop ./localnet

``DIR/node0`` .. ``DIR/node{N-1}`` are complete homes, each with its own
validator key, node key (p2p identity), ``config/config.toml`` and an account
key ``nodeI`` in the test keyring; all share one ``config/genesis.json`` that
funds every account and holds each node's gentx: its account stakes 10 DEPIN
(consensus power 10) on its validator key. Node I listens on
``STARTING_PORT + 10 I`` for p2p, the port after it for JSON-RPC, the one
after that for REST and ``STARTING_PORT + 10 I + 4`` for Prometheus metrics, so
node0 has the usual 26656, 26657 and 26660, and REST on 26658 (not 1317: every
node needs a port of its own). ``DIR/accounts.json`` records
each node's ids, ports, addresses and account mnemonic: test keys, never to
hold value.

Each ``config.toml`` has the moniker ``nodeI``, the node's JSON-RPC, REST and metrics
ports, and a ``[p2p]`` table with its ``listen_addr`` and every other node in
``persistent_peers`` as ``/ip4/127.0.0.1/tcp/PORT/p2p/<peer id>``, and a ``[verifier]``
table that enables the compute verifier with the node's account key ``nodeI`` (its
validator's operator) as the key that signs attestations.
The node started in each home (``depind start``) is one of the validators of
that genesis.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesis import doc as genesis_doc
from genesis.schema import DEFAULT_DENOM, CoinJSON, GenesisDoc
from node import config as node_config
from node.gentx import ValidatorTerms, collect_gentxs, gentx_dir, write_gentx
from node.home import Home, add_genesis_account, init_home, validator_address
from node.p2p.config import P2PConfig
from vm.types import Coin

DEFAULT_CHAIN_ID = "depind-localnet-1"
DEFAULT_STARTING_PORT = 26656
PORT_STEP = 10  # room for each node's p2p, RPC, REST and metrics ports
VALIDATOR_POWER = 10
VALIDATOR_STAKE = VALIDATOR_POWER * 1_000_000  # at the default power reduction
ACCOUNT_FUNDS = 1_000_000_000_000  # 1,000,000 DEPIN per node account
KEYRING_BACKEND = "test"
HOST = "127.0.0.1"
ACCOUNTS_FILE = "accounts.json"


class LocalnetError(Exception):
    """The network cannot be written as asked; the message says why."""


@dataclass(frozen=True)
class NetworkNode:
    name: str
    home: Home
    p2p_port: int
    rpc_port: int
    rest_port: int
    metrics_port: int
    validator_address: str  # uppercase hex of the consensus address
    peer_id: str
    account_address: str
    mnemonic: str

    @property
    def p2p_laddr(self) -> str:
        return f"/ip4/{HOST}/tcp/{self.p2p_port}"

    @property
    def peer_addr(self) -> str:
        """How the other nodes dial this one."""
        return f"{self.p2p_laddr}/p2p/{self.peer_id}"

    @property
    def rpc_laddr(self) -> str:
        return f"{HOST}:{self.rpc_port}"

    @property
    def rest_laddr(self) -> str:
        return f"{HOST}:{self.rest_port}"

    @property
    def metrics_laddr(self) -> str:
        return f"{HOST}:{self.metrics_port}"


def create_testnet(
    output_dir: Path,
    validators: int,
    chain_id: str = DEFAULT_CHAIN_ID,
    starting_port: int = DEFAULT_STARTING_PORT,
) -> list[NetworkNode]:
    """Write the network into ``output_dir`` (missing or empty). It is built beside it and
    renamed in, so a failure leaves no half-made network behind."""
    output_dir = output_dir.absolute()
    check_request(output_dir, validators, chain_id, starting_port)
    staging = output_dir.with_name(output_dir.name + ".creating")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, mode=0o700)
    try:
        nodes = build_network(staging, output_dir, validators, chain_id, starting_port)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if output_dir.exists():
        output_dir.rmdir()
    staging.rename(output_dir)
    return nodes


def build_network(
    staging: Path, output_dir: Path, validators: int, chain_id: str, starting_port: int
) -> list[NetworkNode]:
    """Every file, in ``staging``; the nodes returned name their homes in ``output_dir``."""
    staged = [init_node(staging, index, chain_id, starting_port) for index in range(validators)]
    write_shared_genesis(staged)
    for node in staged:
        write_node_config(node, staged)
    nodes = [dataclasses.replace(node, home=Home(output_dir / node.name)) for node in staged]
    write_accounts(staging, chain_id, nodes)
    return nodes


def check_request(output_dir: Path, validators: int, chain_id: str, starting_port: int) -> None:
    if validators < 1:
        raise LocalnetError(f"need at least 1 validator, got {validators}")
    last_port = metrics_port(starting_port, validators - 1)
    if starting_port < 1 or last_port > 65535:
        raise LocalnetError(f"ports {starting_port}..{last_port} do not fit in 1..65535")
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise LocalnetError(f"{output_dir} exists and is not an empty folder")
    try:
        genesis_doc.validate(GenesisDoc(genesis_time="1970-01-01T00:00:00Z", chain_id=chain_id))
    except genesis_doc.GenesisError as exc:
        raise LocalnetError(str(exc)) from None


def p2p_port(starting_port: int, index: int) -> int:
    return starting_port + PORT_STEP * index


def rpc_port(starting_port: int, index: int) -> int:
    return p2p_port(starting_port, index) + 1


def rest_port(starting_port: int, index: int) -> int:
    return p2p_port(starting_port, index) + 2


def metrics_port(starting_port: int, index: int) -> int:
    """node0's is CometBFT's 26660 when the network starts at 26656."""
    return p2p_port(starting_port, index) + 4


def init_node(root: Path, index: int, chain_id: str, starting_port: int) -> NetworkNode:
    """A home with its own validator key, node key and account key; its config.toml is
    written once every node's peer id is known (``write_node_config``)."""
    name = f"node{index}"
    home = Home(root / name)
    init_home(home, name, chain_id)
    ports = (
        p2p_port(starting_port, index),
        rpc_port(starting_port, index),
        rest_port(starting_port, index),
        metrics_port(starting_port, index),
    )
    info, mnemonic = home.keyring(KEYRING_BACKEND).add(name)
    address = validator_address(home)
    return NetworkNode(name, home, *ports, address, write_node_key(home), info.address, mnemonic)


def write_node_key(home: Home) -> str:
    """A new p2p identity in ``config/node_key.json``; returns its peer id."""
    from node.p2p import keys  # imports libp2p (about a second): only when a network is written

    key = keys.NodeKey.generate()
    keys.save(home.config_dir / keys.NODE_KEY_FILE, key)
    return key.peer_id


def write_shared_genesis(nodes: list[NetworkNode]) -> None:
    """node0's genesis funding every account, then each node's gentx (its account operating
    its validator key, staking ``VALIDATOR_STAKE``) collected into it; copied to every home."""
    first = nodes[0].home
    funds = [CoinJSON(denom=DEFAULT_DENOM, amount=ACCOUNT_FUNDS)]
    for node in nodes:
        add_genesis_account(first, node.account_address, funds)
    for node in nodes[1:]:
        shutil.copyfile(first.genesis_file, node.home.genesis_file)
    collected = gentx_dir(first)
    for node in nodes:
        key = node.home.keyring(KEYRING_BACKEND).private_key(node.name)
        path = write_gentx(node.home, key, Coin(DEFAULT_DENOM, VALIDATOR_STAKE), ValidatorTerms(node.name))
        if node is not nodes[0]:
            collected.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(path, collected / path.name)
    collect_gentxs(first)
    for node in nodes[1:]:
        shutil.copyfile(first.genesis_file, node.home.genesis_file)


def write_node_config(node: NetworkNode, nodes: list[NetworkNode]) -> None:
    """``config/config.toml``: the node's ports, and every other node as a persistent peer."""
    peers = tuple(other.peer_addr for other in nodes if other.name != node.name)
    config = node_config.Config(
        moniker=node.name,
        rpc=node_config.RPCConfig(laddr=node.rpc_laddr),
        api=node_config.APIConfig(address=node.rest_laddr),
        instrumentation=node_config.InstrumentationConfig(prometheus_listen_addr=node.metrics_laddr),
        p2p=P2PConfig(listen_addr=node.p2p_laddr, persistent_peers=peers),
        verifier=node_config.VerifierConfig(enable=True, key=node.name, keyring_backend=KEYRING_BACKEND),
    )
    node.home.config_file.write_text(node_config.render(config))


def write_accounts(root: Path, chain_id: str, nodes: list[NetworkNode]) -> None:
    """``accounts.json``, 0600: it holds the (test) mnemonics."""
    path = root / ACCOUNTS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(network_summary(chain_id, nodes, with_mnemonics=True), file, indent=2)
        file.write("\n")


def network_summary(chain_id: str, nodes: list[NetworkNode], with_mnemonics: bool) -> dict[str, Any]:
    return {
        "chain_id": chain_id,
        "keyring_backend": KEYRING_BACKEND,
        "nodes": [node_summary(node, with_mnemonics) for node in nodes],
    }


def node_summary(node: NetworkNode, with_mnemonic: bool) -> dict[str, Any]:
    account: dict[str, Any] = {
        "name": node.name,
        "address": node.account_address,
        "coins": f"{ACCOUNT_FUNDS}{DEFAULT_DENOM}",
    }
    if with_mnemonic:
        account["mnemonic"] = node.mnemonic
    return {
        "name": node.name,
        "home": str(node.home.root),
        "node_id": node.peer_id,
        "p2p_laddr": node.p2p_laddr,
        "rpc_laddr": node.rpc_laddr,
        "rest_laddr": node.rest_laddr,
        "metrics_laddr": node.metrics_laddr,
        "validator_address": node.validator_address,
        "account": account,
    }
