"""The minter and the params under ``mint/``, and the minting of each block's coins into
the ``mint`` module account, from which they go to the fee collector and the PoUW
reward pool."""

from __future__ import annotations

from typing import Annotated

import msgspec

from genesis.schema import MintParams
from vm.encoding import Canonical, decode, encode
from vm.mint.expected import BankKeeper, StakingKeeper
from vm.mint.minter import INITIAL_MINTER, Minter, compute_pouw_reward
from vm.mint.params import Params, parse_params
from vm.module import ModuleParams
from vm.store.cache import ReadStore, Store
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Coin

MINTER_KEY = b"minter"
MINT = "mint"  # the module account coins are minted into (minter permission)
POUW_REWARDS = "pouw_rewards"  # the PoUW reward pool, paid out per verified work unit
FEE_COLLECTOR = "fee_collector"  # auth's account for fees, which Cosmos's x/mint is handed by name

DecText = Annotated[str, msgspec.Meta(pattern=r"^(0|[1-9][0-9]{0,95})$")]
"""A non-negative ``Dec``'s atomics as canonical decimal text (they outgrow 64 bits)."""


class StoredMinter(Canonical, frozen=True):
    inflation: DecText
    annual_provisions: DecText


class MintKeeper:
    def __init__(
        self, prefix: bytes, params: ModuleParams[MintParams], bank: BankKeeper, staking: StakingKeeper
    ) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.bank = bank
        self.staking = staking

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    # -- reads --------------------------------------------------------------------------

    def get_params(self, store: ReadStore) -> MintParams:
        return self.params.get(store)

    def get_parsed_params(self, store: ReadStore) -> Params:
        return parse_params(self.params.get(store))

    def get_minter(self, store: ReadStore) -> Minter:
        """The minter genesis or the last block left (before genesis: Cosmos's initial one)."""
        raw = self._kv(store).get(MINTER_KEY)
        if raw is None:
            return INITIAL_MINTER
        stored: StoredMinter = decode(raw, StoredMinter)
        return Minter(int(stored.inflation), int(stored.annual_provisions))

    # -- writes -------------------------------------------------------------------------

    def set_minter(self, store: Store, minter: Minter) -> None:
        if minter.inflation < 0 or minter.annual_provisions < 0:
            raise ValueError(f"a minter holds no negative values: {minter}")
        stored = StoredMinter(str(minter.inflation), str(minter.annual_provisions))
        self._kv(store).set(MINTER_KEY, encode(stored))

    def mint_block_provision(self, store: Store, params: Params, amount: int) -> None:
        """Mint ``amount`` and hand it out: the PoUW share to the reward pool, the rest to
        the fee collector (as Cosmos hands all of it). Minting nothing touches nothing."""
        if amount == 0:
            return
        self.bank.mint(store, MINT, [Coin(params.mint_denom, amount)])
        pouw_reward = compute_pouw_reward(amount, params.pouw_reward_share)
        self._send(store, POUW_REWARDS, params.mint_denom, pouw_reward)
        self._send(store, FEE_COLLECTOR, params.mint_denom, amount - pouw_reward)

    def _send(self, store: Store, recipient: str, denom: str, amount: int) -> None:
        if amount > 0:
            self.bank.send_between_modules(store, MINT, recipient, [Coin(denom, amount)])
