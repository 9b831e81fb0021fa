"""A fraud proof as ``MsgSubmitFraudProof`` and a fraud attestation carry it:
``parse_fraud_proof``, then ``check_fraud_proof`` (gpu/onchain.py) against jobs of each kind,
seeded and with supplied data, once against a result wrong in one entry and once against the
honest result.

Rejections: ``InvalidTx`` from parsing, and what the handler turns into ``InvalidFraudProof``
(``GpuError``, ``ValueError``). Promises checked: a proof has one encoding, and no proof
shows an honest result wrong (that would slash an honest provider)."""

from __future__ import annotations

import contextlib
import functools

from gpu.errors import GpuError
from gpu.onchain import check_fraud_proof
from gpu.proofs import FraudProof, encode_fraud_proof
from tests.fuzz.jobs import SPECS, Job, job
from tests.fuzz.support import check
from tests.vm.compute.helpers import fraud_proof
from vm.compute.msgs import parse_fraud_proof
from vm.errors import InvalidTx

ENTRIES = {
    "gemm": (0, 3, 4),
    "batched-gemm": (2, 1, 3),
    "mlp": (1, 2, 5),
    "supplied-gemm": (0, 3, 2),
    "supplied-mlp": (2, 1, 1),
}


@functools.cache
def jobs() -> dict[str, Job]:
    return {name: job(SPECS[name], entry) for name, entry in ENTRIES.items()}


def fuzz_one(data: bytes) -> None:
    try:
        proof = parse_fraud_proof(data)
    except InvalidTx:
        return
    check(encode_fraud_proof(proof) == data, "a fraud proof has one encoding")
    for name, target in jobs().items():
        with contextlib.suppress(GpuError, ValueError):
            check_fraud_proof(target.header, target.wrong.result_root, proof)
        check(not proves(target, proof), f"no fraud proof shows the honest {name} result wrong")


def proves(target: Job, proof: FraudProof) -> bool:
    try:
        check_fraud_proof(target.header, target.honest.result_root, proof)
    except (GpuError, ValueError):
        return False
    return True


def seeds() -> dict[str, bytes]:
    return {name: fraud_proof(target.wrong, *target.entry) for name, target in jobs().items()}
