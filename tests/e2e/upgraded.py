"""The next release of depind, as a real process, for software upgrade tests.

``python -m tests.e2e.upgraded --upgrade NAME start --home H`` is ``depind start --home H``
in a binary whose table of migrations (vm/upgrade/handlers.py ``KNOWN``) has one for the
upgrade ``NAME``, as the release a governance proposal names would have. Its migration
adds one to the mint module's ``blocks_per_year``: the ``params`` query shows that it ran,
and that it ran once.

Everything else (storage, application, consensus, RPC, options such as
``--unsafe-skip-upgrades``) is the released node's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import msgspec

from genesis.schema import MintParams
from node.cli.common import DepindGroup
from node.cli.node_cmds import start
from vm.context import Context
from vm.module import ModuleParams
from vm.modules import default_registry
from vm.upgrade.handlers import KNOWN
from vm.upgrade.types import Plan


def migrate(ctx: Context, plan: Plan) -> None:
    """One more block a year in the mint params."""
    params: ModuleParams[MintParams] = default_registry().keeper("mint").params
    current = params.get(ctx.store)
    params.set(ctx.store, msgspec.structs.replace(current, blocks_per_year=current.blocks_per_year + 1))


def upgraded_command(home: Path, upgrade: str, *options: str) -> list[str]:
    """The argv that runs the node of ``home`` as the release with ``upgrade``'s migration
    (for ``DepindProcess.command``)."""
    return [
        sys.executable,
        "-m",
        "tests.e2e.upgraded",
        "--upgrade",
        upgrade,
        "start",
        "--home",
        str(home),
        *options,
    ]


@click.group(cls=DepindGroup)
@click.option(
    "--upgrade", "upgrades", multiple=True, required=True, help="An upgrade this release migrates for."
)
def cli(upgrades: tuple[str, ...]) -> None:
    """depind, released with migrations for the upgrades named."""
    for name in upgrades:
        KNOWN[name] = migrate


cli.add_command(start)

if __name__ == "__main__":
    cli(prog_name="upgraded")
