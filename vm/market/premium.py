"""The premium tier: requesters whose delegated stake reaches ``premium_min_stake`` are
matched first and pay the lower take rate.

Stake is read through the staking keeper: what the requester's first
``premium_max_delegations`` delegations (in validator-address order) are worth now, so
the check costs a bounded number of reads however many delegations an account holds. A
requester that holds no delegation (the market counts them: vm/market/hooks.py) has no
stake, and ``premium_min_stake`` is positive: its check reads that count alone.
"""

from __future__ import annotations

from genesis.market import MarketParams
from vm.market.store import MarketStore
from vm.store.cache import ReadStore
from vm.types import Address


def is_premium(
    keeper: MarketStore, store: ReadStore, requester: Address, params: MarketParams | None = None
) -> bool:
    """Whether ``requester`` is premium now (``params``: the market's, if the caller holds them)."""
    params = keeper.get_params(store) if params is None else params
    if not keeper.delegation_count(store, requester):
        return False
    stake = keeper.staking.delegated_tokens(store, requester, params.premium_max_delegations)
    return stake >= params.premium_min_stake
