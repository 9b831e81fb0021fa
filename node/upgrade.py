"""The node's side of a software upgrade (docs/upgrades.md): stopping where the chain needs
another binary, and telling the operator's tools which one.

When the next height H has an upgrade this binary has no migration for, the node stops
after block H-1 is committed and before it takes part in H (it signs nothing for H). It
checks when it starts and after every commit; should it execute block H anyway (replaying
stored blocks, or syncing them from peers), the application refuses it the same way
(``UpgradeNeeded`` from ``finalize_block``, state untouched). Either way the process then
writes ``data/upgrade-info.json`` (``{"name", "height", "info"}``, which cosmovisor watches
to switch binaries), logs ``upgrade NAME needed at height H`` at ERROR and exits with
``EXIT_UPGRADE_NEEDED``. Started again with the same binary, it stops again at once.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from vm.upgrade.errors import UpgradeHalt, UpgradeNeeded

if TYPE_CHECKING:
    from vm.app import App  # the CLI imports this module; the application loads with the node

EXIT_UPGRADE_NEEDED = 3
"""``depind start``'s exit code when the chain needs another binary (1 is any other error)."""
INFO_FILE = "upgrade-info.json"

log = logging.getLogger("depind.node")


def check_upgrade_due(app: App) -> None:
    """Raise ``UpgradeNeeded`` if the height after the last committed one needs an upgrade
    this binary lacks."""
    height = app.info()[0] + 1
    plan = app.upgrade_due(height)
    if plan is not None:
        raise UpgradeNeeded(plan.name, height, plan.info)


def record_upgrade_needed(data_dir: Path, needed: UpgradeNeeded) -> Path:
    """Write ``upgrade-info.json`` in ``data_dir`` (whole or not at all) and log the halt."""
    path = data_dir / INFO_FILE
    partial = path.with_name(INFO_FILE + ".tmp")
    info = {"name": needed.name, "height": needed.height, "info": needed.info}
    partial.write_text(json.dumps(info) + "\n")
    os.replace(partial, path)
    log.error("%s", " ".join(str(needed).split()))  # one line, whatever the plan's info holds
    return path


def halt_of(error: BaseException) -> UpgradeHalt | None:
    """The upgrade halt ``error`` is, or holds among the failures of the node's tasks."""
    if isinstance(error, UpgradeHalt):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = halt_of(inner)
            if found is not None:
                return found
    return None
