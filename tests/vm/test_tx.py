"""The tx format in vm.tx: Cosmos SDK v0.50 protobuf TxRaw, strict decoding and sign bytes.

The wire parser (vm/protowire.py) and the Amino JSON bytes (vm/amino.py) have their own
tests; these are about whole transactions: what decodes, what the app accepts, and the
exact (codespace, code) of every rejection.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import pytest
from cosmpy.aerial.tx import SigningCfg, Transaction, TxFee
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.crypto.keypairs import PrivateKey as CosmpyKey
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_pb2
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from cosmpy.protos.cosmos.crypto.secp256k1 import keys_pb2
from cosmpy.protos.cosmos.tx.signing.v1beta1 import signing_pb2
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2
from google.protobuf.any_pb2 import Any as AnyPb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis.schema import (
    AuthParams,
    BankParams,
    BlockParams,
    CoinJSON,
    ConsensusParams,
    EvidenceParams,
    ProviderParams,
    ValidatorParams,
)
from node.keys.hd import PrivateKey
from protos.depind.provider.v1 import provider_pb2
from protos.depind.provider.v1 import tx_pb2 as provider_tx_pb2
from tests.vm.compute.vectors import COMPUTE_MESSAGES
from tests.vm.distribution.vectors import DISTRIBUTION_MESSAGES
from tests.vm.gov.vectors import GOV_MESSAGES
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    DENOM,
    FEE,
    FUNDS,
    GAS,
    account_of,
    assert_code,
    balance,
    block_request,
    coins,
    deliver,
    make_genesis,
    make_tx,
    new_app,
    register_msg,
    send,
    sign_tx,
)
from tests.vm.market.vectors import MARKET_MESSAGES
from tests.vm.slashing.vectors import SLASHING_MESSAGES
from tests.vm.staking.vectors import STAKING_MESSAGES
from tests.vm.upgrade.vectors import UPGRADE_MESSAGES
from vm.app import App
from vm.auth.msgs import MsgUpdateParams as AuthUpdateParams
from vm.bank.msgs import Input, MsgMultiSend, MsgSend, Output
from vm.bank.msgs import MsgUpdateParams as BankUpdateParams
from vm.codec import codec_for
from vm.consensus_params.msgs import MsgUpdateParams as ConsensusUpdateParams
from vm.crypto import SECP256K1_N
from vm.dec import parse as parse_dec
from vm.errors import InvalidTx
from vm.mint.msgs import MsgUpdateParams as MintUpdateParams
from vm.mint.params import Params as MintParams
from vm.modules import default_registry
from vm.msg import Msg
from vm.protowire import RawTx, encode_tx_raw
from vm.provider.msgs import GpuSpec, MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider
from vm.provider.msgs import MsgUpdateParams as ProviderUpdateParams
from vm.tx import (
    MAX_MESSAGES,
    MAX_TX_BYTES,
    AuthInfo,
    Fee,
    SignMode,
    Tx,
    decode_tx,
    direct_sign_bytes,
    sign_bytes,
    signed,
    tx_hash,
    unsigned_tx,
)
from vm.types import Coin

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNKNOWN_99 = b"\x98\x06\x01"  # field 99, wire type 0 (varint), value 1
ANY_SIGNATURE = b"\x01" * 64  # for rejections that come before the signature check
# Every code decode_tx may answer: parse error, signature count, unknown message, pubkey,
# signer infos, no signer info, message count, size, extension options, not supported.
DECODE_CODES = frozenset({2, 4, 6, 8, 14, 15, 18, 21, 31, 37})


def valid_tx(mode: SignMode = SignMode.DIRECT) -> Tx:
    return make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], mode=mode)


def draft(
    k: PrivateKey = ALICE,
    msgs: Sequence[Msg] | None = None,
    *,
    mode: SignMode = SignMode.DIRECT,
    sequence: int = 0,
    fee: int = FEE,
    gas: int = GAS,
    payer: str = "",
) -> Tx:
    """An unsigned tx from ``k`` (default: a 5 udepin send to Bob)."""
    messages = [send(k, BOB, 5)] if msgs is None else list(msgs)
    return unsigned_tx(
        messages, pubkey=k.public_key, sequence=sequence, fee=Fee(coins(fee), gas, payer), mode=mode
    )


def sign(k: PrivateKey, tx: Tx, account_number: int = 0, sequence: int = 0) -> bytes:
    """``tx`` signed by ``k`` in its own sign mode."""
    return signed(tx, k.sign(sign_bytes(tx, CHAIN_ID, account_number, sequence)))


def parts(tx: Tx) -> tuple[tx_pb2.TxBody, tx_pb2.AuthInfo]:
    """The body and auth info of ``tx`` as protobuf messages, to corrupt one part at a time."""
    return tx_pb2.TxBody.FromString(tx.raw.body_bytes), tx_pb2.AuthInfo.FromString(tx.raw.auth_info_bytes)


def assemble(
    body: tx_pb2.TxBody | bytes,
    auth: tx_pb2.AuthInfo | bytes,
    signatures: Sequence[bytes] = (ANY_SIGNATURE,),
) -> bytes:
    """TxRaw bytes of these parts (messages are serialized deterministically)."""

    def serialized(part: Any) -> bytes:
        return part if isinstance(part, bytes) else bytes(part.SerializeToString(deterministic=True))

    return encode_tx_raw(RawTx(serialized(body), serialized(auth), tuple(signatures)))


def direct_signed(k: PrivateKey, body: bytes, auth: bytes, account_number: int = 0) -> bytes:
    """TxRaw of these exact body and auth info bytes, signed by ``k`` in SIGN_MODE_DIRECT."""
    signature = k.sign(direct_sign_bytes(body, auth, CHAIN_ID, account_number))
    return encode_tx_raw(RawTx(body, auth, (signature,)))


def packed(message: Any) -> AnyPb:
    return AnyPb(type_url="/" + message.DESCRIPTOR.full_name, value=message.SerializeToString())


def rejects(data: bytes, code: int, log: str | None = None) -> InvalidTx:
    """Decoding ``data`` fails with ``code``, and with ``log`` where given (what the sender reads)."""
    with pytest.raises(InvalidTx) as caught:
        decode_tx(data, default_registry())
    assert (caught.value.codespace, caught.value.code) == ("sdk", code), caught.value.log
    if log is not None:
        assert caught.value.log == log
    return caught.value


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(SignMode))
def test_round_trip_keeps_every_field(mode: SignMode) -> None:
    messages = [send(ALICE, BOB, 5), send(ALICE, CAROL, [Coin("uatom", 1), Coin(DENOM, 2)])]
    fee = [Coin("uatom", 7), Coin(DENOM, FEE)]
    data = sign_tx(ALICE, CHAIN_ID, 0, 3, messages, fee, GAS + 1, "hello", 42, mode=mode)
    tx = decode_tx(data, default_registry())
    assert tx.body.messages == messages
    assert (tx.body.memo, tx.body.timeout_height) == ("hello", 42)
    assert tx.auth_info.fee == Fee(fee, GAS + 1)
    assert (tx.auth_info.pubkey, tx.auth_info.sequence, tx.auth_info.mode) == (ALICE.public_key, 3, mode)
    assert tx.raw.signatures == (tx.signature,) and len(tx.signature) == 64
    assert encode_tx_raw(tx.raw) == data


def test_round_trip_without_pubkey() -> None:
    tx = decode_tx(
        sign_tx(ALICE, CHAIN_ID, 0, 1, [send(ALICE, BOB, 5)], omit_pubkey=True), default_registry()
    )
    assert tx.auth_info.pubkey is None
    assert tx.auth_info.sequence == 1


GPU = GpuSpec("NVIDIA L4", 23_034, "8.9", 2, [bytes(32), b"\x01" * 32])
EVERY_MESSAGE: list[Msg] = [
    MsgSend(ALICE.address, BOB.address, [Coin("uatom", 3), Coin(DENOM, 1)]),
    MsgMultiSend(
        [Input(ALICE.address, coins(2))], [Output(BOB.address, coins(1)), Output(CAROL.address, coins(1))]
    ),
    BankUpdateParams(ALICE.address, BankParams(default_send_enabled=False)),
    MsgRegisterProvider(ALICE.address, [GPU], "eu", "gpu.example", Coin(DENOM, 0), Coin(DENOM, 9)),
    MsgUpdateProvider(ALICE.address, [GPU], "us", "h.example", Coin(DENOM, 1), Coin(DENOM, 2)),
    MsgUpdateProvider(ALICE.address, [], "us", "", None, None),
    MsgExitProvider(ALICE.address),
    ProviderUpdateParams(
        ALICE.address,
        ProviderParams(
            min_collateral=CoinJSON(denom=DENOM, amount=5), unbonding_blocks=7, max_exits_per_block=3
        ),
    ),
    AuthUpdateParams(ALICE.address, AuthParams(max_memo_characters=100, tx_size_cost_per_byte=0)),
    ConsensusUpdateParams(
        ALICE.address,
        ConsensusParams(
            block=BlockParams(max_bytes=1000, max_gas=-1, max_tx_bytes=500),
            evidence=EvidenceParams(max_age_num_blocks=5, max_bytes=0),
            validator=ValidatorParams(pub_key_types=["ed25519", "secp256k1"]),
        ),
    ),
    *STAKING_MESSAGES,
    MintUpdateParams(
        ALICE.address,
        MintParams(
            DENOM,
            parse_dec("0.13"),
            parse_dec("0.2"),
            parse_dec("0.07"),
            parse_dec("0.67"),
            6_311_520,
            parse_dec("0.1"),
        ),
    ),
    *DISTRIBUTION_MESSAGES,
    *SLASHING_MESSAGES,
    *MARKET_MESSAGES,
    *COMPUTE_MESSAGES,
    *GOV_MESSAGES,
    *UPGRADE_MESSAGES,
]


def test_every_registered_message_type_is_covered() -> None:
    assert {type(m) for m in EVERY_MESSAGE} == set(default_registry().message_types)


def map_fields(descriptor: Any, seen: set[str]) -> list[str]:
    """The map fields of a protobuf message type and of every message type inside it."""
    if descriptor.full_name in seen:
        return []
    seen.add(descriptor.full_name)
    found = []
    for field in descriptor.fields:
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                found.append(f"{descriptor.full_name}.{field.name}")
            found += map_fields(field.message_type, seen)
    return found


def test_no_tx_part_has_a_map_field() -> None:
    """The canonical-encoding check and the sign bytes re-encode a tx; protobuf orders only map
    entries differently with and without ``deterministic``, so that flag changes no tx's bytes
    while no part of a tx is a map."""
    seen: set[str] = set()
    protos = [tx_pb2.TxBody, tx_pb2.AuthInfo, *(codec_for(t).proto for t in default_registry().message_types)]
    assert [name for proto in protos for name in map_fields(proto.DESCRIPTOR, seen)] == []
    assert len(seen) > 60


@pytest.mark.parametrize("mode", list(SignMode))
@pytest.mark.parametrize(
    "message", EVERY_MESSAGE, ids=lambda m: type(m).__module__.split(".")[1] + type(m).__name__
)
def test_every_message_type_round_trips(message: Msg, mode: SignMode) -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [message], mode=mode)
    tx = decode_tx(data, default_registry())
    assert tx.body.messages == [message]
    assert sign_bytes(tx, CHAIN_ID, 0, 0)  # both sign modes can sign every message


def test_all_message_types_in_one_tx() -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, EVERY_MESSAGE)
    assert decode_tx(data, default_registry()).body.messages == EVERY_MESSAGE


# -- the bytes are Cosmos protobuf ---------------------------------------------------------------


def test_bytes_are_a_cosmos_tx_raw() -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 4, [send(ALICE, BOB, 5)], memo="m", timeout_height=9)
    raw = tx_pb2.TxRaw.FromString(data)
    assert raw.SerializeToString() == data
    body = tx_pb2.TxBody.FromString(raw.body_bytes)
    assert [m.type_url for m in body.messages] == ["/cosmos.bank.v1beta1.MsgSend"]
    msg = bank_pb2.MsgSend.FromString(body.messages[0].value)
    assert (msg.from_address, msg.to_address) == (ALICE.address, BOB.address)
    assert [(c.denom, c.amount) for c in msg.amount] == [(DENOM, "5")]  # Cosmos Int: a decimal string
    assert (body.memo, body.timeout_height) == ("m", 9)
    auth = tx_pb2.AuthInfo.FromString(raw.auth_info_bytes)
    [info] = auth.signer_infos
    assert info.public_key.type_url == "/cosmos.crypto.secp256k1.PubKey"
    assert keys_pb2.PubKey.FromString(info.public_key.value).key == ALICE.public_key
    assert info.mode_info.WhichOneof("sum") == "single"
    assert info.mode_info.single.mode == signing_pb2.SIGN_MODE_DIRECT
    assert info.sequence == 4
    assert [(c.denom, c.amount) for c in auth.fee.amount] == [(DENOM, str(FEE))]
    assert (auth.fee.gas_limit, auth.fee.payer, auth.fee.granter) == (GAS, "", "")
    assert len(raw.signatures) == 1 and len(raw.signatures[0]) == 64


def test_amino_json_mode_is_in_the_mode_info() -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], mode=SignMode.LEGACY_AMINO_JSON)
    auth = tx_pb2.AuthInfo.FromString(tx_pb2.TxRaw.FromString(data).auth_info_bytes)
    assert auth.signer_infos[0].mode_info.single.mode == signing_pb2.SIGN_MODE_LEGACY_AMINO_JSON


def test_tx_hash_is_sha256_of_the_tx_raw_bytes() -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)])
    assert tx_hash(data) == hashlib.sha256(data).digest()
    assert tx_hash(data) == hashlib.sha256(tx_pb2.TxRaw.FromString(data).SerializeToString()).digest()


def test_direct_sign_bytes_are_the_cosmos_sign_doc() -> None:
    tx = valid_tx()
    doc = tx_pb2.SignDoc(
        body_bytes=tx.raw.body_bytes,
        auth_info_bytes=tx.raw.auth_info_bytes,
        chain_id=CHAIN_ID,
        account_number=7,
    )
    expected = doc.SerializeToString()
    assert direct_sign_bytes(tx.raw.body_bytes, tx.raw.auth_info_bytes, CHAIN_ID, 7) == expected
    assert sign_bytes(tx, CHAIN_ID, 7, 0) == expected


def test_direct_sign_bytes_are_over_the_bytes_received() -> None:
    tx = valid_tx()
    body = tx.raw.body_bytes + b"\x12\x00"  # the same body with an explicit empty memo
    decoded = decode_tx(encode_tx_raw(tx.raw._replace(body_bytes=body)), default_registry())
    assert sign_bytes(decoded, CHAIN_ID, 0, 0) == direct_sign_bytes(body, tx.raw.auth_info_bytes, CHAIN_ID, 0)


def test_amino_sign_bytes_are_the_std_sign_doc() -> None:
    tx = make_tx(
        ALICE,
        CHAIN_ID,
        7,
        3,
        [send(ALICE, BOB, 5)],
        memo="m",
        timeout_height=9,
        mode=SignMode.LEGACY_AMINO_JSON,
    )
    doc = json.loads(sign_bytes(tx, CHAIN_ID, 7, 3))
    assert doc == {
        "account_number": "7",
        "chain_id": CHAIN_ID,
        "fee": {"amount": [{"amount": str(FEE), "denom": DENOM}], "gas": str(GAS)},
        "memo": "m",
        "msgs": [
            {
                "type": "cosmos-sdk/MsgSend",
                "value": {
                    "amount": [{"amount": "5", "denom": DENOM}],
                    "from_address": ALICE.address,
                    "to_address": BOB.address,
                },
            }
        ],
        "sequence": "3",
        "timeout_height": "9",
    }


@pytest.mark.parametrize("mode", list(SignMode))
def test_sign_bytes_cover_account_number_chain_sequence_and_fee(mode: SignMode) -> None:
    base = sign_bytes(draft(mode=mode), CHAIN_ID, 0, 0)
    variants = [
        sign_bytes(draft(mode=mode), CHAIN_ID, 1, 0),
        sign_bytes(draft(mode=mode), "other-chain", 0, 0),
        sign_bytes(draft(mode=mode, sequence=1), CHAIN_ID, 0, 1),
        sign_bytes(draft(mode=mode, fee=FEE + 1), CHAIN_ID, 0, 0),
        sign_bytes(draft(mode=mode, gas=GAS + 1), CHAIN_ID, 0, 0),
        sign_bytes(draft(mode=mode, payer=ALICE.address), CHAIN_ID, 0, 0),
        sign_bytes(draft(msgs=[send(ALICE, BOB, 6)], mode=mode), CHAIN_ID, 0, 0),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)


# -- accepted by the app -------------------------------------------------------------------------


def cosmpy_send(app: App, wallet: LocalWallet, amount: int) -> bytes:
    """A MsgSend to Bob built, sealed and signed entirely by cosmpy."""
    found = account_of(app, str(wallet.address()))
    msg = bank_pb2.MsgSend(
        from_address=str(wallet.address()),
        to_address=BOB.address,
        amount=[coin_pb2.Coin(denom=DENOM, amount=str(amount))],
    )
    tx = Transaction()
    tx.add_message(msg)
    tx.seal(
        SigningCfg.direct(wallet.public_key(), found.sequence), TxFee(f"{FEE}{DENOM}", GAS), memo="cosmpy"
    )
    tx.sign(wallet.signer(), app.state.chain_id(), found.account_number)
    tx.complete()
    return bytes(tx.tx.SerializeToString())


def test_cosmpy_signed_tx_is_accepted() -> None:
    app = new_app()
    wallet = LocalWallet(CosmpyKey(CAROL.secret), prefix="depin")
    assert str(wallet.address()) == CAROL.address
    assert account_of(app, CAROL).account_number == 2  # signed over a non-zero account number
    for amount in (7, 8):
        assert_code(deliver(app, cosmpy_send(app, wallet, amount)), 0)
    assert balance(app, CAROL) == FUNDS - 15 - 2 * FEE
    assert balance(app, BOB) == FUNDS + 15
    assert (account_of(app, CAROL).sequence, account_of(app, CAROL).pubkey) == (2, CAROL.public_key)


def test_amino_json_tx_is_accepted() -> None:
    app = new_app()
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], mode=SignMode.LEGACY_AMINO_JSON)
    assert_code(app.check_tx(data, keep=False), 0)
    assert_code(deliver(app, data), 0)
    assert balance(app, BOB) == FUNDS + 5


def test_invalid_direct_signature_on_amino_mode_tx() -> None:
    tx = draft(mode=SignMode.LEGACY_AMINO_JSON)
    direct = ALICE.sign(direct_sign_bytes(tx.raw.body_bytes, tx.raw.auth_info_bytes, CHAIN_ID, 0))
    assert_code(deliver(new_app(), signed(tx, direct)), 4)


def test_invalid_amino_signature_on_direct_mode_tx() -> None:
    tx = draft()
    amino = ALICE.sign(sign_bytes(draft(mode=SignMode.LEGACY_AMINO_JSON), CHAIN_ID, 0, 0))
    assert_code(deliver(new_app(), signed(tx, amino)), 4)


# -- hostile input: decoding ---------------------------------------------------------------------


def test_invalid_tx_raw_unknown_field() -> None:
    rejects(encode_tx_raw(valid_tx().raw) + b"\x22\x01x", 2)  # field 4


def test_invalid_trailing_bytes() -> None:
    data = encode_tx_raw(valid_tx().raw) + b"\x00"
    rejects(data, 2, f"TxRaw: field number 0 at byte {len(data) - 1}: tx parse error")


def test_invalid_empty_bytes() -> None:
    rejects(b"", 2, "tx bytes are empty: tx parse error")


def test_invalid_tx_body_unknown_field() -> None:
    raw = valid_tx().raw
    rejects(
        encode_tx_raw(raw._replace(body_bytes=raw.body_bytes + UNKNOWN_99)),
        2,
        "unknown field 99 in cosmos.tx.v1beta1.TxBody: tx parse error",
    )


def test_invalid_auth_info_unknown_field() -> None:
    raw = valid_tx().raw
    rejects(encode_tx_raw(raw._replace(auth_info_bytes=raw.auth_info_bytes + UNKNOWN_99)), 2)


def test_invalid_message_unknown_field() -> None:
    body, auth = parts(valid_tx())
    body.messages[0].value += UNKNOWN_99
    log = "/cosmos.bank.v1beta1.MsgSend: unknown field 99 in cosmos.bank.v1beta1.MsgSend: tx parse error"
    rejects(assemble(body, auth), 2, log)


def test_invalid_pubkey_unknown_field() -> None:
    body, auth = parts(valid_tx())
    auth.signer_infos[0].public_key.value += UNKNOWN_99
    rejects(
        assemble(body, auth),
        8,
        "expected PubKey{key: 33-byte compressed key} in its one encoding: invalid pubkey",
    )


def test_invalid_unknown_message_type() -> None:
    body, auth = parts(valid_tx())
    body.messages[0].type_url = "/cosmos.bank.v1beta1.MsgBurn"
    error = rejects(assemble(body, auth), 6)
    assert "/cosmos.bank.v1beta1.MsgBurn" in error.log


def test_invalid_known_message_of_an_unregistered_type() -> None:
    body, auth = parts(valid_tx())
    body.messages[0].CopyFrom(packed(tx_pb2.TxBody()))  # a real protobuf type, not a message
    rejects(assemble(body, auth), 6)


def test_invalid_zero_messages() -> None:
    body, auth = parts(valid_tx())
    del body.messages[:]
    rejects(assemble(body, auth), 18, "a tx carries 1 to 64 messages, not 0: invalid request")


def test_max_messages_is_inclusive() -> None:
    body, auth = parts(valid_tx())
    body.messages.extend([body.messages[0]] * (MAX_MESSAGES - 1))
    assert len(decode_tx(assemble(body, auth), default_registry()).body.messages) == MAX_MESSAGES
    body.messages.append(body.messages[0])
    rejects(assemble(body, auth), 18)


def test_invalid_two_signer_infos() -> None:
    body, auth = parts(valid_tx())
    auth.signer_infos.append(auth.signer_infos[0])
    rejects(
        assemble(body, auth, [ANY_SIGNATURE] * 2),
        14,
        "one signer per tx; this one has 2: maximum number of signatures exceeded",
    )


@pytest.mark.parametrize("count", [0, 2])
def test_invalid_signature_count(count: int) -> None:
    body, auth = parts(valid_tx())
    log = f"wrong number of signatures; expected 1, got {count}: unauthorized"
    rejects(assemble(body, auth, [ANY_SIGNATURE] * count), 4, log)


def test_invalid_no_signer_info() -> None:
    body, auth = parts(valid_tx())
    del auth.signer_infos[:]
    rejects(assemble(body, auth, []), 15, "the tx has no signer info: no signatures supplied")


def test_invalid_multisig_mode_info() -> None:
    body, auth = parts(valid_tx())
    auth.signer_infos[0].mode_info.multi.mode_infos.add().single.mode = signing_pb2.SIGN_MODE_DIRECT
    rejects(
        assemble(body, auth),
        37,
        "only single-key signatures are supported (no multisig): feature not supported",
    )


@pytest.mark.parametrize(
    "mode",
    [
        signing_pb2.SIGN_MODE_TEXTUAL,
        signing_pb2.SIGN_MODE_DIRECT_AUX,
        signing_pb2.SIGN_MODE_EIP_191,
        signing_pb2.SIGN_MODE_UNSPECIFIED,
        12345,  # not a mode at all
    ],
)
def test_invalid_sign_mode(mode: int) -> None:
    body, auth = parts(valid_tx())
    auth.signer_infos[0].mode_info.single.mode = mode
    name = signing_pb2.SignMode.Name(mode) if mode != 12345 else "12345"
    log = f"sign mode {name}; use SIGN_MODE_DIRECT or SIGN_MODE_LEGACY_AMINO_JSON: feature not supported"
    rejects(assemble(body, auth), 37, log)


def test_invalid_fee_granter() -> None:
    body, auth = parts(valid_tx())
    auth.fee.granter = BOB.address
    rejects(assemble(body, auth), 37, "fee grants are not supported: feature not supported")


def test_invalid_tip() -> None:
    body, auth = parts(valid_tx())
    auth.tip.amount.add(denom=DENOM, amount="1")
    auth.tip.tipper = ALICE.address
    rejects(assemble(body, auth), 37, "tips are not supported: feature not supported")


def test_invalid_extension_options() -> None:
    body, auth = parts(valid_tx())
    body.extension_options.append(packed(keys_pb2.PubKey(key=ALICE.public_key)))
    log = "unknown extension option /cosmos.crypto.secp256k1.PubKey: unknown extension options"
    rejects(assemble(body, auth), 31, log)


@pytest.mark.parametrize("url", ["/cosmos.crypto.ed25519.PubKey", "/cosmos.crypto.secp256r1.PubKey", ""])
def test_invalid_pubkey_type_url(url: str) -> None:
    body, auth = parts(valid_tx())
    auth.signer_infos[0].public_key.type_url = url
    log = f"public key type {url!r}; expected /cosmos.crypto.secp256k1.PubKey: invalid pubkey"
    rejects(assemble(body, auth), 8, log)


AMOUNTS = ["007", "00", "-5", "-0", "+5", "1e3", "0x5", " 5", "5 ", "", "\uff15", str(2**63)]


@pytest.mark.parametrize("amount", AMOUNTS)
def test_invalid_message_coin_amount(amount: str) -> None:
    body, auth = parts(valid_tx())
    msg = bank_pb2.MsgSend(
        from_address=ALICE.address, to_address=BOB.address, amount=[coin_pb2.Coin(denom=DENOM, amount=amount)]
    )
    body.messages[0].CopyFrom(packed(msg))
    rejects(assemble(body, auth), 2)


@pytest.mark.parametrize("amount", AMOUNTS)
def test_invalid_fee_coin_amount(amount: str) -> None:
    body, auth = parts(valid_tx())
    auth.fee.amount[0].amount = amount
    rejects(assemble(body, auth), 2)


@pytest.mark.parametrize("where", ["message", "fee"])
def test_invalid_coin_amount_with_trailing_newline(where: str) -> None:
    body, auth = parts(valid_tx())
    if where == "fee":
        auth.fee.amount[0].amount = f"{FEE}\n"
    else:
        coin = coin_pb2.Coin(denom=DENOM, amount="5\n")
        body.messages[0].CopyFrom(
            packed(bank_pb2.MsgSend(from_address=ALICE.address, to_address=BOB.address, amount=[coin]))
        )
    rejects(assemble(body, auth), 2)


@pytest.mark.parametrize("memory_mib", [2**63, 2**64 - 1])
def test_invalid_integer_out_of_range(memory_mib: int) -> None:
    """A uint64 on the wire that does not fit the struct's bounds (at most 2**63 - 1)."""
    gpu = provider_pb2.GpuSpec(model="NVIDIA L4", memory_mib=memory_mib, compute_capability="8.9", count=1)
    register = provider_tx_pb2.MsgRegisterProvider(
        owner=ALICE.address,
        gpus=[gpu],
        region="eu",
        endpoint="gpu.example",
        price_hint=coin_pb2.Coin(denom=DENOM, amount="1"),
        collateral=coin_pb2.Coin(denom=DENOM, amount="1"),
    )
    body, auth = parts(valid_tx())
    body.messages[0].CopyFrom(packed(register))
    rejects(assemble(body, auth), 2)
    register.gpus[0].memory_mib = 2**63 - 1
    body.messages[0].CopyFrom(packed(register))
    [decoded] = decode_tx(assemble(body, auth), default_registry()).body.messages
    assert isinstance(decoded, MsgRegisterProvider) and decoded.gpus[0].memory_mib == 2**63 - 1


