"""gov's ``MsgUpdateParams``: only the authority, only params that pass every rule of
``validate_params`` (Cosmos's ``Params.ValidateBasic``); the block counts and the budget,
which Cosmos's message cannot say, stay as they are."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.vm.gov.helpers import GOV, PARAMS, VOTING_BLOCKS, YES, GovChain, disable_sends, everyone_votes
from tests.vm.helpers import ALICE, DAVE, DENOM
from vm.errors import InvalidTx
from vm.gov.msgs import MsgUpdateParams, ParamsUpdate
from vm.gov.params import coins
from vm.gov.types import ProposalStatus
from vm.types import Coin


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


UNAUTHORIZED = ("sdk", 4)
INVALID_COINS = ("sdk", 10)
INVALID_REQUEST = ("sdk", 18)
INVALID_ADDRESS = ("sdk", 7)


def update(**changes: Any) -> MsgUpdateParams:
    """The test params as an update, with ``changes``."""
    fields = {
        name: getattr(PARAMS, name)
        for name in ParamsUpdate.__struct_fields__
        if name not in ("max_deposit_period", "voting_period", "expedited_voting_period")
    }
    fields["min_deposit"] = coins(PARAMS.min_deposit)
    fields["expedited_min_deposit"] = coins(PARAMS.expedited_min_deposit)
    fields.update(max_deposit_period=None, voting_period=None, expedited_voting_period=None)
    fields.update(changes)
    return MsgUpdateParams(GOV, ParamsUpdate(**fields))


def test_update_params_changes_cosmos_params_and_keeps_the_rest() -> None:
    chain = GovChain()
    chain.run(update(quorum="0.5", min_deposit=[Coin(DENOM, 2_000)], proposal_cancel_dest=DAVE.address))
    changed = chain.gov.get_params(chain.store)
    assert (changed.quorum, changed.min_deposit[0].amount, changed.proposal_cancel_dest) == (
        "0.5",
        2_000,
        DAVE.address,
    )
    assert (changed.voting_blocks, changed.max_proposals_ended_per_block) == (
        VOTING_BLOCKS,
        PARAMS.max_proposals_ended_per_block,
    )


def test_a_proposal_changes_gov_params() -> None:
    chain = GovChain()
    chain.voting(update(burn_vote_veto=False), disable_sends())
    everyone_votes(chain, 1, YES, YES, YES)
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.PASSED
    assert not chain.gov.get_params(chain.store).burn_vote_veto
    assert not chain.sends_enabled()


def test_invalid_update_params_not_from_the_authority() -> None:
    chain = GovChain()
    msg = msgspec.structs.replace(update(quorum="0.5"), authority=ALICE.address)
    assert code(chain.fails(msg)) == UNAUTHORIZED
    assert chain.gov.get_params(chain.store) == PARAMS


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"min_deposit": []}, INVALID_COINS),
        ({"min_deposit": [Coin(DENOM, 0)]}, INVALID_COINS),
        ({"min_deposit": [Coin(DENOM, 1), Coin("uatom", 1)]}, INVALID_COINS),
        ({"expedited_min_deposit": []}, INVALID_COINS),
        ({"expedited_min_deposit": [Coin(DENOM, 1_000)]}, INVALID_REQUEST),  # not above min_deposit
        ({"expedited_min_deposit": [Coin("uatom", 9_000)]}, INVALID_REQUEST),  # not in its denom
        ({"quorum": "x"}, INVALID_REQUEST),
        ({"quorum": "-0.1"}, INVALID_REQUEST),
        ({"quorum": "1.000000000000000001"}, INVALID_REQUEST),
        ({"threshold": "0"}, INVALID_REQUEST),
        ({"threshold": "1.1"}, INVALID_REQUEST),
        ({"expedited_threshold": "0"}, INVALID_REQUEST),
        ({"expedited_threshold": "1.5"}, INVALID_REQUEST),
        ({"expedited_threshold": "0.5"}, INVALID_REQUEST),  # not above threshold
        ({"veto_threshold": "0"}, INVALID_REQUEST),
        ({"veto_threshold": "2"}, INVALID_REQUEST),
        ({"min_initial_deposit_ratio": "-0.5"}, INVALID_REQUEST),
        ({"min_initial_deposit_ratio": "1.5"}, INVALID_REQUEST),
        ({"proposal_cancel_ratio": "-1"}, INVALID_REQUEST),
        ({"proposal_cancel_ratio": "1.01"}, INVALID_REQUEST),
        ({"min_deposit_ratio": "-0.01"}, INVALID_REQUEST),
        ({"min_deposit_ratio": "3"}, INVALID_REQUEST),
        ({"proposal_cancel_dest": "depin1xyz"}, INVALID_ADDRESS),
    ],
    ids=lambda x: "-".join(f"{k}" for k in x) if isinstance(x, dict) else None,
)
def test_invalid_params(changes: dict[str, Any], expected: tuple[str, int]) -> None:
    chain = GovChain()
    assert code(chain.fails(update(**changes))) == expected
    assert chain.gov.get_params(chain.store) == PARAMS


def test_a_proposal_with_invalid_params_fails() -> None:
    chain = GovChain()
    chain.voting(disable_sends(), update(threshold="0"))
    everyone_votes(chain, 1, YES, YES, YES)
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.FAILED
    assert "threshold" in found.failed_reason
    assert chain.gov.get_params(chain.store) == PARAMS and chain.sends_enabled()
