from cosmpy.protos.amino import amino_pb2 as _amino_pb2
from cosmpy.protos.cosmos_proto import cosmos_pb2 as _cosmos_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_PENDING: _ClassVar[JobState]
    JOB_STATE_COMMITTED: _ClassVar[JobState]
    JOB_STATE_VERIFYING: _ClassVar[JobState]
    JOB_STATE_VALID: _ClassVar[JobState]
    JOB_STATE_INVALID: _ClassVar[JobState]
    JOB_STATE_PROVIDER_FAULT: _ClassVar[JobState]
    JOB_STATE_UNVERIFIED: _ClassVar[JobState]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_PENDING: JobState
JOB_STATE_COMMITTED: JobState
JOB_STATE_VERIFYING: JobState
JOB_STATE_VALID: JobState
JOB_STATE_INVALID: JobState
JOB_STATE_PROVIDER_FAULT: JobState
JOB_STATE_UNVERIFIED: JobState

class Params(_message.Message):
    __slots__ = ("denom", "committee_size", "freivalds_rounds", "attest_blocks", "challenge_window_blocks", "max_deadline_blocks", "max_header_bytes", "max_open_jobs_per_lease", "max_jobs_per_block", "fraud_proof_gas_base", "fraud_proof_gas_per_entry", "dispute_gas_base", "dispute_gas_per_entry", "provider_slash_fraction", "requester_share_bps", "prover_share_bps", "false_attestation_slash_fraction", "liveness_slash_fraction", "dispute_reward", "reward_per_gigaunit", "valid_reputation_reward", "invalid_reputation_penalty", "fault_reputation_penalty", "fault_closes_lease", "slash_closes_lease", "availability_samples", "availability_blocks", "availability_bond", "availability_gas_per_byte", "max_proof_bytes", "dispute_bond", "dispute_answer_blocks", "capacity_rate_bps", "capacity_target_ms", "capacity_slack_bps", "capacity_latency_ms", "capacity_result_blocks", "capacity_expiry_blocks", "capacity_renew_blocks", "capacity_retry_blocks", "capacity_max_side")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    COMMITTEE_SIZE_FIELD_NUMBER: _ClassVar[int]
    FREIVALDS_ROUNDS_FIELD_NUMBER: _ClassVar[int]
    ATTEST_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_WINDOW_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    MAX_DEADLINE_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    MAX_HEADER_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_OPEN_JOBS_PER_LEASE_FIELD_NUMBER: _ClassVar[int]
    MAX_JOBS_PER_BLOCK_FIELD_NUMBER: _ClassVar[int]
    FRAUD_PROOF_GAS_BASE_FIELD_NUMBER: _ClassVar[int]
    FRAUD_PROOF_GAS_PER_ENTRY_FIELD_NUMBER: _ClassVar[int]
    DISPUTE_GAS_BASE_FIELD_NUMBER: _ClassVar[int]
    DISPUTE_GAS_PER_ENTRY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SLASH_FRACTION_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    PROVER_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    FALSE_ATTESTATION_SLASH_FRACTION_FIELD_NUMBER: _ClassVar[int]
    LIVENESS_SLASH_FRACTION_FIELD_NUMBER: _ClassVar[int]
    DISPUTE_REWARD_FIELD_NUMBER: _ClassVar[int]
    REWARD_PER_GIGAUNIT_FIELD_NUMBER: _ClassVar[int]
    VALID_REPUTATION_REWARD_FIELD_NUMBER: _ClassVar[int]
    INVALID_REPUTATION_PENALTY_FIELD_NUMBER: _ClassVar[int]
    FAULT_REPUTATION_PENALTY_FIELD_NUMBER: _ClassVar[int]
    FAULT_CLOSES_LEASE_FIELD_NUMBER: _ClassVar[int]
    SLASH_CLOSES_LEASE_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_BOND_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_GAS_PER_BYTE_FIELD_NUMBER: _ClassVar[int]
    MAX_PROOF_BYTES_FIELD_NUMBER: _ClassVar[int]
    DISPUTE_BOND_FIELD_NUMBER: _ClassVar[int]
    DISPUTE_ANSWER_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_TARGET_MS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_SLACK_BPS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_RESULT_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_EXPIRY_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_RENEW_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_RETRY_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_MAX_SIDE_FIELD_NUMBER: _ClassVar[int]
    denom: str
    committee_size: int
    freivalds_rounds: int
    attest_blocks: int
    challenge_window_blocks: int
    max_deadline_blocks: int
    max_header_bytes: int
    max_open_jobs_per_lease: int
    max_jobs_per_block: int
    fraud_proof_gas_base: int
    fraud_proof_gas_per_entry: int
    dispute_gas_base: int
    dispute_gas_per_entry: int
    provider_slash_fraction: str
    requester_share_bps: int
    prover_share_bps: int
    false_attestation_slash_fraction: str
    liveness_slash_fraction: str
    dispute_reward: int
    reward_per_gigaunit: int
    valid_reputation_reward: int
    invalid_reputation_penalty: int
    fault_reputation_penalty: int
    fault_closes_lease: bool
    slash_closes_lease: bool
    availability_samples: int
    availability_blocks: int
    availability_bond: int
    availability_gas_per_byte: int
    max_proof_bytes: int
    dispute_bond: int
    dispute_answer_blocks: int
    capacity_rate_bps: int
    capacity_target_ms: int
    capacity_slack_bps: int
    capacity_latency_ms: int
    capacity_result_blocks: int
    capacity_expiry_blocks: int
    capacity_renew_blocks: int
    capacity_retry_blocks: int
    capacity_max_side: int
    def __init__(self, denom: _Optional[str] = ..., committee_size: _Optional[int] = ..., freivalds_rounds: _Optional[int] = ..., attest_blocks: _Optional[int] = ..., challenge_window_blocks: _Optional[int] = ..., max_deadline_blocks: _Optional[int] = ..., max_header_bytes: _Optional[int] = ..., max_open_jobs_per_lease: _Optional[int] = ..., max_jobs_per_block: _Optional[int] = ..., fraud_proof_gas_base: _Optional[int] = ..., fraud_proof_gas_per_entry: _Optional[int] = ..., dispute_gas_base: _Optional[int] = ..., dispute_gas_per_entry: _Optional[int] = ..., provider_slash_fraction: _Optional[str] = ..., requester_share_bps: _Optional[int] = ..., prover_share_bps: _Optional[int] = ..., false_attestation_slash_fraction: _Optional[str] = ..., liveness_slash_fraction: _Optional[str] = ..., dispute_reward: _Optional[int] = ..., reward_per_gigaunit: _Optional[int] = ..., valid_reputation_reward: _Optional[int] = ..., invalid_reputation_penalty: _Optional[int] = ..., fault_reputation_penalty: _Optional[int] = ..., fault_closes_lease: bool = ..., slash_closes_lease: bool = ..., availability_samples: _Optional[int] = ..., availability_blocks: _Optional[int] = ..., availability_bond: _Optional[int] = ..., availability_gas_per_byte: _Optional[int] = ..., max_proof_bytes: _Optional[int] = ..., dispute_bond: _Optional[int] = ..., dispute_answer_blocks: _Optional[int] = ..., capacity_rate_bps: _Optional[int] = ..., capacity_target_ms: _Optional[int] = ..., capacity_slack_bps: _Optional[int] = ..., capacity_latency_ms: _Optional[int] = ..., capacity_result_blocks: _Optional[int] = ..., capacity_expiry_blocks: _Optional[int] = ..., capacity_renew_blocks: _Optional[int] = ..., capacity_retry_blocks: _Optional[int] = ..., capacity_max_side: _Optional[int] = ...) -> None: ...

