"""A genesis document, as ``depind start`` and ``depind genesis validate`` read it:
``genesis.doc.loads`` (size limit, JSON schema, chain id, time, validators), then the
application's checks of every module's section, the gentxs and the invariants
(``vm.app.validate_genesis``).

Rejections: ``GenesisError`` and ``InvalidTx``, the two that ``genesis validate`` reports."""

from __future__ import annotations

import contextlib

from genesis.doc import GenesisError, dumps, loads
from tests.fuzz.solo import solo
from tests.vm.helpers import make_genesis
from vm.app import validate_genesis
from vm.errors import InvalidTx

MAX_LEN = 16384
TOKENS = tuple(
    f'"{word}"'.encode()
    for word in (
        "genesis_time", "chain_id", "initial_height", "consensus_params", "validators", "app_hash",
        "app_state", "auth", "bank", "staking", "genutil", "gen_txs", "params", "accounts", "balances",
        "supply", "denom", "amount", "address", "pub_key", "power", "name",
    )
)  # fmt: skip


def fuzz_one(data: bytes) -> None:
    with contextlib.suppress(GenesisError, InvalidTx):
        validate_genesis(loads(data))


def seeds() -> dict[str, bytes]:
    return {
        "funded-accounts": dumps(make_genesis()),
        "with-gentx": solo().node.home.genesis_file.read_bytes(),
    }
