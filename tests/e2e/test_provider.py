"""A GPU provider's life over JSON-RPC: register, query, update, exit, and the
collateral's way from the owner into the provider pool and back."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from genesis.schema import GenesisDoc, ProviderGenesis, get_section, set_section
from tests.e2e.harness import DENOM, FEE, FUNDS, KEYS, NodeFactory, NodeProcess, Wallet, b64
from vm.msg import Msg
from vm.provider.msgs import GpuSpec, MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider
from vm.types import Coin, format_address, module_address

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

POOL_ADDRESS = format_address(module_address("provider"))
UNBONDING_BLOCKS = 4
COLLATERAL = 5_000_000
TOP_UP = 1_000_000
UUID_HASHES = [hashlib.sha256(f"GPU-e2e-{i}".encode()).digest() for i in range(2)]
H100 = GpuSpec("NVIDIA H100 80GB HBM3", 81_559, "9.0", 2, UUID_HASHES)
L4 = GpuSpec("NVIDIA L4", 23_034, "8.9", 1, [])


def short_unbonding(genesis: GenesisDoc) -> None:
    provider = get_section(genesis, "provider", ProviderGenesis)
    provider.params.unbonding_blocks = UNBONDING_BLOCKS
    set_section(genesis, "provider", provider)


def register_msg(owner: str, gpus: list[GpuSpec], collateral: int = COLLATERAL) -> MsgRegisterProvider:
    return MsgRegisterProvider(
        owner,
        gpus,
        "eu-west",
        "https://gpu.example.com:8443/jobs",
        Coin(DENOM, 1_500),
        Coin(DENOM, collateral),
    )


def commit(node: NodeProcess, wallet: Wallet, messages: list[Msg]) -> dict[str, Any]:
    """broadcast_tx_commit; the wallet's sequence advances when the tx is in a block."""
    result: dict[str, Any] = node.rpc("broadcast_tx_commit", tx=b64(wallet.sign(messages)))
    if int(result["height"]) > 0:
        wallet.sequence += 1
    return result


def events(result: dict[str, Any], event_type: str) -> list[dict[str, str]]:
    return [
        {a["key"]: a["value"] for a in e["attributes"]}
        for e in result["tx_result"]["events"]
        if e["type"] == event_type
    ]


def test_provider_via_jsonrpc(node_factory: NodeFactory) -> None:
    node = node_factory(edit_genesis=short_unbonding)
    owner = Wallet(node, KEYS[2])
    pool_before = node.balance(POOL_ADDRESS)

    registered = commit(node, owner, [register_msg(owner.address, [H100])])
    assert registered["tx_result"]["code"] == 0, registered["tx_result"]["log"]
    assert events(registered, "provider_registered") == [{"owner": owner.address, "gpus": "2"}]
    height = int(registered["height"])
    assert node.balance(owner.address) == FUNDS - COLLATERAL - FEE
    assert node.balance(POOL_ADDRESS) == pool_before + COLLATERAL

    provider = node.rpc("provider", owner=owner.address)
    assert provider["owner"] == owner.address
    assert provider["gpus"] == [
        {
            "model": H100.model,
            "memory_mib": H100.memory_mib,
            "compute_capability": "9.0",
            "count": 2,
            "uuid_hashes": [h.hex() for h in UUID_HASHES],
        }
    ]
    assert (provider["region"], provider["endpoint"]) == ("eu-west", "https://gpu.example.com:8443/jobs")
    assert provider["price_hint"] == {"denom": DENOM, "amount": 1_500}
    assert provider["collateral"] == {"denom": DENOM, "amount": COLLATERAL}
    assert (provider["status"], provider["registered_height"], provider["exit_height"]) == (
        "active",
        height,
        0,
    )

    check_rejected_registrations(node, owner)
    check_listing(node, owner)  # registers a second provider with COLLATERAL
    others = COLLATERAL

    updated = commit(
        node,
        owner,
        [MsgUpdateProvider(owner.address, [], "us-east", "", None, Coin(DENOM, TOP_UP))],
    )
    assert updated["tx_result"]["code"] == 0, updated["tx_result"]["log"]
    provider = node.rpc("provider", owner=owner.address)
    assert provider["region"] == "us-east"
    assert provider["endpoint"] == "https://gpu.example.com:8443/jobs"  # empty: unchanged
    assert provider["collateral"] == {"denom": DENOM, "amount": COLLATERAL + TOP_UP}
    assert node.balance(POOL_ADDRESS) == pool_before + others + COLLATERAL + TOP_UP
    assert node.balance(owner.address) == FUNDS - COLLATERAL - TOP_UP - FEE * owner.sequence

    exited = commit(node, owner, [MsgExitProvider(owner.address)])
    assert exited["tx_result"]["code"] == 0, exited["tx_result"]["log"]
    release = int(exited["height"]) + UNBONDING_BLOCKS
    assert events(exited, "provider_exiting") == [{"owner": owner.address, "release_height": str(release)}]
    provider = node.rpc("provider", owner=owner.address)
    assert (provider["status"], provider["exit_height"]) == ("exiting", release)
    again = commit(node, owner, [MsgExitProvider(owner.address)])
    assert (again["tx_result"]["codespace"], again["tx_result"]["code"]) == ("provider", 6)

    node.wait_height(release + 1)
    missing = node.rpc_response("provider", owner=owner.address)
    assert missing["error"]["code"] == -32001
    fees = FEE * owner.sequence
    assert node.balance(owner.address) == FUNDS - fees
    assert node.balance(POOL_ADDRESS) == pool_before + others
    released = node.rpc("block_results", height=release)["finalize_block_events"]
    assert {
        "type": "provider_exited",
        "attributes": [{"key": "owner", "value": owner.address, "index": True}],
    } in released


def check_rejected_registrations(node: NodeProcess, owner: Wallet) -> None:
    """Failed txs pay their fee and change nothing else."""
    pool = node.balance(POOL_ADDRESS)
    twice = commit(node, owner, [register_msg(owner.address, [L4])])
    assert (twice["tx_result"]["codespace"], twice["tx_result"]["code"]) == ("provider", 2)

    other = Wallet(node, KEYS[3])
    stolen = commit(node, other, [register_msg(other.address, [H100])])
    assert (stolen["tx_result"]["codespace"], stolen["tx_result"]["code"]) == ("provider", 4)
    cheap = commit(node, other, [register_msg(other.address, [L4], collateral=10)])
    assert (cheap["tx_result"]["codespace"], cheap["tx_result"]["code"]) == ("provider", 5)
    assert node.balance(other.address) == FUNDS - 2 * FEE
    assert node.balance(POOL_ADDRESS) == pool
    missing = node.rpc_response("provider", owner=other.address)
    assert missing["error"]["code"] == -32001


def check_listing(node: NodeProcess, owner: Wallet) -> None:
    second = Wallet(node, KEYS[4])
    result = commit(node, second, [register_msg(second.address, [L4])])
    assert result["tx_result"]["code"] == 0, result["tx_result"]["log"]
    listing = node.rpc("providers")
    owners = [p["owner"] for p in listing["providers"]]
    assert sorted(owners) == sorted([owner.address, second.address])
    assert listing["next_key"] is None

    first_page = node.rpc("providers", limit=1)
    [first] = first_page["providers"]
    assert first_page["next_key"] == first["owner"]
    second_page = node.rpc("providers", limit=1, next_key=first_page["next_key"])
    assert [p["owner"] for p in second_page["providers"]] == [o for o in owners if o != first["owner"]]
    invalid = node.rpc_response("providers", limit=0)
    assert invalid["error"]["code"] == -32007
