"""slashing messages: MsgUpdateParams by the authority only and with Cosmos's checks, and
their Amino JSON.

cosmjs 0.39 has no Amino converter for MsgUnjail (``createSlashingAminoConverters`` throws
"Not implemented"); its bytes are Cosmos SDK v0.50's, whose amino name is
cosmos-sdk/MsgUnjail and whose field is written as ``address`` ((amino.field_name)), as
Keplr signs it."""

from __future__ import annotations

import msgspec
import pytest

from tests.vm.helpers import ALICE
from tests.vm.slashing.helpers import SlashingChain
from tests.vm.slashing.vectors import PARAMS_UPDATE
from tests.vm.staking.vectors import valoper
from vm.amino import message_json
from vm.codec import codec_for
from vm.errors import InvalidTx
from vm.modules import AUTHORITY
from vm.slashing.msgs import Duration, MsgUnjail, MsgUpdateParams, ParamsUpdate
from vm.types import format_address


def update(**fields: object) -> MsgUpdateParams:
    return MsgUpdateParams(format_address(AUTHORITY), msgspec.structs.replace(PARAMS_UPDATE, **fields))


def test_update_params_by_the_authority() -> None:
    chain = SlashingChain()
    chain.run(update())
    assert chain.registry.params(chain.store, "slashing") == {
        "slashing": {
            "signed_blocks_window": 200,
            "min_signed_per_window": "0.600000000000000000",
            "downtime_jail_duration_ns": 300 * 10**9,
            "slash_fraction_double_sign": "0.050000000000000000",
            "slash_fraction_downtime": "0.010000000000000000",
        }
    }


def test_invalid_update_params_by_a_user() -> None:
    chain = SlashingChain()
    error = chain.fails(MsgUpdateParams(ALICE.address, PARAMS_UPDATE))
    assert (error.codespace, error.code) == ("sdk", 4)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"signed_blocks_window": 0}, "signed blocks window must be positive"),
        ({"min_signed_per_window": b"1000000000000000001"}, "min signed per window too large"),
        ({"min_signed_per_window": b"-1"}, "min signed per window cannot be negative"),
        ({"min_signed_per_window": b"0.5"}, "not a LegacyDec's atomics"),
        ({"downtime_jail_duration": None}, "downtime jail duration must be positive"),
        ({"downtime_jail_duration": Duration(0, 0)}, "downtime jail duration must be positive"),
        ({"downtime_jail_duration": Duration(1, -1)}, "same sign"),
        ({"slash_fraction_double_sign": b"2000000000000000000"}, "double sign slash fraction too large"),
        ({"slash_fraction_downtime": b"-5"}, "downtime slash fraction cannot be negative"),
    ],
)
def test_invalid_params(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidTx, match=message):
        update(**fields).validate()


def test_empty_decimals_are_zero_as_cosmos_reads_them() -> None:
    update(slash_fraction_downtime=b"", min_signed_per_window=b"").validate()


def test_amino_json_of_unjail() -> None:
    msg = codec_for(MsgUnjail).write(MsgUnjail(valoper(ALICE)))
    assert message_json(msg) == {"type": "cosmos-sdk/MsgUnjail", "value": {"address": valoper(ALICE)}}


def test_amino_json_of_update_params_writes_decimals_and_nanoseconds() -> None:
    msg = codec_for(MsgUpdateParams).write(MsgUpdateParams(ALICE.address, PARAMS_UPDATE))
    assert message_json(msg) == {
        "type": "cosmos-sdk/x/slashing/MsgUpdateParams",
        "value": {
            "authority": ALICE.address,
            "params": {
                "signed_blocks_window": "200",
                "min_signed_per_window": "0.600000000000000000",
                "downtime_jail_duration": "300000000000",
                "slash_fraction_double_sign": "0.050000000000000000",
                "slash_fraction_downtime": "0.010000000000000000",
            },
        },
    }


def test_params_update_reads_cosmos_s_wire_form() -> None:
    assert ParamsUpdate(1, b"0", Duration(0, 1), b"", b"").parsed().downtime_jail_duration_ns == 1
