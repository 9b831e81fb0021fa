"""provider: GPU providers, their hardware, endpoint, price hint and bonded collateral."""
