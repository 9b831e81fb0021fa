"""The application behind the ABCI-like interface (vm.app.App): genesis, blocks, the
app hash, persistence, the mempool's check state, proposals, queries and simulation."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest

from genesis import doc as genesis_doc
from genesis.schema import (
    AuthParams,
    Balance,
    CoinJSON,
    GenesisAccount,
    GenesisDoc,
    GpuJSON,
    ProviderJSON,
    ProviderParams,
)
from node.keys.hd import PrivateKey
from tests.vm.helpers import (
    ALICE,
    AUTH,
    BOB,
    CAROL,
    CHAIN_ID,
    DAVE,
    DENOM,
    FEE,
    FUNDS,
    GAS,
    GENESIS_TIME,
    GENESIS_TIME_NS,
    POOL,
    PROPOSER,
    PROVIDERS,
    STRANGER,
    apply_block,
    assert_code,
    balance,
    block_request,
    changed_keys,
    clone,
    committed_values,
    encode,
    get_provider,
    gpu,
    make_genesis,
    make_tx,
    new_app,
    pool_balance,
    query_json,
    raw,
    register_msg,
    section,
    send,
    sequence,
    sign_tx,
    signed,
    uuid_hash,
    with_app_state,
)
from vm.app import App
from vm.auth.ante import FEE_COLLECTOR
from vm.auth.keeper import decode_account
from vm.bank.msgs import Input, MsgMultiSend, Output
from vm.errors import InvalidTx
from vm.modules import default_registry
from vm.provider.msgs import MsgExitProvider
from vm.store.kv import MemoryKV
from vm.store.smt import Proof, compute_root_reference, verify_proof
from vm.tx import decode_tx
from vm.types import Coin, format_address

PROVIDER_PARAMS = ProviderParams(min_collateral=CoinJSON(denom=DENOM, amount=1_000), unbonding_blocks=2)


def scenario_genesis() -> GenesisDoc:
    funds: dict[PrivateKey, int | list[Coin]] = {
        ALICE: [Coin("uatom", 500), Coin(DENOM, FUNDS)],
        BOB: FUNDS,
        CAROL: FUNDS,
    }
    return make_genesis(funds, provider_params=PROVIDER_PARAMS)


def scenario_blocks(app: App) -> list[list[bytes]]:
    """Blocks of mixed txs, built against ``app``'s genesis state (accepted and failing)."""
    multi = MsgMultiSend(
        [Input(BOB.address, [Coin(DENOM, 30)])],
        [Output(CAROL.address, [Coin(DENOM, 10)]), Output(DAVE.address, [Coin(DENOM, 20)])],
    )
    return [
        [
            signed(app, ALICE, [send(ALICE, BOB, 100)]),
            signed(app, BOB, [multi]),
            signed(app, CAROL, [register_msg(CAROL, collateral=5_000)]),
        ],
        [],
        [
            signed(app, ALICE, [send(ALICE, DAVE, [Coin("uatom", 7)])], sequence=1),
            signed(app, BOB, [send(BOB, ALICE, FUNDS)], sequence=1),  # fails after the fee
            sign_tx(STRANGER, CHAIN_ID, 0, 0, [send(STRANGER, BOB, 1)]),  # no account
            signed(app, ALICE, [register_msg(ALICE, [gpu(1, "GPU-x")])], sequence=2),
        ],
        [signed(app, CAROL, [MsgExitProvider(CAROL.address)], sequence=1)],
        [b"not a tx"],
        [],
        [signed(app, ALICE, [send(ALICE, CAROL, 1)], sequence=3)],
    ]


# -- genesis and the app hash ------------------------------------------------------------------


def test_init_chain_is_deterministic() -> None:
    first, second = App(MemoryKV()), App(MemoryKV())
    a = first.init_chain(scenario_genesis(), GENESIS_TIME_NS)
    b = second.init_chain(scenario_genesis(), GENESIS_TIME_NS)
    assert a.app_hash == b.app_hash
    assert first.info() == second.info() == (0, a.app_hash)
    assert a.validators == []


