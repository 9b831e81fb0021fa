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

- An honest 512 x 512 x 512 GEMM is run, served, checked by its committee and ends valid:
  the provider is paid the deposit and the PoUW reward, its reputation and verified totals
  rise, its energy is unknown (a CPU), and every member attested valid.
- A lazy attestation is disputed: on a job whose committee holds the lazy member, a third
  party fetches the outputs from the provider, finds an entry of C r the member committed to
  that is not row i of C times its vector r, and sends the opened entry and row as
  ``MsgDisputeAttestation``: the member is slashed and jailed, the disputer paid the dispute
  reward, and without the member's attestation the job ends unverified.
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
import hashlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from genesis import doc as genesis_doc
from genesis.schema import ComputeGenesis, ComputeParams, set_section
from gpu.attestation import CrCommitment
from gpu.backend import NumpyBackend
from gpu.challenge import challenge_vector, derive_challenge_seed
from gpu.commit import canonical_bytes
from gpu.header import JobHeader, decode_header, layout, output_layout, work_units
from gpu.jobs import GemmSpec, encode_spec, job_header
from gpu.merkle import commit_chunks
from gpu.prng_scalar import dot
from gpu.proofs import AttestationDispute, encode_dispute
from gpu.run import run_job
from node import config as node_config
from node.keys.hd import PrivateKey
from node.keys.keyring import Keyring
from node.outputs.check import load_cr
from node.outputs.fetch import fetch_outputs
from node.outputs.layout import expected_outputs
from node.verifier import CR_DIR
from tests.e2e.harness import DENOM, REPO_ROOT, Wallet, free_port
from tests.e2e.lazy_verifier import lazy_command
from tests.e2e.network import Network, ValidatorNode
from vm.compute.msgs import MsgDisputeAttestation, MsgSubmitJob
from vm.crypto import VALOPER_HRP, address_from_pubkey
from vm.market.msgs import MsgCreateOffer, MsgCreateOrder
from vm.market.types import GpuClass, Pricing, Requirements
from vm.msg import Msg
from vm.provider.msgs import GpuSpec, MsgRegisterProvider
from vm.types import Coin, parse_address

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
COMMITTEE_SIZE = 3
ATTEST_BLOCKS = 16  # room for a first check to compile gpu/'s kernels
WINDOW_BLOCKS = 18
REWARD_PER_GIGAUNIT = 1_000
VALID_REPUTATION_REWARD = 10
DISPUTE_REWARD = 50_000  # the PoUW pool gets about 8,000 udepin a block: it holds that by then
FALSE_ATTESTATION_SLASH_PERCENT = 5  # the default false_attestation_slash_fraction, 0.05
COMMITTEE_TRIES = 10  # jobs submitted until one's committee holds the lazy member: misses 4^-10
GAS = 500_000
FEE = 5_000
RATE = 3_600_000  # udepin per GPU-hour
LEASE_S = 3_600
DEPOSIT = RATE * LEASE_S // 3_600  # one GPU for the lease
COLLATERAL = 5_000_000
FUNDS = 100_000_000
PRICE = 2_000_000  # each job's deposit
N = 512
JOB = GemmSpec(m=N, k=N, n=N, bound=64, seed=7)
DEADLINE_BLOCKS = 60
H100 = GpuClass("NVIDIA H100 80GB HBM3", 81_559, "9.0")
L4 = GpuClass("NVIDIA L4", 23_034, "8.9")
A100 = GpuClass("NVIDIA A100-SXM4-80GB", 81_920, "8.0")
AVAILABILITY_BOND = 1_000_000  # the default availability_bond
WAIT_S = 60.0
START_TIMEOUT_S = 90.0  # four nodes starting at once on two busy cores
POLL_S = 0.2


def compute_genesis(doc: Any) -> None:
    params = ComputeParams(
        committee_size=COMMITTEE_SIZE,
        attest_blocks=ATTEST_BLOCKS,
        challenge_window_blocks=WINDOW_BLOCKS,
        reward_per_gigaunit=REWARD_PER_GIGAUNIT,
        valid_reputation_reward=VALID_REPUTATION_REWARD,
        dispute_reward=DISPUTE_REWARD,
    )
    set_section(doc, "compute", ComputeGenesis(params=params))


# -- the network, the providers and their leases -----------------------------------------------------

