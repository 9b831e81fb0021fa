"""The ante handler: every check a tx passes before its messages run, and the
fee it pays even if they fail (Cosmos x/auth/ante)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from genesis.schema import AuthParams
from vm import crypto
from vm.auth.expected import BankKeeper
from vm.auth.keeper import Account, AuthKeeper, required_fee
from vm.context import Context
from vm.errors import (
    InsufficientFee,
    InvalidGasLimit,
    InvalidPubKey,
    InvalidRequest,
    InvalidSigner,
    MemoTooLarge,
    NoSignatures,
    TxTimeoutHeight,
    Unauthorized,
    WrongSequence,
)
from vm.tx import Tx, sign_bytes
from vm.types import Address, Coin, module_address, parse_address, validate_coins

FEE_COLLECTOR_NAME = "fee_collector"
FEE_COLLECTOR = module_address(FEE_COLLECTOR_NAME)


def validate_basic(tx: Tx, height: int, simulate: bool = False) -> Address:
    """Stateless checks; returns the signer's address (one signer per tx). A simulation may
    leave the gas limit at 0: it runs with its own limit to find the gas."""
    body, auth = tx.body, tx.auth_info
    if body.timeout_height and height > body.timeout_height:
        raise TxTimeoutHeight(f"block height {height} is past the tx's timeout height {body.timeout_height}")
    if auth.fee.gas_limit == 0 and not simulate:
        raise InvalidGasLimit("gas limit must be positive")
    if auth.fee.amount:
        validate_coins(auth.fee.amount, "fee")
    for message in body.messages:
        message.validate()
    signer = body.messages[0].signer()
    for message in body.messages[1:]:
        if message.signer() != signer:
            raise InvalidSigner(f"a tx has one signer: {signer}, not also {message.signer()}")
    if auth.pubkey is not None:
        if not crypto.is_valid_pubkey(auth.pubkey):
            raise InvalidPubKey("expected a 33-byte compressed secp256k1 key")
        if crypto.address_from_pubkey(auth.pubkey) != signer:
            raise InvalidPubKey(f"the public key is not {signer}'s")
    if auth.fee.payer and auth.fee.payer != signer:
        raise InvalidRequest(f"the fee payer must be the tx's signer {signer}")
    return parse_address(signer)


class Mode(Enum):
    DELIVER = "deliver"  # in a block, and the first check of a tx
    RECHECK = "recheck"  # after a block: the signature was already checked
    SIMULATE = "simulate"  # gas estimation: no signature yet, any fee accepted
    GENESIS = "genesis"  # a gentx at InitChain: signed for account number 0, no fee required


@dataclass(frozen=True)
class AnteHandler:
    accounts: AuthKeeper
    bank: BankKeeper

    def run(self, ctx: Context, tx: Tx, tx_size: int, signer: Address, mode: Mode) -> None:
        """Memo, gas for size and signature, sequence, signature, fee; then bump the sequence."""
        params = self.accounts.get_params(ctx.store)
        if len(tx.body.memo) > params.max_memo_characters:
            raise MemoTooLarge(f"{len(tx.body.memo)} characters; the limit is {params.max_memo_characters}")
        ctx.gas.consume(params.tx_size_cost_per_byte * tx_size, "tx size")
        ctx.gas.consume(params.sig_verify_cost_secp256k1, "signature verification")
        account = self.accounts.get_account(ctx.store, signer)
        if account is None:
            raise Unauthorized(f"account {crypto.encode_address(signer)} does not exist; fund it first")
        if tx.auth_info.sequence is not None and tx.auth_info.sequence != account.sequence:
            raise WrongSequence(
                f"account sequence mismatch, expected {account.sequence}, got {tx.auth_info.sequence}"
            )
        pubkey = tx.auth_info.pubkey or account.pubkey
        if mode is Mode.DELIVER:
            check_signature(ctx, tx, account.account_number, account.sequence, pubkey)
        elif mode is Mode.GENESIS:
            # As Cosmos: a gentx is signed before the genesis assigns account numbers.
            check_signature(ctx, tx, 0, account.sequence, pubkey)
        self.deduct_fee(ctx, tx, signer, params, mode)
        bumped = Account(signer, account.account_number, account.sequence + 1, pubkey)
        self.accounts.set_account(ctx.store, bumped)

    def deduct_fee(
        self, ctx: Context, tx: Tx, payer: Address, params: AuthParams, mode: Mode = Mode.DELIVER
    ) -> None:
        required = required_fee(params, tx.auth_info.fee.gas_limit)
        paid = sum(c.amount for c in tx.auth_info.fee.amount if c.denom == params.fee_denom)
        if mode in (Mode.DELIVER, Mode.RECHECK) and paid < required:
            raise InsufficientFee(
                f"got {paid}{params.fee_denom}, required at least {required}{params.fee_denom}"
            )
        fee = list(tx.auth_info.fee.amount)
        if not fee and mode is Mode.SIMULATE:
            # A simulation without a fee (as cosmjs and Keplr send it) still pays for moving
            # one: the gas it reports must cover the fee the signed tx will carry.
            fee = [Coin(params.fee_denom, 1)]
        if fee:
            self.bank.send_to_module(ctx.store, payer, FEE_COLLECTOR_NAME, fee)


def check_signature(ctx: Context, tx: Tx, account_number: int, sequence: int, pubkey: bytes) -> None:
    if not pubkey:
        raise InvalidPubKey("the account has no public key yet: its first tx must carry one")
    if not tx.signature:
        raise NoSignatures()
    message = sign_bytes(tx, ctx.env.chain_id, account_number, sequence)
    if not crypto.verify_signature(pubkey, message, tx.signature):
        raise Unauthorized(
            f"signature verification failed; please verify account number ({account_number}), "
            f"sequence ({sequence}) and chain-id ({ctx.env.chain_id})"
        )
