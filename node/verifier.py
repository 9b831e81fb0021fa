"""The verifier service: a validator's node judges the compute results its operator is
sampled to check (docs/compute.md, "Running the agents"; docs/pouw.md sections 4 and 12).

After each committed block it looks, in the committed state, for jobs in state
``verifying`` whose committee holds its operator, whose attest deadline has not passed, and
that the operator has not attested. It takes the one due first and, on a worker thread so
consensus never waits:

1. fetches the outputs from the provider's registered endpoint (node/outputs/fetch.py:
   bounded in size, time and memory, accepted only if they hash to the committed result),
   then, for a job with supplied tensors, its inputs (node/outputs/inputs.py: accepted only
   if they hash to the header's roots), in no more time than the blocks left before the
   attest deadline, less ``RESERVE_BLOCKS``, are expected to take (node/blockpace.py);
2. checks them with Freivalds' test under its own challenge seed: the committee's beacon
   value and rounds, and its operator's address bytes as the verifier's identity
   (node/outputs/check.py);
3. saves its C r commitment under ``work_dir/cr/<job id>`` (to answer disputes) and
   deletes the fetched outputs.

Back on the event loop it signs ``MsgAttest`` (the attestation; with the fraud proof when
the result is wrong) with the operator's key and puts it in its own node's mempool, which
gossips it. One job is checked at a time. A fetch or check that fails is logged and tried
again ``retry_after_blocks`` later; an attestation that did not land is sent again after
``RESEND_AFTER`` blocks; nothing here stops the node.

Disputes are node/verifier_disputes.py's, in a task of its own: it answers the disputes of
the operator's attestations from the saved C r, and audits the other members from rows of C the
check keeps (``keep_audit_rows``, while the outputs are on disk).

A provider that does not serve its outputs is challenged (docs/compute.md, "Data
availability"): after ``challenge_after_failures`` failed fetches of a job (no answer, a
timeout, a refusal, the wrong bytes: the provider's fault, not this node's disk), or after one
when no other could end before the attest deadline (by which a challenge spares the committee
the liveness slash), while the
job has no challenge and its window is open, the service sends ``MsgChallengeAvailability``
the same way, once per job, if the operator holds the compute ``availability_bond``. Failed
fetches of a job's inputs do not count: the challenge samples outputs (``InputsUnavailable``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from consensus.tasks import TaskStatus
from genesis.schema import AuthParams
from gpu.errors import GpuError
from gpu.header import JobHeader, decode_header, work_units
from gpu.jobs import JobSpec
from node.blockpace import BlockPace
from node.client import GAS_ADJUSTMENT_DEN, GAS_ADJUSTMENT_NUM, build_tx, tx_hash_hex
from node.config import VerifierConfig
from node.keys.hd import PrivateKey
from node.metrics.verifier import VerifierMetrics
from node.outputs.check import CheckResult, OutputsMismatch, check_outputs, save_cr
from node.outputs.fetch import FetchError, FetchLimits, fetch_outputs
from node.outputs.inputs import job_spec
from node.outputs.layout import expected_outputs
from node.verifier_disputes import DisputeService, keep_audit_rows
from vm.auth.keeper import required_fee
from vm.compute.msgs import MsgAttest, MsgChallengeAvailability
from vm.errors import WrongSequence
from vm.execute import TxResult
from vm.msg import Msg
from vm.types import Coin, parse_address

if TYPE_CHECKING:
    from node.node import Node

log = logging.getLogger("depind.verifier")

POLL_S = 0.1  # how often the service looks for a new committed block
PAGE_LIMIT = 100
MAX_PAGES = 20  # verifying jobs read per block: 2,000
RESEND_AFTER = 5  # blocks before an attestation that did not land is sent again
# Blocks kept out of a fetch's time: the attestation or challenge after it must still reach a
# proposer and a block before the attest deadline.
RESERVE_BLOCKS = 2
PROBE_GAS = 2_000_000  # the gas limit of the tx simulated to price an attestation
MIN_INPUTS_FETCH_S = 0.1  # what a job's inputs get when its outputs took the whole budget
FETCH_DIR = "fetch"
CR_DIR = "cr"
PASSPHRASE_ENV = "DEPIND_KEYRING_PASSPHRASE"  # the file keyring's passphrase, as the CLI reads it


class QueryFailed(Exception):
    """The node's own state answered a query with an error."""


