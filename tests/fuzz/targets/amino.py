"""The Amino JSON sign document (SIGN_MODE_LEGACY_AMINO_JSON) of whatever tx the bytes
decode to, in either sign mode: ``vm.amino`` walks every message's protobuf descriptor,
so a direct-mode tx exercises it for every message type as well.

Rejections: ``InvalidTx`` from decoding, ``AminoError`` for a message with no Amino JSON
form, except for a tx that was accepted in Amino JSON mode (decoding promised its sign
bytes exist). Promise checked: the document is canonical JSON (sorted keys, compact,
escaped as cosmjs escapes), so parsing and writing it again gives the same bytes."""

from __future__ import annotations

import json

from tests.fuzz.support import check
from tests.fuzz.txs import one_of_each, registry, shapes
from tests.vm.helpers import CHAIN_ID
from vm import amino
from vm.errors import InvalidTx
from vm.tx import SignMode, Tx, amino_sign_bytes, decode_tx

ACCOUNT_NUMBER = 3
SEQUENCE = 7
MAX_LEN = 8192


def fuzz_one(data: bytes) -> None:
    try:
        tx = decode_tx(data, registry())
    except InvalidTx:
        return
    try:
        document = amino_sign_doc(tx)
    except amino.AminoError:
        check(tx.auth_info.mode is not SignMode.LEGACY_AMINO_JSON, "an accepted Amino JSON tx has sign bytes")
        return
    check(amino.canonical_json(json.loads(document)) == document, "the sign document is canonical JSON")


def amino_sign_doc(tx: Tx) -> bytes:
    """``vm.tx.sign_bytes`` in Amino JSON mode, whatever mode the tx was signed in."""
    return amino_sign_bytes(tx, CHAIN_ID, ACCOUNT_NUMBER, SEQUENCE)


def seeds() -> dict[str, bytes]:
    return one_of_each(SignMode.LEGACY_AMINO_JSON) | shapes()
