"""``depind tx market ...`` and ``depind query market ...`` against a real dev node, as a
provider and a requester run them: register, offer, order, see the lease matched, accept,
deposit, withdraw, close, and read the closed lease's figures; a job run on a lease
(``depind tx compute`` and ``depind query compute``); and each failure as one ``Error:``
line with a non-zero exit, never a traceback.

The chain's accept timeout is raised in its genesis: every CLI call is a fresh
interpreter, slower than the 20 short blocks a provider is given by default."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from genesis import doc as genesis_doc
from genesis.market import MarketGenesis
from genesis.schema import get_section, set_section
from gpu.jobs import GemmSpec, encode_spec
from node.client import Client
from node.home import Home
from protos.depind.compute.v1 import tx_pb2 as compute_pb
from protos.depind.market.v1 import tx_pb2 as market_pb
from tests.node.cli.localnet import LocalNode, run_cli, run_json
from tests.vm.helpers import msg_responses

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

L4 = ("NVIDIA L4", 23_034, "8.9")
PRICE = 3_600_000  # udepin per GPU-hour: 1,000 a second
ACCEPT_TIMEOUT_BLOCKS = 10_000
MATCH_WAIT_S = 10.0
POLL_S = 0.2


def raise_accept_timeout(home: Home) -> None:
    genesis = genesis_doc.load(home.genesis_file)
    market = get_section(genesis, "market", MarketGenesis)
    params = msgspec.structs.replace(market.params, accept_timeout_blocks=ACCEPT_TIMEOUT_BLOCKS)
    set_section(genesis, "market", msgspec.structs.replace(market, params=params))
    genesis_doc.save(genesis, home.genesis_file)


@dataclass(frozen=True)
class Market:
    node: LocalNode
    provider: str  # the "gpu-op" key: a registered provider of 3 L4s
    requester: str  # the "renter" key


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    node = LocalNode.start(tmp_path_factory.mktemp("market") / "home", raise_accept_timeout)
    try:
        provider, requester = new_key(node, "gpu-op"), new_key(node, "renter")
        ok(tx(node, "bank", "send", "dev", provider, "20000000udepin"))
        ok(tx(node, "bank", "send", "dev", requester, "50000000udepin"))
        register = tx(node, "provider", "register", "gpu-op", "--region", "eu-west", "--price", "1udepin")
        register += ["--endpoint", "gpu.example.com:8443", "--collateral", "1000000udepin"]
        ok([*register, "--gpu", f"{L4[0]}:{L4[1]}:{L4[2]}:3"])
        yield Market(node, provider, requester)
    finally:
        node.stop()


def on(node: LocalNode, *args: str) -> list[str]:
    return [*args, "--node", node.url]


def tx(node: LocalNode, *args: str) -> list[str]:
    return ["tx", *args, "--node", node.url, "--home", str(node.home), "--keyring-backend", "test", "--yes"]


def market_tx(node: LocalNode, action: str, *args: str, key: str) -> list[str]:
    return tx(node, "market", action, *args, "--from", key)


def new_key(node: LocalNode, name: str) -> str:
    key = run_json("keys", "add", name, "--home", str(node.home), "--keyring-backend", "test")
    return str(key["address"])


def ok(args: list[str]) -> dict[str, Any]:
    """Run a tx command; it must be included with code 0."""
    outcome: dict[str, Any] = run_json(*args)
    assert outcome["code"] == 0 and outcome["height"] > 0, outcome
    return outcome


def query(node: LocalNode, *args: str) -> Any:
    """``depind query market ARGS --output json``."""
    return run_json(*on(node, "query", "market", *args))


def rpc(node: LocalNode, method: str, **params: Any) -> Any:
    """The node's answer read directly, to check what a command did."""
    with Client(node.url) as client:
        return client.call(method, **params)


