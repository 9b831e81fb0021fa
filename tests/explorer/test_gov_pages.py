"""The governance pages against the world's node: the proposals list and its status filter,
the passed proposal's final tally and decoded message, the voting proposal's tally against the
votes cast and the bonded stake, its weighted votes and its deposits, a proposal whose title
and summary hold HTML shown as text with its tally following a vote cast here, search by
proposal, and the pages at a phone's width. Expected values come from the node's JSON-RPC in
each test."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.harness import DENOM, Wallet
from tests.explorer.browser import assert_fits_its_width, shot
from tests.explorer.world import MIN_DEPOSIT, PASSED_TITLE, VOTING_TITLE, World, commit
from vm.gov.msgs import MsgSubmitProposal, MsgVote
from vm.gov.tally import VoteOption
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser]

UDEPIN = 10**6
LIVE_TIMEOUT_MS = 30_000  # a few blocks
OPTIONS = [
    ("Yes", "yes_count"),
    ("No", "no_count"),
    ("No with veto", "no_with_veto_count"),
    ("Abstain", "abstain_count"),
]
VOTE_LABELS = {
    "VOTE_OPTION_YES": "Yes",
    "VOTE_OPTION_NO": "No",
    "VOTE_OPTION_NO_WITH_VETO": "No with veto",
    "VOTE_OPTION_ABSTAIN": "Abstain",
}
HTML_TITLE = '<img src="x" onerror="window.injected = 1"><b>Bold</b> & claim'
HTML_SUMMARY = "<script>window.injected = 2</script>\n<i>not italic</i>"


def depin(amount: int | str) -> str:
    """An udepin amount as the pages write it: "4.5 DEPIN"."""
    units, fraction = divmod(int(amount), UDEPIN)
    decimals = f"{fraction:06d}".rstrip("0")
    return f"{units:,}{'.' + decimals if decimals else ''} DEPIN"


def share(part: int, whole: int, digits: int = 2) -> str:
    """part / whole as the pages write a share: a percentage rounded half up."""
    scaled = (part * 10 ** (digits + 2) * 2 + whole) // (2 * whole)
    text = str(scaled).rjust(digits + 1, "0")
    return f"{text[:-digits]}.{text[-digits:]}%"


def percent(text: str) -> str:
    """A Cosmos decimal as the pages write it: "0.334000000000000000" as "33.4%"."""
    percent = f"{float(text) * 100:.2f}".rstrip("0").rstrip(".")
    return f"{percent}%"


def visit(page: Page, world: World, path: str) -> None:
    page.goto(world.explorer_url + path)
    expect(page.locator("main h1")).to_be_visible()


def section(page: Page, title: str) -> Locator:
    return page.locator("section").filter(has=page.get_by_role("heading", name=title, exact=True))


def detail(scope: Page | Locator, label: str) -> Locator:
    """The value of a detail list's row."""
    return scope.locator(f'xpath=.//dt[normalize-space()="{label}"]/following-sibling::dd[1]')


def proposal_row(page: Page, proposal_id: int) -> Locator:
    link = page.get_by_role("link", name=f"proposal {proposal_id}", exact=True)
    return page.locator("main tbody tr").filter(has=link)


def counts(tally: dict[str, str]) -> list[int]:
    return [int(tally[field]) for _, field in OPTIONS]


def bar_text(tally: dict[str, str], whole: int, of: str) -> str:
    """A tally bar's accessible name."""
    return ", ".join(f"{label} {share(int(tally[field]), whole)}" for label, field in OPTIONS) + f" {of}"


def expect_tally_table(page: Page, tally: dict[str, str], bonded: int | None) -> None:
    """The tally table: each option's voting power and its shares of the votes cast and (when
    the page knows it: while voting) of the bonded stake, then the votes cast."""
    table = section(page, "Tally").locator("table")
    columns = ["Option", "Voting power", "Of the votes cast"] + (["Of the bonded stake"] if bonded else [])
    expect(table.locator("thead th")).to_have_text(columns)
    cast = sum(counts(tally))
    rows = [(label, int(tally[field])) for label, field in OPTIONS] + [("Votes cast", cast)]
    for index, (label, count) in enumerate(rows):
        cells = [label, depin(count), share(count, cast)] + ([share(count, bonded)] if bonded else [])
        expect(table.locator("tbody tr").nth(index).locator("td")).to_have_text(cells)


