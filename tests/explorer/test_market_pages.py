"""The compute market's pages against the world's node: providers (the list, a provider's
hardware, lease and slashes), the market's tabs (offers filtered by GPU model and price, the
lease escrow gauge, the reference price chart), and jobs (the valid job's committee and
attestations, the invalid job's fraud proof, the state filter). Expected values come from the
node's JSON-RPC in each test; live pages are watched changing without a reload, and a job
submitted here is followed to its verdict on its own page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from playwright.sync_api import Locator, Page, expect

from gpu.jobs import GemmSpec, job_header
from node.keys.keyring import Keyring
from tests.e2e.harness import DENOM, Wallet
from tests.e2e.market_setup import FEE, GAS
from tests.explorer.browser import assert_fits_its_width, shot
from tests.explorer.world import DEADLINE_BLOCKS, PRICE, World
from vm.compute.msgs import MsgSubmitJob
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser]

UDEPIN = 10**6
LIVE_TIMEOUT_MS = 30_000  # a few blocks
VERDICT_TIMEOUT_MS = 90_000  # result, committee, attestation and the challenge window
MAX_TRIES = 20  # reads of a live figure before it must match the node's
LIVE_JOB = GemmSpec(m=64, k=64, n=64, bound=16, seed=11)


def depin(amount: int | str) -> str:
    """An udepin amount as the pages write it: "4.5 DEPIN"."""
    units, fraction = divmod(int(amount), UDEPIN)
    decimals = f"{fraction:06d}".rstrip("0")
    return f"{units:,}{'.' + decimals if decimals else ''} DEPIN"


def visit(page: Page, world: World, path: str) -> None:
    page.goto(world.explorer_url + path)
    expect(page.locator("main h1")).to_be_visible()


def record_link(scope: Page | Locator, what: str, record_id: int) -> Locator:
    """A link to a record, named as the pages name it for screen readers: "lease 1"."""
    return scope.get_by_role("link", name=f"{what} {record_id}", exact=True)


def section(page: Page, title: str) -> Locator:
    return page.locator("section").filter(has=page.get_by_role("heading", name=title, exact=True))


def detail(scope: Page | Locator, label: str) -> Locator:
    """The value of a detail list's row."""
    return scope.locator(f'xpath=.//dt[normalize-space()="{label}"]/following-sibling::dd[1]')


# -- providers --------------------------------------------------------------------------------------


def test_providers_list_shows_each_provider_and_links_to_it(page: Page, world: World) -> None:
    provider = world.node.rpc("provider", owner=world.provider)
    visit(page, world, "providers")
    row = page.locator("tr").filter(has=page.locator(f'a[title="{world.provider}"]'))
    gpu = provider["gpus"][0]
    expect(row).to_contain_text(f"{gpu['model']} × {gpu['count']}")
    expect(row).to_contain_text(provider["region"])
    expect(row).to_contain_text(depin(provider["collateral"]["amount"]))
    shot(page, "providers")
    row.locator(f'a[title="{world.provider}"]').click()
    expect(page).to_have_url(re.compile(f"/explorer/providers/{world.provider}$"))
    expect(page.locator("h1")).to_contain_text(world.provider)


def test_provider_page_shows_its_gpus_and_its_lease(page: Page, world: World) -> None:
    provider = world.node.rpc("provider", owner=world.provider)
    stats = world.node.rpc("provider_stats", provider=world.provider)["stats"]
    visit(page, world, f"providers/{world.provider}")
    hardware = section(page, "Hardware")
    for gpu in provider["gpus"]:
        row = hardware.locator("tr").filter(has_text=gpu["model"])
        expect(row).to_contain_text(f"{gpu['memory_mib']:,} MiB")
        expect(row.locator("td").nth(3)).to_have_text(str(gpu["count"]))
    expect(detail(page, "Region")).to_have_text(provider["region"])
    expect(page.locator("[data-stat=verified-jobs]")).to_have_text(str(stats["verified_jobs"]))
    if not stats["energy_jobs"]:  # the world's workers run on CPUs: NVML measures nothing
        expect(page.locator("[data-stat=energy]")).to_have_text("not measured")
    expect(section(page, "Slashes")).to_contain_text("Never slashed.")
    shot(page, "provider")
    record_link(section(page, "Leases"), "lease", world.lease_id).click()
    expect(page).to_have_url(re.compile(f"/explorer/market/leases/{world.lease_id}$"))
    expect(page.locator("h1")).to_have_text(f"Lease {world.lease_id}")


def test_slashed_provider_page_lists_the_job_proven_wrong(page: Page, world: World) -> None:
    visit(page, world, f"providers/{world.slashed_provider}")
    slashes = section(page, "Slashes")
    row = slashes.locator("tr").filter(has=record_link(page, "job", world.invalid_job.id))
    expect(row).to_contain_text("fraud proof")
    expect(row.locator(f'a[title="{world.validator_account}"]')).to_be_visible()
    collateral = world.node.rpc("provider", owner=world.slashed_provider)["collateral"]["amount"]
    expect(page.locator("[data-stat=collateral]")).to_have_text(depin(collateral))
    shot(page, "provider-slashed")


