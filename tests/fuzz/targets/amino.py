"""The Amino JSON sign document (SIGN_MODE_LEGACY_AMINO_JSON) of whatever tx the bytes
decode to, in either sign mode: ``vm.amino`` walks every message's protobuf descriptor,
so a direct-mode tx exercises it for every message type as well.

Rejections: ``InvalidTx`` from decoding, ``AminoError`` for a message with no Amino JSON
form, except for a tx that was accepted in Amino JSON mode (decoding promised its sign
bytes exist). Promise checked: the document is canonical JSON (sorted keys, compact,
escaped as cosmjs escapes), so parsing and writing it again gives the same bytes."""

from __future__ import annotations

import json

from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2

from tests.fuzz.support import check
from tests.fuzz.txs import one_of_each, registry, shapes
from tests.vm.helpers import CHAIN_ID
from vm import amino
from vm.codec import MessageCodec
from vm.errors import InvalidTx
from vm.tx import SignMode, Tx, decode_tx
from vm.types import Coin

ACCOUNT_NUMBER = 3
SEQUENCE = 7
MAX_LEN = 8192
COIN = MessageCodec(Coin, coin_pb2.Coin)


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
    fee = tx.auth_info.fee
    return amino.sign_doc(
        chain_id=CHAIN_ID,
        account_number=ACCOUNT_NUMBER,
        sequence=SEQUENCE,
        timeout_height=tx.body.timeout_height,
        memo=tx.body.memo,
        fee_amount=[COIN.write(coin) for coin in fee.amount],
        gas_limit=fee.gas_limit,
        payer=fee.payer,
        granter=fee.granter,
        msgs=tx.body.wire,
    )


def seeds() -> dict[str, bytes]:
    return one_of_each(SignMode.LEGACY_AMINO_JSON) | shapes()
