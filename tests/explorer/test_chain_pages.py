"""The chain's pages against the world's node: the overview (figures from `summary` and
`validators`, live height), blocks (the list paging to older heights and taking new blocks, a
block's header, txs and events), transactions (the list with its module filter, a tx's decoded
messages), validators (the list, a validator's commission, uptime, slashes and delegations) and
an account (balances, leases, orders, jobs, txs). Expected values come from the node's JSON-RPC
in each test; live pages are watched changing without a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.explorer.browser import assert_fits_its_width, shot
from tests.explorer.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser]

UDEPIN = 10**6
LIVE_TIMEOUT_MS = 30_000  # a few blocks
LIST_PAGE = 20


def depin(amount: int | str) -> str:
    """An udepin amount as the pages write it: "4.5 DEPIN"."""
    units, fraction = divmod(int(amount), UDEPIN)
    decimals = f"{fraction:06d}".rstrip("0")
    return f"{units:,}{'.' + decimals if decimals else ''} DEPIN"


def visit(page: Page, world: World, path: str) -> None:
    page.goto(world.explorer_url + path)
    expect(page.locator("main h1")).to_be_visible()


def section(page: Page, title: str) -> Locator:
    return page.locator("section").filter(has=page.get_by_role("heading", name=title, exact=True))


def detail(scope: Page | Locator, label: str) -> Locator:
    """The value of a detail list's row."""
    return scope.locator(f'xpath=.//dt[normalize-space()="{label}"]/following-sibling::dd[1]')


def tile(page: Page, name: str) -> Locator:
    return page.locator(f"[data-stat={name}]")


def titled(scope: Page | Locator, value: str) -> Locator:
    """A link showing ``value`` shortened, with all of it in its title."""
    return scope.locator(f'a[title="{value}"]')


def first_cell(page: Page) -> Locator:
    return page.locator("main tbody tr").first.locator("td").first


# -- overview -----------------------------------------------------------------------------------------


def test_overview_shows_the_nodes_figures_and_its_height_grows_live(page: Page, world: World) -> None:
    summary = world.node.rpc("summary")
    classes = summary["market"]["classes"]
    by_module = (summary["compute"]["provider_slashes"], summary["slashing"]["slashes"])
    slashes = sum(sum(counts.values()) for counts in by_module)  # each slash is in one of them
    start = world.node.height()
    visit(page, world, "")
    expect(tile(page, "validators")).to_have_text(world.node.rpc("validators")["total"])
    expect(tile(page, "open-leases")).to_have_text(str(summary["market"]["leases"]["active"]))
    expect(tile(page, "gpus-offered")).to_have_text(str(sum(c["offered"] for c in classes)))
    expect(tile(page, "gpus-leased")).to_have_text(str(sum(c["leased"] for c in classes)))
    expect(tile(page, "jobs-verified")).to_have_text(str(summary["compute"]["jobs"]["valid"]))
    expect(tile(page, "slashes")).to_have_text(str(slashes))
    assert slashes >= 1  # the world's provider proven wrong
    expect(page.locator("figure.chart [role=img]")).to_have_count(4)
    expect(page.locator("figure.chart canvas")).to_have_count(4)
    height = tile(page, "height")
    shown = height.inner_text()
    assert int(shown.replace(",", "")) >= start
    page.evaluate("window.stillHere = true")
    expect(height).not_to_have_text(shown, timeout=LIVE_TIMEOUT_MS)
    expect(first_cell(page)).not_to_have_text(shown, timeout=LIVE_TIMEOUT_MS)  # latest blocks grow
    expect(page.locator("main tbody tr")).to_have_count(10)
    assert page.evaluate("window.stillHere") is True  # updated in place, not reloaded
    shot(page, "overview")
    shown = first_cell(page).inner_text()  # the row stays for the next nine blocks
    section(page, "Latest blocks").get_by_role("link", name=shown, exact=True).click()
    expect(page).to_have_url(re.compile(f"/explorer/blocks/{shown.replace(',', '')}$"))
    expect(page.locator("h1")).to_have_text(f"Block {shown}")


