"""Governance: proposals, votes and their tally (Cosmos SDK v0.50 x/gov v1)."""
