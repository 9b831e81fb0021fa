"""Row disputes, answered by the member: a dispute may carry only row i of C (the member alone
holds its C r vectors). The chain computes what the entry must be, holds the disputer's bond and
waits for the member to open its entry; a wrong entry or no answer slashes and jails the member
as a proven dispute does (the disputer paid the reward, its bond back), a right one pays the
bond to the member. The verdict waits for every pending dispute."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
import numpy as np
import pytest

from genesis.compute import ComputeGenesis, PendingDisputeJSON
from genesis.schema import GenesisDoc
from gpu.challenge import derive_challenge_seed
from gpu.jobs import MlpSpec
from gpu.proofs import RowDispute, decode_row_dispute, encode_cr_opening, encode_row_dispute
from gpu.verify import challenge_vectors, verify_result
from node.keys.hd import PrivateKey
from protos.depind.compute.v1 import query_pb2
from tests.vm.compute.helpers import (
    PARAMS,
    PROVIDER,
    REQUESTER,
    VALIDATORS,
    WATCHER,
    ComputeChain,
    Work,
    answer_msg,
    compute_genesis,
    corrupted,
    dispute_msg,
    fraud_msg,
    honest,
    member_cr,
    result_msg,
    row_dispute_msg,
)
from tests.vm.helpers import GENESIS_TIME, committed_values, new_app, raw
from vm.compute.genesis import validate_genesis
from vm.compute.msgs import MsgAnswerDispute
from vm.compute.services import QUERY
from vm.compute.types import JobState
from vm.context import Context
from vm.errors import InvalidTx, OutOfGas
from vm.gas import GasMeter
from vm.store.cache import CacheStore
from vm.store.kv import prefix_end

BOND = 1_000_000  # the default dispute_bond
ANSWER_BLOCKS = 100  # the default dispute_answer_blocks
EVERYONE = msgspec.structs.replace(PARAMS, committee_size=4)
LONG_WINDOW = msgspec.structs.replace(PARAMS, challenge_window_blocks=100)
WRONG_AT = (0, 1, 4)  # tensor, round, row of the lazy member's one wrong entry
PREFIX = b"compute/"


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def verifying(chain: ComputeChain, work: Work) -> int:
    job_id = chain.submit(work.spec)
    chain.commit(job_id, work)
    return job_id


def cr_of(chain: ComputeChain, job_id: int, work: Work, member: PrivateKey, wrong: bool = False) -> Any:
    committee = chain.job(job_id).committee
    assert committee is not None
    return member_cr(work, raw(member), committee.beacon, wrong_at=WRONG_AT if wrong else None)


def attested(chain: ComputeChain, work: Work, wrong: bool = False) -> tuple[int, PrivateKey, Any]:
    """A verifying job whose first member attested valid with its C r (one entry wrong if
    ``wrong``), and that member's commitment."""
    job_id = verifying(chain, work)
    member = chain.members(job_id)[0]
    cr = cr_of(chain, job_id, work, member, wrong)
    chain.block(chain.attest(job_id, work, member, cr))
    return job_id, member, cr


def window_end(chain: ComputeChain, job_id: int) -> int:
    committee = chain.job(job_id).committee
    assert committee is not None
    return committee.window_end_height


def reference_entry(chain: ComputeChain, job_id: int, work: Work, member: PrivateKey, at: Any) -> int:
    """(C r_round)_row of the member, from gpu/'s NumPy verifier (`verify_result`'s C r)."""
    tensor, round_index, row = at
    committee = chain.job(job_id).committee
    assert committee is not None
    seed = derive_challenge_seed(work.result_root, raw(member), committee.beacon)
    verdict = verify_result(work.spec, work.outputs, work.result_root, seed, committee.rounds, 1)
    assert verdict.cr is not None
    return verdict.cr.open_entry(tensor, round_index, row).value


# -- the answered path -----------------------------------------------------------------------------