class NotCheckable(Exception):
    """The job is one this verifier does not check (too large)."""


class InputsUnavailable(Exception):
    """The provider served the outputs but not the job's supplied inputs. An availability
    challenge samples output chunks only, which such a provider answers, so this failure does
    not count toward one: the job ends unverified unless other members could fetch them."""


@dataclass(frozen=True)
class Assignment:
    """A job this verifier must judge, with what its check needs from the chain."""

    job_id: int
    provider: str
    header: JobHeader
    result_root: bytes
    beacon: bytes
    rounds: int
    attest_deadline: int
    window_end: int  # the last height for an availability challenge
    challenged: bool  # the job's availability was challenged already
    members: tuple[str, ...] = ()  # the committee's operator accounts, in draw order

    @classmethod
    def from_job(cls, job: dict[str, Any]) -> Assignment:
        committee = job["committee"]
        return cls(
            job_id=int(job["id"]),
            provider=job["provider"],
            header=decode_header(bytes.fromhex(job["header"])),
            result_root=bytes.fromhex(job["result"]["result_root"]),
            beacon=bytes.fromhex(committee["beacon"]),
            rounds=int(committee["rounds"]),
            attest_deadline=int(committee["attest_deadline_height"]),
            window_end=int(committee["window_end_height"]),
            challenged=job.get("availability") is not None,
            members=tuple(member["operator"] for member in committee["members"]),
        )


@dataclass(frozen=True)
class Outcome:
    """A checked job: what its MsgAttest carries."""

    job_id: int
    verdict: str
    reason: str
    attestation: bytes
    fraud_proof: bytes


# -- which jobs are ours ----------------------------------------------------------------------------


def is_assigned(job: dict[str, Any], operator: str, height: int) -> bool:
    """The job is verifying, its committee holds ``operator``, and attesting is still open."""
    committee = job.get("committee")
    return (
        job["state"] == "verifying"
        and committee is not None
        and int(committee["attest_deadline_height"]) > height  # the next block may still hold it
        and any(member["operator"] == operator for member in committee["members"])
    )


def has_attested(attestations: list[dict[str, Any]], operator: str) -> bool:
    return any(record["member"] == operator for record in attestations)


def first_due(assignments: list[Assignment]) -> Assignment | None:
    """The assignment whose attest deadline comes first (then the lowest id)."""
    return min(assignments, key=lambda a: (a.attest_deadline, a.job_id), default=None)


def is_challengeable(
    assignment: Assignment, failed_fetches: int, height: int, config: VerifierConfig
) -> bool:
    """Enough fetches failed (or one, when no other could end before the attest deadline), no
    one has challenged the job, and the next block is in its window."""
    enough = failed_fetches >= config.challenge_after_failures or (
        failed_fetches >= 1 and not retry_fits(assignment, height, config)
    )
    return (
        config.challenge_after_failures > 0
        and enough
        and not assignment.challenged
        and height < assignment.window_end
    )


def fetch_blocks(assignment: Assignment, height: int) -> int:
    """The blocks a fetch started at ``height`` may take, leaving the attestation time to land."""
    return assignment.attest_deadline - height - RESERVE_BLOCKS


def retry_fits(assignment: Assignment, height: int, config: VerifierConfig) -> bool:
    """A fetch tried again ``retry_after_blocks`` from now would still have a block to run in."""
    return fetch_blocks(assignment, height + config.retry_after_blocks) > 0


def check_size(assignment: Assignment, config: VerifierConfig) -> None:
    units = work_units(assignment.header)
    if units > config.max_work_units:
        raise NotCheckable(f"{units} work units, over verifier.max_work_units {config.max_work_units}")
    size = expected_outputs(assignment.header, assignment.result_root).size
    if size > config.max_output_bytes:
        raise NotCheckable(f"{size} output bytes, over verifier.max_output_bytes {config.max_output_bytes}")


# -- the check, on a worker thread --------------------------------------------------------------------


def http_endpoint(endpoint: str) -> str:
    """A provider's registered endpoint (``host[:port][/path]``, maybe with a scheme) as a URL."""
    return endpoint if "://" in endpoint else f"http://{endpoint}"


def fetch_limits(config: VerifierConfig, budget_s: float) -> FetchLimits:
    """The config's limits, with no more than ``budget_s`` for the whole download."""
    return FetchLimits(
        range_bytes=config.fetch_range_bytes,
        deadline_s=min(config.fetch_timeout_s, budget_s),
        request_timeout_s=config.request_timeout_s,
        connect_timeout_s=config.connect_timeout_s,
    )