# -- the list -------------------------------------------------------------------------------------


def test_proposals_list_shows_each_proposals_status_ends_and_tally(page: Page, world: World) -> None:
    passed = world.node.rpc("gov_proposal", proposal_id=world.proposals.passed)["proposal"]
    voting = world.node.rpc("gov_proposal", proposal_id=world.proposals.voting)["proposal"]
    live = world.node.rpc("gov_tally", proposal_id=world.proposals.voting)["tally"]
    listed = world.node.rpc("gov_proposals")["proposals"]
    visit(page, world, "proposals")
    expect(page.locator("main h1")).to_have_text("Governance")
    expect(
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Governance")
    ).to_have_attribute("aria-current", "page")
    expect(page.locator("main tbody tr")).to_have_count(len(listed))
    row = proposal_row(page, world.proposals.passed)
    expect(row.locator("td")).to_have_text(
        [
            f"#{passed['id']}",
            PASSED_TITLE,
            "passed",
            f"{int(passed['submit_height']):,}",
            f"{int(passed['voting_end_height']):,}",
            "Yes 100.0%",
        ]
    )
    final = passed["final_tally_result"]
    expect(row.get_by_role("img")).to_have_attribute(
        "aria-label", bar_text(final, sum(counts(final)), "of the votes cast")
    )
    row = proposal_row(page, world.proposals.voting)
    expect(row).to_contain_text(VOTING_TITLE)
    expect(row).to_contain_text("voting period")
    expect(row).to_contain_text(
        re.compile(f"{int(voting['voting_end_height']):,} \\(in [0-9,]+ blocks\\) \\(voting\\)")
    )
    cast = sum(counts(live))
    expect(row.get_by_role("img")).to_have_attribute("aria-label", bar_text(live, cast, "of the votes cast"))
    expect(row).to_contain_text(f"Yes {share(int(live['yes_count']), cast, 1)}")
    shot(page, "proposals")
    row.get_by_role("link", name=f"proposal {world.proposals.voting}").click()
    expect(page).to_have_url(re.compile(f"/explorer/proposals/{world.proposals.voting}$"))
    expect(page.locator("main h1")).to_have_text(f"Proposal {world.proposals.voting}: {VOTING_TITLE}")


def test_proposals_filter_by_status(page: Page, world: World) -> None:
    passed = world.node.rpc("gov_proposals", status="PROPOSAL_STATUS_PASSED")["proposals"]
    voting = world.node.rpc("gov_proposals", status="PROPOSAL_STATUS_VOTING_PERIOD")["proposals"]
    visit(page, world, "proposals")
    page.get_by_label("Status").select_option("passed")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/explorer/proposals\?status=passed$"))
    expect(page.locator("main tbody tr")).to_have_count(len(passed))
    expect(proposal_row(page, world.proposals.passed)).to_be_visible()
    expect(proposal_row(page, world.proposals.voting)).to_have_count(0)
    visit(page, world, "proposals?status=voting")
    expect(page.get_by_label("Status")).to_have_value("voting")
    expect(page.locator("main tbody tr")).to_have_count(len(voting))
    expect(proposal_row(page, world.proposals.voting)).to_be_visible()
    expect(proposal_row(page, world.proposals.passed)).to_have_count(0)
    page.get_by_label("Status").select_option("deposit")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No proposal is in this status.")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/explorer/proposals\?status=voting$"))
    expect(proposal_row(page, world.proposals.voting)).to_be_visible()


# -- one proposal ---------------------------------------------------------------------------------


