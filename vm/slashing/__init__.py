"""slashing: Cosmos SDK v0.50's x/slashing (liveness, unjail) and x/evidence's handling of double signing."""
