"""Text views of keys, RPC results and messages for ``--output text``: compact, one fact a line.

``--output json`` prints the same data unchanged, so scripts never parse these views.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import msgspec
from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from google.protobuf.message import Message as ProtoMessage

from node.keys.keyring import KeyInfo
from vm.codec import proto_class
from vm.errors import InvalidTx
from vm.modules import default_registry
from vm.tx import decode_tx

MNEMONIC_WARNING = (
    "**Important** write this mnemonic phrase in a safe place.\n"
    "It is the only way to recover your account if you ever forget your password."
)


def fields(pairs: list[tuple[str, Any]]) -> str:
    """Aligned ``label: value`` lines."""
    width = max(len(label) for label, _ in pairs)
    return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in pairs)


def coin_text(coin: dict[str, Any]) -> str:
    return f"{coin['amount']}{coin['denom']}"


def coins_text(coins: list[dict[str, Any]]) -> str:
    return ",".join(coin_text(coin) for coin in coins) or "none"


def proto_json(message: ProtoMessage) -> dict[str, Any]:
    """A protobuf message as Cosmos's CLI prints it: proto3 JSON under the .proto's field
    names (enums by name, 64-bit integers as strings), unset fields included."""
    found: dict[str, Any] = MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return found


# -- keys -------------------------------------------------------------------------


def key_view(info: KeyInfo) -> dict[str, str]:
    return {
        "name": info.name,
        "type": "local",
        "address": info.address,
        "pubkey": base64.b64encode(info.pubkey).decode(),
    }


def key_text(key: dict[str, str]) -> str:
    return fields([("name", key["name"]), ("address", key["address"]), ("pubkey", key["pubkey"])])


def new_key_text(key: dict[str, str]) -> str:
    if "mnemonic" not in key:
        return key_text(key)
    return f"{key_text(key)}\n\n{MNEMONIC_WARNING}\n\n{key['mnemonic']}"


def keys_text(keys: list[dict[str, str]]) -> str:
    if not keys:
        return "no keys"
    width = max(len(key["name"]) for key in keys)
    return "\n".join(f"{key['name']:<{width}}  {key['address']}" for key in keys)


# -- node -------------------------------------------------------------------------


def status_text(status: dict[str, Any]) -> str:
    node, sync, validator = status["node_info"], status["sync_info"], status["validator_info"]
    return fields(
        [
            ("network", node["network"]),
            ("moniker", node["moniker"]),
            ("node id", node["id"]),
            ("latest height", sync["latest_block_height"]),
            ("latest time", sync["latest_block_time"] or "-"),
            ("latest hash", sync["latest_block_hash"] or "-"),
            ("catching up", "yes" if sync["catching_up"] else "no"),
            ("validator", f"{validator['address']} (power {validator['voting_power']})"),
            *(staking_pairs(status["staking_info"]) if "staking_info" in status else []),
        ]
    )


def staking_pairs(staking: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """The node's validator as staking holds it (``depind status``)."""
    if staking is None:
        return [("staking", "not a validator")]
    state = staking["status"].removeprefix("BOND_STATUS_").lower()
    return [
        ("operator", staking["operator_address"]),
        ("tokens", f"{staking['tokens']} ({state})"),
        ("jailed", "yes" if staking["jailed"] else "no"),
    ]


def block_text(result: dict[str, Any]) -> str:
    header, block_id = result["block"]["header"], result["block_id"] or {}
    return fields(
        [
            ("height", header["height"]),
            ("hash", block_id.get("hash", "-")),
            ("time", header["time"]),
            ("chain id", header["chain_id"]),
            ("proposer", header["proposer_address"]),
            ("txs", len(result["block"]["data"]["txs"])),
            ("app hash", header["app_hash"]),
        ]
    )


# -- txs --------------------------------------------------------------------------