def test_a_right_answer_refutes_the_dispute_and_pays_the_bond_to_the_member() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, cr = attested(chain, work)
    watcher, deposits = chain.balance(WATCHER), chain.deposits()
    height = chain.height
    chain.block(row_dispute_msg(job_id, work, member, *WRONG_AT))
    [opened] = chain.event_list("dispute_opened")
    assert opened["member"] == member.address and opened["disputer"] == WATCHER.address
    assert (opened["tensor"], opened["round"], opened["row"]) == tuple(map(str, WRONG_AT))
    assert int(opened["expected"]) == reference_entry(chain, job_id, work, member, WRONG_AT)
    assert opened["deadline_height"] == str(height + ANSWER_BLOCKS)
    [pending] = chain.job(job_id).disputes
    assert (pending.member, pending.disputer, pending.bond) == (raw(member), raw(WATCHER), BOND)
    assert chain.balance(WATCHER) == watcher - BOND and chain.deposits() == deposits + BOND
    assert chain.broken() == []
    balance = chain.balance(member)
    chain.block(answer_msg(job_id, member, cr, *WRONG_AT))
    [answered] = chain.event_list("dispute_answered")
    assert answered["upheld"] == "false" and answered["value"] == answered["expected"] == opened["expected"]
    assert chain.balance(member) == balance + BOND and chain.deposits() == deposits
    assert chain.job(job_id).disputes == [] and not chain.validator(member).jailed
    assert chain.event_list("attestation_disputed") == [] and chain.broken() == []


def test_a_wrong_answer_upholds_the_dispute() -> None:
    chain = ComputeChain(compute_genesis(EVERYONE))
    work = honest()
    job_id = verifying(chain, work)
    v400, v300, v200, _ = VALIDATORS
    lazy = cr_of(chain, job_id, work, v300, wrong=True)
    chain.block(
        *(chain.attest(job_id, work, m) for m in (v400, v200)), chain.attest(job_id, work, v300, lazy)
    )
    pool, watcher = chain.pool(), chain.balance(WATCHER)
    chain.block(row_dispute_msg(job_id, work, v300, *WRONG_AT))
    assert chain.keeper.valid_power(chain.store, chain.job(job_id)) == 900  # counts until answered
    chain.block(answer_msg(job_id, v300, lazy, *WRONG_AT))
    [answered] = chain.event_list("dispute_answered")
    assert answered["upheld"] == "true" and int(answered["value"]) == int(answered["expected"]) + 1
    [disputed] = chain.event_list("attestation_disputed")
    assert disputed["proven_by"] == "wrong_answer" and disputed["reward"] == str(PARAMS.dispute_reward)
    [slashed] = [e for e in chain.event_list("attester_slashed") if e["reason"] == "false_attestation"]
    assert (slashed["member"], slashed["jailed"]) == (v300.address, "true")
    validator = chain.validator(v300)
    assert validator.jailed and validator.tokens == 270
    record = chain.keeper.get_attestation(chain.store, job_id, raw(v300))
    assert record is not None and record.punished and record.dispute is not None
    assert record.dispute.disputer == raw(WATCHER)
    assert chain.balance(WATCHER) == watcher + PARAMS.dispute_reward  # the bond came back
    assert chain.pool() == pool - PARAMS.dispute_reward
    assert chain.keeper.valid_power(chain.store, chain.job(job_id)) == 600
    chain.until(window_end(chain, job_id) + 1)
    assert chain.job(job_id).state == JobState.UNVERIFIED
    assert chain.broken() == []


def test_no_answer_by_the_deadline_upholds_the_dispute() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, cr = attested(chain, work)  # an honest entry: silence alone convicts
    watcher = chain.balance(WATCHER)
    chain.block(row_dispute_msg(job_id, work, member, 0, 0, 3))
    [pending] = chain.job(job_id).disputes
    chain.until(pending.deadline_height)
    assert chain.job(job_id).disputes == [pending] and not chain.validator(member).jailed
    chain.block()  # the deadline's end block
    [disputed] = chain.event_list("attestation_disputed")
    assert disputed["proven_by"] == "no_answer" and disputed["member"] == member.address
    assert chain.validator(member).jailed
    assert chain.balance(WATCHER) == watcher + PARAMS.dispute_reward
    assert code(chain.fails(answer_msg(job_id, member, cr, 0, 0, 3))) == ("compute", 10)  # settled
    assert chain.job(job_id).state == JobState.UNVERIFIED and chain.broken() == []


