"""Gentxs in the genesis file and in ``config/gentx/``.

A gentx is an ordinary signed tx carrying one ``MsgCreateValidator``, written as
Cosmos writes it: the proto3 JSON of ``cosmos.tx.v1beta1.Tx`` with the protobuf
field names. Its bytes are the deterministic protobuf encoding of that JSON, which
is what the signer signed when it was made by ``depind genesis gentx`` (or by any
Cosmos tool that encodes canonically).
"""

from __future__ import annotations

from typing import Any

from cosmpy.protos.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2
from google.protobuf import json_format

from vm.codec import type_url
from vm.errors import InvalidRequest
from vm.msg import Msg
from vm.protowire import RawTx, encode_tx_raw, parse_tx_raw
from vm.tx import MessageDecoder, Tx, decode_tx

MAX_GENTX_BYTES = 64 * 1024
CREATE_VALIDATOR = type_url(staking_tx.MsgCreateValidator)


def gentx_json(tx_bytes: bytes) -> dict[str, Any]:
    """A signed tx's JSON form, as a gentx file and the genesis's ``gen_txs`` hold it."""
    raw = parse_tx_raw(tx_bytes)
    tx = tx_pb2.Tx(
        body=tx_pb2.TxBody.FromString(raw.body_bytes),
        auth_info=tx_pb2.AuthInfo.FromString(raw.auth_info_bytes),
        signatures=list(raw.signatures),
    )
    document: dict[str, Any] = json_format.MessageToDict(tx, preserving_proto_field_name=True)
    if gentx_bytes(document) != tx_bytes:
        raise InvalidRequest("the tx is not canonically encoded: its JSON form would lose its signature")
    return document


def gentx_bytes(document: Any) -> bytes:
    """The tx bytes of a gentx's JSON form; raises ``InvalidRequest`` when it is not one."""
    if not isinstance(document, dict):
        raise InvalidRequest("a gentx is a JSON object (a cosmos.tx.v1beta1.Tx)")
    try:
        tx = json_format.ParseDict(document, tx_pb2.Tx())
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise InvalidRequest(f"gentx: {str(exc)[:200]}") from None
    raw = RawTx(
        tx.body.SerializeToString(deterministic=True),
        tx.auth_info.SerializeToString(deterministic=True),
        tuple(tx.signatures),
    )
    return encode_tx_raw(raw)


def decode_gentx(document: Any, messages: MessageDecoder) -> tuple[bytes, Msg]:
    """A gentx's bytes and its one message; raises ``InvalidTx`` when it is not a gentx."""
    tx_bytes = gentx_bytes(document)
    return tx_bytes, create_validator_of(decode_tx(tx_bytes, messages, MAX_GENTX_BYTES))


def create_validator_of(tx: Tx) -> Msg:
    """The gentx's one message, a MsgCreateValidator (named by its type URL: genutil does not
    reach into the staking module)."""
    messages = tx.body.messages
    if len(messages) != 1 or messages[0].__struct_config__.tag != CREATE_VALIDATOR:
        raise InvalidRequest("a gentx carries exactly one MsgCreateValidator")
    return messages[0]
