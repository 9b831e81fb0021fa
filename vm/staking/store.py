"""Staking state under ``staking/``: the records, their indexes, the queues and the two
pools, each read and written here only.

Keys (inside the module's prefix; addresses are 20 raw bytes, heights 8 bytes big-endian):

    params                                    StakingParams
    val/<operator>                            Validator
    cons/<consensus address>                  operator
    power/<2**64-1 - power><operator>         index: non-jailed validators, highest power
                                              first, then lowest operator (Cosmos's order)
    lastpower/<operator>                      power the last set gave it (8 bytes)
    lasttotal                                 total power of the last set (8 bytes)
    del/<delegator><operator>                 Delegation
    delbyval/<operator><delegator>            index of a validator's delegations
    ubd/<delegator><operator>                 UnbondingDelegation
    ubdbyval/<operator><delegator>            index of a validator's unbonding delegations
    red/<delegator><source><destination>      Redelegation
    redbysrc/<source><delegator><destination> index for slashing a source validator
    redbydst/<destination><delegator><source> index that finds a transitive redelegation
    queue/val/<height><operator>              unbonding validators, by completion height
    queue/ubd/<height><delegator><operator>   unbonding delegations, by completion height
    queue/red/<height><delegator><src><dst>   redelegations, by completion height
    unbondingid                               the last unbonding id given (8 bytes)

Index values are a single ``0x01``: state never holds empty values.
"""

from __future__ import annotations

from collections.abc import Iterator

from genesis.schema import StakingParams
from vm.dec import Dec
from vm.encoding import decode, encode
from vm.module import ModuleParams
from vm.queue import DueQueue
from vm.staking.errors import NoValidatorFound
from vm.staking.expected import BankKeeper
from vm.staking.hooks import MultiHooks, StakingHooks
from vm.staking.types import (
    Delegation,
    Redelegation,
    UnbondingDelegation,
    Validator,
    add_tokens_from_delegation,
    format_valoper,
    potential_power,
    remove_delegator_shares,
    remove_tokens,
)
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Address, Coin

BONDED_POOL = "bonded_tokens_pool"  # holds the tokens of bonded validators
NOT_BONDED_POOL = "not_bonded_tokens_pool"  # unbonding and unbonded validators', and unbonding delegations'

VALIDATOR = b"val/"
BY_CONS = b"cons/"
BY_POWER = b"power/"
LAST_POWER = b"lastpower/"
LAST_TOTAL = b"lasttotal"
DELEGATION = b"del/"
DELEGATION_BY_VAL = b"delbyval/"
UBD = b"ubd/"
UBD_BY_VAL = b"ubdbyval/"
RED = b"red/"
RED_BY_SRC = b"redbysrc/"
RED_BY_DST = b"redbydst/"
VALIDATOR_QUEUE = b"queue/val/"
UBD_QUEUE = b"queue/ubd/"
RED_QUEUE = b"queue/red/"
UNBONDING_ID = b"unbondingid"

PRESENT = b"\x01"
ADDRESS_SIZE = 20
MAX_POWER = 2**64 - 1


def power_key(validator: Validator, power_reduction: int) -> bytes:
    """Forward iteration gives the highest power first (the complement sorts descending),
    and among equal powers the lowest operator address, as Cosmos's reverse iteration does."""
    power = min(potential_power(validator, power_reduction), MAX_POWER)
    return BY_POWER + (MAX_POWER - power).to_bytes(8, "big") + validator.operator


