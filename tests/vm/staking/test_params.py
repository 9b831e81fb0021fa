"""staking params: defaults, validation and MsgUpdateParams (the authority only)."""

from __future__ import annotations

import msgspec
import pytest

from genesis.schema import StakingParams
from tests.vm.helpers import ALICE, DENOM
from tests.vm.staking.helpers import Chain
from vm import dec
from vm.errors import InvalidTx
from vm.modules import AUTHORITY
from vm.staking.msgs import MsgUpdateParams, ParamsUpdate
from vm.staking.params import validate_params
from vm.types import format_address

UPDATE = ParamsUpdate(None, 42, 5, DENOM, dec.parse("0.05"))


def test_the_authority_replaces_the_cosmos_params_and_keeps_depinds() -> None:
    chain = Chain()
    before = chain.keeper.get_params(chain.store)
    chain.run(MsgUpdateParams(format_address(AUTHORITY), UPDATE))
    assert chain.keeper.get_params(chain.store) == msgspec.structs.replace(
        before, max_validators=42, max_entries=5, min_commission_rate="0.050000000000000000"
    )


def test_invalid_update_params_by_anyone_else() -> None:
    error = Chain().fails(MsgUpdateParams(ALICE.address, UPDATE))
    assert (error.codespace, error.code) == ("sdk", 4)


@pytest.mark.parametrize(
    "changes",
    [
        {"bond_denom": "x"},
        {"min_commission_rate": "-0.1"},
        {"min_commission_rate": "1.1"},
        {"min_commission_rate": "a"},
    ],
)
def test_invalid_params(changes: dict[str, str]) -> None:
    with pytest.raises(InvalidTx):
        validate_params(msgspec.structs.replace(StakingParams(), **changes))
