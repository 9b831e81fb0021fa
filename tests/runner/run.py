"""One run of a manifest, start to verdict:

1. the testbed: ``depind testnet`` homes, genesis edits, full nodes, proxies if needed,
   every node started, stakes delegated, the provider's market opened;
2. the load's lanes, the block follower and one thread per perturbation, for
   ``load.duration_s``;
3. the network settles: every node up must reach a few blocks past the highest height;
4. the reads and the checks (checks.py), the report; every process stopped.

``run`` never raises for what happens to the network: a failure becomes the report's
``error`` or a violation, and the report says which.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

from node.services import VALCONS_HRP
from tests.e2e.harness import NodeFailure, RPCFailure
from tests.runner import chain, checks
from tests.runner.checks import CheckResult, LivenessRule, ValidatorInfo
from tests.runner.load import FUNDER, Committed, Endpoints, Lane, Ledger, LoadPlan, funded_keys, make_lanes
from tests.runner.manifest import Manifest, double_signers, faulted_nodes
from tests.runner.perturb import Perturber, Timeline, UpgradeWindow
from tests.runner.report import Report, SlashEntry
from tests.runner.testbed import START_TIMEOUT_S, Member, Testbed, valoper
from vm.crypto import encode_address

SETTLE_BLOCKS = 3  # past the highest height when the load ended
SETTLE_TIMEOUT_S = 180.0
PERTURBATION_GRACE_S = START_TIMEOUT_S + 60.0  # a node's start after the load ended, and more


During = Callable[[Testbed, chain.Follower, Ledger], None]
"""What the run does while the load and the perturbations go on, for ``load.duration_s``."""


def wait_out(testbed: Testbed, follower: chain.Follower, ledger: Ledger) -> None:
    """The load's duration, doing nothing else (a soak samples the processes instead)."""
    time.sleep(testbed.manifest.load.duration_s)


def run(manifest: Manifest, source: str, workdir: Path, during: During = wait_out) -> Report:
    report = Report(
        manifest=source,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        workdir=str(workdir),
        network=describe(manifest),
        load_s=manifest.load.duration_s,
    )
    began = time.monotonic()
    kinds = list(manifest.load.rates())
    testbed: Testbed | None = None
    try:
        testbed = Testbed(manifest, workdir / "testbed", funded_keys(kinds))
        testbed.start(FUNDER)
        exercise(testbed, report, during)
    except Exception as error:  # kept in the report, its traceback on stderr
        report.error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    finally:
        if testbed is not None:
            testbed.close()
    if testbed is not None:
        report.checks.append(log_check(testbed))
        if testbed.hosts is not None:
            report.links = testbed.hosts.shaper_stats()  # written as the shapers stopped
    report.elapsed_s = round(time.monotonic() - began, 1)
    return report


def describe(manifest: Manifest) -> str:
    power = ", ".join(map(str, manifest.network.power()))
    hosts = (
        "each on a network namespace of its own" if manifest.network.hosts == "namespaces" else "on 127.0.0.1"
    )
    links = manifest.links
    return (
        f"{manifest.network.validators} validators (power {power}), {manifest.network.full_nodes} full "
        f"node(s) {hosts}, commit timeout {manifest.network.timeout_commit_s:g} s"
        + (f", links {links.shape().describe()}" if links else "")
        + (f", provider on {manifest.provider.node}" if manifest.provider else "")
    )


def exercise(testbed: Testbed, report: Report, during: During) -> None:
    """Load and perturbations for the manifest's duration, then the checks."""
    ledger = Ledger(list(testbed.manifest.load.rates()))
    urls = {member.name: member.url for member in testbed.members}
    follower = chain.Follower(Endpoints(urls), ledger)
    follower.start()
    try:
        timeline, perturbers, problems = drive(testbed, ledger, Endpoints(urls), follower, during)
        report.timeline = timeline.entries()
        report.lanes = ledger.stats
        report.logs = ledger.logs
        lagging, through = settle(testbed.members)
        if not follower.wait_through(through, SETTLE_TIMEOUT_S):
            problems.append(f"the follower did not read blocks through height {through}")
    finally:
        records = follower.stop()
    report.height = through
    names = {valcons(m): m.name for m in testbed.validators()}
    report.slashes = [
        SlashEntry(slash.height, names.get(slash.address, slash.address), slash.reason)
        for record in records
        for slash in record.slashes
    ]
    upgraded = next((p.upgraded for p in perturbers if p.upgraded is not None), None)
    report.checks = final_checks(testbed, records, ledger, through, lagging, problems, upgraded)


