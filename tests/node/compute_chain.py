"""A committed chain with compute jobs in three states, built with signed txs in real blocks
on top of tests/node/market_chain.py's (lease 1: BOB's, on one of ALICE's H100s, active
since height 4, its offer serving gemm), for the node's compute query tests (JSON-RPC, REST
and the CLI's text views):

    heights 1-6  the market chain
    height 7     CAROL and DAVE create validators (power 3 and 2): the only ones bonded
    height 8     BOB submits jobs 1, 2 and 3 on lease 1 (JOB, JOB_PRICE each)
    height 9     ALICE submits job 1's result
    height 10    job 1's committee is sampled: CAROL and DAVE
    height 11    both attest job 1 valid
    height 29    ALICE submits job 2's result
    height 30    job 1's window ends: valid; job 2's committee is sampled
    height 31    no txs

Answers are read at height 31: job 1 valid, job 2 verifying, job 3 pending.
"""

from __future__ import annotations

from gpu.proofs import Attestation, encode_attestation
from node.keys.hd import PrivateKey
from tests.node.market_chain import block, market_app, tx
from tests.vm.compute.helpers import GEMM, Work, header_bytes, honest, member_cr
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, query_json, raw
from tests.vm.staking.helpers import create_validator
from vm.app import App
from vm.compute.msgs import MsgAttest, MsgSubmitJob, MsgSubmitResult
from vm.types import Coin

JOB = GEMM
JOB_PRICE = 1_000
ENERGY_MJ = 1_500
COMPUTE_MS = 42
MEMBERS = (CAROL, DAVE)
STAKES = (3_000_000, 2_000_000)  # power 3 and 2 at the default power reduction
SUBMIT_HEIGHT = 8
VALID_HEIGHT = 30
QUERY_HEIGHT = 31
LEASE = 1


def submit_job(deadline_blocks: int) -> MsgSubmitJob:
    return MsgSubmitJob(BOB.address, LEASE, header_bytes(JOB), deadline_blocks, Coin("udepin", JOB_PRICE))


def submit_result(job_id: int, work: Work) -> MsgSubmitResult:
    return MsgSubmitResult(ALICE.address, job_id, work.output_root, ENERGY_MJ, True, COMPUTE_MS)


def attest(app: App, member: PrivateKey, job_id: int, work: Work) -> bytes:
    """A member's valid attestation, with the C r its committee's beacon gives it."""
    committee = query_json(app, "/compute/job", {"id": job_id})["job"]["committee"]  # type: ignore[index]
    cr = member_cr(work, raw(member), bytes.fromhex(committee["beacon"]), committee["rounds"])
    attestation = Attestation("valid", committee["rounds"], work.result_root, cr.root)
    return tx(app, member, MsgAttest(member.address, job_id, encode_attestation(attestation), b""))


def compute_app() -> App:
    app = market_app()
    work = honest(JOB)
    block(
        app,
        *(
            tx(app, k, create_validator(k, s, key=40 + i))
            for i, (k, s) in enumerate(zip(MEMBERS, STAKES, strict=True))
        ),
    )
    block(app, tx(app, BOB, submit_job(40), submit_job(40), submit_job(100)))
    block(app, tx(app, ALICE, submit_result(1, work)))
    block(app)
    block(app, *(attest(app, member, 1, work) for member in MEMBERS))
    while app.state.height() < VALID_HEIGHT - 2:
        block(app)
    block(app, tx(app, ALICE, submit_result(2, work)))
    block(app)
    block(app)
    assert app.state.height() == QUERY_HEIGHT
    return app
