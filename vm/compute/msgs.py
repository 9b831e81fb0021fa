"""compute messages (``depind.compute.v1``) and their stateless checks: addresses, ids, and
that the header, attestation, fraud proof, dispute and answer bytes decode (gpu/header.py,
gpu/proofs.py). What depends on state or params (the lease, the job's state and deadlines,
the committee, whether a proof proves anything) is checked by the handlers."""

from __future__ import annotations

import msgspec

from gpu.errors import GpuError
from gpu.header import JobHeader, decode_header
from gpu.merkle import CHUNK_BYTES, Opening
from gpu.proofs import (
    ROW_DISPUTE_KIND,
    Attestation,
    AttestationDispute,
    CrOpening,
    FraudProof,
    RowDispute,
    decode_attestation,
    decode_cr_opening,
    decode_dispute,
    decode_fraud_proof,
    decode_opening,
    decode_row_dispute,
)
from protos.depind.compute.v1 import tx_pb2
from vm.codec import type_url
from vm.compute.errors import (
    InvalidAnswer,
    InvalidAttestation,
    InvalidChunks,
    InvalidDeadline,
    InvalidDispute,
    InvalidFraudProof,
    InvalidHeader,
)
from vm.compute.params import MAX_AVAILABILITY_SAMPLES, MAX_HEADER_BYTES, Params, check_params
from vm.errors import InvalidRequest
from vm.msg import Msg
from vm.types import Coin, Uint64, parse_address, validate_coin

DIGEST_BYTES = 32
NO_CR_ROOT = bytes(DIGEST_BYTES)  # a fraud verdict commits to no C r: its fraud proof backs it


# -- decoding what the messages carry ------------------------------------------------------------


def parse_header(data: bytes) -> JobHeader:
    """A job header from its canonical MessagePack (the only encoding whose digest the provider
    and the verifiers compute alike)."""
    if not data:
        raise InvalidHeader("the header is empty")
    if len(data) > MAX_HEADER_BYTES:
        raise InvalidHeader(f"{len(data)} bytes; a header has at most {MAX_HEADER_BYTES}")
    try:
        header = decode_header(data)
    except GpuError as error:
        raise InvalidHeader(str(error)) from None
    if msgspec.msgpack.encode(header) != data:
        raise InvalidHeader("the header is not in its canonical encoding")
    return header


def parse_attestation(data: bytes) -> Attestation:
    try:
        return decode_attestation(data)
    except GpuError as error:
        raise InvalidAttestation(str(error)) from None


def parse_fraud_proof(data: bytes) -> FraudProof:
    try:
        return decode_fraud_proof(data)
    except GpuError as error:
        raise InvalidFraudProof(str(error)) from None


def parse_dispute(data: bytes) -> AttestationDispute | RowDispute:
    """A one-shot dispute (the entry and its row) or a row dispute (the row only), by kind byte."""
    try:
        if data[:1] == bytes([ROW_DISPUTE_KIND]):
            return decode_row_dispute(data)
        return decode_dispute(data)
    except GpuError as error:
        raise InvalidDispute(str(error)) from None


def parse_cr_opening(data: bytes) -> CrOpening:
    try:
        return decode_cr_opening(data)
    except GpuError as error:
        raise InvalidAnswer(str(error)) from None


def parse_chunk_opening(data: bytes) -> Opening:
    """One sampled chunk's opening: a single leaf of at most 1 KiB with its path."""
    try:
        opening = decode_opening(data)
    except GpuError as error:
        raise InvalidChunks(str(error)) from None
    if opening.count != 1 or not 1 <= len(opening.data) <= CHUNK_BYTES:
        raise InvalidChunks(f"an opening holds one chunk of 1 to {CHUNK_BYTES} bytes")
    return opening


def validate_id(value: int, what: str) -> None:
    if value == 0:
        raise InvalidRequest(f"{what} must be positive")


# -- messages ------------------------------------------------------------------------------------


class MsgSubmitJob(Msg, tag=type_url(tx_pb2.MsgSubmitJob), frozen=True):
    requester: str
    lease_id: Uint64
    header: bytes
    deadline_blocks: Uint64
    price: Coin

    def signer(self) -> str:
        return self.requester

    def validate(self) -> None:
        parse_address(self.requester, "requester")
        validate_id(self.lease_id, "lease_id")
        parse_header(self.header)
        if self.deadline_blocks == 0:
            raise InvalidDeadline("deadline_blocks must be positive")
        validate_coin(self.price, "price")


