"""TxRaw bytes as CheckTx, a proposal's txs and the tx gossip get them: ``decode_tx`` with
the module registry (the strict TxRaw reader, TxBody and AuthInfo, every message's
``Any``), then the stateless checks (``validate_basic``), signed and as a simulation.

Rejections: ``InvalidTx`` subclasses. Promises checked on what is accepted: the bytes
are the canonical encoding of the TxRaw they decode to (one tx, one hash), and each
message converts back to the protobuf it came from and to the same value again."""

from __future__ import annotations

from tests.fuzz.support import check
from tests.fuzz.txs import one_of_each, registry, shapes
from vm.auth.ante import validate_basic
from vm.codec import codec_for
from vm.errors import InvalidTx
from vm.protowire import encode_tx_raw
from vm.tx import SignMode, Tx, decode_tx

HEIGHT = 5
MAX_LEN = 8192


def fuzz_one(data: bytes) -> None:
    for simulate in (False, True):
        try:
            tx = decode_tx(data, registry(), simulate=simulate)
            validate_basic(tx, HEIGHT, simulate=simulate)
        except InvalidTx:
            continue
        check_accepted(tx, data)


def check_accepted(tx: Tx, data: bytes) -> None:
    check(encode_tx_raw(tx.raw) == data, "an accepted TxRaw is its own canonical encoding")
    for message in tx.body.messages:
        codec = codec_for(type(message))
        check(codec.read(codec.write(message)) == message, f"{type(message).__name__} round-trips")


def seeds() -> dict[str, bytes]:
    return one_of_each(SignMode.DIRECT) | shapes()
