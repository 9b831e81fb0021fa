"""Why this binary cannot execute a block: the chain has reached an upgrade it does not
have, or has not reached one it already has.

Neither is a verdict on a tx or a block (``InvalidTx``), nor a fault of this node
(``NodeFault``): every node running this binary stops at the same block, before executing
it, and the operator's answer is another binary. ``App.finalize_block`` lets both through
unchanged, with state untouched.

The messages' rejections are the root codespace's (``InvalidRequest``, ``Unauthorized``), as
Cosmos's are; x/upgrade's own codes (2 to 5) are about module versions and IBC state, which
depind does not have.
"""

from __future__ import annotations


class UpgradeHalt(Exception):
    """The chain and this binary disagree on the software upgrade: the node must stop."""


class UpgradeNeeded(UpgradeHalt):
    """Block ``height`` must run the migration of upgrade ``name``, which this binary lacks
    (Cosmos's "UPGRADE NEEDED"): the next release must execute it."""

    def __init__(self, name: str, height: int, info: str) -> None:
        self.name = name
        self.height = height
        self.info = info
        detail = f": {info}" if info else ""
        super().__init__(f"upgrade {name} needed at height {height}{detail}")


class BinaryUpdatedEarly(UpgradeHalt):
    """This binary already has the migration of upgrade ``name``, which the chain runs only
    at ``height``, a later block (Cosmos's "BINARY UPDATED BEFORE TRIGGER"): blocks before
    it must run on the previous release, which did not migrate."""

    def __init__(self, name: str, height: int) -> None:
        self.name = name
        self.height = height
        super().__init__(
            f"binary updated before upgrade height: upgrade {name} is planned at height {height} "
            "and this binary already runs its migration; run the previous release until then"
        )