def test_invalid_oversize_before_parsing() -> None:
    too_large = f"{MAX_TX_BYTES + 1} bytes; the limit is {MAX_TX_BYTES}: tx too large"
    rejects(b"\xff" * (MAX_TX_BYTES + 1), 21, too_large)  # not a TxRaw at all: the size is checked first
    rejects(b"\xff" * MAX_TX_BYTES, 2)


def test_size_limit_is_inclusive() -> None:
    data = encode_tx_raw(valid_tx().raw)
    assert decode_tx(data, default_registry(), max_bytes=len(data)).body.messages == [send(ALICE, BOB, 5)]
    with pytest.raises(InvalidTx) as caught:
        decode_tx(data, default_registry(), max_bytes=len(data) - 1)
    assert (caught.value.codespace, caught.value.code) == ("sdk", 21)


def test_invalid_oversize_through_check_tx() -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 1)], memo="m" * MAX_TX_BYTES)
    assert_code(new_app().check_tx(data), 21)


# -- hostile input: signatures and signers --------------------------------------------------------


def test_invalid_signature_over_a_re_encoded_body() -> None:
    """DIRECT signs the body bytes as sent: a signature over another encoding of the same body
    (here with an explicit empty memo) does not verify."""
    tx = draft()
    re_encoded = tx.raw.body_bytes + b"\x12\x00"
    assert re_encoded != tx.raw.body_bytes
    assert tx_pb2.TxBody.FromString(re_encoded) == tx_pb2.TxBody.FromString(tx.raw.body_bytes)
    signature = ALICE.sign(direct_sign_bytes(re_encoded, tx.raw.auth_info_bytes, CHAIN_ID, 0))
    app = new_app()
    assert_code(app.check_tx(signed(tx, signature), keep=False), 4)
    assert_code(deliver(app, signed(tx, signature)), 4)


