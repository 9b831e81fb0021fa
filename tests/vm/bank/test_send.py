"""bank MsgSend (vm.bank.handlers.handle_send) and the supply invariant."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis.schema import BankParams
from tests.vm.helpers import (
    ALICE,
    BANK,
    BOB,
    CAROL,
    DAVE,
    DENOM,
    FEE,
    FUNDS,
    POOL,
    account,
    account_of,
    apply_block,
    assert_code,
    balance,
    deliver,
    events_of,
    make_genesis,
    new_app,
    pool_balance,
    raw,
    section,
    send,
    sequence,
    signed,
    supply,
    with_app_state,
)
from vm.app import App
from vm.auth.ante import FEE_COLLECTOR
from vm.bank.msgs import Input, MsgMultiSend, Output
from vm.errors import InvalidTx
from vm.msg import Msg
from vm.store.cache import CacheStore
from vm.types import Address, Coin, format_address

ATOM = "uatom"


def test_send_moves_balances() -> None:
    # pre-state: Alice and Bob hold FUNDS each
    app = new_app()
    # operation: Alice sends 1234 to Bob
    result = deliver(app, signed(app, ALICE, [send(ALICE, BOB, 1234)]))
    # post-state
    assert_code(result, 0)
    assert balance(app, ALICE) == FUNDS - 1234 - FEE
    assert balance(app, BOB) == FUNDS + 1234
    assert supply(app) == 3 * FUNDS


def test_send_emits_message_and_transfer_events() -> None:
    app = new_app()
    result = deliver(app, signed(app, ALICE, [send(ALICE, BOB, 1234)]))
    events = result.events
    assert events_of(events, "tx") == [{"fee": f"{FEE}{DENOM}", "fee_payer": ALICE.address}]
    assert events_of(events, "message") == [
        {"action": "/cosmos.bank.v1beta1.MsgSend", "sender": ALICE.address, "module": "bank"}
    ]
    assert events_of(events, "transfer") == [
        {"recipient": BOB.address, "sender": ALICE.address, "amount": f"1234{DENOM}"}
    ]


def test_send_to_a_new_address_creates_its_account() -> None:
    app = new_app()
    assert account(app, DAVE) is None
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, DAVE, 5)])), 0)
    created = account(app, DAVE)
    assert created is not None
    assert (created.sequence, created.pubkey) == (0, b"")
    numbers = {account_of(app, k).account_number for k in (ALICE, BOB, CAROL, DAVE)}
    assert len(numbers) == 4
    assert balance(app, DAVE) == 5


def test_send_several_denoms() -> None:
    app = new_app(make_genesis({ALICE: [Coin(ATOM, 100), Coin(DENOM, FUNDS)], BOB: FUNDS}))
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, BOB, [Coin(ATOM, 40), Coin(DENOM, 60)])])), 0)
    assert (balance(app, ALICE, ATOM), balance(app, BOB, ATOM)) == (60, 40)
    assert balance(app, BOB) == FUNDS + 60


def test_send_whole_balance_removes_the_entry() -> None:
    app = new_app(make_genesis({ALICE: [Coin(ATOM, 100), Coin(DENOM, FUNDS)], BOB: FUNDS}))
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, BOB, [Coin(ATOM, 100)])])), 0)
    assert app.state.values.get(BANK.balance_key(raw(ALICE), ATOM)) is None
    assert [c.denom for c in BANK.get_all_balances(app.state.values, raw(ALICE))] == [DENOM]


def test_send_to_self_changes_nothing_but_the_fee() -> None:
    app = new_app()
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, ALICE, 500)])), 0)
    assert balance(app, ALICE) == FUNDS - FEE


def test_invalid_send_insufficient_funds() -> None:
    app = new_app()
    result = deliver(app, signed(app, ALICE, [send(ALICE, BOB, FUNDS)]))  # the fee came first
    assert_code(result, 5)
    assert balance(app, BOB) == FUNDS
    assert sequence(app, ALICE) == 1


def test_invalid_send_denom_not_held() -> None:
    app = new_app()
    assert_code(deliver(app, signed(app, ALICE, [send(ALICE, BOB, [Coin(ATOM, 1)])])), 5)


@pytest.mark.parametrize(
    ("module", "name"), [(FEE_COLLECTOR, "fee collector"), (POOL, "provider pool")], ids=["fees", "pool"]
)
def test_invalid_send_to_module_account(module: Address, name: str) -> None:
    app = new_app()
    result = deliver(app, signed(app, ALICE, [send(ALICE, format_address(module), 5)]))
    assert_code(result, 4)
    assert "module account" in result.log
    assert balance(app, module, DENOM) in (0, FEE)  # only fees, never the send


@pytest.mark.parametrize(
    "amount",
    [
        [],
        [Coin(DENOM, 0)],
        [Coin("x", 5)],
        [Coin("1abc", 5)],
        [Coin(DENOM, 5), Coin(ATOM, 5)],  # not sorted
        [Coin(DENOM, 5), Coin(DENOM, 5)],  # duplicate
    ],
    ids=["empty", "zero", "short-denom", "digit-denom", "unsorted", "duplicate"],
)
def test_invalid_send_coins(amount: list[Coin]) -> None:
    app = new_app()
    result = app.check_tx(signed(app, ALICE, [send(ALICE, BOB, amount)]))
    assert_code(result, 10)


def test_invalid_send_recipient_address() -> None:
    app = new_app()
    bad = msgspec.structs.replace(
        send(ALICE, BOB, 5), to_address="cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"
    )
    assert_code(app.check_tx(signed(app, ALICE, [bad])), 7)


def test_invalid_send_when_disabled() -> None:
    doc = make_genesis()
    bank = msgspec.structs.replace(section(doc, "bank"), params=BankParams(default_send_enabled=False))
    doc = with_app_state(doc, bank=bank)
    app = new_app(doc)
    result = deliver(app, signed(app, ALICE, [send(ALICE, BOB, 5)]))
    assert_code(result, 18)
    assert balance(app, ALICE) == FUNDS - FEE  # fees are still collected
    assert balance(app, BOB) == FUNDS


def test_invalid_balance_overflow() -> None:
    app = new_app(make_genesis({ALICE: FUNDS}))
    with pytest.raises(InvalidTx) as caught:
        BANK.init_balance(CacheStore(app.state.values), raw(ALICE), [Coin(DENOM, 2**63 - FUNDS)])
    assert caught.value.code == 10


# -- the supply invariant -------------------------------------------------------------------

HOLDERS = [ALICE, BOB, CAROL, DAVE]


def assert_supply_invariant(app: App) -> None:
    """Sum of all balances == total supply, per denom."""
    totals: dict[str, int] = {}
    for _, coin in BANK.iterate_balances(app.state.values):
        totals[coin.denom] = totals.get(coin.denom, 0) + coin.amount
    assert totals == {c.denom: c.amount for c in BANK.get_total_supply(app.state.values)}


operation = st.tuples(
    st.integers(0, 3),  # sender
    st.lists(st.integers(0, 3), min_size=1, max_size=3),  # recipients (several: a multi-send)
    st.integers(1, 4_000),  # amount per recipient, sometimes more than the sender holds
    st.sampled_from([DENOM, ATOM]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=12))
def test_supply_invariant_after_random_sends(ops: list[tuple[int, list[int], int, str]]) -> None:
    funds = {k: [Coin(ATOM, 5_000), Coin(DENOM, 20_000)] for k in HOLDERS}
    app = new_app(make_genesis(funds))
    genesis_supply = {ATOM: supply(app, ATOM), DENOM: supply(app, DENOM)}
    block: list[bytes] = []
    senders: set[int] = set()
    for sender, recipients, amount, denom in ops:
        if sender in senders:  # one tx per sender per block keeps sequences simple
            apply_block(app, block)
            assert_supply_invariant(app)
            block, senders = [], set()
        key = HOLDERS[sender]
        if len(recipients) == 1:
            msg: Msg = send(key, HOLDERS[recipients[0]], [Coin(denom, amount)])
        else:
            outputs = [Output(HOLDERS[r].address, [Coin(denom, amount)]) for r in recipients]
            msg = MsgMultiSend([Input(key.address, [Coin(denom, amount * len(recipients))])], outputs)
        block.append(signed(app, key, [msg]))
        senders.add(sender)
    apply_block(app, block)
    assert_supply_invariant(app)
    assert {ATOM: supply(app, ATOM), DENOM: supply(app, DENOM)} == genesis_supply
    assert pool_balance(app) == 0
