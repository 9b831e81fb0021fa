"""market rejections (codespace ``market``). Codes are stable: clients key on them."""

from vm.errors import make_error

CODESPACE = "market"

OfferNotFound = make_error("OfferNotFound", 2, "offer not found", CODESPACE)
OrderNotFound = make_error("OrderNotFound", 3, "order not found", CODESPACE)
LeaseNotFound = make_error("LeaseNotFound", 4, "lease not found", CODESPACE)
HardwareNotRegistered = make_error(
    "HardwareNotRegistered", 5, "the provider has not registered gpus of this class", CODESPACE
)
GpusOverCommitted = make_error(
    "GpusOverCommitted", 6, "more gpus committed to offers and leases than registered", CODESPACE
)
BudgetTooLow = make_error("BudgetTooLow", 7, "deposit below max price x gpus x duration", CODESPACE)
PriceAboveMax = make_error("PriceAboveMax", 8, "price above the market's max price", CODESPACE)
NotLeaseParty = make_error("NotLeaseParty", 9, "not a party to this lease", CODESPACE)
NotOwner = make_error("NotOwner", 10, "not the owner", CODESPACE)
OfferClosed = make_error("OfferClosed", 11, "offer is closed", CODESPACE)
OrderNotOpen = make_error("OrderNotOpen", 12, "order is not open", CODESPACE)
LeaseNotOpen = make_error("LeaseNotOpen", 13, "lease is not open", CODESPACE)
LeaseNotPending = make_error("LeaseNotPending", 14, "lease is not waiting to be accepted", CODESPACE)
InvalidDuration = make_error("InvalidDuration", 15, "invalid duration", CODESPACE)
TooManyOffers = make_error("TooManyOffers", 16, "too many open offers", CODESPACE)
NothingToWithdraw = make_error("NothingToWithdraw", 17, "nothing to withdraw", CODESPACE)
ListTooLong = make_error("ListTooLong", 18, "list too long", CODESPACE)
InvalidPricing = make_error("InvalidPricing", 19, "invalid pricing", CODESPACE)
ExpiryPassed = make_error("ExpiryPassed", 20, "expiry time has passed", CODESPACE)
ProviderNotActive = make_error("ProviderNotActive", 21, "provider is not registered and active", CODESPACE)
InvalidJobKind = make_error("InvalidJobKind", 22, "invalid job kind", CODESPACE)
