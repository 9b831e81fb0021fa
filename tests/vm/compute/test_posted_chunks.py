"""The chunks a provider posts to answer an availability challenge are kept in state and served
by the ``posted_chunks`` query (JSON and gRPC), and carried through genesis."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.compute import ComputeGenesis, PostedChunksJSON
from genesis.schema import GenesisDoc
from gpu.jobs import BatchedGemmSpec
from gpu.proofs import encode_opening
from protos.depind.compute.v1 import query_pb2
from tests.vm.compute.helpers import PROVIDER, REQUESTER, ComputeChain, Work, honest, result_msg
from tests.vm.helpers import GENESIS_TIME, committed_values, new_app
from vm.compute.genesis import validate_genesis
from vm.compute.msgs import MsgChallengeAvailability, MsgPostChunks
from vm.compute.services import QUERY
from vm.errors import InvalidTx
from vm.store.kv import prefix_end

BATCH = BatchedGemmSpec(batch=3, m=32, k=16, n=48, bound=8, seed=9)  # 18 chunks: a sample is a subset
PREFIX = b"compute/"


def answered_chain(work: Work) -> tuple[ComputeChain, int]:
    """Job 1 verifying with an answered availability challenge; job 2 verifying, unchallenged."""
    chain = ComputeChain()
    first, second = chain.submit(work.spec, deadline=40), chain.submit(work.spec, deadline=40)
    chain.block(result_msg(first, work), result_msg(second, work))
    chain.block()
    chain.block(MsgChallengeAvailability(REQUESTER.address, first))
    challenge = chain.job(first).availability
    assert challenge is not None
    openings = [encode_opening(work.commitment.open_leaf(chunk)) for chunk in challenge.chunks]
    chain.block(MsgPostChunks(PROVIDER.address, first, openings))
    return chain, first


def posted(chain: ComputeChain, job_id: int) -> Any:
    return chain.registry.query("/compute/posted_chunks", chain.store, {"job_id": job_id})


def test_the_posted_chunks_are_served() -> None:
    work = honest(BATCH)
    chain, job_id = answered_chain(work)
    challenge = chain.job(job_id).availability
    assert challenge is not None
    expected = [{"index": c, "data": work.commitment.open_leaf(c).data.hex()} for c in challenge.chunks]
    assert posted(chain, job_id) == {
        "job_id": job_id,
        "answered_height": challenge.answered_height,
        "chunks": expected,
    }
    [event] = chain.event_list("chunks_posted")
    assert event["data"].split(",") == [chunk["data"] for chunk in expected]
    request = query_pb2.QueryPostedChunksRequest(job_id=job_id).SerializeToString()
    answer = query_pb2.QueryPostedChunksResponse.FromString(
        chain.registry.service(QUERY + "PostedChunks", chain.store, request)
    )
    assert answer.answered_height == challenge.answered_height
    assert [(c.index, c.data.hex()) for c in answer.chunks] == [(e["index"], e["data"]) for e in expected]


def test_a_job_without_posted_chunks_has_none() -> None:
    chain, job_id = answered_chain(honest(BATCH))
    assert posted(chain, job_id + 1) == {"job_id": job_id + 1, "answered_height": 0, "chunks": []}
    request = query_pb2.QueryPostedChunksRequest(job_id=job_id + 1).SerializeToString()
    answer = query_pb2.QueryPostedChunksResponse.FromString(
        chain.registry.service(QUERY + "PostedChunks", chain.store, request)
    )
    assert (answer.job_id, answer.answered_height, list(answer.chunks)) == (job_id + 1, 0, [])


@pytest.mark.parametrize(("request_", "code"), [({"job_id": 99}, 38), ({}, 18), ({"job_id": 0}, 18)])
def test_invalid_posted_chunks_query(request_: dict[str, Any], code: int) -> None:
    chain, _ = answered_chain(honest(BATCH))
    with pytest.raises(InvalidTx) as caught:
        chain.registry.query("/compute/posted_chunks", chain.store, request_)
    assert caught.value.code == code


def test_genesis_round_trips_with_posted_chunks() -> None:
    chain, _ = answered_chain(honest(BATCH))
    _, app_state = chain.registry.export_genesis(chain.store)
    assert len(app_state["compute"]["posted_chunks"]) == 1
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME, chain_id="depin-test-1", initial_height=chain.height, app_state=app_state
    )
    imported = new_app(msgspec.json.decode(msgspec.json.encode(doc), type=GenesisDoc))
    imported_values = {k: v for k, v in committed_values(imported).items() if k.startswith(PREFIX)}
    assert imported_values == dict(chain.store.iterate(PREFIX, prefix_end(PREFIX)))
    _, again = imported.registry.export_genesis(imported.state.values)
    assert again["compute"] == app_state["compute"]


def test_invalid_genesis_posted_chunks() -> None:
    chain, job_id = answered_chain(honest(BATCH))
    exported: ComputeGenesis = chain.registry.module("compute").genesis.export(chain.store)
    [entry] = exported.posted_chunks

    def invalid(match: str, entries: list[PostedChunksJSON]) -> None:
        with pytest.raises(InvalidTx, match=match):
            validate_genesis(msgspec.structs.replace(exported, posted_chunks=entries))

    def changed(**fields: Any) -> list[PostedChunksJSON]:
        return [msgspec.structs.replace(entry, **fields)]

    invalid("duplicate posted chunks", [entry, entry])
    invalid("no answered availability challenge", changed(job_id=job_id + 1))
    invalid("no answered availability challenge", changed(job_id=99))
    invalid("not its challenge's chunks", changed(chunks=list(reversed(entry.chunks))))
    invalid("not its challenge's chunks", changed(data=entry.data[1:]))
    invalid("wrong height or chunk size", changed(answered_height=entry.answered_height + 1))
    invalid("wrong height or chunk size", changed(data=["", *entry.data[1:]]))
    invalid("must be hex", changed(data=["zz", *entry.data[1:]]))
