"""distribution events, with Cosmos's types and attributes. Amounts are written as
Cosmos writes ``Coins`` ("15udepin") and ``DecCoins`` ("1.500000000000000000udepin")."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent


class Commission(TypedEvent, tag="commission", frozen=True):
    """A validator's commission from one block's allocation."""

    amount: str
    validator: str


class Rewards(TypedEvent, tag="rewards", frozen=True):
    """All that one block's allocation gave a validator, commission included."""

    amount: str
    validator: str


class WithdrawRewards(TypedEvent, tag="withdraw_rewards", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"validator", "delegator"})

    amount: str
    validator: str
    delegator: str


class WithdrawCommission(TypedEvent, tag="withdraw_commission", frozen=True):
    amount: str


class SetWithdrawAddress(TypedEvent, tag="set_withdraw_address", frozen=True):
    withdraw_address: str


class Transfer(TypedEvent, tag="transfer", frozen=True):
    """A community pool spend's payment: the event Cosmos's bank emits for the send from the
    module account (distribution adds none of its own for a spend)."""

    indexed: ClassVar[frozenset[str]] = frozenset({"recipient", "sender"})

    recipient: str
    sender: str
    amount: str
