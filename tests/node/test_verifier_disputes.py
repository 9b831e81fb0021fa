"""The verifier service's disputes (node/verifier_disputes.py) against the committed chain of
tests/node/compute_chain.py (job 2 verifying, its committee CAROL and DAVE): after a valid check
CAROL keeps a row of C to audit DAVE, sends the row dispute once DAVE has attested (admitted by
CheckTx, then committed), and DAVE's service answers it from its saved C r: an honest answer
refutes it, the answer of a member that committed to zeros upholds it."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
import trio

from gpu.attestation import commit_cr, gemm_tensors
from gpu.commit import canonical_bytes
from gpu.header import layout
from gpu.jobs import MlpSpec, job_header
from gpu.merkle import opened_entries
from gpu.proofs import Attestation, decode_cr_opening, decode_row_dispute, encode_attestation
from node.config import VerifierConfig
from node.keys.hd import PrivateKey
from node.node import Node
from node.outputs.check import save_cr
from node.verifier import CR_DIR, Assignment, Verifier
from node.verifier_disputes import (
    AUDIT_DIR,
    DisputeService,
    audited,
    draw_entry,
    keep_audit_rows,
    pending_audits,
)
from tests.node.compute_chain import JOB, QUERY_HEIGHT, compute_app
from tests.node.market_chain import block, tx
from tests.vm.compute.helpers import Work, honest, member_cr
from tests.vm.helpers import CAROL, DAVE, query_json, raw
from tests.vm.staking.vectors import valoper
from vm.app import App
from vm.compute.msgs import MsgAnswerDispute, MsgAttest, MsgDisputeAttestation
from vm.execute import TxResult

JOB_ID = 2  # verifying at QUERY_HEIGHT: committee CAROL and DAVE, window end 50
BOND = 1_000_000  # the default dispute_bond
WORK = honest(JOB)


@dataclass
class AppNode:
    """What the verifier uses of its node: the committed state, and the mempool's door."""

    app: App
    submitted: list[bytes] = field(default_factory=list)
    attempts: list[Any] = field(default_factory=list)  # every message offered, admitted or not

    @property
    def chain_id(self) -> str:
        return self.app.state.chain_id()

    async def submit_tx(self, tx: bytes) -> TxResult:
        (message,) = self.app.pipeline.decode(tx, len(tx)).body.messages
        self.attempts.append(message)
        result = self.app.check_tx(tx, keep=False)
        if result.code == 0:
            self.submitted.append(tx)
        return result

    def message(self, index: int = -1) -> Any:
        data = self.submitted[index]
        (message,) = self.app.pipeline.decode(data, len(data)).body.messages
        return message


@pytest.fixture
def node() -> AppNode:
    return AppNode(compute_app())


def verifier_for(node: AppNode, member: PrivateKey, work_dir: Path, **settings: Any) -> Verifier:
    """A verifier that audits every other member unless ``settings`` say otherwise."""
    config = VerifierConfig(enable=True, key="operator", check_threads=1, **{"audit_rate": 1.0, **settings})
    return Verifier(cast(Node, node), member, config, work_dir)


def job_json(app: App) -> Any:
    return query_json(app, "/compute/job", {"id": JOB_ID})["job"]  # type: ignore[index]


def outputs_file(tmp_path: Path, work: Work) -> Path:
    path = tmp_path / "outputs.bin"
    path.write_bytes(b"".join(canonical_bytes(output) for output in work.outputs))
    return path


def attest_with(app: App, member: PrivateKey, zeros: bool = False) -> Any:
    """Commit the member's valid attestation of job 2: its own C r, or a lazy one of zeros."""
    committee = job_json(app)["committee"]
    beacon, rounds = bytes.fromhex(committee["beacon"]), int(committee["rounds"])
    if zeros:
        steps = layout(job_header(JOB))
        cr = commit_cr(steps, {t: [[0] * steps[t].shape[0]] * rounds for t in gemm_tensors(steps)})
    else:
        cr = member_cr(WORK, raw(member), beacon, rounds)
    attestation = encode_attestation(Attestation("valid", rounds, WORK.result_root, cr.root))
    block(app, tx(app, member, MsgAttest(member.address, JOB_ID, attestation, b"")))
    return cr


