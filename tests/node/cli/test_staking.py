"""``depind tx staking ...``, ``depind query staking ...`` and the staking lines of
``depind status``, against a single-validator node opened in this process: the CLI's
client is answered by the node's own RPC methods, and the test commits a block after
each broadcast (``--no-wait``)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio
from click.testing import CliRunner, Result

from consensus.solo import SoloEngine
from genesis.schema import CoinJSON
from node.cli import broadcast, node_cmds, staking_query, views
from node.cli.main import cli
from node.home import Home, add_genesis_account
from node.node import Node
from node.validator_home import SELF_STAKE, init_solo_home
from tests.node.cli.test_chain_info import InProcessClient
from vm.staking.types import format_valoper
from vm.types import parse_address

CHAIN_ID = "staking-cli-1"
DENOM = "udepin"
FUNDS = 10**12
NEW_CONSENSUS_KEY = base64.b64encode(hashlib.sha256(b"cli consensus key").digest()).decode()


@dataclass
class Chain:
    node: Node
    engine: SoloEngine
    home: Path
    validator: str  # the node's validator operator (depinvaloper1...)
    alice: str  # a funded account of the home's test keyring

    def commit(self) -> None:
        trio.run(self.engine.produce_block)


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
    for module in (broadcast, staking_query, node_cmds):
        monkeypatch.setattr(module, "Client", functools.partial(InProcessClient, node))
    engine = node.solo()
    found = Chain(node, engine, home.root, format_valoper(parse_address(operator)), alice.address)
    found.commit()
    try:
        yield found
    finally:
        node.close()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def ok(runner: CliRunner, *args: str) -> str:
    result = run(runner, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def query_json(runner: CliRunner, *args: str) -> Any:
    return json.loads(ok(runner, "query", "staking", *args, "--output", "json"))


def send(runner: CliRunner, chain: Chain, *args: str, key: str = "alice") -> None:
    """Sign with ``key``, broadcast, and commit the block that holds the tx."""
    flags = ["--from", key, "--home", str(chain.home), "--keyring-backend", "test", "-y", "--no-wait"]
    ok(runner, "tx", "staking", *args, *flags)
    chain.commit()


def test_query_validators_and_validator(runner: CliRunner, chain: Chain) -> None:
    [found] = query_json(runner, "validators")["validators"]
    assert found["operator_address"] == chain.validator
    assert (found["status"], found["tokens"], found["jailed"]) == (
        "BOND_STATUS_BONDED",
        str(SELF_STAKE),
        False,
    )
    text = ok(runner, "query", "staking", "validators", "--status", "bonded")
    assert text.startswith(f"{chain.validator}  bonded    tokens {SELF_STAKE}  power 10  solo")
    assert ok(runner, "query", "staking", "validators", "--status", "unbonded") == "no validators\n"
    shown = ok(runner, "query", "staking", "validator", chain.validator)
    assert "status:              bonded" in shown and "commission:          0.100000000000000000" in shown


def test_delegate_unbond_and_cancel(runner: CliRunner, chain: Chain) -> None:
    send(runner, chain, "delegate", chain.validator, "3000000udepin")
    [delegation] = query_json(runner, "delegations", chain.alice)["delegation_responses"]
    assert delegation["balance"] == {"denom": DENOM, "amount": "3000000"}
    one = query_json(runner, "delegation", chain.alice, chain.validator)["delegation_responses"]
    assert one == [delegation]
    to_validator = query_json(runner, "delegations", chain.validator)["delegation_responses"]
    assert len(to_validator) == 2  # the operator's own and alice's

    send(runner, chain, "unbond", chain.validator, "1000000udepin")
    [ubd] = query_json(runner, "unbonding-delegations", chain.alice)["unbonding_responses"]
    [entry] = ubd["entries"]
    assert entry["balance"] == "1000000" and int(entry["completion_height"]) > int(entry["creation_height"])
    text = ok(runner, "query", "staking", "unbonding-delegations", chain.validator)
    assert f"1000000 (of 1000000) at height {entry['completion_height']}" in text

    send(runner, chain, "cancel-unbond", chain.validator, "1000000udepin", entry["creation_height"])
    assert query_json(runner, "unbonding-delegations", chain.alice)["unbonding_responses"] == []
    [back] = query_json(runner, "delegations", chain.alice)["delegation_responses"]
    assert back["balance"]["amount"] == "3000000"


def test_create_and_edit_a_validator_then_redelegate(runner: CliRunner, chain: Chain) -> None:
    alice_operator = format_valoper(parse_address(chain.alice))
    send(
        runner,
        chain,
        "create-validator",
        "500000udepin",  # under one unit of power: it stays out of the set the solo node signs alone
        "--pubkey",
        json.dumps({"@type": "/cosmos.crypto.ed25519.PubKey", "key": NEW_CONSENSUS_KEY}),
        "--moniker",
        "alice-node",
        "--commission-rate",
        "0.05",
        "--website",
        "https://alice.example",
    )
    created = query_json(runner, "validator", alice_operator)
    assert created["description"]["moniker"] == "alice-node"
    assert created["description"]["website"] == "https://alice.example"
    assert created["commission"]["commission_rates"]["rate"] == "0.050000000000000000"
    assert created["consensus_pubkey"]["key"] == NEW_CONSENSUS_KEY

    send(runner, chain, "edit-validator", "--details", "GPUs", "--min-self-delegation", "5")
    edited = query_json(runner, "validator", alice_operator)
    assert edited["description"] == created["description"] | {"details": "GPUs"}
    assert edited["min_self_delegation"] == "5"

    send(runner, chain, "delegate", chain.validator, "1000000udepin")
    send(runner, chain, "redelegate", chain.validator, alice_operator, "400000udepin")
    [red] = query_json(runner, "redelegations", chain.alice)["redelegation_responses"]
    assert (red["validator_src_address"], red["validator_dst_address"]) == (chain.validator, alice_operator)
    assert red["entries"][0]["balance"] == "400000"
    assert query_json(runner, "redelegations", chain.validator)["redelegation_responses"] == [red]
    only_to_other = query_json(runner, "redelegations", chain.alice, "--dst-validator", chain.validator)
    assert only_to_other["redelegation_responses"] == []
    assert "matures at height" in ok(runner, "query", "staking", "redelegations", chain.alice)


def test_create_validator_takes_the_home_s_key_by_default(runner: CliRunner, chain: Chain) -> None:
    """The home's consensus key already validates: the chain refuses a second validator on it."""
    result = run(
        runner,
        "tx",
        "staking",
        "create-validator",
        "1000000udepin",
        "--from",
        "alice",
        "--home",
        str(chain.home),
        "--keyring-backend",
        "test",
        "-y",
    )
    assert result.exit_code == 1
    assert "validator already exist for this pubkey" in result.stderr and result.stderr.count("\n") == 1


