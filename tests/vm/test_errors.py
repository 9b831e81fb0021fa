"""Stable rejection codes (vm.errors, vm.provider.errors): wallets and explorers key on them."""

from __future__ import annotations

import pytest

from vm import errors
from vm.provider import errors as provider_errors

# Cosmos SDK types/errors numbering for the root codespace "sdk".
SDK_CODES = {
    "TxDecodeError": 2,
    "InvalidSequence": 3,
    "Unauthorized": 4,
    "InsufficientFunds": 5,
    "UnknownRequest": 6,
    "InvalidAddress": 7,
    "InvalidPubKey": 8,
    "UnknownAddress": 9,
    "InvalidCoins": 10,
    "OutOfGas": 11,
    "MemoTooLarge": 12,
    "InsufficientFee": 13,
    "TooManySignatures": 14,
    "NoSignatures": 15,
    "InvalidRequest": 18,
    "TxInMempoolCache": 19,
    "MempoolIsFull": 20,
    "TxTooLarge": 21,
    "KeyNotFound": 22,
    "InvalidSigner": 24,
    "InvalidHeight": 26,
    "InvalidChainID": 28,
    "TxTimeoutHeight": 30,
    "WrongSequence": 32,
    "NotFound": 38,
    "InvalidGasLimit": 41,
    "Panic": 111222,
}
PROVIDER_CODES = {
    "ProviderExists": 2,
    "ProviderNotFound": 3,
    "GpuAlreadyRegistered": 4,
    "CollateralTooLow": 5,
    "ProviderNotActive": 6,
}


@pytest.mark.parametrize(("name", "code"), SDK_CODES.items())
def test_sdk_codes_are_stable(name: str, code: int) -> None:
    error = getattr(errors, name)
    assert (error.codespace, error.code) == ("sdk", code)
    assert issubclass(error, errors.InvalidTx)


@pytest.mark.parametrize(("name", "code"), PROVIDER_CODES.items())
def test_provider_codes_are_stable(name: str, code: int) -> None:
    error = getattr(provider_errors, name)
    assert (error.codespace, error.code) == ("provider", code)
    assert issubclass(error, errors.InvalidTx)


def test_codes_are_unique_per_codespace() -> None:
    assert len(set(SDK_CODES.values())) == len(SDK_CODES)
    assert len(set(PROVIDER_CODES.values())) == len(PROVIDER_CODES)


def test_log_is_detail_then_title() -> None:
    assert errors.OutOfGas("in write").log == "in write: out of gas"
    assert errors.OutOfGas().log == "out of gas"
    assert str(errors.WrongSequence("expected 1")) == "expected 1: incorrect account sequence"