# -- market -----------------------------------------------------------------------------------------


def test_offers_filtered_by_gpu_model_and_price(page: Page, world: World) -> None:
    answer = world.node.rpc("offer", id=world.offer_id)
    model = answer["offer"]["gpu_class"]["model"]
    others = [o["id"] for o in world.node.rpc("offers")["offers"] if o["gpu_class"]["model"] != model]
    assert others, "the world offers another model too"
    visit(page, world, "market?tab=offers")
    page.get_by_label("GPU model").fill(model)
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"tab=offers.*gpu_model="))
    expect(record_link(page, "offer", world.offer_id)).to_be_visible()
    expect(record_link(page, "offer", others[0])).to_have_count(0)
    shot(page, "market-offers-filtered")
    below = answer["price"] - 1  # udepin: just under the offer's price now
    page.get_by_label("Max price (DEPIN / GPU-h)").fill(f"{below // UDEPIN}.{below % UDEPIN:06d}")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No offer matches these filters.")).to_be_visible()
    page.go_back()
    expect(record_link(page, "offer", world.offer_id)).to_be_visible()
    page.get_by_label("GPU model").fill("No Such GPU")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No offer matches these filters.")).to_be_visible()
    expect(page.get_by_label("GPU model")).to_have_value("No Such GPU")