def message_view(value: Any) -> Any:
    """A message as plain JSON data: field names instead of positions, bytes as hex."""
    if isinstance(value, msgspec.Struct):
        view: dict[str, Any] = {}
        tag = value.__struct_config__.tag
        if isinstance(tag, str):
            view["@type"] = tag
        for name in value.__struct_fields__:
            view[name] = message_view(getattr(value, name))
        return view
    if isinstance(value, list):
        return [message_view(item) for item in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def messages_in(tx_base64: str) -> list[Any]:
    """The messages of a committed tx, or none if its bytes cannot be read."""
    try:
        tx = decode_tx(base64.b64decode(tx_base64, validate=True), default_registry())
    except (binascii.Error, ValueError, InvalidTx):
        return []
    return [message_view(message) for message in tx.body.messages]


def message_line(message: dict[str, Any]) -> str:
    rest = {key: value for key, value in message.items() if key != "@type"}
    return f"{message.get('@type', '?')} {json.dumps(rest, separators=(',', ':'))}"


def response_lines(data: bytes) -> list[str]:
    """The responses in a tx result's data (``TxMsgData``) that say more than that their
    message succeeded (the new offer's id, the coins withdrawn), one line each; a type this
    client does not know shows its bytes in hex."""
    try:
        packed = abci_pb2.TxMsgData.FromString(data).msg_responses
    except DecodeError:
        return []
    lines = []
    for response in packed:
        if not response.value:
            continue  # an empty <Msg>Response
        try:
            view = MessageToDict(
                proto_class(response.type_url).FromString(response.value), preserving_proto_field_name=True
            )
        except (KeyError, DecodeError):
            view = {"value": response.value.hex()}
        lines.append(f"{response.type_url} {json.dumps(view, separators=(',', ':'))}")
    return lines


def tx_text(result: dict[str, Any]) -> str:
    outcome = result["tx_result"]
    pairs: list[tuple[str, Any]] = [
        ("txhash", result["hash"]),
        ("height", result["height"]),
        ("code", outcome["code"]),
        ("gas used", f"{outcome['gas_used']} of {outcome['gas_wanted']}"),
    ]
    if outcome["code"] != 0:
        pairs.append(("log", outcome["log"]))
    pairs += [("message", message_line(m)) for m in messages_in(result["tx"])]
    pairs += [("response", line) for line in response_lines(base64.b64decode(outcome["data"]))]
    return fields(pairs)


# -- app queries ------------------------------------------------------------------


def balances_text(result: dict[str, Any]) -> str:
    coins = result["balances"]
    return "\n".join(coin_text(c) for c in coins) if coins else "no balances"


def account_text(result: dict[str, Any]) -> str:
    return fields(
        [
            ("address", result["address"]),
            ("account number", result["account_number"]),
            ("sequence", result["sequence"]),
            ("pubkey", (result["pub_key"] or {}).get("key", "-")),
        ]
    )


def gpu_line(gpu: dict[str, Any]) -> str:
    line = f"{gpu['count']} x {gpu['model']} ({gpu['memory_mib']} MiB, cc {gpu['compute_capability']})"
    return line + (", UUIDs declared" if gpu["uuid_hashes"] else "")


def provider_text(provider: dict[str, Any]) -> str:
    pairs: list[tuple[str, Any]] = [
        ("owner", provider["owner"]),
        ("status", provider["status"]),
        ("region", provider["region"]),
        ("endpoint", provider["endpoint"]),
        ("price hint", coin_text(provider["price_hint"])),
        ("collateral", coin_text(provider["collateral"])),
        ("registered", f"height {provider['registered_height']}"),
    ]
    if provider.get("exit_height"):
        pairs.append(("exit", f"height {provider['exit_height']}"))
    pairs += [("gpu", gpu_line(gpu)) for gpu in provider["gpus"]]
    return fields(pairs)


def providers_text(result: dict[str, Any]) -> str:
    lines = [
        f"{p['owner']}  {p['status']:<8} {p['region']:<12} "
        f"{sum(g['count'] for g in p['gpus'])} GPUs  {p['endpoint']}"
        for p in result["providers"]
    ]
    if not lines:
        lines.append("no providers")
    if result.get("next_key"):
        lines.append(f"more: --next-key {result['next_key']}")
    return "\n".join(lines)


def params_text(result: dict[str, Any]) -> str:
    lines = []
    for module, params in result.items():
        if isinstance(params, dict):
            lines += [f"{module}.{name} = {_param_value(v)}" for name, v in params.items()]
    return "\n".join(lines)


def _param_value(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"denom", "amount"}:
        return coin_text(value)
    return value if isinstance(value, str) else json.dumps(value)
