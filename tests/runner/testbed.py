"""The network a manifest describes, as real processes on 127.0.0.1 or each on a host of its
own.

``Testbed`` writes the homes with ``depind testnet`` (tests/e2e/network.py's ``Network``),
edits the shared genesis (the load's funded keys, the slashing window, short governance
periods, small compute committees) and adds the full nodes (``add_node``). On the loopback,
when a manifest disconnects a node, every p2p link runs through a proxy (links.py). With
``hosts = "namespaces"`` each node gets a network namespace of its own (hosts.py): the node
listens on its address there, peers with the others' addresses, and runs through ``ip netns
exec``; iptables cuts its links and netem.py shapes them as ``[links]`` says. ``start``
launches every node, delegates each validator's stake beyond the 10 power ``depind testnet``
gives it, and opens the provider's market (tests/e2e/market_setup.py: a provider with an
offer, its ``depind worker``, and a requester's active lease). ``close`` stops every process.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import msgspec

from genesis.compute import ComputeGenesis, ComputeParams
from genesis.funding import add_accounts
from genesis.gov import GovGenesis
from genesis.schema import CoinJSON, GenesisDoc, SlashingGenesis, get_section, set_section
from node import config as node_config
from node.home import Home
from node.keys.hd import PrivateKey
from node.p2p import keys as node_keys
from node.p2p.config import parse_listen_addr
from node.testnet import VALIDATOR_STAKE
from tests.e2e.harness import DENOM, FUNDS, DepindProcess, Wallet
from tests.e2e.market_setup import H100, Market, WorkerProcess, open_market, warm_up_kernels
from tests.e2e.network import Network, ValidatorNode, add_node, configure_p2p
from tests.runner.hosts import Hosts
from tests.runner.links import Endpoint, Mesh
from tests.runner.load import requester_funds
from tests.runner.manifest import BASE_POWER, Manifest, StorageSpec
from vm.crypto import VALOPER_HRP, address_from_pubkey
from vm.staking.msgs import MsgDelegate
from vm.types import Coin

START_TIMEOUT_S = 180.0  # every node of a network importing at once on two busy cores
RECONNECT_BACKOFF_MAX_S = 1.0  # links come back within about this long after a rejoin
MIN_DEPOSIT = 1_000_000
STAKING_GAS = 600_000
STAKING_FEE = 6_000
POWER_REDUCTION = VALIDATOR_STAKE // BASE_POWER  # udepin per unit of consensus power
COMMITTEE_SIZE = 3
ATTEST_BLOCKS = 16  # room for a first check to compile gpu/'s kernels
CHALLENGE_WINDOW_BLOCKS = 18
HOSTS_SPARE_S = 1800.0  # the link shapers' lifetime beyond the load: starts, settling, checks


@dataclass(frozen=True)
class Member:
    """One node of the testbed: its process, its p2p identity, and for a validator its
    ``ValidatorNode`` (the same object as ``process``)."""

    name: str
    process: DepindProcess
    endpoint: Endpoint
    validator: ValidatorNode | None

    @property
    def url(self) -> str:
        return self.process.url


class Testbed:
    """The network of ``manifest`` under ``root``, written but not started."""

    def __init__(self, manifest: Manifest, root: Path, funded: list[PrivateKey]) -> None:
        self.manifest = manifest
        self.root = root
        self.network = Network(root / "net", manifest.network.validators, manifest.network.timeout_commit_s)
        self.chain_id = self.network.chain_id
        self.mesh: Mesh | None = None
        self.hosts: Hosts | None = None
        self.market: Market | None = None
        self.workers: list[WorkerProcess] = []
        try:
            self.network.edit_genesis(lambda doc: edit_genesis(doc, manifest, funded))
            self.members = [validator_member(f"validator{i}", v) for i, v in enumerate(self.network.nodes)]
            for index in range(manifest.network.full_nodes):
                added = add_node(self.network, root / f"full{index}")
                self.members.append(full_member(f"full{index}", added))
            if manifest.storage is not None:
                for member in self.members:
                    set_storage(member.process.home, manifest.storage)
            if manifest.network.hosts == "namespaces":
                self.hosts = place_on_hosts(self.members, manifest, root / "hosts")
            elif manifest.has("disconnect"):
                endpoints = [member.endpoint for member in self.members]
                self.mesh = Mesh(endpoints, reconnect_backoff_max_s=RECONNECT_BACKOFF_MAX_S)
        except BaseException:
            self.close()
            raise

    def member(self, name: str) -> Member:
        (found,) = [member for member in self.members if member.name == name]
        return found

    def validators(self) -> list[Member]:
        return [member for member in self.members if member.validator is not None]

    def prefix(self, name: str) -> list[str]:
        """What runs a command on ``name``'s host: nothing on the loopback."""
        return [] if self.hosts is None else self.hosts.prefix(name)

    @property
    def links(self) -> Mesh | Hosts:
        """What cuts a node's links: the hosts' firewalls, or the proxies on the loopback."""
        links = self.hosts or self.mesh
        assert links is not None, "the testbed cuts links only when its manifest does"
        return links

    def start(self, funder: PrivateKey) -> None:
        """Every node up past height 2, the stakes delegated, the provider's market open."""
        for member in self.members:
            member.process.launch()
        self.network.wait_all_height(2, START_TIMEOUT_S)  # validators: full nodes follow them
        for member in self.members:
            member.process.wait_started(2, START_TIMEOUT_S)
        self.delegate_stakes()
        if self.manifest.provider is not None:
            warm_up_kernels(self.root)
            name = self.manifest.provider.node
            node = self.member(name).process
            host = "127.0.0.1" if self.hosts is None else self.hosts.address(name)
            self.market = open_market(
                node,
                Wallet(node, funder),
                self.root / "provider",
                H100,
                "node.cli.main",
                self.workers,
                host,
                self.prefix(name),
                requester_funds(self.manifest.load),
            )

    def delegate_stakes(self) -> None:
        """Each validator's account delegates to it the stake beyond what genesis bonded."""
        entry = self.members[0].process
        for member, power in zip(self.validators(), self.manifest.network.power(), strict=True):
            extra = (power - BASE_POWER) * POWER_REDUCTION
            if extra == 0:
                continue
            validator = member.validator
            assert validator is not None
            wallet = Wallet(entry, validator.account_key)
            message = MsgDelegate(wallet.address, valoper(validator), Coin(DENOM, extra))
            entry.commit_tx(wallet.sign([message], fee=STAKING_FEE, gas=STAKING_GAS, chain_id=self.chain_id))

    def worker_logs(self) -> dict[str, str]:
        return {f"worker{i}": worker.log() for i, worker in enumerate(self.workers)}

    def close(self) -> None:
        """Stop the workers, the proxies and every node, then remove the hosts; each even if
        another fails."""
        with contextlib.ExitStack() as cleanup:
            if self.hosts is not None:
                cleanup.callback(self.hosts.close)  # last: the nodes run inside them
            cleanup.callback(self.network.close)
            if self.mesh is not None:
                cleanup.callback(self.mesh.close)
            for worker in self.workers:
                cleanup.callback(worker.stop)


