"""``TaskStatus`` for services started with ``nursery.start``, as mypy sees it here.

libp2p depends on trio-typing, whose ``trio-stubs`` package takes precedence over
trio's own annotations for mypy (PEP 561); in those stubs ``TaskStatus`` lives in
``trio_typing``, and ``trio.TaskStatus`` does not exist. At run time both are trio's.
"""

from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from trio_typing import TaskStatus as TaskStatus
else:
    TaskStatus = trio.TaskStatus