def test_overview_on_a_phone_fits_its_width(phone_page: Page, world: World) -> None:
    visit(phone_page, world, "")
    expect(tile(phone_page, "height").locator("a")).to_be_visible()
    expect(phone_page.locator("figure.chart canvas").first).to_be_visible()
    assert_fits_its_width(phone_page)
    shot(phone_page, "overview-phone")


# -- blocks ---------------------------------------------------------------------------------------------


def test_blocks_list_takes_new_blocks_and_pages_to_older_ones(page: Page, world: World) -> None:
    visit(page, world, "blocks")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(LIST_PAGE)
    newest = first_cell(page).inner_text()
    expect(first_cell(page)).not_to_have_text(newest, timeout=LIVE_TIMEOUT_MS)
    expect(rows).to_have_count(LIST_PAGE)
    shot(page, "blocks")
    page.get_by_role("link", name="Next", exact=True).click()
    expect(page).to_have_url(re.compile(r"/explorer/blocks\?to=\d+$"))
    top = int(page.url.rsplit("=", 1)[1])
    metas = world.node.rpc("blockchain", maxHeight=top)["block_metas"]
    expect(first_cell(page)).to_have_text(f"{top:,}")
    expect(rows).to_have_count(len(metas))
    row = rows.first
    expect(row.locator("td").nth(2)).to_have_text(metas[0]["num_txs"])
    page.go_back()
    expect(page).to_have_url(re.compile("/explorer/blocks$"))
    expect(rows).to_have_count(LIST_PAGE)


def test_block_page_shows_its_header_txs_and_events(page: Page, world: World) -> None:
    height = world.valid_job.height
    block = world.node.rpc("block", height=height)
    header = block["block"]["header"]
    results = world.node.rpc("block_results", height=height)
    proposer = world.node.rpc("validator_staking", cons_address=header["proposer_address"])
    visit(page, world, f"blocks/{height}")
    expect(detail(page, "Hash")).to_have_text(block["block_id"]["hash"])
    expect(detail(page, "App hash")).to_have_text(header["app_hash"])
    expect(detail(page, "Transactions")).to_have_text(str(len(block["block"]["data"]["txs"])))
    expect(detail(page, "Proposer")).to_have_text(proposer["description"]["moniker"])
    txs = section(page, "Transactions")
    row = txs.locator("tr").filter(has=titled(page, world.valid_job.tx_hash))
    expect(row).to_contain_text("MsgSubmitJob")
    expect(row).to_contain_text("success")
    events = section(page, "Finalize-block events")
    for event in results["finalize_block_events"]:
        expect(events.locator("code", has_text=re.compile(f"^{event['type']}$")).first).to_be_visible()
    shot(page, "block")
    page.get_by_role("link", name=f"Block {height + 1:,} →").click()
    expect(page).to_have_url(re.compile(f"/explorer/blocks/{height + 1}$"))
    page.go_back()
    titled(section(page, "Transactions"), world.valid_job.tx_hash).click()
    expect(page).to_have_url(re.compile(f"/explorer/txs/{world.valid_job.tx_hash}$"))


def test_missing_block_and_tx_say_not_found(page: Page, world: World) -> None:
    visit(page, world, f"blocks/{world.node.height() + 10_000}")
    expect(page.get_by_role("alert")).to_contain_text("not found")
    visit(page, world, f"txs/{'0' * 64}")
    expect(page.get_by_role("alert")).to_contain_text("not found")


# -- transactions ---------------------------------------------------------------------------------------