def test_invalid_signature_over_fields_in_another_order() -> None:
    tx = draft()
    messages = tx_pb2.TxBody.FromString(tx.raw.body_bytes).messages
    canonical = tx_pb2.TxBody(messages=messages, memo="m").SerializeToString(deterministic=True)
    reordered = b"".join(
        p.SerializeToString() for p in [tx_pb2.TxBody(memo="m"), tx_pb2.TxBody(messages=messages)]
    )
    assert reordered != canonical
    assert tx_pb2.TxBody.FromString(reordered) == tx_pb2.TxBody.FromString(canonical)
    signature = ALICE.sign(direct_sign_bytes(reordered, tx.raw.auth_info_bytes, CHAIN_ID, 0))
    data = encode_tx_raw(RawTx(canonical, tx.raw.auth_info_bytes, (signature,)))
    assert_code(deliver(new_app(), data), 4)


def test_invalid_high_s_signature() -> None:
    tx = draft()
    signature = ALICE.sign(sign_bytes(tx, CHAIN_ID, 0, 0))
    s = int.from_bytes(signature[32:], "big")
    high_s = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big")  # the same signature, mirrored
    app = new_app()
    assert_code(deliver(app, signed(tx, high_s)), 4)
    assert_code(deliver(app, signed(tx, signature)), 0)


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def test_invalid_amino_sign_doc_with_unsorted_keys() -> None:
    tx = draft(mode=SignMode.LEGACY_AMINO_JSON)
    doc = sign_bytes(tx, CHAIN_ID, 0, 0)
    unsorted = json.dumps(reversed_keys(json.loads(doc)), separators=(",", ":"), ensure_ascii=False).encode()
    assert unsorted != doc and json.loads(unsorted) == json.loads(doc)
    app = new_app()
    assert_code(deliver(app, signed(tx, ALICE.sign(unsorted))), 4)
    assert_code(deliver(app, signed(tx, ALICE.sign(doc))), 0)


