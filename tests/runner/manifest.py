"""The runner's manifest: a TOML file that describes one network, its load and the faults
injected into it, checked before anything starts.

    [network]
    validators = 4               # 1 .. 7, named validator0 .. validator{N-1}
    full_nodes = 1               # 0 .. 4, named full0 ..
    stakes = [20, 10, 10, 10]    # consensus power of each validator (1 = 1 DEPIN); 10 at least
    timeout_commit_s = 0.3
    signed_blocks_window = 100   # x/slashing's liveness window (51 missed of 100 jail)
    voting_blocks = 20           # x/gov's voting period (the upgrade proposal's)
    seed = 1                     # the load's choices
    hosts = "loopback"           # or "namespaces": each node on a host of its own (hosts.py)

    [links]                      # every link shaped as tc netem would (needs namespaces)
    delay_ms = 50
    jitter_ms = 20               # the delay drawn from 50 +- 20 ms
    loss_pct = 1.0

    [load]
    duration_s = 90              # the perturbations happen within it
    sends_per_s = 4              # bank sends
    delegations_per_s = 1        # delegations and undelegations
    market_orders_per_s = 0      # orders, cancels and lease closes: needs [provider]
    jobs_per_s = 0               # PoUW jobs on the provider's lease: needs [provider]
    gov_votes_per_s = 0          # text proposals and votes on them

    [provider]                   # a GPU provider with an offer, running `depind worker`
    node = "full0"               # the node its worker follows

    [[perturbation]]
    node = "validator1"
    kind = "kill"                # kill | pause | restart | disconnect | double-sign | upgrade | partition
    at_s = 20                    # seconds after the load starts
    duration_s = 10              # how long the node stays down (upgrade: the time allowed for
                                 # the votes, then for the stop and the start after the chain's
                                 # last new block; double-sign: how long it runs as a double-signer)

    [[perturbation]]
    kind = "partition"           # of the whole network: every node in exactly one group
    groups = [["validator0", "validator1"], ["validator2", "validator3"]]
    at_s = 40
    duration_s = 20

``kill`` is SIGKILL, then a start after ``duration_s``; ``pause`` SIGSTOP, then SIGCONT;
``restart`` SIGTERM, then a start; ``disconnect`` cuts every p2p link of the node (on the
loopback each link runs through a proxy, tests/e2e/proxy.py; across namespaces iptables
drops its packets), then heals them; ``double-sign`` restarts a validator as a maverick
(tests/e2e/maverick.py) that signs a conflicting prevote after each of its own, then as
itself again: the chain must punish it and no one else; ``upgrade`` (no node) has the validators pass a
software upgrade proposal, waits for every node to stop at its height and starts each as
the next release (tests/e2e/upgraded.py); ``partition`` (namespaces only) drops every packet
between two of its groups, then heals.

``load`` parses and validates a file; any mistake raises ``ManifestError`` with one
message per problem, naming the field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from tests.runner.netem import Shape

MAX_VALIDATORS = 7
MAX_FULL_NODES = 4
BASE_POWER = 10  # what `depind testnet` stakes for each validator; more is delegated at start

Kind = Literal["kill", "pause", "restart", "disconnect", "double-sign", "upgrade", "partition"]
NODE_KINDS: tuple[Kind, ...] = ("kill", "pause", "restart", "disconnect", "double-sign")
NETWORK_KINDS: tuple[Kind, ...] = ("upgrade", "partition")  # of the whole network: name no node
Rate = Annotated[float, msgspec.Meta(ge=0, le=200)]


class Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    pass


class NetworkSpec(Section, frozen=True):
    validators: Annotated[int, msgspec.Meta(ge=1, le=MAX_VALIDATORS)]
    full_nodes: Annotated[int, msgspec.Meta(ge=0, le=MAX_FULL_NODES)] = 0
    stakes: list[Annotated[int, msgspec.Meta(ge=BASE_POWER, le=100_000)]] = []
    timeout_commit_s: Annotated[float, msgspec.Meta(gt=0, le=10)] = 0.3
    signed_blocks_window: Annotated[int, msgspec.Meta(ge=10, le=100_000)] = 100
    voting_blocks: Annotated[int, msgspec.Meta(ge=5, le=10_000)] = 20
    seed: int = 1
    allow_halt: bool = False  # let more than 1/3 of the power be down at once
    hosts: Literal["loopback", "namespaces"] = "loopback"

    def power(self) -> list[int]:
        return list(self.stakes) or [BASE_POWER] * self.validators


class LoadSpec(Section, frozen=True):
    duration_s: Annotated[float, msgspec.Meta(gt=0, le=24 * 3600)]
    sends_per_s: Rate = 0
    delegations_per_s: Rate = 0
    market_orders_per_s: Rate = 0
    jobs_per_s: Rate = 0
    gov_votes_per_s: Rate = 0

    def rates(self) -> dict[str, float]:
        """Txs a second of each kind of load, the kinds with none left out."""
        rates = {
            "sends": self.sends_per_s,
            "delegations": self.delegations_per_s,
            "market_orders": self.market_orders_per_s,
            "jobs": self.jobs_per_s,
            "gov_votes": self.gov_votes_per_s,
        }
        return {kind: rate for kind, rate in rates.items() if rate > 0}


class LinksSpec(Section, frozen=True):
    delay_ms: Annotated[float, msgspec.Meta(ge=0, le=10_000)]
    jitter_ms: Annotated[float, msgspec.Meta(ge=0, le=10_000)] = 0
    loss_pct: Annotated[float, msgspec.Meta(ge=0, le=50)] = 0

    def shape(self) -> Shape:
        return Shape(self.delay_ms, self.jitter_ms, self.loss_pct)


class StorageSpec(Section, frozen=True):
    """Every node's ``[storage]`` (node/config.py): LevelDB's cache and write buffer."""

    cache_mib: Annotated[int, msgspec.Meta(ge=8, le=1 << 20)] = 256
    write_buffer_mib: Annotated[int, msgspec.Meta(ge=1, le=1 << 12)] = 64


class ProviderSpec(Section, frozen=True):
    node: str = "validator0"


class PerturbationSpec(Section, frozen=True):
    kind: Kind
    at_s: Annotated[float, msgspec.Meta(ge=0)]
    duration_s: Annotated[float, msgspec.Meta(ge=0)] = 0
    node: str = ""
    groups: list[list[str]] = []  # a partition's

    @property
    def end_s(self) -> float:
        return self.at_s + self.duration_s

    def describe(self) -> str:
        target = f" {self.node}" if self.node else ""
        return f"{self.kind}{target} at {self.at_s:g} s for {self.duration_s:g} s"


class Manifest(Section, frozen=True):
    network: NetworkSpec
    load: LoadSpec
    links: LinksSpec | None = None
    storage: StorageSpec | None = None
    provider: ProviderSpec | None = None
    perturbation: list[PerturbationSpec] = []

    def validator_names(self) -> list[str]:
        return validator_names(self.network.validators)

    def node_names(self) -> list[str]:
        full = [f"full{i}" for i in range(self.network.full_nodes)]
        return [*self.validator_names(), *full]

    def has(self, kind: Kind) -> bool:
        return any(p.kind == kind for p in self.perturbation)


class ManifestError(Exception):
    """The manifest cannot be run; the message says every reason found."""


def validator_names(count: int) -> list[str]:
    return [f"validator{i}" for i in range(count)]


def load(path: Path) -> Manifest:
    try:
        text = path.read_text()
    except OSError as error:
        raise ManifestError(f"{path}: {error.strerror}") from None
    return parse(text, str(path))


def parse(text: str, source: str = "manifest") -> Manifest:
    """A checked manifest from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"{source}: not TOML: {error}") from None
    try:
        manifest = msgspec.convert(data, Manifest)
    except msgspec.ValidationError as error:
        raise ManifestError(f"{source}: {error}") from None
    problems = find_problems(manifest)
    if problems:
        raise ManifestError(f"{source}:\n" + "\n".join(f"  - {p}" for p in problems))
    return manifest


