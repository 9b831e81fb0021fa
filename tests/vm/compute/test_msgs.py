"""compute messages' stateless checks and the params' rules."""

from __future__ import annotations

import msgspec
import pytest

from genesis.compute import ComputeParams
from gpu.header import GemmHeader
from gpu.proofs import Attestation, encode_attestation
from tests.vm.compute.helpers import GEMM, PARAMS, header_bytes
from tests.vm.compute.vectors import COMPUTE_MESSAGES, DISPUTE, FRAUD, PROOF, VALID, WORK
from tests.vm.helpers import ALICE, BOB, DENOM
from vm.compute.msgs import (
    MsgAttest,
    MsgDisputeAttestation,
    MsgSubmitFraudProof,
    MsgSubmitJob,
    MsgSubmitResult,
    MsgUpdateParams,
)
from vm.compute.params import format_params, parse_params, validate_params
from vm.errors import InvalidTx
from vm.msg import Msg
from vm.types import Coin


def rejection(msg: Msg) -> tuple[str, int]:
    with pytest.raises(InvalidTx) as caught:
        msg.validate()
    return caught.value.codespace, caught.value.code


def test_every_vector_is_valid() -> None:
    for msg in COMPUTE_MESSAGES:
        msg.validate()


# -- MsgSubmitJob --------------------------------------------------------------------------------


def job(**fields: object) -> MsgSubmitJob:
    base = MsgSubmitJob(BOB.address, 1, header_bytes(GEMM), 10, Coin(DENOM, 5))
    return msgspec.structs.replace(base, **fields)


def test_invalid_submit_job() -> None:
    header = header_bytes(GEMM)
    wrong_exactness = msgspec.msgpack.encode(GemmHeader(m=4, k=4096, n=4, bound=64))
    non_canonical = header.replace(b"\x20", b"\xcc\x20", 1)  # m = 32 as a one-byte uint
    assert rejection(job(requester="depin1nope")) == ("sdk", 7)
    assert rejection(job(lease_id=0)) == ("sdk", 18)
    assert rejection(job(header=b"")) == ("compute", 7)
    assert rejection(job(header=b"\x81\xa1x\x01")) == ("compute", 7)  # not a header
    assert rejection(job(header=b"\x81\xa4kind\xa1\xa4")) == ("compute", 7)  # a kind that is not UTF-8
    assert rejection(job(header=wrong_exactness)) == ("compute", 7)  # K b^2 above 2^22
    assert rejection(job(header=non_canonical)) == ("compute", 7)
    assert rejection(job(header=header + b"\x00")) == ("compute", 7)  # trailing bytes
    assert rejection(job(header=bytes(70_000))) == ("compute", 7)
    assert rejection(job(deadline_blocks=0)) == ("compute", 8)
    assert rejection(job(price=Coin(DENOM, 0))) == ("sdk", 10)
    assert rejection(job(price=Coin("!", 5))) == ("sdk", 10)


# -- MsgSubmitResult -----------------------------------------------------------------------------


def result(**fields: object) -> MsgSubmitResult:
    base = MsgSubmitResult(ALICE.address, 1, WORK.output_root, 0, False, 3)
    return msgspec.structs.replace(base, **fields)


def test_invalid_submit_result() -> None:
    assert rejection(result(provider="x")) == ("sdk", 7)
    assert rejection(result(job_id=0)) == ("sdk", 18)
    assert rejection(result(output_root=bytes(31))) == ("sdk", 18)
    assert rejection(result(energy_mj=5)) == ("sdk", 18)  # energy given but marked unknown
    result(energy_mj=5, energy_known=True).validate()


# -- MsgAttest -----------------------------------------------------------------------------------


def attest(**fields: object) -> MsgAttest:
    return msgspec.structs.replace(MsgAttest(ALICE.address, 1, VALID, b""), **fields)


