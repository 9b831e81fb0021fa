"""genutil: the genesis transactions (gentxs) that create a chain's first validators."""
