"""REST (Cosmos LCD paths, proto3 JSON) on a running node: node info, blocks, a tx
broadcast and read back, the app's queries, grpc-gateway's error shapes, and
cosmpy's own ``LedgerClient`` over ``rest+http``, unchanged: accounts, balances,
the latest block, a send (simulated for gas, signed, broadcast, waited for) and
the tx read back."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cosmpy.aerial.client import LedgerClient, NetworkConfig
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.crypto.address import Address
from mnemonic import Mnemonic

from consensus.validators import address_of
from node.config import APIConfig
from node.services import VALCONS_HRP
from tests.e2e.harness import (
    CHAIN_ID,
    DENOM,
    FEE,
    FUNDS,
    GAS,
    KEYS,
    NodeProcess,
    Wallet,
    assert_no_traceback,
    b64,
    e2e_key,
    tx_hash,
)
from tests.e2e.network import NetworkFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MNEMONIC = Mnemonic("english").to_mnemonic(hashlib.sha256(b"e2e-rest-cosmpy").digest())
WALLET = LocalWallet.from_mnemonic(MNEMONIC, prefix="depin")
WAIT_S = 20.0
POLL_S = 0.2


class Rest:
    """The node's REST server; every answer is JSON and never holds a traceback."""

    def __init__(self, node: NodeProcess) -> None:
        self.node = node
        self.http = httpx.Client(base_url=node.rest_url, timeout=20.0)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self._checked(self.http.get(path, params=params))

    def post(self, path: str, body: Any = None, content: bytes | None = None) -> httpx.Response:
        if content is not None:
            return self._checked(self.http.post(path, content=content))
        return self._checked(self.http.post(path, json=body))

    def ok(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        assert_no_traceback(response.text)
        assert response.headers["content-type"] == "application/json", response.text
        return response


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rest]:
    funded = {str(WALLET.address()): FUNDS, **{key.address: FUNDS for key in KEYS}}
    node = NodeProcess(tmp_path_factory.mktemp("rest"), funded)
    client = Rest(node)
    try:
        node.start()
        yield client
        assert not node.logged_tracebacks(), node.log_tail()
    finally:
        client.http.close()
        node.close()


def assert_error(response: httpx.Response, http_status: int, code: int) -> str:
    """grpc-gateway's error object; returns its message."""
    assert response.status_code == http_status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["details"] == []
    assert body["code"] == code, body
    message: str = body["message"]
    return message


