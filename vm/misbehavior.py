"""Committed evidence of misbehavior, reported as events until staking slashes for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from vm.block import MisbehaviorLike
from vm.context import Context, TypedEvent


class Misbehavior(TypedEvent, tag="misbehavior", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"kind", "validator"})

    kind: str
    validator: str
    height: str


def report_misbehavior(ctx: Context, items: Sequence[MisbehaviorLike]) -> None:
    for item in items:
        ctx.emit(
            Misbehavior(
                kind=str(item.kind),
                validator=bytes(item.validator_address).hex().upper(),
                height=str(int(item.height)),
            )
        )