def valoper(validator: ValidatorNode) -> str:
    return address_from_pubkey(validator.account_key.public_key, VALOPER_HRP)


def validator_member(name: str, validator: ValidatorNode) -> Member:
    port = p2p_port(validator.p2p_laddr)
    return Member(name, validator, Endpoint(name, validator.home, validator.node_id, port), validator)


def full_member(name: str, process: DepindProcess) -> Member:
    home = process.home
    listen = node_config.load(home.config_file).p2p.listen_addr
    node_id = node_keys.load(home.config_dir / node_keys.NODE_KEY_FILE).peer_id
    return Member(name, process, Endpoint(name, home, node_id, p2p_port(listen)), None)


def set_storage(home: Home, spec: StorageSpec) -> None:
    config = node_config.load(home.config_file)
    storage = node_config.StorageSettings(cache_mib=spec.cache_mib, write_buffer_mib=spec.write_buffer_mib)
    home.config_file.write_text(node_config.render(dataclasses.replace(config, storage=storage)))


def p2p_port(listen_addr: str) -> int:
    return int(parse_listen_addr(listen_addr).value_for_protocol("tcp"))


# -- hosts ----------------------------------------------------------------------------------------


def place_on_hosts(members: list[Member], manifest: Manifest, work: Path) -> Hosts:
    """A namespace per member; each member's config rewritten to listen on its address there
    and to peer with every other member's, its process launched inside it."""
    shape = None if manifest.links is None else manifest.links.shape()
    hosts = Hosts(
        [m.name for m in members],
        work,
        shape,
        manifest.load.duration_s + HOSTS_SPARE_S,
        manifest.network.seed,
    )
    for member in members:
        address = hosts.address(member.name)
        peers = tuple(
            f"/ip4/{hosts.address(other.name)}/tcp/{other.endpoint.p2p_port}/p2p/{other.endpoint.node_id}"
            for other in members
            if other is not member
        )
        listen = f"/ip4/{address}/tcp/{member.endpoint.p2p_port}"
        serve_on(member.process.home, address)
        configure_p2p(member.process.home, listen_addr=listen, persistent_peers=peers)
        member.process.locate(address)
        member.process.command = [*hosts.prefix(member.name), *member.process.command]
    return hosts