# -- checks across fields ---------------------------------------------------------------------


def find_problems(manifest: Manifest) -> list[str]:
    """Every reason the manifest cannot run as written."""
    return [
        *stake_problems(manifest.network),
        *links_problems(manifest),
        *provider_problems(manifest),
        *[problem for p in manifest.perturbation for problem in perturbation_problems(manifest, p)],
        *overlap_problems(manifest.perturbation),
        *halt_problems(manifest),
    ]


def stake_problems(network: NetworkSpec) -> list[str]:
    if network.stakes and len(network.stakes) != network.validators:
        return [f"network.stakes lists {len(network.stakes)} stakes for {network.validators} validators"]
    return []


def links_problems(manifest: Manifest) -> list[str]:
    if manifest.links is not None and manifest.network.hosts != "namespaces":
        return ['[links] shapes links between hosts: it needs network.hosts = "namespaces"']
    return []


def provider_problems(manifest: Manifest) -> list[str]:
    problems = []
    if manifest.provider is None:
        for kind in ("market_orders", "jobs"):
            if kind in manifest.load.rates():
                problems.append(f"load.{kind}_per_s needs a [provider]")
    elif manifest.provider.node not in manifest.node_names():
        problems.append(f"provider.node {manifest.provider.node!r} is not a node of the network")
    return problems


