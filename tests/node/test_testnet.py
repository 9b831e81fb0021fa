"""node.testnet and ``depind testnet``: the files of a local multi-validator network,
and scripts/localnet.sh around them."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from consensus import privval
from consensus.validators import address_of
from genesis import doc as genesis_doc
from genesis.schema import BankGenesis, get_section
from node import config as node_config
from node import testnet
from node.cli.main import cli
from node.home import Home
from node.keys.hd import PrivateKey
from node.p2p import keys as p2p_keys
from node.p2p.config import P2PConfig
from node.testnet import (
    ACCOUNT_FUNDS,
    ACCOUNTS_FILE,
    VALIDATOR_POWER,
    VALIDATOR_STAKE,
    LocalnetError,
    NetworkNode,
    create_testnet,
)
from tests.node.cli.localnet import REPO, cli_env, free_port
from vm.app import App
from vm.store.kv import MemoryKV

VALIDATORS = 4
SCRIPT = REPO / "scripts" / "localnet.sh"
SCRIPT_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> list[NetworkNode]:
    return create_testnet(tmp_path_factory.mktemp("testnet") / "net", VALIDATORS, "localnet-test-1")


def p2p_settings(node: NetworkNode) -> P2PConfig:
    """The [p2p] table of the node's config.toml, as the node loads it."""
    return node_config.load(node.home.config_file).p2p


def test_writes_one_home_per_validator(network: list[NetworkNode]) -> None:
    assert [node.name for node in network] == [f"node{i}" for i in range(VALIDATORS)]
    root = network[0].home.root.parent
    assert sorted(p.name for p in root.iterdir()) == [ACCOUNTS_FILE, *(n.name for n in network)]
    assert all(node.home.is_initialised() for node in network)


def test_genesis_is_shared_and_validates(network: list[NetworkNode]) -> None:
    first = network[0].home.genesis_file.read_bytes()
    assert all(node.home.genesis_file.read_bytes() == first for node in network)
    result = CliRunner().invoke(cli, ["genesis", "validate", str(network[0].home.genesis_file)])
    assert result.exit_code == 0, result.output
    assert f"chain localnet-test-1, {VALIDATORS} validators, {VALIDATORS} accounts" in result.output


def test_every_validator_key_has_its_gentx(network: list[NetworkNode]) -> None:
    doc = genesis_doc.load(network[0].home.genesis_file)
    assert doc.validators == []
    gentxs = {}
    for gentx in doc.app_state["genutil"]["gen_txs"]:
        (message,) = gentx["body"]["messages"]
        gentxs[message["description"]["moniker"]] = (message["pubkey"]["key"], message["value"]["amount"])
    keys = {}
    for node in network:
        pub_key = privval.public_key(privval.read_key_file(node.home.key_file))
        assert node.validator_address == address_of(pub_key).hex().upper()
        keys[node.name] = (base64.b64encode(pub_key).decode(), str(VALIDATOR_STAKE))
    assert gentxs == keys
    assert len(gentxs) == VALIDATORS


def test_the_first_validator_set_is_the_gentxs(network: list[NetworkNode]) -> None:
    doc = genesis_doc.load(network[0].home.genesis_file)
    first = App(MemoryKV()).init_chain(doc, 0).validators
    keys = {privval.public_key(privval.read_key_file(node.home.key_file)) for node in network}
    assert {update.pub_key for update in first} == keys
    assert {update.power for update in first} == {VALIDATOR_POWER}


def test_ports_are_distinct(network: list[NetworkNode]) -> None:
    rpc = [node_config.load(node.home.config_file).rpc.laddr for node in network]
    p2p = [p2p_settings(node).listen_addr for node in network]
    assert rpc[0] == "127.0.0.1:26657"
    assert p2p[0] == "/ip4/127.0.0.1/tcp/26656"
    ports = [int(laddr.rsplit(":", 1)[1]) for laddr in rpc] + [int(a.rsplit("/", 1)[1]) for a in p2p]
    assert len(set(ports)) == 2 * VALIDATORS
    assert all(re.fullmatch(r"/ip4/127\.0\.0\.1/tcp/\d+", laddr) for laddr in p2p)


def test_peer_lists_are_complete(network: list[NetworkNode]) -> None:
    """Every other node, at its listen address, with the peer id of its node key."""
    identities = {
        (p2p_settings(node).listen_addr, p2p_keys.load(node.home.config_dir / p2p_keys.NODE_KEY_FILE).peer_id)
        for node in network
    }
    assert len(identities) == VALIDATORS
    for node in network:
        peers = {(str(peer.addr), peer.peer_id) for peer in p2p_settings(node).persistent_peer_addrs}
        assert peers == identities - {(node.p2p_laddr, node.peer_id)}


def test_config_toml_holds_each_nodes_settings(network: list[NetworkNode]) -> None:
    """Moniker, JSON-RPC port, p2p listen address and peers: all in config.toml, no p2p.toml."""
    for node in network:
        config = node_config.load(node.home.config_file)
        assert config.moniker == node.name
        assert config.rpc.laddr == node.rpc_laddr
        assert config.p2p.listen_addr == node.p2p_laddr
        assert config.p2p.persistent_peers == tuple(o.peer_addr for o in network if o.name != node.name)
        assert not (node.home.config_dir / "p2p.toml").exists()


