"""Disputes of attestations. A member's valid attestation commits to its vectors C r
(gpu/attestation.py); a dispute shows one entry of them wrong, in one of two forms:

- **One-shot**: the dispute opens entry (round, row) of output ``tensor`` in the member's C r
  tree and row ``row`` of C in the output tree; the chain recomputes the row times the member's
  vector r (gpu/onchain.py ``check_attestation_dispute``) and, if the entry differs, upholds it
  at once.
- **Interactive**: only the member holds its C r vectors, so a dispute may carry the row of C
  alone (gpu/proofs.py ``RowDispute``). The chain computes what the entry must be
  (``correct_cr_entry``, the same O(N) work), holds the disputer's ``dispute_bond`` and waits
  ``dispute_answer_blocks`` for the member's ``MsgAnswerDispute``, the entry opened in its tree
  (``answered_cr_entry``). A wrong entry, or no answer by the deadline, upholds the dispute, the
  bond going back to the disputer; a right one refutes it, and the bond goes to the member,
  which paid a tx to answer.

An upheld dispute slashes and jails the member (settlement ``punish_false_attester``), its
attestation stops counting toward the two thirds, and the disputer is paid ``dispute_reward``
from the PoUW pool. A member has at most one dispute awaiting its answer per job (code 26), so
a job waits on at most its committee's size of them, and its verdict waits with them
(settlement ``verdict_due_height``): the end block of each deadline settles what is still
unanswered (``expire_disputes``), and a verdict left for later by the per-block budget settles
them first. A job settled otherwise (a fraud proof, an unanswered availability challenge), or a
member punished by a one-shot dispute, ends the disputes awaiting its answer with their bonds
refunded (settlement ``refund_dispute``).
"""

from __future__ import annotations

import msgspec

from gpu.errors import GpuError
from gpu.header import layout
from gpu.onchain import answered_cr_entry, check_attestation_dispute, correct_cr_entry
from gpu.proofs import Attestation, AttestationDispute, RowDispute
from vm.compute import errors
from vm.compute.events import AttestationDisputed, DisputeAnswered, DisputeOpened
from vm.compute.handlers import require_state, row_length, stored_header, verifying
from vm.compute.keeper import ComputeKeeper
from vm.compute.msgs import MsgAnswerDispute, MsgDisputeAttestation, parse_cr_opening, parse_dispute
from vm.compute.params import Params
from vm.compute.settlement import move, pay, pay_from_pool, punish_false_attester, refund_dispute
from vm.compute.store import DEPOSITS, dispute_tally
from vm.compute.types import AttestationRecord, Dispute, Job, JobState, PendingDispute, Verdict
from vm.context import Context
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin, format_address, parse_address

# How an upheld dispute was proven (the ``proven_by`` of ``attestation_disputed``).
ENTRY_OPENED = "entry_opened"  # a one-shot dispute opened the member's entry
WRONG_ANSWER = "wrong_answer"  # the member's answer opened a wrong entry
NO_ANSWER = "no_answer"  # the member did not answer by the deadline

# -- disputing -------------------------------------------------------------------------------------


def handle_dispute_attestation(keeper: ComputeKeeper, ctx: Context, msg: MsgDisputeAttestation) -> None:
    """Judge a one-shot dispute at once; open a row dispute, which waits for the member's answer.
    The check's gas, O(N) for the row of C, is charged before it runs."""
    store = ctx.store
    disputer = parse_address(msg.disputer, "disputer")
    member = parse_address(msg.member, "member")
    job = keeper.job(store, msg.job_id)
    record = disputed_record(keeper, store, job, member, ctx.env.height)
    dispute = parse_dispute(msg.dispute)
    if isinstance(dispute, RowDispute) and job.pending_dispute(member) is not None:
        raise errors.DisputePending(f"{msg.member} on job {job.id}: one dispute at a time")
    params = keeper.get_params(store)
    header = stored_header(job)
    tensor = dispute.tensor if isinstance(dispute, RowDispute) else dispute.entry.tensor
    gas = params.dispute_gas_base + params.dispute_gas_per_entry * row_length(layout(header), tensor)
    ctx.gas.consume(gas, "attestation dispute check")
    if isinstance(dispute, RowDispute):
        open_dispute(keeper, ctx, job, record, disputer, dispute, params)
    else:
        prove_dispute(keeper, ctx, job, record, disputer, dispute, params)


