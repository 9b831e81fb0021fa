"""distribution state under ``distribution/``, each record read and written here only.

Keys (inside the module's prefix; addresses are 20 raw bytes, heights and periods 8
bytes big-endian, so iteration is in their order):

    params                                   DistributionParams
    communitypool                            DecCoins: the community pool (Cosmos's fee pool)
    outstanding/<operator>                   DecCoins: rewards allocated, not yet withdrawn
    commission/<operator>                    DecCoins: commission accumulated, not yet withdrawn
    current/<operator>                       the current period and its rewards
    historical/<operator><period>            the cumulative reward ratio up to a period
    starting/<operator><delegator>           a delegation's starting period, stake and height
    withdraw/<delegator>                     where its rewards go, when not to itself
    slash/<operator><height><period>         a slash's fraction and the period it ended

``DecCoins`` are stored as (denom, atomics as decimal text) pairs, the text because
atomics outgrow 64 bits (as in vm/staking/types.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import msgspec

from genesis.schema import DistributionParams
from vm.dec import Dec
from vm.distribution.deccoins import EMPTY, DecCoins
from vm.distribution.expected import BankKeeper, StakingKeeper
from vm.distribution.params import Params, parse_params
from vm.distribution.types import CurrentRewards, HistoricalRewards, SlashEvent, StartingInfo
from vm.encoding import Canonical, decode, encode
from vm.module import ModuleParams
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Address, Uint64

MODULE_ACCOUNT = "distribution"  # holds every reward not yet withdrawn, and the community pool
FEE_COLLECTOR = "fee_collector"  # auth's account for fees, which Cosmos's x/distribution is handed by name

COMMUNITY_POOL = b"communitypool"
OUTSTANDING = b"outstanding/"
COMMISSION = b"commission/"
CURRENT = b"current/"
HISTORICAL = b"historical/"
STARTING = b"starting/"
WITHDRAW = b"withdraw/"
SLASH = b"slash/"

ADDRESS_SIZE = 20
NUMBER_SIZE = 8

DecText = Annotated[str, msgspec.Meta(pattern=r"^(0|[1-9][0-9]{0,95})$")]
"""A non-negative ``Dec``'s atomics as canonical decimal text."""


class StoredDecCoin(Canonical, frozen=True):
    denom: str
    amount: DecText


class StoredCurrent(Canonical, frozen=True):
    rewards: list[StoredDecCoin]
    period: Uint64


class StoredHistorical(Canonical, frozen=True):
    cumulative_reward_ratio: list[StoredDecCoin]
    reference_count: Uint64


class StoredStartingInfo(Canonical, frozen=True):
    previous_period: Uint64
    stake: DecText
    height: Uint64


class StoredSlashEvent(Canonical, frozen=True):
    fraction: DecText


def _number(value: int) -> bytes:
    return value.to_bytes(NUMBER_SIZE, "big")


def _encode_coins(coins: DecCoins) -> list[StoredDecCoin]:
    return [StoredDecCoin(denom, str(amount)) for denom, amount in coins.items()]


def _decode_coins(stored: list[StoredDecCoin]) -> DecCoins:
    return DecCoins((coin.denom, int(coin.amount)) for coin in stored)


def _read_coins(raw: bytes | None) -> DecCoins:
    return EMPTY if raw is None else _decode_coins(decode(raw, list[StoredDecCoin]))


