"""The verifier service's part in disputes (docs/compute.md, "Disputes"): it answers the disputes
of its operator's attestations, and audits the other members of the committees it sits on.

Only a member holds its vectors C r, so a dispute may carry only row i of C (gpu/proofs.py
``RowDispute``) and the member must answer by opening its entry i; one that attested without
computing C r cannot, and is slashed.

- **Answers.** After each committed block the service reads the verifying jobs; for each dispute
  of its operator's attestation that awaits an answer and whose deadline is ahead, it opens the
  disputed entry from the C r commitment the check saved (``work_dir/cr/<job id>``,
  node/outputs/check.py) and sends ``MsgAnswerDispute``, again after ``RESEND_AFTER`` blocks if
  the dispute still waits.
- **Audits.** When the check of a job finds it valid, the outputs are still on disk: for each
  other member of the committee, with probability ``audit_rate`` (local randomness, which no one
  else sees), it draws an entry of that member's C r uniformly and keeps the row of C it needs,
  opened in the output tree, as an encoded row dispute under ``work_dir/audit/<job id>/<member>``
  (``keep_audit_rows``, on the check's worker thread: the outputs stay memory-mapped, the tree's
  hashes take about 64 bytes per KiB of output while the rows are opened, and disk keeps one row
  per member). Once the member has attested valid, while the job's window is open and
  if the operator holds the compute param ``dispute_bond``, the service sends that dispute
  (``MsgDisputeAttestation``) and removes the file: once, or again after another dispute of the
  member that was waiting (code 26) is answered. An honest member answers
  and receives the bond; a member that attested without reading C cannot answer, and the bond
  comes back with the dispute reward.
- Files of jobs no longer verifying are removed.

The service runs beside the attesting loop of node/verifier.py, in a task of its own, so that an
answer never waits for a long check; both sign with the operator's key through
``Verifier.send``, one transaction at a time.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from consensus.tasks import TaskStatus
from gpu.attestation import gemm_tensors
from gpu.commit import commit_outputs
from gpu.header import JobHeader, StepLayout, layout
from gpu.proofs import RowDispute, encode_cr_opening, encode_row_dispute
from node.client import tx_hash_hex
from node.config import VerifierConfig
from node.outputs.check import CrStoreError, load_cr, map_outputs
from vm.compute.errors import DisputePending
from vm.compute.msgs import MsgAnswerDispute, MsgDisputeAttestation
from vm.types import parse_address

if TYPE_CHECKING:
    from node.verifier import Assignment, Verifier

log = logging.getLogger("depind.verifier")

AUDIT_DIR = "audit"
RESEND_AFTER = 5  # blocks before an answer to a dispute that still waits is sent again

Entry = tuple[int, int, int]  # tensor, round, row of a member's C r


# -- which entry, and the row it needs ---------------------------------------------------------------


def draw_entry(steps: Sequence[StepLayout], rounds: int, rng: random.Random) -> Entry:
    """An entry of a member's C r, uniform over all of them: (GEMM output, round, row)."""
    rows = [(tensor, steps[tensor].shape[0]) for tensor in gemm_tensors(steps)]
    index = rng.randrange(sum(count for _, count in rows) * rounds)
    for tensor, count in rows:
        if index < count * rounds:
            return tensor, index // count, index % count
        index -= count * rounds
    raise AssertionError("the index is below the number of entries")


def audited(members: Sequence[str], operator: bytes, rate: float, rng: random.Random) -> list[str]:
    """The other members to audit: each with probability ``rate``."""
    return [m for m in members if parse_address(m) != operator and rng.random() < rate]


def row_disputes(header: JobHeader, outputs: Path, entries: Sequence[Entry]) -> list[RowDispute]:
    """For each entry, the row of C it is computed from, opened in the output tree of the
    canonical outputs in ``outputs`` (memory-mapped: the tree's hashes are what is held)."""
    steps = layout(header)
    commitment = commit_outputs(map_outputs(outputs, tuple(step.shape for step in steps)))
    disputes = []
    for tensor, round_index, row in entries:
        cols = steps[tensor].shape[1]
        opening = commitment.open_entries(tensor, row * cols, cols)
        disputes.append(RowDispute(tensor, round_index, row, commitment.root, opening))
    return disputes


