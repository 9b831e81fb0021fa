"""The chain's modules, in order. Adding a module is one line here and its own folder.

Order matters: a module is built with the keepers of the modules above it, and
genesis, begin-block and end-block run top to bottom.
"""

from __future__ import annotations

from functools import cache

from vm.auth.module import MODULE as AUTH
from vm.bank.module import MODULE as BANK
from vm.beacon.module import MODULE as BEACON
from vm.compute.module import MODULE as COMPUTE
from vm.consensus_params.module import MODULE as CONSENSUS
from vm.distribution.module import MODULE as DISTRIBUTION
from vm.genutil.module import MODULE as GENUTIL
from vm.gov.module import MODULE as GOV
from vm.market.module import MODULE as MARKET
from vm.mint.module import MODULE as MINT
from vm.module import ModuleDef
from vm.provider.module import MODULE as PROVIDER
from vm.registry import Registry
from vm.slashing.module import MODULE as SLASHING
from vm.staking.module import MODULE as STAKING
from vm.types import Address, module_address
from vm.upgrade.module import MODULE as UPGRADE

AUTHORITY: Address = module_address("gov")
"""Who may change params: the governance module's account. No key signs for it: its
messages run only as a passed proposal's (vm/gov/blocks.py)."""

MODULES: tuple[ModuleDef, ...] = (
    AUTH,
    BANK,
    STAKING,
    MINT,
    DISTRIBUTION,
    SLASHING,
    GENUTIL,
    CONSENSUS,
    BEACON,
    PROVIDER,
    MARKET,
    COMPUTE,
    GOV,
    UPGRADE,
)


@cache
def default_registry() -> Registry:
    return Registry(MODULES, AUTHORITY)
