"""distribution invariants (Cosmos's x/distribution keeper/invariants.go)."""

from __future__ import annotations

from vm.distribution.keeper import DistributionKeeper
from vm.distribution.store import MODULE_ACCOUNT
from vm.distribution.types import format_valoper
from vm.store.cache import ReadStore
from vm.types import format_coins


def nonnegative_outstanding(keeper: DistributionKeeper, store: ReadStore) -> str | None:
    for operator, outstanding in keeper.iterate_outstanding(store):
        if outstanding.is_any_negative():
            return f"validator {format_valoper(operator)} has negative outstanding rewards: {outstanding}"
    return None


def module_account(keeper: DistributionKeeper, store: ReadStore) -> str | None:
    """The module account holds exactly the whole coins of every outstanding reward and the
    community pool together: coins enter and leave it only with the records that count them."""
    expected, _ = keeper.module_holdings(store).truncate()
    address = keeper.bank.module_address(MODULE_ACCOUNT)
    held = keeper.bank.get_all_balances(store, address)
    if held != expected:
        return (
            f"module account holds {format_coins(held)}, "
            f"rewards and community pool count {format_coins(expected)}"
        )
    return None


def reference_count(keeper: DistributionKeeper, store: ReadStore) -> str | None:
    """Each historical record is counted by what refers to it: a validator's current period
    (one per validator), its delegations' starting points and its slash events."""
    expected = sum(1 for _ in keeper.iterate_current(store))
    expected += sum(1 for _ in keeper.iterate_starting_infos(store))
    expected += sum(1 for _ in keeper.iterate_slash_events(store))
    counted = sum(record.reference_count for _, _, record in keeper.iterate_historical(store))
    if counted != expected:
        return f"historical reference counts add up to {counted}, {expected} references exist"
    return None
