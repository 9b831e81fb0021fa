"""The randomness beacon: proposers' hash onions, checked entries, and a value that
moves every block and is the same on every node."""

from __future__ import annotations

import pytest

from node.beacon import ValidatorOnions
from tests.vm.helpers import (
    ALICE,
    BOB,
    apply_block,
    assert_code,
    block_request,
    clone,
    events_of,
    new_app,
    send,
    signed,
)
from vm.app import App
from vm.beacon.keeper import ENTRY_MARKER, Entry, decode_entry, encode_entry, genesis_value, mix, skip
from vm.beacon.onion import CHECKPOINT_EVERY, Onion, step, walk

VALIDATOR = ValidatorOnions(bytes([7]) * 32, "depin-test-1")
OTHER = ValidatorOnions(bytes([8]) * 32, "depin-test-1")


def propose(app: App, proposer: ValidatorOnions, txs: list[bytes] | None = None) -> list[bytes]:
    """What ``proposer``'s node would put in its next block (the app asks it for its entry)."""
    app.beacon_source = proposer
    try:
        return app.prepare_proposal(txs or [], 1 << 20, -1, proposer.address)
    finally:
        app.beacon_source = None


def run(app: App, proposer: ValidatorOnions, txs: list[bytes] | None = None) -> bytes:
    block = propose(app, proposer, txs)
    assert app.process_proposal(block, 1 << 20, -1, proposer.address)
    apply_block(app, block, proposer=proposer.address)
    return app.beacon.value(app.state.values)


def test_onion_layers_chain_back_to_the_tip() -> None:
    onion = Onion(b"seed" * 8, length=3 * CHECKPOINT_EVERY)
    assert onion.tip() == walk(b"seed" * 8, 3 * CHECKPOINT_EVERY)
    for depth in (1, CHECKPOINT_EVERY, CHECKPOINT_EVERY + 1, 3 * CHECKPOINT_EVERY):
        assert step(onion.layer(depth - 1)) == onion.layer(depth)
    with pytest.raises(ValueError, match="outside the onion"):
        onion.layer(3 * CHECKPOINT_EVERY + 1)


def test_first_proposal_commits_then_each_proposal_reveals() -> None:
    app = new_app()
    start = app.beacon.value(app.state.values)
    assert start == genesis_value("depin-test-1")
    first = propose(app, VALIDATOR)
    entry = decode_entry(first[0])
    assert entry is not None and entry.reveal == b"" and len(entry.commitment) == 32
    assert run(app, VALIDATOR) == skip(start, 1)  # a commitment adds nothing a proposer chose
    onion = app.beacon.onion(app.state.values, VALIDATOR.address)
    assert onion is not None
    second = decode_entry(propose(app, VALIDATOR)[0])
    assert second is not None and step(second.reveal) == onion.tip
    value = run(app, VALIDATOR)
    assert value == mix(skip(start, 1), second.reveal)
    assert app.beacon.onion(app.state.values, VALIDATOR.address).remaining == onion.remaining - 1  # type: ignore[union-attr]


def test_the_entry_comes_first_and_txs_follow() -> None:
    app = new_app()
    tx = signed(app, ALICE, [send(ALICE, BOB, 1)])
    block = propose(app, VALIDATOR, [tx])
    assert block[1:] == [tx] and block[0].startswith(ENTRY_MARKER)
    result = app.finalize_block(block_request(1, 10**18, block, VALIDATOR.address))
    entry_result, tx_result = result.tx_results
    assert events_of(entry_result.events, "beacon")[0]["action"] == "commit"
    assert_code(tx_result, 0)


def test_every_node_reaches_the_same_beacon() -> None:
    nodes = [new_app() for _ in range(3)]
    for proposer in (VALIDATOR, OTHER, VALIDATOR, OTHER, VALIDATOR):
        block = propose(nodes[0], proposer)
        assert all(n.process_proposal(block, 1 << 20, -1, proposer.address) for n in nodes)
        hashes = {apply_block(n, block, proposer=proposer.address).app_hash for n in nodes}
        assert len(hashes) == 1
    assert len({n.beacon.value(n.state.values) for n in nodes}) == 1


def test_a_restarted_validator_gives_the_same_reveal() -> None:
    app = new_app()
    run(app, VALIDATOR)
    again = ValidatorOnions(bytes([7]) * 32, "depin-test-1")
    assert propose(app, again) == propose(app, VALIDATOR)


def owing_app() -> App:
    """VALIDATOR has committed an onion and owes its next reveal."""
    app = new_app()
    run(app, VALIDATOR)
    return app


def test_invalid_block_without_the_reveal_its_proposer_owes() -> None:
    app = owing_app()
    assert not app.process_proposal([], 1 << 20, -1, VALIDATOR.address)
    assert app.process_proposal([], 1 << 20, -1, OTHER.address)  # OTHER owes nothing yet


def test_invalid_reveal_that_does_not_open_the_onion() -> None:
    app = owing_app()
    forged = encode_entry(Entry(b"\x01" * 32, b""))
    assert not app.process_proposal([forged], 1 << 20, -1, VALIDATOR.address)


def test_invalid_entry_after_the_first_tx() -> None:
    app = owing_app()
    block = propose(app, VALIDATOR)
    tx = signed(app, ALICE, [send(ALICE, BOB, 1)])
    assert not app.process_proposal([tx, *block], 1 << 20, -1, VALIDATOR.address)
    assert not app.process_proposal([*block, *block], 1 << 20, -1, VALIDATOR.address)


def test_invalid_reveal_by_a_proposer_without_an_onion() -> None:
    app = owing_app()
    block = propose(app, VALIDATOR)
    assert not app.process_proposal(block, 1 << 20, -1, OTHER.address)


def test_invalid_new_commitment_while_the_onion_lasts() -> None:
    app = owing_app()
    assert not app.process_proposal([encode_entry(Entry(b"", b"\x02" * 32))], 1 << 20, -1, VALIDATOR.address)


def test_invalid_malformed_entry() -> None:
    app = new_app()
    assert not app.process_proposal([ENTRY_MARKER + b"short"], 1 << 20, -1, OTHER.address)


def test_a_decided_block_with_a_bad_entry_fails_it_and_skips() -> None:
    """Blocks synced from peers are not re-checked by process_proposal: a bad entry fails
    deterministically and the beacon moves as if there were none."""
    app = owing_app()
    twin = clone(app)
    forged = encode_entry(Entry(b"\x01" * 32, b""))
    result = apply_block(app, [forged], proposer=VALIDATOR.address)
    assert result.tx_results[0].code != 0
    assert result.app_hash == apply_block(twin, [], proposer=VALIDATOR.address).app_hash


def test_users_cannot_submit_entries() -> None:
    app = new_app()
    entry = propose(app, VALIDATOR)[0]
    assert_code(app.check_tx(entry), 2)
    assert decode_entry(b"x" * len(entry)) is None