def test_init_chain_at_an_initial_height() -> None:
    app = new_app(make_genesis(initial_height=10))
    assert app.info()[0] == 9
    apply_block(app, [signed(app, ALICE, [send(ALICE, BOB, 1)])])
    assert app.info()[0] == 10


def test_init_chain_funds_accounts() -> None:
    app = new_app(scenario_genesis())
    assert balance(app, ALICE) == FUNDS
    assert balance(app, ALICE, "uatom") == 500
    assert query_json(app, "/bank/supply") == {
        "supply": [{"denom": "uatom", "amount": "500"}, {"denom": DENOM, "amount": str(3 * FUNDS)}]
    }


def test_app_hash_is_identical_on_two_apps_at_every_height() -> None:
    first, second = new_app(scenario_genesis()), new_app(scenario_genesis())
    assert first.info() == second.info()
    for txs in scenario_blocks(first):
        a, b = apply_block(first, txs), apply_block(second, txs)
        assert a.app_hash == b.app_hash
        assert [(r.code, r.gas_used) for r in a.tx_results] == [(r.code, r.gas_used) for r in b.tx_results]
        assert a.events == b.events
        assert first.info() == second.info() == (first.state.height(), a.app_hash)
    assert committed_values(first) == committed_values(second)
    assert list(first.kv.iterate(b"")) == list(second.kv.iterate(b""))  # tree nodes and metadata too


def test_app_hash_is_the_root_over_every_value() -> None:
    app = new_app(scenario_genesis())
    for txs in scenario_blocks(app):
        result = apply_block(app, txs)
        assert result.app_hash == compute_root_reference(committed_values(app))


def test_app_hash_follows_state() -> None:
    app = new_app()
    before = committed_values(app)
    apply_block(app, [])
    assert set(committed_values(app)) == set(before)  # an empty block moves only the beacon
    assert changed_keys(before, committed_values(app)) == set()
    twin = clone(app)
    garbage = apply_block(app, [b"garbage"]).app_hash  # nor does a rejected tx change more
    assert garbage == apply_block(twin, []).app_hash
    assert (
        apply_block(app, [signed(app, ALICE, [send(ALICE, BOB, 1)])]).app_hash
        != apply_block(twin, []).app_hash
    )


def test_scenario_results() -> None:
    app = new_app(scenario_genesis())
    codes = [[r.code for r in apply_block(app, txs).tx_results] for txs in scenario_blocks(app)]
    assert codes == [[0, 0, 0], [], [0, 5, 4, 0], [0], [2], [], [0]]
    assert get_provider(app, CAROL) is None  # exited at height 4, released at 6
    assert get_provider(app, ALICE) is not None
    assert pool_balance(app) == 1_000_000


# -- persistence -------------------------------------------------------------------------------


def test_state_survives_reopening_the_app() -> None:
    kv = MemoryKV()
    app, reference = new_app(scenario_genesis(), kv), new_app(scenario_genesis())
    blocks = scenario_blocks(app)
    for txs in blocks[:4]:
        apply_block(app, txs)
        apply_block(reference, txs)
    del app
    reopened = App(kv)
    assert reopened.info() == reference.info()
    assert committed_values(reopened) == committed_values(reference)
    assert reopened.state.chain_id() == CHAIN_ID
    # The reopened app carries on exactly as one that never stopped.
    for txs in blocks[4:]:
        assert apply_block(reopened, txs).app_hash == apply_block(reference, txs).app_hash


def test_finalized_block_is_not_persisted_before_commit() -> None:
    kv = MemoryKV()
    app = new_app(kv=kv)
    before = app.info()
    result = app.finalize_block(
        block_request(1, GENESIS_TIME_NS, [signed(app, ALICE, [send(ALICE, BOB, 1)])])
    )
    assert result.app_hash != before[1]
    assert App(kv).info() == before
    assert balance(app, BOB) == FUNDS  # queries read committed state only
    app.commit()
    assert App(kv).info() == (1, result.app_hash)


