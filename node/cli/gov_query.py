"""``depind query gov <what>``: proposals, votes, deposits and tallies, read with the node's
``abci_query`` of Cosmos's gRPC paths (``/cosmos.gov.v1.Query/Proposal``, ...), the
requests and answers being cosmpy's ``cosmos.gov.v1`` types, as every Cosmos client reads
them; ``params`` through the JSON-RPC ``params`` method, as every module's, which shows
depind's periods in blocks.

``--output json`` prints the answer as Cosmos's CLI does: proto3 JSON under the .proto's
field names, enums by name, 64-bit integers as strings. Text is a compact summary. A
proposal's times are header times; Cosmos's deposit end time is a height here, so it shows
as the zero time in JSON and not at all in text (docs/governance.md).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import click
from cosmpy.protos.cosmos.base.query.v1beta1 import pagination_pb2
from cosmpy.protos.cosmos.gov.v1 import query_pb2
from google.protobuf.message import DecodeError, Message

from node.cli import views
from node.cli.common import CLIError, emit, flatten, node_option, output_option
from node.cli.market_query import table
from node.cli.params import ADDRESS, MAX_AMOUNT
from node.client import Client
from vm.codec import proto_class

SERVICE = "/cosmos.gov.v1.Query"
PROPOSAL_ID = click.IntRange(1, MAX_AMOUNT)
STATUSES = ("deposit_period", "voting_period", "passed", "rejected", "failed")
ZERO_TIME = "1970-01-01T00:00:00Z"


def ask(client: Client, path: str, request: Message) -> Message:
    """The answer to a Cosmos gRPC query over ``abci_query``: ``path``'s response type, read
    from the protobuf bytes the node sent; a failed query is the node's log, in one line."""
    found = client.call("abci_query", path=path, data=request.SerializeToString().hex())["response"]
    if found["code"] != 0:
        raise CLIError(flatten(found["log"]) or f"{path} failed with code {found['code']}")
    response = response_type(request)
    try:
        return response.FromString(base64.b64decode(found["value"] or ""))
    except (binascii.Error, DecodeError):
        raise CLIError(f"the node's answer to {path} is not a {response.DESCRIPTOR.full_name}") from None


def response_type(request: Message) -> type[Message]:
    """What a Cosmos query request is answered with: ``QueryXRequest`` by ``QueryXResponse``."""
    return proto_class(request.DESCRIPTOR.full_name.removesuffix("Request") + "Response")


def show_answer(node: str, output: str, text: Any, method: str, request: Message) -> None:
    with Client(node) as client:
        answer = ask(client, f"{SERVICE}/{method}", request)
    emit(views.proto_json(answer), output, text)


def page(limit: int, page_key: str) -> pagination_pb2.PageRequest:
    try:
        key = base64.b64decode(page_key, validate=True)
    except binascii.Error:
        raise click.BadParameter(
            "give the next_key a page ended with (base64)", param_hint="'--page-key'"
        ) from None
    return pagination_pb2.PageRequest(key=key, limit=limit)


def paged(f: Any) -> Any:
    f = click.option("--page-key", default="", help="Continue from here (the previous page's next_key).")(f)
    return click.option("--limit", type=click.IntRange(1, 100), default=100, show_default=True)(f)


@click.group(name="gov")
def gov_query() -> None:
    """Proposals, their deposits, votes and tallies, and the governance params."""


@gov_query.command()
@click.option("--status", type=click.Choice(STATUSES), help="Only proposals in this state.")
@click.option("--voter", type=ADDRESS, help="Only proposals this account voted on (while voting).")
@click.option("--depositor", type=ADDRESS, help="Only proposals this account deposited on.")
@paged
@node_option
@output_option
def proposals(
    status: str | None,
    voter: str | None,
    depositor: str | None,
    limit: int,
    page_key: str,
    node: str,
    output: str,
) -> None:
    """Proposals in id order, one page at a time."""
    request = query_pb2.QueryProposalsRequest(
        proposal_status=f"PROPOSAL_STATUS_{status.upper()}" if status else "PROPOSAL_STATUS_UNSPECIFIED",
        voter=voter or "",
        depositor=depositor or "",
        pagination=page(limit, page_key),
    )
    show_answer(node, output, proposals_text, "Proposals", request)


@gov_query.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@node_option
@output_option
def proposal(proposal_id: int, node: str, output: str) -> None:
    """Proposal PROPOSAL_ID: its state, deposit, messages and, once over, its tally."""
    request = query_pb2.QueryProposalRequest(proposal_id=proposal_id)
    show_answer(node, output, proposal_text, "Proposal", request)


@gov_query.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@paged
@node_option
@output_option
def votes(proposal_id: int, limit: int, page_key: str, node: str, output: str) -> None:
    """The votes cast on PROPOSAL_ID while it is in its voting period (they are deleted
    once counted)."""
    request = query_pb2.QueryVotesRequest(proposal_id=proposal_id, pagination=page(limit, page_key))
    show_answer(node, output, votes_text, "Votes", request)


@gov_query.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@click.argument("voter", type=ADDRESS)
@node_option
@output_option
def vote(proposal_id: int, voter: str, node: str, output: str) -> None:
    """VOTER's vote on PROPOSAL_ID."""
    request = query_pb2.QueryVoteRequest(proposal_id=proposal_id, voter=voter)
    show_answer(node, output, vote_text, "Vote", request)


@gov_query.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@paged
@node_option
@output_option
def deposits(proposal_id: int, limit: int, page_key: str, node: str, output: str) -> None:
    """The deposits on PROPOSAL_ID, held until it ends."""
    request = query_pb2.QueryDepositsRequest(proposal_id=proposal_id, pagination=page(limit, page_key))
    show_answer(node, output, deposits_text, "Deposits", request)


