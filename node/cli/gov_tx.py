"""``depind tx gov <action>``: Cosmos's x/gov v1 messages, signed by the ``--from`` key, and
``draft-proposal``, which writes a proposal file to complete and submit.

``submit-proposal`` reads Cosmos v0.50's proposal file (node/cli/gov_proposal.py); votes
take Cosmos's words (``yes``, ``no``, ``abstain``, ``no_with_veto``) and a weighted vote
Cosmos's ``yes=0.6,no=0.4``. ``draft-proposal`` is Cosmos's without the prompts: the flags
say what to draft, and the node fills in what it knows: the minimum deposit and, for a param
change, the module's params as they are now, since a ``MsgUpdateParams`` replaces them all.
With no node to ask, a new chain's defaults are drafted.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import click
import msgspec
from google.protobuf.message import Message

from node.cli.broadcast import TxOptions, send_tx, tx_options
from node.cli.common import CLIError, node_option, one_line
from node.cli.gov_proposal import (
    ProposalFileError,
    authority_message,
    draft,
    draft_metadata,
    gov_address,
    read_proposal,
    write_json,
)
from node.cli.gov_query import PROPOSAL_ID, ask, response_type
from node.cli.params import COINS
from node.client import Client, ClientError
from vm import dec
from vm.codec import codec_for, proto_class
from vm.distribution.msgs import MsgCommunityPoolSpend
from vm.gov.msgs import MsgCancelProposal, MsgDeposit, MsgVote, MsgVoteWeighted, WeightedVoteOption
from vm.gov.tally import VoteOption
from vm.modules import default_registry
from vm.msg import Msg
from vm.registry import Registry
from vm.store.kv import MemoryKV
from vm.types import Coin
from vm.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade

DRAFT_METADATA = "draft_metadata.json"
# The message each kind of draft carries besides a param change's (a text proposal has none),
# and what of it the drafter must still fill in.
DRAFTED: dict[str, tuple[type[Msg], tuple[str, ...]]] = {
    "community-pool-spend": (MsgCommunityPoolSpend, ("recipient", "amount")),
    "software-upgrade": (MsgSoftwareUpgrade, ("plan.name", "plan.height")),
    "cancel-upgrade": (MsgCancelUpgrade, ()),
}
DRAFT_KINDS = ("text", "param-change", *DRAFTED)

from_option = click.option(
    "--from", "from_key", required=True, help="The key that signs: a name or address of the keyring."
)


# -- votes ----------------------------------------------------------------------------------------


def parse_option(text: str) -> VoteOption:
    """Cosmos's words for a vote (any case; ``VOTE_OPTION_YES`` and ``NoWithVeto`` too)."""
    name = text.strip().upper().removeprefix("VOTE_OPTION_")
    try:
        return VoteOption[{"NOWITHVETO": "NO_WITH_VETO"}.get(name, name)]
    except KeyError:
        raise ValueError(f"{text!r} is not a vote: give yes, no, abstain or no_with_veto") from None


def parse_weighted(text: str) -> list[WeightedVoteOption]:
    """``yes=0.6,no=0.4``: options and their weights (the chain checks that they sum to 1)."""
    options = []
    for part in text.split(","):
        option, equals, weight = part.partition("=")
        if not equals:
            raise ValueError(f"{part.strip()!r} is not OPTION=WEIGHT, e.g. yes=0.6")
        try:
            amount = dec.parse(weight.strip())
        except dec.DecError as exc:
            raise ValueError(f"weight {weight.strip()!r}: {exc}") from None
        options.append(WeightedVoteOption(parse_option(option), dec.format(amount)))
    return options