def spec_to_check(header: JobHeader, endpoint: str, limits: FetchLimits) -> JobSpec:
    """The job's spec: its header, or for supplied tensors the inputs its provider serves."""
    try:
        return job_spec(header, http_endpoint(endpoint), limits)
    except FetchError as err:
        raise InputsUnavailable(str(err)) from err


def check_assignment(
    assignment: Assignment,
    endpoint: str,
    operator: bytes,
    work_dir: Path,
    config: VerifierConfig,
    metrics: VerifierMetrics,
    budget_s: float,
) -> Outcome:
    """Fetch (outputs, then inputs, within ``budget_s`` in all), check and keep C r: everything
    but the attestation's signature. Blocking."""
    check_size(assignment, config)
    expected = expected_outputs(assignment.header, assignment.result_root)
    fetching = time.monotonic()
    limits = fetch_limits(config, budget_s)
    outputs = fetch_outputs(http_endpoint(endpoint), expected, work_dir / FETCH_DIR, limits)
    try:
        left_s = max(budget_s - (time.monotonic() - fetching), MIN_INPUTS_FETCH_S)
        spec = spec_to_check(assignment.header, endpoint, fetch_limits(config, left_s))
        checking = time.monotonic()
        metrics.fetch_seconds.observe(checking - fetching)
        result = check_outputs(
            spec,
            outputs,
            assignment.result_root,
            operator,
            assignment.beacon,
            assignment.rounds,
            config.check_threads or None,
        )
        metrics.check_seconds.observe(time.monotonic() - checking)
        if result.cr is not None:  # valid: keep the rows of C that audits of the others need
            keep_audit_rows(assignment, outputs, operator, work_dir, config)
    finally:
        outputs.unlink(missing_ok=True)
    if result.cr is not None:
        save_cr(work_dir / CR_DIR / str(assignment.job_id), result.cr)
    return outcome_of(assignment.job_id, result)


def outcome_of(job_id: int, result: CheckResult) -> Outcome:
    return Outcome(
        job_id, result.verdict, result.reason, result.encoded_attestation, result.fraud_proof or b""
    )


# -- the service --------------------------------------------------------------------------------------


