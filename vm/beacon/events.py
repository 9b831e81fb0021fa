"""beacon events."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent


class BeaconEntry(TypedEvent, tag="beacon", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"proposer"})

    proposer: str  # hex consensus address
    action: str  # "reveal" or "commit"
    value: str  # the beacon after this block's entry, hex