def test_an_answer_at_the_deadline_counts() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, cr = attested(chain, work)
    chain.block(row_dispute_msg(job_id, work, member, 0, 2, 31))
    [pending] = chain.job(job_id).disputes
    chain.until(pending.deadline_height)
    chain.block(answer_msg(job_id, member, cr, 0, 2, 31))
    assert chain.event_list("dispute_answered")[0]["upheld"] == "false"
    assert chain.event_list("attestation_disputed") == [] and not chain.validator(member).jailed


# -- the verdict waits -----------------------------------------------------------------------------


def test_the_verdict_waits_for_a_pending_dispute_and_an_answer_brings_it() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    members = chain.members(job_id)
    crs = {m.address: cr_of(chain, job_id, work, m) for m in members}
    chain.block(*(chain.attest(job_id, work, m, crs[m.address]) for m in members))
    end = window_end(chain, job_id)
    chain.until(end)
    chain.block(row_dispute_msg(job_id, work, members[1], 0, 0, 0))  # at the window's end
    assert chain.job(job_id).state == JobState.VERIFYING  # the verdict waits for the answer
    chain.blocks(3)
    assert chain.job(job_id).state == JobState.VERIFYING
    assert code(chain.fails(row_dispute_msg(job_id, work, members[0], 0, 0, 0))) == ("compute", 11)
    chain.block(answer_msg(job_id, members[1], crs[members[1].address], 0, 0, 0))
    assert chain.job(job_id).state == JobState.VALID  # in the answer's end block
    assert chain.job(job_id).verdict_height == end + 4 and chain.broken() == []


def test_the_verdict_after_an_unanswered_dispute_does_not_count_the_member() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    members = chain.members(job_id)
    chain.block(*(chain.attest(job_id, work, m) for m in members))
    chain.until(window_end(chain, job_id))
    chain.block(row_dispute_msg(job_id, work, members[0], 0, 0, 0))
    [pending] = chain.job(job_id).disputes
    chain.until(pending.deadline_height + 1)
    assert chain.job(job_id).state == JobState.UNVERIFIED  # 400 of 900 slashed: 500 left
    assert chain.job(job_id).verdict_height == pending.deadline_height
    assert chain.validator(members[0]).jailed and chain.broken() == []


def test_a_backlog_settles_unanswered_disputes_before_the_verdict() -> None:
    """Disputes of two jobs due in one block with a budget of one job: the second job's waits
    for a later block, and no answer is taken past its deadline meanwhile."""
    chain = ComputeChain()
    work = honest()
    first, second = chain.submit(), chain.submit()
    chain.block(result_msg(first, work), result_msg(second, work))
    chain.block()
    member = chain.members(second)[0]
    cr = cr_of(chain, second, work, member)
    chain.block(
        *(chain.attest(job, work, chain.members(job)[0]) for job in (first, second)),
    )
    chain.block(
        row_dispute_msg(first, work, chain.members(first)[0], 0, 0, 1),
        row_dispute_msg(second, work, member, 0, 0, 1),
        chain.params_msg(max_jobs_per_block=1),
    )
    [pending] = chain.job(second).disputes
    chain.until(pending.deadline_height + 1)
    assert len(chain.job(second).disputes) == 1  # left by the budget
    assert code(chain.fails(answer_msg(second, member, cr, 0, 0, 1))) == ("compute", 11)
    chain.blocks(2)
    assert chain.job(second).state == JobState.UNVERIFIED and chain.validator(member).jailed
    assert [e["proven_by"] for e in chain.event_list("attestation_disputed")] == ["no_answer", "no_answer"]
    assert chain.broken() == []


# -- disputes ending otherwise ---------------------------------------------------------------------


def test_a_one_shot_dispute_ends_the_pending_one() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, lazy = attested(chain, work, wrong=True)
    dave = VALIDATORS[3]
    chain.block(row_dispute_msg(job_id, work, member, 0, 0, 0, disputer=dave))  # a right entry
    dave_balance, watcher = chain.balance(dave), chain.balance(WATCHER)
    chain.block(dispute_msg(job_id, work, member, lazy, *WRONG_AT))
    [closed] = chain.event_list("dispute_closed")
    assert (closed["member"], closed["disputer"], closed["bond"]) == (member.address, dave.address, str(BOND))
    assert chain.balance(dave) == dave_balance + BOND
    assert chain.balance(WATCHER) == watcher + PARAMS.dispute_reward
    [disputed] = chain.event_list("attestation_disputed")
    assert disputed["proven_by"] == "entry_opened" and disputed["disputer"] == WATCHER.address
    assert chain.job(job_id).disputes == [] and chain.validator(member).jailed
    assert code(chain.fails(answer_msg(job_id, member, lazy, 0, 0, 0))) == ("compute", 27)
    assert chain.broken() == []