def disputed_record(
    keeper: ComputeKeeper, store: ReadStore, job: Job, member: bytes, height: int
) -> AttestationRecord:
    """The member's valid attestation, once a dispute of it may be sent: the job is verifying,
    its window is open and the member was not punished for it yet."""
    require_state(job, JobState.VERIFYING)
    committee, _ = verifying(job)
    if height > committee.window_end_height:
        raise errors.DeadlinePassed(f"disputes closed at height {committee.window_end_height}")
    return unpunished_valid(keeper, store, job, member)


def unpunished_valid(keeper: ComputeKeeper, store: ReadStore, job: Job, member: bytes) -> AttestationRecord:
    record = keeper.get_attestation(store, job.id, member)
    if record is None or record.verdict != Verdict.VALID:
        raise errors.NotAttested(f"{format_address(Address(member))} on job {job.id}")
    if record.punished:
        raise errors.AlreadyPunished(f"{format_address(Address(member))} on job {job.id}")
    return record


def attested(job: Job, record: AttestationRecord) -> Attestation:
    """The member's attestation as gpu/ reads it (its rounds and result root are the job's)."""
    committee, result = verifying(job)
    return Attestation("valid", committee.rounds, result.result_root, record.cr_root)


def prove_dispute(
    keeper: ComputeKeeper,
    ctx: Context,
    job: Job,
    record: AttestationRecord,
    disputer: bytes,
    dispute: AttestationDispute,
    params: Params,
) -> None:
    """A one-shot dispute: upheld if the opened entry is not the row times the member's r."""
    committee, result = verifying(job)
    try:
        check_attestation_dispute(
            stored_header(job),
            result.result_root,
            record.member,
            committee.beacon,
            committee.rounds,
            attested(job, record),
            dispute,
        )
    except (GpuError, ValueError) as error:
        raise errors.InvalidDispute(str(error)) from None
    pending = job.pending_dispute(record.member)
    if pending is not None:  # proven otherwise: the dispute awaiting its answer ends
        job = drop_dispute(keeper, ctx.store, job, record.member)
        refund_dispute(keeper, ctx, job, pending, params.denom)
    uphold(keeper, ctx, job, record, disputer, ENTRY_OPENED, params)


def open_dispute(
    keeper: ComputeKeeper,
    ctx: Context,
    job: Job,
    record: AttestationRecord,
    disputer: bytes,
    dispute: RowDispute,
    params: Params,
) -> None:
    """A row dispute: compute what the member's entry must be, hold the disputer's bond and
    wait for the member's answer."""
    store, height = ctx.store, ctx.env.height
    expected = expected_entry(job, record, dispute)
    if params.dispute_bond:
        bond = [Coin(params.denom, params.dispute_bond)]
        keeper.bank.send_to_module(store, Address(disputer), DEPOSITS, bond)
    pending = PendingDispute(
        member=record.member,
        disputer=disputer,
        bond=params.dispute_bond,
        tensor=dispute.tensor,
        round=dispute.round,
        row=dispute.row,
        expected=expected,
        opened_height=height,
        deadline_height=height + params.dispute_answer_blocks,
    )
    disputes = sorted([*job.disputes, pending], key=lambda d: d.member)
    move(keeper, store, job, msgspec.structs.replace(job, disputes=disputes))
    keeper.add_tally(store, dispute_tally("opened"))
    ctx.emit(
        DisputeOpened(
            job_id=str(job.id),
            member=format_address(Address(record.member)),
            disputer=format_address(Address(disputer)),
            tensor=str(dispute.tensor),
            round=str(dispute.round),
            row=str(dispute.row),
            expected=str(expected),
            bond=str(pending.bond),
            deadline_height=str(pending.deadline_height),
        )
    )


def expected_entry(job: Job, record: AttestationRecord, dispute: RowDispute) -> int:
    """Row ``row`` of the job's output ``tensor`` times the member's vector r_round."""
    committee, result = verifying(job)
    try:
        return correct_cr_entry(
            stored_header(job),
            result.result_root,
            record.member,
            committee.beacon,
            committee.rounds,
            attested(job, record),
            dispute,
        )
    except (GpuError, ValueError) as error:
        raise errors.InvalidDispute(str(error)) from None


# -- answering -------------------------------------------------------------------------------------