class MsgSubmitResult(Msg, tag=type_url(tx_pb2.MsgSubmitResult), frozen=True):
    provider: str
    job_id: Uint64
    output_root: bytes
    energy_mj: Uint64
    energy_known: bool
    compute_ms: Uint64

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")
        validate_id(self.job_id, "job_id")
        if len(self.output_root) != DIGEST_BYTES:
            raise InvalidRequest(f"output_root must be {DIGEST_BYTES} bytes, got {len(self.output_root)}")
        if self.energy_mj and not self.energy_known:
            raise InvalidRequest("energy_mj must be 0 when the energy is not known")


class MsgAttest(Msg, tag=type_url(tx_pb2.MsgAttest), frozen=True):
    """A committee member's verdict; a fraud verdict carries the fraud proof that backs it."""

    validator: str
    job_id: Uint64
    attestation: bytes
    fraud_proof: bytes

    def signer(self) -> str:
        return self.validator

    def validate(self) -> None:
        parse_address(self.validator, "validator")
        validate_id(self.job_id, "job_id")
        attestation = parse_attestation(self.attestation)
        if attestation.verdict == "valid":
            if self.fraud_proof:
                raise InvalidAttestation("a valid verdict carries no fraud proof")
            return
        if attestation.cr_root != NO_CR_ROOT:
            raise InvalidAttestation("a fraud verdict commits to no C r: its cr_root is zero bytes")
        if not self.fraud_proof:
            raise InvalidAttestation("a fraud verdict needs the fraud proof that backs it")
        parse_fraud_proof(self.fraud_proof)


class MsgSubmitFraudProof(Msg, tag=type_url(tx_pb2.MsgSubmitFraudProof), frozen=True):
    prover: str
    job_id: Uint64
    proof: bytes

    def signer(self) -> str:
        return self.prover

    def validate(self) -> None:
        parse_address(self.prover, "prover")
        validate_id(self.job_id, "job_id")
        parse_fraud_proof(self.proof)


class MsgDisputeAttestation(Msg, tag=type_url(tx_pb2.MsgDisputeAttestation), frozen=True):
    disputer: str
    job_id: Uint64
    member: str
    dispute: bytes

    def signer(self) -> str:
        return self.disputer

    def validate(self) -> None:
        parse_address(self.disputer, "disputer")
        validate_id(self.job_id, "job_id")
        parse_address(self.member, "member")
        parse_dispute(self.dispute)


class MsgAnswerDispute(Msg, tag=type_url(tx_pb2.MsgAnswerDispute), frozen=True):
    """A disputed member's answer: the disputed entry of its C r, opened with its path."""

    member: str
    job_id: Uint64
    entry: bytes

    def signer(self) -> str:
        return self.member

    def validate(self) -> None:
        parse_address(self.member, "member")
        validate_id(self.job_id, "job_id")
        parse_cr_opening(self.entry)


class MsgChallengeAvailability(Msg, tag=type_url(tx_pb2.MsgChallengeAvailability), frozen=True):
    """A committee member or the requester asks the provider to post sampled output chunks."""

    challenger: str
    job_id: Uint64

    def signer(self) -> str:
        return self.challenger

    def validate(self) -> None:
        parse_address(self.challenger, "challenger")
        validate_id(self.job_id, "job_id")


class MsgPostChunks(Msg, tag=type_url(tx_pb2.MsgPostChunks), frozen=True):
    """The provider's answer: one opening (gpu/proofs.py ``encode_opening``) per sampled
    chunk, in the challenge's order."""

    provider: str
    job_id: Uint64
    openings: list[bytes]

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")
        validate_id(self.job_id, "job_id")
        if not 1 <= len(self.openings) <= MAX_AVAILABILITY_SAMPLES:
            raise InvalidChunks(f"1 to {MAX_AVAILABILITY_SAMPLES} openings, not {len(self.openings)}")
        for data in self.openings:
            parse_chunk_opening(data)


class MsgClaimCapacity(Msg, tag=type_url(tx_pb2.MsgClaimCapacity), frozen=True):
    """A provider's claimed throughput of exact int8 GEMM in multiply-adds per second, which
    capacity challenges measure (vm/compute/capacity.py); 0 withdraws the claim."""

    provider: str
    capacity: Uint64

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the compute params; only the chain's authority may sign it."""

    authority: str
    params: Params

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        check_params(self.params)