def audit_of_dave(node: AppNode, tmp_path: Path) -> tuple[Verifier, DisputeService]:
    """CAROL's verifier after its valid check of job 2: a row of C kept to audit DAVE."""
    carol = verifier_for(node, CAROL, tmp_path / "carol")
    assignment = Assignment.from_job(job_json(node.app))
    keep_audit_rows(assignment, outputs_file(tmp_path, WORK), raw(CAROL), carol.work_dir, carol.config)
    return carol, DisputeService(carol)


def test_keeps_one_row_dispute_for_each_other_member(node: AppNode, tmp_path: Path) -> None:
    carol, _ = audit_of_dave(node, tmp_path)
    [audit] = list(pending_audits(carol.work_dir))
    assert (audit.job_id, audit.member) == (JOB_ID, DAVE.address)
    dispute = decode_row_dispute(audit.path.read_bytes())
    assert dispute.output_root == WORK.output_root and dispute.tensor == 0
    rows, cols = WORK.outputs[0].shape
    assert 0 <= dispute.round < 3 and 0 <= dispute.row < rows
    row = opened_entries(
        WORK.commitment.layout, WORK.output_root, dispute.row_opening, 0, dispute.row * cols, cols
    )
    assert row == WORK.outputs[0][dispute.row].tolist()


def test_keeps_nothing_at_an_audit_rate_of_zero(node: AppNode, tmp_path: Path) -> None:
    quiet = verifier_for(node, CAROL, tmp_path, audit_rate=0.0)
    assignment = Assignment.from_job(job_json(node.app))
    keep_audit_rows(assignment, outputs_file(tmp_path, WORK), raw(CAROL), quiet.work_dir, quiet.config)
    assert list(pending_audits(quiet.work_dir)) == []


def test_the_drawn_entries_cover_every_entry_of_c_r() -> None:
    mlp = MlpSpec(
        rows=3, widths=[4, 5, 2], shifts=[2, 2], weight_bound=3, bias_bound=4, input_bound=3, seed=1
    )
    steps = layout(job_header(mlp))
    rng = random.Random(7)
    drawn = {draw_entry(steps, 3, rng) for _ in range(2_000)}
    assert drawn == {(t, k, i) for t in (0, 2) for k in range(3) for i in range(3)}  # the GEMM outputs
    members = [CAROL.address, DAVE.address]
    assert audited(members, raw(CAROL), 1.0, rng) == [DAVE.address]
    assert audited(members, raw(CAROL), 0.0, rng) == []


def test_an_audit_waits_for_the_attestation_and_an_honest_answer_refutes_it(
    node: AppNode, tmp_path: Path
) -> None:
    app = node.app
    _, carol_service = audit_of_dave(node, tmp_path)
    trio.run(carol_service.on_block, QUERY_HEIGHT)
    assert node.submitted == []  # DAVE has not attested yet
    dave_cr = attest_with(app, DAVE)
    trio.run(carol_service.on_block, app.state.height())
    dispute = node.message()
    assert isinstance(dispute, MsgDisputeAttestation)
    assert (dispute.disputer, dispute.job_id, dispute.member) == (CAROL.address, JOB_ID, DAVE.address)
    assert list(pending_audits(carol_service.work_dir)) == []  # sent once
    block(app, node.submitted[-1])
    [pending] = job_json(app)["disputes"]
    assert (pending["member"], pending["disputer"], pending["bond"]) == (DAVE.address, CAROL.address, BOND)
    dave = verifier_for(node, DAVE, tmp_path / "dave")
    save_cr(dave.work_dir / CR_DIR / str(JOB_ID), dave_cr)
    balance = int(query_json(app, "/bank/balances", {"address": DAVE.address})["balances"][0]["amount"])  # type: ignore[index]
    trio.run(DisputeService(dave).on_block, app.state.height())
    answer = node.message()
    assert isinstance(answer, MsgAnswerDispute) and answer.member == DAVE.address
    entry = decode_cr_opening(answer.entry)
    assert (entry.tensor, entry.round, entry.row) == (pending["tensor"], pending["round"], pending["row"])
    assert entry.value == pending["expected"]
    block(app, node.submitted[-1])
    assert job_json(app)["disputes"] == []
    after = int(query_json(app, "/bank/balances", {"address": DAVE.address})["balances"][0]["amount"])  # type: ignore[index]
    assert after > balance  # the bond, less the answer's fee
    [record] = [
        r
        for r in query_json(app, "/compute/attestations", {"job_id": JOB_ID})["attestations"]  # type: ignore[index]
        if r["member"] == DAVE.address
    ]
    assert not record["punished"] and record["pending_dispute"] is None


