"""consensus.tendermint.wire: gossip and sync messages round-trip, and anything else is a BadMessage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consensus.codec import encode
from consensus.parts import PART_SIZE, split
from consensus.tendermint.messages import Message, ProposalMsg, VoteMsg
from consensus.tendermint.wire import (
    DIGEST_BYTES,
    MAX_HAVE,
    BadMessage,
    CommittedBlock,
    ProposalPart,
    Received,
    SyncRequest,
    SyncResponse,
    VoteGossip,
    decode_gossip,
    decode_request,
    decode_response,
    digest,
    encode_gossip,
    gossip_payloads,
    part_digest,
    received_digest,
    wrap,
)
from consensus.types import VoteType
from tests.consensus.tendermint.support import (
    make_block,
    signed_commit,
    signed_proposal,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(3)
VALIDATORS = validator_set(KEYS, [1, 1, 1])
HEIGHT = 3
BLOCK = make_block(HEIGHT, KEYS[0].address, [b"tx-1", b"tx-2"])
OTHER_BLOCK = make_block(HEIGHT, KEYS[0].address, [b"tx-3"])
PROPOSAL = signed_proposal(KEYS[0], HEIGHT, 0, BLOCK)
PREVOTE = signed_vote(KEYS[1], VALIDATORS, VoteType.PREVOTE, HEIGHT, 0, BLOCK)
NIL_PRECOMMIT = signed_vote(KEYS[2], VALIDATORS, VoteType.PRECOMMIT, HEIGHT, 1, None)
MESSAGES: list[Message] = [PROPOSAL, PREVOTE, NIL_PRECOMMIT]
PART = ProposalPart(PROPOSAL.proposal, split(encode(BLOCK)).parts[0])
RECEIVED: list[Received] = [PART, PREVOTE, NIL_PRECOMMIT]
COMMIT = signed_commit(KEYS, VALIDATORS, HEIGHT, 0, BLOCK)
REQUEST = SyncRequest(HEIGHT, [digest(m) for m in MESSAGES])
RESPONSE = SyncResponse(HEIGHT + 2, [CommittedBlock(BLOCK, COMMIT)], [g for m in MESSAGES for g in wrap(m)])
MAX_BYTES = 1 << 20

Decoder = Callable[[bytes, int], object]
CODECS: list[tuple[Decoder, Callable[[Any], bytes]]] = [
    (decode_gossip, encode_gossip),
    (decode_request, encode),
    (decode_response, encode),
]
ENCODINGS = [encode_gossip(m) for m in RECEIVED] + [encode(REQUEST), encode(RESPONSE)]
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("message", RECEIVED, ids=["proposal-part", "prevote", "nil-precommit"])
def test_gossip_round_trip(message: Received) -> None:
    assert decode_gossip(encode_gossip(message), MAX_BYTES) == message


def test_wrap_tags_votes_and_cuts_proposals_into_parts() -> None:
    assert wrap(PROPOSAL) == [ProposalPart(PROPOSAL.proposal, p) for p in split(encode(BLOCK)).parts]
    assert wrap(PREVOTE) == [VoteGossip(PREVOTE)]
    assert encode_gossip(PREVOTE) == encode(VoteGossip(PREVOTE))
    assert gossip_payloads(PREVOTE) == [encode_gossip(PREVOTE)]


def test_a_large_proposal_travels_in_parts_that_make_its_block() -> None:
    big = make_block(HEIGHT, KEYS[0].address, [bytes([n]) * 50_000 for n in range(5)])
    proposal = signed_proposal(KEYS[0], HEIGHT, 0, big)
    payloads = gossip_payloads(proposal)
    received = [decode_gossip(payload, MAX_BYTES) for payload in payloads]
    assert len(received) == len(encode(big)) // PART_SIZE + 1 == 4
    assert all(isinstance(r, ProposalPart) and r.proposal == proposal.proposal for r in received)
    data = b"".join(r.part.bytes for r in received if isinstance(r, ProposalPart))
    assert data == encode(big)
    assert max(len(payload) for payload in payloads) < PART_SIZE + 2048


@pytest.mark.parametrize("request_", [REQUEST, SyncRequest(0, [])], ids=["digests", "empty"])
def test_request_round_trip(request_: SyncRequest) -> None:
    assert decode_request(encode(request_), MAX_BYTES) == request_


def test_request_with_max_have_digests() -> None:
    request = SyncRequest(HEIGHT, [n.to_bytes(DIGEST_BYTES, "big") for n in range(MAX_HAVE)])
    assert decode_request(encode(request), MAX_BYTES) == request


@pytest.mark.parametrize(
    "response",
    [
        RESPONSE,
        SyncResponse(HEIGHT, [], []),
        SyncResponse(HEIGHT, [], wrap(PREVOTE)),
        SyncResponse(HEIGHT, [CommittedBlock(BLOCK, COMMIT)], []),
    ],
    ids=["blocks-and-messages", "empty", "messages", "blocks"],
)
def test_response_round_trip(response: SyncResponse) -> None:
    assert decode_response(encode(response), MAX_BYTES) == response


def test_input_of_exactly_max_bytes_decodes() -> None:
    data = encode_gossip(PART)
    assert decode_gossip(data, len(data)) == PART


# ---- rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decoder", "data"),
    [
        (decode_gossip, encode_gossip(PART)),
        (decode_gossip, encode_gossip(PREVOTE)),
        (decode_request, encode(REQUEST)),
        (decode_response, encode(RESPONSE)),
    ],
    ids=["proposal", "vote", "request", "response"],
)
def test_invalid_trailing_bytes(decoder: Decoder, data: bytes) -> None:
    with pytest.raises(BadMessage):
        decoder(data + b"\x00", MAX_BYTES)


@pytest.mark.parametrize(
    ("decoder", "data"),
    [
        (decode_gossip, encode(REQUEST)),
        (decode_gossip, encode(RESPONSE)),
        (decode_request, encode_gossip(PREVOTE)),
        (decode_request, encode(RESPONSE)),
        (decode_response, encode_gossip(PART)),
        (decode_response, encode(REQUEST)),
    ],
    ids=[
        "gossip-as-request",
        "gossip-as-response",
        "request-as-vote",
        "request-as-response",
        "response-as-proposal",
        "response-as-request",
    ],
)
def test_invalid_message_of_another_kind(decoder: Decoder, data: bytes) -> None:
    with pytest.raises(BadMessage):
        decoder(data, MAX_BYTES)


def test_invalid_unknown_gossip_tag() -> None:
    data = encode_gossip(PREVOTE)
    assert data[1] == 2  # an array's first item: the tag
    with pytest.raises(BadMessage):
        decode_gossip(data[:1] + b"\x09" + data[2:], MAX_BYTES)


def test_invalid_vote_tagged_as_a_proposal() -> None:
    data = encode_gossip(PREVOTE)
    with pytest.raises(BadMessage):
        decode_gossip(data[:1] + b"\x01" + data[2:], MAX_BYTES)


def test_invalid_untagged_message() -> None:
    with pytest.raises(BadMessage):
        decode_gossip(encode(PREVOTE), MAX_BYTES)


@pytest.mark.parametrize(
    ("decoder", "data"),
    [
        (decode_gossip, encode_gossip(PART)),
        (decode_request, encode(REQUEST)),
        (decode_response, encode(RESPONSE)),
    ],
    ids=["gossip", "request", "response"],
)
def test_invalid_oversize_input(decoder: Decoder, data: bytes) -> None:
    with pytest.raises(BadMessage, match="exceeds the limit"):
        decoder(data, len(data) - 1)


@pytest.mark.parametrize("length", [0, DIGEST_BYTES - 1, DIGEST_BYTES + 1, 32])
def test_invalid_digest_length(length: int) -> None:
    request = SyncRequest(HEIGHT, [digest(PREVOTE), b"\x01" * length])
    with pytest.raises(BadMessage):
        decode_request(encode(request), MAX_BYTES)


def test_invalid_too_many_have_entries() -> None:
    request = SyncRequest(HEIGHT, [n.to_bytes(DIGEST_BYTES, "big") for n in range(MAX_HAVE + 1)])
    with pytest.raises(BadMessage):
        decode_request(encode(request), MAX_BYTES)


def test_invalid_negative_height() -> None:
    with pytest.raises(BadMessage):
        decode_request(bytes([0x93, 0x03, 0xFF, 0x90]), MAX_BYTES)  # [3, -1, []]


def test_invalid_non_canonical_encoding() -> None:
    canonical = encode(SyncRequest(4, []))
    assert canonical == bytes([0x93, 0x03, 0x04, 0x90])
    padded = bytes([0x93, 0x03, 0xCF]) + (4).to_bytes(8, "big") + bytes([0x90])  # 4 as a uint64
    with pytest.raises(BadMessage, match="non-canonical"):
        decode_request(padded, MAX_BYTES)


def test_invalid_truncated_input() -> None:
    data = encode(RESPONSE)
    with pytest.raises(BadMessage):
        decode_response(data[:-1], MAX_BYTES)


def test_invalid_response_with_an_extra_field() -> None:
    data = encode(SyncResponse(HEIGHT, [], []))
    assert data[0] == 0x94
    with pytest.raises(BadMessage):
        decode_response(b"\x95" + data[1:] + b"\x00", MAX_BYTES)


def assert_canonical_or_rejected(data: bytes) -> None:
    """Each decoder raises ``BadMessage`` (and nothing else) or returns what encodes to ``data``."""
    for decoder, encoder in CODECS:
        try:
            value = decoder(data, MAX_BYTES)
        except BadMessage:
            continue
        assert encoder(value) == data


@PROPERTY
@given(st.binary(max_size=400))
def test_random_bytes_decode_or_raise_bad_message(data: bytes) -> None:
    assert_canonical_or_rejected(data)


@PROPERTY
@given(st.sampled_from(ENCODINGS), st.data())
def test_corrupted_messages_decode_or_raise_bad_message(encoding: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(encoding) - 1))
    byte = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(index + 1, len(encoding)))
    corrupted = encoding[:index] + bytes([byte]) + encoding[index + 1 : cut]
    assert_canonical_or_rejected(corrupted)


# ---- digests ----------------------------------------------------------------------------------


def test_digest_is_short() -> None:
    assert all(len(digest(m)) == DIGEST_BYTES for m in MESSAGES)


def test_digests_differ_across_messages() -> None:
    assert len({digest(m) for m in MESSAGES}) == len(MESSAGES)


def test_digest_tells_a_proposal_from_a_vote() -> None:
    assert isinstance(PROPOSAL, ProposalMsg) and isinstance(PREVOTE, VoteMsg)
    assert digest(PROPOSAL) != digest(PREVOTE)


def test_digest_ignores_the_block_of_a_proposal() -> None:
    assert digest(ProposalMsg(PROPOSAL.proposal, OTHER_BLOCK)) == digest(PROPOSAL)


@pytest.mark.parametrize("change", [{"round": 1}, {"pol_round": 0}, {"signature": b"\x00" * 64}])
def test_digest_covers_the_proposal(change: dict[str, object]) -> None:
    changed = ProposalMsg(msgspec.structs.replace(PROPOSAL.proposal, **change), BLOCK)
    assert digest(changed) != digest(PROPOSAL)


@pytest.mark.parametrize("change", [{"round": 1}, {"type": VoteType.PRECOMMIT}, {"signature": b"\x00" * 64}])
def test_digest_covers_the_vote(change: dict[str, object]) -> None:
    changed = VoteMsg(msgspec.structs.replace(PREVOTE.vote, **change))
    assert digest(changed) != digest(PREVOTE)


def test_decoded_message_has_the_same_digest() -> None:
    decoded = [received_digest(decode_gossip(encode_gossip(m), MAX_BYTES)) for m in RECEIVED]
    assert decoded == [part_digest(PROPOSAL.proposal, 0), *REQUEST.have[1:]]
