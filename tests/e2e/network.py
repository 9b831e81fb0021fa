"""End-to-end harness for a network: the homes ``depind testnet`` writes, one real
``depind start`` process per validator on 127.0.0.1.

``Network`` runs ``depind testnet`` into a folder on a starting port whose whole
range is free, shortens each node's consensus timeouts in ``config/config.toml``
and keeps a ``ValidatorNode`` (a ``DepindProcess``) per node, made from
``accounts.json``: its home, log (``nodeI/node.log``), RPC port, own validator
key and funded account key. Every wait is bounded in time; ``close`` (which the
``network_factory`` fixture calls) stops every process still running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from consensus import privval
from consensus.types import BlockIDFlag
from genesis import doc as genesis_doc
from genesis.schema import GenesisDoc
from node import config as node_config
from node.home import Home, init_home
from node.keys.hd import PrivateKey
from node.testnet import ACCOUNTS_FILE, PORT_STEP
from tests.e2e.harness import (
    CHAIN_ID,
    POLL_S,
    REPO_ROOT,
    START_TIMEOUT_S,
    STOP_TIMEOUT_S,
    TIMEOUT_COMMIT_S,
    DepindProcess,
    NodeFailure,
    RPCFailure,
    free_port,
)

PORT_RANGE = (20_000, 32_000)  # where a starting port is drawn: below the kernel's ephemeral ports (32768+)
PORT_ATTEMPTS = 200
TESTNET_TIMEOUT_S = 60.0
WAIT_TIMEOUT_S = 30.0
BLOCKCHAIN_PAGE = 20  # the most block metas `blockchain` returns at once


class ValidatorNode(DepindProcess):
    """One node of the network, from its entry in ``accounts.json``."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        home = Home(Path(entry["home"]))
        self.name: str = entry["name"]
        self.node_id: str = entry["node_id"]
        self.p2p_laddr: str = entry["p2p_laddr"]
        self.validator_address: str = entry["validator_address"]
        self.account_key = PrivateKey.from_mnemonic(entry["account"]["mnemonic"])
        if self.account_key.address != entry["account"]["address"]:
            raise NodeFailure(f"{self.name}: the mnemonic in {ACCOUNTS_FILE} gives another address")
        _, port = node_config.parse_laddr(entry["rpc_laddr"])
        pub_key = privval.public_key(privval.read_key_file(home.key_file))
        super().__init__(home, home.root / "node.log", port, pub_key)

    @property
    def account_address(self) -> str:
        return self.account_key.address

    def __repr__(self) -> str:
        return f"ValidatorNode({self.name}, rpc port {self.port})"