def amino_draft() -> Tx:
    """An unsigned amino-mode tx with a memo and a timeout, canonically encoded."""
    return unsigned_tx(
        [send(ALICE, BOB, 5)],
        pubkey=ALICE.public_key,
        sequence=0,
        fee=Fee(coins(FEE), GAS),
        memo="m",
        timeout_height=9,
        mode=SignMode.LEGACY_AMINO_JSON,
    )


def non_canonical(part: str) -> RawTx:
    """``amino_draft()`` with ``part`` encoded another way: other bytes, the same decoded
    values, so the same Amino JSON sign doc."""
    tx = amino_draft()
    body, auth = parts(tx)
    message = body.messages[0]
    if part == "body field repeated":
        return tx.raw._replace(body_bytes=tx.raw.body_bytes + b"\x12\x01m")  # memo again: last one wins
    if part == "body field order":
        pieces = [tx_pb2.TxBody(timeout_height=9), tx_pb2.TxBody(messages=[message]), tx_pb2.TxBody(memo="m")]
        return tx.raw._replace(body_bytes=b"".join(p.SerializeToString() for p in pieces))
    if part == "auth info field order":
        pieces_ = [tx_pb2.AuthInfo(fee=auth.fee), tx_pb2.AuthInfo(signer_infos=auth.signer_infos)]
        return tx.raw._replace(auth_info_bytes=b"".join(p.SerializeToString() for p in pieces_))
    if part == "fee explicit default":
        fee = auth.fee.SerializeToString() + b"\x1a\x00"  # payer = "" written out
        signers = tx_pb2.AuthInfo(signer_infos=auth.signer_infos).SerializeToString()
        return tx.raw._replace(auth_info_bytes=signers + b"\x12" + bytes([len(fee)]) + fee)
    assert part == "message field order"
    msg = bank_pb2.MsgSend.FromString(message.value)
    fields = [
        bank_pb2.MsgSend(to_address=msg.to_address),
        bank_pb2.MsgSend(from_address=msg.from_address),
        bank_pb2.MsgSend(amount=msg.amount),
    ]
    message.value = b"".join(f.SerializeToString() for f in fields)
    return tx.raw._replace(body_bytes=body.SerializeToString(deterministic=True))


