"""bank: balances, total supply, send and multi-send."""
