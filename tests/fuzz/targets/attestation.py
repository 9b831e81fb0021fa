"""What a committee member and its disputers put on chain about a GEMM job's result: an
attestation (``parse_attestation``), a dispute of the member's C r entry, one-shot or by row
(``parse_dispute``, then ``check_attestation_dispute`` or ``correct_cr_entry``), the member's
answer (``parse_cr_opening``, then ``answered_cr_entry``) and a data-availability answer's
chunk opening (``parse_chunk_opening``, then the leaf it opens under the output root).

Rejections: ``InvalidTx`` from parsing, and what the handlers turn into ``InvalidDispute``,
``InvalidAnswer`` or ``InvalidChunks`` (``GpuError``, ``ValueError``). Promises checked: each
encoding is the only one of its value, and an honest member's attestation survives every
dispute: no dispute upholds it, and every entry proven or answered is the true one."""

from __future__ import annotations

from gpu.errors import GpuError
from gpu.jobs import job_header
from gpu.merkle import opened_leaf
from gpu.onchain import answered_cr_entry, check_attestation_dispute, correct_cr_entry
from gpu.proofs import (
    Attestation,
    AttestationDispute,
    encode_attestation,
    encode_cr_opening,
    encode_dispute,
    encode_opening,
    encode_row_dispute,
)
from tests.fuzz.support import check
from tests.vm.compute.helpers import beacon_at, member_cr
from tests.vm.compute.vectors import ANSWER, CHUNKS, DISPUTE, FRAUD, ROW_DISPUTE, VALID, WORK
from tests.vm.helpers import CAROL, raw
from vm.compute.msgs import parse_attestation, parse_chunk_opening, parse_cr_opening, parse_dispute
from vm.errors import InvalidTx

ROUNDS = 3
MEMBER = raw(CAROL)
BEACON = beacon_at(9)
HEADER = job_header(WORK.spec)
ROOT = WORK.result_root
CR = member_cr(WORK, MEMBER, BEACON, ROUNDS)  # the member's honest C r
ATTESTED = Attestation("valid", ROUNDS, ROOT, CR.root)


def fuzz_one(data: bytes) -> None:
    attestation(data)
    dispute(data)
    answer(data)
    chunk(data)


def attestation(data: bytes) -> None:
    try:
        decoded = parse_attestation(data)
    except InvalidTx:
        return
    check(encode_attestation(decoded) == data, "an attestation has one encoding")


def dispute(data: bytes) -> None:
    try:
        decoded = parse_dispute(data)
    except InvalidTx:
        return
    if isinstance(decoded, AttestationDispute):
        check(encode_dispute(decoded) == data, "a dispute has one encoding")
        check(not upholds(decoded), "no dispute upholds an honest attestation")
        return
    check(encode_row_dispute(decoded) == data, "a row dispute has one encoding")
    try:
        expected = correct_cr_entry(HEADER, ROOT, MEMBER, BEACON, ROUNDS, ATTESTED, decoded)
    except (GpuError, ValueError):
        return
    true = CR.open_entry(decoded.tensor, decoded.round, decoded.row).value
    check(expected == true, "a row dispute proves the true C r entry")


def upholds(decoded: AttestationDispute) -> bool:
    try:
        check_attestation_dispute(HEADER, ROOT, MEMBER, BEACON, ROUNDS, ATTESTED, decoded)
    except (GpuError, ValueError):
        return False
    return True


def answer(data: bytes) -> None:
    try:
        entry = parse_cr_opening(data)
    except InvalidTx:
        return
    check(encode_cr_opening(entry) == data, "a C r opening has one encoding")
    try:
        value = answered_cr_entry(HEADER, ROUNDS, CR.root, (entry.tensor, entry.round, entry.row), entry)
    except (GpuError, ValueError):
        return
    true = CR.open_entry(entry.tensor, entry.round, entry.row).value
    check(value == true, "an answer opens the true entry")


def chunk(data: bytes) -> None:
    try:
        opening = parse_chunk_opening(data)
    except InvalidTx:
        return
    check(encode_opening(opening) == data, "a chunk opening has one encoding")
    leaves = WORK.commitment.layout.size
    try:
        opened = opened_leaf(opening, opening.first, leaves, WORK.output_root)
    except (GpuError, ValueError):
        return
    check(opened == WORK.commitment.open_leaf(opening.first).data, "an opening shows the committed chunk")


def seeds() -> dict[str, bytes]:
    return {
        "valid-attestation": VALID,
        "fraud-attestation": FRAUD,
        "dispute": DISPUTE,
        "row-dispute": ROW_DISPUTE,
        "answer": ANSWER,
        **{f"chunk-{n}": data for n, data in enumerate(CHUNKS)},
    }
