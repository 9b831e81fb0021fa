"""The Cosmos gRPC services that the node answers itself, from its block store, tx
index and mempool; the application answers the others (``app.query``).

Each service takes the node and its protobuf request and returns its protobuf
response, in Cosmos SDK v0.50's types and shapes, so that ``abci_query`` on
these paths and the REST server (node/rest) answer what Cosmos clients expect.
A failure is a ``ServiceError`` with a gRPC status. The chain reads reuse the
JSON-RPC methods' helpers (node/rpc/methods.py), which bound their work.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from cosmpy.protos.cosmos.base.tendermint.v1beta1 import query_pb2 as tm_query
from cosmpy.protos.cosmos.base.tendermint.v1beta1 import types_pb2 as sdk_types
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from cosmpy.protos.tendermint.p2p import types_pb2 as p2p_types
from cosmpy.protos.tendermint.types import block_pb2, evidence_pb2, types_pb2
from cosmpy.protos.tendermint.version import types_pb2 as version_types
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from consensus.tendermint.evidence import decode_evidence
from consensus.tendermint.messages import DuplicateVoteEvidence
from consensus.types import Block, BlockID, Commit, Header, Vote
from node import query as event_query
from node.rpc import methods, present
from node.rpc.errors import HEIGHT_UNAVAILABLE, INVALID_PARAMS, NOT_FOUND, RESPONSE_TOO_LARGE, RPCError
from node.rpc.methods import Call, TxBlock
from node.storage.records import TxLocation
from vm.app import QueryResult
from vm.crypto import encode_address
from vm.errors import InvalidHeight, InvalidRequest, InvalidTx
from vm.protowire import WireError, parse_strict, parse_tx_raw
from vm.queries import abci_events

if TYPE_CHECKING:
    from node.node import Node

VALCONS_HRP = "depinvalcons"  # consensus addresses, as Cosmos writes a block's proposer
COSMOS_SDK_VERSION = "v0.50.0"  # the SDK whose wire format depind speaks: clients pick features by it
DEFAULT_LIMIT = 100  # GetTxsEvent's page size when none is asked for (Cosmos's query.DefaultLimit)
SDK_CODESPACE = "sdk"


class Status(IntEnum):
    """gRPC status codes, named as grpc-go names them (they appear in error logs)."""

    OK = 0
    Canceled = 1
    Unknown = 2
    InvalidArgument = 3
    DeadlineExceeded = 4
    NotFound = 5
    AlreadyExists = 6
    PermissionDenied = 7
    ResourceExhausted = 8
    FailedPrecondition = 9
    Aborted = 10
    OutOfRange = 11
    Unimplemented = 12
    Internal = 13
    Unavailable = 14
    DataLoss = 15
    Unauthenticated = 16


# The sdk error a gRPC status becomes in an ABCI query result (baseapp's gRPCErrorToSDKError).
_SDK_CODES = {
    Status.NotFound: 22,  # key not found
    Status.InvalidArgument: 18,  # invalid request
    Status.FailedPrecondition: 18,
    Status.Unauthenticated: 4,  # unauthorized
}
_UNKNOWN_REQUEST = 6

# The JSON-RPC helpers' errors, as gRPC statuses.
_RPC_STATUS = {
    NOT_FOUND: Status.NotFound,
    INVALID_PARAMS: Status.InvalidArgument,
    HEIGHT_UNAVAILABLE: Status.InvalidArgument,
    RESPONSE_TOO_LARGE: Status.ResourceExhausted,
}


class ServiceError(Exception):
    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def log(self) -> str:
        """The error as grpc-go prints it, which is how Cosmos clients read query errors."""
        return f"rpc error: code = {self.status.name} desc = {self.message}"

    @property
    def sdk_code(self) -> int:
        return _SDK_CODES.get(self.status, _UNKNOWN_REQUEST)


@contextlib.contextmanager
def _rpc_errors() -> Iterator[None]:
    try:
        yield
    except RPCError as error:
        raise ServiceError(_RPC_STATUS.get(error.code, Status.Internal), str(error)) from None


# -- the table --------------------------------------------------------------------------


class NodeService(NamedTuple):
    request: type[Message]
    answer: Callable[[Node, Any], Awaitable[Message]]


def serves(path: str) -> bool:
    """``path`` (``/cosmos.tx.v1beta1.Service/GetTx``) is answered by the node, not the app."""
    return path in SERVICES


async def answer(node: Node, path: str, request: Message) -> Message:
    with _rpc_errors():
        return await SERVICES[path].answer(node, request)


async def query(node: Node, path: str, data: bytes, height: int = 0, prove: bool = False) -> QueryResult:
    """``abci_query``'s form: protobuf request bytes in, the response's bytes or an sdk error
    out, as the application answers its own paths. The node answers at its latest height."""
    latest = node.chain.height()
    try:
        if prove:
            raise InvalidRequest("proofs are served for /store paths only")
        if height not in (0, latest):
            raise InvalidHeight(f"{path} is answered at the latest height ({latest}) only")
    except InvalidTx as error:
        return QueryResult(error.code, error.codespace, error.log, height=latest)
    try:
        request = parse_strict(SERVICES[path].request, data)
        response = await answer(node, path, request)
    except WireError as error:
        failed = ServiceError(Status.InvalidArgument, f"invalid request: {error}")
        return QueryResult(failed.sdk_code, SDK_CODESPACE, failed.log, height=latest)
    except ServiceError as error:
        return QueryResult(error.sdk_code, SDK_CODESPACE, error.log, height=latest)
    return QueryResult(value=bytes(response.SerializeToString()), height=latest)


# -- txs --------------------------------------------------------------------------------


async def get_tx(node: Node, request: Any) -> Any:
    """``/cosmos.tx.v1beta1.Service/GetTx``: a committed tx and its result, by hash (hex)."""
    if not request.hash:
        raise ServiceError(Status.InvalidArgument, "tx hash cannot be empty")
    location = node.chain.locate_tx(methods.decode_hash(request.hash))
    if location is None:
        raise ServiceError(Status.NotFound, f"tx not found: {request.hash}")
    found = await methods.load_tx_block(Call(node), location.height, prove=False)
    tx = stored_tx(found.block.data.txs[location.index])
    return service_pb2.GetTxResponse(tx=tx, tx_response=tx_response(found, location.index, tx))


async def get_txs_event(node: Node, request: Any) -> Any:
    """``/cosmos.tx.v1beta1.Service/GetTxsEvent``: committed txs whose events match ``query``
    (or the older ``events``, joined with AND), a page at a time."""
    text = request.query or " AND ".join(request.events)
    if not text:
        raise ServiceError(Status.InvalidArgument, "query cannot be empty")
    try:
        parsed = event_query.parse(text)
    except event_query.QueryError as error:
        raise ServiceError(Status.InvalidArgument, str(error)) from None
    limit = min(request.limit or request.pagination.limit or DEFAULT_LIMIT, methods.MAX_PER_PAGE)
    page = request.page or request.pagination.offset // limit + 1
    newest_first = request.order_by == service_pb2.ORDER_BY_DESC or (
        request.order_by == service_pb2.ORDER_BY_UNSPECIFIED and request.pagination.reverse
    )
    locations, total = await _search(node, parsed, page, limit, newest_first)
    response = service_pb2.GetTxsEventResponse(total=total)
    for found, index in await _load_txs(node, locations):
        tx = stored_tx(found.block.data.txs[index])
        response.txs.append(tx)
        response.tx_responses.append(tx_response(found, index, tx))
    return response


async def _search(
    node: Node, query: event_query.Query, page: int, limit: int, newest_first: bool
) -> tuple[list[TxLocation], int]:
    """The page asked for and the number of matches, as ``tx_search`` finds them."""
    with _rpc_errors():
        methods.check_page(page, limit, methods.MAX_SEARCH_COUNT)
        sources = methods.search_sources(node.chain, query, newest_first)
        chosen, total = await methods.scan_page(
            methods.intersect(sources, newest_first), (page - 1) * limit, limit
        )
        methods.check_page(page, limit, total)
    return chosen, total


async def _load_txs(node: Node, locations: list[TxLocation]) -> list[tuple[TxBlock, int]]:
    """Each location's block, read once per block (a page is in height order)."""
    loaded: list[tuple[TxBlock, int]] = []
    for location in locations:
        if loaded and loaded[-1][0].height == location.height:
            found = loaded[-1][0]
        else:
            found = await methods.load_tx_block(Call(node), location.height, prove=False)
        loaded.append((found, location.index))
    return loaded