def perturbation_problems(manifest: Manifest, p: PerturbationSpec) -> list[str]:
    where = f"perturbation {p.describe()}"
    problems = []
    if p.kind in NETWORK_KINDS:
        if p.node:
            problems.append(f"{where}: {p.kind} is of the whole network: it names no node")
    elif p.node not in manifest.node_names():
        names = ", ".join(manifest.node_names())
        problems.append(f"{where}: node {p.node!r} is not one of {names}")
    if p.kind == "partition":
        problems += partition_problems(manifest, p, where)
    elif p.groups:
        problems.append(f"{where}: only a partition has groups")
    if p.kind == "double-sign" and p.node not in manifest.validator_names():
        problems.append(f"{where}: only a validator can double-sign")
    if p.kind in ("kill", "pause", "disconnect", "double-sign", "upgrade", "partition") and p.duration_s <= 0:
        problems.append(f"{where}: duration_s must be more than 0")
    if p.end_s > manifest.load.duration_s:
        problems.append(f"{where}: ends after the load ({manifest.load.duration_s:g} s)")
    if p.kind == "upgrade" and sum(q.kind == "upgrade" for q in manifest.perturbation) > 1:
        problems.append(f"{where}: at most one upgrade")
    return problems


def partition_problems(manifest: Manifest, p: PerturbationSpec, where: str) -> list[str]:
    problems = []
    if manifest.network.hosts != "namespaces":
        problems.append(f'{where}: a partition needs network.hosts = "namespaces"')
    if len(p.groups) < 2:
        problems.append(f"{where}: a partition needs two groups or more")
    listed = [name for group in p.groups for name in group]
    unknown = sorted(set(listed) - set(manifest.node_names()))
    if unknown:
        problems.append(f"{where}: {', '.join(unknown)} not nodes of the network")
    twice = sorted({name for name in listed if listed.count(name) > 1})
    if twice:
        problems.append(f"{where}: {', '.join(twice)} in more than one group")
    missing = [name for name in manifest.node_names() if name not in listed]
    if missing:
        problems.append(f"{where}: every node must be in a group; {', '.join(missing)} are in none")
    return problems


def overlap_problems(perturbations: list[PerturbationSpec]) -> list[str]:
    """One perturbation at a time on a node; nothing else while an upgrade or a partition runs."""
    problems = []
    for i, a in enumerate(perturbations):
        for b in perturbations[i + 1 :]:
            together = a.kind in NETWORK_KINDS or b.kind in NETWORK_KINDS or a.node == b.node
            if together and a.at_s <= b.end_s and b.at_s <= a.end_s:
                problems.append(f"perturbations {a.describe()} and {b.describe()} overlap")
    return problems


def halt_problems(manifest: Manifest) -> list[str]:
    """Validators down together must hold less than 1/3 of the power, or the chain halts
    (which a manifest may want: ``allow_halt``)."""
    if manifest.network.allow_halt or stake_problems(manifest.network):
        return []  # stakes that do not match the validators are reported on their own
    power = dict(zip(manifest.validator_names(), manifest.network.power(), strict=True))
    total = sum(power.values())
    downs = [p for p in manifest.perturbation if p.kind in NODE_KINDS and p.node in power]
    problems = [
        f"perturbation {p.describe()}: no group holds more than 2/3 of the power, and the chain halts "
        "(set network.allow_halt = true to test that)"
        for p in manifest.perturbation
        if p.kind == "partition" and majority(p.groups, power) is None
    ]
    for start in sorted({p.at_s for p in downs}):
        down = sorted({p.node for p in downs if p.at_s <= start <= down_until(p, manifest)})
        lost = sum(power[name] for name in down)
        if 3 * lost >= total:
            problems.append(
                f"at {start:g} s {', '.join(down)} are down together: {lost} of {total} power, "
                "and the chain halts without more than 2/3 (set network.allow_halt = true to test that)"
            )
    return problems


def down_until(p: PerturbationSpec, manifest: Manifest) -> float:
    """When a perturbed validator's power is back: a double-signer's never (it is tombstoned)."""
    return manifest.load.duration_s if p.kind == "double-sign" else p.end_s


def double_signers(manifest: Manifest) -> set[str]:
    return {p.node for p in manifest.perturbation if p.kind == "double-sign"}


def majority(groups: list[list[str]], power: dict[str, int]) -> list[str] | None:
    """The group holding more than 2/3 of the power, which goes on committing in a partition."""
    total = sum(power.values())
    return next((g for g in groups if 3 * sum(power.get(name, 0) for name in g) > 2 * total), None)


def faulted_nodes(manifest: Manifest) -> set[str]:
    """The nodes some perturbation stops or cuts off: the only validators that may miss blocks
    or attestations enough to be punished for it. An upgrade stops all of them. A partition
    cuts off those outside the group that goes on committing (none miss a block when no group
    can), and those outside the provider's group from the outputs they must check."""
    power = dict(zip(manifest.validator_names(), manifest.network.power(), strict=True))
    faulted = set()
    for p in manifest.perturbation:
        if p.kind == "upgrade":
            faulted |= set(manifest.node_names())
        elif p.kind == "partition":
            committing = majority(p.groups, power)
            faulted |= set() if committing is None else set(manifest.node_names()) - set(committing)
            if manifest.provider is not None:
                (serving,) = [g for g in p.groups if manifest.provider.node in g]
                faulted |= set(manifest.node_names()) - set(serving)
        else:
            faulted.add(p.node)
    return faulted
