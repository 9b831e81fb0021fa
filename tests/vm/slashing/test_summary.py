"""The slashes counted by reason (``/slashing/summary``): one per slash the module makes, for
double signing, downtime and the compute module's attestations, none for evidence it
ignores; genesis carries the counts."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.schema import SlashCountsJSON, SlashingGenesis
from tests.vm.helpers import ALICE, BOB, DAVE, events_of, raw
from tests.vm.slashing.helpers import Evidence, SlashingChain
from tests.vm.staking.helpers import create_validator
from vm import dec
from vm.context import BlockEnv, Context
from vm.gas import GasMeter
from vm.store.cache import CacheStore
from vm.store.kv import MemoryKV


def summary(chain: SlashingChain, store: Any = None) -> Any:
    return chain.registry.query("/slashing/summary", store if store is not None else chain.store, {})


def counts(**reasons: int) -> dict[str, Any]:
    return {"slashes": msgspec.to_builtins(SlashCountsJSON(**reasons))}


def bonded() -> SlashingChain:
    """Alice, Bob and Dave bonded at height 1, with 1000 tokens each."""
    chain = SlashingChain()
    for operator in (ALICE, BOB, DAVE):
        chain.run(create_validator(operator, 1000))
    chain.end_block()
    return chain


def test_a_new_chain_counts_no_slash() -> None:
    assert summary(bonded()) == {
        "slashes": {"double_sign": 0, "missing_signature": 0, "false_attestation": 0, "missed_attestation": 0}
    }


def test_each_slash_counts_once_under_its_events_reason() -> None:
    chain = bonded()
    chain.blocks(2)
    chain.block(evidence=[Evidence(chain.cons(DAVE), 2, 1000)])
    assert summary(chain) == counts(double_sign=1)
    chain.block(evidence=[Evidence(chain.cons(DAVE), 3, 1000)])  # tombstoned: ignored
    assert summary(chain) == counts(double_sign=1)
    for _ in range(8):  # the first window signed
        chain.block()
    for _ in range(6):  # the 6th miss of 10 jails Alice for downtime
        chain.block(absent=[ALICE])
    assert chain.jailed(ALICE)
    assert summary(chain) == counts(double_sign=1, missing_signature=1)
    reasons = [event["reason"] for event in events_of(chain.events, "slash") if "reason" in event]
    assert reasons == ["double_sign", "missing_signature"]
    assert chain.broken() == []


def test_attestation_slashes_count_by_their_reason() -> None:
    chain = bonded()
    punish = chain.slashing.punish_attestation
    ctx, fraction = chain.ctx(), dec.parse("0.01")
    assert punish(ctx, raw(BOB), 1, 1000, fraction, True, "false_attestation") == 10
    assert punish(ctx, raw(DAVE), 1, 1000, fraction, False, "missed_attestation") == 10
    assert punish(ctx, b"\x09" * 20, 1, 1000, fraction, False, "missed_attestation") == 0  # no validator
    assert summary(chain) == counts(false_attestation=1, missed_attestation=1)


def test_invalid_attestation_reason() -> None:
    chain = bonded()
    with pytest.raises(ValueError, match="no attestation slash"):
        chain.slashing.punish_attestation(
            chain.ctx(), raw(BOB), 1, 1000, dec.parse("0.01"), False, "double_sign"
        )
    assert summary(chain) == counts()


def test_genesis_carries_the_counts() -> None:
    chain = bonded()
    chain.blocks(2)
    chain.block(evidence=[Evidence(chain.cons(DAVE), 2, 1000)])
    module = chain.registry.module("slashing")
    exported: SlashingGenesis = module.genesis.export(chain.store)
    assert exported.slashes == SlashCountsJSON(double_sign=1)
    decoded = module.genesis.decode(msgspec.json.decode(msgspec.json.encode(exported)))
    fresh = CacheStore(MemoryKV())
    module.genesis.init(Context(fresh, BlockEnv("depin-test-1", 0, 0, b"", b""), GasMeter(10**12)), decoded)
    assert summary(chain, fresh) == summary(chain) == counts(double_sign=1)


def test_a_genesis_without_counts_is_valid_and_counts_none() -> None:
    decoded = msgspec.json.decode(
        b'{"params": {}, "signing_infos": [], "missed_blocks": []}', type=SlashingGenesis
    )
    assert decoded.slashes == SlashCountsJSON()