def stored_tx(raw: bytes) -> Any:
    """The ``cosmos.tx.v1beta1.Tx`` in committed TxRaw bytes. Bytes that are none (the
    proposer's beacon entry, or a tx that failed to decode and was answered with an error
    result) show as an empty Tx, so that clients that read ``tx.body.messages`` of every
    answer still can."""
    try:
        parts = parse_tx_raw(raw)
        body = parse_strict(tx_pb2.TxBody, parts.body_bytes)
        auth_info = parse_strict(tx_pb2.AuthInfo, parts.auth_info_bytes)
    except WireError:
        return tx_pb2.Tx(body=tx_pb2.TxBody(), auth_info=tx_pb2.AuthInfo())
    return tx_pb2.Tx(body=body, auth_info=auth_info, signatures=parts.signatures)


def tx_response(found: TxBlock, index: int, tx: Any) -> Any:
    """Cosmos's ``TxResponse`` of the tx at ``index`` of a committed block."""
    record = found.results.txs_results[index]
    response = abci_pb2.TxResponse(
        height=found.height,
        txhash=hashlib.sha256(found.block.data.txs[index]).hexdigest().upper(),
        codespace=record.codespace,
        code=record.code,
        data=record.data.hex().upper(),
        raw_log=record.log,
        gas_wanted=record.gas_wanted,
        gas_used=record.gas_used,
        timestamp=rfc3339_seconds(found.block.header.time_ns),
        events=abci_events(record.events),
    )
    response.tx.Pack(tx, type_url_prefix="/")
    return response


