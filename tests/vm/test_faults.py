"""Failures that are not the transaction's fault stop the node instead of becoming a
tx result that only this node would commit; limits come from consensus params."""

from __future__ import annotations

import base64
import hashlib

import msgspec
import pytest

from genesis.schema import BlockParams, ConsensusParams, GenesisValidator
from tests.vm.faucet import MsgMisbehave, registry_with_faucet
from tests.vm.helpers import (
    ALICE,
    BANK,
    BOB,
    FUNDS,
    GENESIS_TIME_NS,
    PROPOSER,
    apply_block,
    assert_code,
    balance,
    block_request,
    make_genesis,
    new_app,
    raw,
    send,
    signed,
)
from vm.app import App
from vm.block import ValidatorUpdate
from vm.consensus_params.msgs import MsgUpdateParams
from vm.context import Context
from vm.errors import NodeFault
from vm.gas import GasMeter
from vm.modules import AUTHORITY
from vm.state import VALUE_PREFIX
from vm.store.cache import CacheStore
from vm.store.kv import MemoryKV, StorageFailure
from vm.types import format_address


class FlakyKV(MemoryKV):
    """A store whose reads of keys under ``failing`` raise, as a failing disk would."""

    failing: bytes | None = None

    def get(self, key: bytes) -> bytes | None:
        if self.failing is not None and key.startswith(self.failing):
            raise StorageFailure("I/O error")
        return super().get(key)


def test_storage_failure_in_a_handler_stops_the_node_and_changes_nothing() -> None:
    kv = FlakyKV()
    app = new_app(kv=kv)
    tx = signed(app, ALICE, [send(ALICE, BOB, 5)])
    before = app.info()
    kv.failing = VALUE_PREFIX + BANK.balance_key(raw(BOB), "udepin")  # read by the send, not the ante
    with pytest.raises(NodeFault, match="StorageFailure"):
        app.finalize_block(block_request(1, GENESIS_TIME_NS + 10**9, [tx]))
    assert app.info() == before
    kv.failing = None
    assert_code(apply_block(app, [tx]).tx_results[0], 0)  # after a restart the block executes
    assert balance(app, BOB) == FUNDS + 5


def test_recursion_error_is_a_node_fault() -> None:
    app = new_app(registry=registry_with_faucet())
    before = app.info()
    tx = signed(app, ALICE, [MsgMisbehave(ALICE.address, "recursion")])
    with pytest.raises(NodeFault, match="RecursionError"):
        app.finalize_block(block_request(1, GENESIS_TIME_NS + 10**9, [tx]))
    assert app.info() == before


def test_a_handler_bug_fails_the_tx_alike_on_every_node() -> None:
    app = new_app(registry=registry_with_faucet())
    result = apply_block(app, [signed(app, ALICE, [MsgMisbehave(ALICE.address, "bug")])]).tx_results[0]
    assert_code(result, 111222)
    assert result.log == "KeyError: panic"


# -- consensus-critical limits are consensus params ------------------------------------------------


def test_max_tx_bytes_comes_from_consensus_params() -> None:
    doc = make_genesis()
    small = ConsensusParams(block=BlockParams(max_tx_bytes=400))
    app = new_app(msgspec.structs.replace(doc, consensus_params=small))
    tx = signed(app, ALICE, [send(ALICE, BOB, 1)], memo="m" * 200)
    assert len(tx) > 400
    assert_code(app.check_tx(tx), 21)
    assert_code(apply_block(app, [tx]).tx_results[0], 21)  # the same verdict in a block
    fits = signed(app, ALICE, [send(ALICE, BOB, 1)])
    assert_code(apply_block(app, [fits]).tx_results[0], 0)


def test_consensus_params_change_through_the_authority_from_the_next_block() -> None:
    app = new_app()
    assert app.consensus_params().block.max_gas == ConsensusParams().block.max_gas
    store = CacheStore(app.state.values)
    changed = ConsensusParams(block=BlockParams(max_gas=500_000))
    ctx = Context(store, app.next_env(), GasMeter(10**9))
    app.registry.route(ctx, MsgUpdateParams(format_address(AUTHORITY), changed))
    assert app.consensus_params().block.max_gas != 500_000  # committed state is unchanged
    user = MsgUpdateParams(ALICE.address, changed)
    assert_code(apply_block(app, [signed(app, ALICE, [user])]).tx_results[0], 4)


# -- a tx that can never fit a block ----------------------------------------------------------------


def test_invalid_gas_above_the_block_max_gas_at_check_tx() -> None:
    doc = msgspec.structs.replace(
        make_genesis(), consensus_params=ConsensusParams(block=BlockParams(max_gas=1_000_000))
    )
    app = new_app(doc)
    greedy = signed(app, ALICE, [send(ALICE, BOB, 1)], gas=1_000_001, fee=10_001)
    result = app.check_tx(greedy)
    assert_code(result, 41)
    assert "greater than the block's max gas 1000000" in result.log
    assert_code(app.check_tx(signed(app, ALICE, [send(ALICE, BOB, 1)], gas=1_000_000, fee=10_000)), 0)


def test_prepare_proposal_skips_a_tx_that_does_not_fit_and_goes_on() -> None:
    app = new_app()
    big = signed(app, ALICE, [send(ALICE, BOB, 1)], gas=900_000, fee=9_000)
    after_big = signed(app, ALICE, [send(ALICE, BOB, 1)], sequence=1)  # cannot go without ``big``
    small = signed(app, BOB, [send(BOB, ALICE, 1)])
    chosen = app.prepare_proposal([big, after_big, small], 1 << 20, 500_000, PROPOSER)
    assert chosen == [small]


def test_init_chain_takes_the_validators_from_genesis() -> None:
    key = bytes(range(32))
    validator = GenesisValidator(
        address=hashlib.sha256(key).digest()[:20].hex().upper(),
        pub_key=base64.b64encode(key).decode(),
        power=7,
    )
    doc = msgspec.structs.replace(make_genesis(), validators=[validator])
    assert App(MemoryKV()).init_chain(doc, GENESIS_TIME_NS).validators == [ValidatorUpdate(key, 7)]
