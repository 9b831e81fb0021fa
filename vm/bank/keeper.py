"""Balances and supply under ``bank/``. Other modules move coins only through this
keeper: between accounts, to and from module accounts, and mint and burn by a
module account that holds the permission, so total supply always equals the sum
of all balances (``supply_invariant``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from genesis.schema import BankParams
from vm.bank.expected import AccountKeeper
from vm.errors import InsufficientFunds, InvalidCoins, Unauthorized
from vm.module import ModuleAccount, ModuleParams, Permission
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Address, Coin, format_coins

BALANCE_PREFIX = b"bal/"
SUPPLY_PREFIX = b"supply/"
MAX_AMOUNT = 2**63 - 1
ADDRESS_SIZE = 20


def _balance_key(address: Address, denom: str) -> bytes:
    return BALANCE_PREFIX + address + denom.encode()


class BankKeeper:
    def __init__(
        self,
        prefix: bytes,
        params: ModuleParams[BankParams],
        accounts: AccountKeeper,
        module_accounts: Mapping[str, ModuleAccount],
    ) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params
        self.accounts = accounts
        self.module_accounts = dict(module_accounts)
        self.blocked = frozenset(m.address for m in module_accounts.values() if m.blocked)
        self._addresses = {name: account.address for name, account in module_accounts.items()}

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    # -- reads --------------------------------------------------------------------------

    def balance_key(self, address: Address, denom: str) -> bytes:
        """The balance's key in the root store (for proofs)."""
        return self.prefix + _balance_key(address, denom)

    def get_params(self, store: ReadStore) -> BankParams:
        return self.params.get(store)

    def get_balance(self, store: ReadStore, address: Address, denom: str) -> int:
        raw = self._kv(store).get(_balance_key(address, denom))
        return 0 if raw is None else int.from_bytes(raw, "big")

    def get_all_balances(self, store: ReadStore, address: Address) -> list[Coin]:
        start = BALANCE_PREFIX + address
        return [
            Coin(key[len(start) :].decode(), int.from_bytes(value, "big"))
            for key, value in self._kv(store).iterate(start, prefix_end(start))
        ]

    def balances_from(self, store: ReadStore, address: Address, denom: bytes) -> Iterator[tuple[bytes, Coin]]:
        """An account's balances from ``denom`` on, each with its denom as key (for paging)."""
        start = BALANCE_PREFIX + address
        for key, value in self._kv(store).iterate(start + denom, prefix_end(start)):
            name = key[len(start) :]
            yield name, Coin(name.decode(), int.from_bytes(value, "big"))

    def supply_from(self, store: ReadStore, denom: bytes) -> Iterator[tuple[bytes, Coin]]:
        """The supply of each denom from ``denom`` on, with the denom as key (for paging)."""
        for key, value in self._kv(store).iterate(SUPPLY_PREFIX + denom, prefix_end(SUPPLY_PREFIX)):
            yield (
                key[len(SUPPLY_PREFIX) :],
                Coin(key[len(SUPPLY_PREFIX) :].decode(), int.from_bytes(value, "big")),
            )

    def iterate_balances(self, store: ReadStore) -> Iterator[tuple[Address, Coin]]:
        """Every (holder, coin) in address then denom order."""
        for key, value in self._kv(store).iterate(BALANCE_PREFIX, prefix_end(BALANCE_PREFIX)):
            address = Address(key[len(BALANCE_PREFIX) : len(BALANCE_PREFIX) + ADDRESS_SIZE])
            denom = key[len(BALANCE_PREFIX) + ADDRESS_SIZE :].decode()
            yield address, Coin(denom, int.from_bytes(value, "big"))

    def get_supply(self, store: ReadStore, denom: str) -> int:
        raw = self._kv(store).get(SUPPLY_PREFIX + denom.encode())
        return 0 if raw is None else int.from_bytes(raw, "big")

    def get_total_supply(self, store: ReadStore) -> list[Coin]:
        return [
            Coin(key[len(SUPPLY_PREFIX) :].decode(), int.from_bytes(value, "big"))
            for key, value in self._kv(store).iterate(SUPPLY_PREFIX, prefix_end(SUPPLY_PREFIX))
        ]

    def module_address(self, module: str) -> Address:
        address = self._addresses.get(module)
        if address is None:
            raise LookupError(f"no module account {module!r} is registered")
        return address

    def is_blocked(self, address: Address) -> bool:
        return address in self.blocked

    # -- transfers ------------------------------------------------------------------------

    def send(self, store: Store, sender: Address, recipient: Address, coins: list[Coin]) -> None:
        self._subtract(store, sender, coins)
        self._add(store, recipient, coins)

    def send_to_module(self, store: Store, sender: Address, module: str, coins: list[Coin]) -> None:
        self.send(store, sender, self.module_address(module), coins)

    def send_from_module(self, store: Store, module: str, recipient: Address, coins: list[Coin]) -> None:
        self.send(store, self.module_address(module), recipient, coins)

    def send_between_modules(self, store: Store, sender: str, recipient: str, coins: list[Coin]) -> None:
        self.send(store, self.module_address(sender), self.module_address(recipient), coins)

    def mint(self, store: Store, module: str, coins: list[Coin]) -> None:
        """Create coins in ``module``'s account; it must hold the minter permission."""
        account = self._permitted(module, Permission.MINTER)
        for coin in coins:
            self._change_supply(store, coin.denom, coin.amount)
        self._add(store, account.address, coins)

    def burn(self, store: Store, module: str, coins: list[Coin]) -> None:
        """Destroy coins held by ``module``'s account; it must hold the burner permission."""
        account = self._permitted(module, Permission.BURNER)
        self._subtract(store, account.address, coins)
        for coin in coins:
            self._change_supply(store, coin.denom, -coin.amount)

    def init_balance(self, store: Store, holder: Address, coins: list[Coin]) -> None:
        """Genesis only: a balance and the supply it adds to."""
        for coin in coins:
            self._change_supply(store, coin.denom, coin.amount)
        self._add(store, holder, coins)

    # -- internals ------------------------------------------------------------------------

    def _module_account(self, module: str) -> ModuleAccount:
        account = self.module_accounts.get(module)
        if account is None:
            raise LookupError(f"no module account {module!r} is registered")
        return account

    def _permitted(self, module: str, permission: Permission) -> ModuleAccount:
        account = self._module_account(module)
        if permission not in account.permissions:
            raise Unauthorized(f"module account {module} lacks the {permission} permission")
        return account

    def _subtract(self, store: Store, address: Address, coins: list[Coin]) -> None:
        for coin in coins:
            have = self.get_balance(store, address, coin.denom)
            if have < coin.amount:
                raise InsufficientFunds(
                    f"spendable balance {have}{coin.denom} is smaller than {format_coins([coin])}"
                )
            self._set_balance(store, address, coin.denom, have - coin.amount)

    def _add(self, store: Store, address: Address, coins: list[Coin]) -> None:
        self.accounts.ensure_account(store, address)
        for coin in coins:
            total = self.get_balance(store, address, coin.denom) + coin.amount
            if total > MAX_AMOUNT:
                raise InvalidCoins(f"balance of {coin.denom} would overflow 64 bits")
            self._set_balance(store, address, coin.denom, total)

    def _change_supply(self, store: Store, denom: str, delta: int) -> None:
        total = self.get_supply(store, denom) + delta
        if total > MAX_AMOUNT:
            raise InvalidCoins(f"supply of {denom} would overflow 64 bits")
        _set_amount(self._kv(store), SUPPLY_PREFIX + denom.encode(), total)

    def _set_balance(self, store: Store, address: Address, denom: str, amount: int) -> None:
        _set_amount(self._kv(store), _balance_key(address, denom), amount)


def _set_amount(kv: PrefixStore, key: bytes, amount: int) -> None:
    # State never holds empty values or zero amounts: absent means zero.
    if amount == 0:
        kv.delete(key)
    else:
        kv.set(key, amount.to_bytes(8, "big"))


def supply_invariant(keeper: BankKeeper, store: ReadStore) -> str | None:
    """Total supply equals the sum of every balance, module accounts included."""
    held: dict[str, int] = {}
    for _, coin in keeper.iterate_balances(store):
        held[coin.denom] = held.get(coin.denom, 0) + coin.amount
    supply = {coin.denom: coin.amount for coin in keeper.get_total_supply(store)}
    if held != supply:
        return f"total supply {supply} differs from the sum of balances {held}"
    return None
