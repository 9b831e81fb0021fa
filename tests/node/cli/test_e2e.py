"""The CLI against a real node: transactions, queries and their failures, as a user runs them."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator

import pytest

from tests.node.cli.localnet import LocalNode, run_cli, run_json
from vm.beacon.keeper import ENTRY_MARKER

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GPU_UUIDS = ("GPU-5b6f1a2c-0000-4f5a-8b9c-0123456789ab", "GPU-5b6f1a2c-0001-4f5a-8b9c-0123456789ab")
TX_WAIT_S = 15.0
POLL_S = 0.2


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    running = LocalNode.start(tmp_path_factory.mktemp("e2e") / "home")
    try:
        yield running
    finally:
        running.stop()


def on(node: LocalNode, *args: str) -> list[str]:
    """Flags that point a command at the test node and its test keyring."""
    return [*args, "--node", node.url]


def tx(node: LocalNode, *args: str) -> list[str]:
    return ["tx", *args, "--node", node.url, "--home", str(node.home), "--keyring-backend", "test", "--yes"]


def new_key(node: LocalNode, name: str) -> str:
    key = run_json("keys", "add", name, "--home", str(node.home), "--keyring-backend", "test")
    return str(key["address"])


def balance(node: LocalNode, address: str, denom: str = "udepin") -> int:
    result = run_json(*on(node, "query", "bank", "balances", address, "--denom", denom))
    return int(result["balances"][0]["amount"])


def wait_for_tx(node: LocalNode, tx_hash: str) -> dict[str, object]:
    deadline = time.monotonic() + TX_WAIT_S
    for _ in range(int(TX_WAIT_S / POLL_S)):
        result = run_cli(*on(node, "query", "tx", tx_hash, "--output", "json"))
        if result.returncode == 0:
            found: dict[str, object] = json.loads(result.stdout)
            return found
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    raise TimeoutError(f"tx {tx_hash} not found within {TX_WAIT_S}s")


def test_status(node: LocalNode) -> None:
    result = run_cli(*on(node, "status"))
    assert result.returncode == 0, result.stderr
    assert "network:       depind-dev-1" in result.stdout
    assert run_json(*on(node, "status"))["node_info"]["network"] == "depind-dev-1"


def test_bank_send_moves_coins(node: LocalNode) -> None:
    bob = new_key(node, "bob")
    sent = run_json(*tx(node, "bank", "send", "dev", bob, "1000udepin", "--memo", "hello"))
    assert sent["code"] == 0 and sent["height"] > 0 and 0 < sent["gas_used"] <= sent["gas_wanted"]
    assert balance(node, bob) == 1000
    assert run_cli(*on(node, "query", "bank", "balances", bob)).stdout == "1000udepin\n"
    found = run_json(*on(node, "query", "tx", sent["txhash"]))
    assert found["height"] == str(sent["height"]) and found["tx_result"]["code"] == 0
    text = run_cli(*on(node, "query", "tx", sent["txhash"])).stdout
    assert f'"to_address":"{bob}"' in text and "/cosmos.bank.v1beta1.MsgSend" in text
    block = run_json(*on(node, "query", "block", str(sent["height"])))
    entry, sent_tx = block["block"]["data"]["txs"]  # the proposer's beacon entry comes first
    assert base64.b64decode(entry).startswith(ENTRY_MARKER)
    assert hashlib.sha256(base64.b64decode(sent_tx)).hexdigest().upper() == sent["txhash"]


def test_bank_send_from_an_address_in_text(node: LocalNode) -> None:
    carol = new_key(node, "carol")
    result = run_cli(*tx(node, "bank", "send", node.dev_address, carol, "5udepin"))
    assert result.returncode == 0, result.stderr
    assert "code:     0" in result.stdout and "txhash:" in result.stdout


def test_invalid_send_of_a_denom_not_held(node: LocalNode) -> None:
    carol = new_key(node, "carol2")
    missing = run_cli(*tx(node, "bank", "send", "dev", carol, "5udepin,1zzz"))
    assert missing.returncode == 1
    assert missing.stderr.splitlines()[-1].startswith("Error: simulation failed: spendable balance 0zzz")


def test_confirmation_prompt(node: LocalNode) -> None:
    frank = new_key(node, "frank")
    send = tx(node, "bank", "send", "dev", frank, "1udepin")
    send.remove("--yes")
    refused = run_cli(*send, input="n\n")
    assert refused.returncode == 1 and "Aborted!" in refused.stderr
    assert "fee:" in refused.stderr and "/cosmos.bank.v1beta1.MsgSend" in refused.stderr
    accepted = run_cli(*send, input="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert balance(node, frank) == 1


def test_failed_tx_prints_its_log_and_exits_1(node: LocalNode) -> None:
    dan = new_key(node, "dan")
    # A fixed gas limit skips simulation, so the overdraft is only caught in the block.
    result = run_cli(*tx(node, "bank", "send", "dev", dan, "9000000000000000udepin", "--gas", "100000"))
    assert result.returncode == 1
    assert "code:     5" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [errors[0]] and errors[0].startswith("Error: tx failed with code 5 (sdk): spendable")


def test_broadcast_modes(node: LocalNode) -> None:
    erin = new_key(node, "erin")
    committed = run_json(*tx(node, "bank", "send", "dev", erin, "1udepin", "-b", "commit"))
    assert committed["code"] == 0 and committed["height"] > 0
    waited = run_json(*tx(node, "bank", "send", "dev", erin, "1udepin", "-b", "async"))
    assert waited["code"] == 0 and waited["height"] > 0
    pending = run_json(*tx(node, "bank", "send", "dev", erin, "1udepin", "--no-wait"))
    assert pending["height"] == 0
    wait_for_tx(node, pending["txhash"])
    assert balance(node, erin) == 3


def test_provider_lifecycle(node: LocalNode) -> None:
    owner = new_key(node, "gpu-op")
    run_json(*tx(node, "bank", "send", "dev", owner, "5000000udepin"))
    register = tx(node, "provider", "register", "gpu-op", "--region", "eu-west", "--price", "100udepin")
    register += ["--endpoint", "gpu.example.com:8443", "--collateral", "1000000udepin"]
    register += ["--gpu", "NVIDIA L4:23034:8.9:2", "--gpu-uuid", GPU_UUIDS[0], "--gpu-uuid", GPU_UUIDS[1]]
    assert run_json(*register)["code"] == 0

    shown = run_json(*on(node, "query", "provider", "show", owner))
    assert shown["status"] == "active" and shown["region"] == "eu-west"
    assert shown["gpus"] == [
        {
            "model": "NVIDIA L4",
            "memory_mib": 23034,
            "compute_capability": "8.9",
            "count": 2,
            "uuid_hashes": [hashlib.sha256(u.encode()).hexdigest() for u in GPU_UUIDS],
        }
    ]
    listed = run_json(*on(node, "query", "provider", "list"))
    assert owner in [p["owner"] for p in listed["providers"]]
    assert owner in run_cli(*on(node, "query", "provider", "list")).stdout

    update = tx(node, "provider", "update", "gpu-op", "--region", "us-east", "--add-collateral", "5udepin")
    assert run_json(*update)["code"] == 0
    shown = run_json(*on(node, "query", "provider", "show", owner))
    assert shown["region"] == "us-east" and shown["collateral"]["amount"] == 1_000_005

    assert run_json(*tx(node, "provider", "exit", "gpu-op"))["code"] == 0
    assert run_json(*on(node, "query", "provider", "show", owner))["status"] == "exiting"


def test_query_account_and_params(node: LocalNode) -> None:
    account = run_json(*on(node, "query", "account", node.dev_address))
    assert account["account_number"] == "0"
    params = run_cli(*on(node, "query", "params", "auth"))
    assert "auth.fee_denom = udepin" in params.stdout


def test_invalid_queries_are_one_line(node: LocalNode) -> None:
    stranger = new_key(node, "stranger")
    for args in (
        ("query", "provider", "show", stranger),
        ("query", "account", stranger),
        ("query", "tx", "AB" * 32),
        ("query", "block", "999999"),
        ("query", "params", "nope"),
    ):
        result = run_cli(*on(node, *args))
        assert result.returncode == 1, args
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), args


def test_invalid_tx_from_an_unfunded_key(node: LocalNode) -> None:
    nobody = new_key(node, "nobody")
    result = run_cli(*tx(node, "bank", "send", "nobody", node.dev_address, "1udepin"))
    assert result.returncode == 1
    assert result.stderr == f"Error: account {nobody} does not exist on chain; fund it first\n"