def serve_on(home: Home, address: str) -> None:
    """RPC, REST and metrics on ``address``, each on the port it had."""
    config = node_config.load(home.config_file)

    def moved(laddr: str) -> str:
        return f"{address}:{node_config.parse_laddr(laddr)[1]}"

    config = dataclasses.replace(
        config,
        rpc=dataclasses.replace(config.rpc, laddr=moved(config.rpc.laddr)),
        api=dataclasses.replace(config.api, address=moved(config.api.address)),
        instrumentation=dataclasses.replace(
            config.instrumentation,
            prometheus_listen_addr=moved(config.instrumentation.prometheus_listen_addr),
        ),
    )
    home.config_file.write_text(node_config.render(config))


# -- genesis --------------------------------------------------------------------------------------


def edit_genesis(doc: GenesisDoc, manifest: Manifest, funded: list[PrivateKey]) -> None:
    """The load's keys funded; the manifest's slashing window; governance short enough for
    an upgrade within a run; compute committees that a few validators can fill."""
    add_accounts(doc, [(key.address, [CoinJSON(denom=DENOM, amount=FUNDS)]) for key in funded])
    slashing = get_section(doc, "slashing", SlashingGenesis)
    slashing.params.signed_blocks_window = manifest.network.signed_blocks_window
    set_section(doc, "slashing", slashing)
    set_section(doc, "gov", short_governance(get_section(doc, "gov", GovGenesis), manifest))
    committee = min(COMMITTEE_SIZE, manifest.network.validators)
    compute = ComputeParams(
        committee_size=committee, attest_blocks=ATTEST_BLOCKS, challenge_window_blocks=CHALLENGE_WINDOW_BLOCKS
    )
    set_section(
        doc, "compute", msgspec.structs.replace(get_section(doc, "compute", ComputeGenesis), params=compute)
    )


def short_governance(gov: GovGenesis, manifest: Manifest) -> GovGenesis:
    voting = manifest.network.voting_blocks
    params = msgspec.structs.replace(
        gov.params,
        min_deposit=[CoinJSON(denom=DENOM, amount=MIN_DEPOSIT)],
        expedited_min_deposit=[CoinJSON(denom=DENOM, amount=2 * MIN_DEPOSIT)],
        max_deposit_blocks=voting,
        voting_blocks=voting,
        expedited_voting_blocks=voting // 2,
    )
    return msgspec.structs.replace(gov, params=params)
