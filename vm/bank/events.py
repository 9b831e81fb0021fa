"""bank events."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent


class Transfer(TypedEvent, tag="transfer", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"recipient", "sender"})

    recipient: str
    sender: str
    amount: str