# gpu/'s compiled kernels are cached on disk (numba cache=True). On a fresh checkout the first
# job would compile them in every worker and validator at once, minutes on two cores: compile
# them once here, through the paths the agents take (run, commit, check a fetched file).
WARM_UP = """
import sys
from pathlib import Path
from gpu.backend import NumpyBackend
from gpu.commit import canonical_bytes
from gpu.jobs import GemmSpec
from gpu.run import run_job
from node.outputs.check import check_outputs
from node.outputs.hashing import OutputHasher
spec = GemmSpec(m=256, k=64, n=512, bound=8, seed=1)  # 512 KiB: past gpu/commit.py's FAST_LEAVES
result = run_job(spec, NumpyBackend())
path = Path(sys.argv[1])
path.write_bytes(b"".join(canonical_bytes(output) for output in result.outputs))
assert check_outputs(spec, path, result.result_root, b"warm-up", bytes(32), 3).verdict == "valid"
hasher = OutputHasher([(256, 512)])  # a fetch hashes what it receives: read-only bytes
hasher.update(path.read_bytes())
assert hasher.root() == result.output_root
"""


def warm_up_kernels(work: Path) -> None:
    command = [sys.executable, "-c", WARM_UP, str(work / "warm-up.bin")]
    subprocess.run(command, cwd=REPO_ROOT, check=True, timeout=600, capture_output=True)


class WorkerProcess:
    """``depind worker`` (or a misbehaving variant) for the key ``provider`` in ``home``."""

    def __init__(self, module: str, home: Path, node: ValidatorNode, outputs_port: int) -> None:
        self.log_path = home / "worker.log"
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", module, "worker", "--home", str(home), "--keyring-backend", "test"]
        command += ["--from", "provider", "--node", node.url, "--backend", "numpy"]
        command += ["--outputs-listen", f"127.0.0.1:{outputs_port}", "--withdraw-every", "1000"]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code


@dataclass
class Market:
    """A provider, its worker, and a requester's active lease on one of its GPUs."""

    provider: Wallet
    requester: Wallet
    lease_id: int
    worker: WorkerProcess
    home: Path  # the provider's keyring; the requester's is in home / "requester"


@dataclass
class World:
    network: Network
    node: ValidatorNode
    honest: Market
    dishonest: Market
    withholding: Market
    lazy: ValidatorNode  # attests valid without checking (tests/e2e/lazy_verifier.py)
    disputer: Wallet  # a funded account of no one else's: validator, provider or requester


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("compute")
    warm_up_kernels(root)
    network = Network(root / "net", VALIDATORS)
    workers: list[WorkerProcess] = []
    try:
        for node in network.nodes:
            assert node_config.load(node.home.config_file).verifier.enable
            doc = genesis_doc.load(node.home.genesis_file)
            compute_genesis(doc)
            genesis_doc.save(doc, node.home.genesis_file)
        lazy = network.nodes[-1]
        lazy.command = lazy_command(lazy.home.root)
        network.start_all(timeout=START_TIMEOUT_S)
        node = network.nodes[0]
        funder = Wallet(node, node.account_key)
        disputer_key = PrivateKey(hashlib.sha256(b"compute e2e disputer").digest())
        submit(node, funder, [funder.send_msg(disputer_key.address, FUNDS)])
        disputer = Wallet(node, disputer_key)
        honest = open_market(node, funder, root / "honest", H100, "node.cli.main", workers)
        dishonest = open_market(node, funder, root / "dishonest", L4, "tests.e2e.corrupt_worker", workers)
        withholding = open_market(
            node, funder, root / "withholding", A100, "tests.e2e.withholding_worker", workers
        )
        yield World(network, node, honest, dishonest, withholding, lazy, disputer)
    finally:
        with contextlib.ExitStack() as cleanup:
            for worker in workers:
                cleanup.callback(worker.stop)
            cleanup.callback(network.close)
    for node in network.nodes:
        assert not node.logged_tracebacks(), node.log_tail()
    for worker in workers:
        assert "Traceback" not in worker.log(), worker.log()


