"""market: GPU offers, orders with escrow, end-block matching, leases settled lazily in block
time, a reference price per GPU class, a premium tier for stakers (docs/market.md)."""
