"""Byzantine validators as real processes (tests/e2e/maverick.py) in a network of four:
one that double-signs is reported once in a committed block while the chain goes on and
is punished, stake that left it after the infraction pays its share, and one that
proposes invalid blocks is voted down and skipped by the honest three."""

from __future__ import annotations

import base64
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from consensus.tendermint.evidence import decode_evidence, evidence_height
from consensus.validators import Validator, ValidatorSet
from node.client import build_tx
from node.services import VALCONS_HRP
from node.testnet import VALIDATOR_STAKE
from tests.e2e.harness import DENOM, POLL_S, NodeFailure, Wallet
from tests.e2e.maverick import (
    DOUBLE_SIGN,
    DOUBLE_SIGN_MEMO,
    DOUBLE_SIGN_ON_MEMO,
    INVALID_PROPOSAL,
    maverick_command,
)
from tests.e2e.network import Network, NetworkFactory, ValidatorNode, chain_view
from vm.crypto import VALOPER_HRP, address_from_pubkey, encode_address
from vm.msg import Msg
from vm.staking.msgs import MsgBeginRedelegate, MsgDelegate, MsgUndelegate
from vm.tx import SignMode
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
EVIDENCE_TIMEOUT_S = 20.0
BLOCKS_AFTER_EVIDENCE = 4
STAKING_GAS = 600_000
STAKING_FEE = 6_000
MOVED = 1_000_000  # udepin per unbonding and redelegation entry
DOUBLE_SIGN_FRACTION_PERCENT = 5
INVALID_PROPOSAL_HEIGHT = 10  # the maverick is round-0 proposer at every 4th height: 2 or 3 of these
WAIT_TIMEOUT_S = 40.0


def start_with_maverick(
    network_factory: NetworkFactory, misbehavior: str
) -> tuple[Network, list[ValidatorNode], ValidatorNode]:
    """Four validators, the last running as a maverick; (network, honest nodes, maverick)."""
    network = network_factory(VALIDATORS, start=False)
    *honest, maverick = network.nodes
    maverick.command = maverick_command(maverick.home.root, misbehavior)
    network.start_all()
    return network, honest, maverick


# -- double signing --------------------------------------------------------------------------------


def test_double_signer_is_reported_once_and_the_chain_goes_on(network_factory: NetworkFactory) -> None:
    network, honest, maverick = start_with_maverick(network_factory, DOUBLE_SIGN)
    first = wait_for_evidence(honest[0], EVIDENCE_TIMEOUT_S)
    top = first + BLOCKS_AFTER_EVIDENCE
    network.wait_all_height(top, WAIT_TIMEOUT_S, nodes=honest)

    for node in honest:
        evidence = block_evidence(node, first)
        assert evidence, f"{node.name} has no evidence in block {first}"
        assert {accused(item) for item in evidence} == {maverick.validator_address}
        reported = misbehavior_events(node, first)
        expected = [
            ("duplicate_vote", maverick.validator_address, evidence_height(decode_evidence(item)))
            for item in evidence
        ]
        assert sorted(reported) == sorted(expected), node.name
        assert all(height < first for _, _, height in reported)

    heights = range(1, top + 1)
    committed = [item for height in heights for item in block_evidence(honest[0], height)]
    repeated = [item for item, count in Counter(committed).items() if count > 1]
    assert not repeated, f"evidence committed in more than one block: {repeated}"
    assert {accused(item) for item in committed} == {maverick.validator_address}
    reference = chain_view(honest[0], heights)
    for node in honest[1:]:
        assert chain_view(node, heights) == reference, node.name
    check_double_signer_punished(honest[0], maverick, first)


def check_double_signer_punished(node: ValidatorNode, maverick: ValidatorNode, height: int) -> None:
    """Slashed 5% (nothing had changed its stake), jailed for good, tombstoned, and out of
    the set two heights after the evidence's block."""
    operator = address_from_pubkey(maverick.account_key.public_key, VALOPER_HRP)
    slashed = node.rpc("validator_staking", address=operator)
    assert slashed["jailed"] is True
    assert int(slashed["tokens"]) == VALIDATOR_STAKE - VALIDATOR_STAKE * 5 // 100
    cons = encode_address(bytes.fromhex(maverick.validator_address), VALCONS_HRP)
    info = httpx.get(f"{node.rest_url}/cosmos/slashing/v1beta1/signing_infos/{cons}", timeout=10).json()
    assert info["val_signing_info"]["tombstoned"] is True
    set_after = node.rpc("validators", height=height + 2)["validators"]
    assert maverick.validator_address not in {v["address"] for v in set_after}


# -- stake that leaves after the infraction ---------------------------------------------------------