def open_market(
    node: ValidatorNode,
    funder: Wallet,
    home: Path,
    gpu_class: GpuClass,
    module: str,
    workers: list[WorkerProcess],
) -> Market:
    """A funded provider registered with its worker's output server as its endpoint, the
    worker started, and a funded requester's lease on it accepted."""
    provider_key = key_in_keyring(home, "provider")
    requester_key = key_in_keyring(home / "requester", "requester")
    submit(
        node,
        funder,
        [funder.send_msg(provider_key.address, FUNDS), funder.send_msg(requester_key.address, FUNDS)],
    )
    provider, requester = Wallet(node, provider_key), Wallet(node, requester_key)
    outputs_port = free_port()
    register = MsgRegisterProvider(
        provider.address,
        [GpuSpec(gpu_class.model, gpu_class.memory_mib, gpu_class.compute_capability, 4, [])],
        "eu-west",
        f"http://127.0.0.1:{outputs_port}",  # the worker's output server: where verifiers fetch
        Coin(DENOM, 0),
        Coin(DENOM, COLLATERAL),
    )
    offer = MsgCreateOffer(provider.address, gpu_class, 4, Pricing(RATE, 0, 0, 0), 60, LEASE_S, ["gemm"])
    submit(node, provider, [register])
    submit(node, provider, [offer])
    worker = WorkerProcess(module, home, node, outputs_port)
    workers.append(worker)
    # A lease not accepted within the market's accept window closes: order only once the worker
    # follows the chain (it takes seconds to start on a loaded machine).
    eventually(lambda: "depind.worker: following" in worker.log(), "the worker's start")
    wanted = Requirements([gpu_class.model], 0, "", 1, [], 0, 0, "")
    submit(
        node, requester, [MsgCreateOrder(requester.address, wanted, LEASE_S, RATE, Coin(DENOM, DEPOSIT), 0)]
    )
    (entry,) = node.rpc("leases", requester=requester.address)["leases"]
    lease_id = int(entry["lease"]["id"])
    eventually(
        lambda: node.rpc("lease", id=lease_id)["lease"]["state"] == "active", "the worker's acceptance"
    )
    return Market(provider, requester, lease_id, worker, home)


def key_in_keyring(home: Path, name: str) -> PrivateKey:
    keyring = Keyring(home, backend="test")
    keyring.add(name)
    return keyring.private_key(name)


# -- the tests ------------------------------------------------------------------------------------


def test_an_honest_result_is_verified_and_paid(world: World) -> None:
    node, market = world.node, world.honest
    reputation = provider_of(node, market.provider.address)["reputation"]
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
    assert int(stats["verified_jobs"]) == 1 and int(stats["verified_work_units"]) == N**3
    assert int(stats["energy_jobs"]) == 0
    log = market.worker.log()
    assert f"job {job_id}: running gemm" in log and f"job {job_id}: done" in log


def test_depind_job_run_waits_for_the_verdict_and_saves_the_checked_outputs(
    world: World, tmp_path: Path
) -> None:
    node, market = world.node, world.honest
    spec = GemmSpec(m=64, k=96, n=80, bound=64, seed=11)
    spec_file = tmp_path / "job.json"
    spec_file.write_bytes(encode_spec(spec))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "node.cli.main", "job", "run", str(spec_file)]
    command += ["--lease", str(market.lease_id), "--from", "requester", "--price", f"{PRICE}{DENOM}"]
    command += ["--home", str(market.home / "requester"), "--keyring-backend", "test", "--node", node.url]
    command += ["--gas", str(GAS), "--fees", f"{FEE}{DENOM}", "--out", str(out), "--yes"]
    command += ["--verdict-timeout", "120"]
    ran = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=False)
    market.requester.sequence += 1
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["state"] == "valid" and answer["outputs"] == str(out / "output.bin")
    assert "verifying: " in ran.stderr and "verdict: valid" in ran.stderr
    expected = b"".join(canonical_bytes(o) for o in run_job(spec, NumpyBackend()).outputs)
    assert (out / "output.bin").read_bytes() == expected
    assert node.rpc("job", id=answer["job_id"])["job"]["state"] == "valid"


