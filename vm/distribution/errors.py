"""distribution rejections (codespace ``distribution``), numbered as Cosmos SDK v0.50's
x/distribution errors."""

from vm.errors import make_error

CODESPACE = "distribution"

EmptyDelegatorAddr = make_error("EmptyDelegatorAddr", 2, "delegator address is empty", CODESPACE)
EmptyWithdrawAddr = make_error("EmptyWithdrawAddr", 3, "withdraw address is empty", CODESPACE)
EmptyValidatorAddr = make_error("EmptyValidatorAddr", 4, "validator address is empty", CODESPACE)
EmptyDelegationDistInfo = make_error(
    "EmptyDelegationDistInfo", 5, "no delegation distribution info", CODESPACE
)
NoValidatorDistInfo = make_error("NoValidatorDistInfo", 6, "no validator distribution info", CODESPACE)
NoValidatorCommission = make_error(
    "NoValidatorCommission", 7, "no validator commission to withdraw", CODESPACE
)
SetWithdrawAddrDisabled = make_error("SetWithdrawAddrDisabled", 8, "set withdraw address disabled", CODESPACE)
BadDistribution = make_error(
    "BadDistribution", 11, "community pool does not have sufficient coins to distribute", CODESPACE
)
NoValidatorExists = make_error("NoValidatorExists", 12, "validator does not exist", CODESPACE)
NoDelegationExists = make_error("NoDelegationExists", 13, "delegation does not exist", CODESPACE)