def text(node: LocalNode, *args: str) -> str:
    result = run_cli(*on(node, "query", "market", *args))
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(args: list[str], code: int = 1) -> str:
    """The one error line of a command that must fail with ``code``."""
    result = run_cli(*args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    if code == 1:
        assert result.stderr == errors[0] + "\n"  # nothing else: no usage text, no trace
    return errors[0]


def wait_for_lease(node: LocalNode, requester: str) -> dict[str, Any]:
    """The requester's first lease, once a block's matching has opened it."""
    deadline = time.monotonic() + MATCH_WAIT_S
    for _ in range(int(MATCH_WAIT_S / POLL_S)):
        found = query(node, "leases", "--requester", requester)["leases"]
        if found:
            entry: dict[str, Any] = found[0]
            return entry
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    raise TimeoutError(f"no lease for {requester} within {MATCH_WAIT_S}s")


def test_rent_a_gpu_from_offer_to_closed_lease(market: Market) -> None:
    node, provider, requester = market.node, market.provider, market.requester
    # The provider offers its one registered class: the class flags may be left out.
    created = ok(
        market_tx(
            node,
            "create-offer",
            "--count",
            "2",
            "--price",
            f"{PRICE}udepin",
            "--min-duration",
            "1m",
            "--max-duration",
            "3h",
            "--job-kinds",
            "gemm,mlp",
            key="gpu-op",
        )
    )
    [offer] = query(node, "offers", "--provider", provider)["offers"]
    assert msg_responses(bytes.fromhex(created["data"])) == [
        market_pb.MsgCreateOfferResponse(offer_id=offer["id"])
    ]
    assert offer["gpu_class"] == {"model": L4[0], "memory_mib": L4[1], "compute_capability": L4[2]}
    assert (offer["count"], offer["pricing"]["price"], offer["state"]) == (2, PRICE, "active")
    assert (offer["min_duration_s"], offer["max_duration_s"], offer["job_kinds"]) == (
        60,
        10_800,
        ["gemm", "mlp"],
    )
    header, row = text(node, "offers", "--gpu-model", L4[0]).splitlines()
    assert header.split()[:3] == ["ID", "STATE", "GPU"] and "PRICE/GPU-H" in header
    assert row.split()[:4] == [str(offer["id"]), "active", "NVIDIA", "L4"] and "1m-3h" in row

    # The requester orders one L4 for an hour; the deposit defaults to the least it needs.
    order_args = ["--gpus", "1", "--duration", "1h", "--max-price", str(PRICE), "--gpu-models", L4[0]]
    ordered = ok(
        market_tx(node, "create-order", *order_args, "--job-kind", "gemm", "--expires-in", "1h", key="renter")
    )
    [order] = rpc(node, "orders", requester=requester)["orders"]
    assert msg_responses(bytes.fromhex(ordered["data"])) == [
        market_pb.MsgCreateOrderResponse(order_id=order["id"])
    ]
    assert (order["deposit"], order["duration_s"]) == (PRICE, 3_600) and order["expires_ns"] > 0

    # A block matches it to the offer: a pending lease the provider sees.
    lease = wait_for_lease(node, requester)["lease"]
    lease_id = str(lease["id"])
    assert (lease["state"], lease["provider"], lease["rate"], lease["gpus"]) == (
        "pending",
        provider,
        PRICE,
        1,
    )
    pending = text(node, "leases", "--provider", provider, "--state", "pending")
    assert f"accept by height {lease['accept_deadline']}" in pending and requester in pending
    assert rpc(node, "order", id=order["id"])["order"]["state"] == "matched"

    ok(market_tx(node, "accept-lease", lease_id, key="gpu-op"))
    assert "not a party to this lease" in fails(market_tx(node, "withdraw", lease_id, key="renter"))
    ok(market_tx(node, "deposit", lease_id, "1000000udepin", "--extend", "30m", key="renter"))
    grown = rpc(node, "lease", id=lease_id)
    assert (grown["lease"]["state"], grown["lease"]["deposit"], grown["lease"]["duration_s"]) == (
        "active",
        PRICE + 1_000_000,
        5_400,
    )
    assert grown["escrow"]["earned"] + grown["escrow"]["remaining"] == PRICE + 1_000_000

    ok(market_tx(node, "withdraw", lease_id, key="gpu-op"))
    withdrawn = rpc(node, "lease", id=lease_id)["lease"]["withdrawn"]
    assert withdrawn > 0

    ok(market_tx(node, "close-lease", lease_id, key="renter"))
    closed = query(node, "lease", lease_id)
    record = closed["lease"]["closed"]
    assert closed["escrow"] is None and closed["lease"]["state"] == "closed"
    assert record["reason"] == "requester_closed" and record["penalty"] is None
    assert record["earned"] >= withdrawn and record["earned"] + record["refunded"] == PRICE + 1_000_000
    assert record["fee"] == record["earned"] * closed["lease"]["take_rate_bps"] // 10_000
    shown = text(node, "lease", lease_id)
    assert f"requester_closed at height {record['height']}" in shown
    assert re.search(rf"^refunded: +{record['refunded']}$", shown, re.MULTILINE), shown
    assert "requester_closed at height" in text(node, "leases", "--requester", requester, "--state", "closed")
    assert "lease is not open" in fails(market_tx(node, "withdraw", lease_id, key="gpu-op"))
    assert "lease is not open" in fails(market_tx(node, "deposit", lease_id, "1", key="renter"))


def test_price_index_and_params(market: Market) -> None:
    node = market.node
    index = query(
        node, "price-index", "--gpu-model", L4[0], "--memory-mib", str(L4[1]), "--compute-capability", L4[2]
    )
    assert index["gpu_class"]["model"] == L4[0] and index["price"] > 0
    assert "market.accept_timeout_blocks = 10000" in run_cli(*on(node, "query", "market", "params")).stdout
    assert rpc(node, "params", module="market")["market"]["denom"] == "udepin"


def test_update_pause_and_close_an_offer(market: Market) -> None:
    node = market.node
    ok(
        market_tx(
            node, "create-offer", "--count", "1", "--factor-bps", "15000", "--floor", "1000", key="gpu-op"
        )
    )
    offer_id = rpc(node, "offers", provider=market.provider, state="active")["offers"][-1]["id"]
    pricing = rpc(node, "offer", id=offer_id)["offer"]["pricing"]
    assert (pricing["factor_bps"], pricing["floor"], pricing["price"]) == (15_000, 1_000, 0)
    ok(market_tx(node, "update-offer", str(offer_id), "--price", "5000000", "--pause", key="gpu-op"))
    updated = rpc(node, "offer", id=offer_id)["offer"]
    assert (updated["state"], updated["pricing"]["price"]) == ("paused", 5_000_000)
    ok(market_tx(node, "close-offer", str(offer_id), key="gpu-op"))
    assert rpc(node, "offer", id=offer_id)["offer"]["state"] == "closed"


def test_cancel_an_order_refunds_it(market: Market) -> None:
    node = market.node
    # No offer serves an H100: the order stays open until cancelled.
    args = ["--duration", "10m", "--max-price", "1000", "--gpu-models", "NVIDIA H100 80GB HBM3"]
    ok(market_tx(node, "create-order", *args, key="renter"))
    order_id = rpc(node, "orders", requester=market.requester, state="open")["orders"][-1]["id"]
    ok(market_tx(node, "cancel-order", str(order_id), key="renter"))
    order = rpc(node, "order", id=order_id)["order"]
    assert (order["state"], order["refunded"]) == ("cancelled", order["deposit"])


def test_invalid_query_of_a_missing_lease(market: Market) -> None:
    assert fails(on(market.node, "query", "market", "lease", "999")).startswith("Error: lease not found")


def test_invalid_txs_the_chain_rejects(market: Market) -> None:
    node = market.node
    h100 = ["--gpu-model", "NVIDIA H100", "--memory-mib", "81559", "--compute-capability", "9.0"]
    unregistered = fails(market_tx(node, "create-offer", "--count", "1", "--price", "1", *h100, key="gpu-op"))
    assert "the provider has not registered gpus of this class" in unregistered
    not_provider = fails(market_tx(node, "create-offer", "--count", "1", "--price", "1", key="renter"))
    assert not_provider == (
        f"Error: {market.requester} is not a registered provider: see `depind tx provider register`"
    )
    too_little = ["--duration", "1h", "--max-price", "1000", "--deposit", "999"]
    assert "deposit below max price" in fails(market_tx(node, "create-order", *too_little, key="renter"))
    wrong_denom = fails(
        market_tx(node, "create-order", "--duration", "1h", "--max-price", "5foo", key="renter")
    )
    assert wrong_denom == "Error: --max-price is in the market's denom udepin, not foo"
    assert "lease not found" in fails(market_tx(node, "accept-lease", "999", key="gpu-op"))
    assert "update changes nothing" in fails(market_tx(node, "update-offer", "1", key="gpu-op"))


def test_json_output_is_the_raw_answer(market: Market) -> None:
    raw = run_cli(*on(market.node, "query", "market", "params", "--output", "json"))
    assert json.loads(raw.stdout)["market"]["accept_timeout_blocks"] == ACCEPT_TIMEOUT_BLOCKS


def pending_lease(node: LocalNode, requester: str) -> dict[str, Any]:
    """The requester's pending lease, once a block's matching has opened it."""
    deadline = time.monotonic() + MATCH_WAIT_S
    for _ in range(int(MATCH_WAIT_S / POLL_S)):
        found = rpc(node, "leases", requester=requester, state="pending")["leases"]
        if found:
            lease: dict[str, Any] = found[0]["lease"]
            return lease
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    raise TimeoutError(f"no pending lease for {requester} within {MATCH_WAIT_S}s")


def test_run_a_compute_job_on_a_lease(market: Market, tmp_path: Path) -> None:
    node, provider = market.node, market.provider
    order_args = ["--duration", "1h", "--max-price", str(PRICE), "--gpu-models", L4[0], "--job-kind", "gemm"]
    ok(market_tx(node, "create-order", *order_args, key="renter"))
    lease_id = str(pending_lease(node, market.requester)["id"])
    ok(market_tx(node, "accept-lease", lease_id, key="gpu-op"))

    spec = tmp_path / "job.json"
    spec.write_bytes(encode_spec(GemmSpec(m=16, k=16, n=16, bound=8, seed=3)))
    submit = ["submit-job", str(spec), "--lease", lease_id, "--deadline-blocks", "1000"]
    wrong_denom = fails(tx(node, "compute", *submit, "--price", "5foo", "--from", "renter"))
    assert wrong_denom == "Error: --price is in the compute denom udepin, not foo"
    submitted = ok(tx(node, "compute", *submit, "--price", "1000udepin", "--from", "renter"))
    [job] = run_json(*on(node, "query", "compute", "jobs", "--lease", lease_id))["jobs"]
    assert msg_responses(bytes.fromhex(submitted["data"])) == [
        compute_pb.MsgSubmitJobResponse(job_id=job["id"])
    ]
    assert (job["state"], job["provider"], job["price"], job["kind"]) == ("pending", provider, 1_000, "gemm")

    out = tmp_path / "result"
    ran = run_cli("gpu", "run", str(spec), "--out", str(out), "--backend", "numpy")
    assert ran.returncode == 0, ran.stderr
    ok(tx(node, "compute", "submit-result", str(job["id"]), "--result", str(out), "--from", "gpu-op"))
    committed = rpc(node, "job", id=job["id"])["job"]
    assert committed["result"]["output_root"] == json.loads((out / "result.json").read_text())["output_root"]
    assert committed["state"] in ("committed", "verifying")
    shown = run_cli(*on(node, "query", "compute", "verdict", str(job["id"])))
    assert re.search(r"^valid power: 0 of [0-9]+$", shown.stdout, re.MULTILINE), shown.stdout
