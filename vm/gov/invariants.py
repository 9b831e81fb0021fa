"""gov invariants: what the deposits and the records must agree on."""

from __future__ import annotations

from vm.gov.keeper import GovKeeper, add_coins
from vm.gov.types import ProposalStatus
from vm.store.cache import ReadStore
from vm.types import Coin, format_coins


def deposits(keeper: GovKeeper, store: ReadStore) -> str | None:
    """The gov account holds exactly the deposits (Cosmos's ``ModuleAccountInvariant``)."""
    total: list[Coin] = []
    for _, _, coins in keeper.all_deposits(store):
        total = add_coins(total, coins)
    held = keeper.module_balance(store)
    if held != total:
        held_text, total_text = format_coins(held) or "nothing", format_coins(total) or "nothing"
        return f"gov account holds {held_text}, deposits sum to {total_text}"
    return None


def queued(keeper: GovKeeper, store: ReadStore) -> str | None:
    """Every proposal still in a period is queued for its end or its tally, and nothing else is."""
    waiting = (
        keeper.deposit_queue.count(store) + keeper.voting_queue.count(store) + keeper.tally_queue.count(store)
    )
    active = sum(
        1
        for status in (ProposalStatus.DEPOSIT_PERIOD, ProposalStatus.VOTING_PERIOD)
        for _ in keeper.proposals_with_status(store, status, b"")
    )
    if waiting != active:
        return f"{waiting} proposals queued, {active} in a deposit or voting period"
    return None
