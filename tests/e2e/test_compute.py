"""Proof of useful work end to end: real ``depind start`` validators running the verifier
service, a provider running ``depind worker``, a requester's jobs on an active lease.

One network for the module: four validators (``depind testnet``, which enables each node's
``[verifier]`` with its operator key), committees of three, short windows. Two providers
Three providers
register their output servers as their endpoints: an honest one (``depind worker``, NumPy),
a dishonest one (tests/e2e/corrupt_worker.py, one output entry off by one) and a withholding
one (tests/e2e/withholding_worker.py, which serves nothing and answers no challenge), each
with a requester's active lease. The last validator is lazy (tests/e2e/lazy_verifier.py): it attests
every result valid without checking it, committing to C r vectors of zeros.

- A lazy attestation is caught by an audit, first (so that the lazy member is jailed, and off
  the committees, for the tests after it): on a job whose committee holds the lazy member, each
  honest member's verifier service keeps a random row of C after its own check and disputes
  each other member's attestation with that row alone (``MsgDisputeAttestation``, its bond
  held); the lazy member's service can only answer from its C r of zeros, or not in time: it
  is slashed and jailed, the honest disputer paid the dispute reward and its bond back, and
  without the member's attestation the job ends unverified. The honest members audit each
  other too, answer, and keep their stake. No test code touches any member's files.
- An honest 512 x 512 x 512 GEMM is run, served, checked by its committee and ends valid:
  the provider is paid the deposit and the PoUW reward, its reputation and verified totals
  rise, its energy is unknown (a CPU), and every member attested valid.
- A requester runs ``depind job run`` on a GEMM whose A and B it supplies: the inputs are
  uploaded to the provider's output server, the worker runs the job from them, the committee
  (the lazy member is jailed by then) fetches them and checks the outputs, and the job ends
  valid and paid.
- A corrupted result is caught (the lazy member is jailed by then, so the committee is the
  three honest members): a member's fraud verdict carries the fraud proof, the job is
  invalid at once, the provider's collateral is slashed, the requester refunded its deposit
  with its share of the slash, and the lease closed ``slashed``.
- Withheld outputs are challenged: the members' verifier services fail to fetch them, one
  sends ``MsgChallengeAvailability``, no chunks are posted by the deadline, and the job ends
  invalid (``unavailable``): the provider's collateral is slashed, the requester refunded with
  its share, the lease closed ``slashed``, and the challenger's bond returned with the
  prover's share.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from genesis import doc as genesis_doc
from genesis.compute import ComputeGenesis, ComputeParams
from genesis.schema import set_section
from gpu.backend import NumpyBackend
from gpu.commit import canonical_bytes
from gpu.header import header_digest, work_units
from gpu.jobs import GemmSpec, encode_spec, job_header
from gpu.run import run_job
from node import config as node_config
from tests.e2e.harness import DENOM, REPO_ROOT, Wallet, eventually
from tests.e2e.lazy_verifier import lazy_command
from tests.e2e.market_setup import (
    A100,
    COLLATERAL,
    FEE,
    GAS,
    H100,
    L4,
    Market,
    WorkerProcess,
    open_market,
    submit,
    warm_up_kernels,
)
from tests.e2e.network import Network, ValidatorNode
from vm.compute.msgs import MsgSubmitJob
from vm.crypto import VALOPER_HRP, address_from_pubkey
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
COMMITTEE_SIZE = 3
ATTEST_BLOCKS = 16  # room for a first check to compile gpu/'s kernels
WINDOW_BLOCKS = 18
REWARD_PER_GIGAUNIT = 1_000
VALID_REPUTATION_REWARD = 10
DISPUTE_REWARD = 50_000  # the PoUW pool gets about 8,000 udepin a block: it holds that by then
DISPUTE_BOND = 1_000_000  # the default dispute_bond
FALSE_ATTESTATION_SLASH_PERCENT = 5  # the default false_attestation_slash_fraction, 0.05
COMMITTEE_TRIES = 10  # jobs submitted until one's committee holds the lazy member: misses 4^-10
PRICE = 2_000_000  # each job's deposit
N = 512
JOB = GemmSpec(m=N, k=N, n=N, bound=64, seed=7)
DEADLINE_BLOCKS = 60
AVAILABILITY_BOND = 1_000_000  # the default availability_bond
DISPUTE_ANSWER_BLOCKS = 10  # a lazy member's unanswered dispute settles at the test's pace
START_TIMEOUT_S = 90.0  # four nodes starting at once on two busy cores
FINAL_STATES = ("valid", "invalid", "unverified", "provider_fault")


def compute_genesis(doc: Any) -> None:
    params = ComputeParams(
        committee_size=COMMITTEE_SIZE,
        attest_blocks=ATTEST_BLOCKS,
        challenge_window_blocks=WINDOW_BLOCKS,
        reward_per_gigaunit=REWARD_PER_GIGAUNIT,
        valid_reputation_reward=VALID_REPUTATION_REWARD,
        dispute_reward=DISPUTE_REWARD,
        dispute_answer_blocks=DISPUTE_ANSWER_BLOCKS,
    )
    set_section(doc, "compute", ComputeGenesis(params=params))


# -- the network, the providers and their leases -----------------------------------------------------


@dataclass
class World:
    network: Network
    node: ValidatorNode
    honest: Market
    dishonest: Market
    withholding: Market
    lazy: ValidatorNode  # attests valid without checking (tests/e2e/lazy_verifier.py)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("compute")
    warm_up_kernels(root)
    network = Network(root / "net", VALIDATORS)
    workers: list[WorkerProcess] = []
    try:
        for node in network.nodes:
            config = node_config.load(node.home.config_file)
            assert config.verifier.enable
            # Every member audits every other: the lazy member is disputed on its first job.
            verifier = dataclasses.replace(config.verifier, audit_rate=1.0)
            node.home.config_file.write_text(
                node_config.render(dataclasses.replace(config, verifier=verifier))
            )
            doc = genesis_doc.load(node.home.genesis_file)
            compute_genesis(doc)
            genesis_doc.save(doc, node.home.genesis_file)
        lazy = network.nodes[-1]
        lazy.command = lazy_command(lazy.home.root)
        network.start_all(timeout=START_TIMEOUT_S)
        node = network.nodes[0]
        funder = Wallet(node, node.account_key)
        honest = open_market(node, funder, root / "honest", H100, "node.cli.main", workers)
        dishonest = open_market(node, funder, root / "dishonest", L4, "tests.e2e.corrupt_worker", workers)
        withholding = open_market(
            node, funder, root / "withholding", A100, "tests.e2e.withholding_worker", workers
        )
        yield World(network, node, honest, dishonest, withholding, lazy)
    finally:
        with contextlib.ExitStack() as cleanup:
            for worker in workers:
                cleanup.callback(worker.stop)
            cleanup.callback(network.close)
    for node in network.nodes:
        assert not node.logged_tracebacks(), node.log_tail()
    for worker in workers:
        assert "Traceback" not in worker.log(), worker.log()


# -- the tests ------------------------------------------------------------------------------------


def test_a_lazy_attestation_is_caught_by_an_audit_and_slashed(world: World) -> None:
    """First in the module: the lazy member is jailed, off the committees, for the tests after."""
    node, market, lazy = world.node, world.honest, world.lazy
    member = lazy.account_address
    honest = {n.account_address for n in world.network.nodes if n is not lazy}
    validator = valoper(lazy)
    tokens = int(node.rpc("validator_staking", address=validator)["tokens"])
    job = job_judged_by(node, market, member)
    job_id = int(job["id"])
    (record,) = eventually(
        lambda: [r for r in attestations_of(node, job_id, member) if r["punished"]] or None,
        "the lazy member's conviction by an audit",
        timeout=120,
    )
    assert record["verdict"] == "valid"
    disputer, height = record["dispute"]["disputer"], int(record["dispute"]["height"])
    assert disputer in honest
    (disputed,) = events_of(node, height, height, "attestation_disputed", job_id, member)
    assert disputed["disputer"] == disputer and disputed["reward"] == str(DISPUTE_REWARD)
    assert disputed["proven_by"] in ("wrong_answer", "no_answer")
    sampled = int(job["committee"]["sampled_height"])
    opened = events_of(node, sampled, height, "dispute_opened", job_id, member)
    assert opened and {e["disputer"] for e in opened} <= honest
    assert opened[-1]["disputer"] == disputer and opened[-1]["bond"] == str(DISPUTE_BOND)
    if disputed["proven_by"] == "wrong_answer":  # from its C r of zeros
        (answered,) = events_of(node, height, height, "dispute_answered", job_id, member)
        assert (answered["upheld"], answered["value"]) == ("true", "0") and answered["expected"] != "0"
    (slashed,) = events_of(node, height, height, "attester_slashed", job_id, member)
    assert (slashed["reason"], slashed["jailed"]) == ("false_attestation", "true")
    assert slashed["burned"] == str(tokens * FALSE_ATTESTATION_SLASH_PERCENT // 100)
    after = node.rpc("validator_staking", address=validator)
    assert after["jailed"] is True and int(after["tokens"]) == tokens - int(slashed["burned"])
    # Two honest valid attestations of three equal powers are not more than two thirds.
    ended = eventually(
        lambda: job_in(node, job_id, "valid", "invalid", "unverified"), "the verdict", timeout=90
    )
    assert ended["state"] == "unverified" and ended["disputes"] == []
    # The honest members audited each other too: each answered from its C r and was refuted.
    verdict_height = int(ended["verdict_height"])
    for event in events_of(node, sampled, verdict_height, "dispute_answered", job_id):
        assert event["member"] == member or event["upheld"] == "false"
    for other in world.network.nodes:
        if other is not lazy:
            assert node.rpc("validator_staking", address=valoper(other))["jailed"] is False


def test_an_honest_result_is_verified_and_paid(world: World) -> None:
    node, market = world.node, world.honest
    # The lazy member's test may have left jobs on this lease verifying: let them settle first.
    eventually(lambda: all_settled(node, market), "the lease's earlier verdicts", timeout=90)
    reputation = provider_of(node, market.provider.address)["reputation"]
    before = node.rpc("provider_stats", provider=market.provider.address)["stats"]
    job_id = submit_job(node, market)
    job = eventually(
        lambda: job_in(node, job_id, "valid", "invalid", "unverified"), "the verdict", timeout=90
    )
    assert job["state"] == "valid"
    result = job["result"]
    assert result["energy_known"] is False and int(result["energy_mj"]) == 0  # NumPy: no NVML
    members = {member["operator"] for member in job["committee"]["members"]}
    validators = {v.account_address for v in world.network.nodes}
    assert len(members) == COMMITTEE_SIZE and members <= validators
    attestations = node.rpc("attestations", job_id=job_id)["attestations"]
    assert {a["member"] for a in attestations} == members
    assert {a["verdict"] for a in attestations} == {"valid"}
    reward = REWARD_PER_GIGAUNIT * work_units(job_header(JOB)) // 10**9
    verdict = event_at(node, int(job["verdict_height"]), "job_verdict", job_id)
    assert (verdict["verdict"], verdict["paid"], verdict["reward"]) == (
        "valid",
        str(PRICE),
        str(reward),
    )
    assert provider_of(node, market.provider.address)["reputation"] == reputation + VALID_REPUTATION_REWARD
    stats = node.rpc("provider_stats", provider=market.provider.address)["stats"]
    assert int(stats["verified_jobs"]) == int(before["verified_jobs"]) + 1
    assert int(stats["verified_work_units"]) == int(before["verified_work_units"]) + N**3
    assert int(stats["energy_jobs"]) == 0
    log = market.worker.log()
    assert f"job {job_id}: running gemm" in log and f"job {job_id}: done" in log


def test_depind_job_run_waits_for_the_verdict_and_saves_the_checked_outputs(
    world: World, tmp_path: Path
) -> None:
    node, market = world.node, world.honest
    spec = GemmSpec(m=64, k=96, n=80, bound=64, seed=11)
    out = tmp_path / "out"
    ran = depind_job_run(node, market, spec, tmp_path / "job.json", out)
    answer = json.loads(ran.stdout)
    assert answer["state"] == "valid" and answer["outputs"] == str(out / "output.bin")
    assert "verifying: " in ran.stderr and "verdict: valid" in ran.stderr
    expected = b"".join(canonical_bytes(o) for o in run_job(spec, NumpyBackend()).outputs)
    assert (out / "output.bin").read_bytes() == expected
    assert node.rpc("job", id=answer["job_id"])["job"]["state"] == "valid"


def test_depind_job_run_uploads_supplied_inputs_and_the_job_is_verified_and_paid(
    world: World, tmp_path: Path
) -> None:
    # The lazy member is jailed by now (the module's first test): the committee is the honest three.
    node, market = world.node, world.honest
    rng = np.random.default_rng(13)
    a, b = (rng.integers(-64, 65, 64 * 64).astype(np.int8).tobytes() for _ in range(2))
    spec = GemmSpec(m=64, k=64, n=64, bound=64, a=a, b=b)
    out = tmp_path / "out"
    ran = depind_job_run(node, market, spec, tmp_path / "job.json", out)
    assert "inputs uploaded to http://127.0.0.1:" in ran.stderr
    job_id = json.loads(ran.stdout)["job_id"]
    expected = b"".join(canonical_bytes(o) for o in run_job(spec, NumpyBackend()).outputs)
    assert (out / "output.bin").read_bytes() == expected
    job = node.rpc("job", id=job_id)["job"]
    assert job["state"] == "valid" and job["spec_digest"] == header_digest(job_header(spec)).hex()
    verdict = event_at(node, int(job["verdict_height"]), "job_verdict", job_id)
    assert (verdict["verdict"], verdict["paid"]) == ("valid", str(PRICE))
    assert f"job {job_id}: running gemm" in market.worker.log()


def test_a_corrupted_result_is_proven_wrong(world: World) -> None:
    node, market = world.node, world.dishonest
    collateral = int(provider_of(node, market.provider.address)["collateral"]["amount"])
    job_id = submit_job(node, market)
    balance = node.balance(market.requester.address)  # after the job's deposit and fee
    job = eventually(
        lambda: job_in(node, job_id, "valid", "invalid", "unverified"), "the verdict", timeout=90
    )
    assert job["state"] == "invalid"
    members = {member["operator"] for member in job["committee"]["members"]}
    assert job["fraud"]["prover"] in members
    assert world.lazy.account_address not in members  # jailed by its dispute: not eligible
    height = int(job["verdict_height"])
    fraud = event_at(node, height, "fraud_proven", job_id)
    assert (fraud["tensor"], fraud["row"], fraud["col"]) == ("0", "0", "0")
    slashed = coin_amount(fraud["slashed"])
    assert slashed == COLLATERAL // 10  # provider_slash_fraction 0.1
    assert int(provider_of(node, market.provider.address)["collateral"]["amount"]) == collateral - slashed
    refunded = coin_amount(event_at(node, height, "job_verdict", job_id)["refunded"])
    assert refunded == PRICE
    lease = node.rpc("lease", id=market.lease_id)["lease"]
    assert lease["state"] == "closed" and lease["closed"]["reason"] == "slashed"
    lease_refund = int(lease["closed"]["refunded"])
    expected = balance + refunded + coin_amount(fraud["to_requester"]) + lease_refund
    assert node.balance(market.requester.address) == expected


def test_withheld_outputs_are_challenged_and_slashed(world: World) -> None:
    node, market = world.node, world.withholding
    collateral = int(provider_of(node, market.provider.address)["collateral"]["amount"])
    job_id = submit_job(node, market)
    balance = node.balance(market.requester.address)  # after the job's deposit and fee
    challenged = eventually(
        lambda: job_in(node, job_id, "verifying") if job_availability(node, job_id) else None,
        "a member's availability challenge",
        timeout=90,
    )
    challenge = challenged["availability"]
    challenger = challenge["challenger"]
    assert challenger in {member["operator"] for member in challenged["committee"]["members"]}
    assert int(challenge["bond"]) == AVAILABILITY_BOND
    bonded = node.balance(challenger)  # after the bond and the challenge's fee
    job = eventually(
        lambda: job_in(node, job_id, "valid", "invalid", "unverified"), "the verdict", timeout=90
    )
    assert job["state"] == "invalid"
    height = int(job["verdict_height"])
    failed = event_at(node, height, "availability_failed", job_id)
    assert failed["challenger"] == challenger and failed["bond"] == str(AVAILABILITY_BOND)
    verdict = event_at(node, height, "job_verdict", job_id)
    assert (verdict["verdict"], verdict["reason"]) == ("invalid", "unavailable")
    slashed = coin_amount(failed["slashed"])
    assert slashed == COLLATERAL // 10  # provider_slash_fraction 0.1
    assert int(provider_of(node, market.provider.address)["collateral"]["amount"]) == collateral - slashed
    refunded = coin_amount(verdict["refunded"])
    assert refunded == PRICE
    lease = node.rpc("lease", id=market.lease_id)["lease"]
    assert lease["state"] == "closed" and lease["closed"]["reason"] == "slashed"
    lease_refund = int(lease["closed"]["refunded"])
    expected = balance + refunded + coin_amount(failed["to_requester"]) + lease_refund
    assert node.balance(market.requester.address) == expected
    to_challenger = coin_amount(failed["to_challenger"])
    assert node.balance(challenger) == bonded + AVAILABILITY_BOND + to_challenger
    log = market.worker.log()
    assert f"job {job_id}: done" in log and f"answer job {job_id}'s" not in log


def job_availability(node: ValidatorNode, job_id: int) -> dict[str, Any] | None:
    challenge: dict[str, Any] | None = node.rpc("job", id=job_id)["job"].get("availability")
    return challenge


# -- the dispute ----------------------------------------------------------------------------------


def job_judged_by(node: ValidatorNode, market: Market, member: str) -> dict[str, Any]:
    """A verifying job of ``market`` whose committee holds ``member``: jobs are submitted one
    by one until one is sampled so (a committee of 3 of 4 holds it with probability 3/4)."""
    for _ in range(COMMITTEE_TRIES):
        job = verifying_job(node, submit_job(node, market))
        if member in {entry["operator"] for entry in job["committee"]["members"]}:
            return job
    raise AssertionError(f"{member} was in none of {COMMITTEE_TRIES} committees")


def verifying_job(node: ValidatorNode, job_id: int) -> dict[str, Any]:
    found: dict[str, Any] = eventually(
        lambda: job_in(node, job_id, "verifying"), f"job {job_id}'s committee", timeout=90
    )
    return found


def attestations_of(node: ValidatorNode, job_id: int, member: str) -> list[dict[str, Any]]:
    return [a for a in node.rpc("attestations", job_id=job_id)["attestations"] if a["member"] == member]


def valoper(node: ValidatorNode) -> str:
    return address_from_pubkey(node.account_key.public_key, VALOPER_HRP)


# -- helpers --------------------------------------------------------------------------------------


def submit_job(node: ValidatorNode, market: Market) -> int:
    header = msgspec.msgpack.encode(job_header(JOB))
    message = MsgSubmitJob(
        market.requester.address, market.lease_id, header, DEADLINE_BLOCKS, Coin(DENOM, PRICE)
    )
    height = submit(node, market.requester, [message])
    jobs = node.rpc("jobs", lease_id=market.lease_id)["jobs"]
    (job,) = [job for job in jobs if int(job["submitted_height"]) == height]
    return int(job["id"])


def depind_job_run(
    node: ValidatorNode, market: Market, spec: GemmSpec, spec_file: Path, out: Path
) -> subprocess.CompletedProcess[str]:
    """``depind job run`` of ``spec`` on the market's lease by its requester; it must succeed."""
    spec_file.write_bytes(encode_spec(spec))
    command = [sys.executable, "-m", "node.cli.main", "job", "run", str(spec_file)]
    command += ["--lease", str(market.lease_id), "--from", "requester", "--price", f"{PRICE}{DENOM}"]
    command += ["--home", str(market.home / "requester"), "--keyring-backend", "test", "--node", node.url]
    command += ["--gas", str(GAS), "--fees", f"{FEE}{DENOM}", "--out", str(out), "--yes"]
    command += ["--verdict-timeout", "120"]
    ran = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=False)
    market.requester.sequence += 1
    assert ran.returncode == 0, ran.stderr
    return ran


