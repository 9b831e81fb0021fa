"""``depind tx gov ...`` and ``depind query gov ...`` against a single-validator node opened
in this process, whose genesis makes the gov periods a few blocks: draft a proposal, submit
it, fund it, vote and read it until it passes; a param change drafted from the node's
params and carried out; a cancelled proposal. The CLI's client is answered by the node's
own RPC methods, and the test commits a block after each broadcast (``--no-wait``).
Then what needs no node: vote arguments, bad proposal files, drafts of a new chain's params."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio
from click.testing import CliRunner, Result

from consensus.solo import SoloEngine
from genesis import doc as genesis_doc
from genesis.gov import GovGenesis, GovParams
from genesis.schema import CoinJSON, set_section
from node.cli import broadcast, gov_query, gov_tx, query
from node.cli.gov_proposal import gov_address, read_proposal
from node.cli.main import cli
from node.home import Home, add_genesis_account
from node.node import Node
from node.validator_home import SELF_STAKE, init_solo_home
from tests.node.cli.localnet import free_port
from tests.node.cli.test_chain_info import InProcessClient
from vm.modules import default_registry
from vm.types import Address, format_address

CHAIN_ID = "gov-cli-1"
DENOM = "udepin"
FUNDS = 10**12
MIN_DEPOSIT = 1_000
VOTING_BLOCKS = 3
PARAMS = GovParams(
    min_deposit=[CoinJSON(denom=DENOM, amount=MIN_DEPOSIT)],
    expedited_min_deposit=[CoinJSON(denom=DENOM, amount=5 * MIN_DEPOSIT)],
    max_deposit_blocks=10,
    voting_blocks=VOTING_BLOCKS,
    expedited_voting_blocks=2,
)


@dataclass
class Chain:
    node: Node
    engine: SoloEngine
    home: Path
    validator: str  # the solo validator's operator account (depin1...)
    alice: str  # a funded account without stake

    def commit(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            trio.run(self.engine.produce_block)


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chain]:
    home = Home(tmp_path / "home")
    doc = init_solo_home(home, "solo", CHAIN_ID)
    set_section(doc, "gov", GovGenesis(params=PARAMS))
    genesis_doc.save(doc, home.genesis_file)
    keyring = home.keyring("test")
    alice, _ = keyring.add("alice")
    add_genesis_account(home, alice.address, [CoinJSON(denom=DENOM, amount=FUNDS)])
    node = Node.open(home)
    node.app.beacon_source = None  # blocks hold exactly the txs sent
    for module in (broadcast, gov_query, gov_tx, query):
        monkeypatch.setattr(module, "Client", functools.partial(InProcessClient, node))
    found = Chain(node, node.solo(), home.root, keyring.private_key("validator").address, alice.address)
    found.commit()
    try:
        yield found
    finally:
        node.close()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def ok(runner: CliRunner, *args: str) -> str:
    result = run(runner, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def fails(runner: CliRunner, *args: str, code: int = 1) -> str:
    """The one error line of a command that must fail with ``code``, never a traceback."""
    result = run(runner, *args)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def query_json(runner: CliRunner, *args: str) -> Any:
    return json.loads(ok(runner, "query", "gov", *args, "--output", "json"))


def send(runner: CliRunner, chain: Chain, *args: str, key: str = "alice") -> None:
    """Sign with ``key``, broadcast, and commit the block that holds the tx."""
    flags = ["--from", key, "--home", str(chain.home), "--keyring-backend", "test", "-y", "--no-wait"]
    ok(runner, "tx", "gov", *args, *flags)
    chain.commit()


def draft(runner: CliRunner, path: Path, *args: str) -> dict[str, Any]:
    ok(runner, "tx", "gov", "draft-proposal", "--output", str(path), *args)
    found: dict[str, Any] = json.loads(path.read_text())
    return found


def status(runner: CliRunner, proposal_id: int) -> str:
    return str(query_json(runner, "proposal", str(proposal_id))["proposal"]["status"])


def test_a_text_proposal_from_draft_to_passed(runner: CliRunner, chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "proposal.json"
    drafted = draft(
        runner, path, "--title", "Hello", "--summary", "A text proposal", "--deposit", "400udepin"
    )
    assert drafted["messages"] == [] and drafted["deposit"] == "400udepin"
    assert json.loads((tmp_path / "draft_metadata.json").read_text())["title"] == "Hello"

    send(runner, chain, "submit-proposal", str(path))
    [listed] = query_json(runner, "proposals")["proposals"]
    assert (listed["id"], listed["title"], listed["proposer"]) == ("1", "Hello", chain.alice)
    assert status(runner, 1) == "PROPOSAL_STATUS_DEPOSIT_PERIOD"

    send(runner, chain, "deposit", "1", "600udepin", key="validator")  # reaches the minimum
    assert status(runner, 1) == "PROPOSAL_STATUS_VOTING_PERIOD"
    deposits = query_json(runner, "deposits", "1")["deposits"]
    assert {d["depositor"]: d["amount"] for d in deposits} == {
        chain.alice: [{"denom": DENOM, "amount": "400"}],
        chain.validator: [{"denom": DENOM, "amount": "600"}],
    }
    assert query_json(runner, "deposit", "1", chain.alice)["deposit"]["amount"][0]["amount"] == "400"

    send(runner, chain, "vote", "1", "yes", "--metadata", "for", key="validator")
    send(runner, chain, "weighted-vote", "1", "yes=0.6,no=0.4")
    votes = {v["voter"]: v for v in query_json(runner, "votes", "1")["votes"]}
    assert votes[chain.validator]["metadata"] == "for"
    assert [o["option"] for o in votes[chain.alice]["options"]] == ["VOTE_OPTION_YES", "VOTE_OPTION_NO"]
    assert query_json(runner, "vote", "1", chain.alice)["vote"] == votes[chain.alice]
    assert ok(runner, "query", "gov", "vote", "1", chain.alice).endswith("vote:     yes=0.6,no=0.4\n")
    assert query_json(runner, "tally", "1")["tally"]["yes_count"] == str(SELF_STAKE)  # alice has no stake

    chain.commit(VOTING_BLOCKS)
    assert status(runner, 1) == "PROPOSAL_STATUS_PASSED"
    text = ok(runner, "query", "gov", "proposal", "1")
    assert "\nstatus:         passed\n" in text
    assert f"\nfinal tally:    yes {SELF_STAKE}, abstain 0, no 0, no with veto 0\n" in text
    assert ok(runner, "query", "gov", "proposals", "--status", "rejected") == "no proposals\n"


def test_a_param_change_drafted_from_the_node(runner: CliRunner, chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "proposal.json"
    drafted = draft(
        runner, path, "--type", "param-change", "--module", "gov", "--title", "t", "--summary", "s"
    )
    [message] = drafted["messages"]
    assert message["@type"] == "/cosmos.gov.v1.MsgUpdateParams"
    assert message["params"]["min_deposit"] == [{"denom": DENOM, "amount": str(MIN_DEPOSIT)}]  # the node's
    assert drafted["deposit"] == f"{MIN_DEPOSIT}{DENOM}"
    message["params"]["quorum"] = "0.400000000000000000"
    path.write_text(json.dumps(drafted))

    send(runner, chain, "submit-proposal", str(path), key="validator")
    send(runner, chain, "vote", "1", "yes", key="validator")
    chain.commit(VOTING_BLOCKS)
    assert status(runner, 1) == "PROPOSAL_STATUS_PASSED"
    assert (
        json.loads(ok(runner, "query", "params", "gov", "-o", "json"))["gov"]["quorum"]
        == "0.400000000000000000"
    )
    assert "gov.quorum = 0.400000000000000000" in ok(runner, "query", "gov", "params")


def test_cancel_a_proposal(runner: CliRunner, chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "proposal.json"
    draft(runner, path, "--title", "t", "--summary", "s", "--deposit", "100udepin")
    send(runner, chain, "submit-proposal", str(path))
    send(runner, chain, "cancel-proposal", "1")
    assert "doesn't exist" in fails(runner, "query", "gov", "proposal", "1")
    assert query_json(runner, "proposals")["proposals"] == []


def test_pages_of_proposals(runner: CliRunner, chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "proposal.json"
    draft(runner, path, "--title", "t", "--summary", "s", "--deposit", "100udepin")
    for _ in range(2):
        send(runner, chain, "submit-proposal", str(path))
    first = query_json(runner, "proposals", "--limit", "1")
    next_key = first["pagination"]["next_key"]
    assert [p["id"] for p in first["proposals"]] == ["1"] and next_key
    assert ok(runner, "query", "gov", "proposals", "--limit", "1").endswith(f"more: --page-key {next_key}\n")
    second = query_json(runner, "proposals", "--limit", "1", "--page-key", next_key)
    assert [p["id"] for p in second["proposals"]] == ["2"]
    assert query_json(runner, "proposals", "--depositor", chain.alice)["proposals"] == [
        *first["proposals"],
        *second["proposals"],
    ]


def test_invalid_votes_the_chain_rejects(runner: CliRunner, chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "proposal.json"
    draft(runner, path, "--title", "t", "--summary", "s", "--deposit", "100udepin")
    send(runner, chain, "submit-proposal", str(path))
    flags = ["--from", "alice", "--home", str(chain.home), "--keyring-backend", "test", "-y", "--no-wait"]
    assert "inactive proposal" in fails(runner, "tx", "gov", "vote", "1", "yes", *flags)  # still in deposit
    assert "sum" in fails(runner, "tx", "gov", "weighted-vote", "1", "yes=0.5,no=0.4", *flags)


# -- parsing and proposal files, no node needed --------------------------------------------------


def test_vote_options_as_cosmos_writes_them() -> None:
    for text, option in [("yes", 1), ("Abstain", 2), ("NO", 3), ("no_with_veto", 4), ("NoWithVeto", 4)]:
        assert gov_tx.parse_option(text) == option
    assert gov_tx.parse_option("VOTE_OPTION_NO_WITH_VETO") == 4
    weighted = gov_tx.parse_weighted("yes=0.6, no=0.4")
    assert [(o.option, o.weight) for o in weighted] == [
        (1, "0.600000000000000000"),
        (3, "0.400000000000000000"),
    ]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["vote", "1", "maybe"], "is not a vote"),
        (["weighted-vote", "1", "yes"], "is not OPTION=WEIGHT"),
        (["weighted-vote", "1", "yes=lots"], "weight 'lots'"),
        (["weighted-vote", "1", "perhaps=1"], "is not a vote"),
        (["vote", "0", "yes"], "'PROPOSAL_ID'"),
        (["deposit", "1", "10 udepin"], "is not a coin"),
    ],
)
def test_invalid_vote_and_deposit_arguments(runner: CliRunner, args: list[str], reason: str) -> None:
    assert reason in fails(runner, "tx", "gov", *args, "--from", "alice", code=2)


def proposal_file(tmp_path: Path, **fields: Any) -> Path:
    content = {"messages": [], "deposit": "", "title": "t", "summary": "s"} | fields
    path = tmp_path / "proposal.json"
    path.write_text(json.dumps(content))
    return path


def bank_params(authority: str) -> dict[str, Any]:
    return {
        "@type": "/cosmos.bank.v1beta1.MsgUpdateParams",
        "authority": authority,
        "params": {"default_send_enabled": False},
    }


GOV = gov_address()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"titel": "t"}, "unknown field `titel`"),
        ({"title": 5}, "Expected `str`, got `int` - at `$.title`"),
        ({"deposit": "ten udepin"}, "deposit: 'ten udepin' is not a coin"),
        ({"messages": [{"authority": GOV}]}, 'message 0 needs an "@type"'),
        (
            {"messages": [{"@type": "/cosmos.bank.v1beta1.MsgNope"}]},
            "unknown @type '/cosmos.bank.v1beta1.MsgNope'",
        ),
        ({"messages": [bank_params(GOV) | {"paramz": {}}]}, 'has no field named "paramz"'),
        ({"messages": [bank_params(GOV) | {"authority": 7}]}, "Failed to parse authority field"),
        ({"messages": [bank_params("depin1nope")]}, "message 0 (/cosmos.bank.v1beta1.MsgUpdateParams)"),
    ],
)
def test_invalid_proposal_files(
    runner: CliRunner, tmp_path: Path, fields: dict[str, Any], reason: str
) -> None:
    path = proposal_file(tmp_path, **fields)
    error = fails(runner, "tx", "gov", "submit-proposal", str(path), "--from", "alice")
    assert reason in error and str(path) in error


def test_invalid_proposal_file_signed_by_another(runner: CliRunner, tmp_path: Path) -> None:
    alice = format_address(Address(bytes(range(20))))
    path = proposal_file(tmp_path, messages=[bank_params(alice)])
    error = fails(runner, "tx", "gov", "submit-proposal", str(path), "--from", "alice")
    assert f"is signed by {alice}; a proposal's messages must be signed by the gov account {GOV}" in error


def test_invalid_proposal_file_unreadable(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    error = fails(runner, "tx", "gov", "submit-proposal", str(missing), "--from", "a")
    assert error == f"Error: cannot read the proposal file {missing}: No such file or directory"
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "t",,}')
    assert "is not a proposal file: JSON is malformed" in fails(
        runner, "tx", "gov", "submit-proposal", str(bad), "--from", "a"
    )
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes(b'{"title": "caf\xe9", "summary": "s"}')
    assert "is not a proposal file: 'utf-8' codec can't decode" in fails(
        runner, "tx", "gov", "submit-proposal", str(not_utf8), "--from", "a"
    )


def test_draft_every_kind_with_a_new_chains_params(runner: CliRunner, tmp_path: Path) -> None:
    """With no node to ask, a draft has a new chain's params; given a title and a summary,
    each is a proposal file that submit-proposal takes."""
    unreachable = ["--node", f"http://127.0.0.1:{free_port()}", "--title", "t", "--summary", "s"]
    modules = gov_tx.update_params_types(default_registry())
    drafts = [["--type", "param-change", "--module", module] for module in modules]
    drafts += [["--type", kind] for kind in ("text", "cancel-upgrade")]
    for args in drafts:
        path = tmp_path / f"{'-'.join(args)}.json"
        result = run(runner, "tx", "gov", "draft-proposal", *args, *unreachable, "--output", str(path))
        assert result.exit_code == 0, result.output
        assert "drafting with a new chain's default params" in result.stderr
        assert [coin.amount for coin in read_proposal(path).deposit] == [10_000_000]


def test_draft_fields_to_fill_in(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "upgrade.json"
    args = ["--type", "software-upgrade", "--expedited", "--output", str(path)]
    result = run(runner, "tx", "gov", "draft-proposal", *args, "--node", f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 0, result.output
    assert "to fill in: title, summary, messages[0].plan.name, messages[0].plan.height" in result.stdout
    drafted = json.loads(path.read_text())
    assert drafted["messages"][0]["plan"] == {"name": "", "height": "0", "info": ""}
    assert (drafted["expedited"], drafted["deposit"]) == (True, "50000000udepin")
    error = fails(runner, "tx", "gov", "submit-proposal", str(path), "--from", "alice")
    assert error.endswith("MsgSoftwareUpgrade): name cannot be empty: invalid request")