def test_stake_leaving_after_the_infraction_is_slashed(network_factory: NetworkFactory) -> None:
    """A delegator of the maverick unbonds and redelegates twice: well before the infraction
    (untouched) and in the very block the maverick double-signs (each entry pays 5%, the
    redelegated one from the destination validator; the validator pays the rest)."""
    network, honest, maverick = start_with_maverick(network_factory, DOUBLE_SIGN_ON_MEMO)
    node, destination = honest[0], honest[1]
    delegator = Wallet(node, node.account_key)
    source, target = valoper(maverick), valoper(destination)
    move = Coin(DENOM, MOVED)
    commit(
        node, delegator, [MsgDelegate(delegator.address, source, Coin(DENOM, 5 * MOVED))], network.chain_id
    )
    before = commit(
        node,
        delegator,
        [
            MsgUndelegate(delegator.address, source, move),
            MsgBeginRedelegate(delegator.address, source, target, move),
        ],
        network.chain_id,
    )
    node.wait_height(before + 2)  # so the infraction (the block's height - 1) comes after ``before``
    infraction_block = commit(
        node,
        delegator,
        [
            MsgUndelegate(delegator.address, source, move),
            MsgBeginRedelegate(delegator.address, source, target, move),
        ],
        network.chain_id,
        memo=DOUBLE_SIGN_MEMO,
    )
    evidence_block = wait_for_evidence(node, EVIDENCE_TIMEOUT_S, after=infraction_block)
    reported = {
        (accused(e), evidence_height(decode_evidence(e))) for e in block_evidence(node, evidence_block)
    }
    assert reported == {(maverick.validator_address, infraction_block)}
    (power,) = {power for _, power in double_sign_slashes(node, evidence_block)}

    owed_by_each_entry = MOVED * DOUBLE_SIGN_FRACTION_PERCENT // 100
    unbondings = node.rpc("unbonding_delegations", delegator=delegator.address, validator=source)
    (unbonding,) = unbondings["unbonding_responses"]
    assert entry_balances(unbonding["entries"]) == {
        before: MOVED,
        infraction_block: MOVED - owed_by_each_entry,
    }
    # As in Cosmos, a redelegation entry is not changed: the slash unbonds its share from
    # the delegation it made at the destination, and burns the tokens.
    redelegations = node.rpc("redelegations", delegator=delegator.address, src_validator=source)
    (redelegation,) = redelegations["redelegation_responses"]
    assert sorted(entry_balances(redelegation["entries"])) == [before, infraction_block]
    at_destination = node.rpc("delegations", delegator=delegator.address, validator=target)
    assert (
        int(at_destination["delegation_responses"][0]["balance"]["amount"]) == 2 * MOVED - owed_by_each_entry
    )
    destination_tokens = int(node.rpc("validator_staking", address=target)["tokens"])
    assert destination_tokens == VALIDATOR_STAKE + 2 * MOVED - owed_by_each_entry

    slash_amount = power * 1_000_000 * DOUBLE_SIGN_FRACTION_PERCENT // 100
    from_validator = slash_amount - 2 * owed_by_each_entry
    slashed = node.rpc("validator_staking", address=source)
    assert slashed["jailed"] is True
    assert int(slashed["tokens"]) == VALIDATOR_STAKE + MOVED - from_validator


def commit(node: ValidatorNode, wallet: Wallet, messages: list[Msg], chain_id: str, memo: str = "") -> int:
    """Broadcast a tx of ``messages`` signed by ``wallet``; the height of the block it is in."""
    raw = build_tx(
        wallet.key,
        chain_id,
        wallet.account_number,
        wallet.sequence,
        messages,
        [Coin(DENOM, STAKING_FEE)],
        STAKING_GAS,
        memo=memo,
        mode=SignMode.DIRECT,
    )
    result = node.commit_tx(raw)
    wallet.sequence += 1
    return int(result["height"])


def valoper(node: ValidatorNode) -> str:
    return address_from_pubkey(node.account_key.public_key, VALOPER_HRP)


def entry_balances(entries: list[dict[str, Any]]) -> dict[int, int]:
    """Each entry's balance by the height it was created at."""
    return {int(e["creation_height"]): int(e["balance"]) for e in entries}


def double_sign_slashes(node: ValidatorNode, height: int) -> list[tuple[str, int]]:
    """(address, power) of each double-sign ``slash`` event of the block at ``height``."""
    events = node.rpc("block_results", height=height)["finalize_block_events"]
    slashes = []
    for event in events:
        attributes = {a["key"]: a["value"] for a in event["attributes"]}
        if event["type"] == "slash" and attributes.get("reason") == "double_sign":
            slashes.append((attributes["address"], int(attributes["power"])))
    return slashes


