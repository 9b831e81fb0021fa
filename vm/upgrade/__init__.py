"""upgrade: Cosmos SDK v0.50's x/upgrade: software upgrades planned on chain (by governance),
and what the application does at their height (docs/upgrades.md)."""
