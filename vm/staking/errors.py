"""staking rejections (codespace ``staking``), numbered as Cosmos SDK v0.50's x/staking
errors so clients that know Cosmos's codes read them the same way."""

from vm.errors import make_error

CODESPACE = "staking"

EmptyValidatorAddr = make_error("EmptyValidatorAddr", 2, "empty validator address", CODESPACE)
NoValidatorFound = make_error("NoValidatorFound", 3, "validator does not exist", CODESPACE)
ValidatorOwnerExists = make_error(
    "ValidatorOwnerExists",
    4,
    "validator already exist for this operator address; must use new validator operator address",
    CODESPACE,
)
ValidatorPubKeyExists = make_error(
    "ValidatorPubKeyExists",
    5,
    "validator already exist for this pubkey; must use new validator pubkey",
    CODESPACE,
)
ValidatorPubKeyTypeNotSupported = make_error(
    "ValidatorPubKeyTypeNotSupported", 6, "validator pubkey type is not supported", CODESPACE
)
ValidatorJailed = make_error(
    "ValidatorJailed", 7, "validator for this address is currently jailed", CODESPACE
)
BadRemoveValidator = make_error("BadRemoveValidator", 8, "failed to remove validator", CODESPACE)
CommissionNegative = make_error("CommissionNegative", 9, "commission must be positive", CODESPACE)
CommissionHuge = make_error("CommissionHuge", 10, "commission cannot be more than 100%", CODESPACE)
CommissionGTMaxRate = make_error(
    "CommissionGTMaxRate", 11, "commission cannot be more than the max rate", CODESPACE
)
CommissionUpdateTime = make_error(
    "CommissionUpdateTime", 12, "commission cannot be changed more than once in 24h", CODESPACE
)
CommissionChangeRateNegative = make_error(
    "CommissionChangeRateNegative", 13, "commission change rate must be positive", CODESPACE
)
CommissionChangeRateGTMaxRate = make_error(
    "CommissionChangeRateGTMaxRate", 14, "commission change rate cannot be more than the max rate", CODESPACE
)
CommissionGTMaxChangeRate = make_error(
    "CommissionGTMaxChangeRate", 15, "commission cannot be changed more than max change rate", CODESPACE
)
SelfDelegationBelowMinimum = make_error(
    "SelfDelegationBelowMinimum",
    16,
    "validator's self delegation must be greater than their minimum self delegation",
    CODESPACE,
)
MinSelfDelegationDecreased = make_error(
    "MinSelfDelegationDecreased", 17, "minimum self delegation cannot be decrease", CODESPACE
)
NoDelegation = make_error("NoDelegation", 19, "no delegation for (address, validator) tuple", CODESPACE)
NoDelegatorForAddress = make_error(
    "NoDelegatorForAddress", 21, "delegator does not contain delegation", CODESPACE
)
InsufficientShares = make_error("InsufficientShares", 22, "insufficient delegation shares", CODESPACE)
NotEnoughDelegationShares = make_error(
    "NotEnoughDelegationShares", 24, "not enough delegation shares", CODESPACE
)
NoUnbondingDelegation = make_error("NoUnbondingDelegation", 26, "no unbonding delegation found", CODESPACE)
MaxUnbondingDelegationEntries = make_error(
    "MaxUnbondingDelegationEntries",
    27,
    "too many unbonding delegation entries for (delegator, validator) tuple",
    CODESPACE,
)
NoRedelegation = make_error("NoRedelegation", 28, "no redelegation found", CODESPACE)
SelfRedelegation = make_error("SelfRedelegation", 29, "cannot redelegate to the same validator", CODESPACE)
TinyRedelegationAmount = make_error(
    "TinyRedelegationAmount", 30, "too few tokens to redelegate (truncates to zero tokens)", CODESPACE
)
BadRedelegationDst = make_error(
    "BadRedelegationDst", 31, "redelegation destination validator not found", CODESPACE
)
TransitiveRedelegation = make_error(
    "TransitiveRedelegation",
    32,
    "redelegation to this validator already in progress; "
    "first redelegation to this validator must complete before next redelegation",
    CODESPACE,
)
MaxRedelegationEntries = make_error(
    "MaxRedelegationEntries",
    33,
    "too many redelegation entries for (delegator, src-validator, dst-validator) tuple",
    CODESPACE,
)
DelegatorShareExRateInvalid = make_error(
    "DelegatorShareExRateInvalid", 34, "cannot delegate to validators with invalid (zero) ex-rate", CODESPACE
)
EmptyValidatorPubKey = make_error("EmptyValidatorPubKey", 39, "empty validator public key", CODESPACE)
CommissionLTMinRate = make_error(
    "CommissionLTMinRate", 40, "commission cannot be less than min rate", CODESPACE
)