def test_a_fraud_proof_refunds_the_pending_disputes() -> None:
    chain = ComputeChain()
    wrong = corrupted(honest(), 0, 9, 9)
    job_id, member, _ = attested(chain, wrong)
    watcher = chain.balance(WATCHER)
    chain.block(row_dispute_msg(job_id, wrong, member, 0, 0, 0))
    chain.block(fraud_msg(job_id, wrong, 0, 9, 9, prover=REQUESTER))
    assert chain.job(job_id).state == JobState.INVALID and chain.job(job_id).disputes == []
    [closed] = chain.event_list("dispute_closed")
    assert closed["disputer"] == WATCHER.address and chain.balance(WATCHER) == watcher
    [slashed] = chain.event_list("attester_slashed")  # for the wrong result, not the dispute
    assert slashed["member"] == member.address and chain.event_list("attestation_disputed") == []
    assert chain.broken() == []


# -- one pending dispute per member ----------------------------------------------------------------


def test_a_member_has_one_dispute_awaiting_its_answer_at_a_time() -> None:
    chain = ComputeChain()
    work = honest()
    job_id = verifying(chain, work)
    first, second, _ = chain.members(job_id)
    crs = {m.address: cr_of(chain, job_id, work, m) for m in (first, second)}
    chain.block(*(chain.attest(job_id, work, m, crs[m.address]) for m in (first, second)))
    chain.block(row_dispute_msg(job_id, work, first, 0, 0, 0))
    again = row_dispute_msg(job_id, work, first, 0, 1, 5, disputer=REQUESTER)
    assert code(chain.fails(again)) == ("compute", 26)
    chain.block(row_dispute_msg(job_id, work, second, 0, 0, 0, disputer=REQUESTER))
    assert [d.member for d in chain.job(job_id).disputes] == sorted([raw(first), raw(second)])
    chain.block(answer_msg(job_id, first, crs[first.address], 0, 0, 0))
    chain.block(again)  # answered: the member may be disputed again
    assert len(chain.job(job_id).disputes) == 2 and chain.broken() == []


# -- the check against gpu/ ------------------------------------------------------------------------


MLP = MlpSpec(rows=8, widths=[12, 20, 6], shifts=[4, 3], weight_bound=7, bias_bound=50, input_bound=9, seed=3)


@pytest.mark.parametrize("spec", ["gemm", "mlp"])
def test_the_answer_check_agrees_with_gpu(spec: str) -> None:
    """Every entry the chain expects is the one gpu/'s NumPy verifier computes for the member;
    a member's answer is refuted exactly where its committed entry differs from it."""
    chain = ComputeChain(compute_genesis(LONG_WINDOW))
    work = honest() if spec == "gemm" else honest(MLP)
    job_id = verifying(chain, work)
    members = chain.members(job_id)
    committee = chain.job(job_id).committee
    assert committee is not None
    tensors = [t for t, out in enumerate(work.outputs) if spec == "gemm" or t % 2 == 0]
    entries = [(t, k, row) for t in tensors for k in range(committee.rounds) for row in (0, 5)]
    wrong = entries[3]
    lazy = member_cr(work, raw(members[0]), committee.beacon, wrong_at=wrong)
    honest_cr = member_cr(work, raw(members[1]), committee.beacon)
    chain.block(
        chain.attest(job_id, work, members[0], lazy), chain.attest(job_id, work, members[1], honest_cr)
    )
    for at in entries:
        for member, cr in ((members[0], lazy), (members[1], honest_cr)):
            if chain.validator(member).jailed:
                continue
            chain.block(row_dispute_msg(job_id, work, member, *at))
            expected = int(chain.event_list("dispute_opened")[-1]["expected"])
            assert expected == reference_entry(chain, job_id, work, member, at)
            chain.block(answer_msg(job_id, member, cr, *at))
            upheld = chain.event_list("dispute_answered")[-1]["upheld"] == "true"
            assert upheld == (member == members[0] and at == wrong)
    assert chain.validator(members[0]).jailed and not chain.validator(members[1]).jailed


