"""A bank send built and signed in Python, submitted over raw JSON-RPC in all three
broadcast modes, then found again by hash and by event search, with exact
balance and fee accounting (on a chain that mints nothing: each block's fees go from
the fee collector to the distribution module account, and no coin is created)."""

from __future__ import annotations

import base64

import pytest

from genesis.schema import GenesisDoc, set_section
from tests.e2e.harness import (
    DENOM,
    FEE,
    FUNDS,
    GAS,
    KEYS,
    NodeFactory,
    NodeProcess,
    Wallet,
    b64,
    e2e_key,
    tx_hash,
)
from tests.vm.helpers import NO_INFLATION
from vm.auth.ante import FEE_COLLECTOR
from vm.types import format_address, module_address

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FEE_COLLECTOR_ADDRESS = format_address(FEE_COLLECTOR)
DISTRIBUTION_ADDRESS = format_address(module_address("distribution"))
AMOUNTS = (1_000, 2_000, 3_000)


def attributes(tx_result: dict[str, object], event_type: str) -> list[dict[str, str]]:
    events = tx_result["events"]
    assert isinstance(events, list)
    return [
        {a["key"]: a["value"] for a in event["attributes"]} for event in events if event["type"] == event_type
    ]


def without_inflation(doc: GenesisDoc) -> None:
    set_section(doc, "mint", NO_INFLATION)


@pytest.fixture
def node(node_factory: NodeFactory) -> NodeProcess:
    return node_factory(edit_genesis=without_inflation)


def fees_held(node: NodeProcess) -> int:
    """Fees not yet withdrawn: this block's in the fee collector, earlier ones shared out
    and held by the distribution module account."""
    return node.balance(FEE_COLLECTOR_ADDRESS) + node.balance(DISTRIBUTION_ADDRESS)


def test_send_via_raw_jsonrpc(node: NodeProcess) -> None:
    sender = Wallet(node, KEYS[0])
    recipient = e2e_key(100).address  # never funded: the first send creates its account
    assert node.rpc_response("account", address=recipient)["error"]["code"] == -32001
    supply_before = node.supply()
    collected_before = fees_held(node)
    assert sender.sequence == 0

    raws = [
        sender.sign([sender.send_msg(recipient, amount)], sequence=sender.sequence + i)
        for i, amount in enumerate(AMOUNTS)
    ]
    hashes = [tx_hash(raw) for raw in raws]

    synced = node.rpc("broadcast_tx_sync", tx=b64(raws[0]))
    assert (synced["code"], synced["codespace"], synced["hash"]) == (0, "", hashes[0])

    queued = node.rpc("broadcast_tx_async", tx=b64(raws[1]))
    assert (queued["code"], queued["hash"]) == (0, hashes[1])

    committed = node.rpc("broadcast_tx_commit", tx=b64(raws[2]))
    assert committed["hash"] == hashes[2]
    assert committed["check_tx"]["code"] == 0
    assert committed["check_tx"]["gas_wanted"] == str(GAS)
    assert committed["tx_result"]["code"] == 0, committed["tx_result"]["log"]
    commit_height = int(committed["height"])
    assert commit_height > 0

    found = [node.wait_tx(h) for h in hashes]
    for raw, result, amount in zip(raws, found, AMOUNTS, strict=True):
        assert result["hash"] == tx_hash(raw)
        assert base64.b64decode(result["tx"]) == raw
        assert result["tx_result"]["code"] == 0
        assert result["tx_result"]["gas_wanted"] == str(GAS)
        assert 0 < int(result["tx_result"]["gas_used"]) <= GAS
        [transfer] = attributes(result["tx_result"], "transfer")
        assert transfer == {
            "recipient": recipient,
            "sender": sender.address,
            "amount": f"{amount}{DENOM}",
        }
        [fee] = attributes(result["tx_result"], "tx")
        assert fee == {"fee": f"{FEE}{DENOM}", "fee_payer": sender.address}
        block = node.rpc("block", height=int(result["height"]))
        assert block["block"]["data"]["txs"][result["index"]] == b64(raw)
    assert found[2]["height"] == str(commit_height)
    assert committed["tx_result"] == found[2]["tx_result"]
    # The mempool keeps arrival order and the account's sequence order.
    positions = [(int(r["height"]), r["index"]) for r in found]
    assert positions == sorted(positions)

    check_search(node, recipient, sender.address, hashes, commit_height)

    spent = sum(AMOUNTS) + FEE * len(AMOUNTS)
    assert node.balance(sender.address) == FUNDS - spent
    assert node.balance(recipient) == sum(AMOUNTS)
    assert fees_held(node) == collected_before + FEE * len(AMOUNTS)
    assert node.supply() == supply_before
    account = node.account(sender.address)
    assert account["sequence"] == str(len(AMOUNTS))
    assert base64.b64decode(account["pub_key"]["key"]) == sender.key.public_key
    created = node.account(recipient)
    assert (created["sequence"], created["pub_key"]) == ("0", None)


def check_search(
    node: NodeProcess, recipient: str, sender: str, hashes: list[str], commit_height: int
) -> None:
    by_recipient = node.rpc("tx_search", query=f"transfer.recipient='{recipient}'")
    assert by_recipient["total_count"] == str(len(hashes))
    assert [t["hash"] for t in by_recipient["txs"]] == hashes

    newest_first = node.rpc("tx_search", query=f"transfer.recipient='{recipient}'", order_by="desc")
    assert [t["hash"] for t in newest_first["txs"]] == hashes[::-1]

    paged = node.rpc("tx_search", query=f"message.sender='{sender}'", per_page=1, page=2)
    assert paged["total_count"] == str(len(hashes))
    assert [t["hash"] for t in paged["txs"]] == [hashes[1]]

    at_height = node.rpc("tx_search", query=f"tx.height={commit_height}")
    assert hashes[2] in [t["hash"] for t in at_height["txs"]]
    assert {t["height"] for t in at_height["txs"]} == {str(commit_height)}

    combined = node.rpc("tx_search", query=f"transfer.recipient='{recipient}' AND tx.height<={commit_height}")
    assert [t["hash"] for t in combined["txs"]] == hashes

    by_hash = node.rpc("tx_search", query=f"tx.hash='{hashes[1]}'")
    assert [t["hash"] for t in by_hash["txs"]] == [hashes[1]]

    nobody = node.rpc("tx_search", query=f"transfer.recipient='{e2e_key(101).address}'")
    assert (nobody["total_count"], nobody["txs"]) == ("0", [])
