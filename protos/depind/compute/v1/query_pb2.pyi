from cosmpy.protos.cosmos.base.query.v1beta1 import pagination_pb2 as _pagination_pb2
from protos.depind.compute.v1 import compute_pb2 as _compute_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class QueryJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _compute_pb2.Job
    def __init__(self, job: _Optional[_Union[_compute_pb2.Job, _Mapping]] = ...) -> None: ...

class QueryJobsRequest(_message.Message):
    __slots__ = ("lease_id", "provider", "requester", "state", "pagination")
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    lease_id: int
    provider: str
    requester: str
    state: _compute_pb2.JobState
    pagination: _pagination_pb2.PageRequest
    def __init__(self, lease_id: _Optional[int] = ..., provider: _Optional[str] = ..., requester: _Optional[str] = ..., state: _Optional[_Union[_compute_pb2.JobState, str]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class QueryJobsResponse(_message.Message):
    __slots__ = ("jobs", "pagination")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_compute_pb2.Job]
    pagination: _pagination_pb2.PageResponse
    def __init__(self, jobs: _Optional[_Iterable[_Union[_compute_pb2.Job, _Mapping]]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class QueryAttestationsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    def __init__(self, job_id: _Optional[int] = ...) -> None: ...

class QueryAttestationsResponse(_message.Message):
    __slots__ = ("attestations",)
    ATTESTATIONS_FIELD_NUMBER: _ClassVar[int]
    attestations: _containers.RepeatedCompositeFieldContainer[_compute_pb2.Attestation]
    def __init__(self, attestations: _Optional[_Iterable[_Union[_compute_pb2.Attestation, _Mapping]]] = ...) -> None: ...

class QueryVerdictRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    def __init__(self, job_id: _Optional[int] = ...) -> None: ...

class QueryVerdictResponse(_message.Message):
    __slots__ = ("job_id", "state", "final", "valid_power", "total_power", "fraud", "verdict_height")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    VALID_POWER_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POWER_FIELD_NUMBER: _ClassVar[int]
    FRAUD_FIELD_NUMBER: _ClassVar[int]
    VERDICT_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    state: _compute_pb2.JobState
    final: bool
    valid_power: int
    total_power: int
    fraud: _compute_pb2.Fraud
    verdict_height: int
    def __init__(self, job_id: _Optional[int] = ..., state: _Optional[_Union[_compute_pb2.JobState, str]] = ..., final: bool = ..., valid_power: _Optional[int] = ..., total_power: _Optional[int] = ..., fraud: _Optional[_Union[_compute_pb2.Fraud, _Mapping]] = ..., verdict_height: _Optional[int] = ...) -> None: ...

class QueryProviderStatsRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class QueryProviderStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _compute_pb2.ProviderStats
    def __init__(self, stats: _Optional[_Union[_compute_pb2.ProviderStats, _Mapping]] = ...) -> None: ...

class QueryParamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueryParamsResponse(_message.Message):
    __slots__ = ("params",)
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    params: _compute_pb2.Params
    def __init__(self, params: _Optional[_Union[_compute_pb2.Params, _Mapping]] = ...) -> None: ...

class QueryCapacityRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class QueryCapacityResponse(_message.Message):
    __slots__ = ("capacity",)
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    capacity: _compute_pb2.Capacity
    def __init__(self, capacity: _Optional[_Union[_compute_pb2.Capacity, _Mapping]] = ...) -> None: ...

class QueryPostedChunksRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    def __init__(self, job_id: _Optional[int] = ...) -> None: ...

class QueryPostedChunksResponse(_message.Message):
    __slots__ = ("job_id", "answered_height", "chunks")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    answered_height: int
    chunks: _containers.RepeatedCompositeFieldContainer[_compute_pb2.PostedChunk]
    def __init__(self, job_id: _Optional[int] = ..., answered_height: _Optional[int] = ..., chunks: _Optional[_Iterable[_Union[_compute_pb2.PostedChunk, _Mapping]]] = ...) -> None: ...