class StakingStore:
    def __init__(self, prefix: bytes, params: ModuleParams[StakingParams], bank: BankKeeper) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.bank = bank
        self.hooks = MultiHooks()
        self.validator_queue = DueQueue(prefix + VALIDATOR_QUEUE)  # operators
        self.ubd_queue = DueQueue(prefix + UBD_QUEUE)  # delegator || operator
        self.red_queue = DueQueue(prefix + RED_QUEUE)  # delegator || source || destination

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def set_hooks(self, hooks: StakingHooks) -> None:
        """Register one more receiver of the staking hooks (called in registration order)."""
        self.hooks.receivers.append(hooks)

    def get_params(self, store: ReadStore) -> StakingParams:
        return self.params.get(store)

    # -- validators ----------------------------------------------------------------------

    def get_validator(self, store: ReadStore, operator: bytes) -> Validator | None:
        raw = self._kv(store).get(VALIDATOR + operator)
        return None if raw is None else decode(raw, Validator)

    def validator(self, store: ReadStore, operator: bytes) -> Validator:
        found = self.get_validator(store, operator)
        if found is None:
            raise NoValidatorFound(format_valoper(operator))
        return found

    def get_validator_by_cons_addr(self, store: ReadStore, cons_address: bytes) -> Validator | None:
        operator = self._kv(store).get(BY_CONS + cons_address)
        return None if operator is None else self.get_validator(store, operator)

    def set_validator(self, store: Store, validator: Validator) -> None:
        self._kv(store).set(VALIDATOR + validator.operator, encode(validator))

    def set_validator_by_cons_addr(self, store: Store, validator: Validator) -> None:
        self._kv(store).set(BY_CONS + validator.cons_address, validator.operator)

    def set_power_index(self, store: Store, validator: Validator) -> None:
        """Jailed validators stay out of the index, so they are never chosen."""
        if not validator.jailed:
            self._kv(store).set(power_key(validator, self.get_params(store).power_reduction), PRESENT)

    def delete_power_index(self, store: Store, validator: Validator) -> None:
        self._kv(store).delete(power_key(validator, self.get_params(store).power_reduction))

    def delete_validator_records(self, store: Store, validator: Validator) -> None:
        kv = self._kv(store)
        kv.delete(VALIDATOR + validator.operator)
        kv.delete(BY_CONS + validator.cons_address)
        self.delete_power_index(store, validator)

    def iterate_validators(self, store: ReadStore, start: bytes = b"") -> Iterator[Validator]:
        """Every validator in operator-address order, from ``start`` on."""
        for _, raw in self._kv(store).iterate(VALIDATOR + start, prefix_end(VALIDATOR)):
            yield decode(raw, Validator)

    def power_index_keys(self, store: ReadStore) -> Iterator[bytes]:
        """The power index's keys (for the invariant that checks it)."""
        for key, _ in self._kv(store).iterate(BY_POWER, prefix_end(BY_POWER)):
            yield key

    def iterate_by_power(self, store: ReadStore) -> Iterator[Address]:
        """Operators of non-jailed validators, highest power first (ties: lowest address)."""
        for key, _ in self._kv(store).iterate(BY_POWER, prefix_end(BY_POWER)):
            yield Address(key[len(BY_POWER) + 8 :])

    # -- tokens and shares (the power index follows the tokens) -------------------------------

    def add_tokens_and_shares(self, store: Store, validator: Validator, amount: int) -> tuple[Validator, Dec]:
        self.delete_power_index(store, validator)
        updated, shares = add_tokens_from_delegation(validator, amount)
        self.set_validator(store, updated)
        self.set_power_index(store, updated)
        return updated, shares

    def remove_shares(self, store: Store, validator: Validator, shares: Dec) -> tuple[Validator, int]:
        self.delete_power_index(store, validator)
        updated, tokens = remove_delegator_shares(validator, shares)
        self.set_validator(store, updated)
        self.set_power_index(store, updated)
        return updated, tokens

    def remove_tokens(self, store: Store, validator: Validator, tokens: int) -> Validator:
        self.delete_power_index(store, validator)
        updated = remove_tokens(validator, tokens)
        self.set_validator(store, updated)
        self.set_power_index(store, updated)
        return updated

    # -- the last validator set ----------------------------------------------------------------

    def get_last_power(self, store: ReadStore, operator: bytes) -> int:
        raw = self._kv(store).get(LAST_POWER + operator)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_last_power(self, store: Store, operator: bytes, power: int) -> None:
        self._kv(store).set(LAST_POWER + operator, power.to_bytes(8, "big"))

    def delete_last_power(self, store: Store, operator: bytes) -> None:
        self._kv(store).delete(LAST_POWER + operator)

    def iterate_last_powers(self, store: ReadStore) -> Iterator[tuple[Address, int]]:
        """(operator, power) of every validator in the last set, in operator order."""
        for key, raw in self._kv(store).iterate(LAST_POWER, prefix_end(LAST_POWER)):
            yield Address(key[len(LAST_POWER) :]), int.from_bytes(raw, "big")

    def get_last_total_power(self, store: ReadStore) -> int:
        raw = self._kv(store).get(LAST_TOTAL)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_last_total_power(self, store: Store, power: int) -> None:
        kv = self._kv(store)
        if power == 0:
            kv.delete(LAST_TOTAL)  # absent means zero
        else:
            kv.set(LAST_TOTAL, power.to_bytes(8, "big"))

    # -- delegations ---------------------------------------------------------------------------

    def get_delegation(self, store: ReadStore, delegator: bytes, operator: bytes) -> Delegation | None:
        raw = self._kv(store).get(DELEGATION + delegator + operator)
        return None if raw is None else decode(raw, Delegation)

    def set_delegation(self, store: Store, delegation: Delegation) -> None:
        kv = self._kv(store)
        kv.set(DELEGATION + delegation.delegator + delegation.validator, encode(delegation))
        kv.set(DELEGATION_BY_VAL + delegation.validator + delegation.delegator, PRESENT)

    def delete_delegation(self, store: Store, delegation: Delegation) -> None:
        kv = self._kv(store)
        kv.delete(DELEGATION + delegation.delegator + delegation.validator)
        kv.delete(DELEGATION_BY_VAL + delegation.validator + delegation.delegator)

    def iterate_delegations(self, store: ReadStore) -> Iterator[Delegation]:
        """Every delegation, by delegator then validator."""
        for _, raw in self._kv(store).iterate(DELEGATION, prefix_end(DELEGATION)):
            yield decode(raw, Delegation)

    def delegations_of(self, store: ReadStore, delegator: bytes, start: bytes = b"") -> Iterator[Delegation]:
        """A delegator's delegations by validator, from validator ``start`` on (for paging)."""
        first = DELEGATION + delegator
        for _, raw in self._kv(store).iterate(first + start, prefix_end(first)):
            yield decode(raw, Delegation)

    def validator_delegations(
        self, store: ReadStore, operator: bytes, start: bytes = b""
    ) -> Iterator[Delegation]:
        """A validator's delegations by delegator, from delegator ``start`` on."""
        first = DELEGATION_BY_VAL + operator
        for key, _ in self._kv(store).iterate(first + start, prefix_end(first)):
            found = self.get_delegation(store, key[len(first) :], operator)
            if found is not None:
                yield found

    # -- unbonding delegations -------------------------------------------------------------------

    def get_unbonding_delegation(
        self, store: ReadStore, delegator: bytes, operator: bytes
    ) -> UnbondingDelegation | None:
        raw = self._kv(store).get(UBD + delegator + operator)
        return None if raw is None else decode(raw, UnbondingDelegation)

    def set_unbonding_delegation(self, store: Store, ubd: UnbondingDelegation) -> None:
        kv = self._kv(store)
        kv.set(UBD + ubd.delegator + ubd.validator, encode(ubd))
        kv.set(UBD_BY_VAL + ubd.validator + ubd.delegator, PRESENT)

    def delete_unbonding_delegation(self, store: Store, ubd: UnbondingDelegation) -> None:
        kv = self._kv(store)
        kv.delete(UBD + ubd.delegator + ubd.validator)
        kv.delete(UBD_BY_VAL + ubd.validator + ubd.delegator)

    def save_unbonding_delegation(self, store: Store, ubd: UnbondingDelegation) -> None:
        """Write it, or delete it once it has no entries left."""
        if ubd.entries:
            self.set_unbonding_delegation(store, ubd)
        else:
            self.delete_unbonding_delegation(store, ubd)

    def iterate_unbonding_delegations(self, store: ReadStore) -> Iterator[UnbondingDelegation]:
        for _, raw in self._kv(store).iterate(UBD, prefix_end(UBD)):
            yield decode(raw, UnbondingDelegation)

    def unbonding_delegations_of(
        self, store: ReadStore, delegator: bytes, start: bytes = b""
    ) -> Iterator[UnbondingDelegation]:
        """A delegator's unbonding delegations by validator, from validator ``start`` on."""
        first = UBD + delegator
        for _, raw in self._kv(store).iterate(first + start, prefix_end(first)):
            yield decode(raw, UnbondingDelegation)

    def unbonding_delegations_from(self, store: ReadStore, operator: bytes) -> list[UnbondingDelegation]:
        """A validator's unbonding delegations (read whole: slashing rewrites them as it goes)."""
        return list(self.iterate_unbonding_delegations_from(store, operator))

    def iterate_unbonding_delegations_from(
        self, store: ReadStore, operator: bytes, start: bytes = b""
    ) -> Iterator[UnbondingDelegation]:
        """A validator's unbonding delegations by delegator, from delegator ``start`` on."""
        first = UBD_BY_VAL + operator
        for key, _ in self._kv(store).iterate(first + start, prefix_end(first)):
            ubd = self.get_unbonding_delegation(store, key[len(first) :], operator)
            if ubd is not None:
                yield ubd

    # -- redelegations -------------------------------------------------------------------------------

    def get_redelegation(
        self, store: ReadStore, delegator: bytes, source: bytes, destination: bytes
    ) -> Redelegation | None:
        raw = self._kv(store).get(RED + delegator + source + destination)
        return None if raw is None else decode(raw, Redelegation)

    def set_redelegation(self, store: Store, red: Redelegation) -> None:
        kv = self._kv(store)
        kv.set(RED + red.delegator + red.validator_src + red.validator_dst, encode(red))
        kv.set(RED_BY_SRC + red.validator_src + red.delegator + red.validator_dst, PRESENT)
        kv.set(RED_BY_DST + red.validator_dst + red.delegator + red.validator_src, PRESENT)

    def delete_redelegation(self, store: Store, red: Redelegation) -> None:
        kv = self._kv(store)
        kv.delete(RED + red.delegator + red.validator_src + red.validator_dst)
        kv.delete(RED_BY_SRC + red.validator_src + red.delegator + red.validator_dst)
        kv.delete(RED_BY_DST + red.validator_dst + red.delegator + red.validator_src)

    def save_redelegation(self, store: Store, red: Redelegation) -> None:
        if red.entries:
            self.set_redelegation(store, red)
        else:
            self.delete_redelegation(store, red)

    def iterate_redelegations(self, store: ReadStore) -> Iterator[Redelegation]:
        for _, raw in self._kv(store).iterate(RED, prefix_end(RED)):
            yield decode(raw, Redelegation)

    def redelegations_of(
        self, store: ReadStore, delegator: bytes, start: bytes = b""
    ) -> Iterator[Redelegation]:
        """A delegator's redelegations by (source, destination), from ``start`` on."""
        first = RED + delegator
        for _, raw in self._kv(store).iterate(first + start, prefix_end(first)):
            yield decode(raw, Redelegation)

    def redelegations_from(self, store: ReadStore, source: bytes) -> list[Redelegation]:
        """Redelegations away from ``source`` (read whole: slashing changes them as it goes)."""
        return list(self.iterate_redelegations_from(store, source))

    def iterate_redelegations_from(
        self, store: ReadStore, source: bytes, start: bytes = b""
    ) -> Iterator[Redelegation]:
        """Redelegations away from ``source`` by (delegator, destination), from ``start`` on."""
        first = RED_BY_SRC + source
        for key, _ in self._kv(store).iterate(first + start, prefix_end(first)):
            delegator = key[len(first) : len(first) + ADDRESS_SIZE]
            red = self.get_redelegation(store, delegator, source, key[len(first) + ADDRESS_SIZE :])
            if red is not None:
                yield red

    def has_receiving_redelegation(self, store: ReadStore, delegator: bytes, destination: bytes) -> bool:
        """Whether ``delegator`` has a redelegation into ``destination`` still maturing."""
        start = RED_BY_DST + destination + delegator
        return next(self._kv(store).iterate(start, prefix_end(start)), None) is not None

    # -- unbonding ids -----------------------------------------------------------------------------

    def get_last_unbonding_id(self, store: ReadStore) -> int:
        raw = self._kv(store).get(UNBONDING_ID)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_last_unbonding_id(self, store: Store, value: int) -> None:
        if value:
            self._kv(store).set(UNBONDING_ID, value.to_bytes(8, "big"))

    def next_unbonding_id(self, store: Store) -> int:
        """A new id for an unbonding operation; the first is 1 (Cosmos's IncrementUnbondingID)."""
        value = self.get_last_unbonding_id(store) + 1
        self.set_last_unbonding_id(store, value)
        return value

    # -- pools ---------------------------------------------------------------------------------------

    def bonded_to_not_bonded(self, store: Store, amount: int) -> None:
        self._move(store, BONDED_POOL, NOT_BONDED_POOL, amount)

    def not_bonded_to_bonded(self, store: Store, amount: int) -> None:
        self._move(store, NOT_BONDED_POOL, BONDED_POOL, amount)

    def burn(self, store: Store, pool: str, amount: int) -> None:
        if amount:
            self.bank.burn(store, pool, [self._coin(store, amount)])

    def pool_balance(self, store: ReadStore, pool: str) -> int:
        return self.bank.get_balance(store, self.bank.module_address(pool), self.get_params(store).bond_denom)

    def _move(self, store: Store, source: str, destination: str, amount: int) -> None:
        if amount:  # a zero transfer would still touch accounts: Cosmos sends no empty coins
            self.bank.send_between_modules(store, source, destination, [self._coin(store, amount)])

    def _coin(self, store: ReadStore, amount: int) -> Coin:
        return Coin(self.get_params(store).bond_denom, amount)
