"""staking: validators, delegations, unbonding and redelegation, and the validator set
the chain hands to consensus (Cosmos SDK v0.50 x/staking, unbonding counted in blocks)."""
