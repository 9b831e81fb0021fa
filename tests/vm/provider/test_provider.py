"""provider: register, update, exit with an unbonding delay, queries and message checks."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.schema import CoinJSON, ProviderParams
from node.keys.hd import PrivateKey
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DENOM,
    FEE,
    FUNDS,
    PROVIDERS,
    apply_block,
    assert_code,
    balance,
    empty_blocks,
    events_of,
    get_provider,
    gpu,
    key,
    make_genesis,
    new_app,
    pool_balance,
    provider_of,
    query_json,
    raw,
    register_msg,
    signed,
    supply,
    uuid_hash,
)
from vm.app import App
from vm.errors import InvalidTx
from vm.execute import TxResult
from vm.msg import Msg
from vm.provider.keeper import Status
from vm.provider.msgs import MsgExitProvider, MsgUpdateProvider
from vm.types import Coin

COLLATERAL = 1_000_000
UNBONDING = 3
PARAMS = ProviderParams(min_collateral=CoinJSON(denom=DENOM, amount=COLLATERAL), unbonding_blocks=UNBONDING)


def provider_app(*holders: PrivateKey) -> App:
    funded = {k: FUNDS for k in holders or (ALICE, BOB, CAROL)}
    return new_app(make_genesis(funded, provider_params=PARAMS))


def deliver(app: App, k: PrivateKey, msg: Msg) -> TxResult:
    return apply_block(app, [signed(app, k, [msg])]).tx_results[0]


def update(owner: PrivateKey, **fields: Any) -> MsgUpdateProvider:
    values: dict[str, Any] = {
        "gpus": [],
        "region": "",
        "endpoint": "",
        "price_hint": None,
        "add_collateral": None,
    }
    values.update(fields)
    return MsgUpdateProvider(owner.address, **values)


def gpu_holder(app: App, name: str) -> bytes | None:
    return PROVIDERS.gpu_owner(app.state.values, uuid_hash(name))


# -- register ----------------------------------------------------------------------------


def test_register_moves_collateral_to_the_pool() -> None:
    # pre-state: Alice holds FUNDS, the provider pool is empty
    app = provider_app()
    # operation: Alice registers two GPUs with 2x the minimum collateral
    msg = register_msg(ALICE, [gpu(2, "GPU-a", "GPU-b")], collateral=2 * COLLATERAL)
    result = deliver(app, ALICE, msg)
    # post-state
    assert_code(result, 0)
    assert balance(app, ALICE) == FUNDS - 2 * COLLATERAL - FEE
    assert pool_balance(app) == 2 * COLLATERAL
    assert supply(app) == 3 * FUNDS
    stored = provider_of(app, ALICE)
    assert stored is not None
    assert (stored.status, stored.registered_height, stored.exit_height) == (Status.ACTIVE, 1, 0)
    assert stored.collateral == Coin(DENOM, 2 * COLLATERAL)
    assert stored.gpus == msg.gpus
    assert (stored.region, stored.endpoint) == (msg.region, msg.endpoint)
    assert gpu_holder(app, "GPU-a") == gpu_holder(app, "GPU-b") == raw(ALICE)
    assert events_of(result.events, "provider_registered") == [{"owner": ALICE.address, "gpus": "2"}]


def test_register_without_uuid_hashes() -> None:
    app = provider_app()
    assert_code(deliver(app, ALICE, register_msg(ALICE, [gpu(4)])), 0)
    assert provider_of(app, ALICE).gpus[0].count == 4


def test_invalid_register_collateral_below_minimum() -> None:
    app = provider_app()
    result = deliver(app, ALICE, register_msg(ALICE, collateral=COLLATERAL - 1))
    assert_code(result, 5, "provider")
    assert get_provider(app, ALICE) is None
    assert pool_balance(app) == 0
    assert balance(app, ALICE) == FUNDS - FEE


def test_invalid_register_collateral_in_another_denom() -> None:
    app = new_app(make_genesis({ALICE: [Coin("uatom", FUNDS), Coin(DENOM, FUNDS)]}, provider_params=PARAMS))
    assert_code(deliver(app, ALICE, register_msg(ALICE, collateral=COLLATERAL, denom="uatom")), 5, "provider")


def test_invalid_register_duplicate_provider() -> None:
    app = provider_app()
    assert_code(deliver(app, ALICE, register_msg(ALICE, [gpu(1, "GPU-a")])), 0)
    assert_code(deliver(app, ALICE, register_msg(ALICE, [gpu(1, "GPU-z")])), 2, "provider")
    assert pool_balance(app) == COLLATERAL
    assert gpu_holder(app, "GPU-z") is None


def test_invalid_register_gpu_held_by_another_provider() -> None:
    app = provider_app()
    assert_code(deliver(app, ALICE, register_msg(ALICE, [gpu(1, "GPU-a")])), 0)
    result = deliver(app, BOB, register_msg(BOB, [gpu(2, "GPU-b", "GPU-a")]))
    assert_code(result, 4, "provider")
    assert get_provider(app, BOB) is None
    assert gpu_holder(app, "GPU-a") == raw(ALICE)
    assert gpu_holder(app, "GPU-b") is None


def test_invalid_register_same_gpu_twice_in_one_block() -> None:
    app = provider_app()
    first, second = apply_block(
        app,
        [
            signed(app, ALICE, [register_msg(ALICE, [gpu(1, "GPU-a")])]),
            signed(app, BOB, [register_msg(BOB, [gpu(1, "GPU-a")])]),
        ],
    ).tx_results
    assert_code(first, 0)
    assert_code(second, 4, "provider")


def test_invalid_register_collateral_larger_than_balance() -> None:
    app = new_app(make_genesis({ALICE: COLLATERAL}, provider_params=PARAMS))
    assert_code(deliver(app, ALICE, register_msg(ALICE)), 5)  # the fee left too little
    assert get_provider(app, ALICE) is None


def test_invalid_register_for_someone_else() -> None:
    app = provider_app()
    assert_code(apply_block(app, [signed(app, ALICE, [register_msg(BOB)])]).tx_results[0], 8)


# -- update ------------------------------------------------------------------------------


def registered_app() -> App:
    app = provider_app()
    assert_code(deliver(app, ALICE, register_msg(ALICE, [gpu(1, "GPU-a")])), 0)
    return app


def test_update_fields() -> None:
    app = registered_app()
    msg = update(ALICE, region="us-east", endpoint="http://10.0.0.1:9000", price_hint=Coin(DENOM, 9))
    result = deliver(app, ALICE, msg)
    assert_code(result, 0)
    stored = provider_of(app, ALICE)
    assert (stored.region, stored.endpoint, stored.price_hint) == (
        "us-east",
        "http://10.0.0.1:9000",
        Coin(DENOM, 9),
    )
    assert stored.gpus == [gpu(1, "GPU-a")]
    assert events_of(result.events, "provider_updated") == [{"owner": ALICE.address}]


def test_update_empty_fields_leave_values_unchanged() -> None:
    app = registered_app()
    before = provider_of(app, ALICE)
    assert_code(deliver(app, ALICE, update(ALICE, region="ap-south")), 0)
    after = provider_of(app, ALICE)
    assert after == msgspec.structs.replace(before, region="ap-south")


def test_update_gpus_frees_the_old_uuids() -> None:
    app = registered_app()
    assert_code(deliver(app, ALICE, update(ALICE, gpus=[gpu(2, "GPU-b", "GPU-c")])), 0)
    assert gpu_holder(app, "GPU-a") is None
    assert gpu_holder(app, "GPU-b") == gpu_holder(app, "GPU-c") == raw(ALICE)
    assert_code(deliver(app, BOB, register_msg(BOB, [gpu(1, "GPU-a")])), 0)  # now free for Bob


def test_update_may_keep_its_own_uuids() -> None:
    app = registered_app()
    assert_code(deliver(app, ALICE, update(ALICE, gpus=[gpu(2, "GPU-a", "GPU-d")])), 0)
    assert gpu_holder(app, "GPU-a") == raw(ALICE)


def test_update_adds_collateral() -> None:
    app = registered_app()
    assert_code(deliver(app, ALICE, update(ALICE, add_collateral=Coin(DENOM, 500))), 0)
    assert provider_of(app, ALICE).collateral == Coin(DENOM, COLLATERAL + 500)
    assert pool_balance(app) == COLLATERAL + 500
    assert balance(app, ALICE) == FUNDS - COLLATERAL - 500 - 2 * FEE


def test_invalid_update_collateral_in_another_denom() -> None:
    app = new_app(make_genesis({ALICE: [Coin("uatom", FUNDS), Coin(DENOM, FUNDS)]}, provider_params=PARAMS))
    assert_code(deliver(app, ALICE, register_msg(ALICE)), 0)
    assert_code(deliver(app, ALICE, update(ALICE, add_collateral=Coin("uatom", 500))), 10)
    assert provider_of(app, ALICE).collateral == Coin(DENOM, COLLATERAL)
    assert pool_balance(app, "uatom") == 0


def test_invalid_update_gpu_held_by_another_provider() -> None:
    app = registered_app()
    assert_code(deliver(app, BOB, register_msg(BOB, [gpu(1, "GPU-b")])), 0)
    assert_code(deliver(app, ALICE, update(ALICE, gpus=[gpu(1, "GPU-b")])), 4, "provider")
    assert gpu_holder(app, "GPU-a") == raw(ALICE)  # the failed update left the old index
    assert gpu_holder(app, "GPU-b") == raw(BOB)


def test_invalid_update_unknown_provider() -> None:
    app = provider_app()
    assert_code(deliver(app, BOB, update(BOB, region="eu")), 3, "provider")


def test_invalid_update_while_exiting() -> None:
    app = registered_app()
    assert_code(deliver(app, ALICE, MsgExitProvider(ALICE.address)), 0)
    assert_code(deliver(app, ALICE, update(ALICE, region="eu")), 6, "provider")


# -- exit --------------------------------------------------------------------------------


def test_exit_returns_collateral_only_after_unbonding() -> None:
    # pre-state: Alice is a provider registered at height 1
    app = registered_app()
    # operation: she exits at height 2
    result = deliver(app, ALICE, MsgExitProvider(ALICE.address))
    assert_code(result, 0)
    release = 2 + UNBONDING
    assert events_of(result.events, "provider_exiting") == [
        {"owner": ALICE.address, "release_height": str(release)}
    ]
    stored = provider_of(app, ALICE)
    assert (stored.status, stored.exit_height) == (Status.EXITING, release)
    # post-state: the collateral stays bonded until the release height's end block
    held = balance(app, ALICE)
    while app.info()[0] < release - 1:
        apply_block(app, [])
        assert pool_balance(app) == COLLATERAL
        assert get_provider(app, ALICE) is not None
    final = apply_block(app, [])
    assert app.info()[0] == release
    assert events_of(final.events, "provider_exited") == [{"owner": ALICE.address}]
    assert get_provider(app, ALICE) is None
    assert pool_balance(app) == 0
    assert balance(app, ALICE) == held + COLLATERAL
    assert gpu_holder(app, "GPU-a") is None
    assert list(PROVIDERS.exits.items(app.state.values)) == []


def test_exited_provider_may_register_again() -> None:
    app = registered_app()
    deliver(app, ALICE, MsgExitProvider(ALICE.address))
    empty_blocks(app, UNBONDING)
    assert_code(deliver(app, ALICE, register_msg(ALICE, [gpu(1, "GPU-a")])), 0)
    assert provider_of(app, ALICE).status == Status.ACTIVE


def test_exits_in_one_block_release_together() -> None:
    app = provider_app()
    apply_block(app, [signed(app, k, [register_msg(k)]) for k in (ALICE, BOB)])
    apply_block(app, [signed(app, k, [MsgExitProvider(k.address)]) for k in (ALICE, BOB)])
    empty_blocks(app, UNBONDING - 1)
    assert pool_balance(app) == 2 * COLLATERAL
    final = apply_block(app, [])
    assert {e["owner"] for e in events_of(final.events, "provider_exited")} == {ALICE.address, BOB.address}
    assert pool_balance(app) == 0


def test_invalid_exit_unknown_provider() -> None:
    app = provider_app()
    assert_code(deliver(app, ALICE, MsgExitProvider(ALICE.address)), 3, "provider")


def test_invalid_exit_twice() -> None:
    app = registered_app()
    assert_code(deliver(app, ALICE, MsgExitProvider(ALICE.address)), 0)
    assert_code(deliver(app, ALICE, MsgExitProvider(ALICE.address)), 6, "provider")
    assert provider_of(app, ALICE).exit_height == 2 + UNBONDING


# -- queries -----------------------------------------------------------------------------


def test_query_provider() -> None:
    app = registered_app()
    answer = query_json(app, "/provider/provider", {"owner": ALICE.address})
    assert answer == {
        "owner": ALICE.address,
        "gpus": [
            {
                "model": "NVIDIA H100 80GB HBM3",
                "memory_mib": 81_559,
                "compute_capability": "9.0",
                "count": 1,
                "uuid_hashes": [uuid_hash("GPU-a").hex()],
            }
        ],
        "region": "eu-west",
        "endpoint": "https://gpu.example.org:8443/v1",
        "price_hint": {"denom": DENOM, "amount": 2_500},
        "collateral": {"denom": DENOM, "amount": COLLATERAL},
        "status": "active",
        "registered_height": 1,
        "exit_height": 0,
        "reputation": 5_000,
        "measured_capacity": 0,
    }


def test_invalid_query_provider_not_found() -> None:
    app = provider_app()
    assert_code(app.query("/provider/provider", msgspec.json.encode({"owner": BOB.address})), 38)


def test_invalid_query_provider_bad_owner() -> None:
    app = provider_app()
    assert_code(app.query("/provider/provider", b'{"owner": "depin1xyz"}'), 7)
    assert_code(app.query("/provider/provider", b"{}"), 18)


OWNERS = [key(n) for n in range(10, 15)]


def five_providers() -> App:
    app = provider_app(*OWNERS)
    apply_block(app, [signed(app, k, [register_msg(k)]) for k in OWNERS])
    return app


def test_query_providers_paginates_in_address_order() -> None:
    app = five_providers()
    expected = sorted((k.address for k in OWNERS), key=lambda a: raw(a))
    seen: list[str] = []
    request: dict[str, object] = {"limit": 2}
    pages = 0
    while True:
        page = query_json(app, "/provider/providers", request)
        assert isinstance(page, dict)
        seen += [p["owner"] for p in page["providers"]]
        pages += 1
        if page["next_key"] is None:
            break
        assert page["next_key"] == seen[-1]
        request = {"limit": 2, "next_key": page["next_key"]}
    assert seen == expected
    assert pages == 3


def test_query_providers_exact_page_has_no_next_key() -> None:
    app = five_providers()
    page = query_json(app, "/provider/providers", {"limit": 5})
    assert isinstance(page, dict)
    assert len(page["providers"]) == 5
    assert page["next_key"] is None
    everything = query_json(app, "/provider/providers")
    assert everything == page


@pytest.mark.parametrize("request_", [{"limit": 0}, {"limit": 101}, {"limit": "2"}, {"next_key": 5}])
def test_invalid_query_providers_request(request_: dict[str, object]) -> None:
    app = five_providers()
    assert_code(app.query("/provider/providers", msgspec.json.encode(request_)), 18)


def test_invalid_query_providers_next_key() -> None:
    app = five_providers()
    assert_code(app.query("/provider/providers", b'{"next_key": "nope"}'), 7)


# -- message checks (stateless) --------------------------------------------------------------


def rejected(msg: Msg) -> int:
    with pytest.raises(InvalidTx) as caught:
        msg.validate()
    return caught.value.code


def test_valid_register_message() -> None:
    register_msg(ALICE).validate()
    for endpoint in ("gpu.example", "http://1.2.3.4", "https://h.example:65535/a/b?c=d"):
        register_msg(ALICE, endpoint=endpoint).validate()


@pytest.mark.parametrize("region", ["", "EU-West", "eu west", "-eu", "x" * 33, "eu_west"])
def test_invalid_register_region(region: str) -> None:
    assert rejected(register_msg(ALICE, region=region)) == 18


@pytest.mark.parametrize(
    "endpoint", ["", "ftp://host", "https://", "host name", "host:123456", "https://h/p ath", "h" * 201]
)
def test_invalid_register_endpoint(endpoint: str) -> None:
    assert rejected(register_msg(ALICE, endpoint=endpoint)) == 18


@pytest.mark.parametrize("capability", ["9", "sm_90", "0.9", "9.10", "100.0", ""])
def test_invalid_register_compute_capability(capability: str) -> None:
    spec = msgspec.structs.replace(gpu(1), compute_capability=capability)
    assert rejected(register_msg(ALICE, [spec])) == 18


@pytest.mark.parametrize("count", [0, 65])
def test_invalid_register_gpu_count(count: int) -> None:
    assert rejected(register_msg(ALICE, [gpu(count)])) == 18


def test_invalid_register_gpu_entries() -> None:
    assert rejected(register_msg(ALICE, [])) == 18
    assert rejected(register_msg(ALICE, [gpu(1)] * 17)) == 18
    register_msg(ALICE, [gpu(1)] * 16).validate()


def test_invalid_register_gpu_model_and_memory() -> None:
    assert rejected(register_msg(ALICE, [msgspec.structs.replace(gpu(1), model="")])) == 18
    assert rejected(register_msg(ALICE, [msgspec.structs.replace(gpu(1), model="é")])) == 18
    assert rejected(register_msg(ALICE, [msgspec.structs.replace(gpu(1), memory_mib=0)])) == 18


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_invalid_register_uuid_hash_size(size: int) -> None:
    spec = msgspec.structs.replace(gpu(1), uuid_hashes=[b"\x01" * size])
    assert rejected(register_msg(ALICE, [spec])) == 18


def test_invalid_register_uuid_count_mismatch() -> None:
    assert rejected(register_msg(ALICE, [gpu(2, "GPU-a")])) == 18


def test_invalid_register_duplicate_uuid() -> None:
    assert rejected(register_msg(ALICE, [gpu(2, "GPU-a", "GPU-a")])) == 18
    assert rejected(register_msg(ALICE, [gpu(1, "GPU-a"), gpu(1, "GPU-a")])) == 18


def test_invalid_register_coins() -> None:
    assert rejected(register_msg(ALICE, collateral=0)) == 10
    bad_price = msgspec.structs.replace(register_msg(ALICE), price_hint=Coin("$", 1))
    assert rejected(bad_price) == 10
    msgspec.structs.replace(register_msg(ALICE), price_hint=Coin(DENOM, 0)).validate()  # free is fine


def test_invalid_register_owner_address() -> None:
    assert rejected(msgspec.structs.replace(register_msg(ALICE), owner="depin1bad")) == 7


def test_invalid_update_changes_nothing() -> None:
    assert rejected(update(ALICE)) == 18


def test_invalid_update_fields() -> None:
    assert rejected(update(ALICE, region="EU")) == 18
    assert rejected(update(ALICE, endpoint="a b")) == 18
    assert rejected(update(ALICE, gpus=[gpu(0)])) == 18
    assert rejected(update(ALICE, add_collateral=Coin(DENOM, 0))) == 10
    assert rejected(update(ALICE, price_hint=Coin("?", 1))) == 10


def test_invalid_exit_owner_address() -> None:
    assert rejected(MsgExitProvider("depin1bad")) == 7


def test_invalid_message_costs_no_fee() -> None:
    app = provider_app()
    tx = signed(app, ALICE, [register_msg(ALICE, region="Nowhere")])
    assert_code(app.check_tx(tx), 18)
    assert_code(apply_block(app, [tx]).tx_results[0], 18)
    assert balance(app, ALICE) == FUNDS


def test_invalid_register_without_account() -> None:
    app = provider_app()
    assert_code(apply_block(app, [signed(app, DAVE, [register_msg(DAVE)])]).tx_results[0], 4)