def test_the_expected_entry_is_the_row_times_the_members_vector() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, _ = attested(chain, work)
    chain.block(row_dispute_msg(job_id, work, member, 0, 2, 17))
    committee = chain.job(job_id).committee
    assert committee is not None
    seed = derive_challenge_seed(work.result_root, raw(member), committee.beacon)
    r = challenge_vectors(seed, 0, work.outputs[0].shape[1], committee.rounds)[:, 2]
    [pending] = chain.job(job_id).disputes
    assert pending.expected == int(work.outputs[0][17].astype(np.int64) @ r)


# -- gas -------------------------------------------------------------------------------------------


def test_a_row_dispute_and_an_answer_pay_for_their_checks() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, cr = attested(chain, work)

    def short_of(msg: Any, needed: int) -> None:
        ctx = Context(CacheStore(chain.store), chain.env(), GasMeter(needed - 1))
        with pytest.raises(OutOfGas):
            chain.registry.route(ctx, msg)

    dispute = row_dispute_msg(job_id, work, member, 0, 0, 0)
    short_of(dispute, PARAMS.dispute_gas_base + PARAMS.dispute_gas_per_entry * work.outputs[0].shape[1])
    chain.block(dispute)
    short_of(answer_msg(job_id, member, cr, 0, 0, 0), PARAMS.dispute_gas_base)


# -- rejections ------------------------------------------------------------------------------------


def test_invalid_row_dispute() -> None:
    chain = ComputeChain()
    work = honest()
    pending_job = chain.submit()
    job_id = verifying(chain, work)
    attesting, silent, _ = chain.members(job_id)
    assert code(chain.fails(row_dispute_msg(99, work, attesting, 0, 0, 0))) == ("compute", 2)
    assert code(chain.fails(row_dispute_msg(pending_job, work, attesting, 0, 0, 0))) == ("compute", 10)
    chain.block(chain.attest(job_id, work, attesting))
    assert code(chain.fails(row_dispute_msg(job_id, work, silent, 0, 0, 0))) == ("compute", 17)
    rows = work.outputs[0].shape[0]
    for (tensor, round_index, row), match in (
        ((0, 3, 0), "outside C r"),
        ((0, 0, rows), "outside C r"),
        ((1, 0, 0), "not a GEMM"),
    ):
        bad = row_dispute_msg(job_id, work, attesting, 0, 0, 0)
        decoded = decode_row_dispute(bad.dispute)
        forged = RowDispute(tensor, round_index, row, decoded.output_root, decoded.row_opening)
        error = chain.fails(msgspec.structs.replace(bad, dispute=encode_row_dispute(forged)))
        assert code(error) == ("compute", 16) and match in error.log
    other_row = row_dispute_msg(job_id, work, attesting, 0, 0, 1)
    row_1 = decode_row_dispute(other_row.dispute).row_opening  # chunk 0: rows 0 to 7
    swapped = RowDispute(0, 0, 10, work.output_root, row_1)
    error = chain.fails(msgspec.structs.replace(other_row, dispute=encode_row_dispute(swapped)))
    assert code(error) == ("compute", 16) and "row 10 of output 0" in error.log
    unbound = RowDispute(0, 0, 1, bytes(32), row_1)
    error = chain.fails(msgspec.structs.replace(other_row, dispute=encode_row_dispute(unbound)))
    assert code(error) == ("compute", 16) and "bound into the result root" in error.log
    broke = PrivateKey(b"\x07" * 32)
    assert code(chain.fails(row_dispute_msg(job_id, work, attesting, 0, 0, 0, disputer=broke))) == ("sdk", 5)
    truncated = msgspec.structs.replace(other_row, dispute=other_row.dispute[:-1])
    with pytest.raises(InvalidTx) as raised:
        truncated.validate()
    assert code(raised.value) == ("compute", 16)
    chain.until(window_end(chain, job_id) + 1)
    assert code(chain.fails(row_dispute_msg(job_id, work, attesting, 0, 0, 0))) == ("compute", 10)