def test_pool_params_and_status(runner: CliRunner, chain: Chain) -> None:
    pool = query_json(runner, "pool")
    assert pool["bonded_tokens"] == str(SELF_STAKE) and pool["not_bonded_tokens"] == "0"
    assert "bonded:     10000000" in ok(runner, "query", "staking", "pool")
    params = query_json(runner, "params")["staking"]
    assert params["bond_denom"] == DENOM and params["unbonding_blocks"] > 0
    status = json.loads(ok(runner, "status", "--output", "json"))
    assert status["staking_info"] == {
        "operator_address": chain.validator,
        "status": "BOND_STATUS_BONDED",
        "tokens": str(SELF_STAKE),
        "jailed": False,
    }
    shown = dict(line.split(":", 1) for line in ok(runner, "status").splitlines())
    assert shown["operator"].strip() == chain.validator
    assert (shown["tokens"].strip(), shown["jailed"].strip()) == (f"{SELF_STAKE} (bonded)", "no")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "staking", "validator", "depinvaloper1xyz"], "Invalid value for 'VALIDATOR'"),
        (["query", "staking", "delegations", "cosmos1xyz"], "Invalid value for 'ADDRESS'"),
        (["query", "staking", "validators", "--status", "jailed"], "Invalid value for '--status'"),
        (["tx", "staking", "delegate", "depinvaloper1xyz", "1udepin", "--from", "alice"], "'VALIDATOR'"),
        (["tx", "staking", "unbond", "--from", "alice"], "Missing argument 'VALIDATOR'"),
    ],
)
def test_invalid_arguments(runner: CliRunner, chain: Chain, args: list[str], message: str) -> None:
    result = run(runner, *args)
    assert result.exit_code == 2 and message in result.stderr


def test_invalid_lookups_are_one_line(runner: CliRunner, chain: Chain) -> None:
    missing = format_valoper(parse_address(chain.alice))
    result = run(runner, "query", "staking", "validator", missing)
    assert result.exit_code == 1
    assert result.stderr == f"Error: validator {missing} not found (code -32001)\n"
    result = run(runner, "query", "staking", "delegation", chain.alice, chain.validator)
    assert result.exit_code == 1 and "not found" in result.stderr and result.stderr.count("\n") == 1
    result = run(
        runner, "tx", "staking", "create-validator", "1udepin", "--from", "alice", "--pubkey", "short", "-y"
    )
    assert result.exit_code == 2 and "--pubkey" in result.stderr


def test_status_text_of_a_node_that_is_no_validator() -> None:
    status = {
        "node_info": {"network": CHAIN_ID, "moniker": "full", "id": "ab"},
        "sync_info": {
            "latest_block_height": "5",
            "latest_block_time": "",
            "latest_block_hash": "",
            "catching_up": False,
        },
        "validator_info": {"address": "00" * 20, "voting_power": "0"},
        "staking_info": None,
    }
    assert views.status_text(status).splitlines()[-1] == "staking:       not a validator"