class Network:
    """``validators`` nodes of one ``depind testnet`` under ``root``, not yet started.

    Each node's ``[consensus]`` gets ``timeout_commit_s``, then ``consensus`` (any
    setting of ``ConsensusSettings``, such as a round timeout) over it."""

    def __init__(
        self,
        root: Path,
        validators: int,
        timeout_commit_s: float = TIMEOUT_COMMIT_S,
        consensus: Mapping[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.starting_port = pick_starting_port(validators)
        run_testnet_command(root, validators, self.starting_port)
        summary = json.loads((root / ACCOUNTS_FILE).read_text())
        self.chain_id: str = summary["chain_id"]
        settings = {"timeout_commit_s": timeout_commit_s, **(consensus or {})}
        for entry in summary["nodes"]:
            configure_node(Home(Path(entry["home"])), entry["rpc_laddr"], settings)
        self.nodes = [ValidatorNode(entry) for entry in summary["nodes"]]
        self.extra: list[DepindProcess] = []  # nodes a test adds to the network (closed with it)

    def edit_genesis(self, edit: Callable[[GenesisDoc], None]) -> None:
        """Apply ``edit`` to the shared genesis and write it to every node's home, before
        the first start (a started chain keeps the genesis it began with)."""
        if any(node.starts for node in self.nodes):
            raise NodeFailure("the network has started: its genesis can no longer change")
        genesis = genesis_doc.load(self.nodes[0].home.genesis_file)
        edit(genesis)
        for node in self.nodes:
            genesis_doc.save(genesis, node.home.genesis_file)

    # -- processes -------------------------------------------------------------------

    def start_all(self, min_height: int = 1, timeout: float = START_TIMEOUT_S) -> None:
        """Launch every node, then wait until each serves ``min_height`` with its own
        key: a chain of several validators makes no block until more than 2/3 of its
        power is up."""
        for node in self.nodes:
            node.launch()
        self.wait_all_height(min_height, timeout)
        for node in self.nodes:
            node.wait_started(min_height)

    def running(self) -> list[ValidatorNode]:
        return [node for node in self.nodes if node.is_running()]

    def close(self) -> None:
        """Stop every node still running and close every handle; each node is closed
        even if closing another raises. All get SIGTERM first, so they stop together."""
        running = [*self.running(), *(node for node in self.extra if node.is_running())]
        stopping = [node.process for node in running if node.process is not None]
        for process in stopping:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in stopping:
            with contextlib.suppress(subprocess.TimeoutExpired):  # node.close() kills it
                process.wait(remaining(deadline))
        with contextlib.ExitStack() as stack:
            for node in [*self.nodes, *self.extra]:
                stack.callback(node.close)

    # -- waits and reads ---------------------------------------------------------------

    def heights(self, nodes: Sequence[ValidatorNode] | None = None) -> list[int]:
        return [node.height() for node in (self.nodes if nodes is None else nodes)]

    def wait_all_height(
        self, height: int, timeout: float = WAIT_TIMEOUT_S, nodes: Sequence[ValidatorNode] | None = None
    ) -> list[int]:
        """Wait until every node (or each of ``nodes``) has a block at ``height``, all
        within one ``timeout``; returns their latest heights. A node that exits
        meanwhile fails the wait at once."""
        waited = list(self.nodes if nodes is None else nodes)
        reached: dict[str, int] = {}
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / POLL_S) + 1):
            for node in waited:
                if node.name not in reached:
                    latest = poll_height(node)
                    if latest is not None and latest >= height:
                        reached[node.name] = latest
            if len(reached) == len(waited):
                return [reached[node.name] for node in waited]
            if time.monotonic() > deadline:
                break
            time.sleep(POLL_S)
        behind = [node.name for node in waited if node.name not in reached]
        raise NodeFailure(f"height {height} not reached in {timeout}s by {', '.join(behind)}")

    def wait_caught_up(self, node: ValidatorNode, timeout: float = WAIT_TIMEOUT_S) -> int:
        """Wait until ``node`` reaches the highest height the other running nodes had
        when called; returns that height."""
        others = [other for other in self.running() if other is not node]
        target = max(self.heights(others), default=0)
        node.wait_height(target, timeout)
        return target


NetworkFactory = Callable[..., Network]


def poll_height(node: ValidatorNode) -> int | None:
    """The node's latest height, or None while its RPC does not answer; raises if the
    process has exited."""
    if node.process is None or node.process.poll() is not None:
        code = None if node.process is None else node.process.returncode
        raise NodeFailure(f"{node.name} is not running (exit code {code})\n{node.log_tail()}")
    try:
        return node.height()
    except (httpx.HTTPError, RPCFailure):
        return None


def remaining(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.1)


# -- the homes --------------------------------------------------------------------------


def is_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def pick_starting_port(validators: int) -> int:
    """A starting port P at random whose whole range P .. P + 10 (N-1) + 4 binds now (each
    node's p2p, RPC, REST and metrics ports)."""
    span = PORT_STEP * (validators - 1) + 5
    for _ in range(PORT_ATTEMPTS):
        start = random.randrange(PORT_RANGE[0], PORT_RANGE[1] - span)
        if all(is_port_free(port) for port in range(start, start + span)):
            return start
    raise NodeFailure(f"no free range of {span} ports found in {PORT_ATTEMPTS} tries")