def test_commit_without_finalize_is_an_error() -> None:
    app = new_app()
    with pytest.raises(RuntimeError):
        app.commit()
    apply_block(app, [])
    with pytest.raises(RuntimeError):
        app.commit()


# -- the mempool's check state ------------------------------------------------------------------


def test_check_tx_tracks_sequences_across_pending_txs() -> None:
    app = new_app()
    txs = [signed(app, ALICE, [send(ALICE, BOB, 1)], sequence=n) for n in range(3)]
    assert_code(app.check_tx(txs[0]), 0)
    assert_code(app.check_tx(txs[0]), 32)  # already pending
    assert_code(app.check_tx(txs[2]), 32)  # a gap
    assert_code(app.check_tx(txs[1]), 0)
    assert_code(app.check_tx(txs[2]), 0)
    assert sequence(app, ALICE) == 0  # nothing committed yet


def test_check_tx_result_describes_the_tx() -> None:
    app = new_app()
    result = app.check_tx(signed(app, ALICE, [send(ALICE, BOB, 1)]))
    assert (result.gas_wanted, result.sender, result.sequence, result.fee) == (GAS, raw(ALICE), 0, FEE)
    assert 0 < result.gas_used < GAS


def test_check_tx_without_keep_leaves_the_check_state() -> None:
    app = new_app()
    tx = signed(app, ALICE, [send(ALICE, BOB, 1)])
    assert_code(app.check_tx(tx, keep=False), 0)
    assert_code(app.check_tx(tx, keep=False), 0)
    assert_code(app.check_tx(tx), 0)
    assert_code(app.check_tx(tx, keep=False), 32)