@gov_query.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@click.argument("depositor", type=ADDRESS)
@node_option
@output_option
def deposit(proposal_id: int, depositor: str, node: str, output: str) -> None:
    """DEPOSITOR's deposit on PROPOSAL_ID."""
    request = query_pb2.QueryDepositRequest(proposal_id=proposal_id, depositor=depositor)
    show_answer(node, output, lambda answer: deposit_line(answer["deposit"]), "Deposit", request)


@gov_query.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@node_option
@output_option
def tally(proposal_id: int, node: str, output: str) -> None:
    """The tally of PROPOSAL_ID: as it stands while voting, the final one once it is over."""
    request = query_pb2.QueryTallyResultRequest(proposal_id=proposal_id)
    show_answer(node, output, lambda answer: tally_text(answer["tally"]), "TallyResult", request)


@gov_query.command(name="params")
@node_option
@output_option
def gov_params(node: str, output: str) -> None:
    """The governance parameters, the periods in blocks."""
    with Client(node) as client:
        result = client.call("params", module="gov")
    emit(result, output, views.params_text)


# -- text views ---------------------------------------------------------------------------------


def status_word(status: str) -> str:
    return status.removeprefix("PROPOSAL_STATUS_").lower()


def option_word(option: str) -> str:
    return option.removeprefix("VOTE_OPTION_").lower()


def time_text(value: str | None) -> str:
    """A Cosmos time, or "-" for none (the zero time, or absent)."""
    return value if value and value != ZERO_TIME else "-"


def weight_text(weight: str) -> str:
    """``"0.600000000000000000"`` as ``0.6``."""
    return weight.rstrip("0").rstrip(".") if "." in weight else weight


def options_text(options: list[dict[str, Any]]) -> str:
    """``yes`` for a whole vote, ``yes=0.6,no=0.4`` for a weighted one."""
    if len(options) == 1 and weight_text(options[0]["weight"]) == "1":
        return option_word(options[0]["option"])
    return ",".join(f"{option_word(o['option'])}={weight_text(o['weight'])}" for o in options)


def with_more(text: str, answer: dict[str, Any]) -> str:
    next_key = (answer.get("pagination") or {}).get("next_key")
    return f"{text}\nmore: --page-key {next_key}" if next_key else text


def proposals_text(answer: dict[str, Any]) -> str:
    rows = [
        (
            p["id"],
            status_word(p["status"]),
            time_text(p.get("submit_time")),
            views.coins_text(p["total_deposit"]),
            p["title"],
        )
        for p in answer["proposals"]
    ]
    text = table(("ID", "STATUS", "SUBMITTED", "DEPOSIT", "TITLE"), rows) if rows else "no proposals"
    return with_more(text, answer)


def proposal_text(answer: dict[str, Any]) -> str:
    p = answer["proposal"]
    pairs: list[tuple[str, Any]] = [
        ("id", p["id"]),
        ("title", p["title"]),
        ("status", status_word(p["status"]) + (" (expedited)" if p["expedited"] else "")),
        ("proposer", p["proposer"]),
        ("submitted", time_text(p.get("submit_time"))),
        ("deposit", views.coins_text(p["total_deposit"])),
    ]
    if time_text(p.get("voting_start_time")) != "-":
        pairs.append(("voting started", p["voting_start_time"]))
    if time_text(p.get("voting_end_time")) != "-":
        pairs.append(("voting ended", p["voting_end_time"]))
    if p.get("final_tally_result") and p["status"] not in (
        "PROPOSAL_STATUS_DEPOSIT_PERIOD",
        "PROPOSAL_STATUS_VOTING_PERIOD",
    ):
        pairs.append(("final tally", tally_line(p["final_tally_result"])))
    if p["failed_reason"]:
        pairs.append(("failed", p["failed_reason"]))
    if p["metadata"]:
        pairs.append(("metadata", p["metadata"]))
    pairs += [("message", message["@type"]) for message in p["messages"]]
    pairs.append(("summary", p["summary"]))
    return views.fields(pairs)


def tally_line(result: dict[str, Any]) -> str:
    return (
        f"yes {result['yes_count']}, abstain {result['abstain_count']}, no {result['no_count']}, "
        f"no with veto {result['no_with_veto_count']}"
    )


def tally_text(result: dict[str, Any]) -> str:
    return views.fields(
        [
            ("yes", result["yes_count"]),
            ("abstain", result["abstain_count"]),
            ("no", result["no_count"]),
            ("no with veto", result["no_with_veto_count"]),
        ]
    )


def vote_line(v: dict[str, Any]) -> str:
    return f"{v['voter']}  {options_text(v['options'])}"


def votes_text(answer: dict[str, Any]) -> str:
    return with_more("\n".join(vote_line(v) for v in answer["votes"]) or "no votes", answer)


def vote_text(answer: dict[str, Any]) -> str:
    v = answer["vote"]
    pairs = [("proposal", v["proposal_id"]), ("voter", v["voter"]), ("vote", options_text(v["options"]))]
    if v["metadata"]:
        pairs.append(("metadata", v["metadata"]))
    return views.fields(pairs)


def deposit_line(d: dict[str, Any]) -> str:
    return f"{d['depositor']}  {views.coins_text(d['amount'])}"


def deposits_text(answer: dict[str, Any]) -> str:
    return with_more("\n".join(deposit_line(d) for d in answer["deposits"]) or "no deposits", answer)