class DistributionStore:
    def __init__(
        self,
        prefix: bytes,
        params: ModuleParams[DistributionParams],
        bank: BankKeeper,
        staking: StakingKeeper,
    ) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.bank = bank
        self.staking = staking

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def get_params(self, store: ReadStore) -> Params:
        return parse_params(self.params.get(store))

    # -- the community pool -----------------------------------------------------------------

    def get_community_pool(self, store: ReadStore) -> DecCoins:
        return _read_coins(self._kv(store).get(COMMUNITY_POOL))

    def set_community_pool(self, store: Store, pool: DecCoins) -> None:
        self._kv(store).set(COMMUNITY_POOL, encode(_encode_coins(pool)))

    def add_to_community_pool(self, store: Store, coins: DecCoins) -> None:
        if not coins.is_zero():
            self.set_community_pool(store, self.get_community_pool(store) + coins)

    # -- outstanding rewards and accumulated commission ---------------------------------------

    def get_outstanding(self, store: ReadStore, operator: bytes) -> DecCoins:
        return _read_coins(self._kv(store).get(OUTSTANDING + operator))

    def set_outstanding(self, store: Store, operator: bytes, rewards: DecCoins) -> None:
        self._kv(store).set(OUTSTANDING + operator, encode(_encode_coins(rewards)))

    def iterate_outstanding(self, store: ReadStore) -> Iterator[tuple[Address, DecCoins]]:
        for key, raw in self._kv(store).iterate(OUTSTANDING, prefix_end(OUTSTANDING)):
            yield Address(key[len(OUTSTANDING) :]), _read_coins(raw)

    def get_commission(self, store: ReadStore, operator: bytes) -> DecCoins:
        return _read_coins(self._kv(store).get(COMMISSION + operator))

    def set_commission(self, store: Store, operator: bytes, commission: DecCoins) -> None:
        self._kv(store).set(COMMISSION + operator, encode(_encode_coins(commission)))

    def iterate_commissions(self, store: ReadStore) -> Iterator[tuple[Address, DecCoins]]:
        for key, raw in self._kv(store).iterate(COMMISSION, prefix_end(COMMISSION)):
            yield Address(key[len(COMMISSION) :]), _read_coins(raw)

    # -- periods --------------------------------------------------------------------------

    def get_current(self, store: ReadStore, operator: bytes) -> CurrentRewards | None:
        raw = self._kv(store).get(CURRENT + operator)
        return None if raw is None else _current(raw)

    def set_current(self, store: Store, operator: bytes, current: CurrentRewards) -> None:
        stored = StoredCurrent(_encode_coins(current.rewards), current.period)
        self._kv(store).set(CURRENT + operator, encode(stored))

    def iterate_current(self, store: ReadStore) -> Iterator[tuple[Address, CurrentRewards]]:
        for key, raw in self._kv(store).iterate(CURRENT, prefix_end(CURRENT)):
            yield Address(key[len(CURRENT) :]), _current(raw)

    def get_historical(self, store: ReadStore, operator: bytes, period: int) -> HistoricalRewards | None:
        raw = self._kv(store).get(HISTORICAL + operator + _number(period))
        return None if raw is None else _historical(raw)

    def set_historical(self, store: Store, operator: bytes, period: int, record: HistoricalRewards) -> None:
        stored = StoredHistorical(_encode_coins(record.cumulative_reward_ratio), record.reference_count)
        self._kv(store).set(HISTORICAL + operator + _number(period), encode(stored))

    def delete_historical(self, store: Store, operator: bytes, period: int) -> None:
        self._kv(store).delete(HISTORICAL + operator + _number(period))

    def iterate_historical(
        self, store: ReadStore, operator: bytes = b""
    ) -> Iterator[tuple[Address, int, HistoricalRewards]]:
        """(operator, period, record), of one validator or of all."""
        start = HISTORICAL + operator
        for key, raw in self._kv(store).iterate(start, prefix_end(start)):
            address = key[len(HISTORICAL) : len(HISTORICAL) + ADDRESS_SIZE]
            period = int.from_bytes(key[len(HISTORICAL) + ADDRESS_SIZE :], "big")
            yield Address(address), period, _historical(raw)

    # -- delegations' starting points --------------------------------------------------------

    def get_starting_info(self, store: ReadStore, operator: bytes, delegator: bytes) -> StartingInfo | None:
        raw = self._kv(store).get(STARTING + operator + delegator)
        return None if raw is None else _starting_info(raw)

    def set_starting_info(self, store: Store, operator: bytes, delegator: bytes, info: StartingInfo) -> None:
        stored = StoredStartingInfo(info.previous_period, str(info.stake), info.height)
        self._kv(store).set(STARTING + operator + delegator, encode(stored))

    def delete_starting_info(self, store: Store, operator: bytes, delegator: bytes) -> None:
        self._kv(store).delete(STARTING + operator + delegator)

    def iterate_starting_infos(self, store: ReadStore) -> Iterator[tuple[Address, Address, StartingInfo]]:
        """(operator, delegator, info) in operator then delegator order."""
        for key, raw in self._kv(store).iterate(STARTING, prefix_end(STARTING)):
            operator = key[len(STARTING) : len(STARTING) + ADDRESS_SIZE]
            delegator = key[len(STARTING) + ADDRESS_SIZE :]
            yield Address(operator), Address(delegator), _starting_info(raw)

    # -- withdraw addresses --------------------------------------------------------------------

    def get_withdraw_address(self, store: ReadStore, delegator: Address) -> Address:
        """Where ``delegator``'s rewards go: the address it set, or its own."""
        raw = self._kv(store).get(WITHDRAW + delegator)
        return delegator if raw is None else Address(raw)

    def set_withdraw_address(self, store: Store, delegator: Address, withdraw: Address) -> None:
        self._kv(store).set(WITHDRAW + delegator, withdraw)

    def iterate_withdraw_addresses(self, store: ReadStore) -> Iterator[tuple[Address, Address]]:
        for key, raw in self._kv(store).iterate(WITHDRAW, prefix_end(WITHDRAW)):
            yield Address(key[len(WITHDRAW) :]), Address(raw)

    # -- slash events ----------------------------------------------------------------------------

    def set_slash_event(self, store: Store, operator: bytes, event: SlashEvent) -> None:
        key = SLASH + operator + _number(event.height) + _number(event.validator_period)
        self._kv(store).set(key, encode(StoredSlashEvent(str(event.fraction))))

    def slash_events(
        self, store: ReadStore, operator: bytes, start_height: int = 0, end_height: int | None = None
    ) -> Iterator[SlashEvent]:
        """A validator's slash events from ``start_height`` to ``end_height`` (both included;
        no end: all of them), in height then period order."""
        prefix = SLASH + operator
        end = prefix_end(prefix) if end_height is None else prefix + _number(end_height + 1)
        for key, raw in self._kv(store).iterate(prefix + _number(start_height), end):
            height = int.from_bytes(key[len(prefix) : len(prefix) + NUMBER_SIZE], "big")
            period = int.from_bytes(key[len(prefix) + NUMBER_SIZE :], "big")
            yield SlashEvent(height, period, _fraction(raw))

    def iterate_slash_events(self, store: ReadStore) -> Iterator[tuple[Address, SlashEvent]]:
        for key, raw in self._kv(store).iterate(SLASH, prefix_end(SLASH)):
            rest = key[len(SLASH) :]
            height = int.from_bytes(rest[ADDRESS_SIZE : ADDRESS_SIZE + NUMBER_SIZE], "big")
            period = int.from_bytes(rest[ADDRESS_SIZE + NUMBER_SIZE :], "big")
            yield Address(rest[:ADDRESS_SIZE]), SlashEvent(height, period, _fraction(raw))

    # -- a removed validator's records -----------------------------------------------------------

    def delete_validator_records(self, store: Store, operator: bytes) -> None:
        """Everything kept for a validator; its delegations' starting points went with them.
        The records are few: historical ones survive only while something refers to them."""
        kv = self._kv(store)
        kv.delete(OUTSTANDING + operator)
        kv.delete(COMMISSION + operator)
        kv.delete(CURRENT + operator)
        for start in (HISTORICAL + operator, SLASH + operator):
            for key in [key for key, _ in kv.iterate(start, prefix_end(start))]:
                kv.delete(key)


def _current(raw: bytes) -> CurrentRewards:
    stored: StoredCurrent = decode(raw, StoredCurrent)
    return CurrentRewards(_decode_coins(stored.rewards), stored.period)


def _historical(raw: bytes) -> HistoricalRewards:
    stored: StoredHistorical = decode(raw, StoredHistorical)
    return HistoricalRewards(_decode_coins(stored.cumulative_reward_ratio), stored.reference_count)


def _starting_info(raw: bytes) -> StartingInfo:
    stored: StoredStartingInfo = decode(raw, StoredStartingInfo)
    return StartingInfo(stored.previous_period, int(stored.stake), stored.height)


def _fraction(raw: bytes) -> Dec:
    stored: StoredSlashEvent = decode(raw, StoredSlashEvent)
    return int(stored.fraction)