def keep_audit_rows(
    assignment: Assignment,
    outputs: Path,
    operator: bytes,
    work_dir: Path,
    config: VerifierConfig,
    rng: random.Random | None = None,
) -> None:
    """After a valid check, while ``outputs`` is on disk: the row disputes of the members to
    audit, one file each under ``work_dir/audit/<job id>``. Blocking (a worker thread's)."""
    draw = rng if rng is not None else secrets.SystemRandom()
    members = audited(assignment.members, operator, config.audit_rate, draw)
    if not members:
        return
    steps = layout(assignment.header)
    entries = [draw_entry(steps, assignment.rounds, draw) for _ in members]
    folder = work_dir / AUDIT_DIR / str(assignment.job_id)
    folder.mkdir(parents=True, exist_ok=True)
    for member, dispute in zip(members, row_disputes(assignment.header, outputs, entries), strict=True):
        write_atomically(folder / member, encode_row_dispute(dispute))


def write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


# -- the service ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    """A row dispute kept for a member of a job's committee."""

    job_id: int
    member: str
    path: Path


def pending_audits(work_dir: Path) -> Iterator[Audit]:
    root = work_dir / AUDIT_DIR
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and folder.name.isdigit():
            for path in sorted(folder.iterdir()):
                if not path.name.endswith(".part"):
                    yield Audit(int(folder.name), path.name, path)


def disputes_of(job: dict[str, Any], member: str) -> list[dict[str, Any]]:
    """The job's disputes awaiting ``member``'s answer (at most one)."""
    return [pending for pending in job.get("disputes", []) if pending["member"] == member]