NON_CANONICAL = [
    "body field repeated",
    "body field order",
    "auth info field order",
    "fee explicit default",
    "message field order",
]


@pytest.mark.parametrize("part", NON_CANONICAL)
def test_invalid_amino_tx_not_canonically_encoded(part: str) -> None:
    """The Amino JSON signature does not cover the protobuf bytes, so they must be canonical:
    otherwise anyone could re-encode a signed tx into one with another hash."""
    raw = non_canonical(part)
    assert (raw.body_bytes, raw.auth_info_bytes) != amino_draft().raw[:2]
    signature = ALICE.sign(sign_bytes(amino_draft(), CHAIN_ID, 0, 0))  # valid over the sign doc
    data = encode_tx_raw(raw._replace(signatures=(signature,)))
    rejects(data, 2, "an Amino JSON signed tx must be canonically encoded: tx parse error")
    app = new_app()
    assert_code(deliver(app, data), 2)
    assert_code(deliver(app, signed(amino_draft(), signature)), 0)  # the canonical bytes pass


@pytest.mark.parametrize("part", NON_CANONICAL)
def test_direct_mode_signs_whatever_encoding_it_gets(part: str) -> None:
    raw = non_canonical(part)
    assert raw.auth_info_bytes.count(b"\x08\x7f") == 1  # ModeInfo.Single.mode = 127
    auth_bytes = raw.auth_info_bytes.replace(b"\x08\x7f", b"\x08\x01")  # now DIRECT, encoding kept
    assert_code(deliver(new_app(), direct_signed(ALICE, raw.body_bytes, auth_bytes)), 0)