class Result(_message.Message):
    __slots__ = ("output_root", "result_root", "energy_mj", "energy_known", "compute_ms", "height")
    OUTPUT_ROOT_FIELD_NUMBER: _ClassVar[int]
    RESULT_ROOT_FIELD_NUMBER: _ClassVar[int]
    ENERGY_MJ_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KNOWN_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_MS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    output_root: bytes
    result_root: bytes
    energy_mj: int
    energy_known: bool
    compute_ms: int
    height: int
    def __init__(self, output_root: _Optional[bytes] = ..., result_root: _Optional[bytes] = ..., energy_mj: _Optional[int] = ..., energy_known: bool = ..., compute_ms: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class CommitteeMember(_message.Message):
    __slots__ = ("operator", "power")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    POWER_FIELD_NUMBER: _ClassVar[int]
    operator: str
    power: int
    def __init__(self, operator: _Optional[str] = ..., power: _Optional[int] = ...) -> None: ...

class Committee(_message.Message):
    __slots__ = ("beacon", "rounds", "sampled_height", "attest_deadline_height", "window_end_height", "members", "total_power", "attest_closed")
    BEACON_FIELD_NUMBER: _ClassVar[int]
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    SAMPLED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ATTEST_DEADLINE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POWER_FIELD_NUMBER: _ClassVar[int]
    ATTEST_CLOSED_FIELD_NUMBER: _ClassVar[int]
    beacon: bytes
    rounds: int
    sampled_height: int
    attest_deadline_height: int
    window_end_height: int
    members: _containers.RepeatedCompositeFieldContainer[CommitteeMember]
    total_power: int
    attest_closed: bool
    def __init__(self, beacon: _Optional[bytes] = ..., rounds: _Optional[int] = ..., sampled_height: _Optional[int] = ..., attest_deadline_height: _Optional[int] = ..., window_end_height: _Optional[int] = ..., members: _Optional[_Iterable[_Union[CommitteeMember, _Mapping]]] = ..., total_power: _Optional[int] = ..., attest_closed: bool = ...) -> None: ...

class Fraud(_message.Message):
    __slots__ = ("prover", "height")
    PROVER_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    prover: str
    height: int
    def __init__(self, prover: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "lease_id", "requester", "provider", "header", "spec_digest", "work_units", "kind", "price", "submitted_height", "deadline_height", "state", "result", "committee", "fraud", "verdict_height", "availability", "disputes", "capacity")
    ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    SPEC_DIGEST_FIELD_NUMBER: _ClassVar[int]
    WORK_UNITS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    COMMITTEE_FIELD_NUMBER: _ClassVar[int]
    FRAUD_FIELD_NUMBER: _ClassVar[int]
    VERDICT_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    DISPUTES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    id: int
    lease_id: int
    requester: str
    provider: str
    header: bytes
    spec_digest: bytes
    work_units: int
    kind: str
    price: int
    submitted_height: int
    deadline_height: int
    state: JobState
    result: Result
    committee: Committee
    fraud: Fraud
    verdict_height: int
    availability: AvailabilityChallenge
    disputes: _containers.RepeatedCompositeFieldContainer[PendingDispute]
    capacity: CapacityTerms
    def __init__(self, id: _Optional[int] = ..., lease_id: _Optional[int] = ..., requester: _Optional[str] = ..., provider: _Optional[str] = ..., header: _Optional[bytes] = ..., spec_digest: _Optional[bytes] = ..., work_units: _Optional[int] = ..., kind: _Optional[str] = ..., price: _Optional[int] = ..., submitted_height: _Optional[int] = ..., deadline_height: _Optional[int] = ..., state: _Optional[_Union[JobState, str]] = ..., result: _Optional[_Union[Result, _Mapping]] = ..., committee: _Optional[_Union[Committee, _Mapping]] = ..., fraud: _Optional[_Union[Fraud, _Mapping]] = ..., verdict_height: _Optional[int] = ..., availability: _Optional[_Union[AvailabilityChallenge, _Mapping]] = ..., disputes: _Optional[_Iterable[_Union[PendingDispute, _Mapping]]] = ..., capacity: _Optional[_Union[CapacityTerms, _Mapping]] = ...) -> None: ...

class CapacityTerms(_message.Message):
    __slots__ = ("claim", "issued_time_ns", "deadline_time_ns", "result_time_ns")
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    ISSUED_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    RESULT_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    claim: int
    issued_time_ns: int
    deadline_time_ns: int
    result_time_ns: int
    def __init__(self, claim: _Optional[int] = ..., issued_time_ns: _Optional[int] = ..., deadline_time_ns: _Optional[int] = ..., result_time_ns: _Optional[int] = ...) -> None: ...

class AvailabilityChallenge(_message.Message):
    __slots__ = ("challenger", "bond", "chunks", "opened_height", "deadline_height", "answered_height")
    CHALLENGER_FIELD_NUMBER: _ClassVar[int]
    BOND_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    OPENED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    challenger: str
    bond: int
    chunks: _containers.RepeatedScalarFieldContainer[int]
    opened_height: int
    deadline_height: int
    answered_height: int
    def __init__(self, challenger: _Optional[str] = ..., bond: _Optional[int] = ..., chunks: _Optional[_Iterable[int]] = ..., opened_height: _Optional[int] = ..., deadline_height: _Optional[int] = ..., answered_height: _Optional[int] = ...) -> None: ...

class Dispute(_message.Message):
    __slots__ = ("disputer", "height")
    DISPUTER_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    disputer: str
    height: int
    def __init__(self, disputer: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class PendingDispute(_message.Message):
    __slots__ = ("member", "disputer", "bond", "tensor", "round", "row", "expected", "opened_height", "deadline_height")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    DISPUTER_FIELD_NUMBER: _ClassVar[int]
    BOND_FIELD_NUMBER: _ClassVar[int]
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    OPENED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    member: str
    disputer: str
    bond: int
    tensor: int
    round: int
    row: int
    expected: int
    opened_height: int
    deadline_height: int
    def __init__(self, member: _Optional[str] = ..., disputer: _Optional[str] = ..., bond: _Optional[int] = ..., tensor: _Optional[int] = ..., round: _Optional[int] = ..., row: _Optional[int] = ..., expected: _Optional[int] = ..., opened_height: _Optional[int] = ..., deadline_height: _Optional[int] = ...) -> None: ...

class PostedChunk(_message.Message):
    __slots__ = ("index", "data")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    index: int
    data: bytes
    def __init__(self, index: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class Attestation(_message.Message):
    __slots__ = ("job_id", "member", "verdict", "cr_root", "height", "punished", "dispute", "pending_dispute")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    CR_ROOT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PUNISHED_FIELD_NUMBER: _ClassVar[int]
    DISPUTE_FIELD_NUMBER: _ClassVar[int]
    PENDING_DISPUTE_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    member: str
    verdict: str
    cr_root: bytes
    height: int
    punished: bool
    dispute: Dispute
    pending_dispute: PendingDispute
    def __init__(self, job_id: _Optional[int] = ..., member: _Optional[str] = ..., verdict: _Optional[str] = ..., cr_root: _Optional[bytes] = ..., height: _Optional[int] = ..., punished: bool = ..., dispute: _Optional[_Union[Dispute, _Mapping]] = ..., pending_dispute: _Optional[_Union[PendingDispute, _Mapping]] = ...) -> None: ...

class Capacity(_message.Message):
    __slots__ = ("provider", "claim", "measured", "measured_height", "expires_height", "due_height", "open_job", "passed", "failed")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    MEASURED_FIELD_NUMBER: _ClassVar[int]
    MEASURED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    DUE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    OPEN_JOB_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    provider: str
    claim: int
    measured: int
    measured_height: int
    expires_height: int
    due_height: int
    open_job: int
    passed: int
    failed: int
    def __init__(self, provider: _Optional[str] = ..., claim: _Optional[int] = ..., measured: _Optional[int] = ..., measured_height: _Optional[int] = ..., expires_height: _Optional[int] = ..., due_height: _Optional[int] = ..., open_job: _Optional[int] = ..., passed: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class ProviderStats(_message.Message):
    __slots__ = ("provider", "verified_jobs", "verified_work_units", "energy_mj", "energy_jobs")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_JOBS_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_WORK_UNITS_FIELD_NUMBER: _ClassVar[int]
    ENERGY_MJ_FIELD_NUMBER: _ClassVar[int]
    ENERGY_JOBS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    verified_jobs: int
    verified_work_units: int
    energy_mj: int
    energy_jobs: int
    def __init__(self, provider: _Optional[str] = ..., verified_jobs: _Optional[int] = ..., verified_work_units: _Optional[int] = ..., energy_mj: _Optional[int] = ..., energy_jobs: _Optional[int] = ...) -> None: ...
