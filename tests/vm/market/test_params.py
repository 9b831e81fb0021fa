"""MsgUpdateParams: only the authority replaces the market params, invalid params are refused
(by the message's checks, or already by its decoding), and a changed take rate applies to the
leases matched after the change while open leases keep the rate they were matched at."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from protos.depind.market.v1 import tx_pb2
from tests.vm.helpers import ALICE, BOB, CAROL
from tests.vm.market.helpers import HOUR, PARAMS, PRICE, Market, market_with_offer, order_msg
from vm.codec import codec_for, pack
from vm.errors import InvalidTx
from vm.market.msgs import MsgAcceptLease, MsgCancelOrder, MsgUpdateParams, MsgWithdrawLease
from vm.market.types import CloseReason
from vm.modules import AUTHORITY
from vm.types import format_address

AUTHORITY_ADDRESS = format_address(AUTHORITY)


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


def update(**fields: Any) -> MsgUpdateParams:
    return MsgUpdateParams(AUTHORITY_ADDRESS, msgspec.structs.replace(PARAMS, **fields))


def take(earned: int, rate_bps: int) -> int:
    return earned * rate_bps // 10_000


def test_update_params_by_the_authority() -> None:
    market = Market()
    market.block(update(take_rate_bps=800, max_matches_per_block=7))
    assert market.keeper.get_params(market.store) == msgspec.structs.replace(
        PARAMS, take_rate_bps=800, max_matches_per_block=7
    )
    answered = market.registry.params(market.store, "market")["market"]
    assert (answered["take_rate_bps"], answered["max_matches_per_block"]) == (800, 7)


def test_invalid_update_params_by_another_signer() -> None:
    market = Market()
    error = market.fails(MsgUpdateParams(ALICE.address, msgspec.structs.replace(PARAMS, take_rate_bps=800)))
    assert code(error) == ("sdk", 4)
    assert AUTHORITY_ADDRESS in error.log
    assert market.keeper.get_params(market.store) == PARAMS


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"denom": "Not a denom"}, ("sdk", 10)),
        ({"min_duration_s": 7_200, "max_duration_s": 3_600}, ("sdk", 18)),
        ({"premium_take_rate_bps": PARAMS.take_rate_bps + 1}, ("sdk", 18)),
        ({"target_utilization_bps": 0}, ("sdk", 18)),
        ({"min_reference_price": PARAMS.max_price + 1}, ("sdk", 18)),
    ],
)
def test_invalid_params(fields: dict[str, Any], expected: tuple[str, int]) -> None:
    market = Market()
    assert code(market.fails(update(**fields))) == expected
    assert market.keeper.get_params(market.store) == PARAMS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("take_rate_bps", 10_001),
        ("max_price", 0),
        ("max_matches_per_block", 0),
        ("target_utilization_bps", 10_001),
    ],
)
def test_invalid_params_are_refused_on_decoding(field: str, value: int) -> None:
    """A field outside its bounds (a rate above 100%, a zero budget) never reaches a handler."""
    market = Market()
    wire = codec_for(MsgUpdateParams).write(update())
    assert isinstance(wire, tx_pb2.MsgUpdateParams)
    setattr(wire.params, field, value)
    with pytest.raises(InvalidTx, match=f"Params.{field}: {value} is out of range") as refused:
        market.registry.decode_message(pack(wire))
    assert code(refused.value) == ("sdk", 18)


def test_invalid_params_left_unset() -> None:
    wire = codec_for(MsgUpdateParams).write(update())
    wire.ClearField("params")
    with pytest.raises(InvalidTx) as refused:
        Market().registry.decode_message(pack(wire))
    assert code(refused.value) == ("sdk", 18)


def test_invalid_denom_change_while_escrow_holds_the_old_one() -> None:
    market = Market()
    market.block(order_msg(BOB))  # no offer: the order waits, its deposit in escrow
    error = market.fails(update(denom="uatom"))
    assert code(error) == ("sdk", 18)
    assert "escrow holds" in error.log
    market.block(MsgCancelOrder(BOB.address, 1))
    market.block(update(denom="uatom"))
    assert market.keeper.get_params(market.store).denom == "uatom"
    assert market.broken() == []


def test_changed_take_rate_applies_to_leases_matched_after_it() -> None:
    """The take rate is read when a lease is matched and kept in the lease: lease 1, matched
    before the change, is settled at 5% (a withdrawal and its completion, both after the
    change); lease 2, matched in the block of the change, at 10%."""
    market = market_with_offer(8)
    market.block(order_msg(BOB))
    market.block(MsgAcceptLease(ALICE.address, 1))
    market.block(update(take_rate_bps=1_000), order_msg(CAROL))  # end-block matching sees the change
    market.block(MsgAcceptLease(ALICE.address, 2))
    old, new = market.lease(1), market.lease(2)
    assert (old.take_rate_bps, new.take_rate_bps) == (PARAMS.take_rate_bps, 1_000)

    market.at(old.start_ns + HOUR // 2)
    market.block(MsgWithdrawLease(ALICE.address, 1))
    [withdrawn] = market.event_list("lease_withdrawn")
    assert int(withdrawn["fee"]) == take(PRICE // 2, PARAMS.take_rate_bps)

    market.at(new.start_ns + HOUR)  # both leases reach their end
    alice = market.balance(ALICE)
    market.block()
    closed = [market.lease(lease_id).closed for lease_id in (1, 2)]
    assert [(c.reason, c.earned, c.fee) for c in closed if c is not None] == [
        (CloseReason.COMPLETED, PRICE, take(PRICE, PARAMS.take_rate_bps)),
        (CloseReason.COMPLETED, PRICE, take(PRICE, 1_000)),
    ]
    # lease 1's take since the withdrawal
    old_fee = take(PRICE, PARAMS.take_rate_bps) - take(PRICE // 2, PARAMS.take_rate_bps)
    new_fee = take(PRICE, 1_000)
    assert market.balance(ALICE) - alice == (PRICE - PRICE // 2 - old_fee) + (PRICE - new_fee)
    assert market.fee_collector() == old_fee + new_fee  # distribution took the withdrawal's first
    assert market.broken() == []
