"""The runner's manifest: the shipped manifests load, defaults fill in, and each mistake is
refused with a message that names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runner.__main__ import EXIT_BAD_MANIFEST, main
from tests.runner.manifest import ManifestError, double_signers, faulted_nodes, load, parse

MANIFESTS = Path(__file__).parent / "manifests"
NETWORK = """
[network]
validators = 4
full_nodes = 1
"""
LOAD = """
[load]
duration_s = 60
sends_per_s = 2
"""


def manifest_error(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        parse(text)
    return str(caught.value)


def test_the_shipped_manifests_load() -> None:
    ci = load(MANIFESTS / "ci.toml")
    assert ci.node_names() == ["validator0", "validator1", "validator2", "validator3", "full0"]
    assert set(ci.load.rates()) == {"sends", "delegations"}
    assert {p.kind for p in ci.perturbation} == {"kill", "pause", "restart"}
    long = load(MANIFESTS / "long.toml")
    assert long.network.validators == 7
    assert {p.kind for p in long.perturbation} == {"kill", "pause", "restart", "disconnect", "upgrade"}
    assert set(long.load.rates()) == {"sends", "delegations", "market_orders", "jobs", "gov_votes"}
    netns = load(MANIFESTS / "netns.toml")
    assert netns.network.hosts == "namespaces" and netns.links is not None
    assert (netns.links.delay_ms, netns.links.jitter_ms, netns.links.loss_pct) == (50, 20, 1.0)
    assert [p.kind for p in netns.perturbation] == ["partition"]
    long_hosts = load(MANIFESTS / "long-hosts.toml")
    assert long_hosts.network.hosts == "namespaces" and long_hosts.links is not None
    assert {p.kind for p in long_hosts.perturbation} == {
        "kill",
        "pause",
        "restart",
        "disconnect",
        "partition",
        "upgrade",
        "double-sign",
    }
    soak = load(MANIFESTS / "soak.toml")
    assert soak.storage is not None and (soak.storage.cache_mib, soak.storage.write_buffer_mib) == (16, 4)
    assert soak.perturbation == []


def test_defaults() -> None:
    manifest = parse(NETWORK + LOAD)
    assert manifest.network.power() == [10, 10, 10, 10]
    assert manifest.network.timeout_commit_s == 0.3
    assert manifest.provider is None and manifest.perturbation == []
    assert manifest.network.hosts == "loopback" and manifest.links is None
    assert manifest.storage is None
    assert manifest.load.rates() == {"sends": 2.0}


def test_faulted_nodes_are_those_perturbed_and_an_upgrade_stops_all() -> None:
    kill = '[[perturbation]]\nnode = "validator1"\nkind = "kill"\nat_s = 5\nduration_s = 5\n'
    assert faulted_nodes(parse(NETWORK + LOAD + kill)) == {"validator1"}
    upgrade = '[[perturbation]]\nkind = "upgrade"\nat_s = 20\nduration_s = 30\n'
    everyone = {"validator0", "validator1", "validator2", "validator3", "full0"}
    assert faulted_nodes(parse(NETWORK + LOAD + kill + upgrade)) == everyone


def test_invalid_toml() -> None:
    assert "not TOML" in manifest_error("[network\n")


def test_invalid_types_and_ranges_name_the_field() -> None:
    assert "$.network.validators" in manifest_error("[network]\nvalidators = 8\n" + LOAD)
    assert "$.network.validators" in manifest_error('[network]\nvalidators = "four"\n' + LOAD)
    assert "$.load.sends_per_s" in manifest_error(NETWORK + "[load]\nduration_s = 5\nsends_per_s = -1\n")
    assert "Object missing required field `load`" in manifest_error(NETWORK)
    assert "unknown field `validator`" in manifest_error("[network]\nvalidator = 4\n" + LOAD)
    assert "$.storage.cache_mib" in manifest_error(NETWORK + LOAD + "[storage]\ncache_mib = 4\n")
    bad_kind = '[[perturbation]]\nnode = "validator1"\nkind = "explode"\nat_s = 5\n'
    assert "$.perturbation[0].kind" in manifest_error(NETWORK + LOAD + bad_kind)


def test_invalid_stakes() -> None:
    assert "lists 3 stakes for 4 validators" in manifest_error(
        "[network]\nvalidators = 4\nstakes = [10, 10, 10]\n" + LOAD
    )
    assert "$.network.stakes[1]" in manifest_error("[network]\nvalidators = 2\nstakes = [10, 5]\n" + LOAD)


def test_invalid_market_load_without_a_provider() -> None:
    text = NETWORK + "[load]\nduration_s = 60\nmarket_orders_per_s = 1\njobs_per_s = 1\n"
    message = manifest_error(text)
    assert "load.market_orders_per_s needs a [provider]" in message
    assert "load.jobs_per_s needs a [provider]" in message
    assert "provider.node 'full3' is not a node" in manifest_error(
        NETWORK + LOAD + '[provider]\nnode = "full3"\n'
    )


def test_invalid_perturbations() -> None:
    def perturbation(node: str, kind: str, at_s: float, duration_s: float) -> str:
        named = f'node = "{node}"\n' if node else ""
        return f'[[perturbation]]\n{named}kind = "{kind}"\nat_s = {at_s}\nduration_s = {duration_s}\n'

    def error(*perturbations: str) -> str:
        return manifest_error(NETWORK + LOAD + "".join(perturbations))

    assert "node 'validator9' is not one of validator0" in error(perturbation("validator9", "kill", 5, 5))
    assert "duration_s must be more than 0" in error(perturbation("validator1", "pause", 5, 0))
    assert "ends after the load (60 s)" in error(perturbation("validator1", "kill", 50, 20))
    assert "upgrade is of the whole network: it names no node" in error(
        perturbation("validator1", "upgrade", 5, 30)
    )
    assert "at most one upgrade" in error(
        perturbation("", "upgrade", 0, 20), perturbation("", "upgrade", 30, 20)
    )
    assert "overlap" in error(
        perturbation("validator1", "kill", 5, 10), perturbation("validator1", "pause", 12, 5)
    )
    assert "overlap" in error(perturbation("full0", "restart", 25, 2), perturbation("", "upgrade", 20, 30))
    # One of four equal validators down is fine, two are half the power: the chain would halt.
    halting = error(perturbation("validator1", "kill", 5, 10), perturbation("validator2", "pause", 8, 10))
    assert "validator1, validator2 are down together: 20 of 40 power" in halting
    allowed = "[network]\nvalidators = 4\nallow_halt = true\n" + LOAD
    assert parse(
        allowed + perturbation("validator1", "kill", 5, 10) + perturbation("validator2", "pause", 8, 10)
    )


HOSTS = """
[network]
validators = 4
full_nodes = 1
stakes = [30, 10, 10, 10]
hosts = "namespaces"
"""


def partition(*groups: list[str], at_s: float = 5, duration_s: float = 10) -> str:
    spec = f'kind = "partition"\ngroups = {json.dumps(groups)}\nat_s = {at_s}\nduration_s = {duration_s}\n'
    return "[[perturbation]]\n" + spec


def test_links_and_partitions_need_namespaces() -> None:
    links = "[links]\ndelay_ms = 50\n"
    assert '[links] shapes links between hosts: it needs network.hosts = "namespaces"' in manifest_error(
        NETWORK + LOAD + links
    )
    split = partition(["validator0", "validator1", "validator2"], ["validator3", "full0"])
    assert 'a partition needs network.hosts = "namespaces"' in manifest_error(NETWORK + LOAD + split)
    assert parse(HOSTS + LOAD + links + split).links is not None


def test_invalid_partitions() -> None:
    def error(text: str) -> str:
        return manifest_error(HOSTS + LOAD + text)

    assert "needs two groups or more" in error(partition(["validator0"]))
    assert "validator9 not nodes of the network" in error(
        partition(["validator0", "validator1", "validator2", "validator9"], ["validator3", "full0"])
    )
    assert "validator1 in more than one group" in error(
        partition(["validator0", "validator1", "validator2"], ["validator1", "validator3", "full0"])
    )
    assert "full0 are in none" in error(partition(["validator0", "validator1", "validator2"], ["validator3"]))
    named = '[[perturbation]]\nnode = "validator1"\nkind = "partition"\nat_s = 5\nduration_s = 5\n'
    assert "partition is of the whole network: it names no node" in error(named)
    grouped = (
        '[[perturbation]]\nnode = "validator1"\nkind = "kill"\nat_s = 5\nduration_s = 5\ngroups = [["a"]]\n'
    )
    assert "only a partition has groups" in error(grouped)
    restart = '[[perturbation]]\nnode = "full0"\nkind = "restart"\nat_s = 8\nduration_s = 2\n'
    assert "overlap" in error(
        partition(["validator0", "validator1"], ["validator2", "validator3", "full0"]) + restart
    )


def test_a_partition_without_a_two_thirds_side_halts_unless_allowed() -> None:
    # validator0 holds 30 of 60: with validator1 it has 40, exactly 2/3, which is not more.
    even = partition(["validator0", "validator1"], ["validator2", "validator3", "full0"])
    assert "no group holds more than 2/3 of the power, and the chain halts" in manifest_error(
        HOSTS + LOAD + even
    )
    allowed = HOSTS.replace('hosts = "namespaces"', 'hosts = "namespaces"\nallow_halt = true')
    assert faulted_nodes(parse(allowed + LOAD + even)) == set()  # nothing commits, so nobody misses a block
    majority = partition(["validator0", "validator1", "validator2"], ["validator3", "full0"])
    assert faulted_nodes(parse(HOSTS + LOAD + majority)) == {"validator3", "full0"}
    # The provider's outputs are out of reach of the other side: its verifiers miss attestations.
    provider = '[provider]\nnode = "full0"\n'
    assert faulted_nodes(parse(HOSTS + LOAD + provider + majority)) == {
        "validator0",
        "validator1",
        "validator2",
        "validator3",
        "full0",
    }


def test_a_double_signer_is_a_validator_and_stays_down() -> None:
    def double_sign(node: str, at_s: float) -> str:
        return f'[[perturbation]]\nnode = "{node}"\nkind = "double-sign"\nat_s = {at_s}\nduration_s = 10\n'

    assert "only a validator can double-sign" in manifest_error(NETWORK + LOAD + double_sign("full0", 5))
    manifest = parse(NETWORK + LOAD + double_sign("validator3", 5))
    assert double_signers(manifest) == faulted_nodes(manifest) == {"validator3"}
    # Tombstoned, its power never comes back: a kill long after still takes half the power down.
    kill = '[[perturbation]]\nnode = "validator1"\nkind = "kill"\nat_s = 40\nduration_s = 5\n'
    assert "validator1, validator3 are down together: 20 of 40 power" in manifest_error(
        NETWORK + LOAD + double_sign("validator3", 5) + kill
    )


def test_every_problem_is_reported_at_once() -> None:
    text = (
        "[network]\nvalidators = 2\nstakes = [10]\n"
        + LOAD
        + '[[perturbation]]\nnode = "x"\nkind = "kill"\nat_s = 1\n'
    )
    message = manifest_error(text)
    assert message.count("\n  - ") == 3  # the stakes, the node and the missing duration


def test_the_command_refuses_a_bad_manifest_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[network]\nvalidators = 9\n" + LOAD)
    assert main([str(bad), "--workdir", str(tmp_path / "run")]) == EXIT_BAD_MANIFEST
    assert "$.network.validators" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
