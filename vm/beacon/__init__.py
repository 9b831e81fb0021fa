"""beacon: public randomness that no single proposer can choose (docs/beacon.md)."""