def test_lease_escrow_gauge_is_the_lease_querys_escrow_and_runs_down(page: Page, world: World) -> None:
    visit(page, world, f"market/leases/{world.lease_id}")
    gauge = page.locator("meter.escrow-gauge")
    expect(gauge).to_be_visible()
    answer = matching_lease(page, gauge, world)
    assert gauge.get_attribute("value") == str(answer["escrow"]["remaining"])
    assert gauge.get_attribute("max") == str(answer["lease"]["deposit"])
    shot(page, "lease")
    before = gauge.get_attribute("value")
    page.evaluate("window.stillHere = true")
    expect(gauge).not_to_have_attribute("value", before or "", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.stillHere") is True  # updated in place, not reloaded
    provider = answer["lease"]["provider"]
    detail(page, "Provider").locator(f'a[title="{provider}"]').click()
    expect(page).to_have_url(re.compile(f"/explorer/providers/{provider}$"))


def matching_lease(page: Page, gauge: Locator, world: World) -> dict[str, Any]:
    """The lease query's answer at the height the gauge shows (it follows each block)."""
    for _ in range(MAX_TRIES):
        shown = gauge.get_attribute("data-height") or ""
        answer: dict[str, Any] = world.node.rpc("lease", id=world.lease_id)
        if answer["height"] == shown:
            return answer
        expect(gauge).not_to_have_attribute("data-height", shown, timeout=LIVE_TIMEOUT_MS)
    raise AssertionError(f"the gauge never showed the height the node answered at in {MAX_TRIES} reads")


def test_prices_tab_charts_the_reference_price_per_class(page: Page, world: World) -> None:
    classes = world.node.rpc("market_summary")["classes"]
    visit(page, world, "market?tab=prices")
    expect(page.locator("figure.chart canvas").first).to_be_visible()
    chart = page.locator("figure.chart [role=img]")
    now = section(page, "Prices and utilisation now")
    for item in classes:
        expect(chart).to_have_attribute("aria-label", re.compile(re.escape(item["gpu_class"]["model"])))
        row = now.locator("tr").filter(has_text=item["gpu_class"]["model"])
        expect(row.locator("td").nth(2)).to_have_text(str(item["offered"]))
    shot(page, "market-prices")
    expect(page.get_by_role("link", name="Leases", exact=True)).to_have_attribute("href", "market?tab=leases")


def test_market_on_a_phone_scrolls_only_its_tables(phone_page: Page, world: World) -> None:
    visit(phone_page, world, "market?tab=leases")
    expect(phone_page.locator("meter.escrow-gauge").first).to_be_attached()
    assert_fits_its_width(phone_page)
    shot(phone_page, "market-leases-phone")


# -- jobs -------------------------------------------------------------------------------------------


def test_verified_job_shows_valid_with_its_committee_and_attestations(page: Page, world: World) -> None:
    job = world.node.rpc("job", id=world.valid_job.id)["job"]
    (attestation,) = world.node.rpc("attestations", job_id=job["id"])["attestations"]
    visit(page, world, f"jobs/{job['id']}")
    expect(page.locator("[data-stat=job-state]")).to_have_text("valid")
    member = page.locator(f'a[title="{world.validator}"]')  # linked to the validator's page
    expect(section(page, "Committee").locator(f'a[title="{world.validator}"]')).to_be_visible()
    row = section(page, "Attestations").locator("tr").filter(has=member)
    expect(row).to_contain_text(attestation["verdict"])
    expect(row).to_contain_text(str(attestation["height"]))
    expect(detail(section(page, "Verdict"), "Paid to the provider")).to_have_text(depin(job["price"]))
    expect(section(page, "Spec")).to_contain_text("128 × 128 × 128")
    expect(section(page, "Result")).to_contain_text(job["result"]["result_root"])
    shot(page, "job-valid")
    record_link(page, "lease", job["lease_id"]).click()
    expect(page.locator("h1")).to_have_text(f"Lease {job['lease_id']}")


def test_slashed_providers_job_shows_invalid_with_its_fraud_proof(page: Page, world: World) -> None:
    job = world.node.rpc("job", id=world.invalid_job.id)["job"]
    (found,) = world.node.rpc("tx_search", query=f"fraud_proven.job_id='{job['id']}'")["txs"]
    (proven,) = [
        {a["key"]: a["value"] for a in event["attributes"]}
        for event in found["tx_result"]["events"]
        if event["type"] == "fraud_proven"
    ]
    visit(page, world, f"jobs/{job['id']}")
    expect(page.locator("[data-stat=job-state]")).to_have_text("invalid")
    fraud = section(page, "Fraud proof and disputes")
    expect(fraud.locator(f'a[title="{job["fraud"]["prover"]}"]')).to_be_visible()
    slashed = depin(proven["slashed"].removesuffix(DENOM))
    expect(detail(fraud, "Provider's collateral slashed")).to_have_text(slashed)
    expect(fraud.locator(f'a[title="{found["hash"]}"]')).to_be_visible()
    expect(detail(section(page, "Verdict"), "Refunded to the requester")).to_have_text(depin(job["price"]))
    shot(page, "job-invalid")
    detail(page, "Provider").locator(f'a[title="{world.slashed_provider}"]').click()
    expect(page.locator("h1")).to_contain_text(world.slashed_provider)


def test_jobs_list_filters_by_state(page: Page, world: World) -> None:
    visit(page, world, "jobs")
    expect(record_link(page, "job", world.valid_job.id)).to_be_visible()
    page.get_by_label("State").select_option("invalid")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/explorer/jobs\?state=invalid$"))
    expect(record_link(page, "job", world.invalid_job.id)).to_be_visible()
    expect(record_link(page, "job", world.valid_job.id)).to_have_count(0)
    shot(page, "jobs-invalid")
    page.go_back()
    expect(record_link(page, "job", world.valid_job.id)).to_be_visible()
    expect(page.get_by_label("State")).to_have_value("")


def test_a_job_page_follows_its_job_to_its_verdict(page: Page, world: World) -> None:
    job_id = submit_job(world)
    visit(page, world, f"jobs/{job_id}")
    page.evaluate("window.stillHere = true")
    state = page.locator("[data-stat=job-state]")
    expect(state).not_to_have_text("valid")  # submitted a moment ago: not final yet
    expect(state).to_have_text("valid", timeout=VERDICT_TIMEOUT_MS)
    expect(section(page, "Attestations").locator(f'a[title="{world.validator}"]')).to_be_visible()
    assert page.evaluate("window.stillHere") is True  # drawn in place, not reloaded
    shot(page, "job-live")


def test_missing_records_say_not_found(page: Page, world: World) -> None:
    for path, text in [
        ("jobs/999999", "No job 999999: not found."),
        ("market/leases/999999", "No lease 999999: not found."),
        ("market/offers/999999", "No offer 999999: not found."),
        (f"providers/{world.validator_account}", f"No provider {world.validator_account} is registered"),
        ("market/orders/one", '"one" is not an id'),
    ]:
        visit(page, world, path)
        expect(page.get_by_role("alert")).to_contain_text(text)


def submit_job(world: World) -> int:
    """A job from the honest lease's requester (its key is in the world's keyring folder); its id."""
    keyring = world.node.home.root.parents[1] / "honest" / "requester"
    assert keyring.is_dir(), f"the world keeps the requester's keyring in {keyring}"
    wallet = Wallet(world.node, Keyring(Path(keyring), backend="test").private_key("requester"))
    assert wallet.address == world.requester
    header = msgspec.msgpack.encode(job_header(LIVE_JOB))
    message = MsgSubmitJob(wallet.address, world.lease_id, header, DEADLINE_BLOCKS, Coin(DENOM, PRICE))
    height = int(world.node.commit_tx(wallet.sign([message], fee=FEE, gas=GAS))["height"])
    jobs = world.node.rpc("jobs", lease_id=world.lease_id)["jobs"]
    (job,) = [job for job in jobs if int(job["submitted_height"]) == height]
    return int(job["id"])
