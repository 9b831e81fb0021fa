"""The market's tallies of offers, orders and leases by state, kept where the records are
written, and ``/market/summary``: the tallies and a page of GPU classes with their reference
prices. Genesis rebuilds the tallies from the records; the ``records-tallied`` invariant
recounts them."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.schema import GenesisDoc
from tests.vm.helpers import ALICE, BOB, CAROL, GENESIS_TIME, committed_values, new_app
from tests.vm.market.helpers import BLOCK_NS, H100, L4, PRICE, Market, gpu_spec, offer_msg, order_msg
from vm.errors import InvalidTx
from vm.market.msgs import MsgAcceptLease, MsgCancelOrder, MsgCloseLease, MsgCloseOffer, MsgUpdateOffer
from vm.market.types import OfferState, OrderState
from vm.store.kv import prefix_end

PREFIX = b"market/"


def ask(market: Market, request: dict[str, Any] | None = None) -> Any:
    return market.registry.query("/market/summary", market.store, request or {})


def tallies(market: Market) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    answer = ask(market)
    return answer["offers"], answer["orders"], answer["leases"]


def offers(active: int = 0, paused: int = 0, closed: int = 0) -> dict[str, int]:
    return {"active": active, "paused": paused, "closed": closed}


def orders(open_: int = 0, matched: int = 0, cancelled: int = 0, expired: int = 0) -> dict[str, int]:
    return {"open": open_, "matched": matched, "cancelled": cancelled, "expired": expired}


def leases(pending: int = 0, active: int = 0, closed: int = 0) -> dict[str, int]:
    return {"pending": pending, "active": active, "closed": closed}


def pause(offer_id: int) -> MsgUpdateOffer:
    return MsgUpdateOffer(ALICE.address, offer_id, None, 0, 0, 0, [], True, False)


def busy() -> Market:
    """Offers active, paused and closed; orders matched, cancelled and expired; leases active
    and closed: the states ``test_the_tallies_follow_every_state_change`` walks through."""
    market = Market()
    market.register(ALICE, gpu_spec(H100, 8), gpu_spec(L4, 2))
    market.block(offer_msg(ALICE, 2), offer_msg(ALICE, 1, gpu_class=L4), offer_msg(ALICE, 1, PRICE * 2))
    expiry = market.time_ns + 2 * BLOCK_NS
    market.block(
        pause(2),
        MsgCloseOffer(ALICE.address, 3),
        order_msg(BOB),  # matched: lease 1
        order_msg(CAROL),  # matched: lease 2
        order_msg(BOB, max_price=PRICE // 2),  # open: too cheap
        order_msg(CAROL, max_price=PRICE // 2, expires_ns=expiry),
    )
    market.block(
        MsgAcceptLease(ALICE.address, 1), MsgCloseLease(CAROL.address, 2), MsgCancelOrder(BOB.address, 3)
    )
    market.blocks(2)  # order 4 expires
    return market


def test_the_tallies_follow_every_state_change() -> None:
    market = Market()
    market.register(ALICE, gpu_spec(H100, 8), gpu_spec(L4, 2))
    assert tallies(market) == (offers(), orders(), leases())
    market.block(offer_msg(ALICE, 2), offer_msg(ALICE, 1, gpu_class=L4), offer_msg(ALICE, 1, PRICE * 2))
    assert tallies(market) == (offers(active=3), orders(), leases())
    expiry = market.time_ns + 2 * BLOCK_NS
    market.block(
        pause(2),
        MsgCloseOffer(ALICE.address, 3),
        order_msg(BOB),
        order_msg(CAROL),
        order_msg(BOB, max_price=PRICE // 2),
        order_msg(CAROL, max_price=PRICE // 2, expires_ns=expiry),
    )
    assert tallies(market) == (offers(1, 1, 1), orders(open_=2, matched=2), leases(pending=2))
    market.block(
        MsgAcceptLease(ALICE.address, 1), MsgCloseLease(CAROL.address, 2), MsgCancelOrder(BOB.address, 3)
    )
    assert tallies(market) == (offers(1, 1, 1), orders(1, 2, 1), leases(active=1, closed=1))
    market.blocks(2)
    assert market.order(4).state == OrderState.EXPIRED
    assert tallies(market) == (offers(1, 1, 1), orders(0, 2, 1, 1), leases(active=1, closed=1))
    assert market.broken() == []


def test_the_summary_pages_the_classes_with_their_reference_prices() -> None:
    market = busy()
    keeper = market.keeper
    first = ask(market, {"limit": 1})
    h100 = {"model": H100.model, "memory_mib": H100.memory_mib, "compute_capability": H100.compute_capability}
    reference = keeper.reference_price(market.store, H100.key())
    assert first["classes"] == [{"gpu_class": h100, "offered": 2, "leased": 1, "reference_price": reference}]
    assert first["next_key"] is None  # the paused L4 offer puts no GPU on offer: no L4 class
    market.block(MsgUpdateOffer(ALICE.address, 2, None, 0, 0, 0, [], False, True))  # resumed
    first = ask(market, {"limit": 1})
    assert first["next_key"] == L4.key().hex()
    second = ask(market, {"limit": 1, "next_key": first["next_key"]})
    assert [c["gpu_class"]["model"] for c in second["classes"]] == [L4.model]
    assert second["classes"][0]["offered"] == 1 and second["next_key"] is None
    assert ask(market)["classes"] == first["classes"] + second["classes"]


def test_genesis_rebuilds_the_tallies_from_the_records() -> None:
    market = busy()
    _, app_state = market.registry.export_genesis(market.store)
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME, chain_id="depin-test-1", initial_height=market.height, app_state=app_state
    )
    imported = new_app(msgspec.json.decode(msgspec.json.encode(doc), type=GenesisDoc))
    values = {k: v for k, v in committed_values(imported).items() if k.startswith(PREFIX)}
    assert values == dict(market.store.iterate(PREFIX, prefix_end(PREFIX)))
    assert any(key.startswith(PREFIX + b"tally/") for key in values)
    assert imported.registry.query("/market/summary", imported.state.values, {}) == ask(market)


def test_invalid_tally_breaks_the_invariant() -> None:
    market = busy()
    key = PREFIX + b"tally/offer/" + bytes([OfferState.PAUSED])
    assert market.store.get(key) == (1).to_bytes(8, "big")
    market.store.set(key, (2).to_bytes(8, "big"))
    assert [problem for problem in market.broken() if problem.startswith("market/records-tallied")]
    market.store.set(key, (1).to_bytes(8, "big"))
    assert market.broken() == []


@pytest.mark.parametrize(("request_", "expected"), [({"next_key": "xyz"}, 18), ({"limit": 101}, 18)])
def test_invalid_summary_query(request_: dict[str, Any], expected: int) -> None:
    with pytest.raises(InvalidTx) as caught:
        ask(busy(), request_)
    assert caught.value.code == expected
