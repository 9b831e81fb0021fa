"""mint events."""

from __future__ import annotations

from vm.context import TypedEvent


class Mint(TypedEvent, tag="mint", frozen=True):
    """Each block's minting, with Cosmos's attributes: decimals as LegacyDec text, the
    amount minted as an integer."""

    bonded_ratio: str
    inflation: str
    annual_provisions: str
    amount: str