def test_tx_page_decodes_its_message_and_links_its_signer(page: Page, world: World) -> None:
    found = world.node.rpc("decoded_tx", hash=world.valid_job.tx_hash)
    response = found["tx_response"]
    (message,) = found["tx"]["body"]["messages"]
    fee = found["tx"]["auth_info"]["fee"]["amount"][0]["amount"]
    visit(page, world, f"txs/{world.valid_job.tx_hash}")
    expect(detail(page, "Height")).to_have_text(str(world.valid_job.height))
    expect(detail(page, "Gas used / wanted")).to_have_text(
        f"{int(response['gas_used']):,} / {int(response['gas_wanted']):,}"
    )
    expect(detail(page, "Fee")).to_have_text(depin(fee))
    expect(detail(page, "Result")).to_have_text("success")
    decoded = section(page, "Messages (1)")
    expect(decoded.locator("h3")).to_have_text("#1 MsgSubmitJob")
    expect(detail(decoded, "deadline_blocks")).to_have_text(message["deadline_blocks"])
    expect(detail(decoded, "price")).to_have_text(depin(message["price"]["amount"]))
    lease = detail(decoded, "lease_id").get_by_role("link", name=f"lease {message['lease_id']}")
    expect(lease).to_be_visible()
    events = section(page, "Events")
    for event in response["events"]:
        expect(events.locator("code", has_text=re.compile(f"^{event['type']}$")).first).to_be_visible()
    shot(page, "tx")
    titled(detail(page, "Signers"), world.requester).click()
    expect(page).to_have_url(re.compile(f"/explorer/account/{world.requester}$"))


def test_txs_list_filters_by_module_and_takes_new_txs(page: Page, world: World) -> None:
    market = world.node.rpc("decoded_txs", query="message.module='market'", per_page=LIST_PAGE)
    visit(page, world, "txs?module=market")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(min(LIST_PAGE, int(market["total"])))
    for response in market["tx_responses"]:
        expect(titled(page, response["txhash"])).to_be_visible()
    page.get_by_label("Messages of module").select_option("compute")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/explorer/txs\?module=compute$"))
    expect(titled(page, world.valid_job.tx_hash)).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/explorer/txs\?module=market$"))
    expect(page.get_by_label("Messages of module")).to_have_value("market")
    visit(page, world, "txs")
    newest = first_cell(page).inner_text()
    expect(first_cell(page)).not_to_have_text(newest, timeout=LIVE_TIMEOUT_MS)  # a block's beacon entry
    shot(page, "txs")


# -- validators -----------------------------------------------------------------------------------------


def test_validators_list_links_to_the_validator(page: Page, world: World) -> None:
    validator = world.node.rpc("validator_staking", address=world.validator)
    moniker = validator["description"]["moniker"]
    visit(page, world, "validators")
    row = page.locator("main tbody tr").filter(has_text=moniker)
    expect(row).to_contain_text(depin(validator["tokens"]))
    expect(row).to_contain_text("bonded")
    expect(row.locator("td").nth(3)).to_have_text(validator["power"])
    shot(page, "validators")
    page.get_by_label("Status").select_option("unbonded")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/explorer/validators\?status=BOND_STATUS_UNBONDED$"))
    expect(page.get_by_text("No validators.")).to_be_visible()
    page.go_back()
    row.get_by_role("link", name=moniker, exact=True).click()
    expect(page).to_have_url(re.compile(f"/explorer/validators/{world.validator}$"))
    expect(page.locator("h1")).to_have_text(f"Validator {moniker}")


def test_validator_page_shows_commission_uptime_slashes_and_delegations(page: Page, world: World) -> None:
    validator = world.node.rpc("validator_staking", address=world.validator)
    window = world.node.rpc("params", module="slashing")["slashing"]["signed_blocks_window"]
    slashes = world.node.rpc("validator_slashes", validator=world.validator)["slashes"]
    visit(page, world, f"validators/{world.validator}")
    expect(detail(page, "Tokens")).to_have_text(depin(validator["tokens"]))
    expect(detail(page, "Consensus address")).to_have_text(validator["consensus_address"])
    rate = float(validator["commission"]["commission_rates"]["rate"]) * 100
    expect(detail(page, "Commission rate")).to_contain_text(f"{rate:.2f}%")
    expect(detail(page, "Commission accumulated")).to_contain_text("DEPIN")
    signing = world.node.rpc("signing_info", cons_address=validator["consensus_address"])
    missed = signing["missed_blocks_counter"]
    counted = f"of the last ({window}|[1-9][0-9]?) blocks"  # the window, or the blocks since it started
    expect(detail(page, "Uptime")).to_contain_text(re.compile(f"missed {missed} {counted}"))
    expect(detail(page, "Tombstoned")).to_have_text("no")
    assert slashes == []  # the world slashes a provider, not a validator
    expect(section(page, "Slash history")).to_contain_text("Never slashed.")
    delegations = section(page, "Delegations")
    expect(titled(delegations, world.validator_account)).to_be_visible()
    before = detail(page, "Commission accumulated").inner_text()
    expect(detail(page, "Commission accumulated")).not_to_have_text(before, timeout=LIVE_TIMEOUT_MS)
    shot(page, "validator")
    titled(detail(page, "Operator account"), world.validator_account).click()
    expect(page).to_have_url(re.compile(f"/explorer/account/{world.validator_account}$"))
    expect(detail(page, "Validator").get_by_role("link")).to_have_text(validator["description"]["moniker"])


