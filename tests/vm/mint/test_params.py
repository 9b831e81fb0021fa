"""mint params: Cosmos's validation rules, the PoUW share, and MsgUpdateParams (the
authority only; Cosmos's fields and the share on the wire as depind.mint.v1.Params)."""

from __future__ import annotations

import msgspec
import pytest
from google.protobuf.any_pb2 import Any as AnyPb

from genesis.schema import MintParams
from protos.depind.mint.v1 import mint_pb2, tx_pb2
from tests.vm.helpers import ALICE, CHAIN_ID, assert_code, deliver, sign_tx, signed
from tests.vm.mint.chain import KEEPER, REGISTRY, mint_app
from vm import amino, dec
from vm.codec import codec_for
from vm.context import Context
from vm.errors import InvalidTx
from vm.gas import GasMeter
from vm.mint.msgs import MsgUpdateParams
from vm.mint.params import Params, parse_params, validate_params
from vm.modules import AUTHORITY
from vm.store.cache import CacheStore
from vm.tx import SignMode, decode_tx, sign_bytes
from vm.types import format_address

D = dec.parse
UPDATE = Params(
    mint_denom="udepin",
    inflation_rate_change=D("0.2"),
    inflation_max=D("0.3"),
    inflation_min=D("0.05"),
    goal_bonded=D("0.6"),
    blocks_per_year=1_000_000,
    pouw_reward_share=D("0.25"),
)


def test_default_params_are_valid() -> None:
    validate_params(MintParams())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mint_denom": ""}, "mint denom cannot be blank"),
        ({"mint_denom": "  "}, "mint denom cannot be blank"),
        ({"mint_denom": "1x"}, "invalid denom"),
        ({"inflation_rate_change": "-0.1"}, "inflation rate change cannot be negative"),
        ({"inflation_rate_change": "1.01"}, "inflation rate change too large"),
        ({"inflation_max": "-0.1"}, "max inflation cannot be negative"),
        ({"inflation_max": "1.5"}, "max inflation too large"),
        ({"inflation_min": "-0.1"}, "min inflation cannot be negative"),
        ({"inflation_min": "2"}, "min inflation too large"),
        ({"goal_bonded": "0"}, "goal bonded must be positive"),
        ({"goal_bonded": "-0.5"}, "goal bonded must be positive"),
        ({"goal_bonded": "1.000000000000000001"}, "goal bonded too large"),
        ({"blocks_per_year": 0}, "blocks per year must be positive"),
        ({"inflation_min": "0.3"}, r"max inflation \(0.200000000000000000\) must be greater than or equal"),
        ({"pouw_reward_share": "-0.1"}, "pouw reward share cannot be negative"),
        ({"pouw_reward_share": "1.1"}, "pouw reward share too large"),
        ({"pouw_reward_share": "ten percent"}, "pouw_reward_share: 'ten percent' is not a decimal"),
        ({"goal_bonded": ""}, "goal_bonded: '' is not a decimal"),
    ],
)
def test_invalid_params(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidTx, match=message):
        validate_params(msgspec.structs.replace(MintParams(), **changes))


def test_edge_params_are_valid() -> None:
    validate_params(
        MintParams(inflation_min="0.2", goal_bonded="1", pouw_reward_share="1", inflation_max="1")
    )
    validate_params(
        MintParams(inflation_rate_change="0", inflation_min="0", inflation_max="0", pouw_reward_share="0")
    )


# -- MsgUpdateParams --------------------------------------------------------------------


def test_update_params_by_the_authority() -> None:
    app = mint_app()
    store = CacheStore(app.state.values)
    ctx = Context(store, app.next_env(), GasMeter(10**9))
    REGISTRY.route(ctx, MsgUpdateParams(format_address(AUTHORITY), UPDATE))
    assert parse_params(KEEPER.get_params(store)) == UPDATE
    assert REGISTRY.params(store, "mint")["mint"]["pouw_reward_share"] == "0.250000000000000000"


def test_invalid_update_params_by_a_user() -> None:
    app = mint_app()
    assert_code(deliver(app, signed(app, ALICE, [MsgUpdateParams(ALICE.address, UPDATE)])), 4)
    assert KEEPER.get_params(app.state.values) == MintParams()


def test_invalid_update_params_fails_stateless_checks() -> None:
    bad = msgspec.structs.replace(UPDATE, inflation_min=D("0.5"))
    with pytest.raises(InvalidTx, match="max inflation"):
        MsgUpdateParams(format_address(AUTHORITY), bad).validate()


def test_update_params_wire_form_is_depind_mint_params() -> None:
    message = MsgUpdateParams(ALICE.address, UPDATE)
    wire = codec_for(MsgUpdateParams).write(message)
    assert isinstance(wire, tx_pb2.MsgUpdateParams)
    assert wire.params == mint_pb2.Params(
        mint_denom="udepin",
        inflation_rate_change="200000000000000000",  # LegacyDec atomics, as Cosmos's protobuf
        inflation_max="300000000000000000",
        inflation_min="50000000000000000",
        goal_bonded="600000000000000000",
        blocks_per_year=1_000_000,
        pouw_reward_share="250000000000000000",
    )
    assert codec_for(MsgUpdateParams).read(wire) == message


@pytest.mark.parametrize("mode", list(SignMode))
def test_update_params_round_trips_in_a_tx(mode: SignMode) -> None:
    message = MsgUpdateParams(ALICE.address, UPDATE)
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [message], mode=mode)
    tx = decode_tx(data, REGISTRY)
    assert tx.body.messages == [message]
    assert sign_bytes(tx, CHAIN_ID, 0, 0)


def test_update_params_amino_json_writes_decimals() -> None:
    wire = codec_for(MsgUpdateParams).write(MsgUpdateParams(ALICE.address, UPDATE))
    assert amino.message_json(wire)["value"]["params"]["pouw_reward_share"] == "0.250000000000000000"
    assert amino.message_json(wire)["type"] == "depind/x/mint/MsgUpdateParams"


@pytest.mark.parametrize("text", ["", "0.25", "+1", "007"])
def test_invalid_update_params_decimal_on_the_wire(text: str) -> None:
    wire = codec_for(MsgUpdateParams).write(MsgUpdateParams(ALICE.address, UPDATE))
    assert isinstance(wire, tx_pb2.MsgUpdateParams)
    wire.params.pouw_reward_share = text
    packed = AnyPb(type_url="/depind.mint.v1.MsgUpdateParams", value=wire.SerializeToString())
    with pytest.raises(InvalidTx, match="pouw_reward_share"):
        REGISTRY.decode_message(packed)