def test_a_member_that_committed_to_zeros_answers_wrongly_and_is_slashed(
    node: AppNode, tmp_path: Path
) -> None:
    app = node.app
    _, carol_service = audit_of_dave(node, tmp_path)
    lazy_cr = attest_with(app, DAVE, zeros=True)
    trio.run(carol_service.on_block, app.state.height())
    block(app, node.submitted[-1])
    dave = verifier_for(node, DAVE, tmp_path / "dave")
    save_cr(dave.work_dir / CR_DIR / str(JOB_ID), lazy_cr)  # as tests/e2e/lazy_verifier.py keeps it
    trio.run(DisputeService(dave).on_block, app.state.height())
    block(app, node.submitted[-1])
    [record] = [
        r
        for r in query_json(app, "/compute/attestations", {"job_id": JOB_ID})["attestations"]  # type: ignore[index]
        if r["member"] == DAVE.address
    ]
    assert record["punished"] and record["dispute"]["disputer"] == CAROL.address
    validator = query_json(app, "/staking/validator", {"address": valoper(DAVE)})
    assert validator["jailed"] is True  # type: ignore[index]


def test_an_answer_is_sent_again_only_after_five_blocks(node: AppNode, tmp_path: Path) -> None:
    app = node.app
    _, carol_service = audit_of_dave(node, tmp_path)
    dave_cr = attest_with(app, DAVE)
    trio.run(carol_service.on_block, app.state.height())
    block(app, node.submitted[-1])
    dave = verifier_for(node, DAVE, tmp_path / "dave")
    save_cr(dave.work_dir / CR_DIR / str(JOB_ID), dave_cr)
    service = DisputeService(dave)
    height = app.state.height()
    sent = len(node.attempts)
    for later in range(5):
        trio.run(service.on_block, height + later)  # the answer is not committed here
    assert len(node.attempts) == sent + 1
    trio.run(service.on_block, height + 5)
    assert len(node.attempts) == sent + 2
    assert node.attempts[-1] == node.attempts[-2] and isinstance(node.attempts[-1], MsgAnswerDispute)


def test_no_audit_without_the_bond(node: AppNode, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = node.app
    carol, carol_service = audit_of_dave(node, tmp_path)
    carol.balance = lambda denom: 0  # type: ignore[method-assign]
    attest_with(app, DAVE)
    with caplog.at_level(logging.WARNING, logger="depind.verifier"):
        trio.run(carol_service.on_block, app.state.height())
        trio.run(carol_service.on_block, app.state.height() + 1)
    assert node.submitted == [] and len(list(pending_audits(carol.work_dir))) == 1  # kept for later
    (warning,) = [r.getMessage() for r in caplog.records if "cannot audit" in r.getMessage()]
    assert (
        f"the dispute bond is {BOND}udepin" in warning
        and f"operator {CAROL.address} holds 0udepin" in warning
    )


def test_audits_end_with_the_window(node: AppNode, tmp_path: Path) -> None:
    app = node.app
    carol, carol_service = audit_of_dave(node, tmp_path)
    attest_with(app, DAVE)
    window_end = int(job_json(app)["committee"]["window_end_height"])
    trio.run(carol_service.on_block, window_end)  # the next block is past the window
    assert node.submitted == [] and not (carol.work_dir / AUDIT_DIR / str(JOB_ID)).exists()


def test_the_committee_members_come_with_the_assignment(node: AppNode) -> None:
    assignment = Assignment.from_job(job_json(node.app))
    assert set(assignment.members) == {CAROL.address, DAVE.address}
