"""slashing rejections (codespace ``slashing``), numbered as Cosmos SDK v0.50's x/slashing
errors so clients that know Cosmos's codes read them the same way."""

from vm.errors import make_error

CODESPACE = "slashing"

NoValidatorForAddress = make_error(
    "NoValidatorForAddress", 2, "address is not associated with any known validator", CODESPACE
)
ValidatorJailed = make_error("ValidatorJailed", 4, "validator still jailed; cannot be unjailed", CODESPACE)
ValidatorNotJailed = make_error(
    "ValidatorNotJailed", 5, "validator not jailed; cannot be unjailed", CODESPACE
)
MissingSelfDelegation = make_error(
    "MissingSelfDelegation", 6, "validator has no self-delegation; cannot be unjailed", CODESPACE
)
SelfDelegationTooLowToUnjail = make_error(
    "SelfDelegationTooLowToUnjail",
    7,
    "validator's self delegation less than minimum; cannot be unjailed",
    CODESPACE,
)
NoSigningInfoFound = make_error("NoSigningInfoFound", 8, "no validator signing info found", CODESPACE)
