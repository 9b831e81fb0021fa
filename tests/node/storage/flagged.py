"""Results whose event attributes carry CometBFT's ``index`` flag (consensus.abci's
AttributeLike), for the tx index and event delivery tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FlaggedAttribute:
    key: str
    value: str
    index: bool = True


@dataclass(frozen=True)
class FlaggedEvent:
    type: str
    attributes: list[FlaggedAttribute]


@dataclass(frozen=True)
class FlaggedTxResult:
    events: list[FlaggedEvent]
    code: int = 0
    codespace: str = ""
    log: str = ""
    gas_wanted: int = 100
    gas_used: int = 50


@dataclass(frozen=True)
class FlaggedResult:
    tx_results: list[FlaggedTxResult]
    events: list[FlaggedEvent] = field(default_factory=list)
    validator_updates: list[Any] = field(default_factory=list)
    app_hash: bytes = b""


def flagged_event(type_: str, *attributes: tuple[str, str, bool]) -> FlaggedEvent:
    """An event of ``(key, value, index)`` attributes."""
    return FlaggedEvent(type_, [FlaggedAttribute(key, value, index) for key, value, index in attributes])
