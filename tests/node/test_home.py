"""node.home: ``depind init``, genesis accounts and the one-step dev home."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from consensus import privval
from consensus.validators import address_of
from genesis import doc as genesis_doc
from genesis.schema import DEFAULT_DENOM, AuthGenesis, BankGenesis, CoinJSON, get_section
from node import config as node_config
from node.home import Home, HomeError, add_genesis_account, init_home, validator_address
from node.keys.hd import PrivateKey
from node.validator_home import DEV_CHAIN_ID, DEV_FUNDS, DEV_KEY, SELF_STAKE, init_dev_home, init_solo_home
from vm.crypto import VALOPER_HRP, decode_address

ALICE = PrivateKey(bytes([1]) * 32).address
BOB = PrivateKey(bytes([2]) * 32).address


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "node")


def coins(**amounts: int) -> list[CoinJSON]:
    return [CoinJSON(denom=denom, amount=amount) for denom, amount in amounts.items()]


def balances(home: Home, address: str) -> dict[str, int]:
    doc = genesis_doc.load(home.genesis_file)
    (entry,) = [b for b in get_section(doc, "bank", BankGenesis).balances if b.address == address]
    return {c.denom: c.amount for c in entry.coins}


# -- init ---------------------------------------------------------------------------------------


def test_init_creates_the_home(home: Home) -> None:
    doc = init_home(home, "val-1", "depin-test-1")
    assert home.is_initialised()
    assert home.data_dir.is_dir()
    assert node_config.load(home.config_file).moniker == "val-1"
    assert genesis_doc.load(home.genesis_file) == doc
    assert doc.chain_id == "depin-test-1"


def test_init_key_and_folders_are_private(home: Home) -> None:
    init_home(home, "val-1", "depin-test-1")
    assert mode(home.key_file) == 0o600
    for folder in (home.root, home.config_dir, home.data_dir):
        assert mode(folder) == 0o700


def test_init_genesis_has_no_validators_yet(home: Home) -> None:
    doc = init_home(home, "val-1", "depin-test-1")
    assert doc.validators == []
    assert doc.app_state["genutil"] == {"gen_txs": []}
    assert get_section(doc, "auth", AuthGenesis).accounts == []
    genesis_doc.parse_time(doc.genesis_time)
    pub = privval.public_key(privval.read_key_file(home.key_file))
    assert validator_address(home) == address_of(pub).hex().upper()


def test_init_solo_home_has_a_gentx_for_this_validator(home: Home) -> None:
    doc = init_solo_home(home, "val-1", "depin-test-1")
    pub = privval.public_key(privval.read_key_file(home.key_file))
    (gentx,) = doc.app_state["genutil"]["gen_txs"]
    (message,) = gentx["body"]["messages"]
    assert message["@type"] == "/cosmos.staking.v1beta1.MsgCreateValidator"
    assert base64.b64decode(message["pubkey"]["key"]) == pub
    assert message["value"] == {"denom": DEFAULT_DENOM, "amount": str(SELF_STAKE)}
    assert message["description"]["moniker"] == "val-1"
    assert doc.validators == []


def test_invalid_reinit(home: Home) -> None:
    init_home(home, "val-1", "depin-test-1")
    genesis = home.genesis_file.read_bytes()
    with pytest.raises(HomeError, match="already initialised"):
        init_home(home, "val-2", "depin-test-2")
    assert home.genesis_file.read_bytes() == genesis


def test_reinit_with_overwrite_keeps_key_and_config(home: Home) -> None:
    init_home(home, "val-1", "depin-test-1")
    key, config = home.key_file.read_bytes(), home.config_file.read_bytes()
    doc = init_home(home, "val-2", "depin-test-2", overwrite=True)
    assert doc.chain_id == "depin-test-2"
    assert genesis_doc.load(home.genesis_file).chain_id == "depin-test-2"
    assert home.key_file.read_bytes() == key
    assert home.config_file.read_bytes() == config


def test_invalid_chain_id_writes_no_genesis(home: Home) -> None:
    with pytest.raises(genesis_doc.GenesisError):
        init_home(home, "val-1", "bad chain id")
    assert not home.genesis_file.exists()
    assert not home.is_initialised()


# -- genesis accounts ----------------------------------------------------------------------------------


def test_add_genesis_account(home: Home) -> None:
    init_home(home, "val-1", "depin-test-1")
    doc = add_genesis_account(home, ALICE, coins(udepin=100))
    assert [a.address for a in get_section(doc, "auth", AuthGenesis).accounts] == [ALICE]
    assert balances(home, ALICE) == {"udepin": 100}


def test_add_genesis_account_merges_balances(home: Home) -> None:
    init_home(home, "val-1", "depin-test-1")
    add_genesis_account(home, ALICE, coins(udepin=100))
    add_genesis_account(home, ALICE, coins(udepin=50, stake=7))
    add_genesis_account(home, BOB, coins(udepin=1))
    doc = genesis_doc.load(home.genesis_file)
    assert [a.address for a in get_section(doc, "auth", AuthGenesis).accounts] == [ALICE, BOB]
    assert balances(home, ALICE) == {"udepin": 150, "stake": 7}
    (alice,) = [b for b in get_section(doc, "bank", BankGenesis).balances if b.address == ALICE]
    assert [c.denom for c in alice.coins] == ["stake", "udepin"]
    assert balances(home, BOB) == {"udepin": 1}
    assert get_section(doc, "bank", BankGenesis).supply == []  # recomputed from balances at init_chain


def test_invalid_add_genesis_account_without_home(home: Home) -> None:
    with pytest.raises(genesis_doc.GenesisError):
        add_genesis_account(home, ALICE, coins(udepin=1))


# -- dev home ----------------------------------------------------------------------------------------------


def test_init_dev_home_funds_the_dev_key(home: Home) -> None:
    address, mnemonic = init_dev_home(home)
    assert home.is_initialised()
    doc = genesis_doc.load(home.genesis_file)
    assert doc.chain_id == DEV_CHAIN_ID
    assert balances(home, address) == {DEFAULT_DENOM: DEV_FUNDS}
    assert home.keyring("test").show(DEV_KEY).address == address
    assert PrivateKey.from_mnemonic(mnemonic).address == address
    (gentx,) = doc.app_state["genutil"]["gen_txs"]
    (message,) = gentx["body"]["messages"]
    operator = message["validator_address"]
    assert decode_address(operator, VALOPER_HRP) == decode_address(address)


def test_init_dev_home_prints_nothing(home: Home, capfd: pytest.CaptureFixture[str]) -> None:
    init_dev_home(home)
    assert capfd.readouterr() == ("", "")


def test_init_dev_home_leaves_no_staging_behind(home: Home) -> None:
    init_dev_home(home)
    assert sorted(p.name for p in home.root.parent.iterdir()) == [home.root.name]


def test_init_dev_home_into_an_empty_folder(home: Home) -> None:
    home.root.mkdir()
    init_dev_home(home)
    assert home.is_initialised()


def test_invalid_init_dev_home_over_a_non_empty_folder(home: Home) -> None:
    home.root.mkdir()
    (home.root / "notes.txt").write_text("mine")
    with pytest.raises(HomeError, match="not a complete depind home"):
        init_dev_home(home)
    assert [p.name for p in home.root.iterdir()] == ["notes.txt"]


def test_invalid_init_dev_home_over_an_initialised_home(home: Home) -> None:
    init_home(home, "val-1", "depin-test-1")
    genesis = home.genesis_file.read_bytes()
    with pytest.raises(HomeError):
        init_dev_home(home)
    assert home.genesis_file.read_bytes() == genesis


def test_interrupted_init_dev_home_leaves_no_home(home: Home) -> None:
    # The staging folder's place is taken by a file, so building the home fails part way.
    blocker = home.root.with_name(home.root.name + ".initialising")
    blocker.write_text("in the way")
    with pytest.raises(OSError):
        init_dev_home(home)
    assert not home.root.exists()
