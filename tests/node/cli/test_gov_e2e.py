"""``depind tx gov`` and ``depind query gov`` as users run them, against a real dev node
(one validator, the ``dev`` key its operator): draft a text proposal, submit it, fund it,
vote and read it; a missing proposal is one ``Error:`` line. The periods are made long in
genesis, so that the proposal is still in its voting period however slow the CLI calls
(tests/node/cli/test_gov.py follows proposals to their end, in process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from genesis import doc as genesis_doc
from genesis.gov import GovGenesis
from genesis.schema import CoinJSON, get_section, set_section
from node.home import Home
from tests.node.cli.localnet import LocalNode, run_cli, run_json

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MIN_DEPOSIT = 1_000


def small_gov(home: Home) -> None:
    """A low minimum deposit and periods far longer than the test."""
    genesis = genesis_doc.load(home.genesis_file)
    gov = get_section(genesis, "gov", GovGenesis)
    params = msgspec.structs.replace(
        gov.params,
        min_deposit=[CoinJSON(denom="udepin", amount=MIN_DEPOSIT)],
        max_deposit_blocks=10_000,
        voting_blocks=10_000,
    )
    set_section(genesis, "gov", msgspec.structs.replace(gov, params=params))
    genesis_doc.save(genesis, home.genesis_file)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    started = LocalNode.start(tmp_path_factory.mktemp("gov") / "home", small_gov)
    try:
        yield started
    finally:
        started.stop()


def tx(node: LocalNode, *args: str) -> dict[str, Any]:
    """A gov tx signed by ``dev``; it must be included with code 0."""
    flags = ["--from", "dev", "--node", node.url, "--home", str(node.home), "--keyring-backend", "test", "-y"]
    outcome: dict[str, Any] = run_json("tx", "gov", *args, *flags)
    assert outcome["code"] == 0 and outcome["height"] > 0, outcome
    return outcome


def query(node: LocalNode, *args: str) -> Any:
    return run_json("query", "gov", *args, "--node", node.url)


def test_submit_deposit_vote_and_query(node: LocalNode, tmp_path: Path) -> None:
    path = tmp_path / "draft_proposal.json"
    args = ["--title", "Hello", "--summary", "Text", "--deposit", "400udepin", "--output", str(path)]
    drafted = run_cli("tx", "gov", "draft-proposal", *args, "--node", node.url)
    assert drafted.returncode == 0, drafted.stderr

    tx(node, "submit-proposal", str(path))
    [proposal] = query(node, "proposals", "--status", "deposit_period")["proposals"]
    proposal_id = proposal["id"]
    tx(node, "deposit", proposal_id, f"{MIN_DEPOSIT - 400}udepin")
    assert query(node, "proposal", proposal_id)["proposal"]["status"] == "PROPOSAL_STATUS_VOTING_PERIOD"

    tx(node, "vote", proposal_id, "yes")
    [vote] = query(node, "votes", proposal_id)["votes"]
    assert (vote["voter"], vote["options"][0]["option"]) == (node.dev_address, "VOTE_OPTION_YES")
    assert int(query(node, "tally", proposal_id)["tally"]["yes_count"]) > 0
    deposits = query(node, "deposits", proposal_id)["deposits"]
    assert [d["amount"] for d in deposits] == [[{"denom": "udepin", "amount": str(MIN_DEPOSIT)}]]

    shown = run_cli("query", "gov", "proposal", proposal_id, "--node", node.url)
    assert shown.returncode == 0 and "status:         voting_period\n" in shown.stdout


def test_invalid_query_of_a_missing_proposal(node: LocalNode) -> None:
    result = run_cli("query", "gov", "proposal", "999", "--node", node.url)
    assert result.returncode == 1
    assert result.stderr == "Error: rpc error: code = NotFound desc = proposal 999 doesn't exist\n"