def run_testnet_command(root: Path, validators: int, starting_port: int) -> None:
    command = [
        *(sys.executable, "-m", "node.cli.main", "testnet"),
        *("--validators", str(validators), "--output-dir", str(root)),
        *("--chain-id", CHAIN_ID, "--starting-port", str(starting_port)),
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=TESTNET_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise NodeFailure(f"depind testnet exited with {done.returncode}:\n{done.stdout}{done.stderr}")


def configure_node(home: Home, rpc_laddr: str, consensus: Mapping[str, Any]) -> None:
    """Rewrite the node's config.toml with these ``[consensus]`` settings."""
    config = node_config.load(home.config_file)
    if config.rpc.laddr != rpc_laddr:
        raise NodeFailure(f"{home.config_file} serves RPC on {config.rpc.laddr}, not {rpc_laddr}")
    config = dataclasses.replace(config, consensus=dataclasses.replace(config.consensus, **consensus))
    home.config_file.write_text(node_config.render(config))


def configure_p2p(home: Home, **settings: Any) -> None:
    """Rewrite the node's config.toml with these ``[p2p]`` settings (any field of
    ``P2PConfig``, such as ``persistent_peers``); the node reads them when it starts."""
    config = node_config.load(home.config_file)
    config = dataclasses.replace(config, p2p=dataclasses.replace(config.p2p, **settings))
    home.config_file.write_text(node_config.render(config))


def add_node(network: Network, root: Path, **p2p: Any) -> DepindProcess:
    """A fresh node under ``root`` on the network's genesis, not yet launched: its own
    validator key (in no validator set) and node key, node0's ``[consensus]`` settings,
    the network's validators as persistent peers and these ``[p2p]`` settings (any field
    of ``P2PConfig``) over them. The network closes it with its own nodes."""
    from node.testnet import write_node_key  # imports libp2p: only here

    home = Home(root / "home")
    init_home(home, f"node{len(network.nodes) + len(network.extra)}", network.chain_id)
    genesis_doc.save(genesis_doc.load(network.nodes[0].home.genesis_file), home.genesis_file)
    write_node_key(home)
    rpc_port = free_port()
    config = node_config.load(home.config_file)
    config = dataclasses.replace(
        config,
        rpc=dataclasses.replace(config.rpc, laddr=f"127.0.0.1:{rpc_port}"),
        api=dataclasses.replace(config.api, address=f"127.0.0.1:{free_port(other_than=rpc_port)}"),
        consensus=node_config.load(network.nodes[0].home.config_file).consensus,
        instrumentation=dataclasses.replace(
            config.instrumentation, prometheus_listen_addr=f"127.0.0.1:{free_port(other_than=rpc_port)}"
        ),
    )
    home.config_file.write_text(node_config.render(config))
    peers = tuple(f"{node.p2p_laddr}/p2p/{node.node_id}" for node in network.nodes)
    configure_p2p(home, listen_addr=f"/ip4/127.0.0.1/tcp/{free_port()}", persistent_peers=peers, **p2p)
    pub_key = privval.public_key(privval.read_key_file(home.key_file))
    added = DepindProcess(home, root / "node.log", rpc_port, pub_key)
    network.extra.append(added)
    return added


# -- what a node reports ------------------------------------------------------------------


def block_hashes(node: DepindProcess, heights: Iterable[int]) -> dict[int, str]:
    """The block hash (hex) the node committed at each height (``block``)."""
    hashes = {}
    for height in heights:
        block_id = node.rpc("block", height=height)["block_id"]
        if block_id is None:
            raise NodeFailure(f"{node.url} has block {height} but no commit for it")
        hashes[height] = block_id["hash"]
    return hashes


def block_metas(node: DepindProcess, through: int) -> list[dict[str, Any]]:
    """``blockchain``'s block metas of heights 1 .. ``through``, a page at a time."""
    metas = []
    for low in range(1, through + 1, BLOCKCHAIN_PAGE):
        high = min(low + BLOCKCHAIN_PAGE - 1, through)
        metas += node.rpc("blockchain", minHeight=low, maxHeight=high)["block_metas"]
    return metas


def chain_hashes(node: DepindProcess, through: int) -> dict[int, str]:
    """The block hash (hex) at every height 1 .. ``through``, from ``blockchain``."""
    hashes = {int(meta["header"]["height"]): meta["block_id"]["hash"] for meta in block_metas(node, through)}
    assert sorted(hashes) == list(range(1, through + 1)), node.url
    return hashes


def check_same_chain(nodes: Sequence[DepindProcess], through: int) -> None:
    """Safety: one block hash at every height 1 .. ``through`` on every node, and one app
    hash after the last block."""
    reference = chain_hashes(nodes[0], through)
    for node in nodes[1:]:
        hashes = chain_hashes(node, through)
        forks = [height for height in reference if hashes[height] != reference[height]]
        assert not forks, f"{node.url} differs from {nodes[0].url} at heights {forks}"
    assert len({app_hash_at(node, through) for node in nodes}) == 1


def app_hash_at(node: DepindProcess, height: int) -> str:
    """The app hash (hex) after executing the block at ``height`` (``block_results``)."""
    app_hash: str = node.rpc("block_results", height=height)["app_hash"]
    return app_hash


def chain_view(node: DepindProcess, heights: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(block hash, app hash) at each height: what two nodes on one chain agree on."""
    heights = list(heights)
    hashes = block_hashes(node, heights)
    return {height: (hashes[height], app_hash_at(node, height)) for height in heights}


def commit_signers(node: DepindProcess, height: int) -> set[str]:
    """Addresses (hex) of the validators whose precommits for the block at ``height``
    are in its commit (``commit``)."""
    commit = node.rpc("commit", height=height)["signed_header"]["commit"]
    if commit is None:
        raise NodeFailure(f"{node.url} has no commit for block {height}")
    return {
        sig["validator_address"] for sig in commit["signatures"] if sig["block_id_flag"] == BlockIDFlag.COMMIT
    }