def drive(
    testbed: Testbed, ledger: Ledger, endpoints: Endpoints, follower: chain.Follower, during: During
) -> tuple[Timeline, list[Perturber], list[str]]:
    """The lanes and the perturbations for ``load.duration_s``; every lane stopped and every
    perturbation finished (or given up) on return, with the problems they met."""
    manifest = testbed.manifest
    plan = LoadPlan(
        manifest.load.rates(),
        manifest.load.duration_s,
        manifest.network.seed,
        testbed.chain_id,
        [valoper(m.validator) for m in testbed.validators() if m.validator is not None],
        testbed.market,
    )
    lanes = make_lanes(plan, testbed.members[0].process, endpoints, ledger)
    halt = threading.Event()
    timeline = Timeline(time.monotonic(), lambda: follower.height)
    window = UpgradeWindow()
    perturbers = [Perturber(spec, testbed, timeline, halt, window) for spec in manifest.perturbation]
    problems: list[str] = []
    try:
        for thread in [*lanes, *perturbers]:
            thread.start()
        during(testbed, follower, ledger)
    except BaseException:
        halt.set()  # interrupted: no node is started again
        raise
    finally:
        problems += stop_lanes(lanes)
        problems += join_perturbers(perturbers, halt)
    return timeline, perturbers, problems


def stop_lanes(lanes: Sequence[Lane]) -> list[str]:
    problems = []
    for lane in lanes:
        try:
            lane.stop()
        except Exception as error:  # the lane's own failure, re-raised by stop()
            problems.append(f"the {lane.kind} load stopped early: {type(error).__name__}: {error}")
    return problems


def join_perturbers(perturbers: Sequence[Perturber], halt: threading.Event) -> list[str]:
    """Let each perturbation finish mending its node (bounded), then stop the rest."""
    deadline = time.monotonic() + PERTURBATION_GRACE_S
    for perturber in perturbers:
        perturber.join(max(deadline - time.monotonic(), 0.1))
    halt.set()
    problems = []
    for perturber in perturbers:
        perturber.join(PERTURBATION_GRACE_S)
        if perturber.is_alive():
            problems.append(
                f"{perturber.spec.describe()}: still running {PERTURBATION_GRACE_S:g} s after the load"
            )
        problems += perturber.problems
    return problems


def settle(members: Sequence[Member]) -> tuple[dict[str, str], int]:
    """Every running node reaches SETTLE_BLOCKS past the highest height now; (the nodes that
    did not, with why; that height)."""
    heights = {m.name: height_of(m) for m in members}
    target = max((h for h in heights.values() if h is not None), default=0) + SETTLE_BLOCKS
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    lagging = {}
    for member in members:
        if not member.process.is_running():
            code = None if member.process.process is None else member.process.process.returncode
            lagging[member.name] = f"is not running at the end (exit code {code})"
            continue
        try:
            member.process.wait_height(target, max(deadline - time.monotonic(), 1.0))
        except NodeFailure:
            lagging[member.name] = f"stayed at height {height_of(member)}, short of {target}"
    return lagging, target


def height_of(member: Member) -> int | None:
    try:
        return member.process.height()
    except (httpx.HTTPError, RPCFailure):
        return None


# -- the checks -------------------------------------------------------------------------------------


