"""node.mempool: admission through the real application's CheckTx, limits,
reaping and the recheck after each block."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from genesis.schema import AuthGenesis, Balance, BankGenesis, CoinJSON, GenesisAccount, GenesisDoc, app_state
from node.client import build_tx
from node.keys.hd import PrivateKey
from node.mempool import Mempool, MempoolConfig
from tests.vm.helpers import block_request
from vm.app import App
from vm.bank.msgs import MsgSend
from vm.execute import TxResult
from vm.store.kv import MemoryKV
from vm.types import Coin

CHAIN_ID = "depin-mempool-1"
DENOM = "udepin"
GENESIS_TIME_NS = 1_704_067_200 * 10**9
GAS = 200_000
FEE = 2_000  # the minimum for GAS at the default gas price
ALICE, BOB, CAROL = (PrivateKey(bytes([n]) * 32) for n in (1, 2, 3))
ACCOUNTS = [ALICE, BOB, CAROL]

DUPLICATE, FULL, TOO_LARGE, WRONG_SEQUENCE, DECODE_ERROR = 19, 20, 21, 32, 2


def new_app() -> App:
    doc = GenesisDoc(
        genesis_time="2024-01-01T00:00:00Z",
        chain_id=CHAIN_ID,
        app_state=app_state(
            auth=AuthGenesis(
                accounts=[GenesisAccount(address=k.address, account_number=n) for n, k in enumerate(ACCOUNTS)]
            ),
            bank=BankGenesis(
                balances=[
                    Balance(address=k.address, coins=[CoinJSON(denom=DENOM, amount=10**12)]) for k in ACCOUNTS
                ]
            ),
        ),
    )
    app = App(MemoryKV())
    app.init_chain(doc, GENESIS_TIME_NS)
    return app


def tx(key: PrivateKey, sequence: int, amount: int = 1) -> bytes:
    """A signed send of ``amount`` to CAROL (or to ALICE, from CAROL)."""
    recipient = ALICE if key is CAROL else CAROL
    message = MsgSend(key.address, recipient.address, [Coin(DENOM, amount)])
    return build_tx(key, CHAIN_ID, ACCOUNTS.index(key), sequence, [message], [Coin(DENOM, FEE)], GAS)


def commit_block(app: App, mempool: Mempool, txs: list[bytes]) -> list[TxResult]:
    """Execute ``txs`` as the next block, commit it, and tell the mempool."""
    height = app.info()[0] + 1
    result = app.finalize_block(block_request(height, GENESIS_TIME_NS + height * 10**9, txs))
    app.commit()
    mempool.update(height, txs)
    return result.tx_results


@pytest.fixture
def app() -> App:
    return new_app()


@pytest.fixture
def mempool(app: App) -> Mempool:
    return Mempool(app, MempoolConfig())


def admit(mempool: Mempool, *txs: bytes) -> None:
    for raw in txs:
        result = mempool.check_tx(raw)
        assert result.code == 0, result.log


def rejects(mempool: Mempool, raw: bytes, code: int) -> TxResult:
    before = (mempool.size(), mempool.size_bytes())
    result = mempool.check_tx(raw)
    assert (result.codespace, result.code) == ("sdk", code), result.log
    assert (mempool.size(), mempool.size_bytes()) == before
    return result


# -- admission ------------------------------------------------------------------------


def test_admits_a_valid_tx(mempool: Mempool) -> None:
    raw = tx(ALICE, 0)
    result = mempool.check_tx(raw)
    assert result.code == 0
    assert result.gas_wanted == GAS
    assert mempool.size() == 1
    assert mempool.size_bytes() == len(raw)
    assert mempool.txs(10) == [raw]


def test_admits_in_sequence_order_per_account(mempool: Mempool) -> None:
    txs = [tx(ALICE, 0), tx(ALICE, 1), tx(ALICE, 2)]
    admit(mempool, *txs)
    assert mempool.txs(10) == txs


def test_accounts_are_independent(mempool: Mempool) -> None:
    txs = [tx(ALICE, 0), tx(BOB, 0), tx(ALICE, 1), tx(BOB, 1)]
    admit(mempool, *txs)
    assert mempool.txs(10) == txs


def test_invalid_sequence_gap(mempool: Mempool) -> None:
    admit(mempool, tx(ALICE, 0))
    rejects(mempool, tx(ALICE, 2), WRONG_SEQUENCE)


def test_invalid_sequence_already_pending(mempool: Mempool) -> None:
    admit(mempool, tx(ALICE, 0, amount=1))
    rejects(mempool, tx(ALICE, 0, amount=2), WRONG_SEQUENCE)


def test_rejected_tx_can_be_sent_again_once_valid(mempool: Mempool) -> None:
    early = tx(ALICE, 1)
    rejects(mempool, early, WRONG_SEQUENCE)
    admit(mempool, tx(ALICE, 0), early)


def test_invalid_duplicate(mempool: Mempool) -> None:
    raw = tx(ALICE, 0)
    admit(mempool, raw)
    result = rejects(mempool, raw, DUPLICATE)
    assert "already in mempool" in result.log


def test_invalid_duplicate_of_a_committed_tx(app: App, mempool: Mempool) -> None:
    raw = tx(ALICE, 0)
    admit(mempool, raw)
    commit_block(app, mempool, [raw])
    rejects(mempool, raw, DUPLICATE)


def test_invalid_undecodable(mempool: Mempool) -> None:
    rejects(mempool, b"\x00not a tx", DECODE_ERROR)


def test_invalid_full_by_count(app: App) -> None:
    mempool = Mempool(app, MempoolConfig(size=2))
    admit(mempool, tx(ALICE, 0), tx(BOB, 0))
    result = rejects(mempool, tx(CAROL, 0), FULL)
    assert "mempool is full" in result.log


def test_invalid_full_by_bytes(app: App) -> None:
    first, second = tx(ALICE, 0), tx(BOB, 0)
    mempool = Mempool(app, MempoolConfig(max_txs_bytes=len(first) + len(second) - 1))
    admit(mempool, first)
    rejects(mempool, second, FULL)


def test_full_mempool_does_not_advance_the_sequence(app: App) -> None:
    mempool = Mempool(app, MempoolConfig(size=1))
    first, second = tx(ALICE, 0), tx(BOB, 0)
    admit(mempool, first)
    rejects(mempool, second, FULL)
    commit_block(app, mempool, [first])
    admit(mempool, second)  # not remembered as a duplicate, still sequence 0


def test_invalid_oversize(app: App) -> None:
    raw = tx(ALICE, 0)
    mempool = Mempool(app, MempoolConfig(max_tx_bytes=len(raw) - 1))
    result = rejects(mempool, raw, TOO_LARGE)
    assert "tx too large" in result.log


def test_tx_at_the_size_limit(app: App) -> None:
    raw = tx(ALICE, 0)
    admit(Mempool(app, MempoolConfig(max_tx_bytes=len(raw))), raw)


# -- reaping ------------------------------------------------------------------------------


def test_reap_in_arrival_order(mempool: Mempool) -> None:
    txs = [tx(BOB, 0), tx(ALICE, 0), tx(BOB, 1)]
    admit(mempool, *txs)
    assert mempool.reap(10**6, -1) == txs
    assert mempool.size() == 3  # reaping removes nothing


def test_reap_respects_max_bytes(mempool: Mempool) -> None:
    txs = [tx(ALICE, 0), tx(ALICE, 1), tx(ALICE, 2)]
    admit(mempool, *txs)
    two = len(txs[0]) + len(txs[1])
    assert mempool.reap(two, -1) == txs[:2]
    assert mempool.reap(two - 1, -1) == txs[:1]
    assert mempool.reap(0, -1) == []


def test_reap_respects_max_gas(mempool: Mempool) -> None:
    txs = [tx(ALICE, 0), tx(ALICE, 1), tx(ALICE, 2)]
    admit(mempool, *txs)
    assert mempool.reap(10**6, 2 * GAS) == txs[:2]
    assert mempool.reap(10**6, 2 * GAS - 1) == txs[:1]
    assert mempool.reap(10**6, 0) == []
    assert mempool.reap(10**6, -1) == txs


def test_reap_skips_the_later_txs_of_a_sender_whose_tx_does_not_fit(mempool: Mempool) -> None:
    # Taking ALICE's later sequence without the earlier one would fail it in the block.
    big = tx(ALICE, 0, amount=10**9)
    small = tx(ALICE, 1)
    admit(mempool, big, small)
    assert mempool.reap(len(big) - 1, -1) == []


def test_reap_goes_on_past_a_tx_that_does_not_fit(mempool: Mempool) -> None:
    """One large tx cannot keep the others out of blocks."""
    greedy = build_tx(
        ALICE,
        CHAIN_ID,
        0,
        0,
        [MsgSend(ALICE.address, CAROL.address, [Coin(DENOM, 1)])],
        [Coin(DENOM, 10 * FEE)],
        10 * GAS,
    )
    others = [tx(BOB, 0), tx(CAROL, 0), tx(BOB, 1)]
    admit(mempool, greedy, *others)
    assert mempool.reap(10**6, 4 * GAS) == others
    assert mempool.reap(10**6, -1) == [greedy, *others]


# -- after a block --------------------------------------------------------------------------


def test_update_removes_included_txs(app: App, mempool: Mempool) -> None:
    a0, a1, b0 = tx(ALICE, 0), tx(ALICE, 1), tx(BOB, 0)
    admit(mempool, a0, a1, b0)
    results = commit_block(app, mempool, [a0, b0])
    assert [r.code for r in results] == [0, 0]
    assert mempool.txs(10) == [a1]
    assert mempool.size_bytes() == len(a1)


def test_update_keeps_check_state_in_step(app: App, mempool: Mempool) -> None:
    a0, a1 = tx(ALICE, 0), tx(ALICE, 1)
    admit(mempool, a0, a1)
    commit_block(app, mempool, [a0])
    admit(mempool, tx(ALICE, 2))  # a1 was rechecked onto the new state
    rejects(mempool, tx(ALICE, 1, amount=5), WRONG_SEQUENCE)


def test_update_drops_txs_the_block_made_invalid(app: App, mempool: Mempool) -> None:
    pending, later = tx(ALICE, 0, amount=1), tx(ALICE, 1)
    admit(mempool, pending, later)
    from_elsewhere = tx(ALICE, 0, amount=2)  # same sequence, reached the block first
    commit_block(app, mempool, [from_elsewhere])
    assert mempool.txs(10) == [later]
    assert mempool.size_bytes() == len(later)
    rejects(mempool, pending, WRONG_SEQUENCE)  # dropped, not remembered as a duplicate


def test_update_with_unknown_txs(app: App, mempool: Mempool) -> None:
    mine = tx(BOB, 0)
    admit(mempool, mine)
    commit_block(app, mempool, [tx(ALICE, 0)])
    assert mempool.txs(10) == [mine]


def test_update_of_an_empty_block(app: App, mempool: Mempool) -> None:
    txs = [tx(ALICE, 0), tx(ALICE, 1)]
    admit(mempool, *txs)
    commit_block(app, mempool, [])
    assert mempool.txs(10) == txs


def test_txs_limit(mempool: Mempool) -> None:
    txs = [tx(ALICE, 0), tx(ALICE, 1), tx(ALICE, 2)]
    admit(mempool, *txs)
    assert mempool.txs(2) == txs[:2]
    assert mempool.txs(0) == []


# -- waiting ------------------------------------------------------------------------------------


async def test_wait_for_txs_returns_when_a_tx_arrives(mempool: Mempool) -> None:
    woke = trio.Event()

    async def waiter() -> None:
        await mempool.wait_for_txs()
        woke.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await trio.testing.wait_all_tasks_blocked()
        assert not woke.is_set()
        rejects(mempool, tx(ALICE, 5), WRONG_SEQUENCE)  # a rejected tx wakes no one
        await trio.testing.wait_all_tasks_blocked()
        assert not woke.is_set()
        admit(mempool, tx(ALICE, 0))
        with trio.fail_after(1):
            await woke.wait()


async def test_wait_for_txs_returns_at_once_when_not_empty(mempool: Mempool) -> None:
    admit(mempool, tx(ALICE, 0))
    with trio.fail_after(1):
        await mempool.wait_for_txs()


async def test_wait_for_txs_waits_again_once_emptied(
    app: App, mempool: Mempool, autojump_clock: trio.abc.Clock
) -> None:
    raw = tx(ALICE, 0)
    admit(mempool, raw)
    commit_block(app, mempool, [raw])
    with trio.move_on_after(60) as scope:
        await mempool.wait_for_txs()
    assert scope.cancelled_caught
