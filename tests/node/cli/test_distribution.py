"""``depind tx distribution ...`` and ``depind query distribution ...`` against a
single-validator node opened in this process (its genesis mints, and the solo validator
signs every block, so rewards and commission accrue); the CLI's client is answered by
the node's own RPC methods, and the test commits a block after each broadcast."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio
from click.testing import CliRunner

from consensus.solo import SoloEngine
from genesis.schema import CoinJSON
from node.cli import broadcast, distribution
from node.cli.main import cli
from node.home import Home, add_genesis_account
from node.node import Node
from node.validator_home import init_solo_home
from tests.node.cli.test_chain_info import InProcessClient
from vm import dec
from vm.bank.keeper import BankKeeper
from vm.staking.types import format_valoper
from vm.types import parse_address

CHAIN_ID = "distribution-cli-1"
DENOM = "udepin"
FUNDS = 10**12


@dataclass
class Chain:
    node: Node
    engine: SoloEngine
    home: Path
    operator: str  # the validator's account (depin1...)
    validator: str  # its operator address (depinvaloper1...)
    alice: str

    def commit(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            trio.run(self.engine.produce_block)

    def balance(self) -> int:
        bank: BankKeeper = self.node.app.registry.keeper("bank")
        return bank.get_balance(self.node.app.state.values, parse_address(self.operator), DENOM)


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chain]:
    home = Home(tmp_path / "home")
    init_solo_home(home, "solo", CHAIN_ID)
    keyring = home.keyring("test")
    alice, _ = keyring.add("alice")
    add_genesis_account(home, alice.address, [CoinJSON(denom=DENOM, amount=FUNDS)])
    operator = keyring.private_key("validator").address
    node = Node.open(home)
    node.app.beacon_source = None  # blocks hold exactly the txs sent
    for module in (broadcast, distribution):
        monkeypatch.setattr(module, "Client", functools.partial(InProcessClient, node))
    found = Chain(
        node, node.solo(), home.root, operator, format_valoper(parse_address(operator)), alice.address
    )
    found.commit(3)  # the validator signs: from the second block on, it is paid
    try:
        yield found
    finally:
        node.close()


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def query_json(runner: CliRunner, *args: str) -> Any:
    return json.loads(ok(runner, "query", "distribution", *args, "--output", "json"))


def send(runner: CliRunner, chain: Chain, *args: str, key: str = "validator") -> None:
    flags = ["--from", key, "--home", str(chain.home), "--keyring-backend", "test", "-y", "--no-wait"]
    ok(runner, "tx", "distribution", *args, *flags)
    chain.commit()


def amount(coins: list[dict[str, str]]) -> int:
    """The whole udepin of a DecCoins answer."""
    return sum(dec.truncate_int(dec.parse(c["amount"])) for c in coins if c["denom"] == DENOM)


def test_query_rewards_commission_and_pool(runner: CliRunner, chain: Chain) -> None:
    one = query_json(runner, "rewards", chain.operator, chain.validator)
    assert amount(one["rewards"]) > 0
    every = query_json(runner, "rewards", chain.operator)
    assert [r["validator_address"] for r in every["rewards"]] == [chain.validator]
    assert every["total"] == every["rewards"][0]["reward"]
    assert amount(query_json(runner, "commission", chain.validator)["commission"]) > 0
    assert amount(query_json(runner, "community-pool")["pool"]) > 0  # the 2% tax
    text = ok(runner, "query", "distribution", "rewards", chain.operator)
    assert text.startswith(f"{chain.validator}: ") and "\ntotal: " in text and text.rstrip().endswith(DENOM)


def test_withdraw_rewards_with_commission(runner: CliRunner, chain: Chain) -> None:
    before = chain.balance()
    send(runner, chain, "withdraw-rewards", chain.validator, "--commission")
    assert chain.balance() > before  # rewards and commission, net of the fee
    # what is left is what the last block gave, less than a block's commission before
    assert amount(query_json(runner, "commission", chain.validator)["commission"]) >= 0


def test_withdraw_all_rewards(runner: CliRunner, chain: Chain) -> None:
    before = chain.balance()
    send(runner, chain, "withdraw-all-rewards")
    assert chain.balance() > before


def test_set_withdraw_address_and_fund_the_pool(runner: CliRunner, chain: Chain) -> None:
    send(runner, chain, "set-withdraw-addr", chain.alice)
    keeper = chain.node.app.registry.keeper("distribution")
    address = keeper.get_withdraw_address(chain.node.app.state.values, parse_address(chain.operator))
    assert address == parse_address(chain.alice)
    pool = amount(query_json(runner, "community-pool")["pool"])
    send(runner, chain, "fund-community-pool", "1000000udepin", key="alice")
    assert amount(query_json(runner, "community-pool")["pool"]) >= pool + 1_000_000


def test_withdraw_all_rewards_without_delegations_fails(runner: CliRunner, chain: Chain) -> None:
    flags = ["--from", "alice", "--home", str(chain.home), "--keyring-backend", "test", "-y", "--no-wait"]
    result = runner.invoke(cli, ["tx", "distribution", "withdraw-all-rewards", *flags])
    assert result.exit_code != 0
    assert "has no delegations" in result.output