def handle_answer_dispute(keeper: ComputeKeeper, ctx: Context, msg: MsgAnswerDispute) -> None:
    """The member opens its disputed entry in its C r tree, by the deadline: refuted if it is
    what the row of C gives (the bond goes to the member), upheld otherwise."""
    store, height = ctx.store, ctx.env.height
    member = parse_address(msg.member, "member")
    job = keeper.job(store, msg.job_id)
    require_state(job, JobState.VERIFYING)
    committee, _ = verifying(job)
    pending = job.pending_dispute(member)
    if pending is None:
        raise errors.NoPendingDispute(f"{msg.member} on job {job.id}")
    if height > pending.deadline_height:
        raise errors.DeadlinePassed(f"the answer was due by height {pending.deadline_height}")
    params = keeper.get_params(store)
    ctx.gas.consume(params.dispute_gas_base, "dispute answer check")
    record = unpunished_valid(keeper, store, job, member)
    disputed = (pending.tensor, pending.round, pending.row)
    try:
        value = answered_cr_entry(
            stored_header(job), committee.rounds, record.cr_root, disputed, parse_cr_opening(msg.entry)
        )
    except (GpuError, ValueError) as error:
        raise errors.InvalidAnswer(str(error)) from None
    job = drop_dispute(keeper, store, job, member)
    upheld = value != pending.expected
    ctx.emit(
        DisputeAnswered(
            job_id=str(job.id),
            member=msg.member,
            disputer=format_address(Address(pending.disputer)),
            value=str(value),
            expected=str(pending.expected),
            upheld=str(upheld).lower(),
        )
    )
    if upheld:
        uphold_pending(keeper, ctx, job, record, pending, WRONG_ANSWER, params)
    else:
        pay(keeper, store, member, pending.bond, params.denom)
        keeper.add_tally(store, dispute_tally("refuted"))


# -- deadlines -------------------------------------------------------------------------------------


def expire_disputes(keeper: ComputeKeeper, ctx: Context) -> None:
    """End block: the disputes at their deadline without an answer are upheld. At most
    ``max_jobs_per_block`` jobs, each with at most its committee's size of disputes."""
    budget = keeper.get_params(ctx.store).max_jobs_per_block
    items = keeper.dispute_queue.pop_due(ctx.store, ctx.env.height, budget)
    for job_id in sorted({int.from_bytes(item, "big") for item in items}):
        job = keeper.get_job(ctx.store, job_id)
        if job is not None and job.state == JobState.VERIFYING:
            settle_unanswered_disputes(keeper, ctx, job)


def settle_unanswered_disputes(keeper: ComputeKeeper, ctx: Context, job: Job) -> Job:
    """Uphold the job's disputes past their deadlines: their members did not answer."""
    due = [pending for pending in job.disputes if pending.deadline_height <= ctx.env.height]
    if not due:
        return job
    params = keeper.get_params(ctx.store)
    for pending in due:
        job = drop_dispute(keeper, ctx.store, job, pending.member)
        record = keeper.get_attestation(ctx.store, job.id, pending.member)
        if record is None or record.punished:  # kept out by the handlers; a hook must not fail
            refund_dispute(keeper, ctx, job, pending, params.denom)
        else:
            uphold_pending(keeper, ctx, job, record, pending, NO_ANSWER, params)
    return job


# -- outcomes --------------------------------------------------------------------------------------


def drop_dispute(keeper: ComputeKeeper, store: Store, job: Job, member: bytes) -> Job:
    """The job without the member's dispute awaiting an answer (its queues follow)."""
    disputes = [pending for pending in job.disputes if pending.member != member]
    return move(keeper, store, job, msgspec.structs.replace(job, disputes=disputes))


def uphold_pending(
    keeper: ComputeKeeper,
    ctx: Context,
    job: Job,
    record: AttestationRecord,
    pending: PendingDispute,
    proven_by: str,
    params: Params,
) -> None:
    """A row dispute upheld: the bond back to the disputer, then as any upheld dispute."""
    pay(keeper, ctx.store, pending.disputer, pending.bond, params.denom)
    uphold(keeper, ctx, job, record, pending.disputer, proven_by, params)


def uphold(
    keeper: ComputeKeeper,
    ctx: Context,
    job: Job,
    record: AttestationRecord,
    disputer: bytes,
    proven_by: str,
    params: Params,
) -> None:
    """The member's attested entry is wrong: it is slashed and jailed, its attestation stops
    counting, and the disputer is paid from the PoUW pool (what it holds, if less)."""
    disputed = msgspec.structs.replace(record, dispute=Dispute(disputer, ctx.env.height))
    punish_false_attester(keeper, ctx, job, disputed, params)
    keeper.add_tally(ctx.store, dispute_tally("upheld"))
    reward = pay_from_pool(keeper, ctx.store, disputer, params.dispute_reward, params.denom)
    ctx.emit(
        AttestationDisputed(
            job_id=str(job.id),
            member=format_address(Address(record.member)),
            disputer=format_address(Address(disputer)),
            reward=str(reward),
            proven_by=proven_by,
        )
    )