def test_invalid_row_dispute_of_a_punished_member() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, lazy = attested(chain, work, wrong=True)
    chain.block(dispute_msg(job_id, work, member, lazy, *WRONG_AT))
    assert code(chain.fails(row_dispute_msg(job_id, work, member, 0, 0, 0))) == ("compute", 18)


def test_invalid_answer_dispute() -> None:
    chain = ComputeChain()
    work = honest()
    pending_job = chain.submit()
    job_id, member, cr = attested(chain, work)
    other = chain.members(job_id)[1]
    assert code(chain.fails(answer_msg(99, member, cr, 0, 0, 0))) == ("compute", 2)
    assert code(chain.fails(answer_msg(pending_job, member, cr, 0, 0, 0))) == ("compute", 10)
    assert code(chain.fails(answer_msg(job_id, member, cr, 0, 0, 0))) == ("compute", 27)  # none yet
    chain.block(row_dispute_msg(job_id, work, member, 0, 1, 6))
    assert code(chain.fails(answer_msg(job_id, other, cr, 0, 1, 6))) == ("compute", 27)  # not its
    error = chain.fails(answer_msg(job_id, member, cr, 0, 1, 7))
    assert code(error) == ("compute", 28) and "not the disputed" in error.log
    opening = cr.open_entry(0, 1, 6)
    forged = dataclasses.replace(opening, value=opening.value + 1)
    error = chain.fails(MsgAnswerDispute(member.address, job_id, encode_cr_opening(forged)))
    assert code(error) == ("compute", 28) and "the opened C r entry is" in error.log
    someone_else = member_cr(work, raw(other), chain.job(job_id).committee.beacon)  # type: ignore[union-attr]
    error = chain.fails(answer_msg(job_id, member, someone_else, 0, 1, 6))
    assert code(error) == ("compute", 28)
    with pytest.raises(InvalidTx) as raised:
        MsgAnswerDispute(member.address, job_id, b"\x03\x01").validate()
    assert code(raised.value) == ("compute", 28)
    assert chain.job(job_id).disputes != [] and chain.broken() == []


def test_the_one_shot_form_still_needs_no_answer() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, lazy = attested(chain, work, wrong=True)
    watcher = chain.balance(WATCHER)
    chain.block(dispute_msg(job_id, work, member, lazy, *WRONG_AT))
    assert chain.validator(member).jailed and chain.job(job_id).disputes == []
    assert chain.balance(WATCHER) == watcher + PARAMS.dispute_reward  # no bond taken


def test_the_bond_follows_the_params() -> None:
    chain = ComputeChain()
    work = honest()
    job_id, member, cr = attested(chain, work)
    watcher = chain.balance(WATCHER)
    chain.block(chain.params_msg(dispute_bond=0, dispute_answer_blocks=2))
    chain.block(row_dispute_msg(job_id, work, member, 0, 0, 0))
    [pending] = chain.job(job_id).disputes
    assert pending.bond == 0 and pending.deadline_height == pending.opened_height + 2
    assert chain.balance(WATCHER) == watcher
    chain.block(answer_msg(job_id, member, cr, 0, 0, 0))
    assert chain.broken() == []


# -- queries and genesis ---------------------------------------------------------------------------


def disputed_chain() -> tuple[ComputeChain, int, PrivateKey]:
    """Job 1 pending; job 2 verifying, its first member's attestation disputed by row."""
    chain = ComputeChain()
    work = honest()
    chain.submit(deadline=40)
    job_id, member, _ = attested(chain, work)
    chain.block(row_dispute_msg(job_id, work, member, 0, 1, 2))
    return chain, job_id, member