def wait_for_evidence(node: ValidatorNode, timeout: float, after: int = 0) -> int:
    """The first height above ``after`` whose committed block carries evidence, waiting for one."""
    deadline = time.monotonic() + timeout
    checked = after
    while time.monotonic() < deadline:
        for height in range(checked + 1, node.height() + 1):
            if block_evidence(node, height):
                return height
            checked = height
        time.sleep(POLL_S)
    raise NodeFailure(f"no block up to {checked} carries evidence after {timeout}s\n{node.log_tail()}")


def block_evidence(node: ValidatorNode, height: int) -> list[bytes]:
    """The encoded evidence in the block at ``height`` (``block``)."""
    listed = node.rpc("block", height=height)["block"]["evidence"]["evidence"]
    return [base64.b64decode(item) for item in listed]


def accused(encoded: bytes) -> str:
    return decode_evidence(encoded).vote_a.validator_address.hex().upper()


def misbehavior_events(node: ValidatorNode, height: int) -> list[tuple[str, str, int]]:
    """(kind, validator, height) of each ``misbehavior`` event of the block at ``height``."""
    events = node.rpc("block_results", height=height)["finalize_block_events"]
    reported = []
    for event in events:
        if event["type"] == "misbehavior":
            attributes = {a["key"]: a["value"] for a in event["attributes"]}
            reported.append((attributes["kind"], attributes["validator"], int(attributes["height"])))
    return reported


# -- invalid proposals -----------------------------------------------------------------------------


def test_invalid_proposals_are_rejected_and_another_proposer_commits(network_factory: NetworkFactory) -> None:
    network, honest, maverick = start_with_maverick(network_factory, INVALID_PROPOSAL)
    network.wait_all_height(INVALID_PROPOSAL_HEIGHT, WAIT_TIMEOUT_S, nodes=honest)

    heights = range(1, INVALID_PROPOSAL_HEIGHT + 1)
    reference = chain_view(honest[0], heights)
    for node in honest[1:]:
        assert chain_view(node, heights) == reference, node.name
    validators = {node.validator_address for node in network.nodes}
    maverick_heights = [h for h in heights if round_zero_proposer(honest[0], h) == maverick.validator_address]
    assert len(maverick_heights) >= 2, f"the maverick is round-0 proposer only at {maverick_heights}"
    for height in heights:
        header, commit = signed_header(honest[0], height)
        proposer = header["proposer_address"]
        assert proposer in validators - {maverick.validator_address}, f"block {height} proposed by {proposer}"
        if height in maverick_heights:
            assert commit["round"] >= 1, f"block {height} committed in round {commit['round']}"

    rejected = {node.name: rejected_heights(node, maverick_heights) for node in honest}
    for name, found in rejected.items():
        assert found, f"{name} logged no rejection of the maverick's blocks at {maverick_heights}"
    assert set().union(*rejected.values()) == set(maverick_heights), rejected


def rejected_heights(node: ValidatorNode, heights: list[int]) -> set[int]:
    """The heights among ``heights`` at which the node's log says it rejected the proposed
    block for its wrong app hash."""
    log = node.log_tail(10**8)
    return {h for h in heights if f"rejecting proposed block {h}: app_hash differs" in log}


def round_zero_proposer(node: ValidatorNode, height: int) -> str:
    """The address (hex) of the validator that proposes first at ``height``. The listed
    priorities are those after the proposer paid, so they do not name it: with no validator
    updates in these tests, it is the one the previous height's set (``validators``) picks
    when incremented, and at the first height the one a new set of these powers picks."""
    if height == 1:
        listed = node.rpc("validators", height=1)["validators"]
        first = ValidatorSet.from_keys(
            [(base64.b64decode(v["pub_key"]["value"]), int(v["voting_power"])) for v in listed]
        )
        return first.proposer().address.hex().upper()
    listed = node.rpc("validators", height=height - 1)["validators"]
    validators = ValidatorSet(
        [
            Validator(
                bytes.fromhex(v["address"]),
                base64.b64decode(v["pub_key"]["value"]),
                int(v["voting_power"]),
                int(v["proposer_priority"]),
            )
            for v in listed
        ]
    )
    return validators.increment_priority().proposer().address.hex().upper()


def signed_header(node: ValidatorNode, height: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and commit of the block at ``height`` (``commit``)."""
    signed = node.rpc("commit", height=height)["signed_header"]
    if signed["commit"] is None:
        raise NodeFailure(f"{node.name} has no commit for block {height}")
    return signed["header"], signed["commit"]