def rfc3339_seconds(time_ns: int) -> str:
    """Go's ``time.RFC3339`` in UTC, which Cosmos uses for a tx's timestamp."""
    return datetime.fromtimestamp(time_ns // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def broadcast_tx(node: Node, request: Any) -> Any:
    """``/cosmos.tx.v1beta1.Service/BroadcastTx``: into the mempool (SYNC answers CheckTx's
    verdict, ASYNC only the hash). BLOCK mode is gone since Cosmos SDK v0.47."""
    if not request.tx_bytes:
        raise ServiceError(Status.InvalidArgument, "invalid empty tx")
    mode = request.mode
    if mode == service_pb2.BROADCAST_MODE_BLOCK:
        raise ServiceError(
            Status.InvalidArgument,
            "BROADCAST_MODE_BLOCK is deprecated and not supported; "
            "use BROADCAST_MODE_SYNC, then poll GetTx with the hash",
        )
    if mode not in (service_pb2.BROADCAST_MODE_SYNC, service_pb2.BROADCAST_MODE_ASYNC):
        raise ServiceError(
            Status.InvalidArgument,
            f"unsupported broadcast mode {service_pb2.BroadcastMode.Name(mode)}; "
            "use BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC",
        )
    raw = bytes(request.tx_bytes)
    result = await node.submit_tx(raw)
    response = abci_pb2.TxResponse(txhash=hashlib.sha256(raw).hexdigest().upper())
    if mode == service_pb2.BROADCAST_MODE_SYNC:
        response.code, response.codespace, response.raw_log = result.code, result.codespace, result.log
    return service_pb2.BroadcastTxResponse(tx_response=response)


# -- node info and blocks ------------------------------------------------------------------


async def get_node_info(node: Node, request: Any) -> Any:
    """``/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo``: what ``status`` says of the node."""
    info = methods.node_info(node)
    versions = {name: int(value) for name, value in info["protocol_version"].items()}
    return tm_query.GetNodeInfoResponse(
        default_node_info=p2p_types.DefaultNodeInfo(
            protocol_version=p2p_types.ProtocolVersion(**versions),
            default_node_id=info["id"],
            listen_addr=info["listen_addr"],
            network=info["network"],
            version=info["version"],
            channels=bytes.fromhex(info["channels"]),
            moniker=info["moniker"],
            other=p2p_types.DefaultNodeInfoOther(
                tx_index=info["other"]["tx_index"], rpc_address=info["other"]["rpc_address"]
            ),
        ),
        application_version=tm_query.VersionInfo(
            name="depind",
            app_name="depind",
            version=methods.VERSION,
            cosmos_sdk_version=COSMOS_SDK_VERSION,
        ),
    )


async def get_latest_block(node: Node, request: Any) -> Any:
    """``/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock``."""
    latest = node.chain.height()
    if latest == 0:
        raise ServiceError(Status.NotFound, "no blocks yet")
    return tm_query.GetLatestBlockResponse(**block_parts(node, latest))


async def get_block_by_height(node: Node, request: Any) -> Any:
    """``/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight``."""
    if request.height <= 0:
        raise ServiceError(Status.InvalidArgument, f"height must be greater than 0, got {request.height}")
    latest = node.chain.height()
    if request.height > latest:
        raise ServiceError(
            Status.InvalidArgument, f"requested block height {request.height} is above the latest {latest}"
        )
    with _rpc_errors():
        height = methods.resolve_height(Call(node), request.height)
    return tm_query.GetBlockByHeightResponse(**block_parts(node, height))


def block_parts(node: Node, height: int) -> dict[str, Any]:
    """``block_id``, ``block`` (CometBFT's) and ``sdk_block`` (the proposer in bech32)."""
    with _rpc_errors():
        found = methods.load_block(Call(node), height)
    header = found.header
    evidence = [cometbft_evidence(node, raw) for raw in found.evidence]
    body = {
        "data": types_pb2.Data(txs=found.data.txs),
        "evidence": evidence_pb2.EvidenceList(evidence=evidence),
        "last_commit": _commit(found.last_commit or present.NO_COMMIT),
    }
    proposer = encode_address(header.proposer_address, VALCONS_HRP)
    return {
        "block_id": _block_id(methods.block_id_of(Call(node), height, found)),
        "block": block_pb2.Block(
            header=types_pb2.Header(**_header(header), proposer_address=header.proposer_address), **body
        ),
        "sdk_block": sdk_types.Block(
            header=sdk_types.Header(**_header(header), proposer_address=proposer), **body
        ),
    }


def _header(header: Header) -> dict[str, Any]:
    """The fields CometBFT's and the SDK's headers share (all but ``proposer_address``)."""
    return {
        "version": version_types.Consensus(block=header.version.block, app=header.version.app),
        "chain_id": header.chain_id,
        "height": header.height,
        "time": timestamp(header.time_ns),
        "last_block_id": _block_id(header.last_block_id),
        "last_commit_hash": header.last_commit_hash,
        "data_hash": header.data_hash,
        "validators_hash": header.validators_hash,
        "next_validators_hash": header.next_validators_hash,
        "consensus_hash": header.consensus_hash,
        "app_hash": header.app_hash,
        "last_results_hash": header.last_results_hash,
        "evidence_hash": header.evidence_hash,
    }


def _block_id(value: BlockID) -> Any:
    parts = types_pb2.PartSetHeader(total=value.part_set_header.total, hash=value.part_set_header.hash)
    return types_pb2.BlockID(hash=value.hash, part_set_header=parts)


def _commit(value: Commit) -> Any:
    return types_pb2.Commit(
        height=value.height,
        round=value.round,
        block_id=_block_id(value.block_id),
        signatures=[
            types_pb2.CommitSig(
                block_id_flag=sig.block_id_flag,
                validator_address=sig.validator_address,
                timestamp=timestamp(sig.timestamp_ns),
                signature=sig.signature,
            )
            for sig in value.signatures
        ],
    )


def cometbft_evidence(node: Node, raw: bytes) -> Any:
    """CometBFT's evidence, stamped with the time of the block its votes were for."""
    found: DuplicateVoteEvidence = decode_evidence(raw)  # committed evidence was checked
    duplicate = evidence_pb2.DuplicateVoteEvidence(
        vote_a=_vote(found.vote_a),
        vote_b=_vote(found.vote_b),
        total_voting_power=found.total_voting_power,
        validator_power=found.validator_power,
    )
    voted: Block | None = node.chain.load_block(found.vote_a.height)
    if voted is not None:
        duplicate.timestamp.CopyFrom(timestamp(voted.header.time_ns))
    return evidence_pb2.Evidence(duplicate_vote_evidence=duplicate)


def _vote(value: Vote) -> Any:
    return types_pb2.Vote(
        type=value.type,
        height=value.height,
        round=value.round,
        block_id=_block_id(value.block_id),
        timestamp=timestamp(value.timestamp_ns),
        validator_address=value.validator_address,
        validator_index=value.validator_index,
        signature=value.signature,
    )


def timestamp(time_ns: int) -> Timestamp:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return Timestamp(seconds=seconds, nanos=nanos)


SERVICES: dict[str, NodeService] = {
    "/cosmos.tx.v1beta1.Service/GetTx": NodeService(service_pb2.GetTxRequest, get_tx),
    "/cosmos.tx.v1beta1.Service/GetTxsEvent": NodeService(service_pb2.GetTxsEventRequest, get_txs_event),
    "/cosmos.tx.v1beta1.Service/BroadcastTx": NodeService(service_pb2.BroadcastTxRequest, broadcast_tx),
    "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo": NodeService(
        tm_query.GetNodeInfoRequest, get_node_info
    ),
    "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock": NodeService(
        tm_query.GetLatestBlockRequest, get_latest_block
    ),
    "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight": NodeService(
        tm_query.GetBlockByHeightRequest, get_block_by_height
    ),
}
