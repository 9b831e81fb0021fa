"""The validator set the chain starts with. Staking will derive it from its genesis
state; until then it is the genesis document's ``validators``."""

from __future__ import annotations

import base64

from genesis.schema import GenesisDoc
from vm.block import ValidatorUpdate


def genesis_validators(doc: GenesisDoc) -> list[ValidatorUpdate]:
    return [ValidatorUpdate(base64.b64decode(v.pub_key), v.power) for v in doc.validators]