def test_invalid_pubkey_not_the_signers() -> None:
    app = new_app()
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], pubkey=BOB.public_key)
    assert_code(app.check_tx(data, keep=False), 8)
    assert_code(deliver(app, data), 8)


def test_invalid_pubkey_not_on_the_curve() -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], pubkey=b"\x02" + b"\xff" * 32)
    assert_code(deliver(new_app(), data), 8)


def test_invalid_messages_with_two_signers() -> None:
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5), send(BOB, ALICE, 1)])
    assert_code(deliver(new_app(), data), 24)


def test_invalid_fee_payer_not_the_signer() -> None:
    assert_code(deliver(new_app(), sign(ALICE, draft(payer=BOB.address))), 18)


def test_fee_payer_may_name_the_signer() -> None:
    app = new_app()
    assert_code(deliver(app, sign(ALICE, draft(payer=ALICE.address))), 0)
    assert balance(app, ALICE) == FUNDS - 5 - FEE


def test_invalid_missing_pubkey_on_first_tx() -> None:
    app = new_app()
    data = sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], omit_pubkey=True)
    assert_code(app.check_tx(data, keep=False), 8)
    assert_code(deliver(app, data), 8)


@pytest.mark.parametrize("mode", list(SignMode))
def test_later_tx_without_pubkey_uses_the_stored_key(mode: SignMode) -> None:
    app = new_app()
    assert_code(deliver(app, sign_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], mode=mode)), 0)
    assert account_of(app, ALICE).pubkey == ALICE.public_key
    later = sign_tx(ALICE, CHAIN_ID, 0, 1, [send(ALICE, BOB, 5)], mode=mode, omit_pubkey=True)
    assert_code(deliver(app, later), 0)
    forged = sign_tx(BOB, CHAIN_ID, 0, 2, [send(ALICE, BOB, 5)], mode=mode, omit_pubkey=True)
    assert_code(deliver(app, forged), 4)  # the stored key is Alice's


def update_bank_params_without_params() -> bytes:
    """An amino-mode bank MsgUpdateParams whose (non-nullable, dont_omitempty) params are unset."""
    tx = draft(msgs=[BankUpdateParams(ALICE.address, BankParams())], mode=SignMode.LEGACY_AMINO_JSON)
    body, _ = parts(tx)
    body.messages[0].CopyFrom(packed(bank_pb2.MsgUpdateParams(authority=ALICE.address)))
    return assemble(body, tx.raw.auth_info_bytes)