def final_checks(
    testbed: Testbed,
    records: list[chain.BlockRecord],
    ledger: Ledger,
    through: int,
    lagging: dict[str, str],
    problems: list[str],
    upgraded: tuple[str, int] | None,
) -> list[CheckResult]:
    up = [m for m in testbed.members if m.name not in lagging]
    liveness = CheckResult("liveness", "every node up at the end caught up", checks.caught_up(lagging))
    perturbations = CheckResult("perturbations", "every perturbation ran and its node came back", problems)
    if not up:  # nothing to read the chain from: why, at least
        return [liveness, perturbations]
    views = {m.name: chain.read_view(m.process, through) for m in up}
    served = {r.height: (r.block_hash, r.app_hash) for r in records if r.height <= through}
    reference = views[up[0].name]
    committed = {h: c for h, c in ledger.committed.items() if c.height <= through}
    validators = validator_infos(testbed, up[0])
    window, min_signed = chain.slashing_window(up[0].process)
    faulted = faulted_nodes(testbed.manifest)
    cheats = double_signers(testbed.manifest)
    results = [
        CheckResult(
            "same chain",
            "one block hash and app hash per height on every node and in every block served during the run",
            checks.same_chain({**views, "the blocks served during the run": served}, through),
        ),
        CheckResult(
            "committed txs",
            f"each of the {len(committed)} txs committed to a client is found by every node, in that block",
            checks.committed_in_chain(committed, lookup_all(up, committed), reference),
        ),
        CheckResult("committed once", "no tx is in two blocks", checks.committed_once(ledger.repeated)),
        CheckResult(
            "invariants",
            "the invariants query finds nothing broken on any node",
            checks.invariants_hold({m.name: chain.broken_invariants(m.process) for m in up}),
        ),
        CheckResult(
            "double signing",
            "evidence against every validator made to double-sign and against no honest one",
            checks.double_signing(records, validators, cheats),
        ),
        CheckResult(
            "slashes",
            "every slash is explained by a fault injected, and every due slash happened",
            checks.slashes_match_faults(
                records, validators, faulted, LivenessRule(window, min_signed), cheats
            ),
        ),
        CheckResult(
            "load", "every kind of load got txs committed", checks.load_committed(ledger.stats, ledger.faults)
        ),
        liveness,
        perturbations,
    ]
    if testbed.hosts is not None:
        results.append(
            CheckResult(
                "links",
                "every link shaper ran to the end (a dead one cuts its host off)",
                testbed.hosts.shaper_problems(),
            )
        )
    if upgraded is not None:
        applied = {m.name: chain.applied_height(m.process, upgraded[0]) for m in up}
        results.append(
            CheckResult(
                "upgrade",
                "the upgrade ran at its height on every node",
                checks.upgrade_applied(upgraded, applied),
            )
        )
    return results


def validator_infos(testbed: Testbed, reader: Member) -> list[ValidatorInfo]:
    infos = []
    for member in testbed.validators():
        assert member.validator is not None
        address = member.validator.validator_address
        start = chain.signing_start(reader.process, address)
        infos.append(ValidatorInfo(member.name, address, valcons(member), start))
    return infos


def valcons(member: Member) -> str:
    """A validator's consensus address in bech32, as slashing events name it."""
    assert member.validator is not None
    return encode_address(bytes.fromhex(member.validator.validator_address), VALCONS_HRP)


def lookup_all(
    members: Sequence[Member], committed: dict[str, Committed]
) -> dict[str, dict[str, checks.Lookup]]:
    """``tx`` for every committed hash on every node, the nodes in parallel."""

    def lookup(member: Member) -> dict[str, checks.Lookup]:
        return {hash_: chain.find_tx(member.process, hash_) for hash_ in committed}

    with ThreadPoolExecutor(max_workers=len(members)) as pool:
        found = list(pool.map(lookup, members))
    return {member.name: answers for member, answers in zip(members, found, strict=True)}


def log_check(testbed: Testbed) -> CheckResult:
    tracebacks = {m.name: m.process.logged_tracebacks() for m in testbed.members}
    for name, log in testbed.worker_logs().items():
        tracebacks[name] = [log[log.index("Traceback") :][:3000]] if "Traceback" in log else []
    return CheckResult("logs", "no node or worker logged a traceback", checks.clean_logs(tracebacks))