def test_attestations_show_the_dispute_awaiting_the_answer() -> None:
    chain, job_id, member = disputed_chain()
    [pending] = chain.job(job_id).disputes
    shown = {
        "member": member.address,
        "disputer": WATCHER.address,
        "bond": BOND,
        "tensor": 0,
        "round": 1,
        "row": 2,
        "expected": pending.expected,
        "opened_height": pending.opened_height,
        "deadline_height": pending.deadline_height,
    }
    [record] = chain.registry.query("/compute/attestations", chain.store, {"job_id": job_id})["attestations"]
    assert record["member"] == member.address and record["pending_dispute"] == shown
    assert chain.registry.query("/compute/job", chain.store, {"id": job_id})["job"]["disputes"] == [shown]
    request = query_pb2.QueryAttestationsRequest(job_id=job_id).SerializeToString()
    data = chain.registry.service(QUERY + "Attestations", chain.store, request)
    [answer] = query_pb2.QueryAttestationsResponse.FromString(data).attestations
    assert (answer.pending_dispute.disputer, answer.pending_dispute.expected) == (
        WATCHER.address,
        pending.expected,
    )
    request = query_pb2.QueryJobRequest(id=job_id).SerializeToString()
    data = chain.registry.service(QUERY + "Job", chain.store, request)
    [listed] = query_pb2.QueryJobResponse.FromString(data).job.disputes
    assert (listed.member, listed.row, listed.deadline_height) == (member.address, 2, pending.deadline_height)


def test_genesis_round_trips_with_a_pending_dispute() -> None:
    chain, job_id, _ = disputed_chain()
    _, app_state = chain.registry.export_genesis(chain.store)
    assert len(app_state["compute"]["jobs"][job_id - 1]["disputes"]) == 1
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME, chain_id="depin-test-1", initial_height=chain.height, app_state=app_state
    )
    imported = new_app(msgspec.json.decode(msgspec.json.encode(doc), type=GenesisDoc))
    imported_values = {k: v for k, v in committed_values(imported).items() if k.startswith(PREFIX)}
    assert imported_values == dict(chain.store.iterate(PREFIX, prefix_end(PREFIX)))
    _, again = imported.registry.export_genesis(imported.state.values)
    assert again["compute"] == app_state["compute"]


def test_invalid_genesis_dispute() -> None:
    chain, job_id, _ = disputed_chain()
    exported: ComputeGenesis = chain.registry.module("compute").genesis.export(chain.store)
    [pending] = exported.jobs[job_id - 1].disputes

    def invalid(match: str, disputes: list[PendingDisputeJSON], index: int = job_id - 1) -> None:
        jobs = list(exported.jobs)
        jobs[index] = msgspec.structs.replace(jobs[index], disputes=disputes)
        with pytest.raises(InvalidTx, match=match):
            validate_genesis(msgspec.structs.replace(exported, jobs=jobs))

    def changed(**fields: Any) -> list[PendingDisputeJSON]:
        return [msgspec.structs.replace(pending, **fields)]

    invalid("one per member", [pending, pending])
    invalid("names no entry", changed(tensor=1))
    invalid("names no entry", changed(round=3))
    invalid("names no entry", changed(row=32))
    invalid("deadline comes after", changed(deadline_height=pending.opened_height))
    invalid("no unpunished valid attestation", changed(member=PROVIDER.address))
    invalid("dispute member", changed(member="depin1nope"))
    invalid("only a verifying job", [pending], index=0)  # job 1: pending, never verified


def test_the_params_carry_the_dispute_bond_and_answer_blocks() -> None:
    chain = ComputeChain()
    params = chain.registry.params(chain.store, "compute")["compute"]
    assert (params["dispute_bond"], params["dispute_answer_blocks"]) == (BOND, ANSWER_BLOCKS)
    error = chain.fails(chain.params_msg(dispute_answer_blocks=0))
    assert code(error) == ("sdk", 18) and "dispute_answer_blocks" in error.log


def test_invalid_answer_dispute_message() -> None:
    chain, job_id, member = disputed_chain()
    entry = answer_msg(job_id, member, cr_of(chain, job_id, honest(), member), 0, 1, 2).entry
    base = MsgAnswerDispute(member.address, job_id, entry)
    base.validate()
    for fields, rejected in (
        ({"member": "depin1nope"}, ("sdk", 7)),
        ({"job_id": 0}, ("sdk", 18)),
        ({"entry": entry[:-1]}, ("compute", 28)),
        ({"entry": entry + b"\x00"}, ("compute", 28)),
        ({"entry": b"\x05" + entry[1:]}, ("compute", 28)),  # a row dispute's kind
    ):
        with pytest.raises(InvalidTx) as raised:
            msgspec.structs.replace(base, **fields).validate()
        assert code(raised.value) == rejected