@pytest.mark.parametrize("path", ["check_tx", "deliver"])
def test_invalid_amino_tx_without_an_amino_json_form(path: str) -> None:
    app = new_app()
    data = update_bank_params_without_params()
    result = app.check_tx(data, keep=False) if path == "check_tx" else deliver(app, data)
    # A typed rejection, before or at the signature check (the SDK answers 4 there).
    assert (result.codespace, result.code) in {("sdk", 2), ("sdk", 4)}, result.log
    why = "cosmos.bank.v1beta1.MsgUpdateParams.params: dont_omitempty on an unset message"
    rejects(data, 2, f"no Amino JSON form: {why}: tx parse error")


def test_an_unsigned_tx_is_a_draft_to_sign() -> None:
    message = send(ALICE, BOB, 5)
    tx = unsigned_tx([message], pubkey=None, sequence=3, fee=Fee(coins(FEE), GAS))
    assert (tx.signature, tx.raw.signatures, tx.body.messages) == (b"", (), [message])
    assert tx.auth_info == AuthInfo(None, 3, SignMode.DIRECT, Fee(coins(FEE), GAS))


def test_a_draft_with_a_fee_granter_is_refused() -> None:
    tx = unsigned_tx(
        [send(ALICE, BOB, 5)], pubkey=None, sequence=0, fee=Fee(coins(FEE), GAS, "", BOB.address)
    )
    rejects(signed(tx, ANY_SIGNATURE), 37, "fee grants are not supported: feature not supported")


# -- simulate ----------------------------------------------------------------------------------


def test_simulate_without_signer_info_or_signature() -> None:
    app = new_app()
    body, auth = parts(valid_tx())
    del auth.signer_infos[:]
    data = assemble(body, auth, [])
    rejects(data, 15)
    result = app.simulate(data)
    assert_code(result, 0)
    assert result.gas_used > 0
    auth.fee.payer = BOB.address  # the probe's fee is still checked: the signer pays
    assert_code(app.simulate(assemble(body, auth, [])), 18)


def test_simulate_unspecified_mode_without_pubkey() -> None:
    app = new_app()
    body, auth = parts(valid_tx())
    auth.signer_infos[0].mode_info.single.mode = signing_pb2.SIGN_MODE_UNSPECIFIED
    auth.signer_infos[0].ClearField("public_key")
    data = assemble(body, auth, [])
    assert account_of(app, ALICE).pubkey == b""  # no key stored either
    result = app.simulate(data)
    assert_code(result, 0)
    assert result.gas_used > 0


@pytest.mark.parametrize("mode", list(SignMode))
def test_simulate_prices_an_unsigned_probe_as_signed(mode: SignMode) -> None:
    app = new_app()
    tx = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)], mode=mode)
    probe = app.simulate(encode_tx_raw(tx.raw._replace(signatures=(b"",))))  # as cosmjs and the SDK send it
    assert_code(probe, 0)
    delivered = deliver(app, encode_tx_raw(tx.raw))
    assert_code(delivered, 0)
    assert probe.gas_used == delivered.gas_used


def test_simulate_prices_a_probe_without_signature_as_signed() -> None:
    app = new_app()
    tx = make_tx(ALICE, CHAIN_ID, 0, 0, [send(ALICE, BOB, 5)])
    probe = app.simulate(encode_tx_raw(tx.raw._replace(signatures=())))
    assert_code(probe, 0)
    assert probe.gas_used == deliver(app, encode_tx_raw(tx.raw)).gas_used


def test_simulate_rejects_what_decoding_rejects() -> None:
    app = new_app()
    body, auth = parts(valid_tx())
    auth.signer_infos[0].mode_info.single.mode = signing_pb2.SIGN_MODE_TEXTUAL
    assert_code(app.simulate(assemble(body, auth, [])), 37)
    body, auth = parts(valid_tx())
    auth.signer_infos.append(auth.signer_infos[0])
    assert_code(app.simulate(assemble(body, auth, [])), 14)


def test_simulate_rejects_multisig_mode_info() -> None:
    app = new_app()
    body, auth = parts(valid_tx())
    auth.signer_infos[0].mode_info.multi.mode_infos.add().single.mode = signing_pb2.SIGN_MODE_DIRECT
    data = assemble(body, auth, [b""])
    assert_code(app.check_tx(data, keep=False), 37)
    assert_code(app.simulate(data), 37)


# -- properties ----------------------------------------------------------------------------------


def answers_only_invalid_tx(data: bytes) -> Tx | None:
    try:
        return decode_tx(data, default_registry())
    except InvalidTx as error:
        assert (error.codespace, error.code) in {("sdk", code) for code in DECODE_CODES}, error.log
        return None


@PROPERTY
@given(st.binary(max_size=512))
def test_decode_random_bytes_raises_only_invalid_tx(data: bytes) -> None:
    answers_only_invalid_tx(data)


@PROPERTY
@given(st.binary(max_size=200), st.binary(max_size=200), st.lists(st.binary(max_size=70), max_size=2))
def test_decode_random_parts_raises_only_invalid_tx(
    body: bytes, auth: bytes, signatures: list[bytes]
) -> None:
    """Random body and auth info bytes inside a well-formed TxRaw reach the inner parsers."""
    answers_only_invalid_tx(encode_tx_raw(RawTx(body, auth, tuple(signatures))))


VALID = {mode: encode_tx_raw(valid_tx(mode).raw) for mode in SignMode}
mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 400), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, 400), st.integers(1, 16)),
    st.tuples(st.just("truncate"), st.integers(0, 400), st.just(0)),
)


def mutate(data: bytes, mutations: list[tuple[str, int, Any]]) -> bytes:
    for kind, at, arg in mutations:
        at = min(at, len(data))
        if kind == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ arg]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + arg + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + arg :]
        elif kind == "truncate":
            data = data[:at]
    return data


_APP = new_app()


@PROPERTY
@given(st.sampled_from(list(SignMode)), st.lists(mutation, min_size=1, max_size=3))
def test_mutated_tx_raises_only_invalid_tx(mode: SignMode, mutations: list[tuple[str, int, Any]]) -> None:
    data = mutate(VALID[mode], mutations)
    decoded = answers_only_invalid_tx(data)
    if decoded is not None:
        assert encode_tx_raw(decoded.raw) == data  # whatever decodes has the one TxRaw encoding
    # The application answers every mutation with a result, never an exception.
    assert _APP.check_tx(data, keep=False).code in (0, *range(2, 42))
    assert _APP.simulate(data).code in (0, *range(2, 42))
    _APP.finalize_block(block_request(1, 0, [data]))


