"""The scheduled plan and the applied ones, under ``upgrade/``.

At most one plan is scheduled (``plan``); a new one replaces it, as in Cosmos. An applied
plan is kept by name with the height of the block that ran its migration (Cosmos's "done"
marker), so the same name can never run twice.
"""

from __future__ import annotations

from vm.context import Context
from vm.encoding import encode, stored_decoder
from vm.errors import InvalidRequest
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.upgrade.types import Plan, UpgradeHandler, validate_plan

PLAN_KEY = b"plan"
APPLIED_PREFIX = b"applied/"  # + name -> height, 8 bytes big-endian

_decode_plan = stored_decoder(Plan)


class UpgradeKeeper:
    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    # -- reads --------------------------------------------------------------------------

    def get_plan(self, store: ReadStore) -> Plan | None:
        raw = self._kv(store).get(PLAN_KEY)
        return None if raw is None else _decode_plan(raw)

    def applied_height(self, store: ReadStore, name: str) -> int:
        """The block that ran upgrade ``name``'s migration; 0 if none did (as Cosmos answers)."""
        raw = self._kv(store).get(APPLIED_PREFIX + name.encode())
        return 0 if raw is None else int.from_bytes(raw, "big")

    def applied_plans(self, store: ReadStore) -> list[tuple[str, int]]:
        """Every applied upgrade's (name, height), in name order."""
        found = self._kv(store).iterate(APPLIED_PREFIX, prefix_end(APPLIED_PREFIX))
        return [(key[len(APPLIED_PREFIX) :].decode(), int.from_bytes(raw, "big")) for key, raw in found]

    # -- writes -------------------------------------------------------------------------

    def schedule_upgrade(self, store: Store, plan: Plan, height: int) -> Plan | None:
        """Cosmos's ``ScheduleUpgrade`` at block ``height``: ``plan`` replaces the scheduled
        one, which is returned. The plan's height must come after this block (Cosmos allows
        this block too, but its pre-block step has already run, so such a plan would only
        run at the next one)."""
        validate_plan(plan)
        if plan.height <= height:
            raise InvalidRequest("upgrade cannot be scheduled in the past")
        if self.applied_height(store, plan.name):
            raise InvalidRequest(f"upgrade with name {plan.name} has already been completed")
        replaced = self.get_plan(store)
        self.set_plan(store, plan)
        return replaced

    def set_plan(self, store: Store, plan: Plan) -> None:
        self._kv(store).set(PLAN_KEY, encode(plan))

    def clear_plan(self, store: Store) -> Plan | None:
        """Cosmos's ``ClearUpgradePlan``; returns the plan cleared, if any."""
        cleared = self.get_plan(store)
        if cleared is not None:
            self._kv(store).delete(PLAN_KEY)
        return cleared

    def set_applied(self, store: Store, name: str, height: int) -> None:
        self._kv(store).set(APPLIED_PREFIX + name.encode(), height.to_bytes(8, "big"))

    def apply_upgrade(self, ctx: Context, plan: Plan, migrate: UpgradeHandler) -> None:
        """Cosmos's ``ApplyUpgrade``: the release's migration, then the plan is done at this block."""
        migrate(ctx, plan)
        self.clear_plan(ctx.store)
        self.set_applied(ctx.store, plan.name, ctx.env.height)