@dataclass
class DisputeService:
    """Answers and audits for the operator of ``verifier``; ``run`` follows committed blocks."""

    verifier: Verifier
    _answered: dict[tuple[int, int], int] = field(default_factory=dict)  # (job, opened) -> sent at
    _short_of_bond: set[tuple[int, str]] = field(default_factory=set)  # audits logged as unpaid

    @property
    def operator(self) -> str:
        return self.verifier.operator

    @property
    def work_dir(self) -> Path:
        return self.verifier.work_dir

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await self.verifier.follow(self.on_block)

    async def on_block(self, height: int) -> None:
        """Answer what waits for the operator, then send the audits that are due."""
        from node.verifier import QueryFailed  # node/verifier.py imports this module

        try:
            jobs = {int(job["id"]): job for job in self.verifier.verifying_jobs()}
            self._answered = {key: at for key, at in self._answered.items() if key[0] in jobs}
            for job in jobs.values():
                for pending in disputes_of(job, self.operator):
                    await self.answer(job, pending, height)
            await self.audit(jobs, height)
        except QueryFailed as err:
            log.warning("cannot read the committed state: %s", err)
        except Exception:  # a service of the node: report and go on, never stop consensus
            log.exception("verifier: unexpected failure in disputes at height %d", height)

    # -- answers ---------------------------------------------------------------------------------

    async def answer(self, job: dict[str, Any], pending: dict[str, Any], height: int) -> None:
        """Open the disputed entry of the operator's C r and send it, while the deadline allows."""
        from node.verifier import CR_DIR  # node/verifier.py imports this module

        job_id, opened = int(job["id"]), int(pending["opened_height"])
        sent = self._answered.get((job_id, opened))
        if int(pending["deadline_height"]) <= height or (sent is not None and sent > height - RESEND_AFTER):
            return
        entry = (int(pending["tensor"]), int(pending["round"]), int(pending["row"]))
        folder = self.work_dir / CR_DIR / str(job_id)
        try:
            opening = await trio.to_thread.run_sync(open_cr_entry, folder, self.cr_root(job_id), entry)
        except (CrStoreError, IndexError, ValueError) as err:
            log.warning("job %d: cannot answer the dispute of entry %s: %s", job_id, entry, err)
            return
        tx, result = await self.verifier.send(MsgAnswerDispute(self.operator, job_id, opening))
        if result.code != 0:
            log.warning("job %d: answer refused: %s (code %d)", job_id, result.log, result.code)
            return
        self._answered[(job_id, opened)] = height
        log.info(
            "job %d: answered the dispute of entry %s by %s: tx %s",
            job_id,
            entry,
            pending["disputer"],
            tx_hash_hex(tx),
        )

    def cr_root(self, job_id: int) -> bytes:
        records = self.verifier.query("/compute/attestations", {"job_id": job_id})["attestations"]
        (record,) = [r for r in records if r["member"] == self.operator]
        return bytes.fromhex(record["cr_root"])

    # -- audits ----------------------------------------------------------------------------------

    async def audit(self, jobs: dict[int, dict[str, Any]], height: int) -> None:
        """The kept audits of jobs still in their window; the others are removed."""
        for audit in list(pending_audits(self.work_dir)):
            job = jobs.get(audit.job_id) or self.verifier.query("/compute/job", {"id": audit.job_id})["job"]
            if job["state"] != "verifying" or height >= int(job["committee"]["window_end_height"]):
                self.forget(audit.job_id)  # settled, or the next block is past the window
            else:
                await self.audit_member(job, audit)

    async def audit_member(self, job: dict[str, Any], audit: Audit) -> None:
        """Send the kept row dispute once the member attested valid and no dispute waits on it."""
        records = self.verifier.query("/compute/attestations", {"job_id": audit.job_id})["attestations"]
        record = next((r for r in records if r["member"] == audit.member), None)
        if record is None or record["pending_dispute"] is not None:
            return  # not attested yet, or another dispute waits for its answer: later
        if record["verdict"] != "valid" or record["punished"]:
            audit.path.unlink(missing_ok=True)  # nothing left to audit
            return
        if not self.holds_bond(audit):
            return
        message = MsgDisputeAttestation(self.operator, audit.job_id, audit.member, audit.path.read_bytes())
        tx, result = await self.verifier.send(message)
        if result.code == DisputePending.code and result.codespace == DisputePending.codespace:
            return
        audit.path.unlink(missing_ok=True)
        if result.code != 0:
            log.warning(
                "job %d: audit of %s refused: %s (code %d)",
                audit.job_id,
                audit.member,
                result.log,
                result.code,
            )
            return
        log.info(
            "job %d: audited %s's attestation with a row dispute: tx %s",
            audit.job_id,
            audit.member,
            tx_hash_hex(tx),
        )

    def holds_bond(self, audit: Audit) -> bool:
        params = self.verifier.query("/params", {"module": "compute"})["compute"]
        bond, denom = int(params["dispute_bond"]), str(params["denom"])
        held = self.verifier.balance(denom)
        if held >= bond:
            return True
        if (audit.job_id, audit.member) not in self._short_of_bond:
            self._short_of_bond.add((audit.job_id, audit.member))
            log.warning(
                "job %d: cannot audit %s: the dispute bond is %d%s and operator %s holds %d%s",
                audit.job_id,
                audit.member,
                bond,
                denom,
                self.operator,
                held,
                denom,
            )
        return False

    def forget(self, job_id: int) -> None:
        shutil.rmtree(self.work_dir / AUDIT_DIR / str(job_id), ignore_errors=True)
        self._short_of_bond = {key for key in self._short_of_bond if key[0] != job_id}


def open_cr_entry(folder: Path, cr_root: bytes, entry: Entry) -> bytes:
    """The encoded opening of ``entry`` in the C r commitment saved in ``folder``. Blocking."""
    return encode_cr_opening(load_cr(folder, cr_root).open_entry(*entry))