def test_passed_proposal_shows_its_final_tally_and_its_message(page: Page, world: World) -> None:
    proposal = world.node.rpc("gov_proposal", proposal_id=world.proposals.passed)["proposal"]
    tally = world.node.rpc("gov_tally", proposal_id=world.proposals.passed)["tally"]
    assert tally == proposal["final_tally_result"]
    params = world.node.rpc("gov_params")["params"]
    visit(page, world, f"proposals/{world.proposals.passed}")
    expect(page.locator("main h1")).to_have_text(f"Proposal {world.proposals.passed}: {PASSED_TITLE}")
    expect(detail(page, "Status")).to_have_text("passed")
    expect(detail(page, "Expedited")).to_have_text("yes")
    expect(detail(page, "Proposer").locator(f'a[title="{world.validator_account}"]')).to_be_visible()
    minimum = int(params["expedited_min_deposit"][0]["amount"])
    expect(detail(page, "Total deposit")).to_contain_text(
        f"{depin(2 * MIN_DEPOSIT)} of the {depin(minimum)} minimum"
    )
    expect(detail(page, "Voting ends at")).to_contain_text(f"{int(proposal['voting_end_height']):,}")
    expect_tally_table(page, tally, None)
    threshold = percent(params["expedited_threshold"])
    expect(detail(page, "Threshold")).to_contain_text(
        f"100.00% of the votes not abstaining are yes, above {threshold}"
    )
    expect(detail(page, "Threshold")).to_contain_text("(expedited) passes: above")
    (message,) = proposal["messages"]
    messages = section(page, "Messages (1)")
    expect(messages.locator("h3")).to_have_text("#1 MsgUpdateParams")
    assert json.loads(messages.locator("pre").inner_text()) == message
    assert message["params"]["max_offers_per_provider"] == "48"  # proto3 JSON: uint64 as a string
    expect(section(page, "Votes")).to_contain_text("Votes are deleted once a proposal is tallied")
    expect(section(page, "Deposits")).to_contain_text("Deposits are refunded or burned when a proposal ends.")
    shot(page, "proposal-passed")
    detail(page, "Proposer").get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/explorer/account/{world.validator_account}$"))


def test_voting_proposal_shows_its_tally_against_the_stake_its_votes_and_deposits(
    page: Page, world: World
) -> None:
    proposal_id = world.proposals.voting
    proposal = world.node.rpc("gov_proposal", proposal_id=proposal_id)["proposal"]
    tally = world.node.rpc("gov_tally", proposal_id=proposal_id)["tally"]
    bonded = int(world.node.rpc("staking_pool")["bonded_tokens"])
    votes = world.node.rpc("gov_votes", proposal_id=proposal_id)["votes"]
    deposits = world.node.rpc("gov_deposits", proposal_id=proposal_id)["deposits"]
    visit(page, world, f"proposals/{proposal_id}")
    expect(detail(page, "Status")).to_have_text("voting period")
    expect(detail(page, "Expedited")).to_have_text("no")
    expect(detail(page, "Metadata")).to_have_text("ipfs://benchmark")
    expect(detail(page, "Total deposit")).to_contain_text(
        f"{depin(MIN_DEPOSIT * 3 // 2)} of the {depin(MIN_DEPOSIT)} minimum"
    )
    summary = page.locator("p.summary").evaluate("element => element.textContent")
    assert summary == proposal["summary"]
    expect_tally_table(page, tally, bonded)
    cast = sum(counts(tally))
    bars = section(page, "Tally").get_by_role("img")
    expect(bars.nth(0)).to_have_attribute("aria-label", bar_text(tally, cast, "of the votes cast"))
    quorum = percent(world.node.rpc("gov_params")["params"]["quorum"])
    expect(bars.nth(1)).to_have_attribute(
        "aria-label", bar_text(tally, bonded, "of the bonded stake") + f"; quorum at {quorum}"
    )
    expect(detail(page, "Quorum")).to_have_text(
        f"{share(cast, bonded)} of the bonded stake voted, {quorum} must: reached"
    )
    assert len(votes) == 2 and len(deposits) == 2  # the validator's and the requester's
    vote_rows = section(page, "Votes").locator("tbody tr")
    expect(vote_rows).to_have_count(len(votes))
    for vote in votes:
        options = vote["options"]
        if len(options) == 1:
            text = VOTE_LABELS[options[0]["option"]]
        else:
            text = ", ".join(f"{VOTE_LABELS[o['option']]} {percent(o['weight'])}" for o in options)
        row = vote_rows.filter(has=page.locator(f'a[title="{vote["voter"]}"]'))
        expect(row.locator("td")).to_have_text([re.compile(".+"), text, vote["metadata"] or "—"])
    deposit_rows = section(page, "Deposits").locator("tbody tr")
    for deposit in deposits:
        row = deposit_rows.filter(has=page.locator(f'a[title="{deposit["depositor"]}"]'))
        expect(row.locator("td").nth(1)).to_have_text(depin(deposit["amount"][0]["amount"]))
    shot(page, "proposal-voting")


