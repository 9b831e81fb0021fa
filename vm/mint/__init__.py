"""mint: Cosmos SDK's x/mint inflation, with a share of each block's coins for the PoUW reward pool."""
