"""distribution: Cosmos SDK v0.50's x/distribution, F1 fee distribution to validators and delegators."""