def test_check_tx_counts_fees_of_pending_txs() -> None:
    app = new_app(make_genesis({ALICE: 2 * FEE + FEE // 2}))
    txs = [signed(app, ALICE, [send(ALICE, BOB, 1)], sequence=n) for n in range(3)]
    assert_code(app.check_tx(txs[0]), 0)
    assert_code(app.check_tx(txs[1]), 0)
    assert_code(app.check_tx(txs[2]), 5)  # only half a fee is left


def test_recheck_after_commit() -> None:
    app = new_app()
    txs = [signed(app, ALICE, [send(ALICE, BOB, 1)], sequence=n) for n in range(3)]
    for tx in txs:
        assert_code(app.check_tx(tx), 0)
    apply_block(app, txs[:1])  # the block took only the first; commit resets the check state
    assert_code(app.check_tx(txs[0], recheck=True), 32)  # committed: evicted on recheck
    assert_code(app.check_tx(txs[1], recheck=True), 0)
    assert_code(app.check_tx(txs[2], recheck=True), 0)
    assert_code(app.check_tx(signed(app, ALICE, [send(ALICE, BOB, 1)], sequence=3)), 0)


def test_check_state_is_rebuilt_from_committed_state() -> None:
    app = new_app()
    pending = signed(app, ALICE, [send(ALICE, BOB, 1)])
    assert_code(app.check_tx(pending), 0)
    other = signed(app, ALICE, [send(ALICE, CAROL, 1)])  # the same sequence, included instead
    apply_block(app, [other])
    assert_code(app.check_tx(pending, recheck=True), 32)


def test_check_tx_uses_the_next_height_for_timeouts() -> None:
    app = new_app()
    apply_block(app, [])
    assert_code(app.check_tx(signed(app, ALICE, [send(ALICE, BOB, 1)], timeout_height=1)), 30)
    assert_code(app.check_tx(signed(app, ALICE, [send(ALICE, BOB, 1)], timeout_height=2)), 0)


# -- proposals -------------------------------------------------------------------------------


def proposal_txs(app: App) -> list[bytes]:
    return [signed(app, ALICE, [send(ALICE, BOB, 1)], sequence=n, memo="m" * 10 * n) for n in range(4)]


def test_prepare_proposal_respects_max_bytes() -> None:
    app = new_app()
    txs = proposal_txs(app)
    assert app.prepare_proposal(txs, sum(map(len, txs)), -1, PROPOSER) == txs
    assert app.prepare_proposal(txs, len(txs[0]) + len(txs[1]), -1, PROPOSER) == txs[:2]
    assert app.prepare_proposal(txs, len(txs[0]) + len(txs[1]) + len(txs[2]) - 1, -1, PROPOSER) == txs[:2]
    assert app.prepare_proposal(txs, len(txs[0]) - 1, -1, PROPOSER) == []


def test_prepare_proposal_respects_max_gas() -> None:
    app = new_app()
    txs = proposal_txs(app)
    assert app.prepare_proposal(txs, 10**6, 2 * GAS + GAS // 2, PROPOSER) == txs[:2]
    assert app.prepare_proposal(txs, 10**6, 4 * GAS, PROPOSER) == txs
    assert app.prepare_proposal(txs, 10**6, -1, PROPOSER) == txs
    assert app.prepare_proposal(txs, 10**6, 0, PROPOSER) == []


def test_prepare_proposal_keeps_mempool_order() -> None:
    app = new_app()
    txs = proposal_txs(app)
    assert app.prepare_proposal(txs[::-1], 10**6, -1, PROPOSER) == txs[::-1]


def test_process_proposal_checks_limits() -> None:
    app = new_app()
    txs = proposal_txs(app)
    size = sum(map(len, txs))
    assert app.process_proposal(txs, size, 4 * GAS, PROPOSER)
    assert not app.process_proposal(txs, size - 1, 4 * GAS, PROPOSER)
    assert not app.process_proposal(txs, size, 4 * GAS - 1, PROPOSER)
    assert app.process_proposal([*txs, b"junk"], size + 4, -1, PROPOSER)  # bad txs get error results


# -- queries ---------------------------------------------------------------------------------


def store_query(app: App, key: bytes) -> tuple[bytes, Proof]:
    result = app.query("/store", key, prove=True)
    assert_code(result, 0)
    assert (result.key, result.height) == (key, app.info()[0])
    return result.value, Proof.decode(result.proof)


def test_store_query_proves_a_present_key() -> None:
    app = new_app()
    apply_block(app, [signed(app, ALICE, [send(ALICE, BOB, 1)])])
    key = AUTH.account_key(raw(ALICE))
    value, proof = store_query(app, key)
    root = app.info()[1]
    assert decode_account(value).sequence == 1
    assert verify_proof(root, key, value, proof)
    assert not verify_proof(root, key, value + b"\x00", proof)
    assert not verify_proof(root, key, None, proof)
    assert not verify_proof(root, key + b"x", value, proof)


def test_store_query_proves_an_absent_key() -> None:
    app = new_app()
    key = AUTH.account_key(raw(STRANGER))
    value, proof = store_query(app, key)
    root = app.info()[1]
    assert value == b""
    assert verify_proof(root, key, None, proof)
    assert not verify_proof(root, key, b"anything", proof)


def test_store_proof_is_bound_to_its_app_hash() -> None:
    app = new_app()
    key = AUTH.account_key(raw(ALICE))
    value, proof = store_query(app, key)
    old_root = app.info()[1]
    apply_block(app, [signed(app, ALICE, [send(ALICE, BOB, 1)])])
    assert verify_proof(old_root, key, value, proof)
    assert not verify_proof(app.info()[1], key, value, proof)


def test_store_query_proves_an_exit_queue_entry() -> None:
    """State never holds empty values, so an empty /store answer always means absent."""
    app = new_app(make_genesis(provider_params=PROVIDER_PARAMS))
    apply_block(app, [signed(app, ALICE, [register_msg(ALICE, collateral=1_000)])])
    apply_block(app, [signed(app, ALICE, [MsgExitProvider(ALICE.address)])])
    key = PROVIDERS.exits.key(2 + 2, raw(ALICE))
    value, proof = store_query(app, key)
    assert value != b""
    assert verify_proof(app.info()[1], key, value, proof)
    assert not verify_proof(app.info()[1], key, None, proof)


def test_store_query_without_proof() -> None:
    app = new_app()
    result = app.query("/store", AUTH.account_key(raw(ALICE)))
    assert result.proof == b""
    assert decode_account(result.value).address == raw(ALICE)


def test_invalid_query_at_a_past_height() -> None:
    app = new_app()
    apply_block(app, [])
    apply_block(app, [])
    assert_code(app.query("/store", b"acc/", height=2), 0)
    assert_code(app.query("/store", b"acc/", height=0), 0)
    assert_code(app.query("/store", b"acc/", height=1), 26)
    assert_code(app.query("/bank/supply", b"", height=3), 26)


def test_query_account_balances_and_params() -> None:
    app = new_app()
    apply_block(app, [signed(app, ALICE, [send(ALICE, BOB, 1)])])
    assert query_json(app, "/auth/account", {"address": ALICE.address}) == {
        "@type": "/cosmos.auth.v1beta1.BaseAccount",
        "address": ALICE.address,
        "account_number": "0",
        "sequence": "1",
        "pub_key": {"@type": "/cosmos.crypto.secp256k1.PubKey", "key": pubkey_b64(ALICE)},
    }
    assert query_json(app, "/bank/balances", {"address": BOB.address}) == {
        "balances": [{"denom": DENOM, "amount": str(FUNDS + 1)}]
    }
    assert query_json(app, "/bank/balances", {"address": BOB.address, "denom": "uatom"}) == {
        "balances": [{"denom": "uatom", "amount": "0"}]
    }
    params: Any = query_json(app, "/params")
    assert set(params) == {
        "auth",
        "bank",
        "staking",
        "mint",
        "distribution",
        "slashing",
        "consensus",
        "provider",
        "market",
        "compute",
        "gov",
    }
    assert params["auth"] == msgspec.to_builtins(AuthParams())
    assert query_json(app, "/params", {"module": "bank"}) == {"bank": {"default_send_enabled": True}}


def test_invalid_query_requests() -> None:
    app = new_app()
    assert_code(app.query("/nope", b""), 6)
    assert_code(app.query("/bank/supply", b"", prove=True), 18)
    assert_code(app.query("/bank/balances", b"{not json"), 18)
    assert_code(app.query("/bank/balances", b"[1, 2]"), 18)
    assert_code(app.query("/bank/balances", b'{"address": "\xff"}'), 18)  # not UTF-8
    assert_code(app.query("/bank/balances", b"{}"), 18)
    assert_code(app.query("/bank/balances", b'{"address": "depin1xyz"}'), 7)
    assert_code(app.query("/auth/account", msgspec.json.encode({"address": STRANGER.address})), 38)
    assert_code(app.query("/params", b'{"module": "nope"}'), 38)


# -- simulate ----------------------------------------------------------------------------------


def unsigned(tx: bytes) -> bytes:
    return encode(msgspec.structs.replace(decode_tx(tx, default_registry()), signature=b""))


def test_simulate_returns_gas_without_a_signature() -> None:
    app = new_app()
    tx = signed(app, ALICE, [send(ALICE, BOB, 5)])
    simulated = app.simulate(unsigned(tx))
    assert_code(simulated, 0)
    delivered = apply_block(app, [tx]).tx_results[0]
    assert_code(delivered, 0)
    assert simulated.gas_used == delivered.gas_used  # an unsigned probe is priced as signed


def test_simulate_ignores_a_bad_signature_and_the_fee() -> None:
    app = new_app()
    forged = make_tx(BOB, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], fee=0, pubkey=ALICE.public_key)
    result = app.simulate(encode(forged))
    assert_code(result, 0)
    assert result.gas_used > 0


def test_simulate_leaves_the_check_state() -> None:
    app = new_app()
    tx = signed(app, ALICE, [send(ALICE, BOB, 5)])
    assert_code(app.simulate(tx), 0)
    assert_code(app.simulate(tx), 0)
    assert_code(app.check_tx(tx), 0)
    assert balance(app, BOB) == FUNDS


def test_simulate_sees_pending_txs() -> None:
    app = new_app()
    first = signed(app, ALICE, [send(ALICE, BOB, 5)])
    assert_code(app.check_tx(first), 0)
    assert_code(app.simulate(first), 32)
    assert_code(app.simulate(signed(app, ALICE, [send(ALICE, BOB, 5)], sequence=1)), 0)


def test_simulate_reports_message_failures() -> None:
    app = new_app()
    assert_code(app.simulate(unsigned(signed(app, ALICE, [send(ALICE, BOB, FUNDS)]))), 5)
    assert_code(app.simulate(sign_tx(STRANGER, CHAIN_ID, 0, 0, [send(STRANGER, BOB, 1)])), 4)
    assert_code(app.simulate(b"junk"), 2)


def test_simulate_query_path() -> None:
    app = new_app()
    tx = signed(app, ALICE, [send(ALICE, BOB, 5)])
    result = app.query("/simulate", unsigned(tx))
    assert_code(result, 0)
    answer = msgspec.json.decode(result.value)
    simulated = app.simulate(tx)
    data = base64.b64encode(simulated.data).decode()
    assert answer == {"code": 0, "codespace": "", "log": "", "gas_used": simulated.gas_used, "data": data}


# -- genesis validation --------------------------------------------------------------------------


def with_accounts(*accounts: GenesisAccount) -> GenesisDoc:
    doc = make_genesis()
    auth = msgspec.structs.replace(section(doc, "auth"), accounts=list(accounts))
    return with_app_state(doc, auth=auth)


def with_balances(balances: list[Balance], supply: list[CoinJSON] | None = None) -> GenesisDoc:
    doc = make_genesis()
    bank = msgspec.structs.replace(section(doc, "bank"), balances=balances, supply=supply or [])
    return with_app_state(doc, bank=bank)


def provider_json(owner: str, **fields: Any) -> ProviderJSON:
    values: dict[str, Any] = {
        "owner": owner,
        "gpus": [GpuJSON(model="NVIDIA L4", memory_mib=23_034, compute_capability="8.9", count=1)],
        "region": "eu-west",
        "endpoint": "gpu.example",
        "price_hint": CoinJSON(denom=DENOM, amount=1),
        "collateral": CoinJSON(denom=DENOM, amount=1_000),
    }
    values.update(fields)
    return ProviderJSON(**values)


def with_providers(
    *providers: ProviderJSON, params: ProviderParams = PROVIDER_PARAMS, pool: int | None = None
) -> GenesisDoc:
    """Genesis providers; the pool holds their collateral unless ``pool`` says otherwise."""
    doc = make_genesis()
    provider = msgspec.structs.replace(section(doc, "provider"), params=params, providers=list(providers))
    held = sum(p.collateral.amount for p in providers) if pool is None else pool
    balances = [*section(doc, "bank").balances]
    if held:
        balances.append(Balance(address=format_address(POOL), coins=[coin(held)]))
    bank = msgspec.structs.replace(section(doc, "bank"), balances=balances)
    return with_app_state(doc, provider=provider, bank=bank)


def coin(amount: int, denom: str = DENOM) -> CoinJSON:
    return CoinJSON(denom=denom, amount=amount)


def pubkey_b64(k: Any) -> str:
    return base64.b64encode(k.public_key).decode()


GPU_A = GpuJSON(
    model="L4", memory_mib=1, compute_capability="8.9", count=1, uuid_hashes=[uuid_hash("a").hex()]
)

INVALID_GENESIS = {
    "duplicate_account": (
        with_accounts(GenesisAccount(address=ALICE.address), GenesisAccount(address=ALICE.address)),
        18,
    ),
    "duplicate_account_number": (
        with_accounts(
            GenesisAccount(address=ALICE.address, account_number=3),
            GenesisAccount(address=BOB.address, account_number=3),
        ),
        18,
    ),
    "some_account_numbers": (
        with_accounts(
            GenesisAccount(address=ALICE.address, account_number=3), GenesisAccount(address=BOB.address)
        ),
        18,
    ),
    "account_address_prefix": (
        with_accounts(GenesisAccount(address="cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4")),
        7,
    ),
    "account_address_checksum": (with_accounts(GenesisAccount(address=ALICE.address[:-1] + "q")), 7),
    "account_pub_key_mismatch": (
        with_accounts(GenesisAccount(address=ALICE.address, pub_key=pubkey_b64(BOB))),
        8,
    ),
    "account_pub_key_not_base64": (with_accounts(GenesisAccount(address=ALICE.address, pub_key="!!")), 8),
    "fee_denom": (
        with_app_state(
            make_genesis(),
            auth=msgspec.structs.replace(section(make_genesis(), "auth"), params=AuthParams(fee_denom="$")),
        ),
        18,
    ),
    "balance_address": (with_balances([Balance(address="depin1xyz", coins=[coin(1)])]), 7),
    "duplicate_balance": (
        with_balances(
            [Balance(address=ALICE.address, coins=[coin(1)]), Balance(address=ALICE.address, coins=[coin(2)])]
        ),
        18,
    ),
    "supply_too_high": (with_balances([Balance(address=ALICE.address, coins=[coin(5)])], [coin(6)]), 18),
    "supply_missing_denom": (
        with_balances([Balance(address=ALICE.address, coins=[coin(5, "uatom"), coin(5)])], [coin(5)]),
        18,
    ),
    "balance_zero": (with_balances([Balance(address=ALICE.address, coins=[coin(0)])]), 10),
    "balance_unsorted": (
        with_balances([Balance(address=ALICE.address, coins=[coin(5), coin(5, "uatom")])]),
        10,
    ),
    "duplicate_provider": (with_providers(provider_json(ALICE.address), provider_json(ALICE.address)), 18),
    "provider_owner": (with_providers(provider_json("depin1xyz")), 7),
    "provider_region": (with_providers(provider_json(ALICE.address, region="EU")), 18),
    "provider_endpoint": (with_providers(provider_json(ALICE.address, endpoint="a b")), 18),
    "provider_status": (with_providers(provider_json(ALICE.address, status="jailed")), 18),
    "provider_uuid_hash": (
        with_providers(
            provider_json(
                ALICE.address,
                gpus=[
                    GpuJSON(model="L4", memory_mib=1, compute_capability="8.9", count=1, uuid_hashes=["ab"])
                ],
            )
        ),
        18,
    ),
    "provider_min_collateral": (with_providers(params=ProviderParams(min_collateral=coin(0))), 10),
    "provider_gpu_of_another_provider": (
        with_providers(
            provider_json(ALICE.address, gpus=[GPU_A]),
            provider_json(BOB.address, gpus=[GPU_A]),
        ),
        18,
    ),
    "provider_collateral_not_in_pool": (with_providers(provider_json(ALICE.address), pool=999), 18),
    "provider_collateral_in_another_denom": (
        with_providers(provider_json(ALICE.address, collateral=coin(1_000, "uatom")), pool=1_000),
        18,
    ),
}


@pytest.mark.parametrize(("doc", "code"), INVALID_GENESIS.values(), ids=INVALID_GENESIS.keys())
def test_invalid_genesis(doc: GenesisDoc, code: int) -> None:
    kv = MemoryKV()
    with pytest.raises(InvalidTx) as caught:
        App(kv).init_chain(doc, GENESIS_TIME_NS)
    assert caught.value.code == code, caught.value.log
    assert len(kv) == 0  # nothing was written


def test_genesis_with_matching_supply_and_fixed_numbers() -> None:
    held = [coin(5, "uatom"), coin(FUNDS)]
    doc = with_balances([Balance(address=ALICE.address, coins=held)], held)
    fixed = GenesisAccount(address=ALICE.address, account_number=7, pub_key=pubkey_b64(ALICE), sequence=3)
    app = new_app(with_app_state(doc, auth=msgspec.structs.replace(section(doc, "auth"), accounts=[fixed])))
    found = query_json(app, "/auth/account", {"address": ALICE.address})
    assert isinstance(found, dict)
    assert (found["account_number"], found["sequence"], found["pub_key"]["key"]) == (
        "7",
        "3",
        pubkey_b64(ALICE),
    )
    assert_code(apply_block(app, [signed(app, ALICE, [send(ALICE, BOB, 1)])]).tx_results[0], 0)
    assert query_json(app, "/auth/account", {"address": BOB.address}) == {
        "@type": "/cosmos.auth.v1beta1.BaseAccount",
        "address": BOB.address,
        "account_number": "9",  # 8, the next after the highest fixed number, went to the fee collector
        "sequence": "0",
        "pub_key": None,
    }
    assert query_json(app, "/auth/account", {"address": format_address(FEE_COLLECTOR)}) == {
        "@type": "/cosmos.auth.v1beta1.BaseAccount",
        "address": format_address(FEE_COLLECTOR),
        "account_number": "8",
        "sequence": "0",
        "pub_key": None,
    }


def test_genesis_provider_exits_with_collateral_from_the_pool() -> None:
    app = new_app(with_providers(provider_json(ALICE.address, gpus=[GPU_A], status="exiting", exit_height=2)))
    assert pool_balance(app) == 1_000
    assert PROVIDERS.gpu_owner(app.state.values, uuid_hash("a")) == raw(ALICE)
    apply_block(app, [])
    assert get_provider(app, ALICE) is not None
    apply_block(app, [])  # height 2: released
    assert get_provider(app, ALICE) is None
    assert pool_balance(app) == 0
    assert balance(app, ALICE) == FUNDS + 1_000


# -- export then init round-trips ------------------------------------------------------------------


def export(app: App, initial_height: int = 1) -> GenesisDoc:
    doc = GenesisDoc(genesis_time=GENESIS_TIME, chain_id=app.state.chain_id(), initial_height=initial_height)
    return app.export_genesis(doc)


def test_export_then_init_round_trips_to_the_same_app_hash() -> None:
    app = new_app(scenario_genesis())
    blocks = scenario_blocks(app)
    for txs in blocks[:4]:  # Carol's exit is still unbonding
        apply_block(app, txs)
    height = app.info()[0]
    exported = export(app, initial_height=height + 1)
    assert sorted(p.status for p in section(exported, "provider").providers) == ["active", "exiting"]
    # Through JSON, as a genesis.json file would carry it.
    loaded = genesis_doc.loads(genesis_doc.dumps(exported))
    imported = new_app(loaded)
    assert imported.info() == app.info()
    assert committed_values(imported) == committed_values(app)
    assert export(imported, initial_height=height + 1) == exported
    # Both chains go on identically, including the pending exit's release.
    for txs in blocks[4:]:
        assert apply_block(imported, txs).app_hash == apply_block(app, txs).app_hash
    assert get_provider(imported, CAROL) is None


def test_export_of_a_fresh_chain_round_trips() -> None:
    app = new_app()
    imported = new_app(export(app))
    assert imported.info() == app.info()
