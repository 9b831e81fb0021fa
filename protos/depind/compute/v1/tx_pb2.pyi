from cosmpy.protos.amino import amino_pb2 as _amino_pb2
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2 as _coin_pb2
from cosmpy.protos.cosmos.msg.v1 import msg_pb2 as _msg_pb2
from protos.depind.compute.v1 import compute_pb2 as _compute_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MsgSubmitJob(_message.Message):
    __slots__ = ("requester", "lease_id", "header", "deadline_blocks", "price")
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    requester: str
    lease_id: int
    header: bytes
    deadline_blocks: int
    price: _coin_pb2.Coin
    def __init__(self, requester: _Optional[str] = ..., lease_id: _Optional[int] = ..., header: _Optional[bytes] = ..., deadline_blocks: _Optional[int] = ..., price: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ...) -> None: ...

class MsgSubmitJobResponse(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    def __init__(self, job_id: _Optional[int] = ...) -> None: ...

class MsgSubmitResult(_message.Message):
    __slots__ = ("provider", "job_id", "output_root", "energy_mj", "energy_known", "compute_ms")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ROOT_FIELD_NUMBER: _ClassVar[int]
    ENERGY_MJ_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KNOWN_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_MS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    job_id: int
    output_root: bytes
    energy_mj: int
    energy_known: bool
    compute_ms: int
    def __init__(self, provider: _Optional[str] = ..., job_id: _Optional[int] = ..., output_root: _Optional[bytes] = ..., energy_mj: _Optional[int] = ..., energy_known: bool = ..., compute_ms: _Optional[int] = ...) -> None: ...

class MsgSubmitResultResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgAttest(_message.Message):
    __slots__ = ("validator", "job_id", "attestation", "fraud_proof")
    VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_FIELD_NUMBER: _ClassVar[int]
    FRAUD_PROOF_FIELD_NUMBER: _ClassVar[int]
    validator: str
    job_id: int
    attestation: bytes
    fraud_proof: bytes
    def __init__(self, validator: _Optional[str] = ..., job_id: _Optional[int] = ..., attestation: _Optional[bytes] = ..., fraud_proof: _Optional[bytes] = ...) -> None: ...

class MsgAttestResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgSubmitFraudProof(_message.Message):
    __slots__ = ("prover", "job_id", "proof")
    PROVER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    prover: str
    job_id: int
    proof: bytes
    def __init__(self, prover: _Optional[str] = ..., job_id: _Optional[int] = ..., proof: _Optional[bytes] = ...) -> None: ...

class MsgSubmitFraudProofResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgDisputeAttestation(_message.Message):
    __slots__ = ("disputer", "job_id", "member", "dispute")
    DISPUTER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    DISPUTE_FIELD_NUMBER: _ClassVar[int]
    disputer: str
    job_id: int
    member: str
    dispute: bytes
    def __init__(self, disputer: _Optional[str] = ..., job_id: _Optional[int] = ..., member: _Optional[str] = ..., dispute: _Optional[bytes] = ...) -> None: ...

class MsgDisputeAttestationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgAnswerDispute(_message.Message):
    __slots__ = ("member", "job_id", "entry")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    member: str
    job_id: int
    entry: bytes
    def __init__(self, member: _Optional[str] = ..., job_id: _Optional[int] = ..., entry: _Optional[bytes] = ...) -> None: ...

class MsgAnswerDisputeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgChallengeAvailability(_message.Message):
    __slots__ = ("challenger", "job_id")
    CHALLENGER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    challenger: str
    job_id: int
    def __init__(self, challenger: _Optional[str] = ..., job_id: _Optional[int] = ...) -> None: ...

class MsgChallengeAvailabilityResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgPostChunks(_message.Message):
    __slots__ = ("provider", "job_id", "openings")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OPENINGS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    job_id: int
    openings: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, provider: _Optional[str] = ..., job_id: _Optional[int] = ..., openings: _Optional[_Iterable[bytes]] = ...) -> None: ...

class MsgPostChunksResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgClaimCapacity(_message.Message):
    __slots__ = ("provider", "capacity")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    provider: str
    capacity: int
    def __init__(self, provider: _Optional[str] = ..., capacity: _Optional[int] = ...) -> None: ...

class MsgClaimCapacityResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgUpdateParams(_message.Message):
    __slots__ = ("authority", "params")
    AUTHORITY_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    authority: str
    params: _compute_pb2.Params
    def __init__(self, authority: _Optional[str] = ..., params: _Optional[_Union[_compute_pb2.Params, _Mapping]] = ...) -> None: ...

class MsgUpdateParamsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