def parsed(parse: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, str], Any]:
    """A click callback reading a value with ``parse``: a ValueError is a bad parameter (exit 2)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


# -- the commands ---------------------------------------------------------------------------------


@click.group(name="gov")
def gov_tx() -> None:
    """Submit, fund, vote on and cancel governance proposals; draft a proposal file."""


@gov_tx.command(name="submit-proposal")
@click.argument("proposal_file", metavar="PROPOSAL_FILE", type=click.Path(path_type=Path, dir_okay=False))
@from_option
@tx_options
def submit_proposal(opts: TxOptions, proposal_file: Path, from_key: str) -> None:
    """Submit the proposal in PROPOSAL_FILE (see `depind tx gov draft-proposal`) with its
    deposit, proposed by the --from key."""
    try:
        proposal = read_proposal(proposal_file)
    except ProposalFileError as exc:
        raise CLIError(str(exc)) from None
    send_tx(opts, from_key, lambda proposer: [proposal.submit(proposer)])


@gov_tx.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@click.argument("amount", type=COINS)
@from_option
@tx_options
def deposit(opts: TxOptions, proposal_id: int, amount: list[Coin], from_key: str) -> None:
    """Add AMOUNT, such as 10000000udepin, to the deposit on PROPOSAL_ID, in its deposit or
    voting period."""
    send_tx(opts, from_key, lambda depositor: [MsgDeposit(proposal_id, depositor, amount)])


@gov_tx.command()
@click.argument("proposal_id", type=PROPOSAL_ID)
@click.argument("option", metavar="yes|no|abstain|no_with_veto", callback=parsed(parse_option))
@click.option("--metadata", default="", help="A note stored with the vote.")
@from_option
@tx_options
def vote(opts: TxOptions, proposal_id: int, option: VoteOption, metadata: str, from_key: str) -> None:
    """Vote on PROPOSAL_ID in its voting period; a later vote replaces this one."""
    send_tx(opts, from_key, lambda voter: [MsgVote(proposal_id, voter, option, metadata)])


@gov_tx.command(name="weighted-vote")
@click.argument("proposal_id", type=PROPOSAL_ID)
@click.argument("options", metavar="OPTIONS", callback=parsed(parse_weighted))
@click.option("--metadata", default="", help="A note stored with the vote.")
@from_option
@tx_options
def weighted_vote(
    opts: TxOptions, proposal_id: int, options: list[WeightedVoteOption], metadata: str, from_key: str
) -> None:
    """Split the --from key's vote on PROPOSAL_ID: OPTIONS such as "yes=0.6,no=0.4", whose
    weights sum to 1."""
    send_tx(opts, from_key, lambda voter: [MsgVoteWeighted(proposal_id, voter, options, metadata)])


@gov_tx.command(name="cancel-proposal")
@click.argument("proposal_id", type=PROPOSAL_ID)
@from_option
@tx_options
def cancel_proposal(opts: TxOptions, proposal_id: int, from_key: str) -> None:
    """Withdraw PROPOSAL_ID, which the --from key proposed, before its voting period ends;
    part of every deposit is burned (proposal_cancel_ratio)."""
    send_tx(opts, from_key, lambda proposer: [MsgCancelProposal(proposal_id, proposer)])


@gov_tx.command(name="draft-proposal")
@click.option("--type", "kind", type=click.Choice(DRAFT_KINDS), default="text", show_default=True)
@click.option("--module", help="For a param-change: the module whose params change, e.g. market.")
@click.option("--title", default="", help="The proposal's title.")
@click.option("--summary", default="", help="The proposal's summary.")
@click.option("--deposit", type=COINS, help="Deposit to submit it with [default: the minimum deposit].")
@click.option("--expedited", is_flag=True, help="Draft an expedited proposal (a higher minimum deposit).")
@click.option(
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("draft_proposal.json"),
    show_default=True,
    help=f"Where to write the proposal; {DRAFT_METADATA} goes beside it.",
)
@node_option
def draft_proposal(
    kind: str,
    module: str | None,
    title: str,
    summary: str,
    deposit: list[Coin] | None,
    expedited: bool,
    path: Path,
    node: str,
) -> None:
    """Write a proposal file to complete and submit with `depind tx gov submit-proposal`,
    and its off-chain metadata. A param-change carries the module's MsgUpdateParams with the
    params the node has now (a new chain's defaults if --node cannot be reached): edit the
    ones to change."""
    if (kind == "param-change") != (module is not None):
        raise click.UsageError("--module names the module of a param-change, and is for nothing else")
    with params_source(node) as source:
        messages = drafted_messages(kind, module, source)
        amount = deposit if deposit is not None else minimum_deposit(source, expedited)
    write_json(path, draft(messages, amount, title, summary, expedited))
    metadata_path = path.with_name(DRAFT_METADATA)
    write_json(metadata_path, draft_metadata(title, summary))
    click.echo(f"wrote {path} and {metadata_path}")
    blanks = to_fill(kind, title, summary)
    if blanks:
        click.echo(f"to fill in: {', '.join(blanks)}")
    click.echo(f"then: depind tx gov submit-proposal {path} --from KEY")


def to_fill(kind: str, title: str, summary: str) -> list[str]:
    """What a draft leaves empty that a proposal needs."""
    blanks = [name for name, value in (("title", title), ("summary", summary)) if not value]
    if kind in DRAFTED:
        blanks += [f"messages[0].{name}" for name in DRAFTED[kind][1]]
    return blanks


# -- what a draft is filled in with ---------------------------------------------------------------


class ParamsSource(Protocol):
    """Where a draft's params come from: the node's state, or a new chain's."""

    def service(self, path: str, request: Message) -> Message: ...

    def params(self, module: str) -> dict[str, Any]: ...


class NodeParams:
    """The params the node has now."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def service(self, path: str, request: Message) -> Message:
        return ask(self.client, path, request)

    def params(self, module: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.call("params", module=module)[module]
        return found


class DefaultParams:
    """A new chain's params: what the registry answers on an empty state."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def service(self, path: str, request: Message) -> Message:
        answer = self.registry.service(path, MemoryKV(), request.SerializeToString())
        return response_type(request).FromString(answer)

    def params(self, module: str) -> dict[str, Any]:
        found: dict[str, Any] = self.registry.params(MemoryKV(), module)[module]
        return found


@contextlib.contextmanager
def params_source(node: str) -> Iterator[ParamsSource]:
    """The node, if it answers; a new chain's defaults, with a note, if it cannot be reached."""
    with Client(node) as client:
        try:
            client.status()
        except ClientError as exc:
            if exc.code != 0:  # it answered, with an error
                raise
            click.echo(f"{one_line(exc)}; drafting with a new chain's default params", err=True)
            yield DefaultParams(default_registry())
            return
        yield NodeParams(client)


def minimum_deposit(source: ParamsSource, expedited: bool) -> list[Coin]:
    gov = source.params("gov")
    coins = gov["expedited_min_deposit" if expedited else "min_deposit"]
    return [Coin(coin["denom"], int(coin["amount"])) for coin in coins]


def drafted_messages(kind: str, module: str | None, source: ParamsSource) -> list[Message]:
    if kind == "text":
        return []
    if module is not None:
        return [update_params_message(default_registry(), module, source)]
    struct, _ = DRAFTED[kind]
    message = authority_message(str(struct.__struct_config__.tag))
    for field in message.DESCRIPTOR.fields:
        if field.message_type is not None and not field.is_repeated:
            getattr(message, field.name).SetInParent()  # shown, to be filled in
    return [message]


def update_params_message(registry: Registry, module: str, source: ParamsSource) -> Message:
    """``module``'s MsgUpdateParams, signed by the gov account, carrying its params as
    ``source`` has them: as the module's ``Query/Params`` answers them, for a module that
    serves it, else as its params are stored, which must then be the message's."""
    struct = update_params_type(registry, module)
    proto = codec_for(struct).proto
    package = proto.DESCRIPTOR.file.package
    path = f"/{package}.Query/Params"
    if registry.serves(path):
        answer: Any = source.service(path, proto_class(f"{package}.QueryParamsRequest")())
        return proto(authority=gov_address(), params=answer.params)
    params_type = typing.get_type_hints(struct)["params"]
    try:
        params = msgspec.convert(source.params(module), params_type)
    except msgspec.ValidationError as exc:
        raise CLIError(f"cannot draft {module}'s params: {one_line(exc)}") from None
    written: Message = codec_for(struct).write(struct(gov_address(), params))
    return written


def update_params_types(registry: Registry) -> dict[str, type[Msg]]:
    """Each module's MsgUpdateParams, by module name."""
    return {
        module.name: msg
        for module in registry.modules
        for msg in module.messages
        if codec_for(msg).proto.DESCRIPTOR.name == "MsgUpdateParams"
    }


def update_params_type(registry: Registry, module: str) -> type[Msg]:
    having = update_params_types(registry)
    if module not in having:
        raise click.BadParameter(
            f"{module!r} has no MsgUpdateParams; modules that have: {', '.join(having)}",
            param_hint="'--module'",
        )
    return having[module]