def test_accounts_are_funded_and_recorded(network: list[NetworkNode]) -> None:
    root = network[0].home.root.parent
    accounts = json.loads((root / ACCOUNTS_FILE).read_text())
    assert stat.S_IMODE((root / ACCOUNTS_FILE).stat().st_mode) == 0o600
    doc = genesis_doc.load(network[0].home.genesis_file)
    balances = {
        b.address: [(c.denom, c.amount) for c in b.coins]
        for b in get_section(doc, "bank", BankGenesis).balances
    }
    assert accounts["keyring_backend"] == "test"
    for node, recorded in zip(network, accounts["nodes"], strict=True):
        account = recorded["account"]
        assert node.home.keyring("test").show(node.name).address == account["address"]
        assert PrivateKey.from_mnemonic(account["mnemonic"]).address == account["address"]
        assert balances[account["address"]] == [("udepin", ACCOUNT_FUNDS)]
        assert recorded["home"] == str(node.home.root)
        assert recorded["validator_address"] == node.validator_address


def test_cli_writes_a_network(tmp_path: Path) -> None:
    out = tmp_path / "net"
    args = ["testnet", "--validators", "2", "--output-dir", str(out), "--chain-id", "cli-net-1"]
    result = CliRunner().invoke(cli, [*args, "--starting-port", "30000", "--output", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert [n["rpc_laddr"] for n in summary["nodes"]] == ["127.0.0.1:30001", "127.0.0.1:30011"]
    assert "mnemonic" not in result.output  # only in accounts.json
    assert genesis_doc.load(Home(out / "node1").genesis_file).chain_id == "cli-net-1"


def test_cli_text_output_names_the_accounts_file(tmp_path: Path) -> None:
    out = tmp_path / "net"
    result = CliRunner().invoke(cli, ["testnet", "--validators", "1", "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out / ACCOUNTS_FILE) in result.output


def test_invalid_non_empty_output_dir(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(LocalnetError, match="not an empty folder"):
        create_testnet(tmp_path, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_invalid_non_empty_output_dir_cli(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["testnet", "--validators", "2", "--output-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "not an empty folder" in result.output


@pytest.mark.parametrize(
    ("validators", "chain_id", "starting_port", "reason"),
    [
        (0, "ok-1", 26656, "at least 1 validator"),
        (4, "ok-1", 65520, "do not fit"),
        (2, "bad chain id!", 26656, "invalid chain_id"),
    ],
)
def test_invalid_request_writes_nothing(
    tmp_path: Path, validators: int, chain_id: str, starting_port: int, reason: str
) -> None:
    with pytest.raises(LocalnetError, match=reason):
        create_testnet(tmp_path / "net", validators, chain_id, starting_port)
    assert list(tmp_path.iterdir()) == []


# ---- scripts/localnet.sh ------------------------------------------------------------------------


def localnet(action: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**cli_env(), "DEPIND": f"{sys.executable} -m node.cli.main", "STOP_GRACE_S": "10"}
    return subprocess.run(
        ["bash", str(SCRIPT), action, str(root)],
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        cwd=REPO,
        env=env,
        check=False,
    )


def test_localnet_status_of_a_stopped_network(network: list[NetworkNode]) -> None:
    result = localnet("status", network[0].home.root.parent)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert [row[:3] for row in rows] == [[node.name, "stopped", "-"] for node in network]
    assert [row[3] for row in rows] == [node.rpc_laddr for node in network]


def test_localnet_stop_leaves_other_processes_alone(tmp_path: Path) -> None:
    """A pid file whose process is not this node's depind (stale, or its pid reused) is dropped."""
    nodes = create_testnet(tmp_path / "net", 2)
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        (nodes[0].home.root / "node.pid").write_text(f"{bystander.pid}\n")
        (nodes[1].home.root / "node.pid").write_text("not a pid\n")
        result = localnet("stop", tmp_path / "net")
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("removed a stale pid file") == 2
        assert bystander.poll() is None
        assert not any((node.home.root / "node.pid").exists() for node in nodes)
    finally:
        bystander.kill()
        bystander.wait()


def test_invalid_localnet_usage(tmp_path: Path) -> None:
    assert localnet("restart", tmp_path).returncode == 2
    assert "no node homes" in localnet("status", tmp_path).stderr


@pytest.mark.e2e
@pytest.mark.slow
def test_localnet_runs_a_single_validator_network(tmp_path: Path) -> None:
    """With one validator today's engine runs: start, see blocks in status, stop cleanly."""
    root = tmp_path / "net"
    [node] = create_testnet(root, 1, starting_port=free_port())
    try:
        assert localnet("start", root).returncode == 0
        height = wait_for_height(root, 1)
        assert height >= 1
    finally:
        stopped = localnet("stop", root)
    assert "node0: stopped" in stopped.stdout, stopped.stderr
    assert "shutting down" in (node.home.root / "node.log").read_text()
    assert not (node.home.root / "node.pid").exists()


def wait_for_height(root: Path, height: int, timeout_s: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_s
    for _ in range(int(timeout_s / 0.2) + 1):
        fields = localnet("status", root).stdout.splitlines()[1].split()
        if fields[2].isdigit() and int(fields[2]) >= height:
            return int(fields[2])
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    raise TimeoutError(f"no block {height} within {timeout_s}s: {os.listdir(root / 'node0')}")


def test_failure_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(node: NetworkNode, nodes: list[NetworkNode]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(testnet, "write_node_config", disk_full)
    with pytest.raises(OSError, match="No space"):
        create_testnet(tmp_path / "net", 2)
    assert list(tmp_path.iterdir()) == []
