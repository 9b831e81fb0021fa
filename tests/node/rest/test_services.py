"""node.services over ``abci_query``: the node answers its gRPC paths with protobuf at
its latest height, and errors as the SDK does (an sdk code, "rpc error: code = ..."
logs); other paths still reach the application. Evidence converts to CometBFT's."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cosmpy.protos.cosmos.auth.v1beta1 import query_pb2 as auth_query
from cosmpy.protos.cosmos.base.tendermint.v1beta1 import query_pb2 as tm_query
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from consensus.tendermint.evidence import encode_evidence
from consensus.tendermint.messages import duplicate_vote_evidence
from consensus.types import BlockID, PartSetHeader, Vote, VoteType
from node import services
from node.services import ServiceError, Status
from tests.node.rest.conftest import ALICE, Chain
from tests.node.rpc.support import rpc

GET_TX = "/cosmos.tx.v1beta1.Service/GetTx"


async def abci_query(chain: Chain, path: str, request: Message, **params: Any) -> dict[str, Any]:
    answer = await rpc(chain.node, "abci_query", path=path, data=request.SerializeToString().hex(), **params)
    response: dict[str, Any] = answer["response"]
    return response


async def test_get_tx_over_abci_query(chain: Chain) -> None:
    tx_hash = chain.hashes[0][0]
    response = await abci_query(chain, GET_TX, service_pb2.GetTxRequest(hash=tx_hash))
    assert (response["code"], response["height"]) == (0, "3")
    found = service_pb2.GetTxResponse.FromString(base64.b64decode(response["value"]))
    assert found.tx_response.txhash == tx_hash and found.tx_response.height == 1
    assert found.tx.body.messages[0].type_url == "/cosmos.bank.v1beta1.MsgSend"


async def test_latest_block_over_abci_query(chain: Chain) -> None:
    path = "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock"
    response = await abci_query(chain, path, tm_query.GetLatestBlockRequest())
    found = tm_query.GetLatestBlockResponse.FromString(base64.b64decode(response["value"]))
    assert found.block.header.height == found.sdk_block.header.height == 3


async def test_invalid_missing_tx_over_abci_query(chain: Chain) -> None:
    missing = "EF" * 32
    response = await abci_query(chain, GET_TX, service_pb2.GetTxRequest(hash=missing))
    assert (response["code"], response["codespace"]) == (22, "sdk")  # key not found, as baseapp maps NotFound
    assert response["log"] == f"rpc error: code = NotFound desc = tx not found: {missing}"
    assert response["value"] == ""


async def test_invalid_request_bytes_over_abci_query(chain: Chain) -> None:
    answer = await rpc(chain.node, "abci_query", path=GET_TX, data="ff")
    response = answer["response"]
    assert (response["code"], response["codespace"]) == (18, "sdk")
    assert response["log"].startswith("rpc error: code = InvalidArgument desc = invalid request")


@pytest.mark.parametrize(("params", "code"), [({"prove": True}, 18), ({"height": 2}, 26)])
async def test_invalid_proof_or_past_height_over_abci_query(
    chain: Chain, params: dict[str, Any], code: int
) -> None:
    response = await abci_query(chain, GET_TX, service_pb2.GetTxRequest(hash=chain.hashes[0][0]), **params)
    assert (response["code"], response["codespace"], response["value"]) == (code, "sdk", "")


async def test_latest_height_over_abci_query(chain: Chain) -> None:
    response = await abci_query(chain, GET_TX, service_pb2.GetTxRequest(hash=chain.hashes[0][0]), height=3)
    assert response["code"] == 0


async def test_app_paths_still_reach_the_app(chain: Chain) -> None:
    path = "/cosmos.auth.v1beta1.Query/Account"
    response = await abci_query(chain, path, auth_query.QueryAccountRequest(address=ALICE.address))
    assert response["code"] == 0, response["log"]
    account = auth_query.QueryAccountResponse.FromString(base64.b64decode(response["value"])).account
    assert account.type_url == "/cosmos.auth.v1beta1.BaseAccount"


def test_service_error_log_and_sdk_code() -> None:
    error = ServiceError(Status.NotFound, "tx not found: AB")
    assert (error.log, error.sdk_code) == ("rpc error: code = NotFound desc = tx not found: AB", 22)
    assert ServiceError(Status.Internal, "x").sdk_code == 6  # unknown request, as baseapp's default


def vote(chain: Chain, block_hash: bytes) -> Vote:
    block_id = BlockID(block_hash, PartSetHeader(1, b"\x01" * 32))
    return Vote(VoteType.PRECOMMIT, 2, 0, block_id, 5, chain.node.pv.address, 0, b"s")


def test_evidence_as_cometbft_duplicate_vote_evidence(chain: Chain) -> None:
    evidence = duplicate_vote_evidence(vote(chain, b"\xaa" * 32), vote(chain, b"\xbb" * 32), 10, 10)
    converted = services.cometbft_evidence(chain.node, encode_evidence(evidence)).duplicate_vote_evidence
    assert (converted.validator_power, converted.total_voting_power) == (10, 10)
    assert {converted.vote_a.block_id.hash, converted.vote_b.block_id.hash} == {b"\xaa" * 32, b"\xbb" * 32}
    assert converted.vote_a.type == 2 and converted.vote_a.height == 2  # SIGNED_MSG_TYPE_PRECOMMIT
    stored = chain.node.chain.load_block(2)
    assert stored is not None
    assert converted.timestamp.ToNanoseconds() == stored.header.time_ns  # the time of the votes' block


def test_bytes_that_are_no_tx_show_as_an_empty_tx() -> None:
    """A block's beacon entry, or a tx that failed to decode: clients read its messages."""
    shown = MessageToDict(services.stored_tx(b"\x01not a tx"), preserving_proto_field_name=True)
    assert shown["body"] == {} and shown["auth_info"] == {}
    assert services.stored_tx(b"\x01not a tx").body.messages == []
