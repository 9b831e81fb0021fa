"""market rejection codes are stable (codespace ``market``): clients key on them."""

from __future__ import annotations

import pytest

from vm import errors
from vm.market import errors as market_errors

MARKET_CODES = {
    "OfferNotFound": 2,
    "OrderNotFound": 3,
    "LeaseNotFound": 4,
    "HardwareNotRegistered": 5,
    "GpusOverCommitted": 6,
    "BudgetTooLow": 7,
    "PriceAboveMax": 8,
    "NotLeaseParty": 9,
    "NotOwner": 10,
    "OfferClosed": 11,
    "OrderNotOpen": 12,
    "LeaseNotOpen": 13,
    "LeaseNotPending": 14,
    "InvalidDuration": 15,
    "TooManyOffers": 16,
    "NothingToWithdraw": 17,
    "ListTooLong": 18,
    "InvalidPricing": 19,
    "ExpiryPassed": 20,
    "ProviderNotActive": 21,
    "InvalidJobKind": 22,
}


@pytest.mark.parametrize(("name", "code"), MARKET_CODES.items())
def test_market_codes_are_stable(name: str, code: int) -> None:
    error = getattr(market_errors, name)
    assert (error.codespace, error.code) == ("market", code)
    assert issubclass(error, errors.InvalidTx)


def test_every_market_error_is_listed_once() -> None:
    defined = {
        n for n, v in vars(market_errors).items() if isinstance(v, type) and issubclass(v, errors.InvalidTx)
    }
    assert defined == set(MARKET_CODES)
    assert len(set(MARKET_CODES.values())) == len(MARKET_CODES)