text = st.text(st.characters(exclude_categories=["Cs"]), max_size=24)  # protobuf strings are UTF-8
uint63 = st.integers(0, 2**63 - 1)
coin = st.builds(Coin, text, uint63)
coin_list = st.lists(coin, max_size=3)
gpu_spec = st.builds(GpuSpec, text, uint63, text, uint63, st.lists(st.binary(max_size=33), max_size=3))
message = st.one_of(
    st.builds(MsgSend, text, text, coin_list),
    st.builds(
        MsgMultiSend,
        st.lists(st.builds(Input, text, coin_list), max_size=2),
        st.lists(st.builds(Output, text, coin_list), max_size=3),
    ),
    st.builds(MsgRegisterProvider, text, st.lists(gpu_spec, max_size=2), text, text, coin, coin),
    st.builds(
        MsgUpdateProvider,
        text,
        st.lists(gpu_spec, max_size=2),
        text,
        text,
        st.none() | coin,
        st.none() | coin,
    ),
    st.builds(MsgExitProvider, text),
    st.builds(BankUpdateParams, text, st.builds(BankParams, default_send_enabled=st.booleans())),
)


@PROPERTY
@given(
    st.lists(message, min_size=1, max_size=3),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=64),
    uint63,
    uint63,
    coin_list,
    uint63,
    st.sampled_from(list(SignMode)),
)
def test_round_trip_of_generated_txs(
    messages: list[Msg], memo: str, timeout: int, sequence: int, fee: list[Coin], gas: int, mode: SignMode
) -> None:
    tx = make_tx(ALICE, CHAIN_ID, 0, sequence, messages, fee, gas, memo, timeout, mode=mode)
    data = encode_tx_raw(tx.raw)
    decoded = decode_tx(data, default_registry())
    assert decoded.body.messages == messages
    assert (decoded.body.memo, decoded.body.timeout_height) == (memo, timeout)
    assert (decoded.auth_info.fee, decoded.auth_info.sequence, decoded.auth_info.mode) == (
        Fee(fee, gas),
        sequence,
        mode,
    )
    assert encode_tx_raw(decoded.raw) == data
    assert sign_bytes(decoded, CHAIN_ID, 0, sequence) == sign_bytes(tx, CHAIN_ID, 0, sequence)


# Signed by Alice with arbitrary, mostly valid contents: the stateless checks, the
# handlers and the end-block hook must answer every one with a result, never a Panic.
amounts = st.integers(1, 3_000_000) | st.sampled_from([0, 2**63 - 1])
denoms = st.sampled_from(["udepin", "udepin", "uatom", "$bad"])
some_coins = st.lists(
    st.builds(Coin, denoms, amounts), min_size=1, max_size=2, unique_by=lambda c: c.denom
).map(lambda cs: sorted(cs, key=lambda c: c.denom))
addresses = st.sampled_from([BOB.address, BOB.address, ALICE.address, "depin1xyz"])
uuid = st.sampled_from([bytes([n]) * 32 for n in range(4)]) | st.binary(min_size=31, max_size=33)
specs = st.integers(1, 3).flatmap(
    lambda n: st.builds(
        GpuSpec,
        st.sampled_from(["L4", "NVIDIA H100", ""]),
        st.integers(0, 10**6),
        st.sampled_from(["8.9", "8.9", "9"]),
        st.just(n) | st.integers(0, 70),
        st.lists(uuid, min_size=n, max_size=n, unique=True) | st.just([]),
    )
)
regions = st.sampled_from(["eu", "us-east-1", "", "EU"])
endpoints = st.sampled_from(["gpu.example", "https://h:1/x", "", "a b"])
signed_messages = st.one_of(
    st.builds(MsgSend, st.just(ALICE.address), addresses, some_coins),
    st.builds(
        MsgMultiSend,
        st.lists(st.builds(Input, st.just(ALICE.address), some_coins), min_size=1, max_size=2),
        st.lists(st.builds(Output, addresses, some_coins), max_size=2),
    ),
    st.builds(
        MsgRegisterProvider,
        st.just(ALICE.address),
        st.lists(specs, min_size=1, max_size=2),
        regions,
        endpoints,
        st.builds(Coin, denoms, amounts),
        st.builds(Coin, denoms, amounts),
    ),
    st.builds(
        MsgUpdateProvider,
        st.just(ALICE.address),
        st.lists(specs, max_size=2),
        regions,
        endpoints,
        st.none() | st.builds(Coin, denoms, amounts),
        st.none() | st.builds(Coin, denoms, amounts),
    ),
    st.builds(MsgExitProvider, st.just(ALICE.address)),
)


def provider_app() -> App:
    """Alice is a provider of GPU 0x00..00; Bob of GPU 0x01..01."""
    app = new_app(make_genesis({ALICE: [Coin("uatom", 10**6), Coin("udepin", 10**12)], BOB: 10**12}))
    gpus = {
        ALICE: [GpuSpec("L4", 1, "8.9", 1, [bytes(32)])],
        BOB: [GpuSpec("L4", 1, "8.9", 1, [b"\x01" * 32])],
    }
    for k in (ALICE, BOB):
        number = account_of(app, k).account_number
        assert_code(deliver(app, sign_tx(k, CHAIN_ID, number, 0, [register_msg(k, gpus[k])])), 0)
    return app


_APPS = [new_app(make_genesis({ALICE: [Coin("uatom", 10**6), Coin("udepin", 10**12)]})), provider_app()]


@PROPERTY
@given(st.lists(signed_messages, min_size=1, max_size=3), st.sampled_from(list(SignMode)))
def test_signed_txs_with_arbitrary_contents_get_results(messages: list[Msg], mode: SignMode) -> None:
    for app in _APPS:
        found = account_of(app, ALICE)
        tx = sign_tx(ALICE, CHAIN_ID, found.account_number, found.sequence, messages, mode=mode)
        assert app.check_tx(tx, keep=False).code != 111222
        result = app.finalize_block(block_request(app.info()[0] + 1, 0, [tx])).tx_results[0]
        assert result.code != 111222, result.log
