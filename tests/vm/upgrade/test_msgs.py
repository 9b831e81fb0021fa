"""upgrade messages: Cosmos's protobuf on the wire, and ``Plan.ValidateBasic``'s checks."""

from __future__ import annotations

import pytest
from cosmpy.protos.cosmos.upgrade.v1beta1 import tx_pb2, upgrade_pb2
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.timestamp_pb2 import Timestamp as TimestampPb

from tests.vm.upgrade.vectors import GOV, proposed
from vm.codec import pack
from vm.errors import InvalidAddress, InvalidRequest
from vm.modules import default_registry
from vm.upgrade.msgs import GO_ZERO_SECONDS, MsgCancelUpgrade, MsgSoftwareUpgrade, ProposedPlan, Timestamp
from vm.upgrade.types import MAX_INFO_BYTES, MAX_NAME_BYTES

REGISTRY = default_registry()


def decode(message: AnyPb) -> object:
    return REGISTRY.decode_message(message)[0]


def software_upgrade_pb(**plan: object) -> AnyPb:
    return pack(tx_pb2.MsgSoftwareUpgrade(authority=GOV, plan=upgrade_pb2.Plan(**plan)))


def test_a_go_encoded_plan_decodes_with_its_zero_time() -> None:
    message = software_upgrade_pb(name="v2", time=TimestampPb(seconds=GO_ZERO_SECONDS), height=7, info="i")
    assert decode(message) == MsgSoftwareUpgrade(GOV, proposed("v2", 7, "i"))


def test_a_plan_without_time_decodes() -> None:
    decoded = decode(software_upgrade_pb(name="v2", height=7))
    assert decoded == MsgSoftwareUpgrade(GOV, ProposedPlan("v2", None, 7, ""))
    assert isinstance(decoded, MsgSoftwareUpgrade)
    decoded.validate()


def test_cancel_decodes() -> None:
    assert decode(pack(tx_pb2.MsgCancelUpgrade(authority=GOV))) == MsgCancelUpgrade(GOV)


def test_valid_plans_pass() -> None:
    MsgSoftwareUpgrade(GOV, proposed("v2", 1)).validate()
    MsgSoftwareUpgrade(GOV, proposed("v" * MAX_NAME_BYTES, 2**63 - 1, "x" * MAX_INFO_BYTES)).validate()
    MsgCancelUpgrade(GOV).validate()


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (ProposedPlan("v2", Timestamp(0, 0), 7, ""), "time-based upgrades have been deprecated in the SDK"),
        (ProposedPlan("v2", Timestamp(1_900_000_000, 0), 0, ""), "time-based upgrades have been deprecated"),
        (
            ProposedPlan("v2", Timestamp(GO_ZERO_SECONDS, 1), 7, ""),
            "time-based upgrades have been deprecated",
        ),
        (proposed("", 7), "name cannot be empty"),
        (proposed("v2", 0), "height must be greater than 0"),
        (proposed("v2", -5), "height must be greater than 0"),
        (proposed("v" * (MAX_NAME_BYTES + 1), 7), f"name is longer than {MAX_NAME_BYTES} bytes"),
        (proposed("é" * (MAX_NAME_BYTES // 2 + 1), 7), f"name is longer than {MAX_NAME_BYTES} bytes"),
        (proposed("v2", 7, "x" * (MAX_INFO_BYTES + 1)), f"info is longer than {MAX_INFO_BYTES} bytes"),
    ],
)
def test_invalid_plan(plan: ProposedPlan, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        MsgSoftwareUpgrade(GOV, plan).validate()


def test_invalid_time_set_on_the_wire() -> None:
    decoded = decode(software_upgrade_pb(name="v2", time=TimestampPb(seconds=1), height=7))
    assert isinstance(decoded, MsgSoftwareUpgrade)
    with pytest.raises(InvalidRequest, match="time-based upgrades have been deprecated"):
        decoded.validate()


def test_invalid_upgraded_client_state_set() -> None:
    """IBC's field: Cosmos refuses it with the same code (invalid request)."""
    client_state = AnyPb(type_url="/ibc.lightclients.tendermint.v1.ClientState", value=b"\x0a\x01x")
    with pytest.raises(InvalidRequest, match="upgraded_client_state is not supported"):
        decode(software_upgrade_pb(name="v2", height=7, upgraded_client_state=client_state))


@pytest.mark.parametrize("message", [MsgSoftwareUpgrade("gov", proposed()), MsgCancelUpgrade("")])
def test_invalid_authority_address(message: MsgSoftwareUpgrade | MsgCancelUpgrade) -> None:
    with pytest.raises(InvalidAddress):
        message.validate()
