"""The ante handler (vm.auth.ante): signature, chain id, sequence, fee, memo and gas
checks, and the rule that a tx whose messages fail still pays its fee."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from genesis.schema import AuthParams
from node.keys.hd import PrivateKey
from tests.vm.helpers import (
    ALICE,
    AUTH,
    BANK,
    BOB,
    CAROL,
    CHAIN_ID,
    DENOM,
    FEE,
    FUNDS,
    GAS,
    STRANGER,
    account_of,
    apply_block,
    assert_code,
    balance,
    changed_keys,
    clone,
    coins,
    committed_values,
    deliver,
    encode,
    fees_collected,
    make_genesis,
    make_tx,
    new_app,
    raw,
    rewrite,
    send,
    sequence,
    sign_tx,
    signed,
)
from vm.app import App
from vm.auth.ante import FEE_COLLECTOR, Mode
from vm.auth.keeper import Account, required_fee
from vm.context import BlockEnv, Context
from vm.crypto import SECP256K1_N
from vm.errors import InvalidTx
from vm.gas import GasMeter
from vm.store.cache import CacheStore, GasStore
from vm.tx import SignMode, Tx
from vm.types import Address, Coin, format_address


def rejected_without_trace(app: App, tx: bytes, code: int) -> str:
    """The tx fails with ``code`` in check_tx and in a block, and the block writes nothing: the
    same app hash as an empty block. Returns the log."""
    assert_code(app.check_tx(tx, keep=False), code)
    apply_block(app, [])  # hands earlier fees to distribution (the next block's begin would)
    before, twin = committed_values(app), clone(app)
    result = deliver(app, tx)
    assert_code(result, code)
    assert changed_keys(before, committed_values(app)) == set()
    assert app.info()[1] == apply_block(twin, []).app_hash
    return result.log


# -- the accepted path --------------------------------------------------------------------


def test_fee_is_paid_and_sequence_bumped() -> None:
    app = new_app()
    result = deliver(app, signed(app, ALICE, [send(ALICE, BOB, 10)]))
    assert_code(result, 0)
    assert balance(app, ALICE) == FUNDS - 10 - FEE
    assert balance(app, BOB) == FUNDS + 10
    assert fees_collected(app) == FEE
    assert sequence(app, ALICE) == 1


def test_first_tx_records_the_public_key() -> None:
    app = new_app()
    assert account_of(app, ALICE).pubkey == b""
    deliver(app, signed(app, ALICE, [send(ALICE, BOB, 1)]))
    assert account_of(app, ALICE).pubkey == ALICE.public_key


def test_fee_may_carry_other_denoms_beside_the_fee_denom() -> None:
    app = new_app(make_genesis({ALICE: [Coin("uatom", 50), Coin(DENOM, FUNDS)]}))
    fee = [Coin("uatom", 5), Coin(DENOM, FEE)]
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, BOB, 1)], fee=fee)), 0)
    assert fees_collected(app) == FEE
    assert balance(app, FEE_COLLECTOR, "uatom") == 5


def test_zero_min_gas_price_accepts_a_tx_without_fee() -> None:
    app = new_app(make_genesis(auth_params=AuthParams(min_gas_price_numerator=0)))
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, BOB, 1)], fee=0)), 0)
    assert sequence(app, ALICE) == 1


@pytest.mark.parametrize(("gas", "fee"), [(1, 1), (100, 1), (101, 2), (200_000, 2_000), (0, 0)])
def test_required_fee_rounds_up(gas: int, fee: int) -> None:
    assert required_fee(AuthParams(), gas) == fee


# -- rejections before the messages run: no fee, no sequence bump, no writes ---------------


def test_invalid_signature_by_another_key() -> None:
    app = new_app()
    forged = make_tx(BOB, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], pubkey=ALICE.public_key)
    rejected_without_trace(app, encode(forged), 4)


def test_invalid_signature_over_wrong_account_number() -> None:
    app = new_app()
    number = account_of(app, ALICE).account_number
    rejected_without_trace(app, sign_tx(ALICE, CHAIN_ID, number + 1, 0, [send(ALICE, BOB, 1)]), 4)


def test_invalid_signature_after_tampering() -> None:
    app = new_app()
    tx = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)])
    rejected_without_trace(app, rewrite(encode(tx), body={"memo": "changed"}), 4)


def high_s(tx: Tx) -> Tx:
    """The same signature with s replaced by n - s: valid ECDSA, but not low-S."""
    r, s = tx.signature[:32], int.from_bytes(tx.signature[32:], "big")
    return msgspec.structs.replace(tx, signature=r + (SECP256K1_N - s).to_bytes(32, "big"))


def test_invalid_high_s_signature() -> None:
    app = new_app()
    tx = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)])
    assert int.from_bytes(tx.signature[32:], "big") <= SECP256K1_N // 2
    rejected_without_trace(app, encode(high_s(tx)), 4)
    assert_code(deliver(app, encode(tx)), 0)  # the low-S original is accepted


def test_invalid_signature_length() -> None:
    app = new_app()
    tx = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)])
    rejected_without_trace(app, encode(msgspec.structs.replace(tx, signature=tx.signature + b"\x00")), 4)


def test_invalid_no_signature() -> None:
    app = new_app()
    tx = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)])
    rejected_without_trace(app, encode(msgspec.structs.replace(tx, signature=b"")), 15)


def test_invalid_pubkey() -> None:
    app = new_app()
    rejected_without_trace(app, sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], pubkey=b"\x04" * 33), 8)


def test_invalid_chain_id() -> None:
    app = new_app()
    # The chain id is in the sign bytes only: another chain's tx fails its signature, as in Cosmos.
    log = rejected_without_trace(app, sign_tx(ALICE, "other-chain", 0, 0, [send(ALICE, BOB, 1)]), 4)
    assert "chain-id (depin-test-1)" in log


def test_invalid_sequence_replay_of_committed_tx() -> None:
    app = new_app()
    tx = signed(app, ALICE, [send(ALICE, BOB, 10)])
    assert_code(deliver(app, tx), 0)
    rejected_without_trace(app, tx, 32)
    assert balance(app, BOB) == FUNDS + 10


def test_invalid_sequence_replay_in_the_same_block() -> None:
    app = new_app()
    tx = signed(app, ALICE, [send(ALICE, BOB, 10)])
    first, second = apply_block(app, [tx, tx]).tx_results
    assert_code(first, 0)
    assert_code(second, 32)
    assert balance(app, BOB) == FUNDS + 10
    assert sequence(app, ALICE) == 1


def test_invalid_sequence_from_the_future() -> None:
    app = new_app()
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)], sequence=1), 32)


def test_invalid_fee_below_minimum() -> None:
    app = new_app()
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)], fee=FEE - 1), 13)


def test_invalid_fee_in_the_wrong_denom() -> None:
    app = new_app(make_genesis({ALICE: [Coin("uatom", FUNDS), Coin(DENOM, FUNDS)]}))
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)], fee=[Coin("uatom", FEE)]), 13)


def test_invalid_fee_coins() -> None:
    app = new_app()
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)], fee=[Coin(DENOM, 0)]), 10)


def test_invalid_fee_larger_than_balance() -> None:
    app = new_app(make_genesis({ALICE: FEE - 1}))
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)]), 5)


def test_memo_at_the_limit_is_accepted() -> None:
    app = new_app()
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, BOB, 1)], memo="m" * 256)), 0)


def test_invalid_memo_too_large() -> None:
    app = new_app()
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)], memo="m" * 257), 12)


def test_invalid_out_of_gas_in_ante() -> None:
    app = new_app()
    # 10 gas per tx byte alone exceeds 1000 gas: the ante fails, so no fee is taken.
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)], gas=1_000, fee=10), 11)


def test_invalid_gas_limit_zero() -> None:
    app = new_app()
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1)], gas=0, fee=0), 41)


def test_invalid_signer_mismatch() -> None:
    app = new_app()
    rejected_without_trace(app, signed(app, ALICE, [send(ALICE, BOB, 1), send(BOB, ALICE, 1)]), 24)


def test_invalid_account_missing() -> None:
    app = new_app()
    rejected_without_trace(app, sign_tx(STRANGER, CHAIN_ID, 0, 0, [send(STRANGER, BOB, 1)]), 4)


def test_invalid_no_messages() -> None:
    app = new_app()
    rejected_without_trace(app, signed(app, ALICE, []), 18)


def test_invalid_timeout_height() -> None:
    app = new_app()
    assert app.info()[0] == 0  # the next block is height 1
    expired = signed(app, ALICE, [send(ALICE, BOB, 1)], timeout_height=1)
    apply_block(app, [])  # height 1 passes; the tx could only go in at height 2
    rejected_without_trace(app, expired, 30)


def test_timeout_height_is_inclusive() -> None:
    app = new_app()
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, BOB, 1)], timeout_height=1)), 0)


# -- a tx whose messages fail still pays -------------------------------------------------


def test_failed_message_pays_fee_and_bumps_sequence() -> None:
    app = new_app(make_genesis({ALICE: 10_000, BOB: FUNDS}))
    apply_block(app, [signed(app, BOB, [send(BOB, CAROL.address, 1)])])  # creates the fee collector
    apply_block(app, [])  # whose fees distribution takes at the next block's begin
    before, collected = committed_values(app), fees_collected(app)
    # After the 2000 fee Alice holds 8000: sending 9000 fails in the bank handler.
    result = deliver(app, signed(app, ALICE, [send(ALICE, BOB, 9_000)]))
    assert_code(result, 5)
    assert result.gas_used > 0
    assert balance(app, ALICE) == 10_000 - FEE
    assert balance(app, BOB) == FUNDS - 1 - FEE
    assert fees_collected(app) == collected + FEE
    assert sequence(app, ALICE) == 1
    # The result still reports the fee it paid, and only that.
    assert [event.type for event in result.events] == ["tx"]
    assert dict((a.key, a.value) for a in result.events[0].attributes)["fee_payer"] == ALICE.address
    # Only the fee and the sequence were written: the failed message left no trace.
    assert changed_keys(before, committed_values(app)) == {
        AUTH.account_key(raw(ALICE)),
        BANK.balance_key(raw(ALICE), DENOM),
        BANK.balance_key(FEE_COLLECTOR, DENOM),
    }


def test_failed_second_message_reverts_the_first() -> None:
    app = new_app()
    result = deliver(app, signed(app, ALICE, [send(ALICE, BOB, 5), send(ALICE, CAROL, FUNDS)]))
    assert_code(result, 5)
    assert balance(app, BOB) == FUNDS  # the first send was undone with the second
    assert balance(app, ALICE) == FUNDS - FEE
    assert sequence(app, ALICE) == 1


def test_out_of_gas_in_messages_pays_fee() -> None:
    app = new_app()
    gas = 35_000
    tx = signed(app, ALICE, [send(ALICE, BOB, 5)], gas=gas, fee=gas // 100)
    ante_gas = app.check_tx(tx, keep=False).gas_used
    assert ante_gas < gas < app.simulate(tx).gas_used  # enough for the ante, not for the send
    result = deliver(app, tx)
    assert_code(result, 11)
    assert result.gas_used == gas
    assert balance(app, ALICE) == FUNDS - gas // 100
    assert balance(app, BOB) == FUNDS
    assert sequence(app, ALICE) == 1


def test_failed_tx_does_not_disturb_the_next_tx_in_the_block() -> None:
    app = new_app()
    bad = signed(app, ALICE, [send(ALICE, BOB, FUNDS)])  # fails in the handler, pays
    good = signed(app, ALICE, [send(ALICE, BOB, 7)], sequence=1)
    first, second = apply_block(app, [bad, good]).tx_results
    assert_code(first, 5)
    assert_code(second, 0)
    assert balance(app, BOB) == FUNDS + 7
    assert balance(app, ALICE) == FUNDS - 7 - 2 * FEE


# -- modes --------------------------------------------------------------------------------


def run_in_mode(app: App, tx: Tx, mode: Mode, signer: PrivateKey = ALICE) -> CacheStore:
    data = encode(tx)
    meter = GasMeter(tx.auth_info.fee.gas_limit)
    store = CacheStore(app.state.values)
    env = BlockEnv(CHAIN_ID, 1, 0, b"", b"")
    ante = new_app().pipeline.ante
    ante.run(Context(GasStore(store, meter), env, meter), tx, len(data), raw(signer), mode)
    return store


def test_deliver_mode_checks_signature() -> None:
    app = new_app()
    forged = make_tx(BOB, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], pubkey=ALICE.public_key)
    with pytest.raises(InvalidTx) as caught:
        run_in_mode(app, forged, Mode.DELIVER)
    assert caught.value.code == 4


def test_recheck_mode_skips_the_signature_but_not_the_sequence() -> None:
    app = new_app()
    forged = make_tx(BOB, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], pubkey=ALICE.public_key)
    store = run_in_mode(app, forged, Mode.RECHECK)
    assert AUTH.get_account(store, raw(ALICE)) == Account(raw(ALICE), 0, 1, ALICE.public_key)
    stale = make_tx(ALICE, CHAIN_ID, 0, 5, [send(ALICE, BOB, 1)])
    with pytest.raises(InvalidTx) as caught:
        run_in_mode(app, stale, Mode.RECHECK)
    assert caught.value.code == 32


def test_simulate_mode_accepts_any_fee_but_still_charges_it() -> None:
    app = new_app()
    tx = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], fee=1)
    store = run_in_mode(app, tx, Mode.SIMULATE)
    assert balance_of(store, FEE_COLLECTOR) == 1
    with pytest.raises(InvalidTx) as caught:
        run_in_mode(app, tx, Mode.DELIVER)
    assert caught.value.code == 13


def balance_of(store: CacheStore, address: Address) -> int:
    return BANK.get_balance(store, address, DENOM)


def test_fee_collector_cannot_be_paid_by_plain_send_but_receives_fees() -> None:
    app = new_app()
    result = deliver(app, signed(app, ALICE, [send(ALICE, format_address(FEE_COLLECTOR), 1)]))
    assert_code(result, 4)
    assert fees_collected(app) == FEE


def test_vector_fee_is_exactly_the_minimum() -> None:
    """FEE and GAS, used by every vector, sit on the boundary test_invalid_fee_below_minimum probes."""
    assert coins(FEE) == [Coin(AuthParams().fee_denom, FEE)]
    assert required_fee(AuthParams(), GAS) == FEE


# -- what a refusal says ------------------------------------------------------------------


def refusal_log(app: App, tx: bytes) -> str:
    result = app.check_tx(tx, keep=False)
    assert result.code != 0
    return result.log


def alice_sends(app: App, **options: Any) -> bytes:
    return signed(app, ALICE, [send(ALICE, BOB, 1)], **options)


REFUSALS: list[tuple[Callable[[App], bytes], str]] = [
    (lambda app: alice_sends(app, memo="m" * 257), "257 characters; the limit is 256: memo too large"),
    (lambda app: alice_sends(app, gas=0, fee=0), "gas limit must be positive: invalid gas limit"),
    (lambda app: alice_sends(app, fee=[Coin(DENOM, 0)]), "fee must be positive, got 0udepin: invalid coins"),
    (
        lambda app: signed(app, ALICE, [send(ALICE, BOB, 1), send(BOB, ALICE, 1)]),
        f"a tx has one signer: {ALICE.address}, not also {BOB.address}: tx intended signer does not match "
        "the given signer",
    ),
    (
        lambda app: sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], pubkey=b"\x04" * 33),
        "expected a 33-byte compressed secp256k1 key: invalid pubkey",
    ),
    (
        lambda app: sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], pubkey=BOB.public_key),
        f"the public key is not {ALICE.address}'s: invalid pubkey",
    ),
    (
        lambda app: rewrite(alice_sends(app), auth_fee={"payer": BOB.address}),
        f"the fee payer must be the tx's signer {ALICE.address}: invalid request",
    ),
    (
        lambda app: alice_sends(app, fee=1),
        f"got 1{DENOM}, required at least {FEE}{DENOM}: insufficient fee",
    ),
    (
        lambda app: sign_tx(STRANGER, CHAIN_ID, 0, 0, [send(STRANGER, BOB, 1)]),
        f"account {STRANGER.address} does not exist; fund it first: unauthorized",
    ),
    (
        lambda app: alice_sends(app, sequence=5),
        "account sequence mismatch, expected 0, got 5: incorrect account sequence",
    ),
    (
        lambda app: sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], omit_pubkey=True),
        "the account has no public key yet: its first tx must carry one: invalid pubkey",
    ),
]


@pytest.mark.parametrize(("make", "log"), REFUSALS)
def test_a_refusal_says_why(make: Callable[[App], bytes], log: str) -> None:
    app = new_app()
    assert refusal_log(app, make(app)) == log


def test_an_expired_tx_names_both_heights() -> None:
    app = new_app()
    expired = alice_sends(app, timeout_height=1)
    apply_block(app, [])
    assert refusal_log(app, expired) == "block height 2 is past the tx's timeout height 1: tx timeout height"


def out_of_gas_log(app: App, gas: int) -> str:
    return refusal_log(app, alice_sends(app, gas=gas, fee=gas))  # 4-digit gas: one tx size


def test_ante_gas_is_the_size_then_the_signature() -> None:
    app = new_app(make_genesis(auth_params=AuthParams(min_gas_price_numerator=0)))
    log = out_of_gas_log(app, 2_000)
    found = re.fullmatch(r"out of gas in location: tx size; gasWanted: 2000, gasUsed: (\d+): out of gas", log)
    assert found is not None, log
    size_cost = int(found[1])  # the params read, then 10 gas a byte
    assert size_cost > AuthParams().tx_size_cost_per_byte * 300
    assert "location: tx size;" in out_of_gas_log(app, size_cost - 1)
    short = size_cost + AuthParams().sig_verify_cost_secp256k1 - 1
    assert out_of_gas_log(app, short).startswith("out of gas in location: signature verification; ")


def test_without_a_fee_nothing_is_charged_but_a_simulation_pays_one_unit() -> None:
    app = new_app(make_genesis(auth_params=AuthParams(min_gas_price_numerator=0)))
    free = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], fee=0)
    assert balance_of(run_in_mode(app, free, Mode.DELIVER), FEE_COLLECTOR) == 0
    assert balance_of(run_in_mode(app, free, Mode.SIMULATE), FEE_COLLECTOR) == 1
    paid = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], fee=7)
    assert balance_of(run_in_mode(app, paid, Mode.SIMULATE), FEE_COLLECTOR) == 7


def test_a_gentx_is_signed_for_account_number_0() -> None:
    app = new_app()
    assert account_of(app, BOB).account_number != 0
    gentx = make_tx(BOB, CHAIN_ID, 0, 0, [send(BOB, ALICE, 1)])
    store = run_in_mode(app, gentx, Mode.GENESIS, BOB)
    assert AUTH.get_account(store, raw(BOB)) == Account(
        raw(BOB), account_of(app, BOB).account_number, 1, BOB.public_key
    )
    numbered = make_tx(BOB, CHAIN_ID, account_of(app, BOB).account_number, 0, [send(BOB, ALICE, 1)])
    with pytest.raises(InvalidTx) as caught:
        run_in_mode(app, numbered, Mode.GENESIS, BOB)
    assert caught.value.code == 4


def test_a_gentx_is_signed_for_the_account_sequence() -> None:
    app = new_app()
    assert_code(deliver(app, signed(app, BOB, [send(BOB, ALICE, 1)])), 0)
    # Amino JSON: its sign document names the sequence (a direct one has it in the auth info).
    gentx = make_tx(BOB, CHAIN_ID, 0, 1, [send(BOB, ALICE, 1)], mode=SignMode.LEGACY_AMINO_JSON)
    account = AUTH.get_account(run_in_mode(app, gentx, Mode.GENESIS, BOB), raw(BOB))
    assert account is not None and account.sequence == 2
