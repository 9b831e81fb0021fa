"""compute message vectors: one of each message, every field set (tests/vm/test_tx.py signs and
decodes them in both sign modes)."""

from __future__ import annotations

from gpu.proofs import Attestation, encode_attestation, encode_opening
from tests.vm.compute.helpers import (
    GEMM,
    PARAMS,
    answer_msg,
    beacon_at,
    corrupted,
    dispute_msg,
    fraud_proof,
    header_bytes,
    honest,
    member_cr,
    row_dispute_msg,
)
from tests.vm.helpers import ALICE, BOB, CAROL, DENOM, raw
from vm.compute.msgs import (
    NO_CR_ROOT,
    MsgAnswerDispute,
    MsgAttest,
    MsgChallengeAvailability,
    MsgClaimCapacity,
    MsgDisputeAttestation,
    MsgPostChunks,
    MsgSubmitFraudProof,
    MsgSubmitJob,
    MsgSubmitResult,
    MsgUpdateParams,
)
from vm.compute.params import parse_params
from vm.msg import Msg
from vm.types import Coin

WORK = honest(GEMM)
WRONG = corrupted(WORK, 0, 3, 4)
PROOF = fraud_proof(WRONG, 0, 3, 4)
VALID = encode_attestation(Attestation("valid", 3, WORK.result_root, bytes(range(32))))
FRAUD = encode_attestation(Attestation("fraud", 3, WRONG.result_root, NO_CR_ROOT))
CHUNKS = [encode_opening(WORK.commitment.open_leaf(chunk)) for chunk in (1, 3)]
CAROL_CR = member_cr(WORK, raw(CAROL), beacon_at(9))
DISPUTE = dispute_msg(7, WORK, CAROL, CAROL_CR, 0, 1, 2).dispute
ROW_DISPUTE = row_dispute_msg(7, WORK, CAROL, 0, 1, 2).dispute
ANSWER = answer_msg(7, CAROL, CAROL_CR, 0, 1, 2).entry

COMPUTE_MESSAGES: list[Msg] = [
    MsgSubmitJob(BOB.address, 3, header_bytes(GEMM), 20, Coin(DENOM, 1_000_000)),
    MsgSubmitResult(ALICE.address, 7, WORK.output_root, 12_345, True, 250),
    MsgSubmitResult(ALICE.address, 7, WORK.output_root, 0, False, 0),
    MsgAttest(CAROL.address, 7, VALID, b""),
    MsgAttest(CAROL.address, 7, FRAUD, PROOF),
    MsgSubmitFraudProof(CAROL.address, 7, PROOF),
    MsgDisputeAttestation(BOB.address, 7, CAROL.address, DISPUTE),
    MsgDisputeAttestation(BOB.address, 7, CAROL.address, ROW_DISPUTE),
    MsgAnswerDispute(CAROL.address, 7, ANSWER),
    MsgChallengeAvailability(BOB.address, 7),
    MsgPostChunks(ALICE.address, 7, CHUNKS),
    MsgUpdateParams(ALICE.address, parse_params(PARAMS)),
    MsgClaimCapacity(ALICE.address, 123_456_789_000),
]
