"""Typed rejections with stable codes.

Codes in the root codespace ``sdk`` follow the Cosmos SDK's numbering
(types/errors), so wallets and explorers built for Cosmos read them the same
way. Modules use their own codespace with codes starting at 2.
"""

from __future__ import annotations

from typing import ClassVar


class InvalidTx(Exception):
    """A transaction (or query) was rejected; state is left untouched."""

    codespace: ClassVar[str] = "sdk"
    code: ClassVar[int] = 1
    title: ClassVar[str] = "internal"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(self.log)

    @property
    def log(self) -> str:
        return f"{self.detail}: {self.title}" if self.detail else self.title


def make_error(name: str, code: int, title: str, codespace: str = "sdk") -> type[InvalidTx]:
    return type(name, (InvalidTx,), {"code": code, "title": title, "codespace": codespace})


TxDecodeError = make_error("TxDecodeError", 2, "tx parse error")
InvalidSequence = make_error("InvalidSequence", 3, "invalid sequence")
Unauthorized = make_error("Unauthorized", 4, "unauthorized")
InsufficientFunds = make_error("InsufficientFunds", 5, "insufficient funds")
UnknownRequest = make_error("UnknownRequest", 6, "unknown request")
InvalidAddress = make_error("InvalidAddress", 7, "invalid address")
InvalidPubKey = make_error("InvalidPubKey", 8, "invalid pubkey")
UnknownAddress = make_error("UnknownAddress", 9, "unknown address")
InvalidCoins = make_error("InvalidCoins", 10, "invalid coins")
OutOfGas = make_error("OutOfGas", 11, "out of gas")
MemoTooLarge = make_error("MemoTooLarge", 12, "memo too large")
InsufficientFee = make_error("InsufficientFee", 13, "insufficient fee")
TooManySignatures = make_error("TooManySignatures", 14, "maximum number of signatures exceeded")
NoSignatures = make_error("NoSignatures", 15, "no signatures supplied")
InvalidRequest = make_error("InvalidRequest", 18, "invalid request")
TxInMempoolCache = make_error("TxInMempoolCache", 19, "tx already in mempool")
MempoolIsFull = make_error("MempoolIsFull", 20, "mempool is full")
TxTooLarge = make_error("TxTooLarge", 21, "tx too large")
KeyNotFound = make_error("KeyNotFound", 22, "key not found")
InvalidSigner = make_error("InvalidSigner", 24, "tx intended signer does not match the given signer")
InvalidHeight = make_error("InvalidHeight", 26, "invalid height")
InvalidChainID = make_error("InvalidChainID", 28, "invalid chain-id")
TxTimeoutHeight = make_error("TxTimeoutHeight", 30, "tx timeout height")
UnknownExtensionOptions = make_error("UnknownExtensionOptions", 31, "unknown extension options")
WrongSequence = make_error("WrongSequence", 32, "incorrect account sequence")
NotSupported = make_error("NotSupported", 37, "feature not supported")
NotFound = make_error("NotFound", 38, "not found")
InvalidGasLimit = make_error("InvalidGasLimit", 41, "invalid gas limit")
Panic = make_error("Panic", 111222, "panic")


class NodeFault(Exception):
    """This node cannot execute the block (out of memory, storage failure...). Not a
    verdict on the block: the node stops without committing, and state is unchanged."""


# gRPC status names for query errors, as Cosmos's gRPC answers carry them in the
# abci_query log ("rpc error: code = NotFound desc = ..."), which cosmjs reads.
_GRPC_STATUS = {
    NotFound.code: "NotFound",
    KeyNotFound.code: "NotFound",
    UnknownAddress.code: "NotFound",
    UnknownRequest.code: "Unimplemented",
    NotSupported.code: "Unimplemented",
    TxDecodeError.code: "InvalidArgument",
    InvalidAddress.code: "InvalidArgument",
    InvalidCoins.code: "InvalidArgument",
    InvalidRequest.code: "InvalidArgument",
    InvalidHeight.code: "InvalidArgument",
}


def grpc_log(code: int, codespace: str, log: str) -> str:
    status = _GRPC_STATUS.get(code, "Unknown") if codespace == "sdk" else "Unknown"
    return f"rpc error: code = {status} desc = {log}"
