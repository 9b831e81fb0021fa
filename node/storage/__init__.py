"""Durable storage for the node: LevelDB behind the vm's key-value interface."""