# -- accounts -------------------------------------------------------------------------------------------


def test_account_page_shows_balances_market_records_jobs_and_txs(page: Page, world: World) -> None:
    balances: list[dict[str, Any]] = world.node.rpc("balances", address=world.requester)["balances"]
    sent = world.node.rpc("decoded_txs", query=f"message.sender='{world.requester}'", order_by="desc")
    visit(page, world, f"account/{world.requester}")
    expect(detail(page, "Balances")).to_have_text(", ".join(depin(b["amount"]) for b in balances))
    leases = section(page, "Leases as requester")
    expect(leases.get_by_role("link", name=f"lease {world.lease_id}", exact=True)).to_be_visible()
    expect(titled(leases, world.provider)).to_be_visible()
    order = section(page, "Orders").get_by_role("link", name=f"order {world.order_id}", exact=True)
    expect(order).to_be_visible()
    jobs = section(page, "Jobs as requester")
    expect(jobs.get_by_role("link", name=f"job {world.valid_job.id}", exact=True)).to_be_visible()
    expect(section(page, "Leases as provider")).to_contain_text("No leases.")
    txs = section(page, "Transactions")
    for response in sent["tx_responses"]:
        expect(titled(txs, response["txhash"])).to_be_visible()
    shot(page, "account")
    leases.get_by_role("link", name=f"lease {world.lease_id}", exact=True).click()
    expect(page).to_have_url(re.compile(f"/explorer/market/leases/{world.lease_id}$"))


def test_provider_account_links_to_its_provider_page(page: Page, world: World) -> None:
    visit(page, world, f"account/{world.provider}")
    job = section(page, "Jobs as provider").get_by_role("link", name=f"job {world.valid_job.id}")
    expect(job).to_be_visible()
    detail(page, "Provider").get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/explorer/providers/{world.provider}$"))


# -- search and history ---------------------------------------------------------------------------------


def search(page: Page, text: str) -> None:
    page.get_by_label("Search by height, hash or address").fill(text)
    page.get_by_role("button", name="Search").click()


def test_search_finds_heights_hashes_and_addresses_and_back_returns(page: Page, world: World) -> None:
    visit(page, world, "")
    search(page, str(world.valid_job.height))
    expect(page).to_have_url(re.compile(f"/explorer/blocks/{world.valid_job.height}$"))
    expect(page.locator("h1")).to_have_text(f"Block {world.valid_job.height:,}")
    search(page, world.valid_job.tx_hash.lower())
    expect(page).to_have_url(re.compile(f"/explorer/txs/{world.valid_job.tx_hash}$"))
    expect(detail(page, "Hash")).to_have_text(world.valid_job.tx_hash)
    search(page, world.requester)
    expect(page).to_have_url(re.compile(f"/explorer/account/{world.requester}$"))
    expect(detail(page, "Address")).to_have_text(world.requester)
    page.go_back()
    expect(page).to_have_url(re.compile(f"/explorer/txs/{world.valid_job.tx_hash}$"))
    expect(detail(page, "Hash")).to_have_text(world.valid_job.tx_hash)
    page.go_back()
    expect(page).to_have_url(re.compile(f"/explorer/blocks/{world.valid_job.height}$"))
    page.go_forward()
    expect(page).to_have_url(re.compile(f"/explorer/txs/{world.valid_job.tx_hash}$"))