@dataclass
class Verifier:
    """Acts for one operator key in one node; ``run`` follows its committed blocks."""

    node: Node
    key: PrivateKey
    config: VerifierConfig
    work_dir: Path
    metrics: VerifierMetrics = field(default_factory=VerifierMetrics)  # the node's, in open_verifier
    pace: BlockPace = field(default_factory=BlockPace)  # how long blocks take, by their header times
    _sent: dict[int, int] = field(default_factory=dict)  # job -> height its attestation was sent
    _retry_at: dict[int, int] = field(default_factory=dict)  # job -> height to try it again
    _failed_fetches: dict[int, int] = field(default_factory=dict)  # job -> fetches the provider failed
    _challenged: set[int] = field(default_factory=set)  # jobs whose challenge this service sent
    _next_sequence: int = 0  # past the last tx admitted to the mempool
    _signing: trio.Lock = field(default_factory=trio.Lock)  # one tx at a time from the operator

    @property
    def operator(self) -> str:
        return self.key.address

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        log.info("verifying compute results for operator %s in %s", self.operator, self.work_dir)
        async with trio.open_nursery() as nursery:
            await nursery.start(DisputeService(self).run)
            task_status.started()
            await self.follow(self.on_block)

    async def follow(self, on_block: Callable[[int], Awaitable[None]]) -> None:
        """Call ``on_block`` once for each new committed height, looking every ``POLL_S``."""
        seen = 0
        while True:
            height = self.node.app.state.height()
            if height > seen:
                seen = height
                self.pace.observe(height, self.committed_time_s())
                await on_block(height)
            else:
                await trio.sleep(POLL_S)

    async def on_block(self, height: int) -> None:
        """Judge the job due first, if any; a failure is logged and the job tried again later."""
        try:
            assignment = first_due(list(self.assignments(height)))
            if assignment is None:
                return
            endpoint = self.endpoint_of(assignment.provider)
            outcome = await self.check(assignment, endpoint, height)
            if outcome is not None:
                await self.attest(outcome, assignment)
            elif self.may_challenge(assignment, height):
                await self.challenge(assignment)
        except QueryFailed as err:
            log.warning("cannot read the committed state: %s", err)
        except Exception:  # a service of the node: report and go on, never stop consensus
            log.exception("verifier: unexpected failure at height %d", height)

    def assignments(self, height: int) -> Iterator[Assignment]:
        """Verifying jobs this operator must still attest, and may try now."""
        self._forget(height)
        assigned: set[int] = set()
        for job in self.verifying_jobs():
            job_id = int(job["id"])
            if not is_assigned(job, self.operator, height):
                continue
            assigned.add(job_id)
            if job_id in self._sent or job_id in self._retry_at:
                continue
            if has_attested(
                self.query("/compute/attestations", {"job_id": job_id})["attestations"], self.operator
            ):
                continue
            try:
                yield Assignment.from_job(job)
            except GpuError as err:
                log.warning("job %d: cannot read its header: %s", job_id, err)
                self._retry_at[job_id] = height + self.config.retry_after_blocks
        self._forget_settled(assigned)

    async def check(self, assignment: Assignment, endpoint: str, height: int) -> Outcome | None:
        """The outcome of checking the job's outputs, or None if they could not be checked in
        the time its attest deadline leaves."""
        job_id = assignment.job_id
        budget_s = self.pace.seconds_for(fetch_blocks(assignment, height))
        if budget_s <= 0:
            self._retry_at[job_id] = assignment.attest_deadline  # not again: too late to attest
            deadline = assignment.attest_deadline
            log.warning("job %d: too late to fetch before its attest deadline %d", job_id, deadline)
            return None
        log.info("job %d: checking the outputs served at %s (%.1f s to fetch)", job_id, endpoint, budget_s)
        operator = parse_address(self.operator)
        try:
            return await trio.to_thread.run_sync(
                check_assignment,
                assignment,
                endpoint,
                operator,
                self.work_dir,
                self.config,
                self.metrics,
                budget_s,
            )
        except (FetchError, InputsUnavailable, OutputsMismatch, NotCheckable, GpuError, OSError) as err:
            if isinstance(err, FetchError):  # the provider's outputs: its fault, which a challenge shows
                self._failed_fetches[job_id] = self._failed_fetches.get(job_id, 0) + 1
            retry = self.node.app.state.height() + self.config.retry_after_blocks
            self._retry_at[job_id] = retry
            log.warning(
                "job %d: not checked (%s: %s); trying again at height %d",
                job_id,
                type(err).__name__,
                err,
                retry,
            )
            return None

    async def attest(self, outcome: Outcome, assignment: Assignment) -> None:
        """Sign the attestation and put it in this node's mempool (which gossips it)."""
        height = self.node.app.state.height()
        if height >= assignment.attest_deadline:
            log.warning(
                "job %d: checked too late: its attest deadline %d has passed",
                outcome.job_id,
                assignment.attest_deadline,
            )
            return
        message = MsgAttest(self.operator, outcome.job_id, outcome.attestation, outcome.fraud_proof)
        tx, result = await self.send(message)
        if result.code != 0:
            self._retry_at[outcome.job_id] = height + 1
            log.warning("job %d: attestation refused: %s (code %d)", outcome.job_id, result.log, result.code)
            return
        self._sent[outcome.job_id] = height
        log.info(
            "job %d: attested %s (%s): tx %s",
            outcome.job_id,
            outcome.verdict,
            outcome.reason,
            tx_hash_hex(tx),
        )

    # -- data availability -------------------------------------------------------------------------

    def may_challenge(self, assignment: Assignment, height: int) -> bool:
        failed = self._failed_fetches.get(assignment.job_id, 0)
        return assignment.job_id not in self._challenged and is_challengeable(
            assignment, failed, height, self.config
        )

    async def challenge(self, assignment: Assignment) -> None:
        """Challenge the provider to post sampled chunks of the outputs it does not serve,
        if the operator can pay the bond (held until the provider answers)."""
        job_id = assignment.job_id
        params = self.query("/params", {"module": "compute"})["compute"]
        bond, denom = int(params["availability_bond"]), str(params["denom"])
        held = self.balance(denom)
        if held < bond:
            log.warning(
                "job %d: cannot challenge its availability: the bond is %d%s and operator %s holds %d%s",
                job_id,
                bond,
                denom,
                self.operator,
                held,
                denom,
            )
            return
        tx, result = await self.send(MsgChallengeAvailability(self.operator, job_id))
        if result.code != 0:
            log.warning(
                "job %d: availability challenge refused: %s (code %d)", job_id, result.log, result.code
            )
            return
        self._challenged.add(job_id)
        log.info(
            "job %d: challenged the availability of provider %s's outputs (bond %d%s) after %d failed "
            "fetches: tx %s",
            job_id,
            assignment.provider,
            bond,
            denom,
            self._failed_fetches.get(job_id, 0),
            tx_hash_hex(tx),
        )

    # -- reading the committed state ---------------------------------------------------------------

    def query(self, path: str, request: dict[str, Any]) -> Any:
        result = self.node.app.query(path, json.dumps(request).encode())
        if result.code != 0:
            raise QueryFailed(f"{path}: {result.codespace} code {result.code}: {result.log}")
        return json.loads(result.value)

    def verifying_jobs(self) -> Iterator[dict[str, Any]]:
        next_key = ""
        for _ in range(MAX_PAGES):
            page = self.query(
                "/compute/jobs", {"state": "verifying", "limit": PAGE_LIMIT, "next_key": next_key}
            )
            yield from page["jobs"]
            next_key = page["next_key"] or ""
            if not next_key:
                return

    def committed_time_s(self) -> float:
        """The last committed block's header time (BFT time, so blocks a catching-up node
        commits in a burst keep the pace they were made at)."""
        return self.node.app.state.last_time_ns() / 1e9

    def endpoint_of(self, provider: str) -> str:
        return str(self.query("/provider/provider", {"owner": provider})["endpoint"])

    def balance(self, denom: str) -> int:
        (coin,) = self.query("/bank/balances", {"address": self.operator, "denom": denom})["balances"]
        return int(coin["amount"])

    # -- signing -------------------------------------------------------------------------------------

    async def send(self, message: Msg) -> tuple[bytes, TxResult]:
        """Sign ``message`` and put it in this node's mempool: the tx and CheckTx's answer."""
        async with self._signing:
            tx = self.sign([message])
            result = await self.node.submit_tx(tx)
            if result.code == WrongSequence.code:
                self._next_sequence = 0  # another client used the key: take the chain's sequence
            elif result.code == 0:
                self._next_sequence += 1
            return tx, result

    def sign(self, messages: list[Msg]) -> bytes:
        """A tx of ``messages`` from the operator, priced as the node would price it."""
        account = self.query("/auth/account", {"address": self.operator})
        number, sequence = int(account["account_number"]), int(account["sequence"])
        sequence = max(sequence, self._next_sequence)
        self._next_sequence = sequence
        params = AuthParams(**self.query("/params", {"module": "auth"})["auth"])
        chain_id = self.node.chain_id

        def build(gas: int) -> bytes:
            fee = required_fee(params, gas)
            coins = [Coin(params.fee_denom, fee)] if fee else []
            return build_tx(self.key, chain_id, number, sequence, messages, coins, gas)

        simulated = self.node.app.simulate(build(PROBE_GAS))
        if simulated.code != 0:
            log.warning("simulation failed: %s (code %d)", simulated.log, simulated.code)
        gas = max(simulated.gas_used, 1) * GAS_ADJUSTMENT_NUM // GAS_ADJUSTMENT_DEN
        return build(gas)

    def _forget(self, height: int) -> None:
        self._sent = {job: sent for job, sent in self._sent.items() if sent > height - RESEND_AFTER}
        self._retry_at = {job: at for job, at in self._retry_at.items() if at > height}

    def _forget_settled(self, assigned: set[int]) -> None:
        """Drop the fetch counts and challenges of jobs no longer this operator's to attest."""
        self._failed_fetches = {job: n for job, n in self._failed_fetches.items() if job in assigned}
        self._challenged &= assigned


def open_verifier(node: Node) -> Verifier:
    """The verifier that ``[verifier]`` in the node's config.toml describes."""
    config = node.config.verifier
    passphrase = os.environ.get(PASSPHRASE_ENV)
    keyring = node.home.keyring(config.keyring_backend, passphrase)
    key = keyring.private_key(config.key)
    work_dir = Path(config.work_dir) if config.work_dir else node.home.data_dir / "verifier"
    work_dir.mkdir(parents=True, exist_ok=True)
    return Verifier(node, key, config, work_dir, node.metrics.verifier)
