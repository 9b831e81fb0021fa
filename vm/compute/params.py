"""compute params: ``genesis.compute.ComputeParams`` is their JSON and stored form (fractions
as LegacyDec text); ``Params`` holds the same values with the fractions as ``Dec`` atomics,
as the rules compute with them and as ``MsgUpdateParams`` carries them on the wire."""

from __future__ import annotations

from genesis.compute import ComputeParams
from gpu.challenge import MAX_ROUNDS, MIN_ROUNDS
from gpu.header import MAX_DIM
from gpu.proofs import MAX_ENCODED_BYTES
from vm import dec
from vm.dec import Dec
from vm.encoding import Canonical
from vm.errors import InvalidRequest
from vm.types import Uint64, is_valid_denom

BPS = 10_000
MAX_COMMITTEE = 100  # the staking module's default max validators
MAX_HEADER_BYTES = 1 << 16  # what max_header_bytes may be raised to: a header is a few hundred bytes
MAX_AVAILABILITY_SAMPLES = 64  # chunks one availability challenge samples: 64 KiB posted at most
MIN_PROOF_BYTES = 1 << 10  # what max_proof_bytes may be lowered to: a small job's proofs fit
MIN_CAPACITY_SIDE = 16  # a capacity challenge's smallest output side


class Params(Canonical, frozen=True):
    """The fields of ``depind.compute.v1.Params``, in its order."""

    denom: str
    committee_size: Uint64
    freivalds_rounds: Uint64
    attest_blocks: Uint64
    challenge_window_blocks: Uint64
    max_deadline_blocks: Uint64
    max_header_bytes: Uint64
    max_open_jobs_per_lease: Uint64
    max_jobs_per_block: Uint64
    fraud_proof_gas_base: Uint64
    fraud_proof_gas_per_entry: Uint64
    dispute_gas_base: Uint64
    dispute_gas_per_entry: Uint64
    provider_slash_fraction: Dec
    requester_share_bps: Uint64
    prover_share_bps: Uint64
    false_attestation_slash_fraction: Dec
    liveness_slash_fraction: Dec
    dispute_reward: Uint64
    reward_per_gigaunit: Uint64
    valid_reputation_reward: Uint64
    invalid_reputation_penalty: Uint64
    fault_reputation_penalty: Uint64
    fault_closes_lease: bool
    slash_closes_lease: bool
    availability_samples: Uint64
    availability_blocks: Uint64
    availability_bond: Uint64
    availability_gas_per_byte: Uint64
    max_proof_bytes: Uint64
    dispute_bond: Uint64
    dispute_answer_blocks: Uint64
    capacity_rate_bps: Uint64
    capacity_target_ms: Uint64
    capacity_slack_bps: Uint64
    capacity_latency_ms: Uint64
    capacity_result_blocks: Uint64
    capacity_expiry_blocks: Uint64
    capacity_renew_blocks: Uint64
    capacity_retry_blocks: Uint64
    capacity_max_side: Uint64


FRACTIONS = ("provider_slash_fraction", "false_attestation_slash_fraction", "liveness_slash_fraction")


def parse_params(params: ComputeParams) -> Params:
    fields = {name: getattr(params, name) for name in Params.__struct_fields__}
    for name in FRACTIONS:
        fields[name] = parse_dec(fields[name], name)
    return Params(**fields)


def format_params(params: Params) -> ComputeParams:
    """The JSON form, fractions written as Cosmos writes them ("0.050000000000000000")."""
    fields = {name: getattr(params, name) for name in Params.__struct_fields__}
    for name in FRACTIONS:
        fields[name] = dec.format(fields[name])
    return ComputeParams(**fields)


def validate_params(params: ComputeParams) -> None:
    check_params(parse_params(params))


def check_params(params: Params) -> None:
    if not is_valid_denom(params.denom):
        raise InvalidRequest(f"compute denom {params.denom[:128]!r} is invalid")
    if not 1 <= params.committee_size <= MAX_COMMITTEE:
        raise InvalidRequest(f"committee_size must be 1 to {MAX_COMMITTEE}")
    if not MIN_ROUNDS <= params.freivalds_rounds <= MAX_ROUNDS:
        raise InvalidRequest(f"freivalds_rounds must be {MIN_ROUNDS} to {MAX_ROUNDS}")
    _check_positive(params, "attest_blocks", "max_deadline_blocks", "max_open_jobs_per_lease")
    _check_positive(params, "max_jobs_per_block", "max_header_bytes", "availability_blocks")
    _check_positive(params, "dispute_answer_blocks")
    check_capacity_params(params)
    if not 1 <= params.availability_samples <= MAX_AVAILABILITY_SAMPLES:
        raise InvalidRequest(f"availability_samples must be 1 to {MAX_AVAILABILITY_SAMPLES}")
    if params.challenge_window_blocks < params.attest_blocks:
        raise InvalidRequest("challenge_window_blocks must be at least attest_blocks")
    if params.max_header_bytes > MAX_HEADER_BYTES:
        raise InvalidRequest(f"max_header_bytes must be at most {MAX_HEADER_BYTES}")
    if not MIN_PROOF_BYTES <= params.max_proof_bytes <= MAX_ENCODED_BYTES:
        raise InvalidRequest(f"max_proof_bytes must be {MIN_PROOF_BYTES} to {MAX_ENCODED_BYTES}")
    for name in FRACTIONS:
        _check_fraction(getattr(params, name), name)
    if params.requester_share_bps + params.prover_share_bps > BPS:
        raise InvalidRequest("requester_share_bps and prover_share_bps together exceed 10,000")


def check_capacity_params(params: Params) -> None:
    _check_positive(params, "capacity_target_ms", "capacity_result_blocks", "capacity_expiry_blocks")
    if params.capacity_rate_bps > BPS:
        raise InvalidRequest("capacity_rate_bps must be at most 10,000")
    if params.capacity_slack_bps < BPS:
        raise InvalidRequest("capacity_slack_bps must be at least 10,000: no deadline below the target")
    if params.capacity_renew_blocks >= params.capacity_expiry_blocks:
        raise InvalidRequest("capacity_renew_blocks must be below capacity_expiry_blocks")
    if not MIN_CAPACITY_SIDE <= params.capacity_max_side <= MAX_DIM:
        raise InvalidRequest(f"capacity_max_side must be {MIN_CAPACITY_SIDE} to {MAX_DIM}")


def _check_positive(params: Params, *names: str) -> None:
    for name in names:
        if getattr(params, name) <= 0:
            raise InvalidRequest(f"{name} must be positive")


def _check_fraction(value: Dec, what: str) -> None:
    if not 0 <= value <= dec.ONE:
        raise InvalidRequest(f"{what} must be within [0, 1], not {dec.format(value)}")


def parse_dec(text: str, what: str) -> Dec:
    try:
        return dec.parse(text)
    except dec.DecError as error:
        raise InvalidRequest(f"{what}: {error}") from None