def test_invalid_attest() -> None:
    fraud_with_cr = encode_attestation(Attestation("fraud", 3, WORK.result_root, bytes(range(32))))
    assert rejection(attest(validator="")) == ("sdk", 7)
    assert rejection(attest(job_id=0)) == ("sdk", 18)
    assert rejection(attest(attestation=VALID[:-1])) == ("compute", 14)
    assert rejection(attest(attestation=b"\x03" + VALID[1:])) == ("compute", 14)  # wrong kind
    assert rejection(attest(fraud_proof=PROOF)) == ("compute", 14)  # a valid verdict has no proof
    assert rejection(attest(attestation=FRAUD)) == ("compute", 14)  # a fraud verdict needs one
    assert rejection(attest(attestation=fraud_with_cr, fraud_proof=PROOF)) == ("compute", 14)
    assert rejection(attest(attestation=FRAUD, fraud_proof=PROOF[:-3])) == ("compute", 15)
    attest(attestation=FRAUD, fraud_proof=PROOF).validate()


# -- fraud proofs and disputes -------------------------------------------------------------------


def test_invalid_submit_fraud_proof() -> None:
    base = MsgSubmitFraudProof(BOB.address, 1, PROOF)
    assert rejection(msgspec.structs.replace(base, prover="depin")) == ("sdk", 7)
    assert rejection(msgspec.structs.replace(base, job_id=0)) == ("sdk", 18)
    assert rejection(msgspec.structs.replace(base, proof=b"")) == ("compute", 15)
    assert rejection(msgspec.structs.replace(base, proof=PROOF + b"\x00")) == ("compute", 15)
    assert rejection(msgspec.structs.replace(base, proof=VALID)) == ("compute", 15)


def test_invalid_dispute_attestation() -> None:
    base = MsgDisputeAttestation(BOB.address, 1, ALICE.address, DISPUTE)
    assert rejection(msgspec.structs.replace(base, disputer="")) == ("sdk", 7)
    assert rejection(msgspec.structs.replace(base, member="depin1")) == ("sdk", 7)
    assert rejection(msgspec.structs.replace(base, job_id=0)) == ("sdk", 18)
    assert rejection(msgspec.structs.replace(base, dispute=DISPUTE[:40])) == ("compute", 16)
    assert rejection(msgspec.structs.replace(base, dispute=PROOF)) == ("compute", 16)


# -- params --------------------------------------------------------------------------------------


def test_params_round_trip_between_their_json_and_wire_forms() -> None:
    assert format_params(parse_params(PARAMS)) == PARAMS
    assert format_params(parse_params(ComputeParams(liveness_slash_fraction="0.5"))) == ComputeParams(
        liveness_slash_fraction="0.500000000000000000"
    )
    validate_params(ComputeParams())


@pytest.mark.parametrize(
    "fields",
    [
        {"denom": "x"},
        {"committee_size": 0},
        {"committee_size": 101},
        {"freivalds_rounds": 2},
        {"freivalds_rounds": 17},
        {"attest_blocks": 0},
        {"attest_blocks": 30, "challenge_window_blocks": 20},
        {"max_deadline_blocks": 0},
        {"max_header_bytes": 0},
        {"max_header_bytes": 70_000},
        {"max_proof_bytes": 1_023},
        {"max_proof_bytes": (1 << 20) + 1},
        {"max_open_jobs_per_lease": 0},
        {"max_jobs_per_block": 0},
        {"provider_slash_fraction": "1.5"},
        {"false_attestation_slash_fraction": "-0.1"},
        {"liveness_slash_fraction": "half"},
        {"requester_share_bps": 6_000, "prover_share_bps": 5_000},
    ],
    ids=lambda fields: ",".join(fields),
)
def test_invalid_params(fields: dict[str, object]) -> None:
    params = msgspec.structs.replace(ComputeParams(), **fields)
    with pytest.raises(InvalidTx) as caught:
        validate_params(params)
    assert (caught.value.codespace, caught.value.code) == ("sdk", 18)
    if "liveness_slash_fraction" not in fields:
        update = MsgUpdateParams(ALICE.address, parse_params(params))
        assert rejection(update) == ("sdk", 18)