def test_a_lazy_attestation_is_disputed_and_slashed(world: World, tmp_path: Path) -> None:
    node, market, lazy, disputer = world.node, world.honest, world.lazy, world.disputer
    member = lazy.account_address
    job = job_judged_by(node, market, member)
    job_id = int(job["id"])
    (record,) = eventually(
        lambda: attestations_of(node, job_id, member) or None, "the lazy member's attestation"
    )
    assert record["verdict"] == "valid"
    cr = load_cr(verifier_dir(lazy) / CR_DIR / str(job_id), bytes.fromhex(record["cr_root"]))
    header = decode_header(bytes.fromhex(job["header"]))
    outputs = fetched_outputs(node, job, header, tmp_path)
    dispute = false_entry_dispute(job, header, member, cr, outputs)
    validator = valoper(lazy)
    tokens = int(node.rpc("validator_staking", address=validator)["tokens"])
    slash = tokens * FALSE_ATTESTATION_SLASH_PERCENT // 100
    balance = node.balance(disputer.address)

    message = MsgDisputeAttestation(disputer.address, job_id, member, encode_dispute(dispute))
    height = submit(node, disputer, [message])

    disputed = event_at(node, height, "attestation_disputed", job_id)
    assert (disputed["member"], disputed["disputer"]) == (member, disputer.address)
    assert disputed["reward"] == str(DISPUTE_REWARD)
    slashed = event_at(node, height, "attester_slashed", job_id)
    assert (slashed["member"], slashed["reason"]) == (member, "false_attestation")
    assert (slashed["burned"], slashed["jailed"]) == (str(slash), "true")
    after = node.rpc("validator_staking", address=validator)
    assert after["jailed"] is True
    assert int(after["tokens"]) == tokens - slash
    assert node.balance(disputer.address) == balance - FEE + DISPUTE_REWARD
    (record,) = attestations_of(node, job_id, member)
    assert record["punished"] is True
    assert record["dispute"] == {"disputer": disputer.address, "height": height}
    # Two honest valid attestations of three equal powers are not more than two thirds.
    ended = eventually(
        lambda: job_in(node, job_id, "valid", "invalid", "unverified"), "the verdict", timeout=90
    )
    assert ended["state"] == "unverified"


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


def verifier_dir(node: ValidatorNode) -> Path:
    """Where the node's verifier service keeps its files (as node.verifier.open_verifier says)."""
    work_dir = node_config.load(node.home.config_file).verifier.work_dir
    return Path(work_dir) if work_dir else node.home.data_dir / "verifier"


def fetched_outputs(node: ValidatorNode, job: dict[str, Any], header: JobHeader, work_dir: Path) -> bytes:
    """The job's outputs from its provider's registered endpoint, accepted only if committed."""
    endpoint = provider_of(node, job["provider"])["endpoint"]
    expected = expected_outputs(header, bytes.fromhex(job["result"]["result_root"]))
    return fetch_outputs(endpoint, expected, work_dir).read_bytes()


def false_entry_dispute(
    job: dict[str, Any], header: JobHeader, member: str, cr: CrCommitment, outputs: bytes
) -> AttestationDispute:
    """The member's first C r entry (output 0, round 0) that is not row i of C times its r_0,
    opened in its C r tree, with row i opened in the output tree."""
    committee = job["committee"]
    seed = derive_challenge_seed(
        bytes.fromhex(job["result"]["result_root"]), parse_address(member), bytes.fromhex(committee["beacon"])
    )
    committed = commit_chunks(output_layout(layout(header)), [outputs])
    rows, cols = layout(header)[0].shape
    c = np.frombuffer(outputs, dtype="<i4").reshape(rows, cols)
    r = challenge_vector(seed, 0, cols, 0)
    for i in range(rows):
        attested = cr.open_entry(0, 0, i)
        if attested.value != dot(c[i].tolist(), r):
            row = committed.open_entries(0, i * cols, cols)
            return AttestationDispute(attested, committed.root, row)
    raise AssertionError("every entry of the member's C r is right")


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


def job_in(node: ValidatorNode, job_id: int, *states: str) -> dict[str, Any] | None:
    job: dict[str, Any] = node.rpc("job", id=job_id)["job"]
    return job if job["state"] in states else None


def provider_of(node: ValidatorNode, owner: str) -> dict[str, Any]:
    answer: dict[str, Any] = node.rpc("provider", owner=owner)
    return answer


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


def submit(node: ValidatorNode, wallet: Wallet, messages: list[Msg]) -> int:
    """Broadcast a tx of ``messages``; the height of its block (it must succeed)."""
    result = node.commit_tx(wallet.sign(messages, fee=FEE, gas=GAS))
    wallet.sequence += 1
    return int(result["height"])


def eventually(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while (found := check()) is None or found is False:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout}s")
        time.sleep(POLL_S)
    return found