def wait_tx(rest: Rest, hash_hex: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        response = rest.get(f"/cosmos/tx/v1beta1/txs/{hash_hex}")
        if response.status_code == 200:
            found: dict[str, Any] = response.json()
            return found
        assert_error(response, 404, 5)
        time.sleep(POLL_S)
    raise AssertionError(f"tx {hash_hex} not committed in {WAIT_S}s")


# -- the node's services -------------------------------------------------------------


def test_node_info(rest: Rest) -> None:
    info = rest.ok("/cosmos/base/tendermint/v1beta1/node_info")
    assert info["default_node_info"]["network"] == CHAIN_ID
    assert info["default_node_info"]["moniker"] == "e2e"
    version = info["application_version"]
    assert (version["name"], version["app_name"]) == ("depind", "depind")
    assert version["cosmos_sdk_version"].startswith("v0.50")


def test_latest_block_and_block_by_height(rest: Rest) -> None:
    latest = rest.ok("/cosmos/base/tendermint/v1beta1/blocks/latest")
    header = latest["block"]["header"]
    height = int(header["height"])
    assert height >= 1 and header["chain_id"] == CHAIN_ID
    assert latest["block_id"]["part_set_header"]["total"] >= 1
    proposer = latest["sdk_block"]["header"]["proposer_address"]
    assert proposer.startswith(f"{VALCONS_HRP}1")
    validator = address_of(rest.node.validator_pub_key)
    assert base64.b64decode(header["proposer_address"]) == validator
    again = rest.ok(f"/cosmos/base/tendermint/v1beta1/blocks/{height}")
    assert again["block_id"] == latest["block_id"]
    too_high = rest.get(f"/cosmos/base/tendermint/v1beta1/blocks/{height + 10_000}")
    assert_error(too_high, 400, 3)


def test_broadcast_then_get_tx_and_search(rest: Rest) -> None:
    wallet = Wallet(rest.node, KEYS[0])
    raw = wallet.sign([wallet.send_msg(KEYS[4].address, 1_234)])
    sent = rest.post("/cosmos/tx/v1beta1/txs", {"tx_bytes": b64(raw), "mode": "BROADCAST_MODE_SYNC"})
    assert sent.status_code == 200, sent.text
    response = sent.json()["tx_response"]
    assert (response["code"], response["txhash"]) == (0, tx_hash(raw))

    found = wait_tx(rest, tx_hash(raw))
    result = found["tx_response"]
    assert (result["code"], result["txhash"]) == (0, tx_hash(raw))
    assert int(result["height"]) >= 1 and int(result["gas_used"]) > 0
    assert result["tx"]["@type"] == "/cosmos.tx.v1beta1.Tx"
    assert found["tx"]["body"]["messages"][0]["@type"] == "/cosmos.bank.v1beta1.MsgSend"
    assert any(event["type"] == "transfer" for event in result["events"])

    query = f"message.sender='{wallet.address}'"
    for params in ({"events": query}, {"query": query}):
        searched = rest.ok("/cosmos/tx/v1beta1/txs", **params)
        assert tx_hash(raw) in [r["txhash"] for r in searched["tx_responses"]]
        assert len(searched["txs"]) == len(searched["tx_responses"]) == int(searched["total"])


def test_missing_tx_is_404(rest: Rest) -> None:
    missing = "AB" * 32
    message = assert_error(rest.get(f"/cosmos/tx/v1beta1/txs/{missing}"), 404, 5)
    assert "tx" in message and "not found" in message


def test_invalid_requests_answer_grpc_gateway_errors(rest: Rest) -> None:
    assert_error(rest.get("/cosmos/nothing/here"), 404, 5)
    assert_error(rest.post("/cosmos/bank/v1beta1/supply", {}), 405, 12)
    assert_error(rest.get("/cosmos/bank/v1beta1/supply", **{"pagination.limit": "many"}), 400, 3)
    assert_error(rest.get("/cosmos/tx/v1beta1/txs/not-hex"), 400, 3)
    assert_error(rest.post("/cosmos/tx/v1beta1/txs", content=b"{not json"), 400, 3)
    block_mode = {"tx_bytes": b64(b"x"), "mode": "BROADCAST_MODE_BLOCK"}
    assert "deprecated" in assert_error(rest.post("/cosmos/tx/v1beta1/txs", block_mode), 400, 3)
    too_large = b"{" + b" " * APIConfig.max_body_bytes + b"}"
    assert_error(rest.post("/cosmos/tx/v1beta1/txs", content=too_large), 413, 8)


def test_each_testnet_node_serves_rest_on_its_own_port(network_factory: NetworkFactory) -> None:
    network = network_factory(2)
    urls = {node.rest_url for node in network.nodes}
    assert len(urls) == 2
    ids = set()
    for node in network.nodes:
        with httpx.Client(base_url=node.rest_url, timeout=20.0) as http:
            info = http.get("/cosmos/base/tendermint/v1beta1/node_info").json()["default_node_info"]
            assert info["network"] == network.chain_id
            ids.add(info["default_node_id"])
            assert http.get("/cosmos/base/tendermint/v1beta1/blocks/latest").status_code == 200
    assert len(ids) == 2


# -- the application's queries ---------------------------------------------------------


def test_account_balances_and_supply(rest: Rest) -> None:
    address = KEYS[1].address
    account = rest.ok(f"/cosmos/auth/v1beta1/accounts/{address}")["account"]
    assert account["@type"] == "/cosmos.auth.v1beta1.BaseAccount" and account["address"] == address
    balances = rest.ok(f"/cosmos/bank/v1beta1/balances/{address}")["balances"]
    assert balances == [{"denom": DENOM, "amount": str(FUNDS)}]
    balance = rest.ok(f"/cosmos/bank/v1beta1/balances/{address}/by_denom", denom=DENOM)["balance"]
    assert balance == {"denom": DENOM, "amount": str(FUNDS)}
    spendable = rest.ok(f"/cosmos/bank/v1beta1/spendable_balances/{address}")["balances"]
    assert spendable == balances
    supply = rest.ok("/cosmos/bank/v1beta1/supply")["supply"]
    assert int(next(c["amount"] for c in supply if c["denom"] == DENOM)) >= FUNDS * (len(KEYS) + 1)
    assert rest.ok("/cosmos/consensus/v1/params")["params"]["block"]["max_gas"]
    assert rest.ok("/depind/provider/v1/providers")["providers"] == []
    assert "params" in rest.ok("/depind/provider/v1/params")
    unknown = rest.get(f"/cosmos/auth/v1beta1/accounts/{e2e_key(99).address}")
    assert "not found" in assert_error(unknown, 404, 5)
    garbled = KEYS[5].address[:-6] + "qqqqqq"  # a bad checksum
    assert_error(rest.get(f"/cosmos/auth/v1beta1/accounts/{garbled}"), 400, 3)


def test_simulate_tx_bytes(rest: Rest) -> None:
    wallet = Wallet(rest.node, KEYS[2])
    raw = wallet.sign([wallet.send_msg(KEYS[3].address, 10)], fee=FEE, gas=GAS)
    simulated = rest.post("/cosmos/tx/v1beta1/simulate", {"tx_bytes": b64(raw)})
    assert simulated.status_code == 200, simulated.text
    assert 0 < int(simulated.json()["gas_info"]["gas_used"]) <= GAS


# -- cosmpy, unchanged -----------------------------------------------------------------------


def test_cosmpy_ledger_client(rest: Rest) -> None:
    config = NetworkConfig(
        chain_id=CHAIN_ID,
        url=f"rest+{rest.node.rest_url}",
        fee_minimum_gas_price=0.01,
        fee_denomination=DENOM,
        staking_denomination=DENOM,
    )
    client = LedgerClient(config, query_interval_secs=1)
    address = WALLET.address()
    account = client.query_account(address)
    assert account.sequence == 0
    assert client.query_bank_balance(address) == FUNDS
    assert [(c.denom, int(c.amount)) for c in client.query_bank_all_balances(address)] == [(DENOM, FUNDS)]
    assert client.query_latest_block().chain_id == CHAIN_ID

    recipient = Address(KEYS[5].address)
    before = client.query_bank_balance(recipient)
    submitted = client.send_tokens(recipient, 4_321, DENOM, WALLET).wait_to_complete(timeout=WAIT_S)
    assert submitted.response is not None and submitted.response.code == 0
    assert client.query_bank_balance(recipient) == before + 4_321
    found = client.query_tx(submitted.tx_hash)
    assert found.hash == submitted.tx_hash and found.height >= 1
    assert client.query_account(address).sequence == account.sequence + 1


def test_cosmpy_staking(rest: Rest) -> None:
    """cosmpy's staking calls, unchanged: validators, delegate, the staking summary (with the
    rewards distribution pays), claim the rewards, undelegate."""
    config = NetworkConfig(
        chain_id=CHAIN_ID,
        url=f"rest+{rest.node.rest_url}",
        fee_minimum_gas_price=0.01,
        fee_denomination=DENOM,
        staking_denomination=DENOM,
    )
    client = LedgerClient(config, query_interval_secs=1)
    (validator,) = client.query_validators()
    assert str(validator.address).startswith("depinvaloper1")
    assert validator.moniker == "e2e"

    delegator = WALLET.address()
    delegated = client.delegate_tokens(validator.address, 3_000_000, WALLET).wait_to_complete(timeout=WAIT_S)
    assert delegated.response is not None and delegated.response.code == 0
    (position,) = client.query_staking_summary(delegator).current_positions
    assert (str(position.validator), position.amount) == (str(validator.address), 3_000_000)

    rest.node.wait_height(delegated.response.height + 3)  # fees of later blocks earn rewards
    balance = client.query_bank_balance(delegator)
    claimed = client.claim_rewards(validator.address, WALLET).wait_to_complete(timeout=WAIT_S)
    assert claimed.response is not None and claimed.response.code == 0
    paid = claimed.response.events["withdraw_rewards"]["amount"]
    assert paid.endswith(DENOM) and int(paid.removesuffix(DENOM)) > 0  # minted coins and fees
    fee = int(claimed.response.events["tx"]["fee"].removesuffix(DENOM))
    assert client.query_bank_balance(delegator) == balance + int(paid.removesuffix(DENOM)) - fee

    undelegated = client.undelegate_tokens(validator.address, 1_000_000, WALLET).wait_to_complete(
        timeout=WAIT_S
    )
    assert undelegated.response is not None and undelegated.response.code == 0
    summary = client.query_staking_summary(delegator)
    assert [p.amount for p in summary.current_positions] == [2_000_000]
    assert [p.amount for p in summary.unbonding_positions] == [1_000_000]