def all_settled(node: ValidatorNode, market: Market) -> bool:
    jobs = node.rpc("jobs", lease_id=market.lease_id)["jobs"]
    return all(job["state"] in FINAL_STATES for job in jobs)


def job_in(node: ValidatorNode, job_id: int, *states: str) -> dict[str, Any] | None:
    job: dict[str, Any] = node.rpc("job", id=job_id)["job"]
    return job if job["state"] in states else None


def provider_of(node: ValidatorNode, owner: str) -> dict[str, Any]:
    answer: dict[str, Any] = node.rpc("provider", owner=owner)
    return answer


def events_of(
    node: ValidatorNode, first: int, last: int, kind: str, job_id: int, member: str | None = None
) -> list[dict[str, str]]:
    """The ``kind`` events of the job (and of ``member``, if given) in blocks ``first`` to
    ``last``, in order."""
    found = []
    for height in range(first, last + 1):
        results = node.rpc("block_results", height=height)
        events = list(results["finalize_block_events"])
        for tx in results["txs_results"] or []:
            events += tx["events"]
        for event in events:
            attributes = {a["key"]: a["value"] for a in event["attributes"]}
            same_job = event["type"] == kind and attributes.get("job_id") == str(job_id)
            if same_job and (member is None or attributes.get("member") == member):
                found.append(attributes)
    return found


def event_at(node: ValidatorNode, height: int, kind: str, job_id: int) -> dict[str, str]:
    """The ``kind`` event of the job in the block at ``height`` (its txs' or its own)."""
    results = node.rpc("block_results", height=height)
    events = list(results["finalize_block_events"])
    for tx in results["txs_results"] or []:
        events += tx["events"]
    for event in events:
        attributes = {a["key"]: a["value"] for a in event["attributes"]}
        if event["type"] == kind and attributes.get("job_id") == str(job_id):
            return attributes
    raise AssertionError(f"no {kind} event for job {job_id} at height {height}")


def coin_amount(text: str) -> int:
    return int(text.removesuffix(DENOM)) if text else 0
