"""slashing genesis: Cosmos's defaults, validation, and export then init giving the same
state (signing infos, missed blocks and tombstones included)."""

from __future__ import annotations

import msgspec
import pytest

from genesis.schema import (
    MissedBlockJSON,
    SigningInfoJSON,
    SlashingGenesis,
    SlashingParams,
    ValidatorMissedBlocksJSON,
    ValidatorSigningInfoJSON,
)
from tests.vm.helpers import ALICE, BOB, DAVE
from tests.vm.slashing.helpers import Evidence, SlashingChain
from tests.vm.staking.helpers import create_validator
from vm.context import BlockEnv, Context
from vm.errors import InvalidTx
from vm.gas import GasMeter
from vm.slashing.genesis import validate_genesis
from vm.slashing.types import format_cons_address
from vm.store.cache import CacheStore, ReadStore
from vm.store.kv import MemoryKV, prefix_end

ADDRESS = format_cons_address(b"\x01" * 20)


def test_defaults_are_cosmos_s() -> None:
    params = SlashingGenesis().params
    assert params == SlashingParams(
        signed_blocks_window=100,
        min_signed_per_window="0.500000000000000000",
        downtime_jail_duration_ns=600 * 10**9,
        slash_fraction_double_sign="0.050000000000000000",
        slash_fraction_downtime="0.010000000000000000",
    )
    validate_genesis(SlashingGenesis())


def slashing_state(store: ReadStore) -> dict[bytes, bytes]:
    return dict(store.iterate(b"slashing/", prefix_end(b"slashing/")))


def test_export_then_init_round_trips() -> None:
    chain = SlashingChain()
    for operator in (ALICE, BOB, DAVE):
        chain.run(create_validator(operator, 1000))
    chain.end_block()
    for _ in range(4):
        chain.block(absent=[ALICE])
    chain.block(absent=[BOB], evidence=[Evidence(chain.cons(DAVE), 2, 1000)])
    module = chain.registry.module("slashing")
    exported = module.genesis.export(chain.store)
    assert [len(m.missed_blocks) for m in exported.missed_blocks] == [4, 1]
    assert sum(info.validator_signing_info.tombstoned for info in exported.signing_infos) == 1
    decoded = module.genesis.decode(msgspec.json.decode(msgspec.json.encode(exported)))
    module.genesis.validate(decoded)
    fresh = CacheStore(MemoryKV())
    module.genesis.init(Context(fresh, BlockEnv("depin-test-1", 0, 0, b"", b""), GasMeter(10**12)), decoded)
    assert slashing_state(fresh) == slashing_state(chain.store)
    assert module.genesis.export(fresh) == exported


def info(counter: int = 0, address: str = ADDRESS) -> SigningInfoJSON:
    return SigningInfoJSON(
        address=ADDRESS,
        validator_signing_info=ValidatorSigningInfoJSON(address=address, missed_blocks_counter=counter),
    )


def missed(*indexes: int) -> ValidatorMissedBlocksJSON:
    return ValidatorMissedBlocksJSON(
        address=ADDRESS, missed_blocks=[MissedBlockJSON(index=i) for i in indexes]
    )


def test_a_listed_counter_matches_its_missed_blocks() -> None:
    validate_genesis(SlashingGenesis(signing_infos=[info(2)], missed_blocks=[missed(0, 7)]))
    validate_genesis(SlashingGenesis(signing_infos=[info(0)], missed_blocks=[missed()]))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (
            SlashingGenesis(params=SlashingParams(min_signed_per_window="1.5")),
            "min signed per window too large",
        ),
        (SlashingGenesis(params=SlashingParams(slash_fraction_downtime="-0.1")), "cannot be negative"),
        (SlashingGenesis(signing_infos=[info(), info()]), "duplicate signing info"),
        (SlashingGenesis(signing_infos=[info(address="depinvalcons1xyz")]), "signing info address"),
        (SlashingGenesis(signing_infos=[info(1)], missed_blocks=[missed(3, 3)]), "listed twice"),
        (SlashingGenesis(signing_infos=[info(1)], missed_blocks=[missed(3), missed(4)]), "duplicate missed"),
        (SlashingGenesis(signing_infos=[info(2)], missed_blocks=[missed(3)]), "disagree"),
        (SlashingGenesis(signing_infos=[info(2)]), "does not list"),
        (SlashingGenesis(missed_blocks=[missed(1)]), "disagree"),
    ],
)
def test_invalid_genesis(state: SlashingGenesis, message: str) -> None:
    with pytest.raises(InvalidTx, match=message):
        validate_genesis(state)