def test_a_proposals_html_is_text_and_its_tally_follows_a_vote(page: Page, world: World) -> None:
    validator = Wallet(world.node, world.node.account_key)
    submit = MsgSubmitProposal(
        [], [Coin(DENOM, MIN_DEPOSIT)], validator.address, "", HTML_TITLE, HTML_SUMMARY, False
    )
    result = commit(world.node, validator, [submit])
    (proposal_id,) = {
        int(attribute["value"])
        for event in result["tx_result"]["events"]
        if event["type"] == "submit_proposal"
        for attribute in event["attributes"]
        if attribute["key"] == "proposal_id"
    }
    visit(page, world, f"proposals/{proposal_id}")
    expect(page.locator("main h1")).to_have_text(f"Proposal {proposal_id}: {HTML_TITLE}")
    expect(page.locator("main h1 b, main img, main p.summary i")).to_have_count(0)
    summary = page.locator("p.summary").evaluate("element => element.textContent")
    assert summary == HTML_SUMMARY
    expect(section(page, "Votes")).to_contain_text("No votes yet.")
    expect(section(page, "Tally").get_by_role("img").first).to_have_attribute("aria-label", "No votes yet")
    page.evaluate("window.stillHere = true")

    vote = commit(world.node, validator, [MsgVote(proposal_id, validator.address, VoteOption.YES, "")])
    tally = world.node.rpc("gov_tally", proposal_id=proposal_id)["tally"]
    rows = section(page, "Tally").locator("tbody tr")
    expect(rows.first.locator("td").nth(1)).to_have_text(depin(tally["yes_count"]), timeout=LIVE_TIMEOUT_MS)
    voter = section(page, "Votes").locator(f'a[title="{validator.address}"]')
    expect(voter).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.stillHere") is True  # updated in place, not reloaded
    assert page.evaluate("window.injected") is None
    shot(page, "proposal-html-title")

    visit(page, world, "proposals?status=voting")
    expect(proposal_row(page, proposal_id).locator("td").nth(1)).to_have_text(HTML_TITLE)
    visit(page, world, f"txs/{vote['hash']}")
    link = page.get_by_role("link", name=f"proposal {proposal_id}", exact=True)
    expect(link.first).to_be_visible()
    link.first.click()
    expect(page).to_have_url(re.compile(f"/explorer/proposals/{proposal_id}$"))
    assert page.evaluate("window.injected") is None


# -- search, errors, a phone ----------------------------------------------------------------------


def test_search_finds_a_proposal_by_its_number(page: Page, world: World) -> None:
    visit(page, world, "")
    for text, proposal_id in (
        (f"#{world.proposals.voting}", world.proposals.voting),
        (f"proposal {world.proposals.passed}", world.proposals.passed),
    ):
        page.get_by_label("Search by height, hash or address").fill(text)
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(f"/explorer/proposals/{proposal_id}$"))
        expect(page.locator("main h1")).to_contain_text(f"Proposal {proposal_id}: ")


def test_missing_or_malformed_proposal_says_so(page: Page, world: World) -> None:
    visit(page, world, "proposals/999999")
    expect(page.get_by_role("alert")).to_have_text("No proposal 999999: not found.")
    visit(page, world, "proposals/abc")
    expect(page.get_by_role("alert")).to_contain_text("is not a proposal id")


def test_governance_on_a_phone_fits_its_width(phone_page: Page, world: World) -> None:
    visit(phone_page, world, "proposals")
    expect(proposal_row(phone_page, world.proposals.voting)).to_be_visible()
    assert_fits_its_width(phone_page)
    shot(phone_page, "proposals-phone")
    visit(phone_page, world, f"proposals/{world.proposals.voting}")
    expect(section(phone_page, "Tally").locator("tbody tr")).to_have_count(len(OPTIONS) + 1)
    assert_fits_its_width(phone_page)
    shot(phone_page, "proposal-phone")
