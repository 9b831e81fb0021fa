"""gov params (genesis/gov.py ``GovParams``): checked before every change, as Cosmos's
``Params.ValidateBasic``, and read as the numbers the rules compute with."""

from __future__ import annotations

from genesis.gov import GovParams
from genesis.schema import CoinJSON
from vm import dec
from vm.dec import Dec
from vm.errors import InvalidRequest
from vm.gov.tally import TallyParams
from vm.types import Coin, parse_address, validate_coins


def validate_params(params: GovParams) -> None:
    min_deposit = coins(params.min_deposit)
    expedited_min_deposit = coins(params.expedited_min_deposit)
    validate_coins(min_deposit, "min_deposit")
    validate_coins(expedited_min_deposit, "expedited_min_deposit")
    if not _all_greater(expedited_min_deposit, min_deposit):
        raise InvalidRequest("expedited minimum deposit must be greater than the minimum deposit")
    fraction(params.quorum, "quorum")
    threshold = fraction(params.threshold, "threshold", positive=True)
    expedited_threshold = fraction(params.expedited_threshold, "expedited_threshold", positive=True)
    fraction(params.veto_threshold, "veto_threshold", positive=True)
    for name in ("min_initial_deposit_ratio", "proposal_cancel_ratio", "min_deposit_ratio"):
        fraction(getattr(params, name), name)
    if expedited_threshold <= threshold:
        raise InvalidRequest("expedited threshold must be greater than the regular threshold")
    if params.expedited_voting_blocks >= params.voting_blocks:
        raise InvalidRequest("expedited voting period must be strictly less than the regular voting period")
    if params.proposal_cancel_dest:
        parse_address(params.proposal_cancel_dest, "proposal_cancel_dest")


def fraction(text: str, name: str, positive: bool = False) -> Dec:
    """A Cosmos decimal in [0, 1] (in (0, 1] when ``positive``)."""
    try:
        value = dec.parse(text)
    except dec.DecError as error:
        raise InvalidRequest(f"{name}: {error}") from None
    if value < 0 or (positive and value == 0):
        raise InvalidRequest(f"{name} must be {'positive' if positive else 'non-negative'}: {text}")
    if value > dec.ONE:
        raise InvalidRequest(f"{name} too large: {text}")
    return value


def coins(items: list[CoinJSON]) -> list[Coin]:
    return [Coin(item.denom, item.amount) for item in items]


def min_deposit(params: GovParams, expedited: bool) -> list[Coin]:
    return coins(params.expedited_min_deposit if expedited else params.min_deposit)


def voting_blocks(params: GovParams, expedited: bool) -> int:
    return params.expedited_voting_blocks if expedited else params.voting_blocks


def tally_params(params: GovParams, expedited: bool) -> TallyParams:
    threshold = params.expedited_threshold if expedited else params.threshold
    return TallyParams(
        quorum=dec.parse(params.quorum),
        threshold=dec.parse(threshold),
        veto_threshold=dec.parse(params.veto_threshold),
        burn_vote_quorum=params.burn_vote_quorum,
        burn_vote_veto=params.burn_vote_veto,
    )


def _all_greater(bigger: list[Coin], smaller: list[Coin]) -> bool:
    """Every denom of ``smaller`` is in ``bigger`` with a greater amount."""
    amounts = {coin.denom: coin.amount for coin in bigger}
    return all(amounts.get(coin.denom, 0) > coin.amount for coin in smaller)
