"""Proposal files, Cosmos SDK v0.50's format: what ``depind tx gov submit-proposal`` reads
and ``depind tx gov draft-proposal`` writes.

    {"messages": [{"@type": "/cosmos.bank.v1beta1.MsgUpdateParams", "authority": "...",
                   "params": {...}}],
     "metadata": "ipfs://CID", "deposit": "10000000udepin", "title": "...", "summary": "...",
     "expedited": false}

Each message is proto3 JSON naming its type URL in ``"@type"``; it is converted to its
protobuf type and packed as the ``Any`` the proposal carries, then checked as the chain
checks it at submission (it decodes into a registered message, passes that message's own
checks and is signed by the gov account alone), so a bad file fails before a key is unlocked
or a fee is paid. Every failure is a ``ProposalFileError`` that names the file and the part
at fault in one line. Keys the format does not have are refused rather than ignored, so a
misspelt ``"titel"`` is caught.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.message import Message

from node.cli.common import one_line
from node.cli.params import parse_coins
from node.cli.views import proto_json
from vm.codec import pack, proto_class, type_url
from vm.errors import InvalidTx
from vm.gov.msgs import MsgSubmitProposal
from vm.gov.types import ProposalMessage
from vm.modules import AUTHORITY, default_registry
from vm.types import Coin, format_address, format_coins

METADATA_PLACEHOLDER = "ipfs://CID"  # as Cosmos drafts it: the metadata file's address once stored


class ProposalFileError(ValueError):
    """A proposal file that cannot be submitted: the reason, in one line."""


class ProposalFile(msgspec.Struct, forbid_unknown_fields=True):
    messages: list[dict[str, Any]] = msgspec.field(default_factory=list)
    metadata: str = ""
    deposit: str = ""  # coins, e.g. "10000000udepin"; "" for none
    title: str = ""
    summary: str = ""
    expedited: bool = False


class Proposal(msgspec.Struct, frozen=True):
    """A proposal file read and checked: all but the proposer, who signs it."""

    messages: list[ProposalMessage]
    deposit: list[Coin]
    metadata: str
    title: str
    summary: str
    expedited: bool

    def submit(self, proposer: str) -> MsgSubmitProposal:
        return MsgSubmitProposal(
            self.messages, self.deposit, proposer, self.metadata, self.title, self.summary, self.expedited
        )


def gov_address() -> str:
    return format_address(AUTHORITY)


# -- reading ------------------------------------------------------------------------------------


def read_proposal(path: Path) -> Proposal:
    """The proposal in ``path``, its messages packed and checked."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProposalFileError(
            f"cannot read the proposal file {path}: {exc.strerror or one_line(exc)}"
        ) from None
    try:
        found = msgspec.json.decode(raw, type=ProposalFile)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # msgspec raises the latter for bad UTF-8
        raise ProposalFileError(f"{path} is not a proposal file: {one_line(exc)}") from None
    try:
        return Proposal(
            [checked_message(index, data) for index, data in enumerate(found.messages)],
            proposal_deposit(found.deposit),
            found.metadata,
            found.title,
            found.summary,
            found.expedited,
        )
    except ProposalFileError as exc:
        raise ProposalFileError(f"{path}: {exc}") from None


def proposal_deposit(text: str) -> list[Coin]:
    if not text.strip():
        return []
    try:
        return parse_coins(text)
    except ValueError as exc:
        raise ProposalFileError(f"deposit: {exc}") from None


def checked_message(index: int, data: dict[str, Any]) -> ProposalMessage:
    """Message ``index`` of the file, as the ``Any`` a proposal carries, once the chain's
    message set has read and checked it."""
    packed = pack_message(index, data)
    try:
        message, _ = default_registry().decode_message(packed)
        message.validate()
    except InvalidTx as exc:
        raise ProposalFileError(f"message {index} ({packed.type_url}): {exc.log}") from None
    if message.signer() != gov_address():
        raise ProposalFileError(
            f"message {index} ({packed.type_url}) is signed by {message.signer()}; a proposal's "
            f"messages must be signed by the gov account {gov_address()}"
        )
    return ProposalMessage(packed.type_url, packed.value)


def pack_message(index: int, data: dict[str, Any]) -> AnyPb:
    """Proto3 JSON with an ``"@type"``, as its protobuf type packed in an ``Any``."""
    url = data.get("@type")
    if not isinstance(url, str) or not url.startswith("/"):
        raise ProposalFileError(f'message {index} needs an "@type" naming its type URL, e.g. "/cosmos..."')
    try:
        proto = proto_class(url)
    except KeyError:
        raise ProposalFileError(f"message {index}: unknown @type {url[:128]!r}") from None
    fields = {name: value for name, value in data.items() if name != "@type"}
    try:
        message = json_format.ParseDict(fields, proto())
    except json_format.ParseError as exc:
        raise ProposalFileError(f"message {index} ({url}): {one_line(exc)}") from None
    return pack(message)


# -- drafting -----------------------------------------------------------------------------------


def message_json(message: Message) -> dict[str, Any]:
    """A message as a proposal file lists it: its ``"@type"`` first."""
    return {"@type": type_url(type(message)), **proto_json(message)}


def authority_message(url: str) -> Message:
    """A new message of type ``url`` whose ``authority`` is the gov account."""
    return proto_class(url)(authority=gov_address())


def draft(
    messages: list[Message], deposit: list[Coin], title: str, summary: str, expedited: bool
) -> dict[str, Any]:
    """A proposal file to complete and submit."""
    return {
        "messages": [message_json(m) for m in messages],
        "metadata": METADATA_PLACEHOLDER,
        "deposit": format_coins(deposit),
        "title": title,
        "summary": summary,
        "expedited": expedited,
    }


def draft_metadata(title: str, summary: str) -> dict[str, Any]:
    """Cosmos's proposal metadata (x/gov's ``ProposalMetadata``), stored off chain; the
    proposal's ``metadata`` holds its address."""
    return {
        "title": title,
        "authors": [],
        "summary": summary,
        "details": "",
        "proposal_forum_url": "",
        "vote_option_context": "",
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")
